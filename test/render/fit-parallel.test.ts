/**
 * A picture that fits neither way at first: the fitter starts a second layout worker and lays out
 * its tries two at a time. The picture is the one a single worker gives.
 */
import { afterAll, describe, expect, it, vi } from "vitest";
import { chooseTargets, defaultBackrefsOptions, retainerSubgraph } from "../../src/query/backrefs.js";
import { selectNodes } from "../../src/query/select.js";
import { wideHeap } from "../helpers/subgraphs.js";

// Whether the fitter may start the second worker, and how often it asked for one.
let allowSecond = true;
let asked = 0;
vi.mock("../../src/render/svg.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/render/svg.js")>();
  return {
    ...real,
    addLayoutWorker: () => {
      asked++;
      return allowSecond ? real.addLayoutWorker() : Promise.resolve();
    },
  };
});

const { layoutToFit } = await import("../../src/render/fit.js");
const { closeLayoutWorker, layoutWorkers } = await import("../../src/render/svg.js");

afterAll(closeLayoutWorker);

/** The picture of {@link wideHeap}'s `n` Leaky objects, the largest first, as the drawing command chooses them. */
function wideSubgraph(n: number) {
  const { graph, ctx } = wideHeap(n);
  const { ordinals } = selectNodes(graph, { types: ["Leaky"] });
  const { drawn, omitted } = chooseTargets(graph, ctx, ordinals, n);
  return retainerSubgraph(graph, ctx, drawn, defaultBackrefsOptions, omitted);
}

describe("layoutToFit with two layout workers", () => {
  it("gives the picture one worker gives", async () => {
    const sub = wideSubgraph(60);
    allowSecond = false;
    await closeLayoutWorker();
    const one = await layoutToFit(sub);
    expect(asked).toBeGreaterThan(0); // the premise: it fits neither way at first
    expect(layoutWorkers()).toBe(1);
    expect(one.subgraph.limitsReached.targetsDroppedToFit).toBeGreaterThan(0); // several rounds

    allowSecond = true;
    const two = await layoutToFit(sub);
    expect(layoutWorkers()).toBe(2);
    expect(two.dot).toBe(one.dot);
    expect(two.svg).toBe(one.svg);
    expect(two.zoom).toBe(one.zoom);
    expect(two.layout).toEqual(one.layout);
    expect(two.subgraph).toEqual(one.subgraph);
  });
});
