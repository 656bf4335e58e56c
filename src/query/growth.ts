/**
 * What grew: comparing snapshots of one process by object id (DevTools' Comparison view,
 * objgraph's `show_growth`), and MemLab's three-snapshot leak method.
 */
import type { HeapAnalysis } from "../graph/analysis.js";
import type { ClassLocation, HeapGraph } from "../graph/heap-graph.js";
import type { IdSet } from "../graph/id-set.js";
import { assertComparableIds, idTrust, SnapshotIds } from "./id-trust.js";
import type { ReadAheadPart } from "../snapshot/columns.js";
import type { DiffSort } from "./growth-options.js";
export { DIFF_SORTS, LEAK_CLASSES_EXPLAINED, type DiffSort } from "./growth-options.js";

export interface ClassDiff {
  className: string;
  /**
   * Where the class's constructor is defined, when DevTools keeps same-named classes apart by it
   * (as `types` does): two `Item` classes from two scripts are two rows. Absent otherwise.
   */
  location?: ClassLocation;
  countBefore: number;
  countAfter: number;
  /**
   * Objects in `after` whose id is not in `before` (null when the snapshots are not comparable by
   * id, or when not asked for: `newAndDeleted: false`).
   */
  new: number | null;
  /** Objects in `before` whose id is not in `after` (null when not comparable by id, or not asked for). */
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
  /** True when the engine's own bookkeeping (compiled code, hidden objects, shapes, numbers) was left out. */
  internalsHidden: boolean;
  /** Every class present in either snapshot, what grew most first. */
  classes: ClassDiff[];
}

/**
 * What {@link findLeaks} and {@link leakFresh} read whole of the final snapshot: its ids, node
 * types, classes and sizes (a snapshot read back from the cache may read them ahead: HeapGraph.readAhead).
 */
export const LEAK_COUNT_READ_AHEAD: readonly ReadAheadPart[] = ["nodeId", "nodeType", "classes", "shallow"];

/** How many example ids a leak group lists. */
const EXAMPLES = 5;

/** Node types that are the engine's own bookkeeping, left out of leak reports and diffs unless asked. */
const INTERNAL_TYPES = new Set(["hidden", "code", "object shape", "synthetic", "number"]);

/** The type codes of {@link INTERNAL_TYPES} in a graph, as a lookup by type code. */
function internalTypeMask(g: HeapGraph): Uint8Array {
  const mask = new Uint8Array(Math.max(1, g.nodeTypes.length));
  g.nodeTypes.forEach((t, i) => {
    if (INTERNAL_TYPES.has(t)) mask[i] = 1;
  });
  return mask;
}

interface Side {
  graph: HeapGraph;
  analysis?: HeapAnalysis;
  /** 1 = leave this node out of every count (a live snapshot's own objects). */
  exclude?: Uint8Array;
}

/**
 * DevTools' key of a class in comparisons: the name, plus the constructor's location where
 * DevTools splits a name by it (`script,line,column,name`; `,name` otherwise). With `byName`, the
 * name alone.
 */
export function keyOf(graph: HeapGraph, c: number, byName: boolean): { key: string; className: string; location?: ClassLocation } {
  const className = graph.classNameOf(c);
  const location = byName ? null : graph.classLocation(c);
  return location ? { key: classKey(className, location), className, location } : { key: classKey(className), className };
}

/** The {@link keyOf} key of a class named `className`, defined at `location` when split by it. */
export function classKey(className: string, location?: ClassLocation | null): string {
  return location ? `${location.scriptId},${location.line},${location.column},${className}` : `,${className}`;
}

interface ClassTotals {
  count: number;
  self: number;
  className: string;
  location?: ClassLocation;
}

interface Counted {
  /** Per class key: the nodes counted. */
  all: Map<string, ClassTotals>;
  /** Per class key: those of them `marked` (absent without `marked`). */
  marked: Map<string, ClassTotals> | null;
  /**
   * For each class id, one id per class key (the first id met, in node order, with that key):
   * what retained totals per key need so as not to count an object twice. Null when no two class
   * ids of the graph's nodes share a key (each is its own group). Per name with `byName`
   * ({@link HeapGraph.classNameGroups}).
   */
  groups: Uint32Array | null;
}

/** Per-slot totals start with room for this many class ids, and double when full. */
const SLOTS = 1024;
/** Nodes per call of {@link tallyStretch}. */
const STRETCH = 1 << 15;

