/**
 * objgraph's `show_backrefs`, done for V8: the subgraph of what retains the targets, cut by named
 * limits (depth, too many retainers, a node budget) with a visible placeholder wherever anything
 * was left out, plus the shortest retaining path of every target so that each picture answers
 * *why*.
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { HeapAnalysis, NO_DISTANCE } from "../graph/analysis.js";
import { withoutBackingStores } from "./holders.js";
import type { LimitsReached, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "./types.js";

export interface BackrefsOptions {
  /** Follow retainers up to this many hops from the targets. */
  depth: number;
  /** At most this many retainers per node; the rest become one placeholder. */
  tooMany: number;
  /** Total node budget; the shortest paths are always drawn, even past it. */
  maxNodes: number;
  /** Also follow weak edges. */
  weak: boolean;
  /** Force the shortest retaining path of each target into the picture. */
  path: boolean;
  /** Only the shortest retaining paths (objgraph's `show_chain(find_backref_chain(...))`). */
  pathOnly: boolean;
}

/** Longest retaining path drawn whole; longer ones keep PATH_END_HOPS hops at each end. */
const MAX_PATH_HOPS = 40;
const PATH_END_HOPS = 15;

export const defaultBackrefsOptions: BackrefsOptions = {
  depth: 3,
  tooMany: 10,
  maxNodes: 150,
  weak: false,
  path: true,
  pathOnly: false,
};

/**
 * What the walk needs from the analysis: DevTools distances (retainers closest to a root first, as
 * DevTools sorts them; the shortest retaining path is the distance BFS tree), and, unless the user
 * asked for speed (`--no-retained`), dominators and retained sizes.
 */
export interface WalkContext {
  analysis: HeapAnalysis;
  /** Compute and show retained sizes and dominators. */
  retained: boolean;
}

/** Builds the context; `retained: false` skips the dominator work. */
export function walkContext(graph: HeapGraph, options: { retained?: boolean; analysis?: HeapAnalysis } = {}): WalkContext {
  return { analysis: options.analysis ?? new HeapAnalysis(graph), retained: options.retained ?? true };
}

/**
 * True where the walk stops climbing, like objgraph stops at modules: the root, the GC roots and
 * sub-roots (synthetic nodes), and the user roots (`global`: non-synthetic objects the root holds).
 */
export function isStop(graph: HeapGraph, ctx: WalkContext, n: number): boolean {
  return graph.isRootLike(n) || ctx.analysis.distances().userRoots[n] === 1;
}

interface Retainer {
  edge: number;
  from: number;
}

/** Sort key for a distance: unreached nodes last. */
function distanceKey(d: number): number {
  return d === NO_DISTANCE ? 0x7fffffff : d;
}

/**
 * The retainers of `n` that the picture may show: one edge per distinct retaining node (the first,
 * in snapshot order), no self edges, no weak edges unless asked, no backing store of another
 * retainer (an object and its `(object elements)` are one holder); closest to a root first.
 */
export function retainersOf(graph: HeapGraph, ctx: WalkContext, n: number, weak: boolean): Retainer[] {
  const r = graph.retainers();
  const weakType = graph.edgeTypeCodes.weak;
  const out: Retainer[] = [];
  // The retainer index lists a node's retainers by source ordinal, so repeats are adjacent:
  // no Set (a node can have more retainers than a Set holds).
  let last = -1;
  for (let i = r.first[n]!; i < r.first[n + 1]!; i++) {
    const edge = r.edge[i]!;
    const from = graph.edgeSource(edge);
    if (from === n || from === last) continue;
    if (!weak && graph.edgeType(edge) === weakType) continue;
    last = from;
    out.push({ edge, from });
  }
  const d = ctx.analysis.distances().distance;
  // An object's backing store that holds the same target is the object itself (see holders.ts).
  const held = withoutBackingStores(graph, out);
  // Stable sort: ties keep snapshot order, so the walk is deterministic.
  held.sort((a, b) => distanceKey(d[a.from]!) - distanceKey(d[b.from]!));
  return held;
}

/**
 * The shortest retaining path to `target` by DevTools' distances — through a user root (`global`)
 * when one reaches it — as edge numbers in root-to-target order, cut at the first root-like node,
 * or null when nothing reaches it through non-weak edges.
 */
