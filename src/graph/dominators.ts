/**
 * Immediate dominators by the Semi-NCA algorithm (Georgiadis, "Linear-Time Algorithms for
 * Dominators and Related Problems", 2005; the variant LLVM uses): Lengauer & Tarjan's
 * semidominators with path compression, then each immediate dominator as the nearest common
 * ancestor of the DFS parent and the semidominator. Entirely iterative: the heap is millions of
 * nodes deep and recursion would overflow the stack.
 *
 * The flowgraph is the heap from the root (ordinal 0) over *essential* edges only. Nodes that no
 * essential path reaches (held only weakly, or only by shortcut edges...) are attached to the root
 * the way Chrome DevTools attaches them, so every node gets a dominator and a retained size.
 *
 * Built for 10^7+ nodes, where every random memory access counts:
 * - the four per-node fields the main loop touches together (ancestor, semi, label, list start)
 *   share one cache line: one `Uint32Array`, stride 4, indexed by DFS number;
 * - essential in-degrees are counted during the DFS, next to the DFS numbers (same cache line);
 * - a node with one essential retainer (most of a heap) has it as its DFS parent, which is then
 *   its semidominator: only nodes with two or more get a predecessor list, laid out in DFS order
 *   and each sorted, so that the records it leads to are read in address order.
 */
import type { HeapGraph } from "./heap-graph.js";
import { sharedU32, sharedU8 } from "../snapshot/columns.js";
import type { Helper } from "./helper.js";

export interface DominatorTree {
  /** Immediate dominator ordinal of every node (the root's is itself). */
  idom: Uint32Array;
  /** Node ordinals in DFS preorder: every node comes after its dominator. */
  preorder: Uint32Array;
  /**
   * By position in {@link preorder}: the position of the node's immediate dominator (0 for the
   * root). Passes over the tree in this order read memory nearly in sequence.
   */
  idomIndex: Uint32Array;
}

// Fields of the per-node record (by DFS number, stride 4).
const ANCESTOR = 0; // the DFS parent, then compressed towards the forest root
const SEMI = 1; // DFS number of the semidominator
const LABEL = 2; // DFS number of the node with the smallest semi on the compressed path
const PRED = 3; // where the node's predecessor list starts (it ends where the next one's starts)

/**
 * @param essential one byte per edge: 1 when the edge counts for dominance
 * @example
 * const { idom } = dominatorTree(graph, new HeapAnalysis(graph).essentialEdges());
 */
export function dominatorTree(graph: HeapGraph, essential: Uint8Array): DominatorTree {
  if (graph.nodeCount === 0) return EMPTY_TREE;
  const work = numberNodes(graph, essential);
  fillPredecessors(fillInput(work, essential, 1, work.N, false));
  return finishTree(work);
}

/**
 * The same tree, with the helper thread filling half of the predecessor lists (sources from the
 * middle of the DFS order on, written from each list's end backwards) while this thread fills the
 * other half, and, given `alongside`, finishing the tree while this thread does that. Falls back
 * to doing it all here when the helper fails.
 */
export async function dominatorTreeWithHelper(
  graph: HeapGraph,
  essential: Uint8Array,
  helper: Helper,
  /**
   * Work that does not need the tree, done on this thread while the helper finishes it (semidominators
   * and immediate dominators); without it, this thread finishes the tree.
   */
  alongside?: () => void,
  /**
   * Given, the mask is let go once the predecessor lists are filled (`drop` tells the caller to
   * let go of it too; the finish does not need it, and the work alongside may want the memory):
   * `again` gives it anew should the helper fail.
   */
  letGo?: { drop: () => void; again: () => Uint8Array },
): Promise<DominatorTree> {
  if (graph.nodeCount === 0) {
    alongside?.();
    return EMPTY_TREE;
  }
  const work = numberNodes(graph, essential);
  const half = Math.floor(work.N / 2);
  const helped = helper.run({ task: "fill-predecessors", input: fillInput(work, essential, half + 1, work.N, true) });
  fillPredecessors(fillInput(work, essential, 1, half, false));
  if ((await helped) === null) {
    // The helper may have stopped part way (its cursors moved, some slots written): start the
    // lists over and fill them all here. A failed helper writes nothing more (it is dead, or its
    // task ended with an error).
    resetCursors(work);
    fillPredecessors(fillInput(work, essential, 1, work.N, false));
  }
  if (!alongside) return finishTree(work);
  if (letGo) {
    essential = NO_MASK;
    letGo.drop();
  }
  const input = finishInput(work);
  const finished = helper.run({ task: "finish-tree", input });
  alongside();
  if ((await finished) !== null) return treeIn(input);
  // The helper may have stopped part way through arrays it changes in place: start over here.
  return dominatorTree(graph, letGo ? letGo.again() : essential);
}

