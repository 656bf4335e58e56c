/**
 * Leaks in the process you are in: a snapshot of the running isolate streamed straight into the
 * reader, objgraph's calls (`showGrowth`, `byType`, `showBackrefs`, `whyAlive`) and LeakCanary's
 * `watch()` / `findRetained()` / `assertNoLeaks()`.
 *
 * How it works (details in docs/live.md):
 * - The snapshot is `v8.getHeapSnapshot()`: no file, no inspector port. Taking it collects garbage
 *   first. Ids stay the same across snapshots of one isolate as long as V8's id map lives; backrefs
 *   never resets it (it never disables a heap profiler nor disconnects an inspector session), and
 *   notices when something else did (see {@link BackrefsLiveState.checkIds}).
 * - A live object is found in a snapshot without the inspector and without changing it: a holder
 *   of a class with a unique name keeps a `WeakRef` to it; in the snapshot, holder → WeakRef →
 *   weak edge → the object. The holder never keeps the object alive.
 * - Garbage is collected without `--expose-gc`: the flag is switched on for a moment at run time,
 *   `gc` taken from a fresh context, and the flag switched off again.
 * - backrefs' own objects (earlier snapshots' arrays, the growth baseline, the holders...) live
 *   below objects of classes with unique names and are left out of every answer (`own.ts`).
 *
 * This module is the exception to "only the CLI touches the console and files": `showGrowth`
 * prints (to a stream you choose, or not at all), `showBackrefs({ filename })` and
 * `assertNoLeaks()` write pictures — that is what they are for.
 */
import { Session } from "node:inspector";
import { join, resolve } from "node:path";
import { getHeapSnapshot } from "node:v8";
import { LeakError, QueryError } from "../errors.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { loadHeapGraph } from "../graph/load.js";
import { walkContext } from "../query/backrefs.js";
import { groupRetainingPaths, type GroupedPathsReport } from "../query/group.js";
import { retainingPaths, type PathHop } from "../query/paths.js";
import { classTable } from "../query/summary.js";
import { closeLayoutWorker } from "../render/svg.js";
import { edgeLabel, formatBytes, formatCount, sanitizeText, truncateText } from "../render/format.js";
import { objectText } from "../render/paths-text.js";
import { formatOfFile, type OutputFormat } from "./files.js";
import { ownedObjects } from "./own.js";
import { BackrefsSnapshotState, forceGc, Snapshot, type RetainerGraph, type RetainersOptions, type SaveOptions } from "./snapshot.js";

// ------------------------------------------------------------------------------ own state

/** Marks one moment of V8's id map: its id is recorded, and must not change (see checkIds). */
class BackrefsIdAnchor {
  constructor(readonly tag: string) {}
}

/** Holds an object weakly so that a snapshot can find it (holder → WeakRef → the object). */
class BackrefsTargetHolder {
  readonly ref: WeakRef<object>;
  constructor(
    target: object,
    readonly tag: string,
  ) {
    this.ref = new WeakRef(target);
  }
}

/** An object `watch()`ed: held weakly, with why it should be gone. */
class BackrefsWatchedObject extends BackrefsTargetHolder {
  constructor(
    target: object,
    tag: string,
    readonly reason: string,
    readonly watchedAt: number,
    readonly epoch: number,
  ) {
    super(target, tag);
  }
}

interface ClassCount {
  count: number;
  selfSize: number;
}

/** All of backrefs' state in one isolate. The class name marks it as backrefs' own. */
class BackrefsLiveState {
  /** Tells this state's tags from those of another copy of backrefs loaded in the same isolate. */
  readonly prefix = `backrefs:${process.pid}:${Math.random().toString(36).slice(2, 10)}`;
  private seq = 0;
  /** The anchors still held: the first ever and the last few. */
  private anchors: BackrefsIdAnchor[] = [];
  /** Anchor tag → the id V8 gave it. */
  private anchorIds = new Map<string, number>();
  /** The highest id in the previous snapshot (0 before the first). */
  private maxId = 0;
  /** Increases each time the ids were found reset. */
  epoch = 0;
  watched: BackrefsWatchedObject[] = [];
  growth: Map<string, ClassCount> | null = null;
  session: Session | null = null;
  /** A snapshot was taken already: the code all snapshots share is loaded. */
  warm = false;

  /**
   * A new tag, as a flat string: a snapshot names a string node by its text, but a concatenation
   * only "(concatenated string)". A property key is internalized, hence flat.
   */
  tag(kind: string): string {
    return Object.keys({ [`${this.tagPrefix}${kind}:${++this.seq}`]: 0 })[0]!;
  }

