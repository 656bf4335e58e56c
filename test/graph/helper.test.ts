import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { AnalysisHelper } from "../../src/graph/helper.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { essentialInput, markEssential } from "../../src/graph/essential.js";
import { pageInput, walkPageOwned, walkPageOwnedMarking } from "../../src/graph/page-owned.js";
import { weakMapTables } from "../../src/graph/weakmap-edges.js";
import type { WorkerReport } from "../../src/threads.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

const SAMPLE = new URL("../../samples/leak.heapsnapshot.gz", import.meta.url).pathname;

describe("a helper thread started early", () => {
  const task = () => {
    const pred = new Uint32Array(new SharedArrayBuffer(12));
    pred.set([2, 0, 1]);
    const dn = new Uint32Array(new SharedArrayBuffer(12));
    dn.set([7, 8, 9]);
    return { pred, dn };
  };

  it("is taken by the next start, and does its tasks", async () => {
    AnalysisHelper.startEarly();
    expect(AnalysisHelper.waiting).toBe(true);
    const helper = AnalysisHelper.start()!;
    expect(AnalysisHelper.waiting).toBe(false);
    const input = task();
    expect(await helper.run({ task: "translate", input: { ...input, from: 0, to: 3 } })).toBe(true);
    expect(Array.from(input.pred)).toEqual([9, 7, 8]);
    await helper.close();
  });

  it("says whether this call started it: a second call while one waits starts none", async () => {
    expect(AnalysisHelper.startEarly()).toBe(true);
    expect(AnalysisHelper.startEarly()).toBe(false);
    expect(AnalysisHelper.waiting).toBe(true);
    AnalysisHelper.stopEarly();
    expect(AnalysisHelper.waiting).toBe(false);
  });

  it("started by prestart, belongs to the first startEarly that asks (which may let it go)", async () => {
    AnalysisHelper.prestart();
    expect(AnalysisHelper.waiting).toBe(true);
    expect(AnalysisHelper.startEarly()).toBe(true);
    expect(AnalysisHelper.startEarly()).toBe(false);
    AnalysisHelper.stopEarly();
    expect(AnalysisHelper.waiting).toBe(false);
    // One that waits already (started by a caller who owns it) is not handed to another.
    expect(AnalysisHelper.startEarly()).toBe(true);
    AnalysisHelper.prestart();
    expect(AnalysisHelper.startEarly()).toBe(false);
    AnalysisHelper.stopEarly();
  });

  it("is not handed out once stopped: start makes a thread of its own", async () => {
    AnalysisHelper.startEarly();
    AnalysisHelper.stopEarly();
    expect(AnalysisHelper.waiting).toBe(false);
    const helper = AnalysisHelper.start()!;
    const input = task();
    expect(await helper.run({ task: "translate", input: { ...input, from: 1, to: 3 } })).toBe(true);
    expect(Array.from(input.pred)).toEqual([2, 7, 8]);
    await helper.close();
  });
});

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

  it("begun ahead (the helper's first tasks started before prepare), gives the same numbers", async () => {
    const graph = await loadHeapGraph(SAMPLE);
    const alone = new HeapAnalysis(graph);
    const reports: WorkerReport[] = [];
    const early = new HeapAnalysis(graph);
    expect(early.begin({ parallel: true, onWorker: (r) => reports.push(r) })).toBe(true);
    // Once: prepare takes what was begun.
    expect(early.begin({ parallel: true })).toBe(false);
    await early.prepare({ parallel: true });
    expect(reports.filter((r) => !r.done)).toEqual([]);
    expect(reports.map((r) => r.task)).toEqual(expect.arrayContaining(["page-owned", "mark-essential", "number", "translate"]));
    expect(Array.from(early.distances().distance)).toEqual(Array.from(alone.distances().distance));
    expect(Array.from(early.dominators().idom)).toEqual(Array.from(alone.dominators().idom));
    expect(Array.from(early.retainedSizes())).toEqual(Array.from(alone.retainedSizes()));
    expect(Array.from(early.shallowSizes())).toEqual(Array.from(alone.shallowSizes()));
  });

  it("begun and ended, prepares later as if never begun; begun for a tree not wanted, lets its thread go", async () => {
    const graph = await loadHeapGraph(SAMPLE);
    const alone = new HeapAnalysis(graph);
    const ended = new HeapAnalysis(graph);
    expect(ended.begin({ parallel: true })).toBe(true);
    await ended.end();
    await ended.prepare({ parallel: true });
    expect(Array.from(ended.retainedSizes())).toEqual(Array.from(alone.retainedSizes()));
    const phases: string[] = [];
    const partial = new HeapAnalysis(graph, { onPhase: (p) => phases.push(p) });
    expect(partial.begin({ parallel: true })).toBe(true);
    await partial.prepare({ retained: false, parallel: true });
    expect(phases).toEqual(["distances", "shallow sizes"]);
    expect(Array.from(partial.shallowSizes())).toEqual(Array.from(alone.shallowSizes()));
  });

  it("is not begun where prepare would use no helper thread: a small graph, a tree already there", async () => {
    const graph = await loadHeapGraph(SAMPLE);
    expect(new HeapAnalysis(graph).begin()).toBe(false);
    const done = new HeapAnalysis(graph);
    done.dominators();
    expect(done.begin({ parallel: true })).toBe(false);
  });

  it("computes distances and self sizes only, when retained sizes are not wanted", async () => {
    const graph = await loadHeapGraph(SAMPLE);
    const phases: string[] = [];
    const a = new HeapAnalysis(graph, { onPhase: (p) => phases.push(p) });
    await a.prepare({ retained: false, parallel: true });
    expect(phases).toEqual(["distances", "shallow sizes"]);
  });
});

