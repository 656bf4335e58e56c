/**
 * What `backrefs info` reports: counts and sizes per node type and per class (objgraph's
 * `most_common_types`, with sizes).
 */
import type { ClassLocation, HeapGraph } from "../graph/heap-graph.js";
import { BASE_SYSTEM_DISTANCE, type HeapAnalysis } from "../graph/analysis.js";
import { packClassSummary, type ClassSummary } from "../graph/class-summary.js";

export interface ClassStat {
  className: string;
  /**
   * Where the constructor is defined (0-based line and column, the snapshot's script id), for
   * classes DevTools keeps apart from same-named ones defined elsewhere; absent otherwise.
   */
  location?: ClassLocation;
  count: number;
  selfSize: number;
  /** Retained size of the class without double counting (with the analysis). */
  retainedSize?: number;
  /** Smallest DevTools distance of an instance (with the analysis; absent when none is reachable from a user root). */
  distance?: number;
}

export interface TypeStat {
  type: string;
  count: number;
  selfSize: number;
}

export interface SnapshotSummary {
  nodeCount: number;
  edgeCount: number;
  stringCount: number;
  totalSelfSize: number;
  nodeFields: string[];
  edgeFields: string[];
  /** Per node type, largest count first. */
  nodeTypes: TypeStat[];
  /** Top classes by count, then self size. */
  topClasses: ClassStat[];
  /** Top classes by self size, then count. */
  topClassesBySelfSize: ClassStat[];
  /** With the analysis: top classes by retained size (not double counted). */
  topClassesByRetainedSize?: ClassStat[];
  /** Number of distinct classes. */
  classCount: number;
}

export interface ClassTable {
  /** Class ids that have at least one node. */
  classIds: Uint32Array;
  count: Uint32Array;
  selfSize: Float64Array;
  /** With the analysis: retained size per class, not double counted. */
  retainedSize: Float64Array | null;
  /** With the analysis: the smallest distance below the system range, or -1. */
  distance: Int32Array | null;
}

/**
 * Counts and self sizes per class id, in one pass over the nodes, as DevTools' Summary counts
 * them: objects of size 0 left out (the synthetic roots, `system / Map` entries of read-only
 * space...). With the analysis, self sizes are those after the shallow-size reassignment (so
 * internal arrays whose size went to their owner drop out too), plus retained size and distance
 * per class; without it, the sizes as written.
 * Nodes marked 1 in `exclude` are left out (a live snapshot's own objects).
 */
export function classTable(graph: HeapGraph, analysis?: HeapAnalysis, exclude?: Uint8Array): ClassTable {
  return tableOfClasses(graph, analysis, exclude, null);
}

/** Count and self size (as written) per node type, every node counted: what {@link summarize} shows. */
interface TypeCounts {
  count: Float64Array;
  size: Float64Array;
}

/**
 * {@link classTable}; with `types`, also counts every node by type (into `types`) — in the same
 * pass over the nodes when there is no analysis.
 */
