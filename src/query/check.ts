/**
 * The leak gate: limits on a class's count, retained size, and growth since a baseline, and the
 * verdict. What `backrefs check` runs, what `Snapshot.check()` answers, and what a test runner's
 * integration can call; drawing what retains a failing class is the caller's business.
 */
import type { HeapAnalysis } from "../graph/analysis.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { LimitError, QueryError } from "../errors.js";
import { diffSnapshots, type ClassDiff } from "./growth.js";
import type { SnapshotIds } from "./id-trust.js";
import { closestNames } from "./select.js";
import { classTable } from "./summary.js";

/** One limit: objects (or bytes) of a class, by class name as DevTools shows it. */
export interface Limit {
  className: string;
  value: number;
}

/** A list of limits, or `{ ClassName: value }`. */
export type LimitList = readonly Limit[] | Readonly<Record<string, number>>;

/** The four kinds of limit, as `backrefs check` names them in its flags. */
export interface Limits {
  /** At most this many objects of the class (`--max-count`). */
  maxCount?: LimitList;
  /** At most this many bytes retained by the class (`--max-retained`). */
  maxRetained?: LimitList;
  /** At most this many more objects than in the baseline (`--max-growth`). */
  maxGrowth?: LimitList;
  /** At most this many more bytes retained than in the baseline (`--max-retained-growth`). */
  maxRetainedGrowth?: LimitList;
}

export type LimitKind = keyof Limits;

/** The flag of each kind, as the CLI and error messages name it. */
export const LIMIT_FLAGS: Readonly<Record<LimitKind, string>> = {
  maxCount: "--max-count",
  maxRetained: "--max-retained",
  maxGrowth: "--max-growth",
  maxRetainedGrowth: "--max-retained-growth",
};

/** One limit passed. The CLI's `check --json` prints these keys, in this order. */
export interface CheckViolation {
  className: string;
  what: "count" | "retained size" | "growth" | "retained growth";
  actual: number;
  limit: number;
  /** `actual` and `limit` are bytes (retained sizes), not object counts. */
  bytes: boolean;
}

export interface CheckVerdict {
  passed: boolean;
  /** How many limits were checked. */
  limits: number;
  violations: CheckViolation[];
  /** Objects of each class a limit names, in the snapshot checked (0 for a class it lacks). */
  counts: Record<string, number>;
}

interface Side {
  graph: HeapGraph;
  /** Needed for the retained-size limits. */
  analysis?: HeapAnalysis;
  /** 1 = leave the node out (a live snapshot's own objects). */
  exclude?: Uint8Array;
}

export interface CheckLimitsOptions {
  /** The earlier snapshot, for the growth limits (its ids must be comparable: the caller checks). */
  baseline?: Side & { ids?: SnapshotIds };
  /** Limits may name classes no snapshot has; by default that is a {@link LimitError} (a typo makes a gate that never fails). */
  allowAbsent?: boolean;
}

/** `[{ className, value }]` from either form of {@link LimitList}. */
export function limitList(list: LimitList | undefined): Limit[] {
  if (list === undefined) return [];
  if (Array.isArray(list)) return [...(list as readonly Limit[])];
  return Object.entries(list as Record<string, number>).map(([className, value]) => ({ className, value }));
}

/** How many limits there are in all. */
export function countLimits(limits: Limits): number {
  return (Object.keys(LIMIT_FLAGS) as LimitKind[]).reduce((n, k) => n + limitList(limits[k]).length, 0);
}

/** Whether the limits need retained sizes (and so dominators). */
export function needsRetained(limits: Limits): boolean {
  return limitList(limits.maxRetained).length > 0 || limitList(limits.maxRetainedGrowth).length > 0;
}

/** Whether the limits need a baseline snapshot. */
export function needsBaseline(limits: Limits): boolean {
  return limitList(limits.maxGrowth).length > 0 || limitList(limits.maxRetainedGrowth).length > 0;
}

