/**
 * From a file (or stream) to a {@link HeapGraph}: read, validate, index.
 */
import type { Readable } from "node:stream";
import { SnapshotFormatError } from "../errors.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import type { ReadOptions } from "../snapshot/read.js";
import type { SnapshotCache } from "../cache/store.js";
import { CacheSession } from "../cache/session.js";
import { HeapGraph, nameClassesAlongsideEdges } from "./heap-graph.js";

export interface LoadOptions extends ReadOptions {
  /**
   * A snapshot cache to read the parsed columns from, and to write them to after reading the file
   * (files only). Absent or false: no cache — what in-process (live) snapshots and library callers
   * get unless they ask. A {@link CacheSession} also keeps the analysis in the entry, and writes
   * entries only when told (`session.flush()`): what the CLI uses.
   */
  cache?: SnapshotCache | CacheSession | false;
}

/**
 * Loads a heap snapshot into a {@link HeapGraph}.
 *
 * @example
 * const graph = await loadHeapGraph("app.heapsnapshot");
 * console.log(graph.nodeCount, graph.className(1));
 * const again = await loadHeapGraph("app.heapsnapshot", { cache: new SnapshotCache({ dir: "heap-cache" }) });
 */
export async function loadHeapGraph(source: string | Readable, options: LoadOptions = {}): Promise<HeapGraph> {
  const { cache } = options;
  if (cache instanceof CacheSession && typeof source === "string") return cache.load(source, options);
  const alongside = nameClassesAlongsideEdges(options);
  if (!cache || cache instanceof CacheSession || typeof source !== "string" || source === "-") {
    const graph = new HeapGraph(await readSnapshot(source, alongside.options));
    alongside.give(graph);
    return graph;
  }
  const look = await cache.lookup(source);
  if (look.kind === "hit") {
    try {
      return new HeapGraph(look.content.raw);
    } catch (e) {
      if (!(e instanceof SnapshotFormatError)) throw e;
    }
  }
  const raw = await readSnapshot(source, alongside.options);
  const graph = new HeapGraph(raw);
  alongside.give(graph);
  if (look.kind !== "uncacheable") cache.save(look.key, { raw, analysis: null });
  return graph;
}

/**
 * The snapshot reader, loaded when a snapshot is read: a command answered from a cache entry never
 * loads it (the parser and its helpers, ~10 modules).
 */
async function readSnapshot(source: string | Readable, options: ReadOptions): Promise<RawSnapshot> {
  const { readSnapshotRaw } = await import("../snapshot/read.js");
  return readSnapshotRaw(source, options);
}

/**
 * Loads the snapshot reader now rather than at the first read: code that takes a snapshot of its
 * own process before reading one (a test runner's hooks) calls it first, so that the modules and
 * the loader's records of them are in that snapshot, not counted as new after it.
 */
export async function loadReader(): Promise<void> {
  await import("../snapshot/read.js");
}