  /** What every tag starts with. */
  get tagPrefix(): string {
    return `${this.prefix}:`;
  }

  anchor(): BackrefsIdAnchor {
    const a = new BackrefsIdAnchor(this.tag("anchor"));
    this.anchors.push(a);
    return a;
  }

  /**
   * Whether V8's ids were reset since the previous snapshot, from the anchors: each keeps its id
   * for as long as the id map lives, and the anchor made just before this snapshot must have an id
   * above every id of the previous one (V8 gives new objects ids above all it gave before). After a
   * reset, ids are given out again in heap order: an old anchor would have to land on its old id,
   * and the new one above the old maximum, for a reset to go unseen.
   */
  checkIds(graph: HeapGraph, found: Map<string, number>, newest: BackrefsIdAnchor): boolean {
    let reset = false;
    for (const [tag, id] of this.anchorIds) {
      const now = found.get(tag);
      if (now !== undefined && now !== id) reset = true;
    }
    const newId = found.get(newest.tag);
    if (this.maxId > 0 && (newId === undefined || newId <= this.maxId)) reset = true;
    if (reset) {
      this.epoch++;
      this.anchorIds.clear();
    }
    for (const a of this.anchors) {
      const id = found.get(a.tag);
      if (id !== undefined) this.anchorIds.set(a.tag, id);
    }
    this.maxId = maxHeapId(graph);
    // Keep the first anchor and the last three: enough to see a reset, and no growth.
    if (this.anchors.length > 4) {
      const drop = new Set(this.anchors.slice(1, -3));
      this.anchors = this.anchors.filter((a) => !drop.has(a));
      for (const a of drop) this.anchorIds.delete(a.tag);
    }
    return reset;
  }
}

/**
 * The highest id V8 gave a JavaScript heap object in this snapshot. Native and synthetic nodes
 * (the embedder's graph: handles, C++ objects) get ids from a hash, not from the counter.
 */
function maxHeapId(graph: HeapGraph): number {
  const { nodeId, nodeType } = graph.columns;
  const native = graph.types.native;
  const synthetic = graph.types.synthetic;
  let max = 0;
  for (let n = 0; n < graph.nodeCount; n++) {
    const t = nodeType[n]!;
    if (t !== native && t !== synthetic && nodeId[n]! > max) max = nodeId[n]!;
  }
  return max;
}

const state = new BackrefsLiveState();

// ------------------------------------------------------------------------------ snapshots

/** One turn of the event loop: objects a WeakRef was made for or deref'd in this turn are let go. */
function nextTurn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Property edge `name` of node n, or -1. */
function property(graph: HeapGraph, n: number, name: string): number {
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
    if (graph.edgeName(e) === name && graph.edgeTypeName(e) === "property") return graph.edgeTo(e);
  }
  return -1;
}

/** Holders and anchors of this state in a snapshot: tag → node ordinal. */
function findTagged(graph: HeapGraph, classNames: string[]): Map<string, number> {
  const out = new Map<string, number>();
  const names = new Set<number>();
  for (const c of classNames) for (const i of graph.strings.indicesOf(c)) names.add(i);
  if (names.size === 0) return out;
  const objectType = graph.types.object;
  const { nodeType, nodeName } = graph.columns;
  for (let n = 0; n < graph.nodeCount; n++) {
    if (nodeType[n] !== objectType || !names.has(nodeName[n]!)) continue;
    const tag = property(graph, n, "tag");
    if (tag < 0) continue;
    const text = graph.nodeName(tag);
    if (text.startsWith(state.prefix)) out.set(text, n);
  }
  return out;
}

/** The object a holder's WeakRef points to in the snapshot, or -1 when it was collected. */
function heldObject(graph: HeapGraph, holder: number): number {
  const ref = property(graph, holder, "ref");
  if (ref < 0) return -1;
  for (let e = graph.firstEdge[ref]!; e < graph.firstEdge[ref + 1]!; e++) {
    if (graph.edgeTypeName(e) === "weak" && graph.edgeName(e) === "target") {
      const t = graph.edgeTo(e);
      // A cleared WeakRef points at `undefined`.
      return graph.nodeTypeName(t) === "hidden" || graph.nodeTypeName(t) === "synthetic" ? -1 : t;
    }
  }
  return -1;
}

