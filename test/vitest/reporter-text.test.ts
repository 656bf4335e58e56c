import { describe, expect, it } from "vitest";
import { leaksText, type LeakReportFile } from "../../src/vitest/reporter.js";

const report = (files: number): LeakReportFile => ({ files, leaks: [], seconds: { snapshots: 0.5, analysis: 0.25 } });

describe("the reporter's summary line", () => {
  it("gives the all-clear only for files it measured", () => {
    expect(leaksText(report(3), "/r")).toMatch(/no test file left objects alive after a GC \(3 checked;/);
  });

  it("says that nothing was checked when no file was measured, instead of an all-clear", () => {
    const text = leaksText(report(0), "/r");
    expect(text).toMatch(/no test file was checked for leaks/);
    expect(text).not.toMatch(/left objects alive/);
  });
});
