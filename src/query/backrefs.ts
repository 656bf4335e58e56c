/**
 * objgraph's `show_backrefs`, done for V8: the subgraph of what retains the targets, cut by named
 * limits (depth, too many retainers, a node budget) with a visible placeholder wherever anything
 * was left out, plus the shortest retaining path of every target so that each picture answers
 * *why*.
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import type { ReadAheadPart } from "../snapshot/columns.js";
import { objectDisplayName } from "../graph/class-names.js";
import { HeapAnalysis, NO_DISTANCE } from "../graph/analysis.js";
import { withoutBackingStores } from "./holders.js";
import { isModuleRecord, moduleFile, scriptOf } from "./modules.js";
import { TupleMap } from "./tuple-map.js";
import type { LimitsReached, PlaceholderGroup, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "./types.js";

export interface BackrefsOptions {
  /** Follow retainers up to this many hops from the targets. */
  depth: number;
  /** At most this many new retainers per node; the rest become one placeholder. */
  tooMany: number;
  /**
   * Box budget of the whole picture: objects and "N more" placeholders together. The shortest
   * paths are always drawn, even past it.
   */
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
  maxNodes: 60,
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
export function retainersOf(graph: HeapGraph, ctx: WalkContext, n: number, weak: boolean, longFrom = LONG_RETAINERS): Retainer[] {
  const r = graph.retainerEdges(n);
  if (r.length >= longFrom) return longRetainersOf(graph, ctx, n, weak, r);
  const weakType = graph.edgeTypeCodes.weak;
  const out: Retainer[] = [];
  // The retainer index lists a node's retainers by source ordinal, so repeats are adjacent:
  // no Set (a node can have more retainers than a Set holds).
  let last = -1;
  for (let i = 0; i < r.length; i++) {
    const edge = r[i]!;
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
  return sortByDistance(held, d);
}

/** Retainer lists at least this long are gathered by {@link longRetainersOf}. */
const LONG_RETAINERS = 256;

/**
 * {@link retainersOf} for a long list (one object a hundred thousand others hold): the same list,
 * gathered into typed arrays first. The holders come in increasing node order (the retainer edges
 * are in source order, repeats skipped), so that a backing store is found among them by binary
 * search, and one object is made per holder kept, not per step.
 */
function longRetainersOf(graph: HeapGraph, ctx: WalkContext, n: number, weak: boolean, r: Uint32Array): Retainer[] {
  const L = r.length;
  const edges = new Uint32Array(L);
  const froms = new Uint32Array(L);
  const skipType = weak ? -1 : graph.edgeTypeCodes.weak;
  let k = 0;
  let last = -1;
  for (let i = 0; i < L; i++) {
    const edge = r[i]!;
    const from = graph.edgeSource(edge);
    if (from === n || from === last) continue;
    if (graph.edgeType(edge) === skipType) continue;
    last = from;
    edges[k] = edge;
    froms[k] = from;
    k++;
  }
  const owned = k >= 2 ? ownedStores(graph, froms, k) : null;
  const out: Retainer[] = [];
  for (let i = 0; i < k; i++) if (owned === null || owned[i] === 0) out.push({ edge: edges[i]!, from: froms[i]! });
  return sortByDistance(out, ctx.analysis.distances().distance);
}

/**
 * What {@link withoutBackingStores} leaves out of holders `froms[0..k)` (strictly increasing):
 * a mark per holder that is an internal array (node type `array` or `hidden`) another holder
 * points at through an internal or hidden edge; null when there is none.
 */
function ownedStores(graph: HeapGraph, froms: Uint32Array, k: number): Uint8Array | null {
  const { array, hidden } = graph.types;
  const codes = graph.edgeTypeCodes;
  let stores = 0;
  for (let i = 0; i < k; i++) {
    const t = graph.nodeType(froms[i]!);
    if (t === array || t === hidden) stores++;
  }
  if (stores === 0) return null;
  const owned = new Uint8Array(k);
  let any = false;
  const first = graph.firstEdge;
  for (let i = 0; i < k; i++) {
    const owner = froms[i]!;
    for (let e = first[owner]!, end = first[owner + 1]!; e < end; e++) {
      const et = graph.edgeType(e);
      if (et !== codes.internal && et !== codes.hidden) continue;
      const to = graph.edgeTo(e);
      if (to === owner) continue;
      const t = graph.nodeType(to);
      if (t !== array && t !== hidden) continue;
      // Binary search for `to` among the holders.
      let lo = 0;
      let hi = k - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const v = froms[mid]!;
        if (v < to) lo = mid + 1;
        else if (v > to) hi = mid - 1;
        else {
          owned[mid] = 1;
          any = true;
          break;
        }
      }
    }
  }
  return any ? owned : null;
}