/** A snapshot of this isolate; `ids` has the heap id of each holder's object (null: collected). */
async function takeLive(
  holders: readonly BackrefsTargetHolder[],
  timing?: Timing,
): Promise<{ snapshot: LiveSnapshot; ids: Array<number | null> }> {
  // Objects a WeakRef was just made for are kept alive until the end of this turn: let go first,
  // so that "kept for the current job" never shows up as a retainer.
  await nextTurn();
  const anchor = state.anchor();
  let t = performance.now();
  // V8 builds the whole snapshot here (collecting garbage first); the JSON comes out as it is read.
  const stream = getHeapSnapshot();
  t = timing?.("snapshot", t) ?? t;
  const graph = await loadHeapGraph(stream);
  t = timing?.("read", t) ?? t;
  const found = findTagged(graph, ["BackrefsIdAnchor"]);
  const anchorIds = new Map<string, number>();
  for (const [tag, n] of found) anchorIds.set(tag, graph.nodeId(n));
  state.checkIds(graph, anchorIds, anchor);
  const holderNodes = holders.length ? findTagged(graph, ["BackrefsTargetHolder", "BackrefsWatchedObject"]) : new Map<string, number>();
  const ids = holders.map((h) => {
    const n = holderNodes.get(h.tag);
    const t = n === undefined ? -1 : heldObject(graph, n);
    return t < 0 ? null : graph.nodeId(t);
  });
  const s = new BackrefsSnapshotState(graph, { collectGarbage: forceGc() });
  s.owned = ownedObjects(graph, undefined, state.tagPrefix);
  state.warm = true;
  s.live = { epoch: state.epoch, isolate: state };
  timing?.("analysis", t);
  return { snapshot: new LiveSnapshot(s, ids), ids };
}

/** The phases a live call reports to `onTiming`, in order; a phase may come more than once. */
export type LivePhase = "snapshot" | "read" | "analysis" | "drawing";

/** Reports the time since `since` for a phase; returns now. */
type Timing = (phase: LivePhase, since: number) => number;

function timer(onTiming: ((phase: LivePhase, ms: number) => void) | undefined): Timing | undefined {
  if (!onTiming) return undefined;
  return (phase, since) => {
    const now = performance.now();
    onTiming(phase, now - since);
    return now;
  };
}

/** A snapshot of the running process. `objectIds` are the heap ids of the objects asked about. */
export class LiveSnapshot extends Snapshot {
  /** The heap id of each object given to `liveSnapshot({ objects })`, in order; null if it was collected. */
  readonly objectIds: ReadonlyArray<number | null>;

  /** @internal */
  constructor(state: BackrefsSnapshotState, objectIds: Array<number | null>) {
    super(state);
    this.objectIds = objectIds;
  }
}

export interface LiveSnapshotOptions {
  /** Objects to find in the snapshot: their heap ids come back in `objectIds` (held weakly meanwhile). */
  objects?: readonly object[];
}

function holdersFor(objects: readonly unknown[], kind: string): BackrefsTargetHolder[] {
  return objects.map((o) => {
    if ((typeof o !== "object" && typeof o !== "function") || o === null) {
      throw new QueryError(`only objects and functions have a place in the heap, not ${o === null ? "null" : typeof o}`);
    }
    return new BackrefsTargetHolder(o, state.tag(kind));
  });
}

/**
 * A heap snapshot of this process (main thread, worker thread or child process: the isolate that
 * calls it), read straight from V8 with no file and no flags. backrefs' own objects are left out
 * of every answer. Ids stay valid across live snapshots of the isolate; if V8's ids were reset in
 * between (another tool disabled the heap profiler), `diff` says so and `newSince` refuses.
 *
 * @example
 * const before = await liveSnapshot();
 * runTheSuspectCode();
 * const after = await liveSnapshot();
 * console.table((await after.diff(before)).classes);
 */
export function liveSnapshot(options: LiveSnapshotOptions = {}): Promise<LiveSnapshot> {
  // The objects go into weak holders here, synchronously: no frame of ours keeps them while the
  // snapshot is taken.
  const holders = holdersFor(options.objects ?? [], "object");
  return takeLive(holders).then((r) => r.snapshot);
}

// ------------------------------------------------------------------------------ objgraph's calls

/** Node types that are the engine's own bookkeeping, left out of `showGrowth` unless `all`. */
const INTERNAL_TYPES = ["hidden", "code", "object shape", "synthetic", "number"];

