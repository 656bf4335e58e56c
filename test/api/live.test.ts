/**
 * Live snapshots of the test process itself: real objects kept, released and watched; exact
 * growth counts; a live object held by a global property; V8's ids reset under our feet; and the
 * same in a worker thread and a child process (those run the built `dist/`: `npm test` builds it).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it, vi } from "vitest";
import { IdsResetError, LeakError } from "../../src/errors.js";
import {
  assertNoLeaks,
  byType,
  clearWatched,
  findRetained,
  liveSnapshot,
  showBackrefs,
  showGrowth,
  watch,
  whyAlive,
} from "../../src/api/live.js";
import type { Subgraph } from "../../src/query/types.js";
import { tempDir } from "../helpers/temp-dir.js";

const ROOT = resolve(import.meta.dirname, "../..");
const tmp = tempDir("backrefs-live-");

// Classes unique to this file, so that counts cannot be disturbed by anything else in the process.
class GrowthProbe {
  constructor(readonly i: number) {}
}
class HeldByGlobal {
  readonly payload = { note: "held through a global property" };
}
class WatchedSession {
  constructor(readonly user: string) {}
}
class BatchItem {
  constructor(readonly batch: number) {}
}

const keep: unknown[] = [];
// Every call takes a snapshot of this (vitest) process: seconds each on a busy machine.
vi.setConfig({ testTimeout: 300_000 });
afterEach(() => {
  keep.length = 0;
  clearWatched();
});

describe("watch / findRetained / assertNoLeaks", () => {
  it("reports a kept object with its reason and path, forgets a released one, passes once released", async () => {
    const sessions = { open: [] as WatchedSession[] };
    keep.push(sessions);
    // Made and watched in a function that returns: no variable of this test holds them.
    (() => {
      const kept = new WatchedSession("kept");
      sessions.open.push(kept);
      watch(kept, "user logged out");
      watch(new WatchedSession("released"), "request finished");
    })();

    const report = await findRetained();
    expect(report.objects).toHaveLength(1);
    expect(report.objects[0]).toMatchObject({ className: "WatchedSession", reason: "user logged out" });
    const edges = report.objects[0]!.path!.map((h) => h.edgeName);
    expect(edges).toContain("open");
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]).toMatchObject({ className: "WatchedSession", count: 1, reasons: ["user logged out"] });

    const dir = join(tmp, "leaks");
    const err = await assertNoLeaks({ dir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LeakError);
    const leak = err as LeakError;
    expect(leak.message).toMatch(/1 × WatchedSession \(watched: "user logged out"\)/);
    expect(leak.message).toMatch(/└─ \.open → Array/);
    expect(leak.picture).not.toBeNull();
    expect(leak.message).toContain(`picture: ${leak.picture}`);
    expect(leak.picture!.endsWith(".svg")).toBe(true);
    const svg = readFileSync(leak.picture!, "utf8");
    expect(svg).toContain("WatchedSession");
    expect(svg).not.toMatch(/Backrefs\w*State|BackrefsWatchedObject/);

    sessions.open.length = 0;
    await expect(assertNoLeaks({ dir })).resolves.toBeUndefined();
    expect((await findRetained()).objects).toHaveLength(0);
  });

  it("groups many retained objects by class and path, and counts them", async () => {
    const registry = new Map<number, WatchedSession>();
    keep.push(registry);
    (() => {
      for (let i = 0; i < 6; i++) {
        const s = new WatchedSession(`u${i}`);
        registry.set(i, s);
        watch(s, i % 2 ? "odd request done" : "even request done");
      }
    })();
    const report = await findRetained();
    expect(report.objects).toHaveLength(6);
    expect(report.groups).toHaveLength(1);
    expect(report.groups[0]!.count).toBe(6);
    expect(report.groups[0]!.reasons.sort()).toEqual(["even request done", "odd request done"]);
    const err = (await assertNoLeaks({ dir: join(tmp, "leaks2"), format: "png" }).catch((e: unknown) => e)) as LeakError;
    expect(err.message).toMatch(/6 × WatchedSession/);
    expect(readFileSync(err.picture!).subarray(1, 4).toString("latin1")).toBe("PNG");
  });
});

describe("objgraph's calls", () => {
  it("showGrowth: the first call records, later calls give exact +N for what grew, nothing for what did not", async () => {
    const lines: string[] = [];
    const out = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
    expect(await showGrowth({ output: out })).toEqual([]);
    const probes: GrowthProbe[] = [];
    keep.push(probes);
    for (let i = 0; i < 13; i++) probes.push(new GrowthProbe(i));
    const first = await showGrowth({ output: out, limit: 1000 });
    const row = first.find((r) => r.className === "GrowthProbe");
    expect(row).toMatchObject({ count: 13, delta: 13 });
    expect(row!.selfSizeDelta).toBe(row!.selfSize);
    expect(lines.join("")).toMatch(/GrowthProbe\s+13\s+\+13/);

    const none = await showGrowth({ output: false, limit: 1000 });
    expect(none.find((r) => r.className === "GrowthProbe")).toBeUndefined();

    probes.splice(0, 5);
    probes.push(new GrowthProbe(100), new GrowthProbe(101));
    const shrunk = await showGrowth({ output: false, limit: 1000 });
    expect(shrunk.find((r) => r.className === "GrowthProbe")).toBeUndefined();

    for (let i = 0; i < 4; i++) probes.push(new GrowthProbe(200 + i));
    const again = await showGrowth({ output: false, limit: 1000 });
    expect(again.find((r) => r.className === "GrowthProbe")).toMatchObject({ count: 14, delta: 4 });

    // Watching objects the program has is not growth: the strings backrefs tags them with are its own.
    // (2,800 tags; other strings a run makes meanwhile, code's names and the like, were up to 290.)
    for (let k = 0; k < 200; k++) for (const p of probes) watch(p, "probe");
    const watched = await showGrowth({ output: false, limit: 1000 });
    expect(watched.find((r) => r.className === "(string)")?.delta ?? 0).toBeLessThan(50 * probes.length);
    clearWatched();
  });

  it("showBackrefs draws a live object held by a global property, with that property on its path", async () => {
    const g = globalThis as Record<string, unknown>;
    g["__backrefsTestHeld"] = new HeldByGlobal();
    try {
      const file = join(tmp, "held.json");
      const graph = await showBackrefs(g["__backrefsTestHeld"] as object, { filename: file });
      const sub = JSON.parse(readFileSync(file, "utf8")) as Subgraph;
      expect(sub).toEqual(JSON.parse(graph.toJson()));
      const target = sub.nodes.find((n) => n.isTarget)!;
      expect(target.className).toBe("HeldByGlobal");
      const edge = sub.edges.find((e) => e.to === target.id && e.name === "__backrefsTestHeld");
      expect(edge).toBeDefined();
      expect(edge!.onPath).toBe(true);
      expect(sub.nodes.find((n) => n.id === edge!.from)!.className).toMatch(/global|Window|Object/);
      expect(sub.nodes.some((n) => /^Backrefs/.test(n.className))).toBe(false);

      const png = join(tmp, "held.png");
      await showBackrefs([g["__backrefsTestHeld"] as object], { filename: png, depth: 1 });
      expect(readFileSync(png).subarray(1, 4).toString("latin1")).toBe("PNG");

      const text = await whyAlive(g["__backrefsTestHeld"] as object);
      expect(text).toMatch(/└─ \.__backrefsTestHeld → HeldByGlobal @\d+/);
      expect(text).toMatch(/dominated by/);
    } finally {
      delete g["__backrefsTestHeld"];
    }
  });

  it("byType returns the live objects themselves, newest first", async () => {
    const first = [new BatchItem(1), new BatchItem(1), new BatchItem(1)];
    keep.push(first);
    await liveSnapshot(); // the first batch gets its ids here
    // Four or more are found by their prototype in one query; one whose prototype was swapped
    // (still a BatchItem to V8) one by one.
    const odd = Object.setPrototypeOf(new BatchItem(2), { odd: true }) as BatchItem;
    const second = [new BatchItem(2), new BatchItem(2), odd];
    keep.push(second);
    const lookups: number[][] = [];
    const found = (await byType("BatchItem", { onLookups: (q, one) => lookups.push([q, one]) })) as BatchItem[];
    expect(found).toHaveLength(6);
    // Five or six by the query (a second query starts from the swapped one when V8's heap order
    // puts it first); two looked up by id: where each query started, or the swapped one.
    expect(lookups).toHaveLength(1);
    expect(lookups[0]![0]).toBeGreaterThanOrEqual(5);
    expect(lookups[0]![1]).toBe(2);
    expect(found.slice(0, 3).every((o) => o.batch === 2)).toBe(true);
    for (const o of [...first, ...second]) expect(found).toContain(o);
    lookups.length = 0;
    expect(await byType("BatchItem", { limit: 1, onLookups: (q, one) => lookups.push([q, one]) })).toHaveLength(1);
    expect(lookups).toEqual([[0, 1]]);
    expect(await byType("NoSuchClassAnywhere")).toEqual([]);
  });

  it("keeps backrefs' own objects out: an earlier snapshot held by the caller is not counted", async () => {
    const earlier = await liveSnapshot();
    keep.push(earlier);
    const now = await liveSnapshot();
    expect(() => now.select({ type: "HeapGraph" })).toThrow(/no objects/);
    expect(() => now.select({ type: "BackrefsSnapshotState" })).toThrow(/no objects/);
    const classes = (await now.types({ top: Infinity, retained: false })).map((c) => c.className);
    expect(classes).not.toContain("BackrefsLiveState");
    expect(classes).not.toContain("HeapGraph");
    expect(classes).toContain("LiveSnapshot"); // the caller's handle is the caller's
  });
});

describe("ids reset", () => {
  it("is noticed: diff compares counts only, newSince refuses, watched objects are still found", async () => {
    keep.push(new WatchedSession("across a reset"));
    const kept = keep[0] as WatchedSession;
    watch(kept, "kept across an ids reset");
    const before = await liveSnapshot({ objects: [kept] });
    // Another tool's inspector session: disconnecting it resets V8's heap ids.
    const s = new Session();
    s.connect();
    s.disconnect();
    const after = await liveSnapshot({ objects: [kept] });
    expect(after.idEpoch).toBeGreaterThan(before.idEpoch!);
    expect(after.objectIds[0]).not.toBeNull();
    const d = await after.diff(before, { retained: false });
    expect(d.idsReset).toBe(true);
    expect(d.sameProcess).toBe(false);
    expect(d.classes.every((c) => c.new === null && c.deleted === null)).toBe(true);
    await expect(after.retainers({ type: "WatchedSession", newSince: before })).rejects.toThrow(IdsResetError);
    const report = await findRetained();
    expect(report.objects.map((o) => o.reason)).toEqual(["kept across an ids reset"]);
    expect(report.idsResetSinceWatched).toBe(true);

    // No reset between these two: same epoch, same id for the same object.
    const again = await liveSnapshot({ objects: [kept] });
    expect(again.idEpoch).toBe(after.idEpoch);
    expect(again.objectIds[0]).toBe(after.objectIds[0]);
  });
});

/** A script run with the built library, in a worker thread or a child process. */
const PROGRAM = `
const { showGrowth, watch, assertNoLeaks, findRetained } = await import(${JSON.stringify(join(ROOT, "dist/index.js"))});
class OffThread { constructor(i) { this.i = i; } }
globalThis.held = [];
await showGrowth({ output: false });
for (let i = 0; i < 9; i++) globalThis.held.push(new OffThread(i));
const rows = await showGrowth({ output: false, limit: 1000 });
const growth = rows.find((r) => r.className === "OffThread");
watch(globalThis.held[4], "done off the main thread");
let message = "";
try { await assertNoLeaks({ dir: ${JSON.stringify(join(tmp, "off-thread"))} }); } catch (e) { message = e.message; }
globalThis.held = [];
const after = await findRetained();
const result = { count: growth && growth.count, delta: growth && growth.delta, message, afterRelease: after.objects.length };
`;

