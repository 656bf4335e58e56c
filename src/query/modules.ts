/**
 * Loaded modules' records in a heap. Node's ESM loader keeps a `ModuleJob` per module, which holds
 * the module through `.module`; vitest's module graph keeps an `EvaluatedModuleNode` per module,
 * which holds its exports through `.exports`. Both name the module's file (`url`, `file`, `id`).
 */
import type { HeapGraph } from "../graph/heap-graph.js";

/** Per class of module record: the edge by which it holds its module. */
const MODULE_EDGE: ReadonlyMap<string, string> = new Map([
  ["ModuleJob", "module"],
  ["EvaluatedModuleNode", "exports"],
]);

/** The edge by which a module record of class `className` holds its module; undefined for any other class. */
export function moduleEdgeOf(className: string): string | undefined {
  return MODULE_EDGE.get(className);
}

/**
 * Whether node n is a loaded module's record: an object named as a class of module records (for an
 * object, V8's name is its constructor's) that holds its module through that class's edge.
 */
export function isModuleRecord(graph: HeapGraph, n: number): boolean {
  if (graph.nodeTypeName(n) !== "object") return false;
  const edge = MODULE_EDGE.get(graph.nodeName(n));
  return edge !== undefined && hasEdgeNamed(graph, n, edge);
}

/**
 * The script of function (closure) n: the file or URL its code comes from, as V8 names the script
 * its shared function info points to; undefined for any other node, and for code without a named
 * script.
 */
export function scriptOf(graph: HeapGraph, n: number): string | undefined {
  if (graph.nodeTypeName(n) !== "closure") return undefined;
  const script = closureScript(graph, n);
  return script === "" ? undefined : script;
}

/** Longest chain of maps followed: one per property added to an object after it was made. */
const MAX_MAPS = 10_000;

/**
 * The script that defines the constructor of object n (a file or URL of the program,
 * `node:internal/timers` for Node's own), or undefined when the snapshot does not say (a built-in
 * or native constructor, no map). An object's hidden class (its `map`) leads to the constructor: a
 * map made by adding a property to another names that one (`back_pointer`), the first map of the
 * chain names the constructor (`constructor`), a function whose script {@link scriptOf} reads.
 * Reads a few edges of the object, its maps and its constructor.
 */
export function constructorScript(graph: HeapGraph, n: number): string | undefined {
  // Internal edges only: an object may have a property named `map` or `constructor`.
  return mapScript(graph, objectMap(graph, n));
}

/**
 * The scripts of objects' constructors, read once per hidden class: a class the snapshot names
 * alike may hold objects of several constructors (same-named classes of different scripts, where
 * the snapshot has no `locations` to tell them apart), so the script is read per object's map, not
 * per class.
 */
export class ConstructorScripts {
  private readonly byMap = new Map<number, string>();
  /** Per class (by whatever key the caller groups by): the scripts its objects' constructors are in ("" where the snapshot does not say). */
  private readonly found = new Map<unknown, Set<string>>();

  constructor(private readonly graph: HeapGraph) {}

  /** Counts object n's constructor's script for `key`'s class. */
  add(key: unknown, n: number): void {
    const map = objectMap(this.graph, n);
    let script = this.byMap.get(map);
    if (script === undefined) this.byMap.set(map, (script = mapScript(this.graph, map) ?? ""));
    let scripts = this.found.get(key);
    if (!scripts) this.found.set(key, (scripts = new Set()));
    scripts.add(script);
  }

  /**
   * What `key`'s class says of its scripts: `script` when its objects' constructors are all of one
   * known script; `scripts` (the known ones, sorted) when they are of several, or of one for some
   * objects and not known for others; nothing when none is known.
   */
  of(key: unknown): { script?: string; scripts?: string[] } {
    const scripts = this.found.get(key);
    if (!scripts) return {};
    const known = [...scripts].filter((s) => s !== "").sort();
    if (known.length === 1 && scripts.size === 1) return { script: known[0]! };
    return known.length > 0 ? { scripts: known } : {};
  }
}

/** Object n's hidden class (its internal `map` edge's target), or -1. */
export function objectMap(graph: HeapGraph, n: number): number {
  return internalEdgeNamed(graph, n, MAP_EDGE);
}

