/**
 * The read-ahead thread started when the command line is read for the commands that compare
 * snapshots (read-ahead-early.ts, `startReadAheadForComparison`): when one of the snapshots has a
 * big cache entry, and only then. In a file of its own: the thread is one per process, and
 * read-ahead-early.test.ts starts it for a picture.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cacheEnvRestorer, earlyCache } from "../helpers/early-cache.js";
import { readAheadStarted } from "../../src/cache/read-ahead.js";
import { startReadAheadForComparison } from "../../src/cli/read-ahead-early.js";

const { dir, cache, big, small, uncached } = earlyCache("backrefs-read-ahead-comparison-");

describe("startReadAheadForComparison", () => {
  afterEach(cacheEnvRestorer());

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
