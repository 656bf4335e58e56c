/**
 * A real Chromium 156 snapshot (samples/detached-dom.heapsnapshot.gz, made by
 * samples/make-detached-dom-snapshot.mjs): a page removed 40 <div class="row"> (each with a
 * <span>) from the document while window.rowCache still holds them.
 */
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { walkContext } from "../../src/query/backrefs.js";
import { whyAlive } from "../../src/query/paths.js";
import { selectNodes } from "../../src/query/select.js";
import { classTable } from "../../src/query/summary.js";

const SAMPLE = join(resolve(import.meta.dirname, "../.."), "samples/detached-dom.heapsnapshot.gz");
let graph: HeapGraph;

beforeAll(async () => {
  graph = await loadHeapGraph(SAMPLE);
});

function countOf(className: string): number {
  const t = classTable(graph);
  let n = 0;
  for (let i = 0; i < t.classIds.length; i++) if (graph.classNameOf(t.classIds[i]!) === className) n += t.count[i]!;
  return n;
}

describe("detached DOM in a real Chromium snapshot", () => {
  it("names the 40 removed rows and their spans 'Detached <div>' / 'Detached <span>'", () => {
    expect(graph.nodeFields).not.toContain("trace_node_id"); // Chromium's 6 node fields
    expect(countOf("Detached <div>")).toBe(40);
    expect(countOf("Detached <span>")).toBe(40);
    expect(selectNodes(graph, { detached: true, types: ["Detached <div>"] }).ordinals).toHaveLength(40);
  });

  it("explains why one is alive: window.rowCache", () => {
    const [div] = selectNodes(graph, { types: ["Detached <div>"] }).ordinals;
    const [why] = whyAlive(graph, walkContext(graph), [div!], 1);
    const edges = why!.paths[0]!.map((h) => h.edgeName);
    expect(edges).toContain("rowCache");
    expect(why!.retainedSize).toBeGreaterThan(why!.selfSize);
  });
});
