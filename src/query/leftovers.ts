/**
 * What a piece of work (a test file, a test, one run of a function) left alive: the objects that
 * are new since a baseline snapshot of the same process and are still held, after a GC, by the
 * program's own state — not by the test runner's bookkeeping, the current call stack, or the
 * engine. See docs/leftovers.md for the rules and why each one is there.
 */
import type { HeapAnalysis } from "../graph/analysis.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { isGeneric, isRuntimeScript } from "./generic-classes.js";
import { closureScript, ConstructorScripts, constructorScript, edgeByName, stringProperty } from "./modules.js";

/** How many example ids a leftover class lists. */
const EXAMPLES = 5;

/** Node types that are never reported: the engine's and the embedder's own bookkeeping. */
const NOT_REPORTED = ["hidden", "code", "object shape", "synthetic", "number", "native"];
/** Node types whose edges are not followed: compiled code, shapes and the embedder's graph. */
const NOT_FOLLOWED = ["code", "object shape", "native"];
/**
 * The `(GC roots)` categories that hold a program's lasting state. The others are the current
 * call stack and handle scopes (the code taking the snapshot), compilation caches, builtins and
 * other engine tables.
 */
const LASTING_ROOTS = ["(Global handles)", "(Eternal handles)"];
/**
 * Node's own containers for timers and queued callbacks: what they hold is reported (the timer,
 * its callback and what that holds), the containers themselves are not.
 */
const CONTAINER_CLASSES = new Set(["TimersList", "FixedQueue", "FixedCircularBuffer"]);
/**
 * Node's queue of `process.nextTick` callbacks: what waits there runs as soon as the current job
 * ends (the one taking the snapshot), so it is in flight, not kept. Not followed.
 */
const IN_FLIGHT_CLASSES = new Set(["FixedQueue"]);
/** Properties through which Node's timers, immediates and queued ticks hold their callback. */
const CALLBACK_EDGES = ["_onTimeout", "_onImmediate", "callback"];
/** JS wrappers of the pipes and terminals behind stdin, stdout and stderr. */
const STDIO_HANDLE_CLASSES = new Set(["Pipe", "TTY"]);
/** Names under which Node keeps (and hands out) the standard streams. */
const STDIO_EDGES = new Set(["stdin", "stdout", "stderr", "get stdin", "get stdout", "get stderr", "_stdin", "_stdout", "_stderr"]);
/**
 * Edges of the engine's own caches that hold recent values, and of Node's stack of the async
 * resources executing now (the code taking the snapshot): not the program's state.
 */
const CACHE_EDGES = new Set(["regexp_last_match_info", "execution_async_resources"]);
/**
 * The engine's internal edges (no program can name one) from its native context to the objects it
 * made from an API's templates on their first use (a `Worker`, a `MessagePort`): not followed.
 */
const TEMPLATE_CACHE_EDGES = new Set(["fast_template_instantiations_cache", "slow_template_instantiations_cache"]);
/**
 * Variables of Node's own functions, not followed when the context holding them is the one of a
 * function of Node's (`node:buffer`'s `Buffer`, `node:internal/process/promises`' handler): its pool
 * for small buffers (a new one whenever the last is used up; a buffer cut from it holds it by its
 * own edges) and its map of promise rejections not handled yet (a new map as each job ends). A
 * program variable of the same name is the program's.
 */
const NODE_VARIABLES = new Set(["allocPool", "allocBuffer", "pendingUnhandledRejections"]);

export interface LeftoverOptions {
  /**
   * The highest heap id of a JS object in the baseline snapshot. V8 hands a later snapshot's new
   * objects higher ids than any it handed out before, so a higher id means "new since then".
   */
  sinceId: number;
  /**
   * Properties of the global object that belong to the test runner (or to this tool): not
   * followed. `prefix*` matches every property starting with `prefix`. A property given as
   * `name.child` follows only `child` inside `name` (this wins over a matching prefix).
   */
  ignoreGlobals?: readonly string[];
  /**
   * Whether a script (by the name V8 gives it: a path or URL) is the runner's own code. The
   * variables of the runner's functions (their closure contexts) and the state of its suspended
   * async functions are not followed.
   */
  runnerCode?: (script: string) => boolean;
}

