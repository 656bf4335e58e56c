/**
 * Immediate dominators by Lengauer & Tarjan, "A fast algorithm for finding dominators in a
 * flowgraph" (TOPLAS 1979), the simple version (path compression, O(E log N)), entirely iterative:
 * the heap is millions of nodes deep and recursion would overflow the stack.
 *
 * The flowgraph is the heap from the root (ordinal 0) over *essential* edges only. Nodes that no
 * essential path reaches (held only weakly, or only by shortcut edges...) are attached to the root
 * the way Chrome DevTools attaches them, so every node gets a dominator and a retained size.
 */
import type { HeapGraph } from "./heap-graph.js";

export interface DominatorTree {
  /** Immediate dominator ordinal of every node (the root's is itself). */
  idom: Uint32Array;
  /** Node ordinals in DFS preorder: every node comes after its dominator. */
  preorder: Uint32Array;
}

/**
 * @param essential one byte per edge: 1 when the edge counts for dominance
 * @example
 * const { idom } = dominatorTree(graph, essentialEdges(graph));
 */
export function dominatorTree(graph: HeapGraph, essential: Uint8Array): DominatorTree {
  const N = graph.nodeCount;
  const idomOut = new Uint32Array(N);
  if (N === 0) return { idom: idomOut, preorder: new Uint32Array(0) };
  const firstEdge = graph.firstEdge;
  const edgeTo = graph.columns.edgeTo;

  // ---- Step 1: DFS numbering (1-based numbers; 0 means "not visited").
  // Memory matters here (13M nodes: each array is 53 MB): buffers that are done with are reused
  // below — dfnum as the bucket heads, the DFS's edge stack as semi, idom as scratch.
  const dfnum = new Uint32Array(N + 1);
  const vertex = new Uint32Array(N + 1); // dfs number → ordinal
  const parent = new Uint32Array(N + 1); // dfs number → dfs number of the DFS-tree parent
  /** By dfs number: 1 = an unreachable DFS start attached to the root, 2 = dominated by the root outright. */
  const forced = new Uint8Array(N + 1);
  const stackNode = new Uint32Array(N + 1);
  const stackEdge = new Uint32Array(N + 1);
  let count = 0;
  const dfsFrom = (start: number, parentNum: number): void => {
    let sp = 0;
    dfnum[start] = ++count;
    vertex[count] = start;
    parent[count] = parentNum;
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
      if (dfnum[w] !== 0) continue;
      dfnum[w] = ++count;
      vertex[count] = w;
      parent[count] = dfnum[v]!;
      stackNode[sp] = w;
      stackEdge[sp] = firstEdge[w]!;
      sp++;
    }
  };
  dfsFrom(0, 0);
  if (count < N) {
    // Nodes no essential path reaches, as DevTools attaches them: first each node that has no
    // essential retainer at all (held only weakly...) starts a DFS of its own under the root; then
    // what is still left (cycles only reachable from each other) is dominated by the root directly.
    const hasEssentialRetainer = new Uint8Array(N);
    for (let src = 0; src < N; src++) {
      for (let e = firstEdge[src]!; e < firstEdge[src + 1]!; e++) {
        if (essential[e] !== 0) hasEssentialRetainer[edgeTo[e]!] = 1;
      }
    }
    for (let n = 1; n < N; n++) {
      if (dfnum[n] !== 0 || hasEssentialRetainer[n] === 1) continue;
      dfsFrom(n, 1);
      forced[dfnum[n]!] = 1;
    }
    for (let n = 1; n < N; n++) {
      if (dfnum[n] !== 0) continue;
      dfnum[n] = ++count;
      vertex[count] = n;
      parent[count] = 1;
      forced[count] = 2;
    }
  }

  // ---- Steps 2 and 3: semidominators, implicit immediate dominators (in dfs numbers).
  const semi = stackEdge; // reused: the DFS is over
  const idom = new Uint32Array(N + 1);
  const ancestor = new Uint32Array(N + 1); // 0 = none (forest root)
  const label = new Uint32Array(N + 1);
  const bucketNext = new Uint32Array(N + 1);
  const pathStack = stackNode; // reused: free after the DFS
  semi[0] = 0;
  for (let i = 1; i <= N; i++) {
    semi[i] = i;
    label[i] = i;
  }

  /** EVAL with path compression, iterative. */
  const evaluate = (v: number): number => {
    if (ancestor[v] === 0) return v;
    // Collect the path up to the forest root's child, then compress from the top down.
    let sp = 0;
    let u = v;
    while (ancestor[ancestor[u]!] !== 0) {
      pathStack[sp++] = u;
      u = ancestor[u]!;
    }
    while (sp > 0) {
      const x = pathStack[--sp]!;
      const a = ancestor[x]!;
      if (semi[label[a]!]! < semi[label[x]!]!) label[x] = label[a]!;
      ancestor[x] = ancestor[a]!;
    }
    return label[v]!;
  };

  // Essential predecessors in DFS-number space, as a CSR (a counting sort over the edges): the
  // main loop then reads each node's predecessors in one run, with no edge or ordinal lookups.
  const predFirst = new Uint32Array(N + 2);
  for (let src = 0; src < N; src++) {
    for (let e = firstEdge[src]!; e < firstEdge[src + 1]!; e++) {
      if (essential[e] !== 0) predFirst[dfnum[edgeTo[e]!]! + 1]!++;
    }
  }
  for (let i = 1; i <= N + 1; i++) predFirst[i]! += predFirst[i - 1]!;
  const pred = new Uint32Array(predFirst[N + 1]!);
  {
    const fill = idom; // scratch until the main loop
    fill.set(predFirst.subarray(0, N + 1));
    for (let src = 0; src < N; src++) {
      const v = dfnum[src]!;
      for (let e = firstEdge[src]!; e < firstEdge[src + 1]!; e++) {
        if (essential[e] !== 0) pred[fill[dfnum[edgeTo[e]!]!]!++] = v;
      }
    }
    idom.fill(0);
  }
  const bucketHead = dfnum.fill(0); // 0 = empty; dfnum is not needed past this point
  for (let i = N; i >= 2; i--) {
    if (forced[i] === 2) {
      // Dominated by the root: linked under it so that EVAL over it behaves as in DevTools.
      // (semi stays i: larger than every DFS-reached number, so it cannot lower theirs.)
      idom[i] = 1;
      ancestor[i] = 1;
      continue;
    }
    const end = predFirst[i + 1]!;
    for (let r = predFirst[i]!; r < end; r++) {
      const v = pred[r]!;
      // EVAL's common cases inline: v not linked yet (a higher DFS number, not processed), or
      // linked straight under a forest root.
      const av = ancestor[v]!;
      const u = av === 0 ? v : ancestor[av] === 0 ? label[v]! : evaluate(v);
      if (semi[u]! < semi[i]!) semi[i] = semi[u]!;
    }
    if (forced[i] === 1) semi[i] = 1; // the root is a predecessor of attached nodes
    bucketNext[i] = bucketHead[semi[i]!]!;
    bucketHead[semi[i]!] = i;
    const p = parent[i]!;
    ancestor[i] = p; // LINK(parent, i)
    for (let v = bucketHead[p]!; v !== 0; v = bucketNext[v]!) {
      const u = evaluate(v);
      idom[v] = semi[u]! < semi[v]! ? u : p;
    }
    bucketHead[p] = 0;
  }

  // ---- Step 4: explicit immediate dominators, in DFS order.
  idom[1] = 1;
  for (let i = 2; i <= N; i++) {
    if (idom[i] !== semi[i]) idom[i] = idom[idom[i]!]!;
  }
  const preorder = new Uint32Array(N);
  for (let i = 1; i <= N; i++) {
    idomOut[vertex[i]!] = vertex[idom[i]!]!;
    preorder[i - 1] = vertex[i]!;
  }
  return { idom: idomOut, preorder };
}

/**
 * Retained sizes: a node's own size plus the retained sizes of the nodes it immediately dominates.
 * In `Float64Array`: they pass 2^32.
 */
export function retainedSizes(tree: DominatorTree, selfSize: (n: number) => number): Float64Array {
  const { idom, preorder } = tree;
  const size = new Float64Array(idom.length);
  for (let n = 0; n < idom.length; n++) size[n] = selfSize(n);
  // Reverse preorder: every node is finished before its dominator (which comes earlier).
  for (let i = preorder.length - 1; i > 0; i--) {
    const n = preorder[i]!;
    size[idom[n]!]! += size[n]!;
  }
  return size;
}
