/**
 * Where an object's constructor is defined: the script V8 names for it, as a heap snapshot holds it.
 *
 * An object's hidden class (its `map`) leads to the constructor: a map made by adding a property
 * to another names that one (`back_pointer`), the first map of the chain names the constructor
 * (`constructor`), a function. The function's `shared` info names its script
 * (`script_or_debug_info`), an object whose name is the script's: a file path or URL for the
 * program's own code, `node:internal/timers` for Node's.
 */
import type { HeapGraph } from "./heap-graph.js";

/** Longest chain of maps followed: one per property added to an object after it was made. */
const MAX_MAPS = 10_000;

/** Node n's first edge of type `internal` named `name`, its target, or -1. */
function internalEdge(graph: HeapGraph, n: number, name: string): number {
  const internal = graph.edgeTypeCodes.internal;
  const first = graph.firstEdge;
  for (let e = first[n]!, end = first[n + 1]!; e < end; e++) {
    if (graph.edgeType(e) === internal && graph.edgeName(e) === name) return graph.edgeTo(e);
  }
  return -1;
}

/**
 * The name of the script that defines the constructor of object `n`, or null when the snapshot
 * does not say (a built-in or native constructor, no map, or a snapshot without these edges).
 * Reads a few edges of the object, its maps and its constructor.
 *
 * @example
 * constructorScript(graph, n); // "file:///srv/app.mjs", "node:internal/timers"
 */
export function constructorScript(graph: HeapGraph, n: number): string | null {
  let map = internalEdge(graph, n, "map");
  let fn = -1;
  for (let i = 0; map >= 0 && i < MAX_MAPS; i++) {
    fn = internalEdge(graph, map, "constructor");
    if (fn >= 0) break;
    const back = internalEdge(graph, map, "back_pointer");
    map = back === map ? -1 : back;
  }
  if (fn < 0 || graph.nodeTypeName(fn) !== "closure") return null;
  const shared = internalEdge(graph, fn, "shared");
  const script = shared < 0 ? -1 : internalEdge(graph, shared, "script_or_debug_info");
  if (script < 0) return null;
  const name = graph.nodeName(script);
  return name === "" ? null : name;
}
