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
 * - the four per-node fields the main loop touches together (ancestor, semi, best semi, list start)
 *   share one cache line: one `Uint32Array`, stride 4, indexed by DFS number;
 * - the DFS numbering and the predecessor lists do not depend on each other: with a helper
 *   thread, it numbers the nodes while this thread builds the lists;
 * - the lists are built going through the edges in storage order (sequential reads, the list
 *   slots written at random), as ordinals, then turned into DFS numbers in one pass of independent
 *   reads, which the CPU overlaps;
 * - a node with one essential retainer (most of a heap) has it as its DFS parent, which is then
 *   its semidominator: only nodes with two or more get a predecessor list.
 */
import type { HeapGraph } from "./heap-graph.js";
import { sharedU32, sharedU8 } from "../snapshot/columns.js";
import { grown } from "./lists.js";
import type { Helper } from "./helper.js";
import type { Chain } from "./helper-tasks.js";

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
  /**
   * Memory the pass has finished with (its per-node records), one float64 per node: what
   * {@link retainedSizes} fills instead of allocating a new array of that size while the pass's
   * other arrays are still held. Taken off the tree by the first to use it.
   */
  spare?: Float64Array | undefined;
}

// Fields of the per-node record (by DFS number, stride 2): what path compression reads and writes.
const ANCESTOR = 0; // the DFS parent, then compressed towards the forest root
// The smallest semidominator number on the node's compressed path. Lengauer & Tarjan keep the node
// that has it (the "label") and look its semidominator up; Semi-NCA needs only the number, and
// keeping the number saves a dependent load (a cache miss, mostly) per node on every path. The
// semidominators themselves are read in order, not at random: they have an array of their own.
const BEST = 1;

/**
 * @param essential one byte per edge: 1 when the edge counts for dominance
 * @example
 * const { idom } = dominatorTree(graph, new HeapAnalysis(graph).essentialEdges());
 */
export function dominatorTree(graph: HeapGraph, essential: Uint8Array): DominatorTree {
  if (graph.nodeCount === 0) return EMPTY_TREE;
  const work = allocate(graph);
  const count = numberFromRoot(numberingInput(work, essential));
  const lists = predecessorInput(work, essential);
  const pred = buildPredecessors(lists);
  finishNumbering(work, essential, count, lists, pred);
  return finishTree(work);
}

/**
 * The dominator pass begun on the helper thread ({@link beginDominatorTree}): its arrays, and the
 * helper's DFS numbering under way.
 */
export interface BegunTree {
  work: Numbering;
  /** How many nodes the helper's DFS from the root reached; null when it failed (nothing numbered, or part). */
  numbered: Promise<number | null>;
}

/**
 * Allocates the dominator pass's arrays and has the helper number the nodes depth-first over
 * `essential`, while this thread goes on with other work. With `chain`, the mask is still being
 * written by an earlier task of the same helper, and the numbering runs only if that one succeeded
 * (see helper-tasks.ts). Finish with {@link dominatorTreeWithHelper} (option `begun`).
 */
export function beginDominatorTree(graph: HeapGraph, essential: Uint8Array, helper: Helper, chain?: Chain): BegunTree {
  const work = allocate(graph);
  if (graph.nodeCount === 0) return { work, numbered: Promise.resolve(0) };
  const numbered = helper.run({ task: "number", input: numberingInput(work, essential), ...(chain ? { chain } : {}) });
  return { work, numbered };
}

/**
 * The same tree, with the helper thread numbering the nodes depth-first while this thread builds
 * the predecessor lists (the two passes do not depend on each other; the lists, whose size only
 * the count tells, are allocated on this thread, where the memory goes back to the allocator this
 * thread uses for what comes next), and, given `alongside`, finishing the tree while this thread
 * does that. Falls back to doing it all here when the helper fails.
 */
