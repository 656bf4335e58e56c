/**
 * What grew: comparing snapshots of one process by object id (DevTools' Comparison view,
 * objgraph's `show_growth`), and MemLab's three-snapshot leak method.
 */
import type { HeapAnalysis } from "../graph/analysis.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import type { IdSet } from "../graph/id-set.js";
import { assertComparableIds, idTrust, SnapshotIds } from "./id-trust.js";

export interface ClassDiff {
  className: string;
  countBefore: number;
  countAfter: number;
  /** Objects in `after` whose id is not in `before` (null when the snapshots are not comparable by id). */
  new: number | null;
  /** Objects in `before` whose id is not in `after` (null when not comparable by id). */
  deleted: number | null;
  /** countAfter − countBefore. */
  delta: number;
  selfSizeBefore: number;
  selfSizeAfter: number;
  selfSizeDelta: number;
  retainedSizeBefore?: number;
  retainedSizeAfter?: number;
  retainedSizeDelta?: number;
}

export interface SnapshotDiff {
  /**
   * True when objects can be matched by id (the name is historical: false also for one process
   * whose heap profiler was reset between the snapshots). Same as `idsComparable`.
   */
  sameProcess: boolean;
  /** True when an id names the same object in both snapshots, so `new` and `deleted` mean something. */
  idsComparable: boolean;
  /** Why objects cannot be matched by id (absent when they can). */
  idsMismatch?: string;
  /** Ids present in both snapshots. */
  sharedIds: number;
  /** Every class present in either snapshot, what grew most first. */
  classes: ClassDiff[];
}

/** How many example ids a leak group lists. */
const EXAMPLES = 5;

/** Node types that are the engine's own bookkeeping, left out of leak reports unless asked. */
const INTERNAL_TYPES = new Set(["hidden", "code", "object shape", "synthetic", "number"]);

interface Side {
  graph: HeapGraph;
  analysis?: HeapAnalysis;
}

/** Per class name: count and self size of the nodes a mask selects (all nodes without a mask). */
function perClass(side: Side, mask?: (n: number) => boolean): Map<string, { count: number; self: number }> {
  const { graph } = side;
  const { nodeClass } = graph.classes();
  const shallow = side.analysis?.shallowSizes();
  const byId = new Map<number, { count: number; self: number }>();
  const synthetic = graph.types.synthetic;
  for (let n = 0; n < graph.nodeCount; n++) {
    if (graph.nodeType(n) === synthetic) continue;
    if (mask && !mask(n)) continue;
    const c = nodeClass[n]!;
    let e = byId.get(c);
    if (!e) byId.set(c, (e = { count: 0, self: 0 }));
    e.count++;
    e.self += shallow ? shallow[n]! : graph.selfSize(n);
  }
  const out = new Map<string, { count: number; self: number }>();
  for (const [c, v] of byId) {
    const name = graph.classNameOf(c);
    const have = out.get(name);
    if (have) {
      have.count += v.count;
      have.self += v.self;
    } else out.set(name, v);
  }
  return out;
}

/** Retained size per class name, not double counted (needs the analysis). */
function retainedPerClass(side: Side, filter?: Uint8Array): Map<string, number> {
  const out = new Map<string, number>();
  if (!side.analysis) return out;
  const sizes = side.analysis.classRetainedSizes(filter);
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] === 0) continue;
    const name = side.graph.classNameOf(c);
    out.set(name, (out.get(name) ?? 0) + sizes[c]!);
  }
  return out;
}

/**
 * Compares two snapshots class by class, by object id when ids can be trusted ({@link idTrust}),
 * else by counts only (new and deleted are then null).
 *
 * @example
 * const d = diffSnapshots({ graph: before }, { graph: after });
 * d.classes[0]; // { className: "LeakyRequest", countBefore: 10, countAfter: 35, new: 25, deleted: 0, ... }
 */
export function diffSnapshots(before: Side, after: Side): SnapshotDiff {
  const beforeIds = SnapshotIds.of(before.graph);
  const afterIds = SnapshotIds.of(after.graph);
  const trust = idTrust(beforeIds, afterIds);
  const same = trust.comparable;
  const b = perClass(before);
  const a = perClass(after);
  const added = same ? perClass(after, (n) => !beforeIds.has(after.graph.nodeId(n))) : null;
  const deleted = same ? perClass(before, (n) => !afterIds.has(before.graph.nodeId(n))) : null;
  const rb = retainedPerClass(before);
  const ra = retainedPerClass(after);
  const withRetained = before.analysis !== undefined && after.analysis !== undefined;
  const names = new Set([...b.keys(), ...a.keys()]);
  const classes: ClassDiff[] = [];
  for (const name of names) {
    const x = b.get(name) ?? { count: 0, self: 0 };
    const y = a.get(name) ?? { count: 0, self: 0 };
    const row: ClassDiff = {
      className: name,
      countBefore: x.count,
      countAfter: y.count,
      new: added ? (added.get(name)?.count ?? 0) : null,
      deleted: deleted ? (deleted.get(name)?.count ?? 0) : null,
      delta: y.count - x.count,
      selfSizeBefore: x.self,
      selfSizeAfter: y.self,
      selfSizeDelta: y.self - x.self,
    };
    if (withRetained) {
      row.retainedSizeBefore = rb.get(name) ?? 0;
      row.retainedSizeAfter = ra.get(name) ?? 0;
      row.retainedSizeDelta = row.retainedSizeAfter - row.retainedSizeBefore;
    }
    classes.push(row);
  }
  classes.sort(
    (p, q) =>
      q.delta - p.delta ||
      q.selfSizeDelta - p.selfSizeDelta ||
      (q.new ?? 0) - (p.new ?? 0) ||
      (p.className < q.className ? -1 : p.className > q.className ? 1 : 0),
  );
  return {
    sameProcess: same,
    idsComparable: same,
    ...(trust.reason ? { idsMismatch: trust.reason } : {}),
    sharedIds: trust.sharedIds,
    classes,
  };
}