/**
 * Checks `limits` on `current` (and, for growth, against `options.baseline`). Counts and retained
 * sizes are per class name: a name DevTools splits by script is totalled without double counting.
 * Growth is counted as `diff` counts it (engine internals included: a limit names a class).
 *
 * @throws {LimitError} when a limit names a class that neither snapshot has (unless `allowAbsent`).
 */
export function checkLimits(current: Side, limits: Limits, options: CheckLimitsOptions = {}): CheckVerdict {
  const stats = new Map<string, { count: number; retained: number }>();
  const { graph } = current;
  const t = classTable(graph, current.analysis, current.exclude);
  const groups = graph.classNameGroups();
  // Groups that merge nothing are left out: the whole heap's per-class sizes are then the ones the
  // analysis keeps (and a snapshot cache entry holds), not computed again walking the whole tree.
  const merges = groups.some((g, c) => g !== c);
  const retainedByName = current.analysis?.classRetainedSizes(
    current.exclude ? invert(current.exclude) : undefined,
    merges ? groups : undefined,
  );
  for (let i = 0; i < t.classIds.length; i++) {
    const name = graph.classNameOf(t.classIds[i]!);
    const s = stats.get(name) ?? { count: 0, retained: 0 };
    s.count += t.count[i]!;
    if (retainedByName) s.retained = retainedByName[groups[t.classIds[i]!]!]!;
    stats.set(name, s);
  }
  // Classes either snapshot has, with their counts (for "did you mean").
  const known = new Map<string, number>([...stats].map(([name, s]) => [name, s.count]));
  let growth: ((c: string) => ClassDiff | undefined) | undefined;
  const base = options.baseline;
  if (needsBaseline(limits) && !base) throw new QueryError("growth limits (maxGrowth, maxRetainedGrowth) need a baseline snapshot");
  if (base && needsBaseline(limits)) {
    // Limits name classes: one row per name, same-named classes from different scripts totalled.
    // Growth is a difference of counts (and sizes): the new and deleted objects are not needed.
    const diff = diffSnapshots(base, current, { ...(base.ids ? { beforeIds: base.ids } : {}), byName: true, newAndDeleted: false });
    const rows = new Map(diff.classes.map((r) => [r.className, r]));
    for (const r of diff.classes) known.set(r.className, Math.max(r.countBefore, r.countAfter));
    growth = (c) => rows.get(c);
  }
  if (!options.allowAbsent) {
    for (const kind of Object.keys(LIMIT_FLAGS) as LimitKind[]) {
      for (const l of limitList(limits[kind])) {
        if (!known.has(l.className)) throw new LimitError(kind, l, closestNames([l.className], known), growth !== undefined);
      }
    }
  }
  const violations: CheckViolation[] = [];
  const test = (kind: LimitKind, what: CheckViolation["what"], bytes: boolean, actual: (c: string) => number): void => {
    for (const l of limitList(limits[kind])) {
      const a = actual(l.className);
      if (a > l.value) violations.push({ className: l.className, what, actual: a, limit: l.value, bytes });
    }
  };
  test("maxCount", "count", false, (c) => stats.get(c)?.count ?? 0);
  test("maxRetained", "retained size", true, (c) => stats.get(c)?.retained ?? 0);
  if (growth) {
    test("maxGrowth", "growth", false, (c) => growth(c)?.delta ?? 0);
    test("maxRetainedGrowth", "retained growth", true, (c) => growth(c)?.retainedSizeDelta ?? 0);
  }
  const counts: Record<string, number> = {};
  for (const kind of Object.keys(LIMIT_FLAGS) as LimitKind[]) {
    for (const l of limitList(limits[kind])) counts[l.className] = stats.get(l.className)?.count ?? 0;
  }
  return { passed: violations.length === 0, limits: countLimits(limits), violations, counts };
}

/** 1 where `mask` is 0 and the other way round. */
function invert(mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let n = 0; n < mask.length; n++) out[n] = mask[n] === 1 ? 0 : 1;
  return out;
}
