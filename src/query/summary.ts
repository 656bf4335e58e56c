/**
 * What `backrefs info` reports: counts and sizes per node type and per class (objgraph's
 * `most_common_types`, with sizes).
 */
import type { HeapGraph } from "../graph/heap-graph.js";

export interface ClassStat {
  className: string;
  count: number;
  selfSize: number;
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
  /** Number of distinct classes. */
  classCount: number;
}

export interface ClassTable {
  /** Class ids that have at least one node. */
  classIds: Uint32Array;
  count: Uint32Array;
  selfSize: Float64Array;
}

/**
 * Counts and self sizes per class id, in one pass over the nodes.
 */
export function classTable(graph: HeapGraph): ClassTable {
  const { nodeClass } = graph.classes();
  const limit = graph.classIdLimit;
  const count = new Uint32Array(limit);
  const size = new Float64Array(limit);
  for (let n = 0; n < graph.nodeCount; n++) {
    const c = nodeClass[n]!;
    count[c]!++;
    size[c]! += graph.selfSize(n);
  }
  let used = 0;
  for (let c = 0; c < limit; c++) if (count[c]! > 0) used++;
  const classIds = new Uint32Array(used);
  const counts = new Uint32Array(used);
  const sizes = new Float64Array(used);
  for (let c = 0, k = 0; c < limit; c++) {
    if (count[c]! === 0) continue;
    classIds[k] = c;
    counts[k] = count[c]!;
    sizes[k] = size[c]!;
    k++;
  }
  return { classIds, count: counts, selfSize: sizes };
}

/** Indices of the `top` largest entries by `primary` then `secondary`, ties by name. */
function topIndices(graph: HeapGraph, t: ClassTable, top: number, bySize: boolean): number[] {
  const order = Array.from({ length: t.classIds.length }, (_, i) => i);
  const a = bySize ? t.selfSize : t.count;
  const b = bySize ? t.count : t.selfSize;
  order.sort((x, y) => a[y]! - a[x]! || b[y]! - b[x]! || t.classIds[x]! - t.classIds[y]!);
  return order.slice(0, top);
}

/**
 * Summarises a snapshot.
 *
 * @example
 * const s = summarize(graph, { top: 10 });
 * s.topClasses[0]; // { className: "(compiled code)", count: 11617, selfSize: 1234567 }
 */
export function summarize(graph: HeapGraph, options: { top?: number } = {}): SnapshotSummary {
  const top = options.top ?? 10;
  const typeCount = new Float64Array(graph.nodeTypes.length);
  const typeSize = new Float64Array(graph.nodeTypes.length);
  let total = 0;
  for (let n = 0; n < graph.nodeCount; n++) {
    const t = graph.nodeType(n);
    const s = graph.selfSize(n);
    typeCount[t]!++;
    typeSize[t]! += s;
    total += s;
  }
  const nodeTypes: TypeStat[] = [];
  graph.nodeTypes.forEach((type, t) => {
    if (typeCount[t]! > 0) nodeTypes.push({ type, count: typeCount[t]!, selfSize: typeSize[t]! });
  });
  nodeTypes.sort((x, y) => y.count - x.count || y.selfSize - x.selfSize || (x.type < y.type ? -1 : 1));

  const table = classTable(graph);
  const stat = (i: number): ClassStat => ({
    className: graph.classNameOf(table.classIds[i]!),
    count: table.count[i]!,
    selfSize: table.selfSize[i]!,
  });
  return {
    nodeCount: graph.nodeCount,
    edgeCount: graph.edgeCount,
    stringCount: graph.strings.length,
    totalSelfSize: total,
    nodeFields: [...graph.nodeFields],
    edgeFields: [...graph.edgeFields],
    nodeTypes,
    topClasses: topIndices(graph, table, top, false).map(stat),
    topClassesBySelfSize: topIndices(graph, table, top, true).map(stat),
    classCount: table.classIds.length,
  };
}
