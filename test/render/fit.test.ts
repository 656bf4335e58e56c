import { describe, expect, it } from "vitest";
import type { Subgraph, SubgraphNode } from "../../src/query/types.js";
import { layoutToFit } from "../../src/render/fit.js";
import { measureSvg, pngSize, PX_PER_PT } from "../../src/render/measure.js";
import { renderPng } from "../../src/render/png.js";
import { renderSvg } from "../../src/render/svg.js";

function node(id: number, className: string, depth: number, extra: Partial<SubgraphNode> = {}): SubgraphNode {
  return { id, className, type: "object", name: className, selfSize: 32, isTarget: false, isRoot: false, depth, onPath: false, ...extra };
}

/** One target held by `n` holders, each held by the same root: a TB layout makes a strip. */
function fan(n: number): Subgraph {
  const nodes = [node(1, "Target", 0, { isTarget: true, onPath: true }), node(3, "(GC roots)", 2, { isRoot: true, onPath: true })];
  const edges: Subgraph["edges"] = [];
  for (let i = 0; i < n; i++) {
    const id = 101 + 2 * i;
    nodes.push(node(id, `HolderWithALongishName${i}`, 1, { onPath: i === 0 }));
    edges.push({ from: id, to: 1, type: "property", name: "target", onPath: i === 0 });
    edges.push({ from: 3, to: id, type: "element", name: i, onPath: i === 0 });
  }
  return {
    targets: [1],
    nodes,
    edges,
    placeholders: [
      { of: 1, count: 500, reason: "too-many", breakdown: [{ count: 500, className: "Holder", edgeType: "property", edgeName: "target" }] },
    ],
    limitsReached: { targetsOmitted: 0, tooMany: 1, maxNodes: 0, depth: 0, noPath: 0, pathHops: 0 },
  };
}

describe("measureSvg", () => {
  it("reads the size in pt and the smallest text, through Graphviz's own scaling", async () => {
    const dot = 'digraph { node [fontsize=20]; a [label="big"]; b [label="small", fontsize=8]; a -> b; }';
    const plain = measureSvg(await renderSvg(dot))!;
    expect(plain.minFontPt).toBe(8);
    // size= shrinks the drawing: the text shrinks by the same factor as the picture.
    const shrunk = measureSvg(await renderSvg(dot.replace("{", '{ graph [size="0.5,0.5"];')))!;
    expect(shrunk.widthPt).toBeLessThan(plain.widthPt);
    expect(shrunk.minFontPt / 8).toBeCloseTo(shrunk.widthPt / plain.widthPt, 1);
  });
});

describe("layoutToFit", () => {
  it("turns a strip into a picture that fits 4,000 px with legible text, deterministically", async () => {
    const sub = fan(40);
    const tb = measureSvg(await renderSvg((await import("../../src/render/dot.js")).toDot(sub)))!;
    // The plain top-to-bottom layout is far out of bounds at the default zoom…
    expect(tb.widthPt * PX_PER_PT * 1.5).toBeGreaterThan(4000);
    const fitted = await layoutToFit(sub);
    // …the fitted one is not.
    expect(fitted.fits).toBe(true);
    const png = await renderPng(fitted.svg, { scale: fitted.zoom });
    const { width, height } = pngSize(png);
    expect(Math.max(width, height)).toBeLessThanOrEqual(4000);
    expect(Math.max(width, height) / Math.min(width, height)).toBeLessThanOrEqual(3);
    expect(fitted.minTextPx).toBeGreaterThanOrEqual(11);
    expect(Math.abs(width - fitted.widthPx)).toBeLessThanOrEqual(2);
    const again = await layoutToFit(sub);
    expect(again.dot).toBe(fitted.dot);
    expect(again.svg).toBe(fitted.svg);
  });

  it("keeps a small picture as it was: top to bottom, full zoom", async () => {
    const fitted = await layoutToFit(fan(2));
    expect(fitted.layout).toEqual({ rankdir: "TB", stagger: 1 });
    expect(fitted.zoom).toBe(1.5);
    expect(fitted.fits).toBe(true);
  });

  it("says so when nothing fits and it may not draw fewer boxes", async () => {
    const fitted = await layoutToFit(fan(400), { maxBoxesToTry: 10, shrink: false });
    expect(fitted.fits).toBe(false);
    // Never shrinks text below the legible size to force a fit.
    expect(fitted.minTextPx).toBeGreaterThanOrEqual(11 - 1e-9);
    expect(fitted.subgraph.nodes).toHaveLength(402);
  });

  it("draws fewer boxes when no layout of all of them fits, and says what it left out", async () => {
    const sub = fan(400);
    const fitted = await layoutToFit(sub, { maxBoxesToTry: 10 });
    expect(fitted.fits).toBe(true);
    const png = await renderPng(fitted.svg, { scale: fitted.zoom });
    const { width, height } = pngSize(png);
    expect(Math.max(width, height)).toBeLessThanOrEqual(4000);
    expect(fitted.minTextPx).toBeGreaterThanOrEqual(11);
    // The target, the root and the path between them stay; the holders left out are counted in
    // the target's box, with their class and edge.
    const drawn = fitted.subgraph;
    const ids = new Set(drawn.nodes.map((n) => n.id));
    for (const n of sub.nodes) if (n.onPath) expect(ids.has(n.id)).toBe(true);
    const left = sub.nodes.length - drawn.nodes.length;
    expect(left).toBeGreaterThan(0);
    expect(drawn.limitsReached.droppedToFit).toBe(left);
    const box = drawn.placeholders.find((p) => p.of === 1)!;
    expect(box.count).toBe(500 + left);
    expect(box.breakdown!.reduce((s, g) => s + g.count, 0)).toBe(box.count);
    // The caption says it too.
    expect(fitted.dot).toContain(`${left} objects left out to fit a screen`);
    // Same input, same picture.
    expect((await layoutToFit(sub, { maxBoxesToTry: 10 })).svg).toBe(fitted.svg);
  });
});
