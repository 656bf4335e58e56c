/**
 * What grew: `types`, `diff`, `leaks`, and the CI gate `check`.
 */
import { join } from "node:path";
import { HeapAnalysis } from "../graph/analysis.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { classChanged, diffSnapshots, findLeaks, rankDiff, type ClassDiff, type DiffSort } from "../query/growth.js";
import { assertComparableIds, SnapshotIds } from "../query/id-trust.js";
import { closestNames } from "../query/select.js";
import { UsageError } from "./usage.js";
import { classStat, classTable, topIndices, type ClassSort, type ClassStat } from "../query/summary.js";
import { formatBytes, formatCount, sanitizeText } from "../render/format.js";
import { classTableText } from "./info.js";
import { analyse, loadIds, loadSnapshot, type Streams } from "./io.js";
import { table } from "./table.js";
import { checkWritableDir, displayName, drawToFile } from "./draw.js";
import { walkContext } from "../query/backrefs.js";
import { groupRetainingPaths } from "../query/group.js";
import { formatGroupedText } from "../render/grouped-text.js";

/** Classes of `leaks` whose leaked objects' retaining paths are printed, grouped. */
const LEAK_CLASSES_EXPLAINED = 3;
/** Patterns printed per class there. */
const LEAK_PATTERNS = 3;

interface Common {
  json: boolean;
  quiet: boolean;
  retained: boolean;
}

async function load(file: string, opts: Common, io: Streams, label: string): Promise<{ graph: HeapGraph; analysis?: HeapAnalysis }> {
  const { graph, progress } = await loadSnapshot(file, io, opts.quiet);
  const analysis = opts.retained ? await analyse(graph, progress, true, `${label}: `) : undefined;
  progress.done();
  return { graph, analysis };
}

const signed = (n: number): string => (n > 0 ? `+${formatCount(n)}` : formatCount(n));
const signedBytes = (n: number): string => (n > 0 ? `+${formatBytes(n)}` : formatBytes(n));

// ---------------------------------------------------------------------------- types

export interface TypesOptions extends Common {
  top: number;
  sort?: ClassSort;
}

/** The class table: DevTools' Summary, objgraph's `most_common_types` with sizes. */
export function classRows(graph: HeapGraph, analysis: HeapAnalysis | undefined, top: number, sort: ClassSort): ClassStat[] {
  const t = classTable(graph, analysis);
  return topIndices(t, top, sort).map((i) => classStat(graph, t, i));
}

export async function runTypes(file: string, opts: TypesOptions, io: Streams): Promise<number> {
  const { graph, analysis } = await load(file, opts, io, "analysis");
  const sort = opts.sort ?? (opts.retained ? "retained" : "count");
  const rows = classRows(graph, analysis, opts.top, sort);
  io.stdout.write(opts.json ? JSON.stringify(rows, null, 2) + "\n" : classTableText(rows) + "\n");
  return 0;
}

// ---------------------------------------------------------------------------- diff

export interface DiffOptions extends Common {
  top: number;
  /** True when the user gave --top (JSON then cuts to it too; otherwise JSON lists every changed class). */
  topGiven?: boolean;
  sort?: DiffSort;
  /** Include the engine's own bookkeeping. */
  all?: boolean;
}

function diffTable(rows: ClassDiff[], sameProcess: boolean): string {
  const withRetained = rows.some((r) => r.retainedSizeDelta !== undefined);
  const head = ["class", "before", "after", ...(sameProcess ? ["new", "deleted"] : []), "delta", "size delta", ...(withRetained ? ["retained delta"] : [])];
  return table(
    head,
    rows.map((r) => [
      sanitizeText(r.className),
      formatCount(r.countBefore),
      formatCount(r.countAfter),
      ...(sameProcess ? [formatCount(r.new ?? 0), formatCount(r.deleted ?? 0)] : []),
      signed(r.delta),
      signedBytes(r.selfSizeDelta),
      ...(withRetained ? [signedBytes(r.retainedSizeDelta ?? 0)] : []),
    ]),
  );
}

