/**
 * A small, realistic retainer subgraph for the render tests (and for looking at the picture):
 *
 *            (GC roots) @3                       root
 *                │ {hidden}
 *        (system) NativeContext @21
 *                │ {global_object}
 *             global @5001
 *        .cache │        │ .listeners
 *          Map @7001   Array @7003 ◄── 4 retainers beyond --depth
 *     {table} │           │ [0]
 *  (array) @8001     onRequest() @9001
 *             │           │ {context}
 *             │      (system) Context @9003     WeakRef @6001
 *         [3] │           │ ->thing              │ [[weak]]
 *             └────► LeakyThing @12345 ◄─────────┘     ◄── 37 more retainers
 *
 * The path (GC roots) → NativeContext → global → Map → (array) → LeakyThing is `onPath`;
 * global→Map, Map→(array) and (array)→LeakyThing are dominator edges.
 */
import type { Subgraph, SubgraphNode, SubgraphEdge } from "../../src/query/types.js";

function node(partial: Partial<SubgraphNode> & Pick<SubgraphNode, "id" | "className" | "depth">): SubgraphNode {
  return {
    type: "object",
    name: partial.className,
    selfSize: 32,
    isTarget: false,
    isRoot: false,
    onPath: false,
    ...partial,
  };
}

function edge(from: number, to: number, type: string, name: string | number, extra: Partial<SubgraphEdge> = {}): SubgraphEdge {
  return { from, to, type, name, onPath: false, ...extra };
}

export function sampleSubgraph(): Subgraph {
  return {
    targets: [12345],
    nodes: [
      node({ id: 3, className: "(GC roots)", type: "synthetic", depth: 5, isRoot: true, onPath: true, selfSize: 0 }),
      node({ id: 21, className: "(system)", type: "hidden", name: "system / NativeContext", depth: 4, onPath: true, selfSize: 1224 }),
      node({ id: 5001, className: "global", depth: 3, onPath: true, selfSize: 2048, retainedSize: 5_600_000 }),
      node({ id: 7001, className: "Map", depth: 2, onPath: true, selfSize: 32, retainedSize: 3_400_200, distance: 4 }),
      node({ id: 7003, className: "Array", depth: 3, selfSize: 16, retainedSize: 480 }),
      node({
        id: 8001,
        className: "(array)",
        type: "array",
        name: "OrderedHashMap",
        depth: 1,
        onPath: true,
        selfSize: 4096,
        retainedSize: 3_400_168,
      }),
      node({ id: 9001, className: "Function", type: "closure", name: "onRequest", depth: 2, selfSize: 64 }),
      node({ id: 9003, className: "(system)", type: "hidden", name: "system / Context", depth: 1, selfSize: 40 }),
      node({ id: 6001, className: "WeakRef", depth: 1, selfSize: 24 }),
      node({
        id: 12345,
        className: "LeakyThing",
        depth: 0,
        isTarget: true,
        onPath: true,
        selfSize: 56,
        retainedSize: 3_399_000,
        distance: 6,
      }),
    ],
    edges: [
      edge(3, 21, "hidden", 7, { onPath: true }),
      edge(21, 5001, "internal", "global_object", { onPath: true }),
      edge(5001, 7001, "property", "cache", { onPath: true, isDominatorEdge: true }),
      edge(5001, 7003, "property", "listeners"),
      edge(7001, 8001, "internal", "table", { onPath: true, isDominatorEdge: true }),
      edge(8001, 12345, "element", 3, { onPath: true, isDominatorEdge: true }),
      edge(7003, 9001, "element", 0),
      edge(9001, 9003, "internal", "context"),
      edge(9003, 12345, "context", "thing"),
      edge(6001, 12345, "weak", 2),
    ],
    placeholders: [
      { of: 12345, count: 37, reason: "too-many" },
      { of: 7003, count: 4, reason: "depth" },
    ],
    limitsReached: { targetsOmitted: 0, tooMany: 1, maxNodes: 0, depth: 1, noPath: 0, pathHops: 0 },
  };
}

/** A subgraph of `nodes` and `edges` whose target is node 1, with nothing cut or left out. */
export function plainSubgraph(nodes: SubgraphNode[], edges: SubgraphEdge[]): Subgraph {
  return {
    targets: [1],
    nodes,
    edges,
    placeholders: [],
    limitsReached: { targetsOmitted: 0, tooMany: 0, maxNodes: 0, depth: 0, noPath: 0, pathHops: 0 },
  };
}
