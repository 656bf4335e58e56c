/**
 * A made-up retainer picture for the layout worker to lay out while the snapshot loads.
 *
 * Graphviz runs as WebAssembly, which V8 first runs as quickly compiled, slow code and recompiles
 * function by function once it has run for a while. The first real layout of a process pays for
 * that: a picture of 54 boxes took about 0.4 s of CPU the first time and 0.1 s after this made-up
 * picture had been laid out twice (V8's fully optimised code does it in 35 ms, but getting all
 * of it optimised early costs more CPU than it saves). Laying this picture out while the snapshot
 * loads, when the worker has nothing else to do, moves that cost out of the user's wait. It is
 * built by {@link toDot} like every real one, so it uses what real pictures use: HTML labels with
 * fonts, bold and line breaks, tooltips, edge labels, thick and dashed edges, "N more" boxes, the
 * legend.
 */
import type { Subgraph, SubgraphEdge, SubgraphNode } from "../query/types.js";
import { toDot } from "./dot.js";

function node(id: number, className: string, depth: number, extra: Partial<SubgraphNode> = {}): SubgraphNode {
  return {
    id,
    className,
    type: "object",
    name: className,
    selfSize: 32 + id,
    isTarget: false,
    isRoot: false,
    depth,
    onPath: false,
    ...extra,
  };
}

function edge(from: number, to: number, type: string, name: string | number, extra: Partial<SubgraphEdge> = {}): SubgraphEdge {
  return { from, to, type, name, onPath: false, ...extra };
}

/**
 * A retainer subgraph shaped like a typical picture: a root, a path down through a map, a listener
 * closure and its context, and a row of targets, with cut retainers.
 */
export function warmUpSubgraph(): Subgraph {
  const nodes: SubgraphNode[] = [
    node(1, "(GC roots)", 6, { type: "synthetic", isRoot: true, onPath: true, selfSize: 0 }),
    node(3, "(system)", 5, { type: "hidden", name: "system / NativeContext", onPath: true, retainedSize: 9_400_000, distance: 1 }),
    node(5, "global", 4, { isRoot: true, onPath: true, retainedSize: 9_100_000, distance: 2 }),
    node(7, "Map", 3, { onPath: true, retainedSize: 3_400_200, distance: 3 }),
    node(9, "(array)", 2, { type: "array", name: "OrderedHashMap", onPath: true, retainedSize: 3_400_000, distance: 4 }),
    node(11, "EventEmitter", 3, { retainedSize: 5_120, distance: 3 }),
    node(13, "Array", 2, { retainedSize: 4_800, distance: 4 }),
    node(15, "Function", 1, { type: "closure", name: "onResponse", retainedSize: 4_700, distance: 5 }),
    node(17, "(system)", 1, { type: "hidden", name: "system / Context", retainedSize: 4_600, distance: 5 }),
    node(19, "CachedResponse", 1, { retainedSize: 2_400, distance: 5 }),
  ];
  const edges: SubgraphEdge[] = [
    edge(1, 3, "hidden", 7, { onPath: true }),
    edge(3, 5, "internal", "global_object", { onPath: true, isDominatorEdge: true }),
    edge(5, 7, "property", "cache", { onPath: true, isDominatorEdge: true }),
    edge(5, 11, "property", "bus", { isDominatorEdge: true }),
    edge(7, 9, "internal", "table", { onPath: true, isDominatorEdge: true }),
    edge(11, 13, "property", "_events"),
    edge(13, 15, "element", 0, { isDominatorEdge: true }),
    edge(15, 17, "internal", "context", { isDominatorEdge: true }),
    edge(9, 19, "element", 12),
  ];
  for (let i = 0; i < 8; i++) {
    const id = 101 + 2 * i;
    nodes.push(node(id, "LeakyRequest", 0, { isTarget: true, onPath: i < 4, retainedSize: 480 + i, distance: 6 }));
    edges.push(
      edge(i % 2 === 0 ? 9 : 17, id, i % 2 === 0 ? "element" : "context", i % 2 === 0 ? 3 + i : `request${i}`, {
        onPath: i < 4 && i % 2 === 0,
      }),
    );
    if (i % 3 === 0) edges.push(edge(19, id, "property", "request"));
    if (i === 5) edges.push(edge(19, id, "weak", "ref"));
  }
  return {
    targets: nodes.filter((n) => n.isTarget).map((n) => n.id),
    nodes,
    edges,
    placeholders: [
      {
        of: 101,
        count: 37,
        reason: "too-many",
        breakdown: [
          { count: 30, className: "Object", edgeType: "property", edgeName: "next" },
          { count: 7, className: "Array", edgeType: "element" },
        ],
      },
      { of: 13, count: 4, reason: "depth", breakdown: [{ count: 4, className: "Socket", edgeType: "property", edgeName: "listeners" }] },
      { of: 19, count: 2, reason: "max-nodes" },
    ],
    limitsReached: { targetsOmitted: 52, tooMany: 1, maxNodes: 2, depth: 1, noPath: 0, pathHops: 0 },
  };
}

/** The DOT the layout worker warms up on. */
export function warmUpDot(): string {
  return toDot(warmUpSubgraph());
}
