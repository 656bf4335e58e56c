/**
 * The grouped walk on a big graph first frees what earlier steps let go of: it asks the analysis
 * for a garbage collection (which runs the `collectGarbage` the analysis was given, as the CLI
 * gives one) — on a graph of a million nodes and more, not on a small one.
 */
import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { walkContext } from "../../src/query/backrefs.js";
import { groupRetainingPaths } from "../../src/query/group.js";
import { selectNodes } from "../../src/query/select.js";
import { graphOf } from "../helpers/load.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";

/** `count` nodes: a holder under the GC roots with `Target`s, the rest a chain of `Filler`s. */
function graphWith(count: number) {
  const b = new SnapshotBuilder();
  const holder = b.node("object", "Holder");
  b.edge(b.gcRoots, holder, "element", 0);
  for (let i = 0; i < 3; i++) b.edge(holder, b.node("object", "Target", { selfSize: 40 }), "element", i);
  let prev = holder;
  while (b.nodes.length < count) {
    const next = b.node("object", "Filler", { selfSize: 8 });
    b.edge(prev, next, "property", "next");
    prev = next;
  }
  const graph = graphOf(b);
  return { graph, targets: selectNodes(graph, { types: ["Target"] }).ordinals };
}

describe("the grouped walk's garbage collection", () => {
  it("HeapAnalysis.collectGarbage runs the collection the analysis was given, and says whether there was one", () => {
    const { graph } = graphWith(10);
    let runs = 0;
    expect(new HeapAnalysis(graph, { collectGarbage: () => runs++ }).collectGarbage()).toBe(true);
    expect(runs).toBe(1);
    expect(new HeapAnalysis(graph).collectGarbage()).toBe(false);
  });

  for (const [count, expected] of [
    [1_000, 0],
    [1_000_000, 1],
  ] as const) {
    it(`runs ${expected} collection(s) before walking a graph of ${count.toLocaleString("en")} nodes, with the same groups`, () => {
      const { graph, targets } = graphWith(count);
      let runs = 0;
      const analysis = new HeapAnalysis(graph, { collectGarbage: () => runs++ });
      const report = groupRetainingPaths(graph, walkContext(graph, { analysis }), targets).report();
      expect(runs).toBe(expected);
      const plain = groupRetainingPaths(graph, walkContext(graph), targets).report();
      expect(report).toEqual(plain);
      expect(report.targetGroups[0]!.count).toBe(3);
    });
  }
});
