/**
 * Retained sizes (docs/devtools-rules.md, "Retained sizes"): per object, from the dominator tree,
 * and per class without double counting, as DevTools' Summary view shows them.
 */
import type { DominatorTree } from "./dominators.js";

/**
 * Retained sizes: a node's own size plus the retained sizes of the nodes it immediately dominates.
 * In `Float64Array`: they pass 2^32. `selfSize` gives each node's own size, or is the array of them.
 * Written into the tree's spare memory when it has some (which is then taken off the tree).
 */
export function retainedSizes(tree: DominatorTree, selfSize: ((n: number) => number) | Float64Array): Float64Array {
  const { idom, preorder, spare } = tree;
  tree.spare = undefined;
  const size = spare !== undefined && spare.length === idom.length ? spare : new Float64Array(idom.length);
  if (typeof selfSize === "function") for (let n = 0; n < idom.length; n++) size[n] = selfSize(n);
  else size.set(selfSize);
  // Reverse preorder: every node is finished before its dominator (which comes earlier).
  for (let i = preorder.length - 1; i > 0; i--) {
    const n = preorder[i]!;
    size[idom[n]!]! += size[n]!;
  }
  return size;
}

/** What {@link classRetainedSizes} reads, one entry per node unless said otherwise. */
export interface ClassRetainedInput {
  /** Class id of each node. */
  nodeClass: Uint32Array;
  /** Number of class ids (the length of the result). */
  classIdLimit: number;
  /** The dominator tree's preorder and, by preorder position, the position of each immediate dominator. */
  tree: Pick<DominatorTree, "preorder" | "idomIndex">;
  retained: Float64Array;
  /** Self sizes as DevTools shows them: objects of size 0 neither count nor block. */
  shallow: Float64Array;
}

/**
 * Retained size per class id without double counting (DevTools' Summary): an object counts only
 * when no dominator-tree ancestor of the same class was counted; objects of size 0 neither count
 * nor block, nor do objects left out by `filter` (one byte per node, 1 = include). With `groups`
 * (class id → group id), per group instead (the result is still indexed by class id, which must
 * cover every group id).
 */
export function classRetainedSizes(input: ClassRetainedInput, filter?: Uint8Array, groups?: Uint32Array): Float64Array {
  const { nodeClass, retained, shallow } = input;
  const { preorder, idomIndex } = input.tree;
  const N = preorder.length;
  const out = new Float64Array(input.classIdLimit);
  if (N === 0) return out;
  // Everything by position in the DFS preorder, where dominator subtrees lie close together:
  // the walk below then reads memory almost in sequence. Each pass is a function of its own (see
  // computeShallowSizes in shallow.ts): V8 then optimises each once, while it runs.
  const cls = classesByPosition(preorder, nodeClass, shallow, filter, groups);
  // The dominator tree as links by position: each node's first child and next sibling, children
  // in ascending position; 0 is "none" (the root, at position 0, is nobody's child or sibling).
  const firstChild = new Uint32Array(N);
  const nextSibling = new Uint32Array(N);
  linkChildren(idomIndex, firstChild, nextSibling);
  sumOutermost(cls, preorder, firstChild, nextSibling, idomIndex, retained, out);
  return out;
}

/** Marks, in {@link classesByPosition}' result, an object that neither counts nor blocks. */
const NONE = 0xffffffff;

/** Class ids by preorder position, or {@link NONE} for objects of size 0 or filtered out. */
function classesByPosition(
  preorder: Uint32Array,
  nodeClass: Uint32Array,
  shallow: Float64Array,
  filter: Uint8Array | undefined,
  groups: Uint32Array | undefined,
): Uint32Array {
  const N = preorder.length;
  const cls = new Uint32Array(N);
  for (let k = 0; k < N; k++) {
    const n = preorder[k]!;
    cls[k] = shallow[n]! !== 0 && (filter === undefined || filter[n] === 1) ? (groups ? groups[nodeClass[n]!]! : nodeClass[n]!) : NONE;
  }
  return cls;
}

function linkChildren(idomIndex: Uint32Array, firstChild: Uint32Array, nextSibling: Uint32Array): void {
  for (let k = firstChild.length - 1; k > 0; k--) {
    const p = idomIndex[k]!;
    nextSibling[k] = firstChild[p]!;
    firstChild[p] = k;
  }
}

/**
 * Adds to `out` the retained size of each object that counts and has no counted dominator-tree
 * ancestor of its class.
 */
function sumOutermost(
  cls: Uint32Array,
  preorder: Uint32Array,
  firstChild: Uint32Array,
  nextSibling: Uint32Array,
  idomIndex: Uint32Array,
  retained: Float64Array,
  out: Float64Array,
): void {
  const N = cls.length;
  const onPath = new Uint8Array(out.length);
  // Which nodes marked their class on the path (counted, and have children): a bit each.
  const marked = new Uint8Array((N + 7) >>> 3);
  // Depth first without a stack: down to the first child, on to the next sibling, and back up
  // through the dominators (each node's class unmarked when it is left, if it marked it).
  let k = 0;
  for (;;) {
    const c = cls[k]!;
    if (k !== 0 && c !== NONE && onPath[c] === 0) {
      out[c]! += retained[preorder[k]!]!;
      if (firstChild[k] !== 0) {
        onPath[c] = 1;
        marked[k >>> 3]! |= 1 << (k & 7);
      }
    }
    if (firstChild[k] !== 0) {
      k = firstChild[k]!;
      continue;
    }
    for (;;) {
      if (k === 0) return;
      if ((marked[k >>> 3]! & (1 << (k & 7))) !== 0) onPath[cls[k]!] = 0;
      if (nextSibling[k] !== 0) {
        k = nextSibling[k]!;
        break;
      }
      k = idomIndex[k]!;
    }
  }
}
