/**
 * A command that completes its snapshot's cache entry before it ends (`flushCachesEarly`: a
 * picture, while the layout worker lays it out): the entry is on disk as soon as the early flush is
 * done, what the cache says is held until the command ends, and a picture's messages come in the
 * same order as ever.
 */
import { copyFileSync, readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/cli.js";
import { RACY_MS } from "../../src/cache/store.js";
import { beginCacheSession, cacheSession, dropPendingCaches, flushCaches, flushCachesEarly } from "../../src/cli/cache.js";
import { openSnapshot } from "../../src/api/snapshot.js";
import { tempDir } from "../helpers/temp-dir.js";

const tmp = tempDir("backrefs-cache-early-");
const SNAP = join(tmp, "leak.heapsnapshot.gz");
let dirs = 0;
const freshDir = (): string => join(tmp, `cache-${dirs++}`);
const entries = (dir: string): string[] => {
  try {
    return readdirSync(dir).filter((n) => n.endsWith(".brc"));
  } catch {
    return [];
  }
};

/** Streams that keep what is written to them. */
function streams(): { io: { stdout: Writable; stderr: Writable }; err: () => string } {
  const said: string[] = [];
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        into.push(chunk.toString());
        cb();
      },
    });
  return { io: { stdout: sink([]), stderr: sink(said) }, err: () => said.join("") };
}

/** Runs `body` with the cache directory `dir` in the environment. */
async function withCacheDir<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const saved = [process.env["BACKREFS_CACHE"], process.env["BACKREFS_CACHE_DIR"]] as const;
  process.env["BACKREFS_CACHE"] = "1";
  process.env["BACKREFS_CACHE_DIR"] = dir;
  try {
    return await body();
  } finally {
    if (saved[0] === undefined) delete process.env["BACKREFS_CACHE"];
    else process.env["BACKREFS_CACHE"] = saved[0];
    if (saved[1] === undefined) delete process.env["BACKREFS_CACHE_DIR"];
    else process.env["BACKREFS_CACHE_DIR"] = saved[1];
  }
}

beforeAll(async () => {
  copyFileSync(join(ROOT, "samples/leak.heapsnapshot.gz"), SNAP);
  const old = Date.now() / 1000 - 3600;
  utimesSync(SNAP, old, old);
  // Entries are written only for files whose last change is RACY_MS old.
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

describe("completing the cache entry before the command ends", { timeout: 120_000 }, () => {
  it("writes the entry at once and holds what the cache says until the command ends", async () => {
    const dir = freshDir();
    await withCacheDir(dir, async () => {
      const { io, err } = streams();
      beginCacheSession(true, io);
      const session = cacheSession();
      expect(session).not.toBe(false);
      const snap = await openSnapshot(SNAP, { cache: session || undefined });
      await snap.summary();
      expect(entries(dir)).toEqual([]);
      // The early flush goes on by itself: the entry is there without the command ending.
      await flushCachesEarly();
      expect(entries(dir)).toHaveLength(1);
      expect(err()).not.toMatch(/cache: wrote/);
      await flushCaches();
      expect(err()).toMatch(/^cache: wrote .*\.brc /m);
    });
  });

  it("a command failing after an early flush keeps the entry, and says it was written", async () => {
    const dir = freshDir();
    await withCacheDir(dir, async () => {
      const { io, err } = streams();
      beginCacheSession(true, io);
      const snap = await openSnapshot(SNAP, { cache: cacheSession() || undefined });
      await snap.summary();
      flushCachesEarly();
      await dropPendingCaches();
      expect(entries(dir)).toHaveLength(1);
      expect(err()).toMatch(/^cache: wrote /m);
    });
  });

  it("without an early flush, a failing command still writes no entry", async () => {
    const dir = freshDir();
    await withCacheDir(dir, async () => {
      const { io, err } = streams();
      beginCacheSession(true, io);
      const snap = await openSnapshot(SNAP, { cache: cacheSession() || undefined });
      await snap.summary();
      await dropPendingCaches();
      expect(entries(dir)).toEqual([]);
      expect(err()).toBe("");
    });
  });

  it("a picture: the entry is written, and the cache's line comes after the picture's", async () => {
    const dir = freshDir();
    const out = join(tmp, "leak.svg");
    const r = await runCli([SNAP, "--type", "LeakyRequest", "--each", "-o", out], {
      env: { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: dir },
    });
    expect(r.code).toBe(0);
    expect(entries(dir)).toHaveLength(1);
    const lines = r.stderr.split("\n");
    const picture = lines.findIndex((l) => l.includes(`→ ${out}`));
    const cache = lines.findIndex((l) => l.startsWith("cache: wrote "));
    expect(picture).toBeGreaterThanOrEqual(0);
    expect(cache).toBeGreaterThan(picture);
  });
});