export async function dominatorTreeWithHelper(
  graph: HeapGraph,
  essential: Uint8Array,
  helper: Helper,
  /**
   * Work that does not need the tree, done on this thread while the helper finishes it (semidominators
   * and immediate dominators); without it, this thread finishes the tree. `helperBusy()` tells,
   * without waiting, whether the helper is still at it: work that can stop part way stops when it
   * is not, and leaves the rest for later, so that it never makes the tree wait.
   */
  alongside?: (helperBusy: () => boolean) => void,
  /**
   * Given, the mask is let go once the predecessor lists are built (`drop` tells the caller to
   * let go of it too; the finish does not need it, and the work alongside may want the memory):
   * `again` gives it anew should the helper fail.
   */
  letGo?: { drop: () => void; again: () => Uint8Array },
  more: {
    /**
     * The pass as {@link beginDominatorTree} began it (the helper numbering the nodes already);
     * `essential` is then the mask it numbers over, or, when the task that marked it failed, one
     * marked anew by the caller.
     */
    begun?: BegunTree;
    /**
     * Called once the helper is given its last task of the pass that this thread waits for (half
     * of the lists' translation): the caller can queue work of its own for the helper then, which
     * it does while this thread finishes the tree.
     */
    afterNumbering?: () => void;
  } = {},
): Promise<DominatorTree> {
  if (graph.nodeCount === 0) {
    more.afterNumbering?.();
    alongside?.(() => false);
    return EMPTY_TREE;
  }
  const work = more.begun?.work ?? allocate(graph);
  const helped = more.begun?.numbered ?? helper.run({ task: "number", input: numberingInput(work, essential) });
  const lists = predecessorInput(work, essential);
  let pred = buildPredecessors(lists);
  let count = await helped;
  if (count === null) {
    // The helper may have stopped part way (some nodes numbered): number them all over here
    // (every node's entry in vertex and rec is written again). A failed helper writes nothing more
    // (it is dead, or its task ended with an error).
    work.dn.fill(0, 0, work.N + 1);
    count = numberFromRoot(numberingInput(work, essential));
  }
  numberUnreached(work, essential, count);
  // The lists' slots into DFS numbers, half on each thread.
  const half = pred.length >>> 1;
  const translated = helper.run({ task: "translate", input: { pred, dn: work.dn, from: half, to: pred.length } });
  more.afterNumbering?.();
  translatePredecessors({ pred, dn: work.dn, from: 0, to: half });
  if ((await translated) === null) {
    // The helper's half may be partly translated, and a slot does not say whether it is: build
    // the lists again and translate them all here.
    lists.start.fill(0);
    lists.listed.fill(0);
    lists.unheld.fill(0);
    pred = buildPredecessors(lists);
    translatePredecessors({ pred, dn: work.dn, from: 0, to: pred.length });
  }
  recordLists(work, lists, pred);
  if (!alongside) return finishTree(work);
  if (letGo) {
    essential = NO_MASK;
    letGo.drop();
  }
  const input = finishInput(work);
  // Set to 1 by the helper when the tree is finished (see Chain): read by helperBusy().
  const stage = new Int32Array(new SharedArrayBuffer(4));
  const finished = helper.run({ task: "finish-tree", input, chain: { stage, after: 0 } });
  alongside(() => Atomics.load(stage, 0) === 0);
  if ((await finished) !== null) return treeIn(input);
  // The helper may have stopped part way through arrays it changes in place: start over here.
  return dominatorTree(graph, letGo ? letGo.again() : essential);
}

const NO_MASK = new Uint8Array(0);

/** The immediate dominator of every node, from the tree's preorder form (`idom[preorder[k]] = preorder[idomIndex[k]]`). */
export function idomFromPreorder(preorder: Uint32Array, idomIndex: Uint32Array): Uint32Array {
  const idom = new Uint32Array(preorder.length);
  for (let k = 0; k < preorder.length; k++) idom[preorder[k]!] = preorder[idomIndex[k]!]!;
  return idom;
}

const EMPTY_TREE: DominatorTree = { idom: new Uint32Array(0), preorder: new Uint32Array(0), idomIndex: new Uint32Array(0) };

/** What building the predecessor lists reads and writes (shared memory when a helper does it). */
export interface PredecessorInput {
  N: number;
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  essential: Uint8Array;
  /**
   * N + 1 entries by ordinal, all 0 to begin with; on return, where each node's list starts (the
   * lists lie in ordinal order, so node w's ends where w + 1's starts; the last entry is the
   * total). Nodes with fewer than two essential retainers have an empty list.
   */
  start: Uint32Array;
  /** One bit per ordinal, all 0 to begin with; on return, 1 for nodes with a list (two or more essential retainers). */
  listed: Uint8Array;
  /** One bit per ordinal, all 0 to begin with; on return, 1 for nodes with no essential retainer at all. */
  unheld: Uint8Array;
}