export interface LeftoverClass {
  className: string;
  count: number;
  selfSize: number;
  /** Retained size of these objects together (an object held by another leftover of its class is not counted twice). */
  retainedSize: number;
  /** Heap ids of the largest objects of the class (largest retained size first), at most five. */
  exampleIds: number[];
  /** The script that defines the class's constructor (a file of the program, `node:…` for Node's own), when the snapshot says; not for generic classes. */
  script?: string;
  /**
   * When the class's objects have constructors of different scripts (same-named classes the
   * snapshot does not tell apart by place), or of a script for some and none known for others: the
   * scripts known, sorted, and no `script`. As `leaks` says them (see `addLeakScripts`).
   */
  scripts?: string[];
}

export interface Leftovers {
  /** Leftover objects (all classes). */
  objects: number;
  selfSize: number;
  /** Retained size of every leftover together, not double counted. */
  retainedSize: number;
  /** Largest retained size first. */
  classes: LeftoverClass[];
  /** Node ordinals of the leftovers (for drawing). */
  ordinals: number[];
  /** The walk that found them: a path to each leftover that avoids the runner's state. */
  reach: LastingReach;
}

/**
 * The highest id of a JS heap object in a snapshot: the threshold for {@link findLeftovers}.
 * Embedder (`native`) and synthetic nodes are left out: their ids do not follow V8's counter.
 */
export function maxObjectId(graph: HeapGraph): number {
  const skip = new Set(["native", "synthetic"].map((t) => graph.nodeTypes.indexOf(t)));
  let max = 0;
  for (let n = 0; n < graph.nodeCount; n++) {
    if (skip.has(graph.nodeType(n))) continue;
    const id = graph.nodeId(n);
    if (id > max) max = id;
  }
  return max;
}

/** Names by string index, decoded once: the walk compares names on every edge. */
function nameCache(graph: HeapGraph): { edge: (e: number) => string; node: (n: number) => string; cls: (n: number) => string } {
  const strings = new Map<number, string>();
  const classes = new Map<number, string>();
  const element = graph.edgeTypeCodes.element;
  const hidden = graph.edgeTypeCodes.hidden;
  const str = (i: number): string => {
    let v = strings.get(i);
    if (v === undefined) strings.set(i, (v = graph.strings.get(i)));
    return v;
  };
  const { nodeClass } = graph.classes();
  return {
    edge: (e) => {
      const t = graph.edgeType(e);
      const v = graph.edgeNameOrIndex(e);
      return t === element || t === hidden ? String(v) : str(v);
    },
    node: (n) => str(graph.nodeNameIndex(n)),
    cls: (n) => {
      const c = nodeClass[n]!;
      let v = classes.get(c);
      if (v === undefined) classes.set(c, (v = graph.classNameOf(c)));
      return v;
    },
  };
}

/** No parent edge: a starting point of the walk, or not reached. */
export const NO_EDGE = 0xffffffff;

export interface LastingReach {
  /** One byte per node: 1 when the lasting state holds it. */
  reached: Uint8Array;
  /** The edge through which the walk first reached each node (a shortest path, by hops). */
  parentEdge: Uint32Array;
  /** One byte per node: 1 for the runner's timers and queued callbacks (reached, never reported). */
  runnerTimer: Uint8Array;
  /** For nodes of the runner's state: the edge through which its walk reached them. */
  parentEdgeR: Uint32Array;
  /** 1 where {@link parentEdge} comes from a node of the runner's state (a program function it holds). */
  fromRunner: Uint8Array;
  /** 1 where {@link parentEdgeR} comes from a node of the program's state. */
  runnerFromProgram: Uint8Array;
}

/**
 * Marks what the program's lasting state holds: a breadth-first walk from the global objects and
 * the lasting `(GC roots)` categories, over strong edges, not entering code, shapes or embedder
 * nodes, and not following the ignored global properties.
 */