/** The running totals of {@link perClass}, per slot: a class id met, numbered in the order met. */
interface Tally {
  /** Class id → its slot + 1 (0: not met yet). */
  slotOf: Uint32Array;
  /** Slot → class id. */
  classOf: Uint32Array;
  count: Float64Array;
  self: Float64Array;
  /** Of the nodes counted, those whose id `absentFrom` lacks (null without it). */
  markedCount: Float64Array | null;
  markedSelf: Float64Array | null;
  slots: number;
}

/** What {@link tallyStretch} reads: one entry per node, except `internal` (per type code). */
interface TallyInput {
  nodeClass: Uint32Array;
  types: Uint8Array;
  synthetic: number;
  internal: Uint8Array | null;
  exclude: Uint8Array | null;
  only: Uint8Array | null;
  /** Sizes: DevTools' (the analysis'), else as written, else none (all 0). */
  shallow: Float64Array | null;
  raw: Uint32Array | null;
  ids: Uint32Array | null;
  absentFrom: IdSet | null;
}

/**
 * Per class key (see {@link keyOf}): count and self size of the nodes counted — not synthetic, not
 * excluded, not of a type `internal` marks (by type code), and with `only`, only those it marks
 * (1 = count) — and of those among them whose id `absentFrom` lacks (the new or the deleted
 * objects of a comparison). One pass over the nodes: each class id met gets a slot, numbered in
 * the order met (a few hundred, where class ids run as far as the strings table), totals per
 * slot in typed arrays, then per key.
 */
function perClass(
  side: Side,
  byName: boolean,
  options: { internal?: Uint8Array | null; only?: Uint8Array; list?: Uint32Array; absentFrom?: IdSet | null } = {},
): Counted {
  const { graph } = side;
  const { nodeClass } = graph.classes();
  const shallow = side.analysis?.shallowSizes() ?? null;
  const absentFrom = options.absentFrom ?? null;
  const input: TallyInput = {
    nodeClass,
    types: graph.columns.nodeType,
    synthetic: graph.types.synthetic,
    internal: options.internal ?? null,
    exclude: side.exclude ?? null,
    only: options.only ?? null,
    shallow,
    raw: shallow ? null : graph.columns.selfSize,
    ids: absentFrom ? graph.columns.nodeId : null,
    absentFrom,
  };
  const t: Tally = {
    slotOf: new Uint32Array(graph.classIdLimit),
    classOf: new Uint32Array(SLOTS),
    count: new Float64Array(SLOTS),
    self: new Float64Array(SLOTS),
    markedCount: absentFrom ? new Float64Array(SLOTS) : null,
    markedSelf: absentFrom ? new Float64Array(SLOTS) : null,
    slots: 0,
  };
  // In stretches: V8 optimises a short function called many times sooner, and better, than one
  // long loop run once. With a list, over the listed nodes only (positions in the list).
  const list = options.list ?? null;
  const end = list ? list.length : graph.nodeCount;
  for (let i = 0; i < end;) {
    i = tallyStretch(input, t, i, Math.min(end, i + STRETCH), list);
    if (t.slots === t.classOf.length) {
      t.classOf = grown(t.classOf);
      t.count = grown(t.count);
      t.self = grown(t.self);
      if (t.markedCount) t.markedCount = grown(t.markedCount);
      if (t.markedSelf) t.markedSelf = grown(t.markedSelf);
    }
  }
  const used = t.classOf.subarray(0, t.slots);
  return {
    all: byKey(graph, byName, used, t.count, t.self),
    marked: t.markedCount && t.markedSelf ? byKey(graph, byName, used, t.markedCount, t.markedSelf) : null,
    groups: byName ? nameGroups(graph) : keyGroups(graph, used),
  };
}

/**
 * {@link perClass}'s pass over nodes `from … to-1`, or over the nodes `list[from … to-1]` when a
 * list is given (then only their classes get slots). Every node met gets its class's slot, counted
 * or not (the key groups cover them all). Returns where it stopped: `to`, or earlier when the slots
 * are full (the caller makes room and calls again from there).
 */
