/**
 * The vitest reporter (`reporters: ["default", ["backrefs/vitest/reporter", { dir }]]`): when the
 * run ends, reads the snapshots the setup file wrote in the workers, and reports the test files
 * (and, with `perTest`, the tests) that left objects alive, worst first — classes with counts and
 * sizes, grouped retaining paths — with a picture per file in the report directory. Files that
 * left nothing are not reported. It runs in vitest's main process: the workers never load a
 * snapshot.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import type { Reporter, TestModule, Vitest } from "vitest/node";
import { analyseLeftovers, formatLeftoverReports, pictureName, writeAtomically, type LeftoverReport } from "../testing/leak-report.js";
import { DEFAULT_DIR, ENV_DIR, ENV_PER_TEST, SNAPSHOT_SUBDIR, VITEST_GLOBALS, isRunnerScript } from "./options.js";
import type { SnapshotManifest } from "./setup.js";

export { pictureName } from "../testing/leak-report.js";

export interface LeakReporterOptions {
  /**
   * The report directory: pictures, `report.json`, and the snapshots while the run lasts. Default
   * `backrefs-leaks`, relative to the project's root.
   */
  dir?: string;
  /** Also a snapshot before and after each test, and a report per test (two more snapshots per test). */
  perTest?: boolean;
  /** Keep the snapshots after the analysis (default: deleted). */
  keepSnapshots?: boolean;
  /** Only these classes are reported (default: every class). */
  types?: string[];
  /** Classes shown per file in the text (default 8). */
  classes?: number;
  /** Where the text goes (default: vitest's logger). */
  write?: (text: string) => void;
}

/** `report.json`: what the run found. */
export interface LeakReportFile {
  /** Test files measured. */
  files: number;
  /** The files (and tests, with perTest) that left objects alive, worst first. */
  leaks: LeftoverReport[];
  /** Seconds the workers spent taking snapshots, and the reporter reading them. */
  seconds: { snapshots: number; analysis: number };
}

export default class BackrefsLeakReporter implements Reporter {
  private dir: string;
  private root = process.cwd();
  private vitest: Vitest | null = null;
  /** The last report, for those who run vitest from code. */
  result: LeakReportFile | null = null;

  constructor(private readonly options: LeakReporterOptions = {}) {
    this.dir = resolve(options.dir ?? DEFAULT_DIR);
  }

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
    this.root = vitest.config.root;
    // A relative directory is relative to the project's root, like vitest's own outputs.
    this.dir = resolve(this.root, this.options.dir ?? DEFAULT_DIR);
    // The workers (child processes or threads) start after this and inherit the environment.
    process.env[ENV_DIR] = this.dir;
    if (this.options.perTest) process.env[ENV_PER_TEST] = "1";
    rmSync(join(this.dir, SNAPSHOT_SUBDIR), { recursive: true, force: true });
  }

  async onTestRunEnd(_modules: ReadonlyArray<TestModule>): Promise<void> {
    const snapDir = join(this.dir, SNAPSHOT_SUBDIR);
    const manifests: SnapshotManifest[] = existsSync(snapDir)
      ? readdirSync(snapDir)
          .filter((f) => f.endsWith(".json"))
          .sort()
          .map((f) => JSON.parse(readFileSync(join(snapDir, f), "utf8")) as SnapshotManifest)
      : [];
    const t0 = performance.now();
    const leaks: LeftoverReport[] = [];
    let snapshotSeconds = 0;
    let files = 0;
    for (const m of manifests) {
      snapshotSeconds += m.seconds;
      if (!m.test) files++;
      const name = this.relative(m.file) + (m.test ? ` > ${m.test}` : "");
      const report = await analyseLeftovers(name, m.start, m.end, {
        ignoreGlobals: VITEST_GLOBALS,
        runnerCode: isRunnerScript,
        picture: join(this.dir, pictureName(name)),
        types: this.options.types,
        root: this.root,
      });
      report.seconds.snapshots = m.seconds;
      if (report.objects > 0) leaks.push(report);
      if (!this.options.keepSnapshots) {
        rmSync(m.start, { force: true });
        rmSync(m.end, { force: true });
      }
    }
    if (!this.options.keepSnapshots) rmSync(snapDir, { recursive: true, force: true });
    leaks.sort((p, q) => q.retainedSize - p.retainedSize || q.objects - p.objects || (p.name < q.name ? -1 : 1));
    const analysis = (performance.now() - t0) / 1000;
    this.result = { files, leaks, seconds: { snapshots: snapshotSeconds, analysis } };
    writeAtomically(join(this.dir, "report.json"), JSON.stringify(this.result, null, 2) + "\n");
    // Paths in the text are relative to where vitest was started, as a terminal user reads them.
    const fromCwd = relative(process.cwd(), this.dir).split(sep).join("/") || ".";
    this.print(leaksText(this.result, fromCwd.startsWith("..") ? this.dir : fromCwd, this.options.classes, process.cwd()));
  }

  private relative(file: string): string {
    const r = relative(this.root, file);
    return (r.startsWith("..") ? file : r).split(sep).join("/");
  }

  private print(text: string): void {
    if (this.options.write) this.options.write(text);
    else if (this.vitest) this.vitest.logger.log(text);
    else process.stdout.write(text + "\n");
  }
}

/** The whole run as text. */
export function leaksText(r: LeakReportFile, dir: string, classes?: number, relativeTo?: string): string {
  const timing = `snapshots took ${r.seconds.snapshots.toFixed(1)} s in the workers, analysis ${r.seconds.analysis.toFixed(1)} s`;
  const fileLeaks = r.leaks.filter((l) => !l.name.includes(" > ")).length;
  // No file measured is not an all-clear: the setup file did not run, or every file failed first.
  if (r.files === 0) return `\nbackrefs: no test file was checked for leaks (is backrefs/vitest/setup in setupFiles?)\n`;
  if (r.leaks.length === 0) return `\nbackrefs: no test file left objects alive after a GC (${r.files} checked; ${timing})\n`;
  return (
    `\nbackrefs: ${fileLeaks} of ${r.files} test files left objects alive after a GC, worst first (${timing}):\n` +
    formatLeftoverReports(r.leaks, { classes, relativeTo }) +
    `report: ${dir}/report.json\n`
  );
}