function predecessorInput(work: Numbering, essential: Uint8Array): PredecessorInput {
  const { N, firstEdge, edgeTo, dn, listed, unheld } = work;
  return { N, firstEdge, edgeTo, essential, start: dn.subarray(N + 1, 2 * N + 2), listed, unheld };
}

/**
 * The predecessor lists (as ordinals) of the nodes with two or more essential retainers, in
 * shared memory: counts the essential in-degrees, lays the lists out, then fills them going through
 * the edges in storage order (sequential reads; only the list slots are written at random).
 * A node with one essential retainer has it as its DFS parent, which is then its semidominator:
 * it needs no list (most of a heap).
 */
export function buildPredecessors(input: PredecessorInput): Uint32Array {
  const { N, firstEdge, edgeTo, essential, start, listed, unheld } = input;
  // Each pass is a function of its own (see computeShallowSizes in shallow.ts: V8 then optimises
  // each once, while it runs, instead of the whole function again after each loop).
  countEssentialRetainers(firstEdge[0]!, firstEdge[N]!, edgeTo, essential, start);
  const total = layOutLists(N, start, listed, unheld);
  const pred = sharedU32(total);
  fillLists(N, firstEdge, edgeTo, essential, listed, start, pred);
  return pred;
}

function countEssentialRetainers(from: number, to: number, edgeTo: Uint32Array, essential: Uint8Array, start: Uint32Array): void {
  for (let e = from; e < to; e++) if (essential[e] !== 0) start[edgeTo[e]]!++;
}

/**
 * Each list's end, where the fill starts writing it backwards (empty lists start and end at the
 * same place), and the `listed` and `unheld` bits; returns the lists' total length.
 */
function layOutLists(N: number, start: Uint32Array, listed: Uint8Array, unheld: Uint8Array): number {
  let total = 0;
  for (let w = 0; w < N; w++) {
    const c = start[w]!;
    if (c >= 2) {
      total += c;
      listed[w >>> 3]! |= 1 << (w & 7);
    } else if (c === 0) {
      unheld[w >>> 3]! |= 1 << (w & 7);
    }
    start[w] = total;
  }
  start[N] = total;
  return total;
}

function fillLists(
  N: number,
  firstEdge: Uint32Array,
  edgeTo: Uint32Array,
  essential: Uint8Array,
  listed: Uint8Array,
  start: Uint32Array,
  pred: Uint32Array,
): void {
  for (let src = 0; src < N; src++) {
    const end = firstEdge[src + 1]!;
    for (let e = firstEdge[src]!; e < end; e++) {
      if (essential[e] === 0) continue;
      const w = edgeTo[e]!;
      if ((listed[w >>> 3]! & (1 << (w & 7))) === 0) continue;
      pred[--start[w]!] = src;
    }
  }
}

export interface Numbering {
  N: number;
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  /**
   * 2N + 2 entries, in shared memory, used in turn for: [0, N] each ordinal's DFS number, and
   * [N + 1, 2N + 1] the predecessor list starts (see PredecessorInput); then [0, N] each DFS
   * number's list end; then, while the tree is finished, [N + 1, 2N + 1] the immediate dominators
   * by DFS number; and at last the outputs (see treeIn).
   */
  dn: Uint32Array;
  /** DFS number → ordinal. */
  vertex: Uint32Array;
  /** The per-node record, by DFS number, stride 2 (see ANCESTOR, BEST). */
  rec: Uint32Array;
  /** By DFS number: where the node's predecessor list starts (it ends: see dn), then its semidominator. */
  semi: Uint32Array;
  /** By DFS number: 1 = an unreachable DFS start attached to the root, 2 = dominated by the root outright. */
  forced: Uint8Array;
  listed: Uint8Array;
  unheld: Uint8Array;
  /** The predecessor lists, as DFS numbers once numbering is finished. */
  pred: Uint32Array;
}

function allocate(graph: HeapGraph): Numbering {
  const N = graph.nodeCount;
  const bits = (N + 7) >>> 3;
  return {
    N,
    firstEdge: graph.firstEdge,
    edgeTo: graph.columns.edgeTo,
    dn: sharedU32(2 * N + 2),
    vertex: sharedU32(N + 1),
    rec: sharedU32(2 * (N + 2)),
    semi: sharedU32(N + 2),
    forced: sharedU8(N + 1),
    listed: sharedU8(bits),
    unheld: sharedU8(bits),
    pred: NO_PRED,
  };
}

