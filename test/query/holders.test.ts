import { describe, expect, it } from "vitest";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { withoutBackingStores } from "../../src/query/holders.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/**
 * The rule as first written, looked up backwards through the whole retainer index: a retainer
 * that is an `array` or `hidden` node is left out when another retainer of the list holds it
 * through an internal or hidden edge.
 */
function byRetainerIndex<R extends { from: number }>(g: HeapGraph, rets: R[]): R[] {
  const { array, hidden } = g.types;
  const codes = g.edgeTypeCodes;
  const holders = new Set(rets.map((r) => r.from));
  const index = g.retainers();
  return rets.filter(({ from }) => {
    const t = g.nodeType(from);
    if (t !== array && t !== hidden) return true;
    for (let i = index.first[from]!; i < index.first[from + 1]!; i++) {
      const e = index.edge[i]!;
      const et = g.edgeType(e);
      if (et !== codes.internal && et !== codes.hidden) continue;
      const owner = g.edgeSource(e);
      if (owner !== from && holders.has(owner)) return false;
    }
    return true;
  });
}

describe("withoutBackingStores", () => {
  it("leaves out an object's elements store that holds the same target", () => {
    const b = new SnapshotBuilder();
    const arr = b.node("object", "Array");
    const store = b.node("array", "(object elements)");
    const other = b.node("array", "(object elements)");
    const target = b.node("closure", "f");
    b.edge(b.gcRoots, arr, "element", 1).edge(b.gcRoots, other, "element", 2);
    b.edge(arr, target, "element", 0).edge(arr, store, "internal", "elements").edge(store, target, "internal", "0");
    b.edge(other, target, "internal", "0");
    const g = graphOf(b);
    const rets = [arr, store, other].map((from) => ({ from }));
    // The store of Array goes; the store nobody in the list holds stays.
    expect(withoutBackingStores(g, rets).map((r) => r.from)).toEqual([arr, other]);
  });

  it("answers as the lookup through the whole retainer index on random heaps", () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      let x = seed;
      const next = (m: number): number => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 8) % m;
      };
      const b = new SnapshotBuilder();
      const types = ["object", "array", "hidden", "closure"] as const;
      const nodes = Array.from({ length: 120 }, (_, i) => b.node(types[next(4)]!, `N${i % 9}`));
      const edgeTypes = ["property", "internal", "hidden", "element", "weak"] as const;
      for (const from of nodes) {
        for (let k = next(6); k > 0; k--) {
          const type = edgeTypes[next(5)]!;
          b.edge(from, nodes[next(nodes.length)]!, type, type === "element" || type === "hidden" ? k : `p${k}`);
        }
      }
      const g = graphOf(b);
      const index = g.retainers();
      let dropped = 0;
      for (let n = 0; n < g.nodeCount; n++) {
        // Every retaining edge, repeats and self edges included, as the picture's walk sees them.
        const rets: Array<{ from: number; edge: number }> = [];
        for (let i = index.first[n]!; i < index.first[n + 1]!; i++) rets.push({ from: g.edgeSource(index.edge[i]!), edge: index.edge[i]! });
        const want = byRetainerIndex(g, rets);
        expect(withoutBackingStores(g, rets), `seed ${seed} node ${n}`).toEqual(want);
        dropped += rets.length - want.length;
      }
      expect(dropped, `seed ${seed}`).toBeGreaterThan(0);
    }
  });
});
