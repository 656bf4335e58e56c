/**
 * Chain folding for per-object pictures: a run of objects of one class, each holding the next
 * through an edge of the same name (a linked list: `_idleNext`, `next`, `parent`…) and nothing
 * else drawn between them, becomes one node "Timeout ×37 via ._idleNext". Grouped pictures fold
 * their chains while grouping (see group.ts); this does the same to an already cut subgraph.
 */
import type { Subgraph, SubgraphEdge, SubgraphNode } from "./types.js";

/** Runs shorter than this stay as they are (two objects read fine one by one). */
export const MIN_FOLDED_CHAIN = 3;

const sameName = (a: SubgraphEdge, b: SubgraphEdge): boolean =>
  a.type === b.type && String(a.name) === String(b.name) && typeof a.name === typeof b.name;

/**
 * Folds every run of at least `minLength` same-class objects linked one to the next by same-named
 * edges, where each inner object has exactly one drawn retainer and retains exactly one drawn
 * object, and no "N more" box hangs on it. The run's top object stands for it, with `chainLength`,
 * `chainEdge` and `objectIds` (top first, at most five); the edges leaving the run's last object
 * leave it instead. Targets and roots never fold.
 *
 * @example
 * foldChains(retainerSubgraph(graph, ctx, [t], opts)).nodes.find((n) => n.chainLength)
 * // { className: "Timeout", chainLength: 37, chainEdge: { type: "property", name: "_idleNext" }, … }
 */
export function foldChains(sub: Subgraph, minLength = MIN_FOLDED_CHAIN): Subgraph {
  const byId = new Map(sub.nodes.map((n) => [n.id, n]));
  const inEdges = new Map<number, SubgraphEdge[]>();
  const outEdges = new Map<number, SubgraphEdge[]>();
  for (const e of sub.edges) {
    (inEdges.get(e.to) ?? inEdges.set(e.to, []).get(e.to)!).push(e);
    (outEdges.get(e.from) ?? outEdges.set(e.from, []).get(e.from)!).push(e);
  }
  const boxed = new Set<number>();
  for (const p of sub.placeholders) {
    boxed.add(p.of);
    if (p.after !== undefined) boxed.add(p.after);
  }
  const foldable = (n: SubgraphNode | undefined): n is SubgraphNode => n !== undefined && !n.isTarget && !n.isRoot && !n.isGroup;
  /** The single link from `n` to the next object of the run, or undefined. */
  const linkFrom = (n: SubgraphNode): SubgraphEdge | undefined => {
    const out = outEdges.get(n.id) ?? [];
    if (out.length !== 1) return undefined;
    const next = byId.get(out[0]!.to);
    if (!foldable(next) || next.className !== n.className || (inEdges.get(next.id) ?? []).length !== 1) return undefined;
    return out[0];
  };

  const removed = new Set<number>();
  const replaced = new Map<number, number>(); // last object of a run → its top
  const folded = new Map<number, SubgraphNode>();
  for (const top of sub.nodes) {
    if (!foldable(top) || removed.has(top.id)) continue;
    // Only start at a run's top, not inside a run that starts above.
    const into = inEdges.get(top.id) ?? [];
    if (into.length === 1) {
      const above = byId.get(into[0]!.from);
      if (foldable(above) && above.className === top.className && linkFrom(above)?.to === top.id) continue;
    }
    const run: SubgraphNode[] = [top];
    let link: SubgraphEdge | undefined;
    for (let cur = top; ;) {
      const e = linkFrom(cur);
      if (!e || (link && !sameName(link, e))) break;
      // Inner objects may carry no box; the run's last object keeps its own edges out.
      if (run.length > 1 && boxed.has(cur.id)) break;
      const next = byId.get(e.to)!;
      if (run.includes(next)) break;
      link = e;
      run.push(next);
      cur = next;
    }
    // The last object may have a box (its retainers beyond): it is then kept out of the run.
    while (run.length > 1 && boxed.has(run[run.length - 1]!.id)) run.pop();
    if (run.length < minLength || !link) continue;
    const last = run[run.length - 1]!;
    for (const n of run.slice(1)) removed.add(n.id);
    replaced.set(last.id, top.id);
    folded.set(top.id, {
      ...top,
      chainLength: run.length,
      chainEdge: { type: link.type, name: link.name },
      objectIds: run.slice(0, 5).map((n) => n.id),
    });
  }
  if (removed.size === 0) return sub;
  const nodes = sub.nodes.filter((n) => !removed.has(n.id)).map((n) => folded.get(n.id) ?? n);
  const edges: SubgraphEdge[] = [];
  for (const e of sub.edges) {
    if (removed.has(e.to)) continue; // a link inside a run
    const from = replaced.get(e.from) ?? e.from;
    if (removed.has(from)) continue;
    edges.push(from === e.from ? e : { ...e, from });
  }
  return { ...sub, nodes, edges };
}