export function lastingReach(
  graph: HeapGraph,
  ignoreGlobals: readonly string[] = [],
  runnerCode?: (script: string) => boolean,
): LastingReach {
  const reached = new Uint8Array(graph.nodeCount);
  const parentEdge = new Uint32Array(graph.nodeCount).fill(NO_EDGE);
  const notFollowed = new Set(NOT_FOLLOWED.map((t) => graph.nodeTypes.indexOf(t)).filter((t) => t >= 0));
  const weak = graph.edgeTypes.indexOf("weak");
  const synthetic = graph.types.synthetic;
  const skipped = new Set<string>();
  const prefixes: string[] = [];
  const only = new Map<string, Set<string>>();
  for (const g of ignoreGlobals) {
    const dot = g.indexOf(".");
    if (g.endsWith("*")) prefixes.push(g.slice(0, -1));
    else if (dot < 0) skipped.add(g);
    else {
      const head = g.slice(0, dot);
      let s = only.get(head);
      if (!s) only.set(head, (s = new Set()));
      s.add(g.slice(dot + 1));
    }
  }
  const names = nameCache(graph);
  const ownedByRunner = runnerCode ? runnerFunctions(graph, runnerCode, names.edge) : undefined;
  const object = graph.nodeTypes.indexOf("object");
  const closure = graph.nodeTypes.indexOf("closure");
  const property = graph.edgeTypes.indexOf("property");
  const element = graph.edgeTypes.indexOf("element");
  const internal = graph.edgeTypes.indexOf("internal");
  // Two walks in one queue: the program's state (A) and the runner's (R, entries marked by the
  // top bit). A node reached in A is never walked in R; one reached in R may be reached in A later.
  const R = 0x80000000;
  const queue = new Uint32Array(graph.nodeCount * 2);
  const runnerHeld = new Uint8Array(graph.nodeCount);
  const parentEdgeR = new Uint32Array(graph.nodeCount).fill(NO_EDGE);
  const fromRunner = new Uint8Array(graph.nodeCount);
  const runnerFromProgram = new Uint8Array(graph.nodeCount);
  const runnerTimer = new Uint8Array(graph.nodeCount);
  let head = 0;
  let tail = 0;
  const push = (n: number, via: number, viaRunner: boolean): void => {
    if (reached[n]) return;
    reached[n] = 1;
    parentEdge[n] = via;
    if (viaRunner) fromRunner[n] = 1;
    queue[tail++] = n;
  };
  const pushR = (n: number, via: number, fromProgram: boolean): void => {
    if (reached[n] || runnerHeld[n]) return;
    runnerHeld[n] = 1;
    parentEdgeR[n] = via;
    if (fromProgram) runnerFromProgram[n] = 1;
    queue[tail++] = (n | R) >>> 0;
  };
  // Limited: nodes whose edges are followed only by name (the runner's state, for its module graph).
  const limited = new Map<number, Set<string>>();
  const isGlobal = (n: number): boolean => {
    if (graph.nodeType(n) !== object) return false;
    const name = names.node(n);
    return name === "global" || name.startsWith("global /") || name === "Window" || name.startsWith("Window /");
  };
  // The program's own functions (not the runner's, not Node's): found in the runner's state, their
  // variables are the program's again (a test file's module scope, held by its test functions).
  const programClosure = (n: number): boolean => {
    if (!ownedByRunner || graph.nodeType(n) !== closure || ownedByRunner(n)) return false;
    const script = closureScript(graph, n, names.edge);
    return script !== "" && !isRuntimeScript(script);
  };
  // Instances of the runner's classes (its tests, hooks, streams): by their prototype's constructor.
  const runnerByProto = new Map<number, boolean>();
  const runnerInstance = (n: number): boolean => {
    if (!ownedByRunner || graph.nodeType(n) !== object) return false;
    const proto = edgeByName(graph, n, "__proto__", names.edge);
    if (proto < 0) return false;
    let yes = runnerByProto.get(proto);
    if (yes === undefined) {
      const ctor = edgeByName(graph, proto, "constructor", names.edge);
      yes = ctor >= 0 && graph.nodeType(ctor) === closure && ownedByRunner(ctor);
      runnerByProto.set(proto, yes);
    }
    return yes;
  };
  // Node's records of its built-in modules that are the runner's code: their exports are its state.
  const runnerModule = (n: number): boolean =>
    runnerCode !== undefined && graph.nodeType(n) === object && isRunnerBuiltinModule(graph, n, runnerCode, names);
  // Node's loader's records of a module of the runner's code or of Node's own (backrefs' modules
  // that `expectNoLeaks` imports as it first runs, in a test file): the loader's state.
  const runnerModuleRecord = (n: number): boolean =>
    runnerCode !== undefined && graph.nodeType(n) === object && isRunnerModuleRecord(graph, n, runnerCode, names);
  // A hash table of one of Node's own maps (its loader's caches, its resolver's real paths): the
  // `table` of an object whose constructor is Node's code.
  const arrayType = graph.nodeTypes.indexOf("array");
  const nodeMaps = new Map<number, boolean>();
  const nodeTable = (n: number): boolean => {
    if (runnerCode === undefined || graph.nodeType(n) !== arrayType || parentEdge[n] === NO_EDGE) return false;
    const via = parentEdge[n]!;
    if (graph.edgeType(via) !== internal || names.edge(via) !== "table") return false;
    const holder = graph.edgeSource(via);
    let yes = nodeMaps.get(holder);
    if (yes === undefined) {
      const script = graph.nodeType(holder) === object ? constructorScript(graph, holder) : undefined;
      nodeMaps.set(holder, (yes = script !== undefined && isRuntimeScript(script)));
    }
    return yes;
  };
  // In such a table: an entry for a module of the runner's or Node's (a string naming its file, a
  // resolution `{format, url}`, the load cache's `{javascript}`, the resolve cache's per-importer table).
  const stringType = graph.nodeTypes.indexOf("string");
  const runnerEntry = (n: number): boolean => {
    if (graph.nodeType(n) === stringType) {
      const text = names.node(n);
      if (isRuntimeScript(text)) return true;
      // A path ("/…", "C:…") or a file URL; anything else names no file.
      return (text.charCodeAt(0) === 47 || text.charCodeAt(1) === 58 || text.startsWith("file:")) && runnerCode!(text);
    }
    return graph.nodeType(n) === object && isRunnerLoaderEntry(graph, n, runnerCode!, names);
  };
  // A context of one of Node's functions (reached from it): its variables in NODE_VARIABLES are Node's.
  const nodeContext = (n: number): boolean => {
    const via = parentEdge[n]!;
    if (via === NO_EDGE || graph.edgeType(via) !== internal || names.edge(via) !== "context") return false;
    const fn = graph.edgeSource(via);
    if (graph.nodeType(fn) !== closure) return false;
    return isRuntimeScript(closureScript(graph, fn, names.edge));
  };
  const contextEdge = graph.edgeTypes.indexOf("context");
  // The root: its shortcut edges lead to the global objects, its element edges to `(GC roots)`.
  const root = 0;
  for (let e = graph.firstEdge[root]!; e < graph.firstEdge[root + 1]!; e++) {
    const to = graph.edgeTo(e);
    if (graph.nodeType(to) !== synthetic) {
      push(to, e, false);
      continue;
    }
    // (GC roots) and its categories.
    for (let f = graph.firstEdge[to]!; f < graph.firstEdge[to + 1]!; f++) {
      const cat = graph.edgeTo(f);
      if (graph.nodeType(cat) === synthetic && LASTING_ROOTS.includes(graph.nodeName(cat))) push(cat, f, false);
    }
  }
  while (head < tail) {
    const entry = queue[head++]!;
    const inRunner = (entry & R) !== 0;
    const n = (entry & ~R) >>> 0;
    if (inRunner && reached[n]) continue; // reached by the program's walk since
    const globalObject = !inRunner && isGlobal(n);
    const limit = inRunner ? undefined : limited.get(n);
    // In the program's walk: the runner's functions keep only their properties (a mock's recorded
    // calls, say) in it, their variables and internal links are the runner's; so is everything
    // its suspended async functions hold; its timers stay links of Node's timer lists.
    const timerLinksOnly = !inRunner && runnerTimer[n] === 1;
    const runnerClosure = !inRunner && ownedByRunner !== undefined && graph.nodeType(n) === closure && ownedByRunner(n);
    const suspended =
      !inRunner &&
      ownedByRunner !== undefined &&
      graph.nodeType(n) === object &&
      (isSuspended(graph, n, ownedByRunner, names) || runnerModule(n));
    // In the runner's walk: a program function's variables are the program's.
    const contextBack = inRunner && programClosure(n);
    const inNodeTable = !inRunner && nodeTable(n);
    for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
      if (graph.edgeType(e) === weak) continue;
      const to = graph.edgeTo(e);
      if (reached[to] || notFollowed.has(graph.nodeType(to))) continue;
      if (graph.nodeType(to) === synthetic) continue;
      const edgeName = names.edge(e);
      if (IN_FLIGHT_CLASSES.has(names.cls(to)) || CACHE_EDGES.has(edgeName)) continue;
      if (TEMPLATE_CACHE_EDGES.has(edgeName) && graph.edgeType(e) === internal) continue;
      if (NODE_VARIABLES.has(edgeName) && graph.edgeType(e) === contextEdge && !inRunner && nodeContext(n)) continue;
      // Node holds its stack of executing async resources (an Array) by a global handle too.
      if (graph.nodeType(n) === synthetic && graph.nodeType(to) === object && names.node(to) === "Array") continue;
      if (inRunner) {
        if (contextBack && edgeName === "context") push(to, e, true);
        else pushR(to, e, false);
        continue;
      }
      // An object's property store: V8 gives each property its own named edge as well, and a
      // skipped name (above, below) must not be reached through the store.
      if (edgeName === "properties" && graph.edgeType(e) === internal) continue;
      let toRunner = suspended;
      if (timerLinksOnly && edgeName !== "_idleNext" && edgeName !== "_idlePrev") toRunner = true;
      if (runnerClosure && graph.edgeType(e) !== property && graph.edgeType(e) !== element) toRunner = true;
      if (limit) {
        if (!limit.has(edgeName)) toRunner = true;
      } else if (globalObject) {
        const keep = only.get(edgeName);
        if (keep) {
          if (!limited.has(to)) limited.set(to, keep);
        } else if (skipped.has(edgeName) || prefixes.some((p) => edgeName.startsWith(p))) toRunner = true;
      }
      if (toRunner) {
        pushR(to, e, true);
        continue;
      }
      // Node's stdio handles carry the runner's output plumbing (its reporter piped into stdout).
      // The standard streams themselves, wherever they are reached from, likewise. A WeakMap's
      // value lives as long as its key: its key is what gets reported.
      if (STDIO_HANDLE_CLASSES.has(names.cls(to)) || STDIO_EDGES.has(edgeName) || edgeName.includes(" / part of key (")) {
        pushR(to, e, true);
        continue;
      }
      if (runnerInstance(to) || runnerModuleRecord(to) || (inNodeTable && runnerEntry(to))) {
        pushR(to, e, true);
        continue;
      }
      if (ownedByRunner && graph.nodeType(to) === object && isRunnerCallback(graph, to, ownedByRunner, names.edge)) runnerTimer[to] = 1;
      push(to, e, false);
    }
  }
  return { reached, parentEdge, runnerTimer, parentEdgeR, fromRunner, runnerFromProgram };
}