/** How each sort names its two lists. */
const SORT_WORDS: Record<DiffSort, { grew: string; shrank: string }> = {
  count: { grew: "grew (by object count)", shrank: "shrank (by object count)" },
  new: { grew: "new objects (allocated since <before>, still alive)", shrank: "deleted objects (in <before>, gone since)" },
  self: { grew: "grew (by self size)", shrank: "shrank (by self size)" },
  retained: { grew: "retained size grew (largest retained size now first)", shrank: "retained size shrank (largest before first)" },
  "retained-growth": { grew: "grew (by retained size)", shrank: "shrank (by retained size)" },
};

export async function runDiff(beforeFile: string, afterFile: string, opts: DiffOptions, io: Streams): Promise<number> {
  let sort: DiffSort = opts.sort ?? "count";
  if ((sort === "retained" || sort === "retained-growth") && !opts.retained) {
    throw new UsageError(`--sort ${sort} needs retained sizes: drop --no-retained`);
  }
  const before = await load(beforeFile, opts, io, "before");
  const after = await load(afterFile, opts, io, "after");
  const diff = diffSnapshots(before, after, { hideInternals: !opts.all });
  if (sort === "new" && !diff.idsComparable) {
    io.stderr.write("backrefs: objects cannot be matched by id, so there are no new objects to sort by: sorting by count\n");
    sort = "count";
  }
  const { grew, shrank } = rankDiff(diff.classes, sort);
  const changed = diff.classes.filter(classChanged);
  // With --json and no --top, every changed class; otherwise the top of each list.
  const cut = !opts.json || opts.topGiven === true;
  const shownGrew = cut ? grew.slice(0, opts.top) : grew;
  const shownShrank = cut ? shrank.slice(0, opts.top) : shrank;
  const listed = new Set([...shownGrew, ...shownShrank]);
  const omitted = changed.filter((c) => !listed.has(c)).length;
  if (opts.json) {
    const { classes: _all, ...head } = diff;
    // Every changed class once: the grown, the shrunk, then those changed by other measures.
    const classes = cut ? [...listed] : [...new Set([...grew, ...shrank, ...changed])];
    const out = {
      ...head,
      sort,
      grew: shownGrew.map((c) => c.className),
      shrank: shownShrank.map((c) => c.className),
      classes,
      classesOmitted: cut ? omitted : 0,
      unchangedClasses: diff.classes.length - changed.length,
    };
    io.stdout.write(JSON.stringify(out, null, 2) + "\n");
    return 0;
  }
  if (!diff.idsComparable) {
    io.stdout.write(
      `Objects cannot be matched by id: ${diff.idsMismatch}. The snapshots come from different\n` +
        "processes, or from one process whose heap profiler was reset between them (ids start again).\n" +
        "Comparing counts per class only (no new/deleted columns).\n\n",
    );
  }
  const words = SORT_WORDS[sort];
  const section = (title: string, rows: ClassDiff[], total: number): string =>
    `${title[0]!.toUpperCase()}${title.slice(1)}${total > rows.length ? ` — top ${formatCount(rows.length)} of ${formatCount(total)}` : ""}:\n` +
    (rows.length ? diffTable(rows, diff.idsComparable) : "  (none)") +
    "\n";
  io.stdout.write(section(words.grew, shownGrew, grew.length));
  io.stdout.write("\n" + section(words.shrank, shownShrank, shrank.length));
  const notes: string[] = [];
  if (omitted > 0) notes.push(`${formatCount(omitted)} more classes changed but are not listed (raise --top, try another --sort; --json lists every changed class)`);
  if (!opts.all) notes.push("engine internals left out (--all shows them)");
  if (notes.length) io.stdout.write(`\n${notes.join("; ")}\n`);
  return 0;
}

// ---------------------------------------------------------------------------- leaks

export interface LeaksOptions extends Common {
  top: number;
  all: boolean;
}