function tallyStretch(input: TallyInput, t: Tally, from: number, to: number, list: Uint32Array | null): number {
  const { nodeClass, types, synthetic, internal, exclude, only, shallow, raw, ids, absentFrom } = input;
  const { slotOf, classOf, count, self, markedCount, markedSelf } = t;
  let slots = t.slots;
  let i = from;
  for (; i < to; i++) {
    const n = list === null ? i : list[i]!;
    const c = nodeClass[n]!;
    let s = slotOf[c]! - 1;
    if (s < 0) {
      if (slots === classOf.length) break;
      s = slots++;
      slotOf[c] = slots;
      classOf[s] = c;
    }
    const ty = types[n]!;
    if (ty === synthetic) continue;
    if (internal !== null && internal[ty] === 1) continue;
    if (exclude !== null && exclude[n] === 1) continue;
    if (only !== null && only[n] !== 1) continue;
    const size = shallow !== null ? shallow[n]! : raw !== null ? raw[n]! : 0;
    count[s]++;
    self[s] += size;
    if (absentFrom !== null && !absentFrom.has(ids![n]!)) {
      markedCount![s]++;
      markedSelf![s] += size;
    }
  }
  t.slots = slots;
  return i;
}

/** A typed array twice as long, its values kept. */
function grown<T extends Uint32Array | Float64Array>(a: T): T {
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}

/** Per-slot totals (slot s: class id `classOf[s]`) summed per class key (classes with no node counted left out). */
function byKey(graph: HeapGraph, byName: boolean, classOf: Uint32Array, count: Float64Array, self: Float64Array): Map<string, ClassTotals> {
  const out = new Map<string, ClassTotals>();
  for (let s = 0; s < classOf.length; s++) {
    if (count[s] === 0) continue;
    const { key, className, location } = keyOf(graph, classOf[s]!, byName);
    const have = out.get(key);
    if (have) {
      have.count += count[s]!;
      have.self += self[s]!;
    } else
      out.set(key, location ? { count: count[s]!, self: self[s]!, className, location } : { count: count[s]!, self: self[s]!, className });
  }
  return out;
}

/**
 * For each class id, one id per class key: the first of `classOf` (class ids in the order the
 * nodes meet them) with that key. Null when every key has one class id.
 */
function keyGroups(graph: HeapGraph, classOf: Uint32Array): Uint32Array | null {
  const first = new Map<string, number>();
  let groups: Uint32Array | null = null;
  for (const c of classOf) {
    const { key } = keyOf(graph, c, false);
    const f = first.get(key);
    if (f === undefined) first.set(key, c);
    else {
      if (!groups) {
        groups = new Uint32Array(graph.classIdLimit);
        for (let i = 0; i < groups.length; i++) groups[i] = i;
      }
      groups[c] = f;
    }
  }
  return groups;
}

/** {@link HeapGraph.classNameGroups}, or null when it merges nothing. */
function nameGroups(graph: HeapGraph): Uint32Array | null {
  const groups = graph.classNameGroups();
  for (let i = 0; i < groups.length; i++) if (groups[i] !== i) return groups;
  return null;
}

/**
 * Retained size per class key, not double counted (needs the analysis): `groups` as
 * {@link perClass} gives them (null: each class id its own group).
 */
function retainedPerClass(
  side: Side,
  byName: boolean,
  groups: Uint32Array | null,
  only?: { filter: Uint8Array; list: Uint32Array },
): Map<string, number> {
  const out = new Map<string, number>();
  if (!side.analysis) return out;
  let filter = only?.filter;
  // How many nodes the filter marks (at most: the excluded are left in a list's count).
  let marked = only ? only.list.length : side.graph.nodeCount;
  if (side.exclude) {
    const f = filter ? filter.slice() : new Uint8Array(side.graph.nodeCount).fill(1);
    let excluded = 0;
    for (let n = 0; n < f.length; n++) {
      if (side.exclude[n] === 1) {
        f[n] = 0;
        excluded++;
      }
    }
    filter = f;
    if (!only) marked -= excluded;
  }
  // One total per key (per name with byName: a name DevTools splits by script must not count an
  // object twice); only each group's first id carries a total.
  // Without groups (none merges anything) the whole heap's per-class sizes are the ones the
  // analysis keeps (and a snapshot cache entry holds).
  // A filter marking many of the nodes is walked with the whole tree: the marked objects' forest
  // would then take more memory than it.
  const sizes =
    filter && marked <= side.graph.nodeCount * MARKED_WALK_MAX_SHARE
      ? markedClassRetainedSizes(side.graph, side.analysis, filter, groups, only?.list)
      : side.analysis.classRetainedSizes(filter, groups ?? undefined);
  for (let c = 0; c < sizes.length; c++) {
    if (sizes[c] === 0) continue;
    const { key } = keyOf(side.graph, c, byName);
    out.set(key, (out.get(key) ?? 0) + sizes[c]!);
  }
  return out;
}