function tableOfClasses(
  graph: HeapGraph,
  analysis: HeapAnalysis | undefined,
  exclude: Uint8Array | undefined,
  types: TypeCounts | null,
): ClassTable {
  const callerTypes = types;
  const { nodeClass } = graph.classes();
  // The totals with the analysis, kept from an earlier command on this snapshot (its cache entry):
  // no pass over the nodes at all.
  const stored = analysis && !exclude ? graph.classSummary() : null;
  if (stored) return storedTable(stored, analysis!, types);
  // What a later command can take instead of this pass: computed with the analysis, for every node,
  // with the counts by type.
  const keep = analysis !== undefined && !exclude && callerTypes !== null;
  // Counted by type while the snapshot was read: no pass for them here.
  const byType = types ? graph.countsByType() : null;
  if (types && byType) {
    types.count.set(byType.count);
    types.size.set(byType.size);
    types = null;
  }
  const limit = graph.classIdLimit;
  const count = new Uint32Array(limit);
  const size = new Float64Array(limit);
  const dist = analysis ? new Int32Array(limit).fill(0x7fffffff) : null;
  // One pass over typed arrays (no per-node method calls: a 1 GB snapshot has ~14M nodes), in one
  // of two loops so that each reads one kind of size array.
  if (analysis) {
    countWithAnalysis(nodeClass, analysis.shallowSizes(), analysis.distances().distance, exclude, count, size, dist!);
  } else {
    const { nodeType, selfSize } = graph.columns;
    if (selfSize && types && !exclude) {
      countRawWithTypes(nodeType, nodeClass, selfSize, graph.nodeCount, count, size, types);
      types = null;
    } else if (selfSize) countRaw(nodeClass, selfSize, graph.nodeCount, exclude, count, size);
  }
  if (types) countTypes(graph, types);
  const perClassRetained = analysis?.classRetainedSizes(exclude ? invert(exclude) : undefined);
  let used = 0;
  for (let c = 0; c < limit; c++) if (count[c]! > 0) used++;
  const classIds = new Uint32Array(used);
  const counts = new Uint32Array(used);
  const sizes = new Float64Array(used);
  const retained = perClassRetained ? new Float64Array(used) : null;
  const distance = dist ? new Int32Array(used) : null;
  for (let c = 0, k = 0; c < limit; c++) {
    if (count[c]! === 0) continue;
    classIds[k] = c;
    counts[k] = count[c]!;
    sizes[k] = size[c]!;
    if (retained) retained[k] = perClassRetained![c]!;
    if (distance) distance[k] = dist![c] === 0x7fffffff ? -1 : dist![c]!;
    k++;
  }
  if (keep && distance) {
    const { count: typeCount, size: typeSize } = callerTypes!;
    graph.keepClassSummary(packClassSummary({ typeCount, typeSize, classIds, count: counts, selfSize: sizes, distance }));
  }
  return { classIds, count: counts, selfSize: sizes, retainedSize: retained, distance };
}

/** {@link tableOfClasses} from totals kept earlier: the retained sizes from the analysis, the rest as kept. */
function storedTable(stored: ClassSummary, analysis: HeapAnalysis, types: TypeCounts | null): ClassTable {
  if (types) {
    types.count.set(stored.typeCount);
    types.size.set(stored.typeSize);
  }
  const perClassRetained = analysis.classRetainedSizes();
  const retained = new Float64Array(stored.classIds.length);
  for (let k = 0; k < retained.length; k++) retained[k] = perClassRetained[stored.classIds[k]!]!;
  // Copies: the graph keeps the stored totals for the next caller.
  return {
    classIds: stored.classIds.slice(),
    count: stored.count.slice(),
    selfSize: stored.selfSize.slice(),
    retainedSize: retained,
    distance: stored.distance.slice(),
  };
}

/** {@link classTable}'s counts from the sizes as written (objects of size 0 left out). */
function countRaw(
  nodeClass: Uint32Array,
  raw: Uint32Array,
  N: number,
  exclude: Uint8Array | undefined,
  count: Uint32Array,
  size: Float64Array,
): void {
  for (let n = 0; n < N; n++) {
    const s = raw[n]!;
    if (s === 0 || (exclude !== undefined && exclude[n] === 1)) continue;
    const c = nodeClass[n]!;
    count[c]!++;
    size[c]! += s;
  }
}

/** {@link countRaw} without `exclude`, and the counts by type of every node, in one pass. */
function countRawWithTypes(
  nodeType: Uint8Array,
  nodeClass: Uint32Array,
  raw: Uint32Array,
  N: number,
  count: Uint32Array,
  size: Float64Array,
  types: TypeCounts,
): void {
  const typeCount = types.count;
  const typeSize = types.size;
  for (let n = 0; n < N; n++) {
    const s = raw[n]!;
    const t = nodeType[n]!;
    typeCount[t]!++;
    if (s === 0) continue;
    typeSize[t]! += s;
    const c = nodeClass[n]!;
    count[c]!++;
    size[c]! += s;
  }
}