/** Distances below this sort by one typed-array sort of `distance · length + position` (exact: below 2^52). */
const TYPED_SORT_DISTANCES = 2 ** 21;

/**
 * `list` in increasing distance of each retainer (unreached last), ties in list order: a stable
 * sort. Long lists (an object a hundred thousand others point at) are sorted by counting when
 * their distances are small (they are: a heap is a few dozen steps deep), else as numbers.
 */
export function sortByDistance<R extends { from: number }>(list: R[], d: Int32Array): R[] {
  const L = list.length;
  if (L >= 64) {
    const counted = countingSortByDistance(list, d);
    if (counted) return counted;
  }
  if (L >= 64 && L < 2 ** 31) {
    const keys = new Float64Array(L);
    let typed = true;
    for (let i = 0; i < L && typed; i++) {
      const k = d[list[i]!.from]!;
      // Unreached after every distance below the bound; a distance at or past it: sort as below.
      const key = k === NO_DISTANCE ? TYPED_SORT_DISTANCES : k;
      typed = k === NO_DISTANCE || (k >= 0 && k < TYPED_SORT_DISTANCES);
      keys[i] = key * L + i;
    }
    if (typed) {
      keys.sort();
      const out: R[] = new Array<R>(L);
      for (let j = 0; j < L; j++) out[j] = list[keys[j]! % L]!;
      return out;
    }
  }
  return list.sort((a, b) => distanceKey(d[a.from]!) - distanceKey(d[b.from]!));
}

/**
 * The same order by a counting sort over the distances (unreached in a bucket after the largest),
 * or null when a distance is negative or the largest is past the list's length (then a bucket per
 * distance costs more than sorting).
 */
function countingSortByDistance<R extends { from: number }>(list: R[], d: Int32Array): R[] | null {
  const L = list.length;
  let most = 0;
  for (let i = 0; i < L; i++) {
    const k = d[list[i]!.from]!;
    if (k === NO_DISTANCE) continue;
    if (!(k >= 0 && k < L)) return null;
    if (k > most) most = k;
  }
  // Buckets 0..most, then one for the unreached; start[b] becomes the next place of bucket b.
  const start = new Uint32Array(most + 3);
  for (let i = 0; i < L; i++) {
    const k = d[list[i]!.from]!;
    start[(k === NO_DISTANCE ? most + 1 : k) + 1]!++;
  }
  for (let b = 1; b < start.length; b++) start[b]! += start[b - 1]!;
  const out: R[] = new Array<R>(L);
  for (let i = 0; i < L; i++) {
    const r = list[i]!;
    const k = d[r.from]!;
    out[start[k === NO_DISTANCE ? most + 1 : k]!++] = r;
  }
  return out;
}

/**
 * The shortest retaining path to `target` by DevTools' distances — through a user root (`global`)
 * when one reaches it — as edge numbers in root-to-target order, cut at the first root-like node,
 * or null when nothing reaches it through non-weak edges.
 */