/** The path the walk took to `n`, from its starting point: `[from, edge, to]` hops. */
export function reachPath(graph: HeapGraph, reach: LastingReach, n: number): Array<{ from: number; edge: number; to: number }> {
  const hops: Array<{ from: number; edge: number; to: number }> = [];
  let cur = n;
  let runner = false;
  while (hops.length < graph.nodeCount) {
    const e = runner ? reach.parentEdgeR[cur]! : reach.parentEdge[cur]!;
    if (e === NO_EDGE) break;
    const from = graph.edgeSource(e);
    hops.push({ from, edge: e, to: cur });
    if (!runner && reach.fromRunner[cur]) runner = true;
    else if (runner && reach.runnerFromProgram[cur]) runner = false;
    cur = from;
  }
  return hops.reverse();
}

/** A predicate on closure ordinals: is this function the runner's code? (Cached per script.) */
function runnerFunctions(
  graph: HeapGraph,
  runnerCode: (script: string) => boolean,
  edgeName: (e: number) => string,
): (n: number) => boolean {
  const byScript = new Map<string, boolean>();
  const byNode = new Map<number, boolean>();
  return (n) => {
    let yes = byNode.get(n);
    if (yes !== undefined) return yes;
    const script = closureScript(graph, n, edgeName);
    yes = byScript.get(script);
    if (yes === undefined) byScript.set(script, (yes = script !== "" && runnerCode(script)));
    byNode.set(n, yes);
    return yes;
  };
}