export function shortestPath(graph: HeapGraph, ctx: WalkContext, target: number): Array<{ edge: number; from: number; to: number }> | null {
  const { distance, parentEdge } = ctx.analysis.distances();
  if (distance[target] === NO_DISTANCE) return null;
  const hops: Array<{ edge: number; from: number; to: number }> = [];
  let cur = target;
  while (!isStop(graph, ctx, cur) && parentEdge[cur] !== 0) {
    const edge = parentEdge[cur]! - 1;
    const from = graph.edgeSource(edge);
    hops.push({ edge, from, to: cur });
    cur = from;
  }
  return hops.reverse();
}

/**
 * Extracts the retainer subgraph of `targets` (node ordinals).
 *
 * @example
 * const ctx = walkContext(graph);
 * const sub = retainerSubgraph(graph, ctx, [target], defaultBackrefsOptions);
 * sub.nodes.length; sub.limitsReached.tooMany;
 */
export function retainerSubgraph(
  graph: HeapGraph,
  ctx: WalkContext,
  targets: number[],
  opts: BackrefsOptions,
  targetsOmitted = 0,
): Subgraph {
  const order: number[] = [];
  const depthOf = new Map<number, number>();
  const onPath = new Set<number>();
  const isTarget = new Set<number>(targets);
  const edges = new Map<string, SubgraphEdge & { edgeNo: number }>();
  const placeholders: SubgraphPlaceholder[] = [];
  const limits: LimitsReached = { targetsOmitted, tooMany: 0, maxNodes: 0, depth: 0, noPath: 0, pathHops: 0 };
  const expanded = new Set<number>();
  /** Nodes right below a path gap: their retainer on the path is the gap itself. */
  const gapNodes = new Set<number>();

  const addNode = (n: number, depth: number): void => {
    if (depthOf.has(n)) {
      if (depth < depthOf.get(n)!) depthOf.set(n, depth);
      return;
    }
    depthOf.set(n, depth);
    order.push(n);
  };
  const addEdge = (edge: number, from: number, to: number, path: boolean): void => {
    const key = `${from}>${to}`;
    const have = edges.get(key);
    if (have) {
      if (path && !have.onPath) {
        // The path goes through a different edge between the same two nodes: show that one.
        edges.set(key, { ...describeEdge(graph, edge, from, to), onPath: true, edgeNo: edge });
      }
      return;
    }
    edges.set(key, { ...describeEdge(graph, edge, from, to), onPath: path, edgeNo: edge });
  };

  for (const t of targets) addNode(t, 0);

  if (opts.path || opts.pathOnly) {
    for (const t of targets) {
      const hops = shortestPath(graph, ctx, t);
      if (!hops) {
        limits.noPath++;
        continue;
      }
      onPath.add(t);
      // A path of a million objects (a long linked list) cannot be drawn: keep both ends and
      // bridge the middle with one placeholder.
      const gap = hops.length > MAX_PATH_HOPS;
      const gapStart = gap ? PATH_END_HOPS : hops.length;
      const gapEnd = gap ? hops.length - PATH_END_HOPS : hops.length;
      for (let i = hops.length - 1, depth = 1; i >= 0; i--, depth++) {
        if (i >= gapStart && i < gapEnd) continue;
        const h = hops[i]!;
        addNode(h.from, depth);
        onPath.add(h.from);
        // The hop into the gap leads to an object that is not drawn: the placeholder stands in.
        if (!(gap && i === gapStart - 1)) addEdge(h.edge, h.from, h.to, true);
      }
      if (gap) {
        const hidden = gapEnd - gapStart;
        placeholders.push({ of: graph.nodeId(hops[gapEnd]!.from), count: hidden, reason: "path", after: graph.nodeId(hops[gapStart - 1]!.from) });
        limits.pathHops += hidden;
        gapNodes.add(hops[gapEnd]!.from);
      }
    }
  }

  if (!opts.pathOnly) {
    const queue = [...targets];
    for (let q = 0; q < queue.length; q++) {
      const u = queue[q]!;
      const du = depthOf.get(u)!;
      if (isStop(graph, ctx, u) || du >= opts.depth) continue;
      expanded.add(u);
      const rets = retainersOf(graph, ctx, u, opts.weak);
      let shown = 0;
      let cutByTooMany = 0;
      let cutByBudget = 0;
      for (const r of rets) {
        if (depthOf.has(r.from)) {
          addEdge(r.edge, r.from, u, false);
          shown++;
          if (!expanded.has(r.from) && depthOf.get(r.from)! > du + 1) depthOf.set(r.from, du + 1);
          if (!queue.includes(r.from)) queue.push(r.from);
          continue;
        }
        if (shown >= opts.tooMany) {
          cutByTooMany++;
          continue;
        }
        if (order.length >= opts.maxNodes) {
          cutByBudget++;
          continue;
        }
        addNode(r.from, du + 1);
        addEdge(r.edge, r.from, u, false);
        queue.push(r.from);
        shown++;
      }
      if (cutByTooMany > 0) {
        placeholders.push({ of: graph.nodeId(u), count: cutByTooMany, reason: "too-many" });
        limits.tooMany++;
      }
      if (cutByBudget > 0) {
        placeholders.push({ of: graph.nodeId(u), count: cutByBudget, reason: "max-nodes" });
        limits.maxNodes += cutByBudget;
      }
    }
    // Nodes whose retainers were not followed (at --depth, or only on a path): say how many.
    for (const n of order) {
      if (expanded.has(n) || isStop(graph, ctx, n) || gapNodes.has(n)) continue;
      let hidden = 0;
      for (const r of retainersOf(graph, ctx, n, opts.weak)) if (!depthOf.has(r.from)) hidden++;
      if (hidden > 0) {
        placeholders.push({ of: graph.nodeId(n), count: hidden, reason: "depth" });
        limits.depth++;
      }
    }
  }

  const a = ctx.analysis;
  const nodes: SubgraphNode[] = order.map((n) => {
    const node: SubgraphNode = {
      id: graph.nodeId(n),
      className: graph.className(n),
      type: graph.nodeTypeName(n),
      name: graph.nodeName(n),
      selfSize: a.selfSize(n),
      isTarget: isTarget.has(n),
      isRoot: isStop(graph, ctx, n),
      depth: depthOf.get(n)!,
      onPath: onPath.has(n),
    };
    const d = a.distance(n);
    if (d !== NO_DISTANCE) node.distance = d;
    if (ctx.retained) {
      node.retainedSize = a.retainedSize(n);
      node.dominatorId = graph.nodeId(a.dominator(n));
    }
    return node;
  });
  const edgeList = [...edges.values()].map(({ edgeNo: _edgeNo, ...e }) => e);
  if (ctx.retained) {
    // The edge from a node's immediate dominator: cutting it frees the node's retained size.
    const ordinalOf = new Map(order.map((n) => [graph.nodeId(n), n]));
    for (const e of edgeList) {
      const to = ordinalOf.get(e.to)!;
      if (to !== 0 && graph.nodeId(a.dominator(to)) === e.from) e.isDominatorEdge = true;
    }
  }
  return {
    targets: targets.map((t) => graph.nodeId(t)),
    nodes,
    edges: edgeList,
    placeholders,
    limitsReached: limits,
  };
}

function describeEdge(graph: HeapGraph, edge: number, from: number, to: number): SubgraphEdge {
  return {
    from: graph.nodeId(from),
    to: graph.nodeId(to),
    type: graph.edgeTypeName(edge),
    name: graph.edgeName(edge),
    onPath: false,
  };
}

/**
 * Which of the matching objects to draw when there are more than `max`: the largest retained sizes
 * first when they are known (ties: newest first), else the newest (highest ids) first — V8 ids grow
 * with allocation, and leaked objects pile up late.
 */
export function chooseTargets(graph: HeapGraph, ctx: WalkContext, ordinals: number[], max: number): { drawn: number[]; omitted: number } {
  const retained = ctx.retained ? ctx.analysis.retainedSizes() : null;
  const sorted = [...ordinals].sort(
    (a, b) => (retained ? retained[b]! - retained[a]! : 0) || graph.nodeId(b) - graph.nodeId(a),
  );
  return { drawn: sorted.slice(0, max), omitted: Math.max(0, sorted.length - max) };
}