/** Counts and self sizes per class name, without backrefs' own objects (nor engine internals unless `all`). */
function countClasses(graph: HeapGraph, owned: Uint8Array | null, all: boolean): Map<string, ClassCount> {
  const exclude = owned ? owned.slice() : new Uint8Array(graph.nodeCount);
  if (!all) {
    const internal = new Set(INTERNAL_TYPES.map((t) => graph.nodeTypes.indexOf(t)).filter((t) => t >= 0));
    const types = graph.columns.nodeType;
    for (let n = 0; n < graph.nodeCount; n++) if (internal.has(types[n]!)) exclude[n] = 1;
  }
  const t = classTable(graph, undefined, exclude);
  const out = new Map<string, ClassCount>();
  for (let i = 0; i < t.classIds.length; i++) {
    const name = graph.classNameOf(t.classIds[i]!);
    const have = out.get(name);
    if (have) {
      have.count += t.count[i]!;
      have.selfSize += t.selfSize[i]!;
    } else out.set(name, { count: t.count[i]!, selfSize: t.selfSize[i]! });
  }
  return out;
}

/** One row of {@link showGrowth}. */
export interface GrowthRow {
  className: string;
  /** Live objects of the class now. */
  count: number;
  /** Objects more than at the previous call. */
  delta: number;
  /** Their self size now, and its change since the previous call (bytes). */
  selfSize: number;
  selfSizeDelta: number;
}

export interface ShowGrowthOptions {
  /** At most this many classes (default 10, objgraph's). */
  limit?: number;
  /** Where to print the table (default standard output); false prints nothing. */
  output?: NodeJS.WritableStream | false;
  /** Also count the engine's own bookkeeping (compiled code, hidden objects, shapes, numbers). */
  all?: boolean;
}

/**
 * objgraph's `show_growth()`: the first call records how many live objects each class has; each
 * later call prints and returns the classes whose counts grew since the previous call, most growth
 * first, with `+N` and sizes. Counts are exact: every call takes a snapshot (which collects
 * garbage first), backrefs' own objects left out.
 *
 * @example
 * await showGrowth();          // records
 * handleRequests(100);
 * await showGrowth();          // LeakyRequest   100   +100   6.4 kB  +6.4 kB
 */
export async function showGrowth(options: ShowGrowthOptions = {}): Promise<GrowthRow[]> {
  // The first snapshot of a process loads and compiles what every later one reuses (Node's stream
  // code, the reader): take a throwaway one first, so that it does not show as growth.
  if (!state.growth && !state.warm) await takeLive([]);
  state.warm = true;
  const { snapshot } = await takeLive([]);
  const s = Snapshot.state(snapshot);
  const now = countClasses(s.graph, s.owned, options.all === true);
  const before = state.growth;
  state.growth = now;
  if (!before) return [];
  const rows: GrowthRow[] = [];
  for (const [className, c] of now) {
    const b = before.get(className) ?? { count: 0, selfSize: 0 };
    if (c.count > b.count)
      rows.push({ className, count: c.count, delta: c.count - b.count, selfSize: c.selfSize, selfSizeDelta: c.selfSize - b.selfSize });
  }
  rows.sort(
    (x, y) =>
      y.delta - x.delta || y.selfSizeDelta - x.selfSizeDelta || (x.className < y.className ? -1 : x.className > y.className ? 1 : 0),
  );
  const shown = rows.slice(0, options.limit ?? 10);
  const out = options.output === undefined ? process.stdout : options.output;
  if (out) out.write(growthText(shown));
  return shown;
}

function growthText(rows: GrowthRow[]): string {
  if (rows.length === 0) return "";
  const cells = rows.map((r) => [
    sanitizeText(truncateText(r.className, 60)),
    formatCount(r.count),
    `+${formatCount(r.delta)}`,
    formatBytes(r.selfSize),
    `${r.selfSizeDelta >= 0 ? "+" : ""}${formatBytes(r.selfSizeDelta)}`,
  ]);
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => [...c[i]!].length)));
  return cells.map((c) => c.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ")).join("\n") + "\n";
}

/** The inspector session of this isolate: connected once, never disconnected (that would reset V8's ids). */
function session(): Session {
  if (!state.session) {
    const s = new Session();
    s.connect();
    state.session = s;
  }
  return state.session;
}

function post<T>(method: string, params: object): T {
  // A session of the isolate itself answers synchronously.
  let result: T | undefined;
  let error: Error | null = null;
  let answered = false;
  session().post(method, params, (e: Error | null, r?: object) => {
    error = e;
    result = r as T;
    answered = true;
  });
  if (!answered) throw new Error(`the inspector did not answer ${method} synchronously`);
  if (error) throw error;
  return result as T;
}

export interface ByTypeOptions {
  /** At most this many objects (the newest). Default: all. */
  limit?: number;
  /**
   * Told how the objects were found: how many through one query of their prototype (one walk of the
   * heap for all of them), and how many one by one (one walk of the heap each).
   */
  onLookups?: (byQuery: number, oneByOne: number) => void;
}