/** A timer, immediate or queued tick whose callback is the runner's code. */
function isRunnerCallback(graph: HeapGraph, n: number, ownedByRunner: (n: number) => boolean, edgeName: (e: number) => string): boolean {
  for (const name of CALLBACK_EDGES) {
    const fn = edgeByName(graph, n, name, edgeName);
    if (fn >= 0 && graph.nodeTypeName(fn) === "closure") return ownedByRunner(fn);
  }
  return false;
}

/** The class of Node's records of its built-in modules (`node:internal/bootstrap/realm`), one per module loaded. */
const BUILTIN_MODULE_CLASS = "BuiltinModule";

/**
 * Node's record of one of its built-in modules whose code is the runner's: a `BuiltinModule` whose
 * `id` (the module's name without `node:`, as in `internal/test_runner/utils`) names a runner
 * script. Node keeps every loaded built-in module's record in a table its `require` reaches from a
 * global handle, and the record holds the module's `exports`: the runner's module-level objects
 * (node:test's `reporterScope`, which holds the reporters and their streams from Node 22) are
 * reached that way, not only through the runner's functions. A class of that name defined in the
 * program's own scripts is not Node's.
 */
function isRunnerBuiltinModule(
  graph: HeapGraph,
  n: number,
  runnerCode: (script: string) => boolean,
  names: { node: (n: number) => string; edge: (e: number) => string },
): boolean {
  if (names.node(n) !== BUILTIN_MODULE_CLASS) return false;
  const id = stringProperty(graph, n, "id");
  if (id === undefined || !runnerCode(`node:${id}`)) return false;
  return notProgramConstructed(graph, n);
}