export function shortestPath(
  graph: HeapGraph,
  ctx: WalkContext,
  target: number,
  stop: (n: number) => boolean = (n) => ctx.analysis.isRetentionRoot(n),
): Array<{ edge: number; from: number; to: number }> | null {
  if (ctx.analysis.distance(target) === NO_DISTANCE) return null;
  const hops: Array<{ edge: number; from: number; to: number }> = [];
  let cur = target;
  while (!stop(cur)) {
    const pe = ctx.analysis.parentEdgeOf(cur);
    if (pe === 0) break;
    const edge = pe - 1;
    const from = graph.edgeSource(edge);
    hops.push({ edge, from, to: cur });
    cur = from;
  }
  return hops.reverse();
}

/**
 * What drawing the targets ({@link retainerSubgraph}) reads whole, or nearly, in the order it
 * reads it: the distances (the retainers of a shared object, sorted by distance, lie all over
 * them), the node types and first edges (each edge's source), the edges' targets (one pass finds
 * the retainers of many nodes) and, a block here and there nearly everywhere, the edges' types. A
 * graph read back from the snapshot cache reads these on a second thread meanwhile
 * ({@link HeapGraph.readAhead}). The walk reads the retained sizes of the objects it draws only;
 * choosing the targets may read them all (see {@link chooseTargetsReadsAllSizes}). Not the
 * shortest-path tree's edges nor the user-root marks: the walk reads those only along the paths
 * it climbs (`HeapAnalysis.parentEdgeOf`, `isRetentionRoot`), a few blocks of each (3 of 161 and 3
 * of 41 for the ten `LeakyRequest`s of the 200 MB benchmark snapshot).
 */
export function walkReadAhead(): ReadAheadPart[] {
  return ["distance", "nodeType", "firstEdge", "edgeTo", "edgeType"];
}

/** Retainer lists this long have their edges' names read ahead ({@link namesAhead}). */
const NAMES_AHEAD = 256;

/**
 * The names of `list`'s edges, asked to be read ahead ({@link HeapGraph.readAhead}). An object
 * with this many retainers cannot show them all: the breakdown of its "N more" box, at the end of
 * the walk, names the edges of nearly all of them, which lie all over the edge names (the
 * retainers of a shared object are objects made at every moment). A graph read back from the
 * snapshot cache reads the blocks that hold them on its second thread while the walk goes on.
 * Element and hidden edges are named by index, which the breakdown does not read.
 */
function namesAhead(graph: HeapGraph, list: Retainer[]): void {
  const { element, hidden } = graph.edgeTypeCodes;
  const edges = new Uint32Array(list.length);
  let k = 0;
  for (let i = 0; i < list.length; i++) {
    const edge = list[i]!.edge;
    const t = graph.edgeType(edge);
    if (t !== element && t !== hidden) edges[k++] = edge;
  }
  if (k > 0) graph.readAhead(["edgeName"], edges.subarray(0, k));
}

/** Direct retainers of each target whose own way up is drawn after the shortest path (phase 2). */
const JOIN_PATHS_PER_TARGET = 2;
/** A way up longer than this many objects before it meets the picture is left to the breadth phase. */
const JOIN_PATH_MAX_OBJECTS = 8;
/** Groups listed in a placeholder's breakdown before the rest are gathered into one. */
export const MAX_BREAKDOWN_GROUPS = 8;

