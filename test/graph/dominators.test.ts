import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildPredecessors,
  dominatorTree,
  dominatorTreeWithHelper,
  numberFromRoot,
  type FinishInput,
  type NumberingInput,
  type PredecessorInput,
  translatePredecessors,
  type TranslateInput,
} from "../../src/graph/dominators.js";
import { retainedSizes } from "../../src/graph/retained-sizes.js";
import { AnalysisHelper, type Helper } from "../../src/graph/helper.js";
import { sharedU8 } from "../../src/snapshot/columns.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";
import { naiveIdom } from "../helpers/naive-dominators.js";

/** A random heap: node 0 is the root, edges of every type, cycles and orphans included. */
const arbHeap = fc.integer({ min: 2, max: 24 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    edges: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: n - 1 }),
        fc.integer({ min: 0, max: n - 1 }),
        fc.constantFrom("property", "element", "internal", "weak", "shortcut", "context"),
      ),
      { maxLength: n * 3 },
    ),
  }),
);

/** The random heap as a graph, its essential mask (all but weak edges) and the naive idoms. */
function randomCase({ n, edges }: { n: number; edges: Array<[number, number, string]> }) {
  const b = new SnapshotBuilder();
  // the builder already made root(0) → (GC roots)(1); add the rest
  for (let i = 2; i < n; i++) b.node("object", `N${i}`, { selfSize: i });
  for (const [from, to, type] of edges)
    if (to < b.nodes.length && from < b.nodes.length) b.edge(from, to, type, type === "element" ? 0 : "p");
  const g = graphOf(b);
  const essential = sharedU8(g.edgeCount); // in shared memory, as the analysis makes it
  const naiveEdges: Array<[number, number]> = [];
  for (let s = 0; s < g.nodeCount; s++) {
    for (let e = g.firstEdge[s]!; e < g.firstEdge[s + 1]!; e++) {
      if (g.edgeTypeName(e) === "weak") continue;
      essential[e] = 1;
      naiveEdges.push([s, g.edgeTo(e)]);
    }
  }
  return { g, essential, expected: naiveIdom({ nodeCount: g.nodeCount, edges: naiveEdges }) };
}

