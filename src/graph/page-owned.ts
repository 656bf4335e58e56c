/**
 * Page ownership (docs/devtools-rules.md, "Essential edges"): which objects belong to the page
 * rather than to the debugger or the console. An edge from a non-page object into a page object
 * is not essential, so such objects cannot steal the dominance of what the page holds.
 */
import type { HeapGraph } from "./heap-graph.js";
import { sharedU32, sharedU8 } from "../snapshot/columns.js";
import { grown } from "./lists.js";
import { BASE_SYSTEM_DISTANCE, type Distances } from "./distances.js";
import type { EssentialInput } from "./essential.js";

/** What the walk over non-weak edges reads and writes: plain columns, so the analysis helper thread can run it. */
export interface PageInput {
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeTo: Uint32Array;
  weakEdge: number;
  /** Where the walk starts (nodes already flagged are not walked from again). */
  seeds: Uint32Array;
  /** Written: 1 for every node the walk reaches (and for those flagged before it). */
  flags: Uint8Array;
}

/**
 * The page's seeds: the targets of the root's shortcut edges (user globals) and
 * `(Document DOM trees)`.
 */
export function pageSeeds(g: HeapGraph): number[] {
  const shortcut = g.edgeTypeCodes.shortcut;
  const element = g.edgeTypeCodes.element;
  const seeds: number[] = [];
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) {
    const t = g.edgeType(e);
    const to = g.edgeTo(e);
    const isDocTrees = t === element && g.nodeType(to) === g.types.synthetic && g.nodeName(to) === "(Document DOM trees)";
    if (t === shortcut || isDocTrees) seeds.push(to);
  }
  return seeds;
}

/**
 * The input of the general walk ({@link walkPageOwned}) for graph `g`: from the seeds, a flag per
 * node, in shared memory (the analysis helper thread writes it). Needs nothing computed before
 * (the analysis helper runs it beside the distances).
 */
export function pageInput(g: HeapGraph): PageInput {
  const { edgeType, edgeTo } = g.columns;
  const seeds = pageSeeds(g);
  const shared = sharedU32(seeds.length);
  shared.set(seeds);
  return { firstEdge: g.firstEdge, edgeType, edgeTo, weakEdge: g.edgeTypeCodes.weak, seeds: shared, flags: sharedU8(g.nodeCount) };
}

/**
 * The walk's stack, holding the seeds not flagged yet, flagged. Every node enters the stack at most
 * once; it grows as needed (a heap's walk rarely holds a large part of it at once).
 */
function seedStack(seeds: Iterable<number>, flags: Uint8Array): { stack: Uint32Array; sp: number } {
  let stack: Uint32Array = new Uint32Array(Math.min(flags.length, 1 << 16) || 1);
  let sp = 0;
  for (const to of seeds) {
    if (flags[to] !== 0) continue;
    flags[to] = 1;
    if (sp === stack.length) stack = grown(stack);
    stack[sp++] = to;
  }
  return { stack, sp };
}

/** Flags every node reachable from the seeds over non-weak edges (see {@link PageInput}). */
export function walkPageOwned(input: PageInput): Uint8Array {
  const { firstEdge, edgeType, edgeTo, weakEdge: weak, seeds, flags } = input;
  let { stack, sp } = seedStack(seeds, flags);
  while (sp > 0) {
    const n = stack[--sp]!;
    const end = firstEdge[n + 1]!;
    for (let e = firstEdge[n]!; e < end; e++) {
      if (edgeType[e] === weak) continue;
      const to = edgeTo[e]!;
      if (flags[to] !== 0) continue;
      flags[to] = 1;
      if (sp === stack.length) stack = grown(stack);
      stack[sp++] = to;
    }
  }
  return flags;
}

/**
 * {@link walkPageOwned} from flags all 0, marking on the way the essential edges of every node it
 * walks from (`essential.mask`, see `markEssential`): a page object's edges are essential or not
 * whatever the page owns (only an edge from a non-page object into a page object depends on it).
 * Every flagged node is walked from, so what is left to mark is the edges of the nodes left
 * unflagged (`markEssential` with `outsidePage`). One pass over the page's edges instead of two.
 */
export function walkPageOwnedMarking(input: PageInput, essential: EssentialInput): Uint8Array {
  const { firstEdge, edgeType, edgeTo, weakEdge: weak, seeds, flags } = input;
  const { edgeName, nodeId, weakMapTables: tables, mask } = essential;
  const { shortcut, internal } = essential.codes;
  let { stack, sp } = seedStack(seeds, flags);
  while (sp > 0) {
    const n = stack[--sp]!;
    const end = firstEdge[n + 1]!;
    const id = nodeId[n]!;
    // From the root, shortcut edges are essential too.
    const cut = n === 0 ? -1 : shortcut;
    for (let e = firstEdge[n]!; e < end; e++) {
      const t = edgeType[e]!;
      if (t === weak) continue;
      const to = edgeTo[e]!;
      if (to !== n && t !== cut && (t !== internal || tables[edgeName[e]!] !== id)) mask[e] = 1;
      if (flags[to] !== 0) continue;
      flags[to] = 1;
      if (sp === stack.length) stack = grown(stack);
      stack[sp++] = to;
    }
  }
  return flags;
}

/**
 * One byte per node, 1 for objects owned by the page: everything reachable, over non-weak edges,
 * from the root's shortcut edges (user globals) and from `(Document DOM trees)`. Debugger and
 * console objects are not. In shared memory (the analysis helper thread reads it).
 *
 * `dist` and `refused` are what `computeDistances` produced: when the seeds are exactly the
 * user roots (always so for Node), its first pass already walked everything they reach except
 * behind the edges it refused, so only those are walked again. The result is the same as the
 * general walk's ({@link walkPageOwned} from {@link pageInput}), which needs no distances.
 */
export function pageOwned(g: HeapGraph, dist: Distances, refused: readonly number[]): Uint8Array {
  const N = g.nodeCount;
  const input = pageInput(g);
  const seeds = Array.from(input.seeds);
  // Shortcut: when the seeds are exactly the user roots, the distances' first BFS pass already
  // walked everything they reach, except behind the edges its filter refused; only those need
  // walking again. Saves a traversal of the whole heap.
  const { distance, userRoots } = dist;
  const rootsHeld = new Set<number>();
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (userRoots[g.edgeTo(e)] === 1) rootsHeld.add(g.edgeTo(e));
  const seedSet = new Set(seeds);
  const sameSeeds = seedSet.size > 0 && seedSet.size === rootsHeld.size && seeds.every((n) => rootsHeld.has(n));
  if (!sameSeeds) return walkPageOwned(input);
  const flags = input.flags;
  for (let n = 0; n < N; n++) {
    const d = distance[n]!;
    if (d >= 1 && d < BASE_SYSTEM_DISTANCE) flags[n] = 1;
  }
  // Walked on from the refused targets not reached otherwise (walkPageOwned skips flagged seeds).
  const more = refused.filter((n) => flags[n] === 0);
  return walkPageOwned({ ...input, seeds: Uint32Array.from(more) });
}
