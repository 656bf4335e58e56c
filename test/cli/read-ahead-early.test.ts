/**
 * The snapshot cache's read-ahead thread started as soon as the command line is read
 * (read-ahead-early.ts): only for a picture of objects chosen by class or name whose snapshot has a
 * cache entry big enough that the read-ahead would start its thread at the first request anyway.
 * The entry's size is what it looks at: a sparse file stands for a big entry. The thread is one
 * per process, so the cases that start none come first.
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { entryPathIn } from "../../src/cache/entry-name.js";
import { BIG_ENTRY_BYTES, readAheadStarted } from "../../src/cache/read-ahead.js";
import { EARLY_READ_AHEAD_MIN_BYTES, startReadAheadEarly } from "../../src/cli/read-ahead-early.js";

const dir = mkdtempSync(join(tmpdir(), "backrefs-read-ahead-early-"));
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

describe("startReadAheadEarly", () => {
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

  it("uses the read-ahead's own threshold for starting its thread at the first request", () => {
    expect(EARLY_READ_AHEAD_MIN_BYTES).toBe(BIG_ENTRY_BYTES);
  });

  it("starts none without --type or --name, for a small or missing entry, standard input, the cache off or BACKREFS_PARALLEL=0", async () => {
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_CACHE_DIR"] = cache;
    await startReadAheadEarly(big, {}, true);
    await startReadAheadEarly(big, { type: [], name: [] }, true);
    await startReadAheadEarly(small, { type: ["Order"] }, true);
    await startReadAheadEarly(uncached, { type: ["Order"] }, true);
    await startReadAheadEarly(join(dir, "missing.heapsnapshot"), { type: ["Order"] }, true);
    await startReadAheadEarly("-", { type: ["Order"] }, true);
    // --no-cache, or BACKREFS_CACHE=0: the entry is not used.
    await startReadAheadEarly(big, { type: ["Order"] }, false);
    process.env["BACKREFS_CACHE"] = "0";
    await startReadAheadEarly(big, { type: ["Order"] }, true);
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_PARALLEL"] = "0";
    await startReadAheadEarly(big, { name: ["Order"] }, true);
    expect(readAheadStarted()).toBe(false);
  });

  it("starts the thread for a class or name whose snapshot has a big entry", async () => {
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_CACHE_DIR"] = cache;
    await startReadAheadEarly(big, { name: ["Order"] }, true);
    expect(readAheadStarted()).toBe(true);
  });
});
