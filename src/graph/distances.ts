/**
 * Distances from the root: breadth-first over forward edges, skipping weak ones, in one
 * iterative pass with a typed-array queue.
 */
import type { HeapGraph } from "./heap-graph.js";

/** Distance of a node no root reaches (through non-weak edges). */
export const UNREACHABLE = 0x7fffffff;

/**
 * Hop distance of every node from the synthetic root (the root itself is 0), following every edge
 * except weak ones.
 *
 * @example
 * const dist = rootDistances(graph); dist[target] // 5
 */
export function rootDistances(graph: HeapGraph): Int32Array {
  const N = graph.nodeCount;
  const dist = new Int32Array(N).fill(UNREACHABLE);
  if (N === 0) return dist;
  const queue = new Uint32Array(N);
  const weak = graph.edgeTypeCodes.weak;
  const firstEdge = graph.firstEdge;
  let head = 0;
  let tail = 0;
  dist[0] = 0;
  queue[tail++] = 0;
  while (head < tail) {
    const n = queue[head++]!;
    const d = dist[n]! + 1;
    const end = firstEdge[n + 1]!;
    for (let e = firstEdge[n]!; e < end; e++) {
      if (graph.edgeType(e) === weak) continue;
      const to = graph.edgeTo(e);
      if (dist[to] !== UNREACHABLE) continue;
      dist[to] = d;
      queue[tail++] = to;
    }
  }
  return dist;
}
