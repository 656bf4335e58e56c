/**
 * Self sizes as Chrome DevTools shows them (`../shared/reference/heapsnapshot.md` §5): each
 * `hidden`/`array` node (and native `system / ExternalStringData`) owned by exactly one other
 * object hands its size to that owner. A plain function of columns, so that the analysis helper
 * thread can run it too (see helper.ts).
 */
import type { HeapGraph } from "./heap-graph.js";

/** What the computation reads: columns (shared memory when read from a file) and a few codes. */
export interface ShallowInput {
  nodeType: Uint8Array;
  nodeName: Uint32Array;
  /** Null when the snapshot has no `self_size` field. */
  selfSize: Uint32Array | null;
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeTo: Uint32Array;
  types: { hidden: number; array: number; native: number; synthetic: number };
  weakEdge: number;
  /** String indices of `system / ExternalStringData`. */
  externalNames: number[];
  /** False for snapshots taken with internals exposed (no user roots): sizes stay as they are. */
  reassign: boolean;
}

export function shallowInput(g: HeapGraph, reassign: boolean): ShallowInput {
  const { nodeType, edgeType, edgeTo } = g.columns;
  const { hidden, array, native, synthetic } = g.types;
  return {
    nodeType,
    nodeName: g.columns.nodeName,
    selfSize: g.columns.selfSize,
    firstEdge: g.firstEdge,
    edgeType,
    edgeTo,
    types: { hidden, array, native, synthetic },
    weakEdge: g.edgeTypeCodes.weak,
    externalNames: reassign ? g.strings.indicesOf("system / ExternalStringData") : [],
    reassign,
  };
}

/** One size per node: DevTools' self sizes. */
export function computeShallowSizes(input: ShallowInput): Float64Array {
  const { nodeType, nodeName, selfSize, firstEdge, edgeType, edgeTo } = input;
  const N = nodeType.length;
  const size = new Float64Array(N);
  if (selfSize) for (let n = 0; n < N; n++) size[n] = selfSize[n]!;
  if (!input.reassign) return size;
  const UNVISITED = -1;
  const MULTIPLE = -2;
  const owner = new Int32Array(N);
  // A node enters the worklist at most twice: once owned, once when it turns out to have several owners.
  const work = new Uint32Array(2 * N);
  let top = 0;
  const { hidden, array, native, synthetic } = input.types;
  const external = input.externalNames;
  for (let n = 0; n < N; n++) {
    const t = nodeType[n]!;
    if (t === hidden || t === array || (t === native && external.includes(nodeName[n]!))) {
      owner[n] = UNVISITED;
    } else {
      owner[n] = n;
      work[top++] = n;
    }
  }
  const weak = input.weakEdge;
  while (top > 0) {
    const id = work[--top]!;
    const own = owner[id]!;
    const end = firstEdge[id + 1]!;
    for (let e = firstEdge[id]!; e < end; e++) {
      if (edgeType[e] === weak) continue;
      const t = edgeTo[e]!;
      const o = owner[t]!;
      if (o === UNVISITED) {
        owner[t] = own;
        work[top++] = t;
      } else if (o === t || o === own || o === MULTIPLE) {
        continue;
      } else {
        owner[t] = MULTIPLE;
        work[top++] = t;
      }
    }
  }
  for (let n = 0; n < N; n++) {
    const o = owner[n]!;
    if (o < 0 || o === n) continue;
    if (o === 0 || nodeType[o] === synthetic) continue;
    size[o]! += size[n]!;
    size[n] = 0;
  }
  return size;
}