const NO_MASK = new Uint8Array(0);

/** Puts every list's cursors back at its start (front) and end (back), as numberNodes left them. */
function resetCursors(work: Numbering): void {
  const { N, vertex, rec, dn } = work;
  for (let i = 1; i <= N; i++) {
    const w = vertex[i]!;
    const start = rec[4 * i + PRED]!;
    const end = rec[4 * (i + 1) + PRED]!;
    dn[2 * w + 1] = end > start ? start : NO_LIST;
    dn[2 * w] = end > start ? end : NO_LIST;
  }
}

/** What filling predecessor lists reads and writes (shared memory when a helper does it). */
export interface FillInput {
  vertex: Uint32Array;
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  essential: Uint8Array;
  /**
   * Per target ordinal w, where its list is written next, or NO_LIST: at `2w + 1` going forwards,
   * at `2w` (one past the next slot) going backwards. The two fillers use the two slots of the
   * same array (the lines they share would miss the cache anyway: the writes land at random).
   */
  cursor: Uint32Array;
  pred: Uint32Array;
  /** DFS numbers of the sources to go through, inclusive. */
  from: number;
  to: number;
  /** Write each list from its end backwards. */
  backwards: boolean;
}

function fillInput(work: Numbering, essential: Uint8Array, from: number, to: number, backwards: boolean): FillInput {
  const { vertex, firstEdge, edgeTo, dn, pred } = work;
  return { vertex, firstEdge, edgeTo, essential, cursor: dn, pred, from, to, backwards };
}

const EMPTY_TREE: DominatorTree = { idom: new Uint32Array(0), preorder: new Uint32Array(0), idomIndex: new Uint32Array(0) };

/** Marks, in a list cursor, a node with no list (fewer than two essential retainers). */
const NO_LIST = 0xffffffff;

/**
 * Appends each source (by DFS number, in DFS order) to the predecessor lists of its essential
 * edges' targets. Sources in DFS order make each list come out sorted (ascending from the front;
 * a backward filler leaves its part descending from the end): the semidominator loop then walks
 * the records of a node's predecessors in address order (fewer cache and TLB misses).
 */
export function fillPredecessors(input: FillInput): void {
  const { vertex, firstEdge, edgeTo, essential, cursor, pred, from, to, backwards } = input;
  const off = backwards ? 0 : 1;
  for (let v = from; v <= to; v++) {
    const src = vertex[v]!;
    const end = firstEdge[src + 1]!;
    for (let e = firstEdge[src]!; e < end; e++) {
      if (essential[e] === 0) continue;
      const slot = 2 * edgeTo[e]! + off;
      const at = cursor[slot]!;
      if (at === NO_LIST) continue;
      if (backwards) {
        pred[at - 1] = v;
        cursor[slot] = at - 1;
      } else {
        pred[at] = v;
        cursor[slot] = at + 1;
      }
    }
  }
}

interface Numbering {
  N: number;
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  /**
   * Per ordinal w: [2w] its DFS number, then the back list cursor (see dominatorTreeWithHelper),
   * [2w+1] its list cursor; once the lists are filled, the immediate dominators and then the
   * outputs (see finishTree). 2N + 2 entries, in shared memory.
   */
  dn: Uint32Array;
  /** DFS number → ordinal. */
  vertex: Uint32Array;
  rec: Uint32Array;
  forced: Uint8Array;
  pred: Uint32Array;
}

