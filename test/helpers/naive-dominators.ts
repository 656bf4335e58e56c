/**
 * The obviously correct reference: dominator sets by iterative dataflow,
 * dom(root) = {root}, dom(n) = {n} ∪ ⋂ dom(p) over predecessors p, until nothing changes.
 * Quadratic and slow; fine for graphs of a few dozen nodes.
 */

export interface NaiveGraph {
  nodeCount: number;
  /** Edges that count for dominance, as [from, to]. */
  edges: Array<[number, number]>;
}

/**
 * Nodes that no edge path from the root reaches are attached as DevTools attaches them: each one
 * without any predecessor gets an edge from the root (in ordinal order; each can make more nodes
 * reachable); whatever is still unreached after that is dominated by the root outright.
 */
export function naiveIdom(g: NaiveGraph): number[] {
  const N = g.nodeCount;
  const succ: number[][] = Array.from({ length: N }, () => []);
  for (const [a, b] of g.edges) succ[a]!.push(b);
  const reached = new Array<boolean>(N).fill(false);
  const reach = (s: number): void => {
    const stack = [s];
    reached[s] = true;
    while (stack.length) {
      const v = stack.pop()!;
      for (const w of succ[v]!)
        if (!reached[w]) {
          reached[w] = true;
          stack.push(w);
        }
    }
  };
  reach(0);
  const hasPred = new Array<boolean>(N).fill(false);
  for (const [, b] of g.edges) hasPred[b] = true;
  for (let n = 1; n < N; n++) {
    if (!reached[n] && !hasPred[n]) {
      succ[0]!.push(n);
      reach(n);
    }
  }
  // What is still unreached (cycles reachable only from each other) is dominated by the root.
  const orphan = reached.map((r) => !r);
  for (let n = 1; n < N; n++) if (orphan[n]) succ[n] = [];
  const pred: number[][] = Array.from({ length: N }, () => []);
  succ.forEach((ws, v) =>
    ws.forEach((w) => {
      if (!orphan[w]) pred[w]!.push(v);
    }),
  );
  for (let n = 1; n < N; n++) if (orphan[n]) pred[n] = [0];

  const all = (): Set<number> => new Set(Array.from({ length: N }, (_, i) => i));
  const dom: Set<number>[] = Array.from({ length: N }, (_, i) => (i === 0 ? new Set([0]) : all()));
  let changed = true;
  while (changed) {
    changed = false;
    for (let n = 1; n < N; n++) {
      let next: Set<number> | null = null;
      for (const p of pred[n]!) {
        if (next === null) next = new Set(dom[p]);
        else for (const x of [...next]) if (!dom[p]!.has(x)) next.delete(x);
      }
      next ??= new Set();
      next.add(n);
      if (next.size !== dom[n]!.size) {
        dom[n] = next;
        changed = true;
      }
    }
  }
  // The immediate dominator is the strict dominator with the largest dominator set.
  return dom.map((d, n) => {
    if (n === 0) return 0;
    let best = 0;
    for (const x of d) if (x !== n && dom[x]!.size > dom[best]!.size) best = x;
    return best;
  });
}