export async function runLeaks(baselineFile: string, targetFile: string, finalFile: string, opts: LeaksOptions, io: Streams): Promise<number> {
  // One snapshot in memory at a time: the first two only lend their ids.
  const baseline = await loadIds(baselineFile, io, opts.quiet);
  const target = await loadIds(targetFile, io, opts.quiet);
  const { graph, analysis } = await load(finalFile, { ...opts, retained: true }, io, "final");
  const labels: [string, string, string] = [displayName(baselineFile), displayName(targetFile), displayName(finalFile)];
  const report = findLeaks(baseline, target, { graph, analysis: analysis! }, { all: opts.all, labels });
  const groups = report.groups.slice(0, opts.top);
  if (opts.json) {
    io.stdout.write(JSON.stringify({ leakedObjects: report.leakedObjects, groups }, null, 2) + "\n");
    return 0;
  }
  io.stdout.write(
    `${formatCount(report.leakedObjects)} objects allocated after the baseline are still alive in the final snapshot` +
      `${opts.all ? "" : " (engine internals left out; --all shows them)"}:\n`,
  );
  io.stdout.write(
    table(
      ["class", "count", "self size", "retained size", "e.g."],
      groups.map((g) => [sanitizeText(g.className), formatCount(g.count), formatBytes(g.selfSize), formatBytes(g.retainedSize), g.exampleIds.slice(0, 2).map((id) => `@${id}`).join(" ")]),
    ) + "\n",
  );
  // Why they are alive: the leaked objects of the largest classes, grouped by retaining path in the
  // final snapshot, with the reference where each path passes from old objects to new ones.
  const explained = groups.slice(0, LEAK_CLASSES_EXPLAINED).map((g) => g.className);
  if (explained.length > 0) {
    const wanted = new Map(explained.map((name, i) => [name, i]));
    const ordinals: number[][] = explained.map(() => []);
    const { nodeClass } = graph.classes();
    const names = new Map<number, number>();
    for (let n = 0; n < graph.nodeCount; n++) {
      const id = graph.nodeId(n);
      if (baseline.has(id) || !target.has(id)) continue;
      const c = nodeClass[n]!;
      let k = names.get(c);
      if (k === undefined) names.set(c, (k = wanted.get(graph.classNameOf(c)) ?? -1));
      if (k >= 0) ordinals[k]!.push(n);
    }
    const ctx = walkContext(graph, { analysis, retained: true });
    io.stdout.write(`\nWhy they are alive (retaining paths in the final snapshot, grouped; "cut here": where a path passes from objects of the baseline to new ones):\n\n`);
    for (const list of ordinals) {
      if (list.length === 0) continue;
      const report = groupRetainingPaths(graph, ctx, list, { baseline }).report(LEAK_PATTERNS);
      io.stdout.write(formatGroupedText(report) + "\n");
    }
  }
  if (groups[0]) {
    io.stderr.write(`why is it alive: backrefs why ${sanitizeText(finalFile)} --id @${groups[0].exampleIds[0]}\n`);
  }
  return 0;
}

// ---------------------------------------------------------------------------- check (CI gate)

/** Exit code of a failed gate: distinct from errors (1) and usage errors (2). */
export const GATE_FAILED = 3;

export interface Limit {
  className: string;
  value: number;
}

export interface CheckOptions extends Common {
  baseline?: string;
  maxCount?: Limit[];
  maxRetained?: Limit[];
  maxGrowth?: Limit[];
  maxRetainedGrowth?: Limit[];
  pictureDir: string;
  /** Limits may name classes that neither snapshot has (a class that should not exist at all). */
  allowAbsent?: boolean;
}

interface Violation {
  className: string;
  what: string;
  actual: number;
  limit: number;
  bytes: boolean;
}

/** The usage error for a limit on a class no snapshot has, with the closest class names. */
function absentClass(flag: string, limit: Limit, known: Map<string, number>, twoSnapshots: boolean): UsageError {
  const where = twoSnapshots ? "in either snapshot" : "in the snapshot";
  const suggestions = closestNames([limit.className], known);
  return new UsageError(
    `${flag} ${sanitizeText(limit.className)}: no class '${sanitizeText(limit.className)}' ${where}, so this limit could never fail` +
      `${suggestions.length ? `; did you mean ${suggestions.map(sanitizeText).join(", ")}?` : ""}` +
      ` (--allow-absent lets limits name classes that may not exist)`,
  );
}