/**
 * The largest share of a graph's nodes whose per-class retained sizes are found by walking the
 * marked objects alone ({@link markedClassRetainedSizes}); above it, by the whole-tree walk. The
 * whole-tree walk holds 12 bytes per node (three arrays of 32-bit places); the marked forest 4 per
 * node plus about 30 per marked object (its links, and the objects and their parents in plain
 * arrays): at a quarter of the nodes marked the forest takes as much, and it reads as much.
 */
export const MARKED_WALK_MAX_SHARE = 0.25;

/**
 * What {@link HeapAnalysis.classRetainedSizes}`(filter, groups)` gives — retained size per class id
 * (per group with `groups`) of the nodes `filter` marks (1), an object counted only when no
 * dominator-tree ancestor of the same class (group) was, objects of size 0 neither counting nor
 * blocking — walking only the marked objects (a `leaks` report's few thousand) rather than the
 * whole tree: each marked object is linked to its nearest marked ancestor, and the walk goes
 * through that forest. Given `list` (every marked node, in any order; others may be in it too),
 * the links are found by walking up from the listed objects through their dominators, each
 * dominator met once; otherwise by one pass over the tree's places. Sizes and classes are read for
 * marked objects only.
 */
export function markedClassRetainedSizes(
  graph: HeapGraph,
  analysis: HeapAnalysis,
  filter: Uint8Array,
  groups: Uint32Array | null,
  list?: Uint32Array,
): Float64Array {
  const out = new Float64Array(graph.classIdLimit);
  if (graph.nodeCount === 0) return out;
  const { node, parent } = list ? markedForestUp(analysis, filter, list) : markedForestByPlace(analysis, filter);
  const L = node.length;
  // The marked forest as first child and next sibling; -1 is none.
  const firstChild = new Int32Array(L).fill(-1);
  const nextSibling = new Int32Array(L).fill(-1);
  const roots: number[] = [];
  for (let i = L - 1; i >= 0; i--) {
    const p = parent[i]!;
    if (p < 0) roots.push(i);
    else {
      nextSibling[i] = firstChild[p]!;
      firstChild[p] = i;
    }
  }
  roots.reverse();
  const { nodeClass } = graph.classes();
  const onPath = new Uint8Array(out.length);
  const marked = new Uint8Array(L);
  const classOf = (i: number): number => (groups ? groups[nodeClass[node[i]!]!]! : nodeClass[node[i]!]!);
  // An object counts when no marked ancestor of its class does: the sums do not depend on the
  // order the forest is walked in.
  for (const root of roots) {
    let i = root;
    walk: for (;;) {
      const c = classOf(i);
      if (onPath[c] === 0) {
        out[c]! += analysis.retainedSize(node[i]!);
        if (firstChild[i] !== -1) {
          onPath[c] = 1;
          marked[i] = 1;
        }
      }
      if (firstChild[i] !== -1) {
        i = firstChild[i]!;
        continue;
      }
      // Back up to the next sibling, unmarking the classes of the objects left.
      for (;;) {
        if (marked[i] === 1) onPath[classOf(i)] = 0;
        if (i === root) break walk;
        if (nextSibling[i] !== -1) {
          i = nextSibling[i]!;
          continue walk;
        }
        i = parent[i]!;
      }
    }
  }
  return out;
}

/** The marked objects that count (of size > 0; never the root), and for each the index of its nearest marked ancestor (-1: none). */
interface MarkedForest {
  node: number[];
  parent: number[];
}

/** {@link markedClassRetainedSizes}' forest by one pass over the dominator tree's places, objects in place order. */
function markedForestByPlace(analysis: HeapAnalysis, filter: Uint8Array): MarkedForest {
  const { preorder, idomIndex } = analysis.dominators();
  const N = preorder.length;
  // By place (a dominator's place comes before its own): the index + 1 in `node` of the nearest
  // marked object at or above it (0: none; the root never counts, as in the whole-tree walk).
  const near = new Uint32Array(N);
  const node: number[] = [];
  const parent: number[] = [];
  for (let k = 1; k < N; k++) {
    const up = near[idomIndex[k]!]!;
    const n = preorder[k]!;
    if (filter[n] === 1 && analysis.shallowSize(n) !== 0) {
      node.push(n);
      parent.push(up - 1);
      near[k] = node.length;
    } else near[k] = up;
  }
  return { node, parent };
}

/**
 * {@link markedClassRetainedSizes}' forest from the listed objects up, objects in list order:
 * each one's dominators are followed until a marked object, the root, or a dominator met before
 * (whose answer is then known); every dominator on the way gets the answer.
 */