/** Whether object n's constructor is Node's own code or native (not a class of the program's). */
function notProgramConstructed(graph: HeapGraph, n: number): boolean {
  const script = constructorScript(graph, n);
  return script === undefined || isRuntimeScript(script);
}

/** Node's ESM loader's classes that record one loaded module each, naming it by `url`. */
const LOADER_RECORD_CLASSES = new Set(["ModuleWrap", "ModuleJob"]);

/**
 * Whether object n is Node's ESM loader's record (`ModuleWrap`, `ModuleJob`: of that name, its
 * constructor Node's or native) of a module of the runner's code or of Node's own.
 */
function isRunnerModuleRecord(
  graph: HeapGraph,
  n: number,
  runnerCode: (script: string) => boolean,
  names: { node: (n: number) => string },
): boolean {
  return LOADER_RECORD_CLASSES.has(names.node(n)) && notProgramConstructed(graph, n) && urlOfRunner(graph, n, runnerCode);
}

/**
 * Whether object n, found in one of Node's own maps, is an entry for a module of the runner's code
 * or of Node's: a loader record, an object naming the module by `url` (a resolution), or an object
 * whose every property is one of those (the load cache's `{javascript}` per module, the resolve
 * cache's table per importing module).
 */
function isRunnerLoaderEntry(
  graph: HeapGraph,
  n: number,
  runnerCode: (script: string) => boolean,
  names: { node: (n: number) => string; edge: (e: number) => string },
): boolean {
  const entry = (m: number): boolean =>
    isRunnerModuleRecord(graph, m, runnerCode, names) || (names.node(m) === "Object" && urlOfRunner(graph, m, runnerCode));
  if (entry(n)) return true;
  if (names.node(n) !== "Object") return false;
  const property = graph.edgeTypes.indexOf("property");
  let entries = 0;
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
    if (graph.edgeType(e) !== property || names.edge(e) === "__proto__") continue;
    if (!entry(graph.edgeTo(e))) return false;
    entries++;
  }
  return entries > 0;
}

/** Whether object n's `url` names a module of the runner's code or of Node's own. */
function urlOfRunner(graph: HeapGraph, n: number, runnerCode: (script: string) => boolean): boolean {
  const url = stringProperty(graph, n, "url");
  return url !== undefined && (runnerCode(url) || isRuntimeScript(url));
}

