import { afterAll, describe, it, expect } from "vitest";
import { AbortedError, RenderError } from "../../src/errors.js";
import type { Subgraph, SubgraphEdge, SubgraphNode } from "../../src/query/types.js";
import { toDot } from "../../src/render/dot.js";
import { measureSvg } from "../../src/render/measure.js";
import {
  addLayoutWorker,
  closeLayoutWorker,
  finishLayout,
  layOutAhead,
  layoutJobsPosted,
  layoutSvg,
  layoutWorkers,
  prepareLayout,
  renderSvg,
} from "../../src/render/svg.js";
import { warmUpDot, warmUpSubgraph } from "../../src/render/warm-up.js";
import { HOSTILE, hostileSubgraph } from "./hostile-strings.js";
import { plainSubgraph, sampleSubgraph } from "./sample-subgraph.js";

afterAll(closeLayoutWorker);

/** A layered graph big enough that Graphviz needs a while: `n` nodes, ~3 edges each. */
function bigSubgraph(n: number): Subgraph {
  const nodes: SubgraphNode[] = [];
  const edges: SubgraphEdge[] = [];
  for (let i = 0; i < n; i++) {
    const depth = Math.floor(Math.log2(i + 1));
    nodes.push({
      id: 2 * i + 1,
      className: `Class${i % 17}`,
      type: "object",
      name: `Class${i % 17}`,
      selfSize: 16 * i,
      isTarget: i === 0,
      isRoot: i === n - 1,
      depth,
      onPath: false,
    });
    for (const parent of [2 * i + 1, 2 * i + 2, (i * 7919) % n]) {
      if (parent < n && parent !== i) {
        edges.push({ from: 2 * parent + 1, to: 2 * i + 1, type: "property", name: `p${parent}`, onPath: false });
      }
    }
  }
  return plainSubgraph(nodes, edges);
}