function markedForestUp(analysis: HeapAnalysis, filter: Uint8Array, list: Uint32Array): MarkedForest {
  const node: number[] = [];
  // Per node: 0 not known yet, 1 no marked object at or above it, i + 2 the nearest marked object
  // at or above it is node[i]. Only the nodes met are written.
  const near = new Int32Array(filter.length);
  near[0] = 1;
  for (let i = 0; i < list.length; i++) {
    const n = list[i]!;
    if (n === 0 || filter[n] !== 1 || near[n] !== 0 || analysis.shallowSize(n) === 0) continue;
    near[n] = node.length + 2;
    node.push(n);
  }
  const parent: number[] = new Array<number>(node.length);
  const way: number[] = [];
  for (let i = 0; i < node.length; i++) {
    // The nearest marked object strictly above node[i]: at or above its dominator.
    let d = analysis.dominator(node[i]!);
    while (near[d] === 0) {
      way.push(d);
      d = analysis.dominator(d);
    }
    const found = near[d]!;
    for (const w of way) near[w] = found;
    way.length = 0;
    parent[i] = found - 2;
  }
  return { node, parent };
}

export interface DiffOptions {
  /** Leave out the engine's own bookkeeping (compiled code, hidden objects, shapes, numbers), as `findLeaks` does. */
  hideInternals?: boolean;
  /** The before snapshot's ids, when the caller already has them (saves reading them again). */
  beforeIds?: SnapshotIds;
  /** Why the ids cannot be compared, when the caller knows (a live snapshot saw V8's ids reset). */
  idsMismatch?: string;
  /**
   * One row per class name, same-named classes from different scripts totalled (without counting
   * an object twice), as `check`'s limits name classes. Default: one row per class as `types` and
   * DevTools' Comparison view list them, a name split by where its constructor is defined.
   */
  byName?: boolean;
  /**
   * False: new and deleted objects are not counted (null in every row, as when the ids cannot be
   * matched), for a caller that needs only the counts and sizes (`check`'s growth limits).
   */
  newAndDeleted?: boolean;
}

/**
 * Compares two snapshots class by class, by object id when ids can be trusted ({@link idTrust}),
 * else by counts only (new and deleted are then null). Plain objects of both are named by
 * `after`'s shapes (`{a, b}`), as DevTools' Comparison view does.
 * A caller that knows better than the check (a live snapshot knows when V8's ids were reset in its
 * process) passes `idsMismatch`: the reason they cannot be compared.
 *
 * @example
 * const d = diffSnapshots({ graph: before }, { graph: after });
 * d.classes[0]; // { className: "LeakyRequest", countBefore: 10, countAfter: 35, new: 25, deleted: 0, ... }
 */
export function diffSnapshots(before: Side, after: Side, options: DiffOptions = {}): SnapshotDiff {
  // As DevTools compares: the earlier snapshot's plain objects named by the later one's shapes, so
  // a shape common in one and rare in the other has one name on both sides.
  return before.graph.withInterfaceDefinitions(after.graph.interfaceDefinitions(), () => diffNamed(before, after, options));
}