describe("off the main thread", () => {
  it("works in a worker thread, with no flags", async () => {
    const worker = new Worker(`(async () => { ${PROGRAM}; require("node:worker_threads").parentPort.postMessage(result); })()`, {
      eval: true,
    });
    const result = await new Promise<Record<string, unknown>>((res, rej) => {
      worker.once("message", res);
      worker.once("error", rej);
    });
    await worker.terminate();
    expect(result).toMatchObject({ count: 9, delta: 9, afterRelease: 0 });
    expect(result["message"]).toMatch(/1 × OffThread \(watched: "done off the main thread"\)/);
    expect(result["message"]).toMatch(/\.held → Array/);
    const picture = /picture: (.+\.svg)/.exec(result["message"] as string)![1]!;
    expect(existsSync(picture)).toBe(true);
  });

  it("works in a child process, with no flags", () => {
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", `${PROGRAM}; process.stdout.write(JSON.stringify(result));`], {
      env: { ...process.env, NODE_OPTIONS: "" },
      encoding: "utf8",
    });
    const result = JSON.parse(out) as Record<string, unknown>;
    expect(result).toMatchObject({ count: 9, delta: 9, afterRelease: 0 });
    expect(result["message"]).toMatch(/1 × OffThread/);
    expect(result["message"]).toMatch(/\.held → Array/);
  });
});
