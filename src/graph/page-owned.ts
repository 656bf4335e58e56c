/**
 * Page ownership (docs/devtools-rules.md, "Essential edges"): which objects belong to the page
 * rather than to the debugger or the console. An edge from a non-page object into a page object
 * is not essential, so such objects cannot steal the dominance of what the page holds.
 */
import type { HeapGraph } from "./heap-graph.js";
import { sharedU8 } from "../snapshot/columns.js";
import { BASE_SYSTEM_DISTANCE, type Distances } from "./distances.js";

/**
 * One byte per node, 1 for objects owned by the page: everything reachable, over non-weak edges,
 * from the root's shortcut edges (user globals) and from `(Document DOM trees)`. Debugger and
 * console objects are not. In shared memory (the analysis helper thread reads it).
 *
 * `dist` and `refused` are what `computeDistances` produced: when the seeds are exactly the
 * user roots (always so for Node), its first pass already walked everything they reach except
 * behind the edges it refused, so only those are walked again.
 */
export function pageOwned(g: HeapGraph, dist: Distances, refused: readonly number[]): Uint8Array {
  const N = g.nodeCount;
  const flags = sharedU8(N);
  const stack = new Uint32Array(N);
  let sp = 0;
  const shortcut = g.edgeTypeCodes.shortcut;
  const element = g.edgeTypeCodes.element;
  const weak = g.edgeTypeCodes.weak;
  const seeds: number[] = [];
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) {
    const t = g.edgeType(e);
    const to = g.edgeTo(e);
    const isDocTrees = t === element && g.nodeType(to) === g.types.synthetic && g.nodeName(to) === "(Document DOM trees)";
    if (t === shortcut || isDocTrees) seeds.push(to);
  }
  // Shortcut: when the seeds are exactly the user roots, the distances' first BFS pass already
  // walked everything they reach, except behind the edges its filter refused; only those need
  // walking again. Saves a traversal of the whole heap.
  const { distance, userRoots } = dist;
  const rootsHeld = new Set<number>();
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (userRoots[g.edgeTo(e)] === 1) rootsHeld.add(g.edgeTo(e));
  const seedSet = new Set(seeds);
  const sameSeeds = seedSet.size > 0 && seedSet.size === rootsHeld.size && seeds.every((n) => rootsHeld.has(n));
  if (sameSeeds) {
    for (let n = 0; n < N; n++) {
      const d = distance[n]!;
      if (d >= 1 && d < BASE_SYSTEM_DISTANCE) flags[n] = 1;
    }
    for (const n of refused) {
      if (flags[n] === 0) {
        flags[n] = 1;
        stack[sp++] = n;
      }
    }
  } else {
    for (const to of seeds) {
      if (flags[to] === 0) {
        flags[to] = 1;
        stack[sp++] = to;
      }
    }
  }
  const { edgeType, edgeTo } = g.columns;
  const firstEdge = g.firstEdge;
  while (sp > 0) {
    const n = stack[--sp]!;
    const end = firstEdge[n + 1]!;
    for (let e = firstEdge[n]!; e < end; e++) {
      if (edgeType[e] === weak) continue;
      const to = edgeTo[e]!;
      if (flags[to] !== 0) continue;
      flags[to] = 1;
      stack[sp++] = to;
    }
  }
  return flags;
}
