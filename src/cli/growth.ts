/**
 * What grew: `types`, `diff`, `leaks`, and the CI gate `check`. Each parses nothing and computes
 * nothing of its own: it asks the library object (`openSnapshot(...)`) and prints the answer.
 */
import { join } from "node:path";
import { LimitError } from "../errors.js";
import { LEAK_CLASSES_EXPLAINED, LEAK_COUNT_READ_AHEAD, rankDiff, type ClassDiff, type DiffSort } from "../query/growth.js";
import { isGeneric, programFirst } from "../query/generic-classes.js";
import { assertComparableIds, SnapshotIds } from "../query/id-trust.js";
import { countLimits, LIMIT_FLAGS, needsBaseline, needsRetained, type Limit, type LimitKind } from "../query/check.js";
import { UsageError } from "./usage.js";
import type { ClassSort } from "../query/summary.js";
import { formatBytes, formatCount, sanitizeText, truncateText } from "../render/format.js";
import { classTableText } from "./info.js";
import { loadIds, openForCli, openForIds, type Streams } from "./io.js";
import { table } from "./table.js";
import { checkWritableDir, displayName, makeDir } from "./output-paths.js";
import { formatGroupedText } from "../render/grouped-text.js";
import { ExitCode } from "./exit-codes.js";
import { Snapshot } from "../api/snapshot.js";

export type { Limit } from "../query/check.js";

/** Patterns printed per class explained by `leaks`. */
const LEAK_PATTERNS = 3;

interface Common {
  json: boolean;
  quiet: boolean;
  retained: boolean;
}

const signed = (n: number): string => (n > 0 ? `+${formatCount(n)}` : formatCount(n));
const signedBytes = (n: number): string => (n > 0 ? `+${formatBytes(n)}` : formatBytes(n));

// ---------------------------------------------------------------------------- types

export interface TypesOptions extends Common {
  top: number;
  sort?: ClassSort;
}