describe("renderSvg", () => {
  it("lays out a graph and is byte-identical across calls", async () => {
    const dot = toDot(sampleSubgraph());
    const a = await renderSvg(dot);
    const b = await renderSvg(dot);
    expect(a).toBe(b);
    expect(a).toMatch(/^<\?xml/);
    expect(a).toContain('font-family="DejaVu Sans,'); // first in the list: Graphviz sized the text for it
    expect(a.match(/class="node"/g)).toHaveLength(12);
    expect(a.match(/class="edge"/g)).toHaveLength(12);
  });

  it("stops a slow layout at the time limit, and works again afterwards", async () => {
    const dot = toDot(bigSubgraph(300));
    const slow = renderSvg(dot, { timeoutMs: 1 });
    await expect(slow).rejects.toThrow(RenderError);
    await expect(slow).rejects.toMatchObject({ code: "E_RENDER", hint: expect.stringMatching(/--max-nodes/) });
    const svg = await renderSvg(toDot(sampleSubgraph()));
    expect(svg.match(/class="node"/g)).toHaveLength(12);
  });

  it("terminates a layout already running in a warm worker", async () => {
    await renderSvg(toDot(sampleSubgraph())); // worker up and Graphviz loaded
    // This layered graph with long labelled edges takes Graphviz well over 30 s.
    const started = performance.now();
    await expect(renderSvg(toDot(bigSubgraph(300)), { timeoutMs: 300 })).rejects.toThrow(/longer than 300 ms/);
    expect(performance.now() - started).toBeLessThan(3000);
    await expect(renderSvg(toDot(sampleSubgraph()))).resolves.toContain('class="node"');
  });

  it("runs jobs one at a time; a timeout only fails its own job", async () => {
    const small = toDot(sampleSubgraph());
    const results = await Promise.allSettled([renderSvg(small), renderSvg(toDot(bigSubgraph(300)), { timeoutMs: 1 }), renderSvg(small)]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  });

  it("can be aborted", async () => {
    const controller = new AbortController();
    const job = renderSvg(toDot(bigSubgraph(300)), { signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    await expect(job).rejects.toThrow(AbortedError);
    const early = new AbortController();
    early.abort();
    await expect(renderSvg("digraph {}", { signal: early.signal })).rejects.toThrow(AbortedError);
  });

  it("reports DOT errors as RenderError and recovers", async () => {
    await expect(renderSvg("digraph { a -> }")).rejects.toThrow(/Graphviz could not lay out the graph: .*syntax error/);
    await expect(renderSvg("digraph { a -> b }")).resolves.toContain('class="edge"');
  });

  it("refuses SVG with active content, whatever DOT it was given", async () => {
    await expect(renderSvg('digraph { a [URL="javascript:alert(1)"] }')).rejects.toThrow(RenderError);
    await expect(renderSvg('digraph { a [label=<x>, tooltip="x"] }')).resolves.toContain("xlink:title");
  });

  it("rejects a nonsense time limit", async () => {
    await expect(renderSvg("digraph {}", { timeoutMs: -1 })).rejects.toThrow(RenderError);
  });
});

describe("two layout workers", () => {
  it("lay out two at a time, each DOT as one worker does, until closed", async () => {
    const dots = [sampleSubgraph(), warmUpSubgraph(), hostileSubgraph(HOSTILE)].map((s) => toDot(s));
    await closeLayoutWorker();
    const one: string[] = [];
    for (const dot of dots) one.push(await layoutSvg(dot));
    await addLayoutWorker();
    expect(layoutWorkers()).toBe(2);
    await addLayoutWorker(); // no third
    expect(layoutWorkers()).toBe(2);
    // A slow layout holds one worker; a small one asked after it is laid out by the other meanwhile.
    let slowSettled = false;
    const slow = renderSvg(toDot(bigSubgraph(300)), { timeoutMs: 20_000 }).finally(() => (slowSettled = true));
    slow.catch(() => {});
    await expect(renderSvg(toDot(sampleSubgraph()))).resolves.toContain('class="node"');
    expect(slowSettled).toBe(false);
    // A job that fails fails alone.
    const results = await Promise.allSettled([...dots, "digraph { a -> }", ...dots].map((d) => layoutSvg(d)));
    expect(results.map((r) => r.status)).toEqual([...dots.map(() => "fulfilled"), "rejected", ...dots.map(() => "fulfilled")]);
    const svgs = results.filter((r) => r.status === "fulfilled").map((r) => r.value);
    expect(svgs).toEqual([...one, ...one]);
    await closeLayoutWorker();
    await expect(slow).rejects.toThrow(RenderError);
    expect(layoutWorkers()).toBe(1);
    await expect(renderSvg(toDot(sampleSubgraph()))).resolves.toContain('class="node"');
  });
});

describe("prepareLayout and the warm-up picture", () => {
  it("the warm-up picture is a real retainer picture Graphviz lays out", async () => {
    const sub = warmUpSubgraph();
    const svg = await renderSvg(warmUpDot());
    expect(svg.match(/class="node"/g)).toHaveLength(sub.nodes.length + sub.placeholders.length);
    expect(svg).toContain("LeakyRequest");
  });

  it("a layout asked for while the worker warms up gets the same SVG as on a fresh worker", async () => {
    const dot = toDot(sampleSubgraph());
    await closeLayoutWorker();
    const cold = await renderSvg(dot);
    await closeLayoutWorker();
    prepareLayout(2);
    const during = await renderSvg(dot); // queued behind (or between) warm-up rounds
    const after = await renderSvg(dot);
    expect(during).toBe(cold);
    expect(after).toBe(cold);
  });

  it("a failing job after a warm-up fails alone, and the worker recovers", async () => {
    await closeLayoutWorker();
    prepareLayout(2);
    await expect(renderSvg("digraph { a -> }")).rejects.toThrow(RenderError);
    await expect(renderSvg(toDot(sampleSubgraph()))).resolves.toContain('class="node"');
  });
});

describe("layOutAhead", () => {
  const first = toDot(sampleSubgraph());
  const second = toDot(sampleSubgraph(), { rankdir: "LR" });

  it("a layout made ahead answers the job for it with the SVG a fresh worker makes", async () => {
    await closeLayoutWorker();
    const cold = await layoutSvg(second);
    await closeLayoutWorker();
    const a = layoutSvg(first);
    layOutAhead(second);
    await a;
    expect(await layoutSvg(second)).toBe(cold);
    // Used once: asked again, it is laid out again, the same.
    expect(await layoutSvg(second)).toBe(cold);
  });

  it("a layout made ahead and never asked for changes no other job's answer", async () => {
    await closeLayoutWorker();
    const cold = await layoutSvg(first);
    const a = layoutSvg(second);
    layOutAhead(second);
    await a;
    expect(await layoutSvg(first)).toBe(cold);
  });

  it("a layout ahead that fails is forgotten: the job for it reports the error, and the worker recovers", async () => {
    const bad = "digraph { a -> }";
    await layoutSvg(first);
    layOutAhead(bad);
    await expect(layoutSvg(bad)).rejects.toThrow(RenderError);
    expect(await layoutSvg(first)).toBe(await layoutSvg(first));
  });

  it("a layout made ahead that hit its time limit is not laid out again with a fresh one", async () => {
    const big = toDot(bigSubgraph(300));
    await closeLayoutWorker();
    const a = layoutSvg(first);
    layOutAhead(big, { timeoutMs: 1 });
    await a;
    const posted = layoutJobsPosted();
    await expect(layoutSvg(big, { timeoutMs: 1 })).rejects.toThrow(/took longer than 1 ms/);
    expect(layoutJobsPosted()).toBe(posted);
    // A job with a longer limit than the one made ahead had is laid out again, for what is left of
    // it: 3 ms - 1 ms.
    const b = layoutSvg(first);
    layOutAhead(big, { timeoutMs: 1 });
    await b;
    const again = layoutJobsPosted();
    await expect(layoutSvg(big, { timeoutMs: 3 })).rejects.toThrow(/took longer than 2 ms/);
    expect(layoutJobsPosted()).toBe(again + 1);
  });

  it("a job answered from a layout made ahead reports its Graphviz error as it is, without laying it out again", async () => {
    const bad = "digraph { a -> }";
    await layoutSvg(first);
    layOutAhead(bad);
    const posted = layoutJobsPosted();
    await expect(layoutSvg(bad)).rejects.toThrow(/Graphviz could not lay out/);
    expect(layoutJobsPosted()).toBe(posted);
  });

  it("a job aborted while it waits for the layout made ahead stops that layout", async () => {
    const big = toDot(bigSubgraph(300));
    await closeLayoutWorker();
    const a = layoutSvg(first);
    layOutAhead(big, { timeoutMs: 60_000 });
    await a;
    // The worker is on it now.
    await new Promise((resolve) => setImmediate(resolve));
    const stop = new AbortController();
    const waiting = layoutSvg(big, { signal: stop.signal });
    stop.abort();
    await expect(waiting).rejects.toThrow(AbortedError);
    // Its worker was stopped with it: the next job starts a fresh one, and is answered as before.
    expect(await layoutSvg(first)).toBe(await layoutSvg(first));
  });

  it("does nothing without a worker", async () => {
    await closeLayoutWorker();
    layOutAhead(first);
    await expect(layoutSvg(first)).resolves.toContain('class="node"');
  });
});

describe("layoutSvg and finishLayout", () => {
  it("renderSvg is layoutSvg then finishLayout", async () => {
    const dot = toDot(sampleSubgraph());
    const raw = await layoutSvg(dot);
    expect(raw).not.toContain('role="img"'); // Graphviz's own output
    expect(finishLayout(raw)).toBe(await renderSvg(dot));
  });

  it("finishing never changes what a layout measures (the fitter measures before finishing)", async () => {
    for (const sub of [sampleSubgraph(), warmUpSubgraph(), hostileSubgraph(HOSTILE)]) {
      const raw = await layoutSvg(toDot(sub));
      const finished = finishLayout(raw);
      expect(finished).not.toBe(raw);
      expect(measureSvg(raw)).not.toBeNull();
      expect(measureSvg(finished)).toEqual(measureSvg(raw));
    }
  });

  it("finishLayout refuses what renderSvg refuses", async () => {
    const raw = await layoutSvg('digraph { a [URL="javascript:alert(1)"] }');
    expect(() => finishLayout(raw)).toThrow(RenderError);
  });
});