/** A suspended async function or generator of the runner's code. */
function isSuspended(
  graph: HeapGraph,
  n: number,
  ownedByRunner: (n: number) => boolean,
  names: { node: (n: number) => string; edge: (e: number) => string },
): boolean {
  // Generator objects are named after their function (or "Generator"); they link to it by `function`.
  const fn = edgeByName(graph, n, "function", names.edge);
  return fn >= 0 && graph.nodeTypeName(fn) === "closure" && ownedByRunner(fn);
}

/**
 * The objects new since `sinceId` that the program's lasting state still holds, by class.
 *
 * @example
 * const left = findLeftovers(end, analysis, { sinceId: maxObjectId(start), ignoreGlobals: ["__vitest_worker__"] });
 * left.classes[0]; // { className: "CachedUser", count: 120, selfSize: 5760, retainedSize: 12480, exampleIds: [...] }
 */
export function findLeftovers(graph: HeapGraph, analysis: HeapAnalysis, options: LeftoverOptions): Leftovers {
  const reach = lastingReach(graph, options.ignoreGlobals, options.runnerCode);
  const { reached, runnerTimer } = reach;
  const notReported = new Set(NOT_REPORTED.map((t) => graph.nodeTypes.indexOf(t)).filter((t) => t >= 0));
  const mask = new Uint8Array(graph.nodeCount);
  const ordinals: number[] = [];
  const shallow = analysis.shallowSizes();
  for (let n = 0; n < graph.nodeCount; n++) {
    if (!reached[n] || runnerTimer[n] || graph.nodeId(n) <= options.sinceId || notReported.has(graph.nodeType(n))) continue;
    if (CONTAINER_CLASSES.has(graph.className(n))) continue;
    if (shallow[n] === 0) continue; // backing stores whose size DevTools counts in their owner
    mask[n] = 1;
    ordinals.push(n);
  }
  if (ordinals.length === 0) return { objects: 0, selfSize: 0, retainedSize: 0, classes: [], ordinals, reach };
  const { nodeClass } = graph.classes();
  const retained = analysis.retainedSizes();
  const classRetained = analysis.classRetainedSizes(mask);
  const byName = new Map<string, { count: number; self: number; retained: number; examples: number[] }>();
  const seenClassIds = new Map<string, Set<number>>();
  const scripts = new ConstructorScripts(graph);
  const larger = (x: number, y: number): number => retained[y]! - retained[x]! || graph.nodeId(y) - graph.nodeId(x);
  let selfSize = 0;
  for (const n of ordinals) {
    const c = nodeClass[n]!;
    const name = graph.classNameOf(c);
    let e = byName.get(name);
    if (!e) byName.set(name, (e = { count: 0, self: 0, retained: 0, examples: [] }));
    let ids = seenClassIds.get(name);
    if (!ids) seenClassIds.set(name, (ids = new Set()));
    if (!ids.has(c)) {
      ids.add(c);
      e.retained += classRetained[c]!;
    }
    e.count++;
    e.self += shallow[n]!;
    selfSize += shallow[n]!;
    if (!isGeneric(name)) scripts.add(name, n);
    e.examples.push(n);
    e.examples.sort(larger);
    if (e.examples.length > EXAMPLES) e.examples.pop();
  }
  // Retained size of all leftovers together: those with no leftover among their dominators.
  // In the dominator tree's preorder every node comes after its dominator, so one pass suffices.
  const { preorder, idomIndex } = analysis.dominators();
  const under = new Uint8Array(graph.nodeCount); // by preorder position: a leftover dominates it
  let retainedSize = 0;
  for (let k = 1; k < preorder.length; k++) {
    const d = idomIndex[k]!;
    const n = preorder[k]!;
    under[k] = under[d]! | mask[preorder[d]!]!;
    if (mask[n] && !under[k]) retainedSize += retained[n]!;
  }
  const classes: LeftoverClass[] = [...byName].map(([className, e]) => ({
    className,
    count: e.count,
    selfSize: e.self,
    retainedSize: e.retained,
    exampleIds: e.examples.map((n) => graph.nodeId(n)),
    ...scripts.of(className),
  }));
  classes.sort(
    (p, q) => q.retainedSize - p.retainedSize || q.count - p.count || (p.className < q.className ? -1 : p.className > q.className ? 1 : 0),
  );
  return { objects: ordinals.length, selfSize, retainedSize, classes, ordinals, reach };
}
