/**
 * `info`'s counts (src/query/summary.ts) against the plainest way to count them: node by node,
 * through the graph's per-node methods.
 */
import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { classTable, summarize } from "../../src/query/summary.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/** A snapshot of several node types and classes, sizes 0 among them, in a scrambled order. */
function mixed(): SnapshotBuilder {
  const b = new SnapshotBuilder();
  const kinds: [string, string][] = [
    ["object", "Foo"],
    ["object", "Bar"],
    ["string", "some text"],
    ["closure", "handler"],
    ["array", ""],
    ["code", "(code)"],
    ["native", "Buffer"],
    ["hidden", "system / Context"],
  ];
  let x = 7;
  for (let i = 0; i < 200; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const [type, name] = kinds[x % kinds.length]!;
    const n = b.node(type, name, { selfSize: x % 5 === 0 ? 0 : x % 97 });
    b.edge(b.gcRoots, n, "element", i);
  }
  return b;
}

/** Count and raw self size per node type, and per class (size-0 objects left out), node by node. */
function naive(g: HeapGraph, sizeOf: (n: number) => number) {
  const types = new Map<string, { count: number; selfSize: number }>();
  const classes = new Map<string, { count: number; selfSize: number }>();
  let total = 0;
  for (let n = 0; n < g.nodeCount; n++) {
    const t = types.get(g.nodeTypeName(n)) ?? { count: 0, selfSize: 0 };
    t.count++;
    t.selfSize += g.rawSelfSize(n);
    types.set(g.nodeTypeName(n), t);
    total += g.rawSelfSize(n);
    const s = sizeOf(n);
    if (s === 0) continue;
    const c = classes.get(g.className(n)) ?? { count: 0, selfSize: 0 };
    c.count++;
    c.selfSize += s;
    classes.set(g.className(n), c);
  }
  return { types, classes, total };
}

describe("summarize", () => {
  for (const withAnalysis of [false, true]) {
    it(`counts every node by type and every sized object by class${withAnalysis ? ", with the analysis' sizes" : ""}`, async () => {
      const g = graphOf(mixed());
      let analysis: HeapAnalysis | undefined;
      if (withAnalysis) {
        analysis = new HeapAnalysis(g);
        await analysis.prepare({ retained: true, parallel: false });
      }
      const s = summarize(g, { top: 1000, analysis });
      const want = naive(g, (n) => (analysis ? analysis.shallowSize(n) : g.rawSelfSize(n)));
      expect(s.nodeCount).toBe(g.nodeCount);
      expect(s.totalSelfSize).toBe(want.total);
      expect(Object.fromEntries(s.nodeTypes.map((t) => [t.type, { count: t.count, selfSize: t.selfSize }]))).toEqual(
        Object.fromEntries(want.types),
      );
      expect(s.classCount).toBe(want.classes.size);
      expect(Object.fromEntries(s.topClasses.map((c) => [c.className, { count: c.count, selfSize: c.selfSize }]))).toEqual(
        Object.fromEntries(want.classes),
      );
      // The same class counts as the class table alone gives.
      const t = classTable(g, analysis);
      expect([...t.count].sort()).toEqual(s.topClasses.map((c) => c.count).sort());
    });
  }
});