export async function runCheck(file: string, opts: CheckOptions, io: Streams): Promise<number> {
  checkWritableDir(opts.pictureDir);
  const needsRetained = !!(opts.maxRetained?.length || opts.maxRetainedGrowth?.length);
  const common = { ...opts, retained: needsRetained };
  const current = await load(file, common, io, "snapshot");
  const stats = new Map<string, { count: number; retained: number }>();
  const t = classTable(current.graph, current.analysis);
  for (let i = 0; i < t.classIds.length; i++) {
    const name = current.graph.classNameOf(t.classIds[i]!);
    const s = stats.get(name) ?? { count: 0, retained: 0 };
    s.count += t.count[i]!;
    s.retained += t.retainedSize ? t.retainedSize[i]! : 0;
    stats.set(name, s);
  }
  const violations: Violation[] = [];
  const test = (limits: Limit[] | undefined, what: string, bytes: boolean, actual: (c: string) => number): void => {
    for (const l of limits ?? []) {
      const a = actual(l.className);
      if (a > l.value) violations.push({ className: l.className, what, actual: a, limit: l.value, bytes });
    }
  };
  let baselineIds: SnapshotIds | undefined;
  const labels: [string, string] = [displayName(opts.baseline ?? ""), displayName(file)];
  // Classes either snapshot has, with their counts (for "did you mean").
  const known = new Map<string, number>([...stats].map(([name, s]) => [name, s.count]));
  let growth: ((c: string) => ClassDiff | undefined) | undefined;
  if (opts.maxGrowth?.length || opts.maxRetainedGrowth?.length) {
    const before = await load(opts.baseline!, common, io, "baseline");
    baselineIds = SnapshotIds.of(before.graph);
    // Growth is counted per class, but the pictures mark what is new by id: both need one process.
    assertComparableIds(baselineIds, current.graph, labels);
    const diff = diffSnapshots(before, current, { beforeIds: baselineIds });
    const rows = new Map(diff.classes.map((r) => [r.className, r]));
    for (const r of diff.classes) known.set(r.className, Math.max(r.countBefore, r.countAfter));
    growth = (c) => rows.get(c);
  }
  // A limit on a class that no snapshot has can never fail: most likely a typo.
  if (!opts.allowAbsent) {
    const flags: Array<[string, Limit[] | undefined]> = [
      ["--max-count", opts.maxCount],
      ["--max-retained", opts.maxRetained],
      ["--max-growth", opts.maxGrowth],
      ["--max-retained-growth", opts.maxRetainedGrowth],
    ];
    for (const [flag, limits] of flags) {
      for (const l of limits ?? []) if (!known.has(l.className)) throw absentClass(flag, l, known, growth !== undefined);
    }
  }
  test(opts.maxCount, "count", false, (c) => stats.get(c)?.count ?? 0);
  test(opts.maxRetained, "retained size", true, (c) => stats.get(c)?.retained ?? 0);
  if (growth) {
    test(opts.maxGrowth, "growth", false, (c) => growth(c)?.delta ?? 0);
    test(opts.maxRetainedGrowth, "retained growth", true, (c) => growth(c)?.retainedSizeDelta ?? 0);
  }
  const fmt = (v: Violation, n: number): string => (v.bytes ? formatBytes(n) : formatCount(n));
  // One baseline id set and one analysis serve every picture.
  if (opts.baseline && !baselineIds) {
    baselineIds = await loadIds(opts.baseline, io, opts.quiet);
    assertComparableIds(baselineIds, current.graph, labels);
  }
  const analysis = current.analysis ?? new HeapAnalysis(current.graph);
  const report = [];
  for (const v of violations) {
    let picture: string | null = null;
    if ((stats.get(v.className)?.count ?? 0) > 0) {
      picture = join(opts.pictureDir, `backrefs-${v.className.replace(/[^\w.-]+/g, "_").slice(0, 80)}.svg`);
      await drawToFile(current.graph, { types: [v.className] }, picture, {
        baseline: baselineIds,
        analysis,
        retained: current.analysis !== undefined,
        io,
        quiet: opts.quiet,
      });
    }
    report.push({ ...v, picture });
    io.stderr.write(
      `backrefs check: FAIL ${sanitizeText(v.className)} ${v.what} ${fmt(v, v.actual)} > ${fmt(v, v.limit)}` +
        `${picture ? ` — what retains it: ${picture}` : ""}\n`,
    );
  }
  if (opts.json) io.stdout.write(JSON.stringify({ passed: violations.length === 0, violations: report }, null, 2) + "\n");
  if (violations.length === 0) {
    io.stderr.write(`backrefs check: passed (${[opts.maxCount, opts.maxRetained, opts.maxGrowth, opts.maxRetainedGrowth].reduce((n, l) => n + (l?.length ?? 0), 0)} limits)\n`);
    return 0;
  }
  return GATE_FAILED;
}