const NO_PRED = new Uint32Array(0);

/** What the DFS numbering reads and writes (shared memory when a helper does it). */
export interface NumberingInput {
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  essential: Uint8Array;
  /** Written: [0, N) each ordinal's DFS number (must start all 0; see Numbering.dn). */
  dn: Uint32Array;
  /** Written: DFS number → ordinal. */
  vertex: Uint32Array;
  /** Written: each numbered node's record (see ANCESTOR, BEST). */
  rec: Uint32Array;
}

function numberingInput(work: Numbering, essential: Uint8Array): NumberingInput {
  const { firstEdge, edgeTo, dn, vertex, rec } = work;
  return { firstEdge, edgeTo, essential, dn, vertex, rec };
}

/** Numbers node w (DFS number i) under the node numbered parentNum. */
function visit(work: NumberingInput, w: number, i: number, parentNum: number): void {
  work.dn[w] = i;
  work.vertex[i] = w;
  const rec = work.rec;
  rec[2 * i + ANCESTOR] = parentNum;
  rec[2 * i + BEST] = i; // until processed: unprocessed predecessors stand for themselves
}

/** The DFS's stacks (kept between the DFS runs of one numbering; grown as needed). */
interface DfsStacks {
  /**
   * Per level: the node's DFS number, the next edge to follow, the end of its edges (nothing
   * read at random when the DFS comes back up to the node).
   */
  num: Uint32Array;
  edge: Uint32Array;
  end: Uint32Array;
}

/**
 * Depth-first over essential edges from `start`, numbering from count + 1 under parentNum; returns
 * the new count. DFS numbers are 1-based (0 = not visited).
 */
function dfsFrom(work: NumberingInput, stacks: DfsStacks, start: number, parentNum: number, count: number): number {
  const { firstEdge, edgeTo, essential, dn } = work;
  let { num, edge, end } = stacks;
  visit(work, start, ++count, parentNum);
  num[0] = count;
  edge[0] = firstEdge[start]!;
  end[0] = firstEdge[start + 1]!;
  let sp = 1;
  while (sp > 0) {
    // The top node's next edge into a node not numbered yet, over essential edges (the loads of
    // one node's targets do not depend on each other, and the stack is written once per step).
    let e = edge[sp - 1]!;
    const last = end[sp - 1]!;
    while (e < last && (essential[e] === 0 || dn[edgeTo[e]!] !== 0)) e++;
    if (e >= last) {
      sp--;
      continue;
    }
    edge[sp - 1] = e + 1;
    const w = edgeTo[e]!;
    visit(work, w, ++count, num[sp - 1]!);
    if (sp === num.length) {
      num = stacks.num = grown(num);
      edge = stacks.edge = grown(edge);
      end = stacks.end = grown(end);
    }
    num[sp] = count;
    edge[sp] = firstEdge[w]!;
    end[sp] = firstEdge[w + 1]!;
    sp++;
  }
  return count;
}

function newStacks(): DfsStacks {
  return { num: new Uint32Array(1 << 12), edge: new Uint32Array(1 << 12), end: new Uint32Array(1 << 12) };
}

/** DFS numbering from the root; returns how many nodes it reached. */
export function numberFromRoot(input: NumberingInput): number {
  return dfsFrom(input, newStacks(), 0, 0, 0);
}

/**
 * Given the predecessor lists: numbers the nodes the root's DFS did not reach (as DevTools
 * attaches them), turns the lists' ordinals into DFS numbers, and records where each node's list
 * starts and ends by DFS number.
 */
function finishNumbering(work: Numbering, essential: Uint8Array, reached: number, lists: PredecessorInput, pred: Uint32Array): void {
  numberUnreached(work, essential, reached);
  translatePredecessors({ pred, dn: work.dn, from: 0, to: pred.length });
  recordLists(work, lists, pred);
}