/**
 * objgraph's `by_type("Foo")`: the live objects of a class (as DevTools names classes), newest
 * first. "Newest" is by heap id: V8 gives ids when a snapshot is taken, so objects first seen by a
 * later snapshot come before those seen by an earlier one; among the objects first seen by the
 * same snapshot (everything alive at the first one, say) the order is V8's heap order, not
 * allocation order. The objects are fetched through an in-process inspector session (no port),
 * which is released at once: nothing of backrefs keeps them.
 *
 * @example
 * const [newest] = await byType("LeakyRequest");
 * await showBackrefs(newest, { filename: "refs.png" });
 */
export async function byType(className: string, options: ByTypeOptions = {}): Promise<object[]> {
  const { snapshot } = await takeLive([]);
  let ids: number[];
  try {
    ids = snapshot.select({ type: className });
  } catch (e) {
    if (e instanceof QueryError && /^no objects/.test(e.message)) return [];
    throw e;
  }
  ids.sort((a, b) => b - a);
  if (options.limit !== undefined) ids = ids.slice(0, Math.max(0, options.limit));
  return objectsById(ids, options.onLookups);
}

/** Live objects from heap ids, through the inspector, in the order given; ids of objects gone since are skipped. */
function objectsById(ids: number[], onLookups?: (byQuery: number, oneByOne: number) => void): object[] {
  const group = state.tag("group");
  const key = Symbol.for(group);
  const sink: object[] = [];
  const g = globalThis as Record<symbol, unknown>;
  Object.defineProperty(g, key, { value: sink, configurable: true });
  try {
    const sinkRef = post<{ result: { objectId?: string } }>("Runtime.evaluate", {
      expression: `globalThis[Symbol.for(${JSON.stringify(group)})]`,
      objectGroup: group,
    });
    const sinkId = sinkRef.result.objectId;
    if (!sinkId) throw new Error("the inspector could not reach backrefs' list");
    const { found, probes } =
      ids.length >= QUERY_MIN_OBJECTS ? objectsByQuery(ids, group) : { found: new Map<number, string>(), probes: 0 };
    let oneByOne = 0;
    for (const id of ids) {
      let objectId = found.get(id);
      if (objectId === undefined) {
        oneByOne++;
        objectId = objectById(id, group);
      }
      if (!objectId) continue;
      post("Runtime.callFunctionOn", {
        objectId: sinkId,
        functionDeclaration: "function (o) { this.push(o); }",
        arguments: [{ objectId }],
        objectGroup: group,
      });
    }
    onLookups?.(found.size, oneByOne + probes);
  } finally {
    try {
      post("Runtime.releaseObjectGroup", { objectGroup: group });
    } finally {
      delete g[key];
    }
  }
  return sink;
}

/**
 * From this many objects on, {@link objectsById} finds them all with one query instead of one
 * lookup each: V8 finds an object by its heap id by walking the whole heap (after marking what is
 * reachable), so 300 objects of a 10 MB heap took 12 s one by one.
 */
const QUERY_MIN_OBJECTS = 4;

/** One object by heap id (a walk of the whole heap), or undefined when it is gone. */
function objectById(id: number, group: string): string | undefined {
  try {
    return post<{ result: { objectId?: string } }>("HeapProfiler.getObjectByHeapObjectId", { objectId: String(id), objectGroup: group })
      .result.objectId;
  } catch {
    return undefined; // collected since the snapshot
  }
}

/**
 * The objects among `ids` found by the prototypes they share, by heap id, and how many of them were
 * looked up by id to start a query: one query from the first id, and one more from the first id it
 * did not find when it found fewer than half (the first object may be an odd one: a swapped
 * prototype, a subclass).
 */
function objectsByQuery(ids: readonly number[], group: string): { found: Map<number, string>; probes: number } {
  const found = new Map<number, string>();
  const wanted = new Set(ids);
  let probes = 0;
  for (const id of ids) {
    if (probes === 2 || found.size * 2 >= ids.length) break;
    if (found.has(id)) continue;
    probes++;
    // Far more objects than asked for share the first one's prototype: so would the next one's.
    if (queryPrototypeOf(id, wanted, group, found) === "too many") break;
  }
  return { found, probes };
}

/**
 * The objects among `wanted` that share the prototype of the object `id`, by heap id, added to
 * `found`: the object found by id, then every object with its prototype (`Runtime.queryObjects`:
 * one walk of the heap), each asked its heap id (a table lookup). None when the prototype is null or
 * one most objects have (`Object.prototype`, `Array.prototype`, `Function.prototype`), nor (and
 * "too many") when far more objects share it than were asked for.
 */