/** {@link classTable}'s counts from the analysis' sizes, with each class's smallest distance. */
function countWithAnalysis(
  nodeClass: Uint32Array,
  shallow: Float64Array,
  distances: Int32Array,
  exclude: Uint8Array | undefined,
  count: Uint32Array,
  size: Float64Array,
  dist: Int32Array,
): void {
  for (let n = 0; n < shallow.length; n++) {
    const s = shallow[n]!;
    if (s === 0 || (exclude !== undefined && exclude[n] === 1)) continue;
    const c = nodeClass[n]!;
    count[c]!++;
    size[c]! += s;
    const d = distances[n]!;
    if (d >= 0 && d < BASE_SYSTEM_DISTANCE && d < dist[c]!) dist[c] = d;
  }
}

/** 1 where `mask` is 0 and the other way round. */
function invert(mask: Uint8Array): Uint8Array {
  const out = new Uint8Array(mask.length);
  for (let n = 0; n < mask.length; n++) out[n] = mask[n] === 1 ? 0 : 1;
  return out;
}

export type ClassSort = "count" | "self" | "retained";

/** Indices of the `top` largest entries by the sort key, then count and self size, then class id. */
export function topIndices(t: ClassTable, top: number, by: ClassSort): number[] {
  const order = Array.from({ length: t.classIds.length }, (_, i) => i);
  const key = by === "retained" && t.retainedSize ? t.retainedSize : by === "count" ? t.count : t.selfSize;
  const second = by === "count" ? t.selfSize : t.count;
  order.sort((x, y) => key[y]! - key[x]! || second[y]! - second[x]! || t.classIds[x]! - t.classIds[y]!);
  return order.slice(0, top);
}

/** One row of a class table as data. */
export function classStat(graph: HeapGraph, t: ClassTable, i: number): ClassStat {
  const stat: ClassStat = { className: graph.classNameOf(t.classIds[i]!), count: t.count[i]!, selfSize: t.selfSize[i]! };
  const location = graph.classLocation(t.classIds[i]!);
  if (location) stat.location = location;
  if (t.retainedSize) stat.retainedSize = t.retainedSize[i]!;
  if (t.distance && t.distance[i]! >= 0) stat.distance = t.distance[i]!;
  return stat;
}

/** Count and self size (as written) of every node, by type. */
function countTypes(graph: HeapGraph, types: TypeCounts): void {
  const { nodeType, selfSize } = graph.columns;
  const { count, size } = types;
  const N = graph.nodeCount;
  if (selfSize === null) {
    for (let n = 0; n < N; n++) count[nodeType[n]!]!++;
    return;
  }
  for (let n = 0; n < N; n++) {
    const t = nodeType[n]!;
    count[t]!++;
    size[t]! += selfSize[n]!;
  }
}

/**
 * Summarises a snapshot.
 *
 * @example
 * const s = summarize(graph, { top: 10 });
 * s.topClasses[0]; // { className: "(compiled code)", count: 11617, selfSize: 1234567 }
 */
export function summarize(graph: HeapGraph, options: { top?: number; analysis?: HeapAnalysis } = {}): SnapshotSummary {
  const top = options.top ?? 10;
  const typeCount = new Float64Array(graph.nodeTypes.length);
  const typeSize = new Float64Array(graph.nodeTypes.length);
  const table = tableOfClasses(graph, options.analysis, undefined, { count: typeCount, size: typeSize });
  let total = 0;
  for (let t = 0; t < typeSize.length; t++) total += typeSize[t]!;
  const nodeTypes: TypeStat[] = [];
  graph.nodeTypes.forEach((type, t) => {
    if (typeCount[t]! > 0) nodeTypes.push({ type, count: typeCount[t]!, selfSize: typeSize[t]! });
  });
  nodeTypes.sort((x, y) => y.count - x.count || y.selfSize - x.selfSize || (x.type < y.type ? -1 : 1));

  const stat = (i: number): ClassStat => classStat(graph, table, i);
  return {
    nodeCount: graph.nodeCount,
    edgeCount: graph.edgeCount,
    stringCount: graph.strings.length,
    totalSelfSize: total,
    nodeFields: [...graph.nodeFields],
    edgeFields: [...graph.edgeFields],
    nodeTypes,
    topClasses: topIndices(table, top, "count").map(stat),
    topClassesBySelfSize: topIndices(table, top, "self").map(stat),
    ...(table.retainedSize ? { topClassesByRetainedSize: topIndices(table, top, "retained").map(stat) } : {}),
    classCount: table.classIds.length,
  };
}
