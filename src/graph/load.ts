/**
 * From a file (or stream) to a {@link HeapGraph}: read, validate, index.
 */
import type { Readable } from "node:stream";
import { readSnapshotRaw, type ReadOptions } from "../snapshot/read.js";
import { HeapGraph } from "./heap-graph.js";

/**
 * Loads a heap snapshot into a {@link HeapGraph}.
 *
 * @example
 * const graph = await loadHeapGraph("app.heapsnapshot");
 * console.log(graph.nodeCount, graph.className(1));
 */
export async function loadHeapGraph(source: string | Readable, options: ReadOptions = {}): Promise<HeapGraph> {
  const raw = await readSnapshotRaw(source, options);
  return new HeapGraph(raw);
}
