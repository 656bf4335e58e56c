import { describe, expect, it, vi } from "vitest";
import type { Subgraph, SubgraphNode } from "../../src/query/types.js";
import { plainSubgraph } from "./sample-subgraph.js";

// Every layout the fitter asks for, with its DOT (the real Graphviz still lays it out).
const laidOut: string[] = [];
vi.mock("../../src/render/svg.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/render/svg.js")>();
  return {
    ...real,
    layoutSvg: (dot: string, opts?: Parameters<typeof real.layoutSvg>[1]) => {
      laidOut.push(dot);
      return real.layoutSvg(dot, opts);
    },
  };
});

const { layoutToFit } = await import("../../src/render/fit.js");
const { toDot } = await import("../../src/render/dot.js");

function node(id: number, depth: number, extra: Partial<SubgraphNode> = {}): SubgraphNode {
  return {
    id,
    className: `Step${depth}`,
    type: "object",
    name: `Step${depth}`,
    selfSize: 32,
    isTarget: false,
    isRoot: false,
    depth,
    onPath: true,
    ...extra,
  };
}

/** A target held through a chain of `n` objects from a root: one box per level, long and thin. */
function chain(n: number): Subgraph {
  const nodes = [node(1, 0, { isTarget: true })];
  const edges: Subgraph["edges"] = [];
  for (let d = 1; d <= n; d++) {
    nodes.push(node(1 + d, d, d === n ? { isRoot: true } : {}));
    edges.push({ from: 1 + d, to: d, type: "property", name: "next", onPath: true });
  }
  return plainSubgraph(nodes, edges);
}

describe("layoutToFit without wide levels", () => {
  it("lays out no DOT twice: folding levels that are not wide gives the layout already tried", async () => {
    const sub = chain(40);
    // The premise: folding changes nothing in this picture's DOT.
    expect(toDot(sub, { rankdir: "TB", stagger: 2 })).toBe(toDot(sub, { rankdir: "TB", stagger: 1 }));
    laidOut.length = 0;
    const fitted = await layoutToFit(sub);
    expect(laidOut.length).toBeGreaterThan(1);
    expect(new Set(laidOut).size).toBe(laidOut.length);
    // What is kept is one of the layouts made, and the same each time.
    expect(laidOut).toContain(fitted.dot);
    const again = await layoutToFit(sub);
    expect(again.dot).toBe(fitted.dot);
    expect(again.svg).toBe(fitted.svg);
  });
});