/**
 * A random heap where page ownership is not simply what the user roots reach: the root holds
 * objects by shortcut edges (the page's globals), by element edges (user roots the page does not
 * own) and `(Document DOM trees)`; `(GC roots)` holds debugger-side objects; internal nodes
 * (hidden, array) can be owned; weak edges and WeakMap entries.
 */
const arbPage = fc.integer({ min: 2, max: 14 }).chain((n) =>
  fc.record({
    kinds: fc.array(fc.constantFrom("object", "object", "hidden", "array"), { minLength: n, maxLength: n }),
    held: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom("shortcut", "element", "docs", "gc")), {
      minLength: 1,
      maxLength: 5,
    }),
    edges: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: n - 1 }),
        fc.integer({ min: 0, max: n - 1 }),
        fc.constantFrom("property", "internal", "weak", "element"),
      ),
      { maxLength: n * 3 },
    ),
    weakMaps: fc.array(
      fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 })),
      {
        maxLength: 2,
      },
    ),
  }),
);

type PageHeap = {
  kinds: string[];
  held: Array<[number, string]>;
  edges: Array<[number, number, string]>;
  weakMaps: Array<[number, number, number]>;
};

function pageHeap({ kinds, held, edges, weakMaps }: PageHeap) {
  const b = new SnapshotBuilder();
  const first = b.nodes.length;
  kinds.forEach((k, i) => b.node(k, k === "object" ? `Thing${i % 3}` : "", { selfSize: 8 + i }));
  const docs = b.node("synthetic", "(Document DOM trees)", { selfSize: 0 });
  held.forEach(([to, how], i) => {
    if (how === "shortcut") b.edge(b.root, first + to, "shortcut", `g${i}`);
    else if (how === "element") b.edge(b.root, first + to, "element", 10 + i);
    else if (how === "docs") b.edge(b.root, docs, "element", 20 + i).edge(docs, first + to, "element", i);
    else b.edge(b.gcRoots, first + to, "element", 30 + i);
  });
  edges.forEach(([from, to, type], i) => b.edge(first + from, first + to, type, type === "element" ? i : `p${i}`));
  weakMaps.forEach(([table, key, value], i) => {
    const [t, k, v] = [table, key, value].map((x) => b.nodes[first + x]!.id);
    const name = `${i} / part of key (K @${k}) -> value (V @${v}) pair in WeakMap (table @${t})`;
    b.edge(first + table, first + value, "internal", name).edge(first + key, first + value, "internal", name);
  });
  return graphOf(b);
}

describe("HeapAnalysis.prepare on two threads where page ownership is not the user roots' reach", () => {
  it("gives every node the same numbers as the one-thread analysis, the helper thread doing its tasks", async () => {
    let helped = 0;
    await fc.assert(
      fc.asyncProperty(arbPage, async (heap) => {
        const graph = pageHeap(heap);
        const one = new HeapAnalysis(graph);
        const reports: WorkerReport[] = [];
        const two = new HeapAnalysis(graph);
        await two.prepare({ parallel: true, onWorker: (r) => reports.push(r) });
        expect(reports.filter((r) => !r.done)).toEqual([]);
        helped += reports.length;
        expect(Array.from(two.distances().distance)).toEqual(Array.from(one.distances().distance));
        expect(Array.from(two.shallowSizes())).toEqual(Array.from(one.shallowSizes()));
        expect(Array.from(two.essentialEdges())).toEqual(Array.from(one.essentialEdges()));
        expect(Array.from(two.dominators().idom)).toEqual(Array.from(one.dominators().idom));
        expect(Array.from(two.retainedSizes())).toEqual(Array.from(one.retainedSizes()));
        expect(Array.from(two.classRetainedSizes())).toEqual(Array.from(one.classRetainedSizes()));
      }),
      { numRuns: 25 },
    );
    expect(helped).toBeGreaterThan(25);
  });
});

describe("the page walk that marks the page's essential edges as it goes", () => {
  it("with the marks of the nodes left outside the page, marks what the one-pass rule marks", () => {
    let marked = 0;
    fc.assert(
      fc.property(arbPage, (heap) => {
        // Some edges between objects are shortcuts too (essential only from the root).
        const edges = heap.edges.map(([from, to, type], i): [number, number, string] => [from, to, i % 4 === 3 ? "shortcut" : type]);
        const graph = pageHeap({ ...heap, edges });
        const tables = weakMapTables(graph);
        const expected = essentialInput(graph, walkPageOwned(pageInput(graph)), tables);
        markEssential(expected, 0, graph.nodeCount);
        const page = pageInput(graph);
        const input = essentialInput(graph, page.flags, tables);
        walkPageOwnedMarking(page, input);
        markEssential(input, 0, graph.nodeCount, true);
        expect(Array.from(page.flags)).toEqual(Array.from(expected.page));
        expect(Array.from(input.mask)).toEqual(Array.from(expected.mask));
        marked += input.mask.reduce((s, m) => s + m, 0);
      }),
      { numRuns: 200 },
    );
    expect(marked).toBeGreaterThan(200);
  });
});