function queryPrototypeOf(id: number, wanted: ReadonlySet<number>, group: string, found: Map<number, string>): "too many" | undefined {
  const first = objectById(id, group);
  if (!first) return;
  const proto = post<{ result: { objectId?: string } }>("Runtime.callFunctionOn", {
    objectId: first,
    functionDeclaration:
      "function () { const p = Object.getPrototypeOf(this); return p === null || p === Object.prototype || p === Array.prototype || p === Function.prototype ? undefined : p; }",
    objectGroup: group,
  }).result.objectId;
  if (!proto) return;
  const list = post<{ objects: { objectId?: string } }>("Runtime.queryObjects", { prototypeObjectId: proto, objectGroup: group }).objects
    .objectId;
  if (!list) return;
  // Far more objects than asked for (a few of a common class): one by one costs less than
  // describing each of them.
  const length = post<{ result: { value?: unknown } }>("Runtime.callFunctionOn", {
    objectId: list,
    functionDeclaration: "function () { return this.length; }",
    returnByValue: true,
  }).result.value;
  if (typeof length !== "number") return;
  if (length > 4 * wanted.size + 10_000) return "too many";
  const { result } = post<{ result: Array<{ name: string; value?: { objectId?: string } }> }>("Runtime.getProperties", {
    objectId: list,
    ownProperties: true,
    objectGroup: group,
  });
  for (const p of result) {
    const objectId = p.value?.objectId;
    if (!objectId || !/^\d+$/.test(p.name)) continue;
    const heapId = Number(post<{ heapSnapshotObjectId: string }>("HeapProfiler.getHeapObjectId", { objectId }).heapSnapshotObjectId);
    if (wanted.has(heapId)) found.set(heapId, objectId);
  }
}

export interface ShowBackrefsOptions extends RetainersOptions, SaveOptions {
  /** Write the picture here; the extension names the format (`.png`, `.svg`, `.dot`, `.json`, `.txt`). */
  filename?: string;
  /**
   * Told how long each phase took, in milliseconds: V8 building the snapshot, reading it, the
   * analysis (backrefs' own objects, distances, dominators, the walk), drawing and writing.
   */
  onTiming?: (phase: LivePhase, ms: number) => void;
}

/**
 * objgraph's `show_backrefs()` for live objects: what retains them, right now, drawn with the
 * CLI's options and defaults (`depth` 3, `tooMany` 10, `maxNodes` 60, shortest paths forced in).
 * With `filename`, the picture is written there (format by extension); the graph is returned
 * either way (`toSvg()`, `toPng()`, `save()`...).
 *
 * @example
 * await showBackrefs(leakyThing, { filename: "refs.png" });
 */
export function showBackrefs(objOrObjs: object | readonly object[], options: ShowBackrefsOptions = {}): Promise<RetainerGraph> {
  const holders = holdersFor(Array.isArray(objOrObjs) ? objOrObjs : [objOrObjs], "target");
  return drawLive(holders, options);
}

async function drawLive(holders: BackrefsTargetHolder[], options: ShowBackrefsOptions): Promise<RetainerGraph> {
  const timing = timer(options.onTiming);
  const { snapshot, ids } = await takeLive(holders, timing);
  let t = performance.now();
  const alive = ids.filter((id): id is number => id !== null);
  if (alive.length === 0) throw new QueryError("the object was collected before the snapshot: nothing retains it");
  const graph = await snapshot.retainers(alive, options);
  t = timing?.("analysis", t) ?? t;
  if (options.filename) {
    try {
      await graph.save(options.filename, options);
    } finally {
      await closeLayoutWorker();
    }
    timing?.("drawing", t);
  }
  return graph;
}

/**
 * Why a live object is alive, as text: its shortest retaining paths from a root (`paths`, default
 * 1) and its dominator chain — the objects whose release would free it.
 *
 * @example
 * console.log(await whyAlive(leakyThing, { paths: 2 }));
 */
export function whyAlive(obj: object, options: { paths?: number } = {}): Promise<string> {
  const holders = holdersFor([obj], "target");
  return whyLive(holders, options.paths ?? 1);
}

async function whyLive(holders: BackrefsTargetHolder[], paths: number): Promise<string> {
  const { snapshot, ids } = await takeLive(holders);
  if (ids[0] === null || ids[0] === undefined) return "the object was collected: nothing retains it\n";
  return snapshot.whyText([ids[0]], { paths });
}

// ------------------------------------------------------------------------------ LeakCanary's watch

/**
 * LeakCanary's `watch()`: call it when `obj` should become garbage (a request finished, a
 * component unmounted, a test ended). backrefs holds it only weakly; {@link findRetained} and
 * {@link assertNoLeaks} tell whether it was collected, and if not, why.
 *
 * @example
 * res.on("finish", () => watch(req, "request finished"));
 */