/** Numbers the nodes the root's DFS did not reach (reached: how many it did), as DevTools attaches them. */
function numberUnreached(work: Numbering, essential: Uint8Array, reached: number): void {
  const { N, dn, forced, unheld } = work;
  let count = reached;
  if (count < N) {
    const numbering = numberingInput(work, essential);
    const stacks = newStacks();
    // Nodes no essential path from the root reaches, as DevTools attaches them: first each node
    // that has no essential retainer at all (held only weakly...) starts a DFS of its own under the
    // root; then what is still left (cycles only reachable from each other) is dominated by the
    // root directly.
    for (let n = 1; n < N; n++) {
      if (dn[n] !== 0 || (unheld[n >>> 3]! & (1 << (n & 7))) === 0) continue;
      count = dfsFrom(numbering, stacks, n, 1, count);
      forced[dn[n]!] = 1;
    }
    for (let n = 1; n < N; n++) {
      if (dn[n] !== 0) continue;
      visit(numbering, n, ++count, 1);
      // Its BEST stays count: larger than every DFS-reached number, so it cannot lower theirs.
      forced[count] = 2;
    }
  }
}

/** What turning a range of the lists' slots from ordinals into DFS numbers reads and writes. */
export interface TranslateInput {
  pred: Uint32Array;
  /** [0, N): each ordinal's DFS number (see Numbering.dn). */
  dn: Uint32Array;
  from: number;
  to: number;
}

/** Turns the lists' slots from..to (exclusive) into DFS numbers: independent random reads, which the CPU overlaps. */
export function translatePredecessors(input: TranslateInput): void {
  const { pred, dn, from, to } = input;
  for (let r = from; r < to; r++) pred[r] = dn[pred[r]!]!;
}

/** Where each node's list starts and ends, by DFS number (the DFS numbers by ordinal are done with). */
function recordLists(work: Numbering, lists: PredecessorInput, pred: Uint32Array): void {
  const { N, dn, vertex, semi } = work;
  const start = lists.start;
  const ends = dn; // the DFS numbers by ordinal are done with
  for (let i = 1; i <= N; i++) {
    const w = vertex[i]!;
    semi[i] = start[w]!;
    ends[i] = start[w + 1]!;
  }
  work.pred = pred;
}

/** What finishing the tree reads and writes (shared memory: the helper thread can do it). */
export interface FinishInput {
  N: number;
  dn: Uint32Array;
  vertex: Uint32Array;
  rec: Uint32Array;
  semi: Uint32Array;
  forced: Uint8Array;
  pred: Uint32Array;
}

function finishInput(work: Numbering): FinishInput {
  const { N, dn, vertex, rec, semi, forced, pred } = work;
  return { N, dn, vertex, rec, semi, forced, pred };
}

/** Semidominators, then immediate dominators, from numbered nodes with filled lists. */
function finishTree(work: FinishInput): DominatorTree {
  finishInPlace(work);
  return treeIn(work);
}

/** The tree {@link finishInPlace} left in the input's arrays; the records (8 bytes a node and more) are spare. */
function treeIn(work: FinishInput): DominatorTree {
  const { N, dn, vertex, rec } = work;
  const spare = new Float64Array(rec.buffer, rec.byteOffset, N);
  return { idom: dn.subarray(0, N), preorder: vertex.subarray(1, N + 1), idomIndex: dn.subarray(N + 1, 2 * N + 1), spare };
}

/**
 * Semidominators, then immediate dominators, written into the input's arrays (see {@link treeIn}
 * for where).
 */
export function finishInPlace(work: FinishInput): void {
  const { N, dn, vertex, rec, semi, forced, pred } = work;
  // The list starts by ordinal are done with: their half of the buffer takes the DFS parents,
  // which become the immediate dominators; the list ends by DFS number are in the other half.
  // Nothing new is allocated at the pass's memory peak. Each pass is a function of its own (see
  // computeShallowSizes in shallow.ts): V8 then optimises each once, while it runs, instead of
  // the whole function again each time a later loop is reached.
  const ends = dn.subarray(0, N + 1);
  const idom = dn.subarray(N + 1, 2 * N + 2);
  parentsAsDominators(N, rec, idom);
  semidominators(N, rec, semi, forced, pred, ends);
  immediateDominators(N, semi, idom);
  // By ordinal, then by preorder position, in place: position k is DFS number k + 1.
  dominatorsByOrdinal(N, vertex, idom, dn.subarray(0, N));
  dominatorsByPosition(N, idom, dn.subarray(N + 1, 2 * N + 1));
}

