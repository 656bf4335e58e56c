/**
 * The default pictures of real programs fit a screen: at most 4,000 px a side as a PNG, aspect
 * between 1:3 and 3:1, text at least 11 px high — and still show every target's shortest path and
 * say what their placeholders stand for. The snapshots (a TypeScript compiler that has checked a
 * small project, a node:http server with a request cache) are made by the programs in
 * test/fixtures/programs, in a child process, at every run.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import {
  chooseTargets,
  defaultBackrefsOptions,
  retainerSubgraph,
  shortestPath,
  walkContext,
  type WalkContext,
} from "../../src/query/backrefs.js";
import { DEFAULT_GROUP_NODES, groupRetainingPaths } from "../../src/query/group.js";
import { selectNodes } from "../../src/query/select.js";
import type { Subgraph } from "../../src/query/types.js";
import { layoutToFit } from "../../src/render/fit.js";
import { pngSize } from "../../src/render/measure.js";
import { renderPng } from "../../src/render/png.js";
import { realProgramSnapshot, removeRealProgramSnapshots, type RealProgram } from "../helpers/real-programs.js";
import { accounted } from "../helpers/subgraphs.js";
import { boxCount } from "../../src/query/shrink.js";

const SLOW = 300_000;
const heaps = new Map<RealProgram, { graph: HeapGraph; ctx: WalkContext }>();

beforeAll(async () => {
  for (const program of ["typescript-compile", "http-cache"] as const) {
    const graph = await loadHeapGraph(realProgramSnapshot(program));
    heaps.set(program, { graph, ctx: walkContext(graph) });
  }
}, SLOW);

/**
 * Draws `sub` as the CLI does by default, checks the picture's bounds, and returns what the
 * picture draws (the fitter may have taken objects out to fit).
 */
async function expectFits(sub: Subgraph): Promise<Subgraph> {
  const fitted = await layoutToFit(sub);
  const png = await renderPng(fitted.svg, { scale: fitted.zoom, maxPixels: 20_000_000 });
  const { width, height } = pngSize(png);
  const what = `${width}×${height} px, text ${fitted.minTextPx.toFixed(1)} px, layout ${JSON.stringify(fitted.layout)}, dropped ${fitted.subgraph.limitsReached.droppedToFit ?? 0}`;
  expect(fitted.fits, what).toBe(true);
  expect(Math.max(width, height), what).toBeLessThanOrEqual(4000);
  expect(Math.max(width, height) / Math.min(width, height), what).toBeLessThanOrEqual(3);
  expect(fitted.minTextPx, what).toBeGreaterThanOrEqual(11);
  return fitted.subgraph;
}

/** Every placeholder's breakdown adds up to its count. */
function expectBreakdowns(sub: Subgraph): void {
  for (const p of sub.placeholders) expect(p.breakdown!.reduce((s, g) => s + g.count, 0)).toBe(p.count);
}

const cases: Array<[RealProgram, string]> = [
  ["typescript-compile", "TypeObject"],
  ["typescript-compile", "SymbolObject"],
  ["typescript-compile", "NodeObject"],
  ["http-cache", "RequestCache"],
  ["http-cache", "IncomingMessage"],
  ["http-cache", "Socket"],
];

afterAll(removeRealProgramSnapshots);

describe("default per-object pictures of real programs", () => {
  for (const [program, className] of cases) {
    it(
      `${program}: ${className}`,
      async () => {
        const { graph, ctx } = heaps.get(program)!;
        const { ordinals } = selectNodes(graph, { types: [className] });
        const { drawn, omitted } = chooseTargets(graph, ctx, ordinals, 10);
        const sub = retainerSubgraph(graph, ctx, drawn, defaultBackrefsOptions, omitted);
        // Within the budget, unless the paths alone need more.
        const forced = retainerSubgraph(graph, ctx, drawn, { ...defaultBackrefsOptions, maxNodes: 1 }, omitted);
        expect(boxCount(sub)).toBeLessThanOrEqual(Math.max(defaultBackrefsOptions.maxNodes, boxCount(forced)));
        // Placeholders say what they stand for.
        expect(sub.placeholders.length).toBeGreaterThan(0);
        expectBreakdowns(sub);
        const picture = await expectFits(sub);
        // The answer first: every target's shortest retaining path is in the picture, and every
        // object the picture left out is counted in a "more" box. A heap whose paths alone are too
        // wide for a screen has its first targets drawn (keepFirstTargets), the others counted.
        const ids = new Set(picture.nodes.map((n) => n.id));
        const shown = new Set(picture.targets);
        expect(drawn.length - shown.size).toBe(picture.limitsReached.targetsDroppedToFit ?? 0);
        expect(shown.size).toBeGreaterThan(0);
        for (const t of drawn) {
          const hops = shortestPath(graph, ctx, t)!;
          expect(hops.length).toBeLessThanOrEqual(40);
          if (!shown.has(graph.nodeId(t))) continue;
          expect(ids.has(graph.nodeId(t))).toBe(true);
          for (const h of hops) expect(ids.has(graph.nodeId(h.from)), `${className} @${graph.nodeId(t)}`).toBe(true);
        }
        expectBreakdowns(picture);
        // Each object drawn has as many retainers, drawn or counted, as in the whole subgraph.
        const before = accounted(sub);
        for (const [id, n] of accounted(picture)) expect(n, `@${id}`).toBe(before.get(id));
      },
      SLOW,
    );
  }
});

describe("default grouped pictures of real programs", () => {
  for (const [program, className] of [
    ["typescript-compile", "TypeObject"],
    ["typescript-compile", "NodeObject"],
    ["http-cache", "IncomingMessage"],
  ] as const) {
    it(
      `${program}: ${className}`,
      async () => {
        const { graph, ctx } = heaps.get(program)!;
        const { ordinals } = selectNodes(graph, { types: [className] });
        const sub = groupRetainingPaths(graph, ctx, ordinals).toSubgraph({ maxNodes: DEFAULT_GROUP_NODES });
        await expectFits(sub);
      },
      SLOW,
    );
  }
});
