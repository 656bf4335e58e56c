/**
 * Why an object is alive, as data: its shortest retaining paths from a root, hop by hop
 * (objgraph's `find_backref_chain`), and its dominator chain (who, if it let go, would free it).
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { objectDisplayName } from "../graph/class-names.js";
import { NO_DISTANCE } from "../graph/analysis.js";
import { shortestPath, retainersOf, type WalkContext } from "./backrefs.js";
import type { HeapObjectInfo } from "./types.js";
import { scriptOf } from "./modules.js";

export type PathObject = HeapObjectInfo;

export interface PathHop {
  /** The retaining object. */
  from: PathObject;
  /** Edge type and name, as in the snapshot; the edge points at the next hop's object (or the target). */
  edgeType: string;
  edgeName: string | number;
}

export interface RetainingPath {
  target: PathObject;
  /** Root first; the last hop's edge points at the target. Null when nothing retains it strongly. */
  hops: PathHop[] | null;
  /** Distinct objects retaining the target directly (weak edges not counted). */
  directRetainers: number;
}

/** Everything `backrefs why` says about one object. */
export interface WhyAlive extends PathObject {
  /** DevTools distance; absent when no root reaches the object through strong edges. */
  distance?: number;
  /** Heap id of the immediate dominator (with retained sizes). */
  dominatorId?: number;
  /** Up to K distinct shortest retaining paths, root first (each ends with the edge into the object). */
  paths: PathHop[][];
  /**
   * False only when the paths shown are all there are: one through each object that holds it
   * directly and that a root reaches. True when another such path exists beyond the K asked for
   * (`pathsBeyond`), or when an object holding it is reached through itself on its shortest path,
   * and a longer path avoiding it may exist (`heldInCycle` such objects). An object that every
   * path from a root reaches through it (a pure cycle) holds nothing more and is not counted.
   */
  morePaths: boolean;
  /** Set (true) when a path beyond the K asked for exists, through another direct retainer. */
  pathsBeyond?: boolean;
  /**
   * Direct retainers whose shortest path runs through the object itself (a cycle), not shown, and
   * that may be reached another way (those reached only through it are left out).
   */
  heldInCycle?: number;
  /** Immediate dominator first, up to the root (with retained sizes); at most 100 long. */
  dominators?: PathObject[];
  /** Set when the dominator chain was longer than what `dominators` holds. */
  dominatorsTruncated?: boolean;
  /** Distinct objects retaining it directly (weak edges not counted). */
  directRetainers: number;
}

export function describeObject(graph: HeapGraph, ctx: WalkContext, n: number): PathObject {
  const o: PathObject = {
    id: graph.nodeId(n),
    className: graph.className(n),
    type: graph.nodeTypeName(n),
    name: graph.nodeName(n),
    selfSize: ctx.analysis.shallowSize(n),
  };
  const shown = objectDisplayName(graph, n);
  if (shown !== undefined && shown !== o.name) o.displayName = shown;
  if (ctx.retained) o.retainedSize = ctx.analysis.retainedSize(n);
  const script = scriptOf(graph, n);
  if (script !== undefined) o.script = script;
  return o;
}

const MAX_DOMINATOR_CHAIN = 100;

type Hops = Array<{ edge: number; from: number; to: number }>;

function toHops(graph: HeapGraph, ctx: WalkContext, hops: Hops): PathHop[] {
  return hops.map((h) => ({
    from: describeObject(graph, ctx, h.from),
    edgeType: graph.edgeTypeName(h.edge),
    edgeName: graph.edgeName(h.edge),
  }));
}

/**
 * Up to `k` shortest retaining paths of `target` that differ in the object holding it directly:
 * the shortest overall first, then, in DevTools' retainer order (closest to a root first), the
 * shortest path through each other direct retainer. Paths through the target itself are skipped.
 */
export function kShortestPaths(graph: HeapGraph, ctx: WalkContext, target: number, k: number): Hops[] {
  return findPaths(graph, ctx, target, k).paths;
}

/**
 * {@link kShortestPaths}, and how many of the direct retainers looked at were passed over because
 * their own shortest path runs through the target (a cycle): such a retainer may still hold the
 * target through a longer path that avoids it, which these paths do not show.
 */
function findPaths(graph: HeapGraph, ctx: WalkContext, target: number, k: number): { paths: Hops[]; throughTarget: number } {
  const out: Hops[] = [];
  let throughTarget = 0;
  const first = shortestPath(graph, ctx, target);
  if (!first) return { paths: out, throughTarget };
  out.push(first);
  const lastFrom = first.length > 0 ? first[first.length - 1]!.from : -1;
  const distance = ctx.analysis.distances().distance;
  // Objects every strong path to which passes through the target, as the walks below found them:
  // shared, so that many retainers held through the target cost one walk, not one each.
  const onlyThrough = new Set<number>();
  for (const r of retainersOf(graph, ctx, target, false)) {
    if (out.length >= k) break;
    // A retainer no root reaches does not keep the target alive.
    if (r.from === lastFrom || distance[r.from] === NO_DISTANCE || onlyThrough.has(r.from)) continue;
    const upTo = ctx.analysis.isRetentionRoot(r.from) ? [] : shortestPath(graph, ctx, r.from);
    if (!upTo || upTo.some((h) => h.from === target)) {
      // Held only through the target itself (a pure cycle: T → R → T, nothing else reaching R), R
      // keeps nothing alive that the paths shown do not.
      if (!reachedOnlyThrough(graph, ctx, r.from, target, onlyThrough)) throughTarget++;
      continue;
    }
    out.push([...upTo, { edge: r.edge, from: r.from, to: target }]);
  }
  return { paths: out, throughTarget };
}

