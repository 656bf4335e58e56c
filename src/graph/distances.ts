/**
 * DevTools' distances (docs/devtools-rules.md, "Distances"): a breadth-first search from the user
 * roots, then from the root for what is left, with DevTools' filter on which edges count. The
 * search tree it leaves behind (the edge each node was first reached by) gives every node its
 * shortest retaining path.
 */
import type { HeapGraph } from "./heap-graph.js";
import { mappedU32 } from "../memory.js";
import { WEAKMAP_EDGE } from "./weakmap-edges.js";

/** Distance of a node nothing reaches (DevTools' `noDistance`). */
export const NO_DISTANCE = -5;
/** Distances of nodes reached only from the root, not from a user root, start here. */
export const BASE_SYSTEM_DISTANCE = 100_000_000;

/** What {@link computeDistances} produces, one entry per node. */
export interface Distances {
  /** DevTools' distance; {@link NO_DISTANCE} for unreached nodes. */
  distance: Int32Array;
  /** Edge number + 1 by which each node was first reached; 0 for none (the starts, unreached nodes). */
  parentEdge: Uint32Array;
  /** 1 for the user roots: the root's children that {@link countsAsUserRoot}. */
  userRoots: Uint8Array;
  /**
   * A bit per node (node n: bit n & 7 of byte n >> 3), set for a node that reached a node by an
   * edge of the same type and name as the edge it was itself reached by (names compared as the
   * grouped picture keys them: element and hidden indices all alike, numbered internal slots,
   * `{729}`, all alike): the one kind of node where the grouped picture's list heads can begin
   * (see entersList in src/query/group.ts). Clear for every other node, and for nodes reached by
   * no edge.
   */
  treeList: Uint8Array;
}

/**
 * DevTools' rule for which of the root's children are user roots: all but the synthetic ones,
 * except `(Document DOM trees)`, which is synthetic but counts. Only meaningful for nodes the root
 * holds; the distances' first pass starts from exactly those. Used by {@link computeDistances}
 * and `HeapAnalysis.hasUserRoots`.
 */
export function countsAsUserRoot(g: HeapGraph, n: number): boolean {
  return userRootRule(g.nodeType(n), g.types.synthetic, () => g.nodeName(n));
}

/**
 * {@link countsAsUserRoot} of a node of type code `type` (`synthetic`: the snapshot's code of that
 * type) named `name()` (asked only for a synthetic node).
 */
export function userRootRule(type: number, synthetic: number, name: () => string): boolean {
  return type !== synthetic || name() === "(Document DOM trees)";
}

/**
 * Whether no path from a root reaches node n (its distance is {@link NO_DISTANCE}), told from the
 * distance tree alone: every reached node has the edge it was reached by, except the root (node 0)
 * and the user roots, where {@link computeDistances} starts. Reads no distance.
 */
export function isUnreached(parentEdge: Uint32Array, userRoots: Uint8Array, n: number): boolean {
  return parentEdge[n] === 0 && n !== 0 && userRoots[n] !== 1;
}

/**
 * Whether names (`name_or_index`) `a` and `b` of two edges of type `t` are alike, as the grouped
 * picture keys them: element and hidden indices all alike, numbered internal slots (`729`,
 * `12 / part of key …`: `isNumbered`) all alike, other names when equal. The rule of
 * {@link Distances.treeList}; the type codes are the snapshot's (-1 for a type it lacks).
 */
export function edgeNamesAlike(
  t: number,
  a: number,
  b: number,
  element: number,
  hidden: number,
  internal: number,
  isNumbered: (name: number) => boolean,
): boolean {
  return t === element || t === hidden || a === b || (t === internal && isNumbered(a) && isNumbered(b));
}

/** No edge type (the snapshot's codes are small numbers). */
const NO_EDGE_TYPE = 255;

/**
 * DevTools' distances: BFS from the user roots (distance 1), then from the root (starting at
 * {@link BASE_SYSTEM_DISTANCE} when there are user roots) for what is left; weak edges skipped,
 * two V8-internal links not followed, a WeakMap value reached through the second of its two
 * entry edges. Unreached nodes get {@link NO_DISTANCE}.
 *
 * `tables` is `weakMapTables(g)` (weakmap-edges.ts). The targets of edges the filter refused during
 * the user-root pass are pushed onto `refused` (page ownership walks on from them).
 */