/** A stack that grows as needed (a DFS in a heap can be millions deep, but rarely is). */
function grown(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

/** DFS numbering, DevTools' attachment of unreachable nodes, and the predecessor lists' layout. */
function numberNodes(graph: HeapGraph, essential: Uint8Array): Numbering {
  const N = graph.nodeCount;
  const firstEdge = graph.firstEdge;
  const edgeTo = graph.columns.edgeTo;

  // ---- DFS numbering (1-based; 0 = not visited), counting essential in-degrees on the way.
  /** Per ordinal w: [2w] its DFS number, [2w+1] its essential in-degree, later its list cursor. */
  const dn = sharedU32(2 * N + 2);
  const vertex = sharedU32(N + 1); // DFS number → ordinal
  const rec = sharedU32(4 * (N + 2));
  /** By DFS number: 1 = an unreachable DFS start attached to the root, 2 = dominated by the root outright. */
  const forced = sharedU8(N + 1);
  let stackNode: Uint32Array = new Uint32Array(1 << 16);
  let stackEdge: Uint32Array = new Uint32Array(1 << 16);
  let count = 0;
  const visit = (w: number, parentNum: number): void => {
    const i = ++count;
    dn[2 * w] = i;
    vertex[i] = w;
    rec[4 * i + ANCESTOR] = parentNum;
    rec[4 * i + SEMI] = i; // until processed: unprocessed predecessors stand for themselves
    rec[4 * i + LABEL] = i;
  };
  /** Depth-first from `start`; `countEdges`: add the edges it follows to the in-degrees. */
  const dfsFrom = (start: number, parentNum: number, countEdges: boolean): void => {
    let sp = 0;
    visit(start, parentNum);
    stackNode[sp] = start;
    stackEdge[sp] = firstEdge[start]!;
    sp++;
    while (sp > 0) {
      const v = stackNode[sp - 1]!;
      const e = stackEdge[sp - 1]!;
      if (e >= firstEdge[v + 1]!) {
        sp--;
        continue;
      }
      stackEdge[sp - 1] = e + 1;
      if (essential[e] === 0) continue;
      const w = edgeTo[e]!;
      if (countEdges) dn[2 * w + 1]!++;
      if (dn[2 * w] !== 0) continue;
      visit(w, dn[2 * v]!);
      if (sp === stackNode.length) {
        stackNode = grown(stackNode);
        stackEdge = grown(stackEdge);
      }
      stackNode[sp] = w;
      stackEdge[sp] = firstEdge[w]!;
      sp++;
    }
  };
  dfsFrom(0, 0, true);
  if (count < N) {
    // Nodes no essential path from the root reaches, as DevTools attaches them: first each node
    // that has no essential retainer at all (held only weakly...) starts a DFS of its own under the
    // root; then what is still left (cycles only reachable from each other) is dominated by the
    // root directly. The in-degrees so far count the edges from reached nodes; add the rest.
    for (let src = 0; src < N; src++) {
      if (dn[2 * src] !== 0) continue;
      for (let e = firstEdge[src]!; e < firstEdge[src + 1]!; e++) {
        if (essential[e] !== 0) dn[2 * edgeTo[e]! + 1]!++;
      }
    }
    for (let n = 1; n < N; n++) {
      if (dn[2 * n] !== 0 || dn[2 * n + 1] !== 0) continue;
      dfsFrom(n, 1, false);
      forced[dn[2 * n]!] = 1;
    }
    for (let n = 1; n < N; n++) {
      if (dn[2 * n] !== 0) continue;
      visit(n, 1);
      const i = count;
      // semi stays i: larger than every DFS-reached number, so it cannot lower theirs.
      forced[i] = 2;
    }
  }

  // ---- Predecessor lists (as DFS numbers) of nodes with two or more essential retainers, laid
  // out in DFS order. dn[2w+1] becomes the fill cursor, dn[2w] the back one (one past the list's
  // end; the DFS numbers are not needed any more); ~0: no list.
  let total = 0;
  for (let i = 1; i <= N; i++) {
    rec[4 * i + PRED] = total;
    const w = vertex[i]!;
    const c = dn[2 * w + 1]!;
    if (c >= 2) {
      dn[2 * w + 1] = total;
      total += c;
      dn[2 * w] = total;
    } else {
      dn[2 * w + 1] = NO_LIST;
      dn[2 * w] = NO_LIST;
    }
  }
  rec[4 * (N + 1) + PRED] = total;
  const pred = sharedU32(total);
  return { N, firstEdge, edgeTo, dn, vertex, rec, forced, pred };
}

/** What finishing the tree reads and writes (shared memory: the helper thread can do it). */
export interface FinishInput {
  N: number;
  dn: Uint32Array;
  vertex: Uint32Array;
  rec: Uint32Array;
  forced: Uint8Array;
  pred: Uint32Array;
}

function finishInput(work: Numbering): FinishInput {
  const { N, dn, vertex, rec, forced, pred } = work;
  return { N, dn, vertex, rec, forced, pred };
}

/** Semidominators, then immediate dominators, from numbered nodes with filled lists. */
function finishTree(work: FinishInput): DominatorTree {
  finishInPlace(work);
  return treeIn(work);
}

/** The tree {@link finishInPlace} left in the input's arrays. */
function treeIn(work: FinishInput): DominatorTree {
  const { N, dn, vertex } = work;
  return { idom: dn.subarray(N + 1, 2 * N + 1), preorder: vertex.subarray(1, N + 1), idomIndex: dn.subarray(0, N) };
}

/**
 * Semidominators, then immediate dominators, written into the input's arrays (see {@link treeIn}
 * for where).
 */
export function finishInPlace(work: FinishInput): void {
  const { N, vertex, rec, forced, pred } = work;
  // The DFS numbers and list cursors are done with: their buffer takes the DFS parents, which
  // become the immediate dominators, and then the outputs. Nothing new is allocated at the pass's
  // memory peak.
  const idom = work.dn.subarray(0, N + 1);
  for (let i = 1; i <= N; i++) idom[i] = rec[4 * i + ANCESTOR]!;
  idom[1] = 1;

  // ---- Semidominators, in reverse DFS order. A node is linked (its ANCESTOR is live) once
  // processed, i.e. when its number is above the one being processed.
  let path: Uint32Array = new Uint32Array(1 << 16);
  const evaluate = (v: number, lastLinked: number): number => {
    if (rec[4 * v + ANCESTOR]! < lastLinked) return rec[4 * v + LABEL]!;
    // Collect the path up to the last linked node, then compress it from the top down.
    let sp = 0;
    let u = v;
    do {
      if (sp === path.length) path = grown(path);
      path[sp++] = u;
      u = rec[4 * u + ANCESTOR]!;
    } while (rec[4 * u + ANCESTOR]! >= lastLinked);
    let p = u;
    let pLabel = rec[4 * p + LABEL]!;
    let x = v;
    while (sp > 0) {
      x = path[--sp]!;
      rec[4 * x + ANCESTOR] = rec[4 * p + ANCESTOR]!;
      const xLabel = rec[4 * x + LABEL]!;
      if (rec[4 * pLabel + SEMI]! < rec[4 * xLabel + SEMI]!) rec[4 * x + LABEL] = pLabel;
      else pLabel = xLabel;
      p = x;
    }
    return rec[4 * x + LABEL]!;
  };
  for (let i = N; i >= 2; i--) {
    if (forced[i] === 2) continue;
    const start = rec[4 * i + PRED]!;
    const end = rec[4 * (i + 1) + PRED]!;
    // The DFS parent is a predecessor (for a DFS start under the root, the root stands in); with
    // one predecessor it is the semidominator.
    let semi = rec[4 * i + ANCESTOR]!;
    for (let r0 = start; r0 < end; r0 += 16) {
      const r1 = Math.min(end, r0 + 16);
      // Touch the batch's records, then their ancestors' and labels', before the real work:
      // independent loads the CPU overlaps, where EVAL's chains of loads cannot be (measured on
      // the 1 GB benchmark: this loop 2.2 s → 1.7 s).
      let sink = 0;
      for (let r = r0; r < r1; r++) sink |= rec[4 * pred[r]!]!;
      for (let r = r0; r < r1; r++) {
        const v = pred[r]!;
        sink |= rec[4 * rec[4 * v]!]! | rec[4 * rec[4 * v + LABEL]! + SEMI]!;
      }
      if (sink === 0xfffffffff) break; // never true: keeps the loads
      for (let r = r0; r < r1; r++) {
        const v = pred[r]!;
        const s = rec[4 * evaluate(v, i + 1) + SEMI]!;
        if (s < semi) semi = s;
      }
    }
    rec[4 * i + SEMI] = semi;
  }

  // ---- Immediate dominators: the nearest ancestor of the DFS parent, in the dominator tree built
  // so far, whose number is at most the semidominator's.
  for (let i = 2; i <= N; i++) {
    const semi = rec[4 * i + SEMI]!;
    let d = idom[i]!;
    while (d > semi && d > 1) d = idom[d]!; // (d > 1: the root ends every chain, whatever semi says)
    idom[i] = d;
  }
  const idomOut = work.dn.subarray(N + 1, 2 * N + 1);
  for (let i = 1; i <= N; i++) idomOut[vertex[i]!] = vertex[idom[i]!]!;
  // By preorder position, in place: position k is DFS number k + 1.
  const idomIndex = work.dn.subarray(0, N);
  for (let k = 0; k < N; k++) idomIndex[k] = idom[k + 1]! - 1;
}
