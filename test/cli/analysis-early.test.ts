/**
 * The analysis helper's thread started as soon as the command line is read (analysis-early.ts):
 * only for a file big enough for the helper, and not when no analysis or no second thread is
 * wanted, nor when the snapshot cache has an entry for the file. The file's size is what it looks
 * at: a sparse file stands for a big snapshot.
 */
import { closeSync, mkdirSync, openSync, ftruncateSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { entryPathIn } from "../../src/cache/entry-name.js";
import { startHelperEarly } from "../../src/cli/analysis-early.js";
import { AnalysisHelper, EARLY_HELPER_MIN_BYTES } from "../../src/graph/helper.js";
import { tempDir } from "../helpers/temp-dir.js";

const dir = tempDir("backrefs-analysis-early-");
const big = join(dir, "big.heapsnapshot");
const fd = openSync(big, "w");
ftruncateSync(fd, EARLY_HELPER_MIN_BYTES);
closeSync(fd);
const small = join(dir, "small.heapsnapshot");
const cacheEnv = process.env["BACKREFS_CACHE"];
const cacheDirEnv = process.env["BACKREFS_CACHE_DIR"];
writeFileSync(small, "{}");

describe("startHelperEarly", () => {
  afterEach(() => {
    AnalysisHelper.stopEarly();
    delete process.env["BACKREFS_PARALLEL"];
    if (cacheEnv === undefined) delete process.env["BACKREFS_CACHE"];
    else process.env["BACKREFS_CACHE"] = cacheEnv;
    if (cacheDirEnv === undefined) delete process.env["BACKREFS_CACHE_DIR"];
    else process.env["BACKREFS_CACHE_DIR"] = cacheDirEnv;
  });

  it("starts the thread for a big file, for the first startEarly to adopt", () => {
    startHelperEarly(big, {}, false);
    expect(AnalysisHelper.waiting).toBe(true);
    expect(AnalysisHelper.startEarly()).toBe(true);
  });

  it("starts none for a smaller file, standard input, a missing file, --no-retained or BACKREFS_PARALLEL=0", () => {
    startHelperEarly(small, {}, false);
    startHelperEarly("-", {}, false);
    startHelperEarly(join(dir, "missing.heapsnapshot"), {}, false);
    startHelperEarly(big, { retained: false }, false);
    process.env["BACKREFS_PARALLEL"] = "0";
    startHelperEarly(big, {}, false);
    expect(AnalysisHelper.waiting).toBe(false);
  });

  it("starts none when the snapshot cache has an entry for the file (the answer comes from it), and one when the cache is off", () => {
    process.env["BACKREFS_CACHE"] = "1";
    process.env["BACKREFS_CACHE_DIR"] = join(dir, "cache");
    // No entry yet: the file will be read.
    startHelperEarly(big, {}, true);
    expect(AnalysisHelper.waiting).toBe(true);
    AnalysisHelper.stopEarly();
    mkdirSync(join(dir, "cache"), { recursive: true });
    writeFileSync(entryPathIn(join(dir, "cache"), realpathSync(big)), "");
    startHelperEarly(big, {}, true);
    expect(AnalysisHelper.waiting).toBe(false);
    // --no-cache, or BACKREFS_CACHE=0: the entry is not used, the file is read.
    startHelperEarly(big, {}, false);
    expect(AnalysisHelper.waiting).toBe(true);
    AnalysisHelper.stopEarly();
    process.env["BACKREFS_CACHE"] = "0";
    startHelperEarly(big, {}, true);
    expect(AnalysisHelper.waiting).toBe(true);
  });
});