export function computeDistances(g: HeapGraph, tables: Float64Array, refused: number[]): Distances {
  const N = g.nodeCount;
  const distance = new Int32Array(N).fill(NO_DISTANCE);
  const parentEdge = new Uint32Array(N);
  const userRoots = new Uint8Array(N);
  const treeList = new Uint8Array((N + 7) >>> 3);
  if (N === 0) return { distance, parentEdge, userRoots, treeList };
  const queue = mappedU32(N + (g.firstEdge[1]! - g.firstEdge[0]!));
  const weak = g.edgeTypeCodes.weak;
  const internal = g.edgeTypeCodes.internal;
  const hidden = g.types.hidden;
  const array = g.types.array;
  const [nativeContexts, sloppyMaps, descriptors] = g.strings.indicesOfEach([
    "system / NativeContext",
    "sloppy_function_map",
    "(map descriptors)",
  ]);
  const nativeContext = new Set(nativeContexts);
  const sloppyMap = new Set(sloppyMaps);
  const mapDescriptors = new Set(descriptors);
  const elementType = g.edgeTypeCodes.element;
  const hiddenEdge = g.edgeTypeCodes.hidden;
  const pending = new Set<string>();
  // Per string, once looked at: 1 a numbered slot's name (`729`, `12 / part of key …`), 2 not.
  let numbered: Int8Array | null = null;
  const isNumbered = (name: number): boolean => {
    numbered ??= new Int8Array(g.strings.length);
    if (numbered[name] === 0) numbered[name] = g.strings.isNumberName(name) ? 1 : 2;
    return numbered[name] === 1;
  };
  const alike = (t: number, a: number, b: number): boolean => edgeNamesAlike(t, a, b, elementType, hiddenEdge, internal, isNumbered);

  /** DevTools' JS distance filter, consulted only for edges into nodes without a distance. */
  const accept = (parent: number, e: number): boolean => {
    const pt = g.nodeType(parent);
    const et = g.edgeType(e);
    const nameIdx = g.edgeNameOrIndex(e);
    const numeric = et === elementType || et === hiddenEdge;
    if (pt === hidden && !numeric && sloppyMap.has(nameIdx) && nativeContext.has(g.nodeNameIndex(parent))) return false;
    if (pt === array && mapDescriptors.has(g.nodeNameIndex(parent))) {
      const i = numeric ? nameIdx : parseInt(g.strings.get(nameIdx), 10);
      return i < 2 || i % 3 !== 1;
    }
    if (et === internal && !Number.isNaN(tables[nameIdx]!)) {
      const m = WEAKMAP_EDGE.exec(g.strings.get(nameIdx));
      const key = m?.groups?.["pair"] ?? "";
      if (!pending.has(key)) {
        pending.add(key);
        return false;
      }
      pending.delete(key);
    }
    return true;
  };

  const { nodeType, edgeType, edgeTo } = g.columns;
  const firstEdge = g.firstEdge;
  // A bit per node, set once it has a distance: what the search tests for every edge's target. At
  // a bit a node it stays in the CPU's caches, where the distances (4 bytes a node) do not.
  const seen = new Uint8Array((N + 7) >>> 3);
  // By queue position: the type of the edge the node was reached by ({@link NO_EDGE_TYPE} for the
  // starts), written as it is queued, so that it is read in sequence rather than looked up.
  const via = new Uint8Array(queue.length);
  let firstPass = true;
  const bfs = (head: number, tail: number): void => {
    // The queue holds one distance after the other: the starts' (all the same), then each level's
    // after the one before, so the distance of what a node reaches is counted, not read.
    let d = distance[queue[head]!]! + 1;
    let levelEnd = tail;
    while (head < tail) {
      if (head === levelEnd) {
        d++;
        levelEnd = tail;
      }
      // The type of the edge n was reached by (none for the starts), and its name once needed, for treeList.
      const ownType = via[head]!;
      const n = queue[head++]!;
      // The filter only matters from hidden/array nodes and for internal edges.
      const pt = nodeType[n]!;
      const special = pt === hidden || pt === array;
      const end = firstEdge[n + 1]!;
      let list = false;
      for (let e = firstEdge[n]!; e < end; e++) {
        const et = edgeType[e]!;
        if (et === weak) continue;
        const to = edgeTo[e]!;
        const bit = 1 << (to & 7);
        if ((seen[to >>> 3]! & bit) !== 0) continue;
        if ((special || et === internal) && !accept(n, e)) {
          if (firstPass) refused.push(to);
          continue;
        }
        seen[to >>> 3]! |= bit;
        distance[to] = d;
        parentEdge[to] = e + 1;
        if (et === ownType && !list && alike(et, g.edgeNameOrIndex(e), g.edgeNameOrIndex(parentEdge[n]! - 1))) list = true;
        via[tail] = et;
        queue[tail++] = to;
      }
      if (list) treeList[n >>> 3]! |= 1 << (n & 7);
    }
  };

  let tail = 0;
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) {
    const to = g.edgeTo(e);
    if (!countsAsUserRoot(g, to)) continue;
    userRoots[to] = 1;
    distance[to] = 1;
    seen[to >>> 3]! |= 1 << (to & 7);
    via[tail] = NO_EDGE_TYPE;
    queue[tail++] = to;
  }
  bfs(0, tail);
  firstPass = false;
  distance[0] = tail > 0 ? BASE_SYSTEM_DISTANCE : 0;
  seen[0]! |= 1;
  queue[0] = 0;
  // (An edge of the first pass may have reached the root.)
  via[0] = parentEdge[0] === 0 ? NO_EDGE_TYPE : edgeType[parentEdge[0]! - 1]!;
  bfs(0, 1);
  return { distance, parentEdge, userRoots, treeList };
}
