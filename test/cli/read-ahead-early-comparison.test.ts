/**
 * The read-ahead thread started when the command line is read for the commands that compare
 * snapshots (read-ahead-early.ts, `startReadAheadForComparison`): when one of the snapshots has a
 * big cache entry, and only then. In a file of its own: the thread is one per process, and
 * read-ahead-early.test.ts starts it for a picture.
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { entryPathIn } from "../../src/cache/entry-name.js";
import { readAheadStarted } from "../../src/cache/read-ahead.js";
import { EARLY_READ_AHEAD_MIN_BYTES, startReadAheadForComparison } from "../../src/cli/read-ahead-early.js";

const dir = mkdtempSync(join(tmpdir(), "backrefs-read-ahead-comparison-"));
const cache = join(dir, "cache");
mkdirSync(cache);
const snapshot = (name: string): string => {
  const file = join(dir, name);
  writeFileSync(file, "{}");
  return file;
};
const withEntry = (file: string, bytes: number): void => {
  const fd = openSync(entryPathIn(cache, realpathSync(file)), "w");
  ftruncateSync(fd, bytes);
  closeSync(fd);
};
const big = snapshot("big.heapsnapshot");
withEntry(big, EARLY_READ_AHEAD_MIN_BYTES);
const small = snapshot("small.heapsnapshot");
withEntry(small, EARLY_READ_AHEAD_MIN_BYTES - 1);
const uncached = snapshot("uncached.heapsnapshot");
const env = { cache: process.env["BACKREFS_CACHE"], dir: process.env["BACKREFS_CACHE_DIR"] };

describe("startReadAheadForComparison", () => {
  afterEach(() => {
    delete process.env["BACKREFS_PARALLEL"];
    for (const [k, v] of [
      ["BACKREFS_CACHE", env.cache],
      ["BACKREFS_CACHE_DIR", env.dir],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("starts none when no snapshot has a big entry, for standard input, the cache off or BACKREFS_PARALLEL=0", async () => {
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_CACHE_DIR"] = cache;
    await startReadAheadForComparison([], true);
    await startReadAheadForComparison([small, uncached, join(dir, "missing.heapsnapshot"), "-"], true);
    // --no-cache, or BACKREFS_CACHE=0: the entry is not used.
    await startReadAheadForComparison([small, big], false);
    process.env["BACKREFS_CACHE"] = "0";
    await startReadAheadForComparison([big], true);
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_PARALLEL"] = "0";
    await startReadAheadForComparison([big, small], true);
    expect(readAheadStarted()).toBe(false);
  });

  it("starts the thread when any of the snapshots has a big entry", async () => {
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_CACHE_DIR"] = cache;
    await startReadAheadForComparison([uncached, small, big], true);
    expect(readAheadStarted()).toBe(true);
  });
});
