/**
 * Self sizes as Chrome DevTools shows them (docs/devtools-rules.md, "Self sizes"): each
 * `hidden`/`array` node (and native `system / ExternalStringData`) owned by exactly one other
 * object hands its size to that owner. A plain function of columns, so that the analysis helper
 * thread can run it too (see helper.ts).
 */
import type { HeapGraph } from "./heap-graph.js";
import { mappedU8 } from "../memory.js";

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
  const { nodeType, nodeName, selfSize, edgeType, edgeTo } = g.columns;
  const { hidden, array, native, synthetic } = g.types;
  return {
    nodeType,
    nodeName,
    selfSize,
    firstEdge: g.firstEdge,
    edgeType,
    edgeTo,
    types: { hidden, array, native, synthetic },
    weakEdge: g.edgeTypeCodes.weak,
    externalNames: reassign ? g.strings.indicesOf("system / ExternalStringData") : [],
    reassign,
  };
}

/**
 * One size per node: DevTools' self sizes. The result array first holds each node's owner (so no
 * second array of owners is needed; only a byte per node says which nodes can be owned), then the
 * sizes.
 *
 * Each pass over the nodes is a function of its own: V8 optimises a long loop while it runs (on
 * stack replacement), and code after that loop, not run yet, sends an optimised function back to
 * the interpreter; at 20 MB, where each pass takes a few milliseconds, small functions are
 * optimised sooner and once.
 */
export function computeShallowSizes(input: ShallowInput): Float64Array {
  const { nodeType, nodeName, selfSize } = input;
  const N = nodeType.length;
  const size = new Float64Array(N);
  if (!input.reassign) {
    if (selfSize) for (let n = 0; n < N; n++) size[n] = selfSize[n]!;
    return size;
  }
  const { hidden, array, native, synthetic } = input.types;
  // 1 for the nodes that can be owned. The walks below read it for every edge's target, at
  // random: a byte per node stays in the CPU's caches where the owners (8 bytes per node) do not,
  // and most targets cannot be owned.
  const ownable = mappedU8(N);
  markOwnable(nodeType, nodeName, hidden, array, native, input.externalNames, ownable);
  // Owners: every node that is not ownable owns itself; ownable ones start unvisited.
  const owner = size;
  initOwners(ownable, owner);
  walkOwners(input, ownable, owner);
  handOver(nodeType, selfSize, synthetic, ownable, owner, size);
  return size;
}

const UNVISITED = -1;
const MULTIPLE = -2;

function markOwnable(
  nodeType: Uint8Array,
  nodeName: Uint32Array,
  hidden: number,
  array: number,
  native: number,
  external: number[],
  ownable: Uint8Array,
): void {
  for (let n = 0; n < nodeType.length; n++) {
    const t = nodeType[n]!;
    if (t === hidden || t === array || (t === native && external.includes(nodeName[n]!))) ownable[n] = 1;
  }
}

function initOwners(ownable: Uint8Array, owner: Float64Array): void {
  for (let n = 0; n < owner.length; n++) owner[n] = ownable[n] === 1 ? UNVISITED : n;
}

/**
 * From each owner in turn, a worklist through the nodes it reaches over owned ones. A node enters
 * it at most twice: once owned, once when it turns out to have several owners. The result does
 * not depend on the order: an owned node ends up with the one owner that reaches it, or MULTIPLE.
 */
function walkOwners(input: ShallowInput, ownable: Uint8Array, owner: Float64Array): void {
  const { firstEdge, edgeType, edgeTo } = input;
  const N = owner.length;
  let work = new Uint32Array(1024);
  const weak = input.weakEdge;
  for (let root = 0; root < N; root++) {
    if (ownable[root] === 1) continue;
    let top = 0;
    work[top++] = root;
    while (top > 0) {
      const id = work[--top]!;
      const own = owner[id]!;
      const end = firstEdge[id + 1]!;
      for (let e = firstEdge[id]!; e < end; e++) {
        if (edgeType[e] === weak) continue;
        const t = edgeTo[e]!;
        if (ownable[t] === 0) continue; // owns itself
        const o = owner[t]!;
        if (o === own || o === MULTIPLE) continue;
        owner[t] = o === UNVISITED ? own : MULTIPLE;
        if (top === work.length) {
          const grown = new Uint32Array(work.length * 2);
          grown.set(work);
          work = grown;
        }
        work[top++] = t;
      }
    }
  }
}

/**
 * Owners' entries become their own sizes first; then each owned node with one owner (not the
 * root, not synthetic) hands its size over and shows 0.
 */
function handOver(
  nodeType: Uint8Array,
  selfSize: Uint32Array | null,
  synthetic: number,
  ownable: Uint8Array,
  owner: Float64Array,
  size: Float64Array,
): void {
  const none = new Uint32Array(0);
  const own = selfSize ?? none;
  ownSizes(own, ownable, size);
  ownedSizes(nodeType, own, synthetic, ownable, owner, size);
}

/** `self[n]`, or 0 when the snapshot has no sizes (`self` empty). */
function ownSizes(self: Uint32Array, ownable: Uint8Array, size: Float64Array): void {
  const sized = self.length > 0;
  for (let n = 0; n < size.length; n++) if (ownable[n] === 0) size[n] = sized ? self[n]! : 0;
}

function ownedSizes(
  nodeType: Uint8Array,
  self: Uint32Array,
  synthetic: number,
  ownable: Uint8Array,
  owner: Float64Array,
  size: Float64Array,
): void {
  const sized = self.length > 0;
  for (let n = 0; n < size.length; n++) {
    if (ownable[n] === 0) continue;
    const o = owner[n]!;
    const s = sized ? self[n]! : 0;
    if (o > 0 && nodeType[o] !== synthetic) {
      size[o]! += s;
      size[n] = 0;
    } else {
      size[n] = s;
    }
  }
}
