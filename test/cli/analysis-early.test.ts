/**
 * The analysis helper's thread started as soon as the command line is read (analysis-early.ts):
 * only for a file big enough for the helper, and not when no analysis or no second thread is
 * wanted. The file's size is all it looks at: a sparse file stands for a big snapshot.
 */
import { closeSync, mkdtempSync, openSync, ftruncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startHelperEarly } from "../../src/cli/analysis-early.js";
import { AnalysisHelper, EARLY_HELPER_MIN_BYTES } from "../../src/graph/helper.js";

const dir = mkdtempSync(join(tmpdir(), "backrefs-analysis-early-"));
const big = join(dir, "big.heapsnapshot");
const fd = openSync(big, "w");
ftruncateSync(fd, EARLY_HELPER_MIN_BYTES);
closeSync(fd);
const small = join(dir, "small.heapsnapshot");
writeFileSync(small, "{}");

describe("startHelperEarly", () => {
  afterEach(() => {
    AnalysisHelper.stopEarly();
    delete process.env["BACKREFS_PARALLEL"];
  });

  it("starts the thread for a big file, for the first startEarly to adopt", () => {
    startHelperEarly(big, {});
    expect(AnalysisHelper.waiting).toBe(true);
    expect(AnalysisHelper.startEarly()).toBe(true);
  });

  it("starts none for a smaller file, standard input, a missing file, --no-retained or BACKREFS_PARALLEL=0", () => {
    startHelperEarly(small, {});
    startHelperEarly("-", {});
    startHelperEarly(join(dir, "missing.heapsnapshot"), {});
    startHelperEarly(big, { retained: false });
    process.env["BACKREFS_PARALLEL"] = "0";
    startHelperEarly(big, {});
    expect(AnalysisHelper.waiting).toBe(false);
  });
});