export function watch(obj: object, reason = ""): void {
  if ((typeof obj !== "object" && typeof obj !== "function") || obj === null) {
    throw new QueryError(`watch() takes an object, not ${obj === null ? "null" : typeof obj}`);
  }
  state.watched.push(new BackrefsWatchedObject(obj, state.tag("watch"), String(reason), Date.now(), state.epoch));
}

/** Forget every watched object (a test's teardown, say). */
export function clearWatched(): void {
  state.watched = [];
}

/** How many watched objects have not been seen collected yet (no garbage collection is forced). */
export function watchedCount(): number {
  return state.watched.filter((w) => w.ref.deref() !== undefined).length;
}

/** One watched object still alive. */
export interface RetainedObject {
  id: number;
  className: string;
  /** What `watch()` was told. */
  reason: string;
  /** When it was watched (ms since the epoch). */
  watchedAt: number;
  selfSize: number;
  retainedSize?: number;
  /** Its shortest retaining path from a root, root first (null: only weakly held). */
  path: PathHop[] | null;
}

/** Retained objects with the same class and the same retaining path, but for element indices. */
export interface RetainedGroup {
  className: string;
  count: number;
  /** Distinct reasons they were watched. */
  reasons: string[];
  ids: number[];
  /** Sum of their retained sizes (when known). */
  retainedSize?: number;
  /** The path of the first of them, root first. */
  path: PathHop[] | null;
}

export interface RetainedReport {
  objects: RetainedObject[];
  /** Largest group first. */
  groups: RetainedGroup[];
  /**
   * The same objects' paths merged by class and edge as the grouped pictures merge them (long
   * chains of one class folded; at most 20 patterns): what `formatGroupedText` prints.
   */
  patterns: GroupedPathsReport | null;
  /** V8's ids were reset since some of these objects were watched (they were found by weak reference, not by id). */
  idsResetSinceWatched: boolean;
}

/**
 * LeakCanary's retained-object check: forces a garbage collection, and for the watched objects
 * still alive takes one snapshot and returns their retaining paths grouped by class and path,
 * with the reason each was watched. Objects found collected are forgotten. No snapshot is taken
 * when everything watched was collected.
 */
export async function findRetained(): Promise<RetainedReport> {
  return (await retained(false)).report;
}

async function retained(keepSnapshot: boolean): Promise<{ report: RetainedReport; snapshot?: LiveSnapshot; ids: number[] }> {
  const empty: RetainedReport = { objects: [], groups: [], patterns: null, idsResetSinceWatched: false };
  if (state.watched.length === 0) return { report: empty, ids: [] };
  await nextTurn();
  forceGc()?.();
  // deref() keeps what it returns alive for this turn: look, keep only the holders, then let go.
  state.watched = state.watched.filter((w) => w.ref.deref() !== undefined);
  if (state.watched.length === 0) return { report: empty, ids: [] };
  const watched = [...state.watched];
  const { snapshot, ids } = await takeLive(watched);
  const s = Snapshot.state(snapshot);
  const graph = s.graph;
  const analysis = await s.ready(true);
  const ctx = walkContext(graph, { analysis, retained: true });
  const ordinals: number[] = [];
  const which: BackrefsWatchedObject[] = [];
  ids.forEach((id, i) => {
    if (id === null) return;
    const n = graph.findById(id);
    if (n >= 0) {
      ordinals.push(n);
      which.push(watched[i]!);
    }
  });
  const paths = retainingPaths(graph, ctx, ordinals);
  const objects: RetainedObject[] = paths.map((p, i) => ({
    id: p.target.id,
    className: p.target.className,
    reason: which[i]!.reason,
    watchedAt: which[i]!.watchedAt,
    selfSize: p.target.selfSize,
    ...(p.target.retainedSize === undefined ? {} : { retainedSize: p.target.retainedSize }),
    path: p.hops,
  }));
  const report: RetainedReport = {
    objects,
    groups: groupRetained(objects),
    patterns: ordinals.length ? groupRetainingPaths(graph, ctx, ordinals).report(20) : null,
    idsResetSinceWatched: which.some((w) => w.epoch !== state.epoch),
  };
  return { report, snapshot: keepSnapshot ? snapshot : undefined, ids: objects.map((o) => o.id) };
}

/**
 * A path's signature: classes and edges, indices left out (elements of an array, slots of a Map's
 * or Set's table): one collection holding many objects is one cause.
 */
