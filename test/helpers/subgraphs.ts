/**
 * Small pieces the retainer-picture tests share: a heap with a user root, the default walk, and
 * what a picture accounts for.
 */
import { defaultBackrefsOptions, retainerSubgraph, walkContext, type BackrefsOptions } from "../../src/query/backrefs.js";
import type { PlaceholderGroup, Subgraph } from "../../src/query/types.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { graphOf } from "./load.js";
import { SnapshotBuilder } from "./snapshot-builder.js";

/** A user root, as Node writes it: root ─shortcut→ global. */
export function withGlobal(): { b: SnapshotBuilder; global: number } {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global");
  b.edge(b.root, global, "shortcut", "global");
  return { b, global };
}

/**
 * `n` Leaky objects, each held by a holder of its own class (long names) held by a root: every
 * holder is on a shortest path, and no layout of many of them fits a screen.
 */
export function wideHeap(n: number) {
  const b = new SnapshotBuilder();
  for (let i = 0; i < n; i++) {
    const holder = b.node("object", `SomeRegistryWithAVeryLongDescriptiveClassName${i}`, { selfSize: 64 });
    const leaky = b.node("object", "Leaky", { selfSize: 1000 + i });
    b.edge(b.gcRoots, holder, "element", i);
    b.edge(holder, leaky, "property", `entryWithALongPropertyName${i}`);
  }
  const graph = graphOf(b);
  return { graph, ctx: walkContext(graph) };
}

/** The retainer walk from `targets` with the default options, `opts` on top. */
export function walk(g: HeapGraph, targets: number[], opts: Partial<BackrefsOptions> = {}): Subgraph {
  return retainerSubgraph(g, walkContext(g), targets, { ...defaultBackrefsOptions, ...opts });
}

/** How many objects a placeholder's breakdown counts. */
export const sumCounts = (groups: PlaceholderGroup[] | undefined): number => (groups ?? []).reduce((s, g) => s + g.count, 0);

/** For each drawn object: its retainers drawn, plus those its "more" boxes count (path gaps aside). */
export function accounted(sub: Subgraph): Map<number, number> {
  const out = new Map<number, number>();
  for (const n of sub.nodes) out.set(n.id, 0);
  for (const e of sub.edges) out.set(e.to, out.get(e.to)! + 1);
  for (const p of sub.placeholders) if (p.reason !== "path") out.set(p.of, out.get(p.of)! + p.count);
  return out;
}