/** Each DFS parent as the first guess at the immediate dominator (the root's is itself). */
function parentsAsDominators(N: number, rec: Uint32Array, idom: Uint32Array): void {
  for (let i = 1; i <= N; i++) idom[i] = rec[2 * i + ANCESTOR]!;
  idom[1] = 1;
}

/**
 * Semidominators, in reverse DFS order. A node is linked (its ANCESTOR is live) once processed,
 * i.e. when its number is above the one being processed.
 */
function semidominators(N: number, rec: Uint32Array, semis: Uint32Array, forced: Uint8Array, pred: Uint32Array, ends: Uint32Array): void {
  let path: Uint32Array = new Uint32Array(1 << 16);
  const evaluate = (v: number, lastLinked: number): number => {
    if (rec[2 * v + ANCESTOR]! < lastLinked) return rec[2 * v + BEST]!;
    // Collect the path up to the last linked node, then compress it from the top down.
    let sp = 0;
    let u = v;
    do {
      if (sp === path.length) path = grown(path);
      path[sp++] = u;
      u = rec[2 * u + ANCESTOR]!;
    } while (rec[2 * u + ANCESTOR]! >= lastLinked);
    let p = u;
    let best = rec[2 * p + BEST]!;
    while (sp > 0) {
      const x = path[--sp]!;
      rec[2 * x + ANCESTOR] = rec[2 * p + ANCESTOR]!;
      const xBest = rec[2 * x + BEST]!;
      if (best < xBest) rec[2 * x + BEST] = best;
      else best = xBest;
      p = x;
    }
    return best; // v's, after compression
  };
  for (let i = N; i >= 2; i--) {
    if (forced[i] === 2) {
      semis[i] = i; // larger than every DFS-reached number: cannot lower theirs
      continue;
    }
    const start = semis[i]!;
    const end = ends[i]!;
    // The DFS parent is a predecessor (for a DFS start under the root, the root stands in); with
    // one predecessor it is the semidominator.
    let semi = rec[2 * i + ANCESTOR]!;
    // Two shortcuts, exact: a predecessor numbered before i is not processed yet and stands for
    // itself (no record to read); and once semi is the root's number, nothing can lower it (on
    // the 200 MB benchmark a fifth of the predecessors come after that).
    for (let r0 = start; r0 < end && semi > 1; r0 += 16) {
      const r1 = Math.min(end, r0 + 16);
      // Touch the batch's records, then their ancestors', before the real work:
      // independent loads the CPU overlaps, where EVAL's chains of loads cannot be (measured on
      // the 1 GB benchmark: this loop 2.2 s → 1.7 s).
      let sink = 0;
      for (let r = r0; r < r1; r++) {
        const v = pred[r]!;
        if (v > i) sink |= rec[2 * v]!;
      }
      for (let r = r0; r < r1; r++) {
        const v = pred[r]!;
        if (v > i) sink |= rec[2 * rec[2 * v + ANCESTOR]!]!;
      }
      if (sink === 0xfffffffff) break; // never true: keeps the loads
      for (let r = r0; r < r1; r++) {
        const v = pred[r]!;
        const s = v < i ? v : evaluate(v, i + 1);
        if (s < semi) {
          semi = s;
          if (s === 1) break;
        }
      }
    }
    semis[i] = semi;
    rec[2 * i + BEST] = semi;
  }
}

/**
 * Immediate dominators: the nearest ancestor of the DFS parent, in the dominator tree built so
 * far, whose number is at most the semidominator's.
 */
function immediateDominators(N: number, semis: Uint32Array, idom: Uint32Array): void {
  for (let i = 2; i <= N; i++) {
    const semi = semis[i]!;
    let d = idom[i]!;
    while (d > semi && d > 1) d = idom[d]!; // (d > 1: the root ends every chain, whatever semi says)
    idom[i] = d;
  }
}

function dominatorsByOrdinal(N: number, vertex: Uint32Array, idom: Uint32Array, idomOut: Uint32Array): void {
  for (let i = 1; i <= N; i++) idomOut[vertex[i]!] = vertex[idom[i]!]!;
}

/** In place: `idomIndex` is `idom` one entry on, so each entry is read before it is written over. */
function dominatorsByPosition(N: number, idom: Uint32Array, idomIndex: Uint32Array): void {
  for (let k = 0; k < N; k++) idomIndex[k] = idom[k + 1]! - 1;
}