/** Objects {@link reachedOnlyThrough} looks at, at most, before it gives up (and answers false). */
const MAX_CYCLE_SEARCH = 100_000;

/**
 * Whether every strong path from a root to `n` passes through `target`: a walk up `n`'s retainers
 * (weak edges not followed) that never steps onto `target`, looking for an object whose shortest
 * path avoids it. An object at a distance not above the target's has such a path (every object on
 * its shortest path is closer to a root than the target), and so has every object below it on the
 * walk, `n` included. True when the walk ends without one (every object it met is then added to
 * `onlyThrough`, which later walks do not enter); false when it finds one, or gives up after
 * {@link MAX_CYCLE_SEARCH} objects (it cannot tell then).
 */
function reachedOnlyThrough(graph: HeapGraph, ctx: WalkContext, n: number, target: number, onlyThrough: Set<number>): boolean {
  const distance = ctx.analysis.distances().distance;
  const limit = distance[target]!;
  const weak = graph.edgeTypeCodes.weak;
  const seen = new Set<number>([target, n]);
  const queue = [n];
  for (let i = 0; i < queue.length; i++) {
    const cur = queue[i]!;
    const r = graph.retainerEdges(cur);
    for (let j = 0; j < r.length; j++) {
      const edge = r[j]!;
      if (graph.edgeType(edge) === weak) continue;
      const from = graph.edgeSource(edge);
      // Known to be reached only through the target: no way around it from there.
      if (seen.has(from) || onlyThrough.has(from)) continue;
      // Unreached from the roots, it reaches nothing for them either.
      const d = distance[from]!;
      if (d === NO_DISTANCE) continue;
      if (d <= limit || ctx.analysis.isRetentionRoot(from)) return false;
      if (seen.size >= MAX_CYCLE_SEARCH) return false;
      seen.add(from);
      queue.push(from);
    }
  }
  // Every object the walk met is held only through the target too.
  for (const x of seen) if (x !== target) onlyThrough.add(x);
  return true;
}

/**
 * The shortest retaining path of each target (the text `backrefs <snapshot> --type X` prints).
 *
 * @example
 * retainingPaths(graph, walkContext(graph), [target])[0].hops?.length // 6
 */
export function retainingPaths(graph: HeapGraph, ctx: WalkContext, targets: number[]): RetainingPath[] {
  graph.prefetchRetainers(targets);
  return targets.map((t) => {
    const hops = shortestPath(graph, ctx, t);
    return {
      target: describeObject(graph, ctx, t),
      hops: hops ? toHops(graph, ctx, hops) : null,
      directRetainers: retainersOf(graph, ctx, t, false).length,
    };
  });
}

/**
 * `backrefs why`: for each target, K retaining paths, distance, dominator and dominator chain.
 *
 * @example
 * whyAlive(graph, walkContext(graph), [target], 2)[0].paths.length // 2
 */
export function whyAlive(graph: HeapGraph, ctx: WalkContext, targets: number[], k: number): WhyAlive[] {
  const a = ctx.analysis;
  graph.prefetchRetainers(targets);
  return targets.map((t) => {
    // One more than asked for, to tell whether the K shown are all there are.
    const { paths: found, throughTarget } = findPaths(graph, ctx, t, k + 1);
    const beyond = found.length > k;
    const entry: WhyAlive = {
      ...describeObject(graph, ctx, t),
      paths: found.slice(0, k).map((hops) => toHops(graph, ctx, hops)),
      morePaths: beyond || throughTarget > 0,
      directRetainers: retainersOf(graph, ctx, t, false).length,
    };
    if (beyond) entry.pathsBeyond = true;
    else if (throughTarget > 0) entry.heldInCycle = throughTarget;
    const d = a.distance(t);
    if (d !== NO_DISTANCE) entry.distance = d;
    if (ctx.retained) {
      entry.dominatorId = graph.nodeId(a.dominator(t));
      const chain: PathObject[] = [];
      for (let n = t; n !== 0;) {
        n = a.dominator(n);
        if (chain.length === MAX_DOMINATOR_CHAIN) {
          entry.dominatorsTruncated = true;
          break;
        }
        chain.push(describeObject(graph, ctx, n));
      }
      entry.dominators = chain;
    }
    return entry;
  });
}
