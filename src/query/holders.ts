/**
 * Owner and backing store are one holder. V8 writes a JS object's elements twice: the object
 * holds each element directly (`Array [196] → f`), and its backing store, an internal array
 * (`(object elements)`, `(object properties)`, a hash table's storage…) that the object holds through
 * an internal edge (`{elements}`), holds it again (`(array) {196} → f`). Drawn or counted as two
 * retainers, the same holder looks like two causes. A retainer that is such a store of another
 * retainer of the same object is left out.
 */
import type { HeapGraph } from "../graph/heap-graph.js";

/**
 * `rets` without the retainers that are an internal array (node type `array` or `hidden`) held,
 * through an internal or hidden edge, by another object of `rets`.
 *
 * @example
 * withoutBackingStores(graph, [{ edge: e1, from: array }, { edge: e2, from: store }])
 * // → [{ edge: e1, from: array }] when `array ─{elements}→ store`
 */
export function withoutBackingStores<R extends { from: number }>(graph: HeapGraph, rets: R[]): R[] {
  if (rets.length < 2) return rets;
  const { array, hidden } = graph.types;
  const codes = graph.edgeTypeCodes;
  const stores = new Set<number>();
  for (const r of rets) {
    const t = graph.nodeType(r.from);
    if (t === array || t === hidden) stores.add(r.from);
  }
  if (stores.size === 0) return rets;
  // A store is dropped when another of the holders points at it through an internal or hidden
  // edge. Looked up forwards, over the holders' own edges: no retainer lookups (which, without
  // the whole retainer index, may cost a pass over every edge).
  // Per-edge accessors, not whole columns: a graph read from the cache then reads only the
  // blocks of these holders' edges.
  const first = graph.firstEdge;
  const owned = new Set<number>();
  const seen = new Set<number>();
  for (const r of rets) {
    const owner = r.from;
    if (seen.has(owner)) continue;
    seen.add(owner);
    for (let e = first[owner]!, end = first[owner + 1]!; e < end; e++) {
      const et = graph.edgeType(e);
      if (et !== codes.internal && et !== codes.hidden) continue;
      const to = graph.edgeTo(e);
      if (to !== owner && stores.has(to)) owned.add(to);
    }
  }
  if (owned.size === 0) return rets;
  return rets.filter(({ from }) => !owned.has(from));
}
