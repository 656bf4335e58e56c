/**
 * backrefs for node:test: what a test file left alive, through its hooks. In the test file (or a
 * module loaded with `--import`):
 *
 *     import { trackLeaks } from "backrefs/node-test";
 *     trackLeaks();
 *
 * `before` all tests: a snapshot (after a GC). `after` all tests: another, then the report — the
 * classes left alive with counts, sizes and grouped paths — as test diagnostics (shown by every
 * node:test reporter), a picture and a JSON file in the report directory. A file that left nothing
 * writes nothing. node:test runs each file in its own process, so this process reads its own
 * snapshots when its tests are done.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve, sep } from "node:path";
import { after, before } from "node:test";
import { isTestRunnerScript } from "../testing/expect-no-leaks.js";
import { analyseLeftovers, formatLeftoverReports, pictureName, writeAtomically, type LeftoverReport } from "../testing/leak-report.js";
import { snapshotToFile } from "../testing/snapshots.js";
import { VITEST_GLOBALS } from "../vitest/options.js";

export { expectNoLeaks, type ExpectNoLeaksOptions, type NoLeaksResult } from "../testing/expect-no-leaks.js";
export type { LeftoverReport } from "../testing/leak-report.js";

export interface TrackLeaksOptions {
  /** The report directory (default `backrefs-leaks`, relative to the working directory). */
  dir?: string;
  /** Only these classes are reported (default: every class). */
  types?: string[];
  /** The name of this file in the report (default: the script node runs, relative to the working directory). */
  name?: string;
  /** Called with the report (also when nothing was left). */
  onReport?: (report: LeftoverReport) => void;
}

/** Registers the two hooks on the current file's root. */
export function trackLeaks(options: TrackLeaksOptions = {}): void {
  const dir = resolve(options.dir ?? "backrefs-leaks");
  const script = process.argv[1] ?? "test";
  const rel = relative(process.cwd(), script);
  const name = options.name ?? (rel.startsWith("..") ? script : rel).split(sep).join("/");
  let tmp = "";
  let seconds = 0;
  // No timeout: a snapshot of a big heap takes seconds (about 1 s per 10 MB).
  before(
    async () => {
      // node:test sets its reporting pipeline up asynchronously once the first test is queued:
      // let it finish, so that its streams are not counted as this file's.
      for (let i = 0; i < 3; i++) await new Promise((done) => setImmediate(done));
      tmp = mkdtempSync(join(tmpdir(), "backrefs-nt-"));
      seconds = snapshotToFile(join(tmp, "start.heapsnapshot"));
    },
    { timeout: Infinity },
  );
  after(
    async (ctx) => {
      // Hooks get the test's context; `diagnostic` is on tests (the root included), not on suites.
      const t = ctx as { diagnostic?: (message: string) => void };
      if (!tmp) return;
      try {
        seconds += snapshotToFile(join(tmp, "end.heapsnapshot"));
        const picture = join(dir, pictureName(name));
        const report = await analyseLeftovers(name, join(tmp, "start.heapsnapshot"), join(tmp, "end.heapsnapshot"), {
          ignoreGlobals: VITEST_GLOBALS,
          runnerCode: isTestRunnerScript,
          picture,
          types: options.types,
          root: process.cwd(),
        });
        report.seconds.snapshots = seconds;
        options.onReport?.(report);
        const timing = `snapshots took ${seconds.toFixed(1)} s, analysis ${report.seconds.analysis.toFixed(1)} s`;
        if (report.objects === 0) {
          t.diagnostic?.(`backrefs: ${name} left no objects alive after a GC (${timing})`);
          return;
        }
        writeAtomically(join(dir, pictureName(name).replace(/\.svg$/, ".json")), JSON.stringify(report, null, 2) + "\n");
        for (const line of (
          `backrefs: ${name} left objects alive after a GC (${timing}):\n` + formatLeftoverReports([report], { relativeTo: process.cwd() })
        )
          .trimEnd()
          .split("\n")) {
          t.diagnostic?.(line);
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    { timeout: Infinity },
  );
}