function diffNamed(before: Side, after: Side, options: DiffOptions): SnapshotDiff {
  const beforeIds = options.beforeIds ?? SnapshotIds.of(before.graph);
  const afterIds = SnapshotIds.of(after.graph);
  const trust = idTrust(beforeIds, afterIds);
  if (options.idsMismatch !== undefined) {
    trust.comparable = false;
    trust.reason = options.idsMismatch;
  }
  const same = trust.comparable;
  const marks = same && options.newAndDeleted !== false;
  const bi = options.hideInternals ? internalTypeMask(before.graph) : null;
  const ai = options.hideInternals ? internalTypeMask(after.graph) : null;
  const byName = options.byName === true;
  // New: after's objects whose id before lacks; deleted: before's whose id after lacks.
  const { all: b, marked: deleted, groups: gb } = perClass(before, byName, { internal: bi, absentFrom: marks ? afterIds.ids : null });
  const { all: a, marked: addedPerClass, groups: ga } = perClass(after, byName, { internal: ai, absentFrom: marks ? beforeIds.ids : null });
  const rb = retainedPerClass(before, byName, gb);
  const ra = retainedPerClass(after, byName, ga);
  const withRetained = before.analysis !== undefined && after.analysis !== undefined;
  const keys = new Set([...b.keys(), ...a.keys()]);
  const classes: ClassDiff[] = [];
  for (const name of keys) {
    const x = b.get(name) ?? { count: 0, self: 0 };
    const y = a.get(name) ?? { count: 0, self: 0 };
    const which = a.get(name) ?? b.get(name)!;
    const row: ClassDiff = {
      className: which.className,
      ...(which.location ? { location: which.location } : {}),
      countBefore: x.count,
      countAfter: y.count,
      new: addedPerClass ? (addedPerClass.get(name)?.count ?? 0) : null,
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
      (p.className < q.className ? -1 : p.className > q.className ? 1 : 0) ||
      byLocation(p, q),
  );
  return {
    sameProcess: same,
    idsComparable: same,
    ...(trust.reason ? { idsMismatch: trust.reason } : {}),
    sharedIds: trust.sharedIds,
    internalsHidden: options.hideInternals === true,
    classes,
  };
}

/** The classes that grew and those that shrank, by one measure, the largest change first. */
export interface DiffRanking {
  grew: ClassDiff[];
  shrank: ClassDiff[];
}

/**
 * Splits a diff's classes into those that grew and those that shrank by `sort`, each list the
 * largest change first (ties: the larger change in retained size, then in self size, then by name):
 *
 * - `count`: the change in object count;
 * - `new`: objects new since before (grew), objects deleted since (shrank) — needs ids that can
 *   be matched; a class can be in both lists;
 * - `self`: the change in self size;
 * - `retained`: classes whose retained size grew, largest retained size now first; those whose
 *   retained size shrank, largest before first;
 * - `retained-growth`: the change in retained size.
 *
 * The retained sorts need a diff computed with retained sizes. Classes that did not change by the
 * measure are in neither list.
 *
 * @example
 * rankDiff(diffSnapshots(before, after).classes, "new").grew[0].className // "OrderService"
 */
export function rankDiff(classes: ClassDiff[], sort: DiffSort): DiffRanking {
  const grew: Array<[number, ClassDiff]> = [];
  const shrank: Array<[number, ClassDiff]> = [];
  for (const c of classes) {
    const retainedDelta = c.retainedSizeDelta ?? 0;
    switch (sort) {
      case "count":
        if (c.delta > 0) grew.push([c.delta, c]);
        else if (c.delta < 0) shrank.push([-c.delta, c]);
        break;
      case "new":
        if ((c.new ?? 0) > 0) grew.push([c.new!, c]);
        if ((c.deleted ?? 0) > 0) shrank.push([c.deleted!, c]);
        break;
      case "self":
        if (c.selfSizeDelta > 0) grew.push([c.selfSizeDelta, c]);
        else if (c.selfSizeDelta < 0) shrank.push([-c.selfSizeDelta, c]);
        break;
      case "retained":
        if (retainedDelta > 0) grew.push([c.retainedSizeAfter ?? 0, c]);
        else if (retainedDelta < 0) shrank.push([c.retainedSizeBefore ?? 0, c]);
        break;
      case "retained-growth":
        if (retainedDelta > 0) grew.push([retainedDelta, c]);
        else if (retainedDelta < 0) shrank.push([-retainedDelta, c]);
        break;
    }
  }
  // Ties (201 new objects of five classes...) go to the class whose retained size, then self
  // size, changed most: the application's objects that hold the rest come first.
  const order = (p: [number, ClassDiff], q: [number, ClassDiff]): number =>
    q[0] - p[0] ||
    Math.abs(q[1].retainedSizeDelta ?? 0) - Math.abs(p[1].retainedSizeDelta ?? 0) ||
    Math.abs(q[1].selfSizeDelta) - Math.abs(p[1].selfSizeDelta) ||
    (p[1].className < q[1].className ? -1 : p[1].className > q[1].className ? 1 : 0) ||
    byLocation(p[1], q[1]);
  return { grew: grew.sort(order).map((x) => x[1]), shrank: shrank.sort(order).map((x) => x[1]) };
}

/** Whether a class changed at all between the snapshots (by count, ids, self or retained size). */
export function classChanged(c: ClassDiff): boolean {
  return c.delta !== 0 || (c.new ?? 0) > 0 || (c.deleted ?? 0) > 0 || c.selfSizeDelta !== 0 || (c.retainedSizeDelta ?? 0) !== 0;
}

export interface LeakGroup {
  className: string;
  /** Where the class's constructor is defined, when DevTools keeps same-named classes apart by it (as `types` does). */
  location?: ClassLocation;
  count: number;
  selfSize: number;
  /** Retained size in the final snapshot, not double counted within the class. */
  retainedSize: number;
  /** A few heap ids (largest retained first), for `backrefs why --id`. */
  exampleIds: number[];
  /**
   * The script that defines the class's constructor (a file or URL of the program, `node:…` for
   * Node's own), when the snapshot says; set by `Snapshot.leaks` on the classes it lists.
   */
  script?: string;
  /**
   * When the group's objects have constructors of different scripts (same-named classes the
   * snapshot does not tell apart by place), or of a script for some and none known for others: the
   * scripts known, and no `script`.
   */
  scripts?: string[];
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
  final: Side & { analysis: HeapAnalysis },
  options: { all?: boolean; labels?: [string, string, string]; presence?: LeakPresence; fresh?: Uint32Array } = {},
): LeakReport {
  const g = final.graph;
  const [l1, l2, l3] = options.labels ?? ["the baseline", "the target", "the final snapshot"];
  const fresh = options.fresh ?? freshFromPresence(options.presence ?? leakPresence(baseline, target, g, [l1, l2, l3]), g.nodeCount);
  if (options.fresh) checkFresh(options.fresh, g.nodeCount);
  // The leaked objects: the fresh ones, less the engine's bookkeeping (unless `all`), as a list
  // (in node order) and as marks.
  const leaked = new Uint8Array(g.nodeCount);
  const internal = internalTypeMask(g);
  const types = g.columns.nodeType;
  const list = new Uint32Array(fresh.length);
  let leakedObjects = 0;
  for (let i = 0; i < fresh.length; i++) {
    const n = fresh[i]!;
    if (!options.all && internal[types[n]!] === 1) continue;
    leaked[n] = 1;
    list[leakedObjects++] = n;
  }
  const listed = list.subarray(0, leakedObjects);
  const { all: counts, groups: keyGroupsOf } = perClass(final, false, { only: leaked, list: listed });
  const retained = retainedPerClass(final, false, keyGroupsOf, { filter: leaked, list: listed });
  // The five largest leaked objects of each class, kept while scanning (not every leaked object);
  // their retained sizes are read one by one (new objects lie mostly together in a snapshot).
  const { nodeClass } = g.classes();
  const sizes = new Float64Array(leakedObjects);
  for (let i = 0; i < leakedObjects; i++) sizes[i] = final.analysis.retainedSize(listed[i]!);
  // Positions in `listed`, the larger retained size first, then the larger id.
  const larger = (x: number, y: number): number => sizes[y]! - sizes[x]! || g.nodeId(listed[y]!) - g.nodeId(listed[x]!);
  const keepTop = (top: number[], i: number): void => {
    top.push(i);
    top.sort(larger);
    if (top.length > EXAMPLES) top.pop();
  };
  const byClassId = new Map<number, number[]>();
  for (let i = 0; i < leakedObjects; i++) {
    const c = nodeClass[listed[i]!]!;
    let top = byClassId.get(c);
    if (!top) byClassId.set(c, (top = []));
    keepTop(top, i);
  }
  const examples = new Map<string, number[]>();
  for (const [classId, top] of byClassId) {
    const { key } = keyOf(g, classId, false);
    const merged = examples.get(key) ?? [];
    for (const i of top) keepTop(merged, i);
    examples.set(key, merged);
  }
  const groups: LeakGroup[] = [...counts].map(([key, c]) => {
    const top = examples.get(key) ?? [];
    return {
      className: c.className,
      ...(c.location ? { location: c.location } : {}),
      count: c.count,
      selfSize: c.self,
      retainedSize: retained.get(key) ?? 0,
      exampleIds: top.map((i) => g.nodeId(listed[i]!)),
    };
  });
  groups.sort(
    (p, q) =>
      q.retainedSize - p.retainedSize ||
      q.count - p.count ||
      (p.className < q.className ? -1 : p.className > q.className ? 1 : 0) ||
      byLocation(p, q),
  );
  return { leakedObjects, groups };
}

/** A `fresh` list given to {@link findLeaks}: nodes of the final snapshot, each once, in node order. */
function checkFresh(fresh: Uint32Array, nodeCount: number): void {
  for (let i = 0; i < fresh.length; i++) {
    if (fresh[i]! >= nodeCount || (i > 0 && fresh[i]! <= fresh[i - 1]!)) {
      throw new RangeError(`the fresh objects given are not nodes of the final snapshot (${nodeCount} nodes) in increasing order, at ${i}`);
    }
  }
}

/** The nodes `presence` marks as absent from the baseline and present in the target, in node order. */
function freshFromPresence(presence: LeakPresence, nodeCount: number): Uint32Array {
  const { inBaseline, inTarget } = presence;
  if (inBaseline.length !== nodeCount || inTarget.length !== nodeCount) {
    throw new RangeError(`the presence given has ${inBaseline.length} and ${inTarget.length} marks for a graph of ${nodeCount} nodes`);
  }
  let count = 0;
  for (let n = 0; n < nodeCount; n++) if (inBaseline[n] === 0 && inTarget[n] === 1) count++;
  const out = new Uint32Array(count);
  for (let n = 0, k = 0; n < nodeCount; n++) if (inBaseline[n] === 0 && inTarget[n] === 1) out[k++] = n;
  return out;
}

/** For each node of a final snapshot, whether the baseline has its id, and whether the target has it (1 = yes). */
export interface LeakPresence {
  inBaseline: Uint8Array;
  inTarget: Uint8Array;
}

/**
 * Which of `final`'s nodes' ids the baseline and the target have: with {@link SnapshotIds}, after
 * checking that the three can be compared by id (throws {@link IdMismatchError} when not; `labels`
 * name them). One pass over the final snapshot's ids.
 */
export function leakPresence(
  baseline: IdSet | SnapshotIds,
  target: IdSet | SnapshotIds,
  final: HeapGraph,
  labels: [string, string, string] = ["the baseline", "the target", "the final snapshot"],
): LeakPresence {
  const [l1, l2, l3] = labels;
  if (baseline instanceof SnapshotIds && target instanceof SnapshotIds) assertComparableIds(baseline, target, [l1, l2]);
  if (target instanceof SnapshotIds) assertComparableIds(target, SnapshotIds.of(final), [l2, l3]);
  return { inBaseline: present(baseline, final), inTarget: present(target, final) };
}

/**
 * The nodes of `final` whose id the target has and the baseline lacks, in node order: the objects
 * {@link findLeaks} reports (before leaving out the engine's bookkeeping), what its `fresh` option
 * takes. The same checks as {@link leakPresence}, then one pass over the final snapshot's ids
 * (the target is asked only about ids the baseline lacks).
 */
export function leakFresh(
  baseline: IdSet | SnapshotIds,
  target: IdSet | SnapshotIds,
  final: HeapGraph,
  labels: [string, string, string] = ["the baseline", "the target", "the final snapshot"],
): Uint32Array {
  const [l1, l2, l3] = labels;
  if (baseline instanceof SnapshotIds && target instanceof SnapshotIds) assertComparableIds(baseline, target, [l1, l2]);
  if (target instanceof SnapshotIds) assertComparableIds(target, SnapshotIds.of(final), [l2, l3]);
  const walk: FreshWalk = {
    nodeId: final.columns.nodeId,
    baseline: baseline instanceof SnapshotIds ? baseline.ids : baseline,
    target: target instanceof SnapshotIds ? target.ids : target,
    out: new Uint32Array(1024),
    count: 0,
  };
  for (let n = 0; n < final.nodeCount; n += STRETCH) freshStretch(walk, n, Math.min(final.nodeCount, n + STRETCH));
  return walk.out.slice(0, walk.count);
}

/** {@link leakFresh}'s columns and what it found so far. */
interface FreshWalk {
  nodeId: Uint32Array;
  baseline: IdSet;
  target: IdSet;
  out: Uint32Array;
  count: number;
}

/** {@link leakFresh}'s pass over nodes `from … to-1` (a short function called many times: V8 optimises it sooner). */
function freshStretch(w: FreshWalk, from: number, to: number): void {
  const { nodeId, baseline, target } = w;
  for (let n = from; n < to; n++) {
    const id = nodeId[n]!;
    if (baseline.has(id) || !target.has(id)) continue;
    if (w.count === w.out.length) w.out = grown(w.out);
    w.out[w.count++] = n;
  }
}

/** 1 for each node of `graph` whose id `ids` has. */
function present(ids: IdSet | SnapshotIds, graph: HeapGraph): Uint8Array {
  if (ids instanceof SnapshotIds) return ids.presentIn(graph);
  const out = new Uint8Array(graph.nodeCount);
  const nodeId = graph.columns.nodeId;
  for (let n = 0; n < out.length; n++) if (ids.has(nodeId[n]!)) out[n] = 1;
  return out;
}

/** Rows of one name in a fixed order: without a location first, then by script, line, column. */
function byLocation(p: { location?: ClassLocation }, q: { location?: ClassLocation }): number {
  const a = p.location;
  const b = q.location;
  if (!a || !b) return (a ? 1 : 0) - (b ? 1 : 0);
  return a.scriptId - b.scriptId || a.line - b.line || a.column - b.column;
}
