import { HeapGraph } from "../../src/graph/heap-graph.js";
import { SnapshotParser } from "../../src/snapshot/parser.js";
import type { SnapshotBuilder } from "./snapshot-builder.js";

/** Parses a builder's snapshot into a HeapGraph. */
export function graphOf(b: SnapshotBuilder): HeapGraph {
  const p = new SnapshotParser();
  p.write(Buffer.from(b.serialize()));
  return new HeapGraph(p.end());
}
