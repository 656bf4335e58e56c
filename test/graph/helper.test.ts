import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { loadHeapGraph } from "../../src/graph/load.js";

const SAMPLE = new URL("../../samples/leak.heapsnapshot.gz", import.meta.url).pathname;

describe("HeapAnalysis.prepare with the helper's share of the work", () => {
  it("gives every node the same numbers as computing each phase alone (the real sample)", async () => {
    const graph = await loadHeapGraph(SAMPLE);
    const alone = new HeapAnalysis(graph);
    const phases: string[] = [];
    const split = new HeapAnalysis(graph, { onPhase: (p) => phases.push(p) });
    // parallel: true: the helper's tasks (self sizes, half of the essential marks, half of the
    // predecessor lists) run on its thread (test/threads.test.ts checks that it really does).
    // (and, given work to do alongside, the helper finishes the dominator tree meanwhile)
    let alongside = 0;
    await split.prepare({ parallel: true, alongside: () => alongside++ });
    expect(alongside).toBe(1);
    expect(phases).toEqual(["distances", "essential edges", "dominators", "shallow sizes", "retained sizes"]);
    expect(Array.from(split.shallowSizes())).toEqual(Array.from(alone.shallowSizes()));
    expect(Array.from(split.essentialEdges())).toEqual(Array.from(alone.essentialEdges()));
    expect(Array.from(split.dominators().idom)).toEqual(Array.from(alone.dominators().idom));
    expect(Array.from(split.retainedSizes())).toEqual(Array.from(alone.retainedSizes()));
    expect(Array.from(split.classRetainedSizes())).toEqual(Array.from(alone.classRetainedSizes()));
    // Not a graph where nothing happens: owned internals handed their sizes over.
    const moved = Array.from(split.shallowSizes()).filter((s, n) => s !== graph.rawSelfSize(n)).length;
    expect(moved).toBeGreaterThan(1000);
  });

  it("computes distances and self sizes only, when retained sizes are not wanted", async () => {
    const graph = await loadHeapGraph(SAMPLE);
    const phases: string[] = [];
    const a = new HeapAnalysis(graph, { onPhase: (p) => phases.push(p) });
    await a.prepare({ retained: false, parallel: true });
    expect(phases).toEqual(["distances", "shallow sizes"]);
  });
});
