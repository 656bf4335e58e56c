/**
 * The snapshot cache's read-ahead thread started as soon as the command line is read
 * (read-ahead-early.ts): only for a picture of objects chosen by class or name whose snapshot has a
 * cache entry big enough that the read-ahead would start its thread at the first request anyway.
 * The entry's size is what it looks at: a sparse file stands for a big entry. The thread is one
 * per process, so the cases that start none come first.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cacheEnvRestorer, earlyCache } from "../helpers/early-cache.js";
import { BIG_ENTRY_BYTES, readAheadStarted } from "../../src/cache/read-ahead.js";
import { EARLY_READ_AHEAD_MIN_BYTES, startReadAheadEarly } from "../../src/cli/read-ahead-early.js";

const { dir, cache, big, small, uncached } = earlyCache("backrefs-read-ahead-early-");

describe("startReadAheadEarly", () => {
  afterEach(cacheEnvRestorer());

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
