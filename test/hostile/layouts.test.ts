/**
 * Every layout the meta allows: random heaps written in each layout (Node 20's, Chromium's, the
 * minimal one, and Chrome DevTools' unit-test layouts with `retained_size` and `dominator` fields,
 * two or three node types and one or three edge types, no synthetic roots) go through every
 * answer the commands give, and no answer may throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { IdSet } from "../../src/graph/id-set.js";
import { chooseTargets, defaultBackrefsOptions, retainerSubgraph, walkContext } from "../../src/query/backrefs.js";
import { groupRetainingPaths } from "../../src/query/group.js";
import { diffSnapshots, findLeaks } from "../../src/query/growth.js";
import { idTrust } from "../../src/query/id-trust.js";
import { retainingPaths, whyAlive } from "../../src/query/paths.js";
import { selectNodes } from "../../src/query/select.js";
import { summarize } from "../../src/query/summary.js";
import { toDot } from "../../src/render/dot.js";
import { formatGroupedText } from "../../src/render/grouped-text.js";
import { formatPathsText, formatWhyText } from "../../src/render/paths-text.js";
import { graphOf } from "../helpers/load.js";
import { LAYOUTS, SnapshotBuilder, type Layout } from "../helpers/snapshot-builder.js";

interface RandomHeap {
  nodes: Array<{ type: number; name: number; size: number }>;
  edges: Array<{ from: number; to: number; type: number; name: number }>;
}

const NAMES = ["A", "B", "C", "", "Foo", "system / Context", "(GC roots)", "x y"];

const randomHeap = fc.record({
  nodes: fc.array(fc.record({ type: fc.nat(20), name: fc.nat(NAMES.length - 1), size: fc.nat(100) }), { minLength: 1, maxLength: 30 }),
  edges: fc.array(fc.record({ from: fc.nat(40), to: fc.nat(40), type: fc.nat(20), name: fc.nat(5) }), { maxLength: 80 }),
});

/** The heap in a layout: types are picked among the layout's own, edges from node 0 are the root's. */
function build(layout: Layout, heap: RandomHeap, idBase = 101): { b: SnapshotBuilder; ordinals: number[] } {
  const b = new SnapshotBuilder(layout);
  const types = layout.nodeTypes.filter((t) => t !== "synthetic");
  const ordinals = heap.nodes.map((n, i) =>
    b.node(types[n.type % types.length]!, NAMES[n.name]!, { id: idBase + 2 * i, selfSize: n.size }),
  );
  const all = [b.root, ...ordinals];
  for (const e of heap.edges) {
    const type = layout.edgeTypes[e.type % layout.edgeTypes.length]!;
    const name = type === "element" || type === "hidden" ? e.name : `p${e.name}`;
    b.edge(all[e.from % all.length]!, all[e.to % all.length]!, type, name);
  }
  return { b, ordinals };
}

/** Every answer backrefs gives about one snapshot, as the commands ask for them. */
async function everyAnswer(layout: Layout, heap: RandomHeap): Promise<void> {
  const { b, ordinals } = build(layout, heap);
  const g = graphOf(b);
  const analysis = new HeapAnalysis(g);
  await analysis.prepare({ retained: true, parallel: false });
  summarize(g, { top: 5, analysis });
  const ctx = walkContext(g, { analysis, retained: true });
  const name = g.className(ordinals[0]!);
  const { ordinals: matches } = selectNodes(g, { types: [name] });
  const { drawn, omitted } = chooseTargets(g, ctx, matches, 3);
  formatWhyText(whyAlive(g, ctx, drawn, 2));
  formatPathsText(retainingPaths(g, ctx, drawn));
  toDot(retainerSubgraph(g, ctx, drawn, defaultBackrefsOptions, omitted));
  const groups = groupRetainingPaths(g, ctx, matches, {});
  formatGroupedText(groups.report(5));
  toDot(groups.toSubgraph({ maxNodes: 40 }));
  // Two snapshots of the "same process": the same heap with a few more objects.
  const later = build(layout, { ...heap, nodes: [...heap.nodes, { type: 1, name: 4, size: 8 }] });
  const g2 = graphOf(later.b);
  idTrust(g, g2);
  diffSnapshots({ graph: g, analysis }, { graph: g2, analysis: new HeapAnalysis(g2) }, { hideInternals: true });
  findLeaks(IdSet.fromGraph(g), IdSet.fromGraph(g2), { graph: g2, analysis: new HeapAnalysis(g2) });
}

describe("every layout the meta allows", () => {
  for (const [layoutName, layout] of Object.entries(LAYOUTS)) {
    it(`${layoutName}: every answer, on random heaps`, async () => {
      await fc.assert(
        fc.asyncProperty(randomHeap, (heap) => everyAnswer(layout, heap)),
        { numRuns: 60 },
      );
    });
  }

  it("DevTools' own unit-test snapshot: why names the root, and the numbers are computed, not read", async () => {
    // The graph of DevTools' HeapSnapshot tests: root → A, B; A → B, C; B → C, D; C → E.
    const b = new SnapshotBuilder(LAYOUTS["devtoolsTwoTypes"]!);
    const [A, B, C, D, E] = ["A", "B", "C", "D", "E"].map((n, i) => b.node("object", n, { id: 2 + i, selfSize: 2 + i }));
    b.edge(b.root, A!, "property", "a").edge(b.root, B!, "property", "b");
    b.edge(A!, B!, "element", 1).edge(A!, C!, "property", "ac");
    b.edge(B!, C!, "property", "bc").edge(B!, D!, "property", "bd").edge(C!, E!, "property", "ce");
    const g = graphOf(b);
    const ctx = walkContext(g);
    const [why] = whyAlive(g, ctx, [E!], 2);
    expect(why!.paths[0]!.map((h) => h.from.name)).toEqual(["A", "C"]);
    expect(why!.dominators!.map((d) => d.name)).toEqual(["C", ""]);
    // DevTools' test expects: C retains 10 (itself 4 and E 6), the root 20
    expect(ctx.analysis.retainedSize(C!)).toBe(10);
    expect(ctx.analysis.retainedSize(b.root)).toBe(20);
    expect(formatWhyText([why!])).toMatch(/^E @6 6 B \(retained 6 B\)/);
  });
});
