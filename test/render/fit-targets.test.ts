/**
 * A picture whose targets' shortest retaining paths alone are too wide for a screen: the fitter
 * draws the first targets only, with their paths, and says how many it does not draw.
 */
import { describe, expect, it } from "vitest";
import { chooseTargets, defaultBackrefsOptions, retainerSubgraph, shortestPath } from "../../src/query/backrefs.js";
import { selectNodes } from "../../src/query/select.js";
import { layoutToFit } from "../../src/render/fit.js";
import { pngSize } from "../../src/render/measure.js";
import { renderPng } from "../../src/render/png.js";
import { accounted, wideHeap } from "../helpers/subgraphs.js";

describe("layoutToFit with targets whose paths alone are too wide", () => {
  it("draws the first targets with their whole paths and says how many are not drawn", async () => {
    const n = 120;
    const { graph, ctx } = wideHeap(n);
    const { ordinals } = selectNodes(graph, { types: ["Leaky"] });
    const { drawn, omitted } = chooseTargets(graph, ctx, ordinals, n);
    const sub = retainerSubgraph(graph, ctx, drawn, defaultBackrefsOptions, omitted);
    expect(sub.targets).toHaveLength(n);
    // Every object drawn is a target or on a shortest path: dropping objects cannot help.
    expect(sub.nodes.every((x) => x.isTarget || x.onPath)).toBe(true);

    const fitted = await layoutToFit(sub);
    const png = await renderPng(fitted.svg, { scale: fitted.zoom });
    const { width, height } = pngSize(png);
    expect(fitted.fits).toBe(true);
    expect(Math.max(width, height)).toBeLessThanOrEqual(4000);
    expect(Math.max(width, height) / Math.min(width, height)).toBeLessThanOrEqual(3);
    expect(fitted.minTextPx).toBeGreaterThanOrEqual(11);

    // The first targets (the largest), each with its whole shortest path; the rest counted.
    const picture = fitted.subgraph;
    const k = picture.targets.length;
    expect(k).toBeGreaterThan(0);
    expect(k).toBeLessThan(n);
    expect(picture.targets).toEqual(sub.targets.slice(0, k));
    expect(picture.limitsReached.targetsDroppedToFit).toBe(n - k);
    const ids = new Set(picture.nodes.map((x) => x.id));
    expect(
      picture.nodes
        .filter((x) => x.isTarget)
        .map((x) => x.id)
        .sort(),
    ).toEqual([...picture.targets].sort());
    for (const t of drawn.slice(0, k)) {
      expect(ids.has(graph.nodeId(t))).toBe(true);
      for (const h of shortestPath(graph, ctx, t)!) expect(ids.has(graph.nodeId(h.from))).toBe(true);
    }
    // Nothing drawn lost a retainer: each has as many, drawn or counted, as before.
    const before = accounted(sub);
    for (const [id, count] of accounted(picture)) expect(count, `@${id}`).toBe(before.get(id));
    // The caption and the description say it.
    expect(fitted.dot).toContain(`${n - k} more targets not drawn: their shortest paths do not fit a screen`);
    expect(fitted.dot).toContain(`(${n} matched; ${n - k} not drawn)`);
    // Same input, same picture.
    expect((await layoutToFit(sub)).svg).toBe(fitted.svg);
  });
});
