/**
 * `expectNoLeaks(fn, { runs, types })`: runs `fn` several times in this process and fails when
 * objects it made keep piling up from run to run — with the grouped retaining paths in the
 * message and the picture written. Works in any test runner (vitest, node:test, …) and outside
 * one. No command-line flag is needed.
 *
 * How: a warm-up run first (caches that fill once, lazy setup), then a snapshot, half of the runs,
 * a snapshot, the other half, a snapshot. A class leaks when objects made in the first half AND in
 * the second half are still alive at the end: it grew in both halves. The snapshots go to a
 * temporary directory and are deleted; the analysis reads them back in this process.
 */
import { AssertionError } from "node:assert";
import { mkdirSync, mkdtempSync, rmdirSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HeapAnalysis } from "../graph/analysis.js";
import { loadHeapGraph } from "../graph/load.js";
import { maxObjectId } from "../query/leftovers.js";
import { formatBytes, formatCount } from "../render/format.js";
import { isRunnerScript, VITEST_GLOBALS } from "../vitest/options.js";
import { analyseLeftovers, formatLeftoverReports, pictureName, type LeftoverReport } from "./leak-report.js";
import { snapshotToFile } from "./snapshots.js";

export interface ExpectNoLeaksOptions {
  /** How many measured runs (after the warm-up), split in two halves; default 4, at least 2. */
  runs?: number;
  /** Warm-up runs before measuring; default 1. */
  warmup?: number;
  /** Only these classes count (default: every class). */
  types?: readonly string[];
  /** Where the picture goes when it fails (default `backrefs-leaks`, relative to the working directory). */
  dir?: string;
  /** Names the picture and the message (default `expectNoLeaks`; in vitest, the running test's name). */
  name?: string;
}

export interface NoLeaksResult {
  /** Seconds: taking the three snapshots (GC included), and reading and analysing them. */
  seconds: { snapshots: number; analysis: number };
  /** What was still alive from the measured runs, per class (empty classes when it passed cleanly). */
  report: LeftoverReport;
}

/**
 * Runs `fn` `warmup + runs` times and throws an AssertionError when objects keep growing across
 * the runs; resolves with the timings otherwise. Give the calling test a timeout of a few seconds
 * plus `runs` times `fn`'s own time: the three snapshots take about 1 s per 10 MB of heap each.
 *
 * @example
 * it("closing a session frees it", async () => {
 *   await expectNoLeaks(() => new Session("x").close(), { runs: 4, types: ["Session"] });
 * }, 60_000);
 */
export async function expectNoLeaks(fn: () => unknown, options: ExpectNoLeaksOptions = {}): Promise<NoLeaksResult> {
  const runs = Math.max(2, Math.floor(options.runs ?? 4));
  const warmup = Math.max(0, Math.floor(options.warmup ?? 1));
  const half = Math.floor(runs / 2);
  const name = options.name ?? "expectNoLeaks";
  const tmp = mkdtempSync(join(tmpdir(), "backrefs-nl-"));
  const files = [join(tmp, "0.heapsnapshot"), join(tmp, "1.heapsnapshot"), join(tmp, "2.heapsnapshot")];
  let snapshots = 0;
  try {
    for (let i = 0; i < warmup; i++) await fn();
    snapshots += snapshotToFile(files[0]!);
    for (let i = 0; i < half; i++) await fn();
    snapshots += snapshotToFile(files[1]!);
    for (let i = half; i < runs; i++) await fn();
    snapshots += snapshotToFile(files[2]!);

    const t0 = performance.now();
    const since0 = maxObjectId(await loadHeapGraph(files[0]!));
    const since1 = maxObjectId(await loadHeapGraph(files[1]!));
    const end = await loadHeapGraph(files[2]!);
    const common = {
      ignoreGlobals: VITEST_GLOBALS,
      runnerCode: isTestRunnerScript,
      types: options.types,
      root: process.cwd(),
      analysis: new HeapAnalysis(end),
    };
    const second = await analyseLeftovers(name, since1, end, common);
    const grewLate = new Set(second.classes.map((c) => c.className));
    const all = await analyseLeftovers(name, since0, end, { ...common });
    // Leaking classes: objects of the class made in the second half are alive, and more are
    // alive from both halves than from the second alone (so the first half's are too).
    const leaking = all.classes.filter(
      (c) => grewLate.has(c.className) && c.count > second.classes.find((s) => s.className === c.className)!.count,
    );
    let analysis = (performance.now() - t0) / 1000;
    if (leaking.length === 0)
      return { seconds: { snapshots, analysis }, report: { ...all, classes: [], objects: 0, selfSize: 0, retainedSize: 0 } };

    const dir = resolve(options.dir ?? "backrefs-leaks");
    mkdirSync(dir, { recursive: true });
    const picture = join(dir, pictureName(name));
    const t1 = performance.now();
    const report = await analyseLeftovers(name, since0, end, { ...common, types: leaking.map((c) => c.className), picture });
    analysis += (performance.now() - t1) / 1000;
    const classes = report.classes
      .map((c) => `${c.className} +${formatCount(c.count)} (${formatBytes(c.retainedSize)} retained)`)
      .join(", ");
    const message =
      `${name}: objects kept growing over ${runs} runs (after ${warmup} warm-up): ${classes}\n` +
      formatLeftoverReports([report], { relativeTo: process.cwd() }) +
      `(snapshots took ${snapshots.toFixed(1)} s, analysis ${analysis.toFixed(1)} s)`;
    throw new AssertionError({ message });
  } finally {
    // File by file, without rmSync: it loads Node's own rimraf on its first use in a process, whose
    // state a test runner's snapshot after this would count as new.
    for (const f of files) {
      try {
        unlinkSync(f);
      } catch {
        // Never written (fn threw before that snapshot).
      }
    }
    try {
      rmdirSync(tmp);
    } catch {
      // Not empty (something else wrote there): left, rather than hide the answer.
    }
  }
}

/** vitest's code, node:test's, and backrefs' own. */
export function isTestRunnerScript(script: string): boolean {
  return script.startsWith("node:internal/test_runner/") || isRunnerScript(script);
}