function signature(o: RetainedObject): string {
  if (!o.path) return `${o.className}\u0000(no path)`;
  const hops = o.path.map((h) => {
    const indexed = h.edgeType === "element" || typeof h.edgeName === "number" || (h.edgeType === "internal" && /^\d+$/.test(h.edgeName));
    const edge = indexed ? `${h.edgeType}[]` : edgeLabel(h.edgeType, h.edgeName);
    return `${h.from.className}\u0000${edge}`;
  });
  return `${o.className}\u0001${hops.join("\u0001")}`;
}

function groupRetained(objects: RetainedObject[]): RetainedGroup[] {
  const groups = new Map<string, RetainedGroup>();
  for (const o of objects) {
    const key = signature(o);
    let g = groups.get(key);
    if (!g) {
      g = { className: o.className, count: 0, reasons: [], ids: [], path: o.path };
      if (o.retainedSize !== undefined) g.retainedSize = 0;
      groups.set(key, g);
    }
    g.count++;
    g.ids.push(o.id);
    if (!g.reasons.includes(o.reason)) g.reasons.push(o.reason);
    if (g.retainedSize !== undefined) g.retainedSize += o.retainedSize ?? 0;
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || (b.retainedSize ?? 0) - (a.retainedSize ?? 0) || a.ids[0]! - b.ids[0]!);
}

/** The report as text: per group, class, count, reasons, and the path as a staircase. */
export function retainedText(report: RetainedReport): string {
  const n = report.objects.length;
  const out = [`${formatCount(n)} watched object${n === 1 ? " is" : "s are"} still alive after a garbage collection:`];
  for (const g of report.groups) {
    const reasons = g.reasons.filter((r) => r !== "").map((r) => JSON.stringify(sanitizeText(truncateText(r, 80))));
    const size = g.retainedSize === undefined ? "" : `, retaining ${formatBytes(g.retainedSize)}`;
    out.push(
      `  ${formatCount(g.count)} × ${sanitizeText(truncateText(g.className, 60))}${reasons.length ? ` (watched: ${reasons.join(", ")})` : ""}${size}`,
    );
    if (!g.path) {
      out.push("    no strong path from a root (only weak references hold it)");
      continue;
    }
    const ids =
      g.ids
        .slice(0, 5)
        .map((id) => `@${id}`)
        .join(" ") + (g.ids.length > 5 ? " …" : "");
    if (g.path.length === 0) out.push(`    held by a root directly: ${ids}`);
    g.path.forEach((h, i) => {
      const label = sanitizeText(truncateText(edgeLabel(h.edgeType, h.edgeName), 60));
      if (i === 0) out.push(`    ${objectText(h.from)}`);
      const next = g.path![i + 1]?.from;
      const to = next ? objectText(next) : `${sanitizeText(truncateText(g.className, 60))} ${ids}`;
      out.push(`    ${"  ".repeat(Math.min(i, 24))}└─ ${label} → ${to}`);
    });
  }
  if (report.idsResetSinceWatched) {
    out.push("  (V8's heap ids were reset since some were watched; they were found by weak reference, not by id)");
  }
  return out.join("\n") + "\n";
}

export interface AssertNoLeaksOptions extends RetainersOptions {
  /** Where to write the picture (default `backrefs-leaks` in the current directory). */
  dir?: string;
  /** Picture format (default `svg`). */
  format?: Exclude<OutputFormat, "text">;
}

let pictureSeq = 0;

/**
 * LeakCanary's `assertNoLeaks()`: passes when every watched object was collected; otherwise draws
 * what retains them into `dir` and throws a {@link LeakError} whose message holds their grouped
 * retaining paths (class, count, the path) and names the picture.
 *
 * @example
 * afterEach(async () => { await assertNoLeaks({ dir: "leak-reports" }); });
 */
export async function assertNoLeaks(options: AssertNoLeaksOptions = {}): Promise<void> {
  const { report, snapshot, ids } = await retained(true);
  if (report.objects.length === 0) return;
  const format = options.format ?? "svg";
  formatOfFile(`x.${format}`); // refuses an unknown format before any work
  const dir = resolve(options.dir ?? "backrefs-leaks");
  const file = join(dir, `leak-${process.pid}-${++pictureSeq}.${format}`);
  let picture: string | null = null;
  let problem = "";
  try {
    const graph = await snapshot!.retainers(ids, options);
    await graph.save(file, { format });
    picture = file;
  } catch (e) {
    problem = `  (the picture could not be drawn: ${e instanceof Error ? e.message : String(e)})\n`;
  } finally {
    await closeLayoutWorker();
  }
  const text = retainedText(report) + problem + (picture ? `  picture: ${picture}\n` : "");
  throw new LeakError(text, report, picture);
}
