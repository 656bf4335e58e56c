/**
 * Retaining paths as data: for each target, the shortest chain from a root, hop by hop
 * (objgraph's `find_backref_chain`).
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { shortestPath, type WalkContext, retainersOf } from "./backrefs.js";

export interface PathObject {
  id: number;
  className: string;
  type: string;
  name: string;
  selfSize: number;
}

export interface PathHop {
  /** The retaining object. */
  from: PathObject;
  /** Edge type and name, as in the snapshot. */
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

export function describeObject(graph: HeapGraph, n: number): PathObject {
  return {
    id: graph.nodeId(n),
    className: graph.className(n),
    type: graph.nodeTypeName(n),
    name: graph.nodeName(n),
    selfSize: graph.selfSize(n),
  };
}

/**
 * @example
 * retainingPaths(graph, walkContext(graph), [target])[0].hops?.length // 6
 */
export function retainingPaths(graph: HeapGraph, ctx: WalkContext, targets: number[]): RetainingPath[] {
  return targets.map((t) => {
    const hops = shortestPath(graph, ctx, t);
    return {
      target: describeObject(graph, t),
      hops: hops
        ? hops.map((h) => ({
            from: describeObject(graph, h.from),
            edgeType: graph.edgeTypeName(h.edge),
            edgeName: graph.edgeName(h.edge),
          }))
        : null,
      directRetainers: retainersOf(graph, ctx, t, false).length,
    };
  });
}
