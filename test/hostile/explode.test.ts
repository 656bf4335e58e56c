/**
 * Graphs that would explode: each still gives a small, readable picture with placeholders.
 */
import { describe, expect, it } from "vitest";
import { defaultBackrefsOptions, retainerSubgraph, walkContext } from "../../src/query/backrefs.js";
import { whyAlive } from "../../src/query/paths.js";
import { toDot } from "../../src/render/dot.js";
import { formatWhyText } from "../../src/render/paths-text.js";
import { renderSvg } from "../../src/render/svg.js";
import type { Subgraph } from "../../src/query/types.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { graphOf } from "../helpers/load.js";
import { withGlobal } from "../helpers/subgraphs.js";

async function drawable(g: HeapGraph, sub: Subgraph): Promise<void> {
  expect(sub.nodes.length).toBeLessThanOrEqual(defaultBackrefsOptions.maxNodes + 2 * 15 + 2);
  const svg = await renderSvg(toDot(sub));
  expect(svg.match(/class="node"/g)!.length).toBe(sub.nodes.length + sub.placeholders.length);
  void g;
}

describe("graphs that would explode", () => {
  it("one object retained by a million others", async () => {
    const { b, global } = withGlobal();
    const t = b.node("object", "Target");
    for (let i = 0; i < 1_000_000; i++) {
      const r = b.node("object", "Holder");
      b.edge(global, r, "element", i).edge(r, t, "property", "t");
    }
    const g = graphOf(b);
    const sub = retainerSubgraph(g, walkContext(g), [t], defaultBackrefsOptions);
    const tooMany = sub.placeholders.find((p) => p.reason === "too-many")!;
    expect(tooMany.count).toBe(1_000_000 - defaultBackrefsOptions.tooMany);
    await drawable(g, sub);
  });

  it("a retaining chain a million long: both ends drawn, the middle one placeholder", async () => {
    const { b, global } = withGlobal();
    let prev = global;
    for (let i = 0; i < 1_000_000; i++) {
      const n = b.node("object", "Link");
      b.edge(prev, n, "property", "next");
      prev = n;
    }
    const g = graphOf(b);
    const ctx = walkContext(g);
    const sub = retainerSubgraph(g, ctx, [prev], defaultBackrefsOptions);
    const gap = sub.placeholders.find((p) => p.reason === "path")!;
    expect(gap.count).toBe(1_000_000 - 30);
    expect(sub.limitsReached.pathHops).toBe(gap.count);
    expect(sub.nodes.find((n) => n.className === "global")!.isRoot).toBe(true);
    await drawable(g, sub);
    const text = formatWhyText(whyAlive(g, ctx, [prev], 1));
    expect(text.split("\n").length).toBeLessThan(60);
    // The list is one run of Links linked by .next: it prints as one folded line.
    expect(text).toMatch(/└─ \.next → Link ×999,999 via \.next @\d+ … @\d+\n/);
  });

  it("a cycle through every node", async () => {
    const { b, global } = withGlobal();
    const first = b.node("object", "Ring");
    let prev = first;
    for (let i = 1; i < 200_000; i++) {
      const n = b.node("object", "Ring");
      b.edge(prev, n, "property", "next");
      prev = n;
    }
    b.edge(prev, first, "property", "next");
    b.edge(global, first, "property", "ring");
    const g = graphOf(b);
    const sub = retainerSubgraph(g, walkContext(g), [prev], { ...defaultBackrefsOptions, depth: 50 });
    expect(sub.nodes.length).toBeLessThanOrEqual(defaultBackrefsOptions.maxNodes + 32);
    await drawable(g, sub);
  });

  it("the node budget runs out at depth 1", async () => {
    const { b, global } = withGlobal();
    const t = b.node("object", "Target");
    for (let i = 0; i < 500; i++) {
      const r = b.node("object", "Holder");
      b.edge(global, r, "element", i).edge(r, t, "property", "t");
    }
    const g = graphOf(b);
    const sub = retainerSubgraph(g, walkContext(g), [t], { ...defaultBackrefsOptions, tooMany: 1000, maxNodes: 50 });
    const cut = sub.placeholders.find((p) => p.reason === "max-nodes")!;
    // The budget counts boxes: 50 = target + global + its placeholder + the holders drawn.
    expect(sub.nodes.length + sub.placeholders.length).toBe(50);
    expect(cut.count).toBe(500 - (sub.nodes.length - 2));
    await drawable(g, sub);
  });
});
