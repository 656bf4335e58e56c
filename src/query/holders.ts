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
  let stores = 0;
  for (const r of rets) {
    const t = graph.nodeType(r.from);
    if (t === array || t === hidden) stores++;
  }
  if (stores === 0) return rets;
  const holders = new Set<number>();
  for (const r of rets) holders.add(r.from);
  return rets.filter(({ from }) => {
    const t = graph.nodeType(from);
    if (t !== array && t !== hidden) return true;
    const index = graph.retainerEdges(from);
    for (let i = 0; i < index.length; i++) {
      const e = index[i]!;
      const et = graph.edgeType(e);
      if (et !== codes.internal && et !== codes.hidden) continue;
      const owner = graph.edgeSource(e);
      if (owner !== from && holders.has(owner)) return false;
    }
    return true;
  });
}