describe("dominatorTree (Semi-NCA)", () => {
  it("agrees with the naive dataflow algorithm on hundreds of random graphs, alone and with a helper", async () => {
    const inProcess = AnalysisHelper.inProcess();
    let helped = 0;
    const helper: typeof inProcess = {
      run: ((task: Parameters<typeof inProcess.run>[0]) => {
        helped++;
        return inProcess.run(task);
      }) as typeof inProcess.run,
      close: () => inProcess.close(),
    };
    await fc.assert(
      fc.asyncProperty(arbHeap, async (heap) => {
        // essential here: everything but weak edges (the real predicate is tested elsewhere)
        const { g, essential, expected } = randomCase(heap);
        const { idom } = dominatorTree(g, essential);
        expect(Array.from(idom)).toEqual(expected);
        // The spare memory (the pass's records) is the tree's own nowhere: filling it changes nothing.
        const spared = dominatorTree(g, essential);
        const before = [spared.idom, spared.preorder, spared.idomIndex].map((a) => Array.from(a));
        expect(spared.spare?.length).toBe(g.nodeCount);
        spared.spare!.fill(-1);
        expect([spared.idom, spared.preorder, spared.idomIndex].map((a) => Array.from(a))).toEqual(before);
        // The helper numbers the nodes while this thread builds the predecessor lists.
        const split = await dominatorTreeWithHelper(g, essential, helper);
        expect(Array.from(split.idom)).toEqual(expected);
        expect(Array.from(split.preorder)).toEqual(Array.from(dominatorTree(g, essential).preorder));
        // With work to do alongside, the helper also finishes the tree (semidominators, idoms).
        // This helper runs its task at once, on this thread: the tree is finished before the work
        // alongside begins, and it is told so.
        const busy: boolean[] = [];
        const finished = await dominatorTreeWithHelper(g, essential, helper, (helperBusy) => busy.push(helperBusy()));
        expect(busy).toEqual([false]);
        expect(Array.from(finished.idom)).toEqual(expected);
        expect(Array.from(finished.preorder)).toEqual(Array.from(split.preorder));
        expect(Array.from(finished.idomIndex)).toEqual(Array.from(split.idomIndex));
      }),
      { numRuns: 300 },
    );
    // Per graph: the numbering and half of the translation; with work alongside, the finish too.
    expect(helped).toBe(300 * 5);
  });

  it("gets the same tree when the helper fails part way through finishing it", async () => {
    // A helper that dies mid-task leaves half-changed records and outputs behind.
    const inProcess = AnalysisHelper.inProcess();
    const broken: Helper = {
      run: (async (task: { task: string; input: FinishInput }) => {
        if (task.task !== "finish-tree") return inProcess.run(task as Parameters<Helper["run"]>[0]);
        task.input.rec.fill(7, 0, task.input.rec.length >> 1);
        task.input.dn.fill(3);
        return null;
      }) as Helper["run"],
      close: async () => {},
    };
    await fc.assert(
      fc.asyncProperty(arbHeap, async (heap) => {
        const { g, essential, expected } = randomCase(heap);
        // A helper that failed never says it finished: the work alongside is all done then.
        const busy: boolean[] = [];
        expect(Array.from((await dominatorTreeWithHelper(g, essential, broken, (helperBusy) => busy.push(helperBusy()))).idom)).toEqual(
          expected,
        );
        expect(busy).toEqual([true]);
        // The mask let go before the finish is asked for again.
        const asked: string[] = [];
        const letGo = { drop: () => asked.push("drop"), again: () => (asked.push("again"), essential) };
        expect(Array.from((await dominatorTreeWithHelper(g, essential, broken, () => asked.push("alongside"), letGo)).idom)).toEqual(
          expected,
        );
        expect(asked).toEqual(["drop", "alongside", "again"]);
      }),
      { numRuns: 200 },
    );
  });

  it("gets the same tree when the helper stops part way through its share, or does nothing", async () => {
    // A helper that dies mid-task leaves part of its work behind: here, a DFS over the first half
    // of the edges only, and some records overwritten; half of its share of the lists translated.
    const partial: Helper = {
      run: (async (task: { task: string; input: NumberingInput } | { task: "translate"; input: TranslateInput }) => {
        if (task.task === "translate") {
          const { input } = task as { input: TranslateInput };
          translatePredecessors({ ...input, to: input.from + ((input.to - input.from) >>> 1) });
        } else if (task.task === "number") {
          const { input } = task as { input: NumberingInput };
          const half = input.firstEdge[Math.floor((input.firstEdge.length - 1) / 2)]!;
          numberFromRoot({ ...input, essential: input.essential.map((m, e) => (e < half ? m : 0)) });
          input.rec.fill(5, 0, input.rec.length >> 1);
          input.vertex.fill(1);
        }
        return null;
      }) as Helper["run"],
      close: async () => {},
    };
    const idle: Helper = { run: (async () => null) as Helper["run"], close: async () => {} };
    await fc.assert(
      fc.asyncProperty(arbHeap, async (heap) => {
        const { g, essential, expected } = randomCase(heap);
        expect(Array.from((await dominatorTreeWithHelper(g, essential, partial)).idom)).toEqual(expected);
        expect(Array.from((await dominatorTreeWithHelper(g, essential, idle)).idom)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it("agrees with the naive algorithm on bigger heap-like graphs (a spanning tree, shared objects, cycles, weak edges)", () => {
    // Deeper forests and longer compressed paths than the small random graphs give.
    fc.assert(
      fc.property(fc.integer({ min: 50, max: 400 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (n, seed) => {
        let x = seed || 1;
        const rand = (k: number): number => {
          x ^= x << 13;
          x ^= x >>> 17;
          x ^= x << 5;
          return (x >>> 0) % k;
        };
        const edges: Array<[number, number, string]> = [];
        // Every node retained once from an earlier one (most objects of a heap have one retainer)...
        for (let w = 2; w < n; w++) edges.push([rand(w), w, "property"]);
        // ...then shared objects (retainers from anywhere, back edges too), and some weak or
        // shortcut edges that do not count.
        for (let k = 0; k < n; k++) edges.push([rand(n), rand(n), k % 7 === 0 ? "weak" : k % 11 === 0 ? "shortcut" : "element"]);
        // A few orphans held only from each other or weakly.
        for (let k = 0; k < 3 && n > 10; k++) edges.push([n - 1 - k, n - 2 - k, "internal"]);
        const { g, essential, expected } = randomCase({ n, edges });
        expect(Array.from(dominatorTree(g, essential).idom)).toEqual(expected);
      }),
      { numRuns: 60 },
    );
  });

  it("handles a heap deeper than its stacks start out (a chain of 150,000 objects)", () => {
    // root → c0 → c1 → … → c(M-1); c0 → c(M/2) skips half the chain; root → c(M-1) directly.
    const M = 150_000;
    const b = new SnapshotBuilder();
    const c: number[] = [];
    for (let k = 0; k < M; k++) c.push(b.node("object", "C", { selfSize: 1 }));
    b.edge(b.root, c[0]!, "element", 1)
      .edge(b.root, c[M - 1]!, "element", 2)
      .edge(c[0]!, c[M / 2]!, "property", "skip");
    for (let k = 0; k + 1 < M; k++) b.edge(c[k]!, c[k + 1]!, "property", "next");
    const g = graphOf(b);
    const essential = sharedU8(g.edgeCount).fill(1);
    const { idom, preorder, idomIndex } = dominatorTree(g, essential);
    expect(idom[c[0]!]).toBe(b.root);
    expect(idom[c[M / 2]!]).toBe(c[0]);
    expect(idom[c[M - 1]!]).toBe(b.root);
    let wrong = 0;
    for (let k = 1; k + 1 < M; k++) if (k !== M / 2 && idom[c[k]!] !== c[k - 1]) wrong++;
    expect(wrong).toBe(0);
    // The stack went deeper than 65,536 (half the chain is one DFS branch), and so did the path
    // compressed when c(M/2) is processed (its retainer c(M/2-1) heads a linked chain that long).
    let misplaced = 0;
    for (let k = 0; k < preorder.length; k++) if (preorder[idomIndex[k]!] !== idom[preorder[k]!]) misplaced++;
    expect(misplaced).toBe(0);
  });

  it("builds the predecessor lists of exactly the nodes with two or more essential retainers", () => {
    fc.assert(
      fc.property(arbHeap, (heap) => {
        const { g, essential } = randomCase(heap);
        const N = g.nodeCount;
        const bits = (N + 7) >>> 3;
        const input: PredecessorInput = {
          N,
          firstEdge: g.firstEdge,
          edgeTo: g.columns.edgeTo,
          essential,
          start: new Uint32Array(N + 1),
          listed: new Uint8Array(bits),
          unheld: new Uint8Array(bits),
        };
        const pred = buildPredecessors(input);
        // The simple way: every essential edge's source, by target.
        const retainers: number[][] = Array.from({ length: N }, () => []);
        for (let s = 0; s < N; s++)
          for (let e = g.firstEdge[s]!; e < g.firstEdge[s + 1]!; e++) if (essential[e] === 1) retainers[g.edgeTo(e)]!.push(s);
        const bit = (a: Uint8Array, w: number): number => (a[w >>> 3]! >> (w & 7)) & 1;
        expect(input.start[N]).toBe(pred.length);
        for (let w = 0; w < N; w++) {
          const list = Array.from(pred.subarray(input.start[w]!, input.start[w + 1]!)).sort((p, q) => p - q);
          const want = retainers[w]!.length >= 2 ? retainers[w]! : [];
          expect(list).toEqual(want);
          expect(bit(input.listed, w)).toBe(retainers[w]!.length >= 2 ? 1 : 0);
          expect(bit(input.unheld, w)).toBe(retainers[w]!.length === 0 ? 1 : 0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("computes retained sizes over the dominator tree, past 2^32", () => {
    //  root → A → B → C,  A → C (diamond through A);  root → D (4 GB)
    const b = new SnapshotBuilder();
    const a = b.node("object", "A", { selfSize: 10 });
    const bb = b.node("object", "B", { selfSize: 20 });
    const c = b.node("object", "C", { selfSize: 40 });
    const d = b.node("object", "D", { selfSize: 0xffffffff });
    const e = b.node("object", "E", { selfSize: 0xffffffff });
    b.edge(b.root, a, "element", 1).edge(a, bb, "property", "b").edge(bb, c, "property", "c").edge(a, c, "property", "c");
    b.edge(b.root, d, "element", 2).edge(d, e, "property", "e");
    const g = graphOf(b);
    const essential = new Uint8Array(g.edgeCount).fill(1);
    const tree = dominatorTree(g, essential);
    expect(tree.idom[c]).toBe(a);
    expect(tree.idom[bb]).toBe(a);
    const sizes = retainedSizes(tree, (n) => g.rawSelfSize(n));
    expect(sizes[a]).toBe(70);
    expect(sizes[d]).toBe(2 * 0xffffffff);
    expect(sizes[0]).toBe(70 + 2 * 0xffffffff + g.rawSelfSize(b.gcRoots) + g.rawSelfSize(0));
  });
});