export interface LeakGroup {
  className: string;
  count: number;
  selfSize: number;
  /** Retained size in the final snapshot, not double counted within the class. */
  retainedSize: number;
  /** A few heap ids (largest retained first), for `backrefs why --id`. */
  exampleIds: number[];
}

export interface LeakReport {
  /** Objects allocated after the baseline, present in the target and alive in the final snapshot. */
  leakedObjects: number;
  groups: LeakGroup[];
}

/**
 * MemLab's three-snapshot method: objects allocated after `baseline` (ids it lacks), present in
 * `target`, and still alive in `final`, grouped by class in the final snapshot, largest retained
 * size first. The engine's own bookkeeping (compiled code, hidden objects, shapes) is left out
 * unless `all` is set.
 *
 * Given {@link SnapshotIds} (not bare id sets), it first checks that the three snapshots can be
 * compared by id, and throws {@link IdMismatchError} when they cannot; `labels` name the three
 * snapshots in that message.
 *
 * @example
 * findLeaks(SnapshotIds.of(s1), SnapshotIds.of(s2), { graph: s3, analysis }).groups[0].className // "LeakyRequest"
 */
export function findLeaks(
  baseline: IdSet | SnapshotIds,
  target: IdSet | SnapshotIds,
  final: Required<Side>,
  options: { all?: boolean; labels?: [string, string, string] } = {},
): LeakReport {
  const g = final.graph;
  const [l1, l2, l3] = options.labels ?? ["the baseline", "the target", "the final snapshot"];
  if (baseline instanceof SnapshotIds && target instanceof SnapshotIds) assertComparableIds(baseline, target, [l1, l2]);
  if (target instanceof SnapshotIds) assertComparableIds(target, SnapshotIds.of(g), [l2, l3]);
  const leaked = new Uint8Array(g.nodeCount);
  const internal = new Set([...INTERNAL_TYPES].map((t) => g.nodeTypes.indexOf(t)).filter((t) => t >= 0));
  let leakedObjects = 0;
  for (let n = 0; n < g.nodeCount; n++) {
    const id = g.nodeId(n);
    if (baseline.has(id) || !target.has(id)) continue;
    if (!options.all && internal.has(g.nodeType(n))) continue;
    leaked[n] = 1;
    leakedObjects++;
  }
  const counts = perClass(final, (n) => leaked[n] === 1);
  const retained = retainedPerClass(final, leaked);
  const sizes = final.analysis.retainedSizes();
  // The five largest leaked objects of each class, kept while scanning (not every leaked object).
  const { nodeClass } = g.classes();
  const larger = (x: number, y: number): number => sizes[y]! - sizes[x]! || g.nodeId(y) - g.nodeId(x);
  const keepTop = (list: number[], n: number): void => {
    list.push(n);
    list.sort(larger);
    if (list.length > EXAMPLES) list.pop();
  };
  const byClassId = new Map<number, number[]>();
  for (let n = 0; n < g.nodeCount; n++) {
    if (leaked[n] !== 1) continue;
    let list = byClassId.get(nodeClass[n]!);
    if (!list) byClassId.set(nodeClass[n]!, (list = []));
    keepTop(list, n);
  }
  const examples = new Map<string, number[]>();
  for (const [classId, list] of byClassId) {
    const name = g.classNameOf(classId);
    const merged = examples.get(name) ?? [];
    for (const n of list) keepTop(merged, n);
    examples.set(name, merged);
  }
  const groups: LeakGroup[] = [...counts].map(([className, c]) => {
    const ordinals = examples.get(className) ?? [];
    return {
      className,
      count: c.count,
      selfSize: c.self,
      retainedSize: retained.get(className) ?? 0,
      exampleIds: ordinals.map((n) => g.nodeId(n)),
    };
  });
  groups.sort((p, q) => q.retainedSize - p.retainedSize || q.count - p.count || (p.className < q.className ? -1 : 1));
  return { leakedObjects, groups };
}