/** The class table: DevTools' Summary, objgraph's `most_common_types` with sizes. */
export async function runTypes(file: string, opts: TypesOptions, io: Streams): Promise<number> {
  const { snap, progress } = await openForCli(file, io, opts.quiet, "analysis: ", opts.retained !== false);
  const rows = await snap.types({ top: opts.top, sort: opts.sort, retained: opts.retained });
  progress.done();
  io.stdout.write(opts.json ? JSON.stringify(rows, null, 2) + "\n" : classTableText(rows) + "\n");
  return ExitCode.ok;
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

/**
 * A class as a table names it: a name shown on several rows (DevTools splits same-named
 * constructors by script) says where each is defined, `Item (script 12, line 3)`, as `types` does.
 */
function classLabel(c: { className: string; location?: { scriptId: number; line: number } }, rows: Array<{ className: string }>): string {
  if (!c.location || rows.filter((r) => r.className === c.className).length < 2) return sanitizeText(c.className);
  return `${sanitizeText(truncateText(c.className, 40))} (script ${c.location.scriptId}, line ${c.location.line + 1})`;
}

function diffTable(rows: ClassDiff[], sameProcess: boolean): string {
  const withRetained = rows.some((r) => r.retainedSizeDelta !== undefined);
  const head = [
    "class",
    "before",
    "after",
    ...(sameProcess ? ["new", "deleted"] : []),
    "delta",
    "size delta",
    ...(withRetained ? ["retained delta"] : []),
  ];
  return table(
    head,
    rows.map((r) => [
      classLabel(r, rows),
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
  const sort: DiffSort = opts.sort ?? "count";
  if ((sort === "retained" || sort === "retained-growth") && !opts.retained) {
    throw new UsageError(`--sort ${sort} needs retained sizes: drop --no-retained`);
  }
  const before = await openForCli(beforeFile, io, opts.quiet, "before: ", opts.retained !== false);
  const after = await openForCli(afterFile, io, opts.quiet, "after: ", opts.retained !== false);
  // With --json and no --top, every changed class; otherwise the top of each list.
  const cut = !opts.json || opts.topGiven === true;
  const d = await after.snap.diff(before.snap, { top: cut ? opts.top : undefined, sort, all: opts.all, retained: opts.retained });
  before.progress.done();
  after.progress.done();
  if (sort === "new" && d.sort !== "new") {
    io.stderr.write("backrefs: objects cannot be matched by id, so there are no new objects to sort by: sorting by count\n");
  }
  if (opts.json) {
    const {
      classes,
      sort: used,
      grew,
      shrank,
      grewTotal: _g,
      shrankTotal: _s,
      classesOmitted,
      unchangedClasses,
      idsReset: _r,
      ...head
    } = d;
    const out = { ...head, sort: used, grew, shrank, classes, classesOmitted, unchangedClasses };
    io.stdout.write(JSON.stringify(out, null, 2) + "\n");
    return ExitCode.ok;
  }
  if (!d.idsComparable) {
    io.stdout.write(
      `Objects cannot be matched by id: ${d.idsMismatch}. The snapshots come from different\n` +
        "processes, or from one process whose heap profiler was reset between them (ids start again).\n" +
        "Comparing counts per class only (no new/deleted columns).\n\n",
    );
  }
  // The listed rows, in the library's order (a name can have several rows: one per script).
  const ranked = rankDiff(d.classes, d.sort);
  const shownGrew = ranked.grew.slice(0, d.grew.length);
  const shownShrank = ranked.shrank.slice(0, d.shrank.length);
  const words = SORT_WORDS[d.sort];
  const section = (title: string, rows: ClassDiff[], total: number): string =>
    `${title[0]!.toUpperCase()}${title.slice(1)}${total > rows.length ? ` — top ${formatCount(rows.length)} of ${formatCount(total)}` : ""}:\n` +
    (rows.length ? diffTable(rows, d.idsComparable) : "  (none)") +
    "\n";
  io.stdout.write(section(words.grew, shownGrew, d.grewTotal));
  io.stdout.write("\n" + section(words.shrank, shownShrank, d.shrankTotal));
  const notes: string[] = [];
  if (d.classesOmitted > 0) {
    notes.push(
      `${formatCount(d.classesOmitted)} more classes changed but are not listed (raise --top, try another --sort; --json lists every changed class)`,
    );
  }
  if (!opts.all) notes.push("engine internals left out (--all shows them)");
  if (notes.length) io.stdout.write(`\n${notes.join("; ")}\n`);
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------- leaks

export interface LeaksOptions extends Common {
  top: number;
  all: boolean;
  /** Of how many classes to print why they are alive (default {@link LEAK_CLASSES_EXPLAINED}). */
  explain?: number;
}

export async function runLeaks(
  baselineFile: string,
  targetFile: string,
  finalFile: string,
  opts: LeaksOptions,
  io: Streams,
): Promise<number> {
  // One snapshot in memory at a time: the first two only lend their ids. A snapshot the cache
  // answers takes next to no memory until its columns are read, so when the first two came from
  // the cache the final one is opened at once: the read-ahead thread then reads what the report
  // needs of it while this thread takes the ids of the first two. One read from its file is let go
  // as soon as its ids are taken, before the next is opened.
  // (Taken out of `opened` to be let go: this function's variables live until it returns.)
  const opened = [await openForIds(baselineFile, io, opts.quiet)];
  if (!opened[0]!.read) opened.push(await openForIds(targetFile, io, opts.quiet));
  const early = opened.length === 2 && !opened[1]!.read ? await openForCli(finalFile, io, opts.quiet, "final: ") : null;
  early?.snap.graph.readAhead(LEAK_COUNT_READ_AHEAD);
  const baseline = SnapshotIds.of(opened.shift()!.snap.graph);
  const target = SnapshotIds.of((opened.shift() ?? (await openForIds(targetFile, io, opts.quiet))).snap.graph);
  const { snap, progress } = early ?? (await openForCli(finalFile, io, opts.quiet, "final: "));
  const labels: [string, string, string] = [displayName(baselineFile), displayName(targetFile), displayName(finalFile)];
  const report = await snap.leaks(baseline, target, {
    all: opts.all,
    labels,
    top: opts.top,
    explain: opts.explain ?? LEAK_CLASSES_EXPLAINED,
    patterns: LEAK_PATTERNS,
  });
  progress.done();
  const groups = report.groups;
  if (opts.json) {
    io.stdout.write(JSON.stringify({ leakedObjects: report.leakedObjects, groups }, null, 2) + "\n");
    return ExitCode.ok;
  }
  io.stdout.write(
    `${formatCount(report.leakedObjects)} objects allocated after the baseline are still alive in the final snapshot` +
      `${opts.all ? "" : " (engine internals left out; --all shows them)"}:\n`,
  );
  io.stdout.write(
    table(
      ["class", "count", "self size", "retained size", "e.g."],
      groups.map((g) => [
        classLabel(g, groups),
        formatCount(g.count),
        formatBytes(g.selfSize),
        formatBytes(g.retainedSize),
        g.exampleIds
          .slice(0, 2)
          .map((id) => `@${id}`)
          .join(" "),
      ]),
    ) + "\n",
  );
  if (groups.length > 0) {
    io.stdout.write(
      `\nWhy they are alive (retaining paths in the final snapshot, grouped; "cut here": where a path passes from objects of the baseline to new ones for the last time):\n\n`,
    );
    for (const explained of report.explained) io.stdout.write(formatGroupedText(explained) + "\n");
    // The listed classes not explained that could tell a leak (not the arrays, closures… they hold).
    const shown = new Set(report.explained.flatMap((r) => r.targetGroups.map((t) => t.className)));
    const rest = [...new Set(programFirst(groups).map((c) => c.className))].filter((name) => !shown.has(name) && !isGeneric(name));
    if (rest.length > 0) {
      const names = rest.slice(0, 6).map((name) => sanitizeText(truncateText(name, 40)));
      io.stdout.write(
        `Not explained: ${names.join(", ")}${rest.length > names.length ? `, and ${formatCount(rest.length - names.length)} more` : ""}` +
          ` (--explain ${shown.size + rest.length} explains ${rest.length === 1 ? "it" : "them"} too)\n`,
      );
    }
  }
  // An object of the first class explained (the program's own, when one leaked).
  const first = report.explained[0]?.targetGroups[0]?.className;
  const hint = groups.find((g) => g.className === first) ?? groups[0];
  if (hint) {
    io.stderr.write(`why is it alive: backrefs why ${sanitizeText(finalFile)} --id @${hint.exampleIds[0]}\n`);
  }
  return ExitCode.ok;
}

// ---------------------------------------------------------------------------- check (CI gate)

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

/** The usage error for a limit on a class no snapshot has, with the closest class names. */
function absentClass(e: LimitError): UsageError {
  const flag = LIMIT_FLAGS[e.kind as LimitKind] ?? e.kind;
  const name = sanitizeText(e.limit.className);
  const where = e.twoSnapshots ? "in either snapshot" : "in the snapshot";
  return new UsageError(
    `${flag} ${name}: no class '${name}' ${where}, so this limit could never fail` +
      `${e.suggestions.length ? `; did you mean ${e.suggestions.map(sanitizeText).join(", ")}?` : ""}` +
      ` (--allow-absent lets limits name classes that may not exist)`,
  );
}

export async function runCheck(file: string, opts: CheckOptions, io: Streams): Promise<number> {
  checkWritableDir(opts.pictureDir);
  const current = await openForCli(file, io, opts.quiet, "snapshot: ");
  const limits = {
    maxCount: opts.maxCount,
    maxRetained: opts.maxRetained,
    maxGrowth: opts.maxGrowth,
    maxRetainedGrowth: opts.maxRetainedGrowth,
  };
  const labels: [string, string] = [displayName(opts.baseline ?? ""), displayName(file)];
  // Only growth limits need the baseline's graph; pictures only its ids.
  const growthLimits = needsBaseline(limits);
  const before = growthLimits ? await openForCli(opts.baseline!, io, opts.quiet, "baseline: ") : undefined;
  let verdict;
  try {
    verdict = await current.snap.check({ ...limits, baseline: before?.snap, allowAbsent: opts.allowAbsent, labels });
  } catch (e) {
    throw e instanceof LimitError ? absentClass(e) : e;
  }
  current.progress.done();
  before?.progress.done();
  // A failing class with objects is drawn: the layout worker starts now, loading Graphviz on its
  // own thread while this one finds the baseline's ids and walks the class's retaining paths.
  const drawing = verdict.violations.some((v) => (verdict.counts[v.className] ?? 0) > 0);
  const draw = drawing ? await import("./draw.js") : null;
  draw?.prepareDrawing();
  const fmt = (bytes: boolean, n: number): string => (bytes ? formatBytes(n) : formatCount(n));
  // One baseline id set serves every picture.
  let baselineIds: SnapshotIds | undefined;
  try {
    if (before) baselineIds = Snapshot.state(before.snap).snapshotIds();
    else if (opts.baseline) {
      baselineIds = await loadIds(opts.baseline, io, opts.quiet);
      assertComparableIds(baselineIds, current.snap.graph, labels);
    }
  } catch (e) {
    draw?.abandonDrawing();
    throw e;
  }
  const report = [];
  for (const v of verdict.violations) {
    let picture: string | null = null;
    if ((verdict.counts[v.className] ?? 0) > 0) {
      makeDir(opts.pictureDir);
      picture = join(opts.pictureDir, `backrefs-${v.className.replace(/[^\w.-]+/g, "_").slice(0, 80)}.svg`);
      await draw!.drawToFile(current.snap, v.className, picture, {
        baseline: baselineIds,
        retained: needsRetained(limits),
        io,
        quiet: opts.quiet,
      });
    }
    report.push({ ...v, picture });
    io.stderr.write(
      `backrefs check: FAIL ${sanitizeText(v.className)} ${v.what} ${fmt(v.bytes, v.actual)} > ${fmt(v.bytes, v.limit)}` +
        `${picture ? ` — what retains it: ${picture}` : ""}\n`,
    );
  }
  if (opts.json) io.stdout.write(JSON.stringify({ passed: verdict.passed, violations: report }, null, 2) + "\n");
  if (verdict.passed) {
    const n = countLimits(limits);
    io.stderr.write(`backrefs check: passed (${n} limit${n === 1 ? "" : "s"})\n`);
    return ExitCode.ok;
  }
  return ExitCode.gateFailed;
}