/**
 * Extracts the retainer subgraph of `targets` (node ordinals).
 *
 * The node budget (`maxNodes`) counts boxes: objects and "N more" placeholders alike. It is spent
 * on the answer first:
 * 1. every target's shortest retaining path (always drawn, even past the budget);
 * 2. for each target, the way up from its next closest-to-a-root direct retainers (up to
 *    {@link JOIN_PATHS_PER_TARGET}) until it meets the picture: the other paths that hold the
 *    target, which meet the shortest path on the target's dominator chain — every one of them
 *    must be cut to free it;
 * 3. breadth, level by level from the targets (up to `depth`), each level's retainers closest to a
 *    root first. Each level gets a share of what is left of the budget (a third; half at the
 *    second-to-last level, all at the last; then what is still left, level by level), handed out
 *    one retainer per object per turn, so one object with 400 retainers cannot take it all; no
 *    object shows more than `tooMany` retainers.
 * Whatever was cut becomes a placeholder that says what it stands for (`breakdown`).
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
  /** Nodes right below a path gap → their retainer on the path, which the gap stands for. */
  const gapNodes = new Map<number, number>();
  /** Expanded nodes that showed `tooMany` retainers (the rest are cut for that reason). */
  const cappedByTooMany = new Set<number>();
  // Paths end at a root, or at a loaded module's record (see ./modules.ts), shown by the module's
  // file: a record lives as long as its loader, and the way up from it is ten to twenty objects of
  // the loader's own state. Not when a target is such a record itself.
  const moduleRecords = targets.some((t) => isModuleRecord(graph, t)) ? null : new Map<number, boolean>();
  const isModule = (n: number): boolean => {
    if (moduleRecords === null) return false;
    let known = moduleRecords.get(n);
    if (known === undefined) moduleRecords.set(n, (known = isModuleRecord(graph, n)));
    return known;
  };
  const stop = (n: number) => ctx.analysis.isRetentionRoot(n) || isModule(n);
  /**
   * Box accounting: every drawn object that is not a root holds a slot for the placeholder it may
   * need, released as soon as it is known to need none. `boxes` never undercounts the picture.
   */
  const reserved = new Set<number>();
  let boxes = 0;
  const release = (n: number) => {
    if (reserved.delete(n)) boxes--;
  };

  const addNode = (n: number, depth: number): void => {
    if (depthOf.has(n)) {
      if (depth < depthOf.get(n)!) depthOf.set(n, depth);
      return;
    }
    depthOf.set(n, depth);
    order.push(n);
    boxes++;
    if (needsSlot(n)) {
      reserved.add(n);
      boxes++;
    }
  };
  /** Whether `n` may need a placeholder: it is not a root and has a retainer not drawn yet. */
  const needsSlot = (n: number): boolean => {
    if (stop(n)) return false;
    const r = graph.retainerEdges(n);
    const weakType = graph.edgeTypeCodes.weak;
    for (let i = 0; i < r.length; i++) {
      const edge = r[i]!;
      const from = graph.edgeSource(edge);
      if (from === n || depthOf.has(from) || (!opts.weak && graph.edgeType(edge) === weakType)) continue;
      return true;
    }
    return false;
  };
  /** Boxes a new object costs: itself, and a slot for its placeholder if it may need one. */
  const cost = (n: number) => (needsSlot(n) ? 2 : 1);
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
  /** {@link retainersOf} each object, computed once per object (the walk asks several times). */
  const retainerLists = new Map<number, Retainer[]>();
  const retainersOfNode = (n: number): Retainer[] => {
    let list = retainerLists.get(n);
    if (list === undefined) {
      list = retainersOf(graph, ctx, n, opts.weak);
      retainerLists.set(n, list);
      if (list.length >= NAMES_AHEAD) namesAhead(graph, list);
    }
    return list;
  };
  /** Whether `n` has a retainer not drawn (yet), leaving out the one a path gap stands for. */
  const hasUndrawn = (n: number) => retainersOfNode(n).some((r) => !depthOf.has(r.from) && gapNodes.get(n) !== r.from);
  /** Release the slots of objects whose retainers are all drawn by now. */
  const releaseSettled = () => {
    for (const n of [...reserved]) if (!hasUndrawn(n)) release(n);
  };

  // The retainers the walk will ask for first, looked up together (see HeapGraph.retainerEdges):
  // the targets' and those of the objects on their shortest paths.
  const first = [...targets];
  if (opts.path || opts.pathOnly) for (const t of targets) for (const h of shortestPath(graph, ctx, t, stop) ?? []) first.push(h.from);
  graph.prefetchRetainers(first);

  for (const t of targets) addNode(t, 0);

  // 1. The shortest retaining paths.
  if (opts.path || opts.pathOnly) {
    for (const t of targets) {
      const hops = shortestPath(graph, ctx, t, stop);
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
        const groups = new Map<string, { group: PlaceholderGroup; key: string }>();
        for (let i = gapStart; i < gapEnd; i++) countGroup(graph, groups, hops[i]!.from, hops[i - 1]!.edge);
        placeholders.push({
          of: graph.nodeId(hops[gapEnd]!.from),
          count: hidden,
          reason: "path",
          after: graph.nodeId(hops[gapStart - 1]!.from),
          breakdown: finishGroups(groups, hidden),
        });
        boxes++;
        limits.pathHops += hidden;
        gapNodes.set(hops[gapEnd]!.from, hops[gapEnd - 1]!.from);
      }
    }
  }

  if (!opts.pathOnly) {
    // 2. The other ways up from each target's closest direct retainers, until they meet the picture.
    // Their retainers, looked up together: the objects on each such way, climbed as below.
    const ways: number[] = [];
    for (const t of opts.path ? targets : []) {
      for (const r of retainersOfNode(t).slice(0, 4 * JOIN_PATHS_PER_TARGET)) {
        for (let cur = r.from, k = 0; k <= JOIN_PATH_MAX_OBJECTS && !stop(cur); k++) {
          ways.push(cur);
          const pe = ctx.analysis.parentEdgeOf(cur);
          if (pe === 0) break;
          cur = graph.edgeSource(pe - 1);
        }
      }
    }
    graph.prefetchRetainers(ways);
    for (const t of opts.path ? targets : []) {
      let joined = 0;
      for (const r of retainersOfNode(t)) {
        if (joined >= JOIN_PATHS_PER_TARGET) break;
        if (depthOf.has(r.from)) continue;
        // Climb the distance tree from r: each object's own shortest way to a root.
        const chain: Array<{ node: number; edge: number; to: number }> = [{ node: r.from, edge: r.edge, to: t }];
        let cur = r.from;
        let met = false;
        while (chain.length <= JOIN_PATH_MAX_OBJECTS) {
          if (stop(cur)) {
            met = true;
            break;
          }
          const pe = ctx.analysis.parentEdgeOf(cur);
          if (pe === 0) break;
          const from = graph.edgeSource(pe - 1);
          if (depthOf.has(from)) {
            chain.push({ node: from, edge: pe - 1, to: cur });
            met = true;
            break;
          }
          chain.push({ node: from, edge: pe - 1, to: cur });
          cur = from;
        }
        if (!met) continue;
        const fresh = chain.filter((c) => !depthOf.has(c.node));
        const price = fresh.reduce((sum, c) => sum + cost(c.node), 0);
        if (boxes + price > opts.maxNodes) continue;
        let depth = depthOf.get(t)!;
        for (const c of chain) {
          depth++;
          addNode(c.node, depth);
          addEdge(c.edge, c.node, c.to, false);
        }
        joined++;
      }
    }
    releaseSettled();

    // 3. Breadth, level by level, in two rounds: the first gives each level a share of what is
    // left of the budget (a third; half at the second-to-last level, all of it at the last), the
    // second hands what the later levels did not use back to the earlier ones, in level order.
    const state = new Map<number, { u: number; rets: Retainer[]; next: number; shown: number }>();
    for (let round = 1; round <= 2; round++) {
      for (let level = 0; level < opts.depth; level++) {
        const frontier = order
          .filter((n) => depthOf.get(n) === level && !stop(n))
          .sort((a, b) => distanceOrder(ctx, a, b) || graph.nodeId(a) - graph.nodeId(b));
        if (frontier.length === 0) continue;
        const left = opts.maxNodes - boxes;
        const share = round === 2 ? left : Math.max(Math.floor(left / Math.min(3, opts.depth - level)), Math.min(left, 2));
        let spent = 0;
        const members = frontier.map((u) => {
          let st = state.get(u);
          if (st) return st;
          expanded.add(u);
          const rets = retainersOfNode(u);
          let shown = 0;
          // Retainers already in the picture cost nothing: draw their edges.
          for (const r of rets) {
            if (!depthOf.has(r.from)) continue;
            addEdge(r.edge, r.from, u, false);
            shown++;
            if (!expanded.has(r.from) && depthOf.get(r.from)! > level + 1) depthOf.set(r.from, level + 1);
          }
          st = { u, rets, next: 0, shown };
          state.set(u, st);
          return st;
        });
        // One new retainer per object per round-robin turn, closest to a root first, until the
        // share is spent.
        let progress = true;
        let full = false;
        while (progress && !full) {
          progress = false;
          for (const st of members) {
            if (st.shown >= opts.tooMany) continue;
            while (st.next < st.rets.length && depthOf.has(st.rets[st.next]!.from)) {
              const r = st.rets[st.next++]!;
              if (!edges.has(`${r.from}>${st.u}`)) {
                addEdge(r.edge, r.from, st.u, false); // drawn meanwhile for another object
                st.shown++;
              }
            }
            if (st.next >= st.rets.length || st.shown >= opts.tooMany) continue;
            const r = st.rets[st.next]!;
            if (spent + cost(r.from) > share) {
              full = true;
              break;
            }
            spent += cost(r.from);
            st.next++;
            addNode(r.from, level + 1);
            addEdge(r.edge, r.from, st.u, false);
            st.shown++;
            progress = true;
          }
        }
      }
    }
    for (const st of state.values()) if (st.shown >= opts.tooMany) cappedByTooMany.add(st.u);
  }

  // Every object whose retainers are not all drawn gets one placeholder saying what is missing:
  // cut by --too-many or the budget where its retainers were followed, else beyond --depth (or
  // only on a path). Retainers drawn by the end get their edge, whoever drew them.
  if (!opts.pathOnly) {
    for (const n of order) {
      if (stop(n)) continue;
      const hidden: Retainer[] = [];
      const gapFrom = gapNodes.get(n);
      for (const r of retainersOfNode(n)) {
        if (gapFrom === r.from) continue;
        if (depthOf.has(r.from)) addEdge(r.edge, r.from, n, false);
        else hidden.push(r);
      }
      if (hidden.length === 0) {
        release(n);
        continue;
      }
      const reason = !expanded.has(n) ? "depth" : cappedByTooMany.has(n) ? "too-many" : "max-nodes";
      placeholders.push({ of: graph.nodeId(n), count: hidden.length, reason, breakdown: breakdown(graph, hidden) });
      if (reason === "depth") limits.depth++;
      else if (reason === "too-many") limits.tooMany++;
      else limits.maxNodes += hidden.length;
    }
  }

  const a = ctx.analysis;
  // Looked up together: one pass, not the whole per-node dominator array (see dominatorsOf).
  const dominators = ctx.retained ? a.dominatorsOf(order) : null;
  const nodes: SubgraphNode[] = order.map((n, i) => {
    const node: SubgraphNode = {
      id: graph.nodeId(n),
      className: graph.className(n),
      type: graph.nodeTypeName(n),
      name: graph.nodeName(n),
      selfSize: a.shallowSize(n),
      isTarget: isTarget.has(n),
      isRoot: stop(n),
      depth: depthOf.get(n)!,
      onPath: onPath.has(n),
    };
    const shown = objectDisplayName(graph, n);
    if (shown !== undefined && shown !== node.name) node.displayName = shown;
    if (isModule(n)) node.module = moduleFile(graph, n);
    const script = scriptOf(graph, n);
    if (script !== undefined) node.script = script;
    const d = a.distance(n);
    if (d !== NO_DISTANCE) node.distance = d;
    if (ctx.retained) {
      node.retainedSize = a.retainedSize(n);
      node.dominatorId = graph.nodeId(dominators![i]!);
    }
    return node;
  });
  const edgeList = [...edges.values()].map(({ edgeNo: _edgeNo, ...e }) => e);
  if (ctx.retained) {
    // The edge from a node's immediate dominator: cutting it frees the node's retained size.
    const slotOf = new Map(order.map((n, i) => [graph.nodeId(n), i]));
    for (const e of edgeList) {
      const i = slotOf.get(e.to)!;
      if (order[i] !== 0 && graph.nodeId(dominators![i]!) === e.from) e.isDominatorEdge = true;
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

/** Closest to a root first (DevTools' retainer order); unreached last. */
function distanceOrder(ctx: WalkContext, a: number, b: number): number {
  const d = ctx.analysis.distances().distance;
  return distanceKey(d[a]!) - distanceKey(d[b]!);
}

/** An edge name that is an index (elements, numbered slots) groups with every other index. */
function isIndexName(name: string | number): boolean {
  return typeof name === "number" || /^\d+$/.test(name);
}

/** Adds `count` objects like `node`, held through edges like `edge`, to a breakdown being counted. */
function countGroup(
  graph: HeapGraph,
  groups: Map<string, { group: PlaceholderGroup; key: string }>,
  node: number,
  edge: number,
  count = 1,
): void {
  const className = graph.className(node);
  const edgeType = graph.edgeTypeName(edge);
  const name = graph.edgeName(edge);
  const key = isIndexName(name) ? `${className}\u0000${edgeType}` : `${className}\u0000${edgeType}\u0000${typeof name}\u0000${name}`;
  const have = groups.get(key);
  if (have) have.group.count += count;
  else {
    const group: PlaceholderGroup = { count, className, edgeType };
    if (!isIndexName(name)) group.edgeName = name;
    groups.set(key, { group, key });
  }
}

/** Largest first (ties in a fixed order); past {@link MAX_BREAKDOWN_GROUPS}, one group for the rest. */
function finishGroups(groups: Map<string, { group: PlaceholderGroup; key: string }>, total: number): PlaceholderGroup[] {
  const sorted = [...groups.values()].sort((a, b) => b.group.count - a.group.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (sorted.length <= MAX_BREAKDOWN_GROUPS) return sorted.map((g) => g.group);
  const kept = sorted.slice(0, MAX_BREAKDOWN_GROUPS - 1).map((g) => g.group);
  const listed = kept.reduce((sum, g) => sum + g.count, 0);
  kept.push({ count: total - listed, rest: true });
  return kept;
}

/** Edge name part of a breakdown tally: names that are indices (see {@link isIndexName}) are one. */
const ANY_INDEX = 0xffffffff;

/**
 * What a list of cut retainers stands for, grouped by the retainer's class and edge. A list can
 * hold every retainer of an object that a hundred thousand objects point at: they are tallied by
 * numbers (class id, edge type, name's string index) first, then named once per tally.
 */
function breakdown(graph: HeapGraph, cut: Retainer[]): PlaceholderGroup[] {
  const nodeClass = graph.classes().nodeClass;
  const { element, hidden } = graph.edgeTypeCodes;
  const tallies = new TupleMap(3, 16);
  const counts: number[] = [];
  const example: number[] = [];
  const digitsOnly = new Map<number, boolean>();
  const key = new Uint32Array(3);
  // The tally of the retainer before: runs of alike retainers (a hundred thousand closures'
  // contexts, each through `previous`) are counted without hashing.
  let last = -1;
  let lastClass = 0;
  let lastType = 0;
  let lastRaw = 0;
  for (let i = 0; i < cut.length; i++) {
    const { from, edge } = cut[i]!;
    const type = graph.edgeType(edge);
    // An element or hidden edge's index is not part of its tally: not read (nor its block).
    const named = type !== element && type !== hidden;
    const raw = named ? graph.edgeNameOrIndex(edge) : ANY_INDEX;
    const cls = nodeClass[from]!;
    if (last >= 0 && cls === lastClass && type === lastType && raw === lastRaw) {
      counts[last]!++;
      continue;
    }
    let name = ANY_INDEX;
    if (named) {
      let index = digitsOnly.get(raw);
      if (index === undefined) {
        index = isIndexName(graph.strings.get(raw));
        digitsOnly.set(raw, index);
      }
      if (!index) name = raw;
    }
    key[0] = cls;
    key[1] = type;
    key[2] = name;
    const k = tallies.intern(key);
    if (tallies.added) {
      counts.push(1);
      example.push(i);
    } else counts[k]!++;
    last = k;
    lastClass = cls;
    lastType = type;
    lastRaw = raw;
  }
  // Tallies that read the same (two class ids of one name, two copies of a string) are one group.
  const groups = new Map<string, { group: PlaceholderGroup; key: string }>();
  for (let k = 0; k < counts.length; k++) {
    const r = cut[example[k]!]!;
    countGroup(graph, groups, r.from, r.edge, counts[k]!);
  }
  return finishGroups(groups, cut.length);
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
  // Every size at once when the matches are spread over the whole heap, else each match's own.
  const a = ctx.analysis;
  const all = ctx.retained && chooseTargetsReadsAllSizes(graph, ordinals) ? a.retainedSizes() : null;
  const size = (n: number): number => (all ? all[n]! : a.retainedSize(n));
  const order = (x: number, y: number): number => (ctx.retained ? size(y) - size(x) : 0) || graph.nodeId(y) - graph.nodeId(x);
  const omitted = Math.max(0, ordinals.length - max);
  if (max < 1 || max > TOP_BY_INSERTION || omitted === 0) return { drawn: [...ordinals].sort(order).slice(0, max), omitted };
  // The first `max` of that stable sort, by insertion into a short list: half a million matches
  // are not sorted to draw ten. Ties keep the matches' order (inserted after their equals).
  const top: number[] = [];
  const before = (a: number, b: number): boolean => order(a, b) < 0;
  for (const n of ordinals) insertTop(top, max, n, before);
  return { drawn: top, omitted };
}

/** Node numbers per block of stored retained sizes (a cache entry checks and reads 64 KB blocks of 8-byte sizes). */
const SIZES_PER_BLOCK = 8192;

/**
 * Whether {@link chooseTargets} reads the retained sizes of every object rather than of each match
 * (the same numbers): a graph read back from the snapshot cache reads its stored sizes a block of
 * {@link SIZES_PER_BLOCK} nodes at a time, and objects of one class are often made together, so
 * that thousands of matches lie in a dozen blocks of 1,600. Matches in more than an eighth of the
 * blocks read the whole column, which the read-ahead thread can share ({@link HeapGraph.readAhead}
 * with `"retained"`). `ordinals` in node order (as selections give them) count each block once.
 */
export function chooseTargetsReadsAllSizes(graph: HeapGraph, ordinals: readonly number[]): boolean {
  const all = Math.ceil(graph.nodeCount / SIZES_PER_BLOCK);
  let blocks = 0;
  let last = -1;
  for (let i = 0; i < ordinals.length && blocks * 8 <= all; i++) {
    const b = Math.floor(ordinals[i]! / SIZES_PER_BLOCK);
    if (b !== last) blocks++;
    last = b;
  }
  return blocks * 8 > all;
}

/**
 * Keeps `list` the first `k` items in `before` order as items arrive one by one: `n` goes in if
 * the list is not full or `n` comes before its last item (which then falls out); an item equal to
 * one already in goes after it, so ties keep their arrival order.
 */
export function insertTop(list: number[], k: number, n: number, before: (a: number, b: number) => boolean): void {
  if (list.length === k && !before(n, list[k - 1]!)) return;
  let i = list.length === k ? k - 1 : list.length;
  while (i > 0 && before(n, list[i - 1]!)) {
    list[i] = list[i - 1]!;
    i--;
  }
  list[i] = n;
}

/** Up to this many targets are chosen by insertion instead of sorting every match. */
const TOP_BY_INSERTION = 64;