/** {@link constructorScript} of the objects whose hidden class is `map` (-1: undefined). */
export function mapScript(graph: HeapGraph, map: number): string | undefined {
  // Each map once: a snapshot's back pointers may go round in a circle.
  const seen = new Set<number>();
  for (let i = 0; map >= 0 && i < MAX_MAPS && !seen.has(map); i++) {
    seen.add(map);
    const fn = internalEdgeNamed(graph, map, CONSTRUCTOR_EDGE);
    if (fn >= 0) return scriptOf(graph, fn);
    map = internalEdgeNamed(graph, map, BACK_POINTER_EDGE);
  }
  return undefined;
}

/**
 * The script name of a closure's code (its shared function info's script), or "". Internal edges
 * only (a function may have a property named `shared`); the shared info's edge to its script is
 * one of {@link SCRIPT_EDGE_NAMES}.
 */
export function closureScript(graph: HeapGraph, n: number, edgeName: (e: number) => string = (e) => String(graph.edgeName(e))): string {
  const shared = internalEdgeNamed(graph, n, SHARED_EDGE, edgeName);
  if (shared < 0) return "";
  const script = internalEdgeNamed(graph, shared, SCRIPT_EDGES, edgeName);
  if (script < 0) return "";
  return graph.nodeName(script);
}

/**
 * The names of a shared function info's internal edge to its script: `script_or_debug_info` in V8
 * up to 11 (Node 20), `script` from V8 12 (Node 22).
 */
export const SCRIPT_EDGE_NAMES: readonly string[] = ["script_or_debug_info", "script"];

const SHARED_EDGE: ReadonlySet<string> = new Set(["shared"]);
const SCRIPT_EDGES: ReadonlySet<string> = new Set(SCRIPT_EDGE_NAMES);
const MAP_EDGE: ReadonlySet<string> = new Set(["map"]);
const CONSTRUCTOR_EDGE: ReadonlySet<string> = new Set(["constructor"]);
const BACK_POINTER_EDGE: ReadonlySet<string> = new Set(["back_pointer"]);

/** Node n's first internal edge with one of `names` (as `edgeName` names edges), its target, or -1. */
function internalEdgeNamed(
  graph: HeapGraph,
  n: number,
  names: ReadonlySet<string>,
  edgeName: (e: number) => string = (e) => String(graph.edgeName(e)),
): number {
  const internal = graph.edgeTypeCodes.internal;
  for (let e = graph.firstEdge[n]!, end = graph.firstEdge[n + 1]!; e < end; e++) {
    if (graph.edgeType(e) === internal && names.has(edgeName(e))) return graph.edgeTo(e);
  }
  return -1;
}

/** The node n's edge named `name` points to (the first such edge), or -1. */
export function edgeByName(graph: HeapGraph, n: number, name: string, edgeName: (e: number) => string): number {
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) if (edgeName(e) === name) return graph.edgeTo(e);
  return -1;
}

/** Whether node n holds an edge named `name`. */
export function hasEdgeNamed(graph: HeapGraph, n: number, name: string): boolean {
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) if (graph.edgeName(e) === name) return true;
  return false;
}

/** The file a module record names: its `file`, else `url`, else `id` (`file://` URLs as they are), or "" when none. */
export function moduleFile(graph: HeapGraph, n: number): string {
  return stringProperty(graph, n, "file") ?? stringProperty(graph, n, "url") ?? stringProperty(graph, n, "id") ?? "";
}

/** The text of the string that node n's property `name` holds, or undefined. */
export function stringProperty(graph: HeapGraph, n: number, name: string): string | undefined {
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
    if (graph.edgeName(e) === name) return stringValue(graph, graph.edgeTo(e), 0);
  }
  return undefined;
}

/** A string node's text; a concatenation is put back together from its halves (V8 names it only "(concatenated string)"). */
function stringValue(graph: HeapGraph, n: number, depth: number): string | undefined {
  const type = graph.nodeTypeName(n);
  if (type === "string") return graph.nodeName(n);
  if (type !== "concatenated string" || depth > 20) return undefined;
  let first: string | undefined;
  let second: string | undefined;
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
    const name = graph.edgeName(e);
    if (name === "first") first = stringValue(graph, graph.edgeTo(e), depth + 1);
    else if (name === "second") second = stringValue(graph, graph.edgeTo(e), depth + 1);
  }
  return first !== undefined && second !== undefined ? first + second : undefined;
}
