/**
 * The library's one way in: `openSnapshot(pathOrStream)` gives a {@link Snapshot} that takes heap
 * ids (never node ordinals) and answers the CLI's questions with the CLI's options and defaults:
 * `types()`, `diff(other)`, `retainers(selection, options)` (a {@link RetainerGraph} that renders
 * itself as DOT, SVG, PNG, JSON or text), `why(selection)`.
 *
 * A snapshot of the running process (`liveSnapshot()`, in `./live.ts`) is the same object, with
 * backrefs' own objects kept out of every answer.
 */
import { promises as fsp } from "node:fs";
import type { FittedPicture } from "../render/fit.js";
import type { Readable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { IdsResetError, QueryError } from "../errors.js";
import { HeapAnalysis, PARALLEL_MIN_NODES, type Phase } from "../graph/analysis.js";
import { AnalysisHelper, EARLY_HELPER_MIN_BYTES } from "../graph/helper.js";
import type { EdgesThread, ReadProgress } from "../snapshot/read.js";
import type { ReadAheadPart } from "../snapshot/columns.js";
import { CacheSession } from "../cache/session.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { objectDisplayName } from "../graph/class-names.js";
import { loadHeapGraph, type LoadOptions } from "../graph/load.js";
import type { BackrefsOptions, WalkContext } from "../query/backrefs.js";
import type { ClassDiff, DiffSort, LeakGroup, SnapshotDiff } from "../query/growth.js";
import type { CheckVerdict, Limits } from "../query/check.js";
import { programFirst } from "../query/generic-classes.js";
import { assertComparableIds, SnapshotIds } from "../query/id-trust.js";
import type { WhyAlive } from "../query/paths.js";
import type { GroupedPathsReport } from "../query/group.js";
import { selectNodes } from "../query/select.js";
import { classStat, classTable, summarize, topIndices, type ClassSort, type ClassStat, type SnapshotSummary } from "../query/summary.js";
import type { HeapObjectInfo, LimitsReached, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "../query/types.js";
import type { ToDotOptions } from "../render/dot.js";
import { formatCount } from "../render/format.js";
import type { RenderSvgOptions } from "../render/svg.js";
import { formatOfFile, writeFileAtomic, type OutputFormat, type WriteOptions } from "./files.js";

/** A heap id: `123` or `"@123"` (as DevTools and the CLI write them). */
export type HeapId = number | `@${number}`;

/**
 * Which objects a question is about. A heap id or a list of ids, or a spec: `type` (class names as
 * DevTools shows them), `name` (raw node names) and `detached` must all hold; `id` always adds its
 * objects; `newSince` keeps only objects absent from an earlier snapshot of the same process.
 */
export type Selection =
  | HeapId
  | readonly HeapId[]
  | {
      type?: string | readonly string[];
      name?: string | readonly string[];
      id?: HeapId | readonly HeapId[];
      detached?: boolean;
      /**
       * Only objects allocated after this earlier snapshot of the same process (`--new-since`):
       * the snapshot, or only its ids (`SnapshotIds.of(graph)`, which lets the graph go).
       */
      newSince?: Snapshot | SnapshotIds;
    };

/** Options of {@link Snapshot.retainers}: the CLI's draw options, with its defaults. */
export interface RetainersOptions extends Partial<BackrefsOptions> {
  /**
   * Draw at most this many of the matching objects, largest retained size first (default 10).
   * When more match, the picture groups every match's retaining path by class and edge (one
   * picture per cause; `maxNodes` then defaults to 40), as the CLI does.
   */
  maxTargets?: number;
  /** One picture per object even when more than `maxTargets` match (the CLI's `--each`). */
  each?: boolean;
  /** Compute dominators and retained sizes (default true; false is `--no-retained`). */
  retained?: boolean;
}

/** Options of {@link Snapshot.why}. */
export interface WhyOptions {
  /** Distinct retaining paths per object (default 1; `--paths`). */
  paths?: number;
  /** With a class or name selection: explain at most this many objects (default 3). */
  maxTargets?: number;
  retained?: boolean;
  /**
   * `whyReport` only: group every match's retaining path when more objects matched than were
   * explained (default true; the CLI's `--json` skips it).
   */
  grouped?: boolean;
}

/** Options of {@link Snapshot.types}. */
export interface TypesOptions {
  /** How many classes (default 20; `Infinity` for all). */
  top?: number;
  /** Sort key (default `retained`, or `count` without retained sizes). */
  sort?: ClassSort;
  retained?: boolean;
}

/** Options of {@link Snapshot.diff}: the CLI's `diff` options, with its defaults. */
export interface DiffOptions {
  /**
   * List the first `top` classes of each list (what grew, what shrank). Default: every class
   * that changed, as `diff --json` without `--top` (`Infinity` says the same).
   */
  top?: number;
  /**
   * Rank by change in `count` (default), `new` objects (deleted for what shrank), `self` size,
   * `retained` size now, or `retained-growth`. `new` falls back to `count` when objects cannot be
   * matched by id (the answer's `sort` says which was used).
   */
  sort?: DiffSort;
  /** Include the engine's own bookkeeping: compiled code, hidden objects, shapes, numbers (`--all`). */
  all?: boolean;
  retained?: boolean;
}

/** What {@link Snapshot.diff} answers: the CLI's `diff --json`, and whether ids were reset. */
export interface SnapshotComparison extends SnapshotDiff {
  /**
   * Both are live snapshots of this process, and V8's ids were reset between them (a heap
   * profiler was disabled): objects cannot be matched by id, `new`/`deleted` are null and
   * `idsComparable` is false. (Snapshots from files go through the id-trust check instead.)
   */
  idsReset?: boolean;
  /** The ranking used (the one asked for, or `count` when `new` could not be had). */
  sort: DiffSort;
  /** Classes that grew, ranked by `sort`, cut to `top`: names of rows of `classes`. */
  grew: string[];
  /** Classes that shrank, ranked by `sort`, cut to `top`. */
  shrank: string[];
  /** How many classes grew, and shrank, in all (listed or not). */
  grewTotal: number;
  shrankTotal: number;
  /** Classes that changed but are not listed (only with `top`). */
  classesOmitted: number;
  /** Classes present in either snapshot that did not change. */
  unchangedClasses: number;
}

/** Options of {@link Snapshot.check}: the limits, and what growth is measured from. */
export interface CheckOptions extends Limits {
  /** An earlier snapshot of the same process: needed by `maxGrowth` and `maxRetainedGrowth`. */
  baseline?: Snapshot;
  /** Limits may name classes no snapshot has (by default a {@link LimitError}: a typo would make a gate that never fails). */
  allowAbsent?: boolean;
  /** How error messages name the baseline and this snapshot (default "the baseline", "this snapshot"). */
  labels?: [string, string];
}

/**
 * What comparing snapshots class by class reads whole of each (a snapshot read back from the cache
 * reads these on a second thread meanwhile, in this order: the order the comparison uses them):
 * the class of each node, the ids and node types (the id-trust check, new and deleted objects),
 * then the sizes (DevTools' with `retained`, else V8's).
 */
function readAheadForCounts(graphs: HeapGraph[], retained: boolean): void {
  for (const g of graphs) g.readAhead(["classes"]);
  for (const g of graphs) g.readAhead(["nodeId", "nodeType"]);
  for (const g of graphs) g.readAhead([retained ? "shallow" : "selfSize"]);
}

/** Options of {@link Snapshot.leaks}. */
export interface LeaksOptions {
  /** How many classes (default 20). */
  top?: number;
  /** Include the engine's own bookkeeping (compiled code, hidden objects, shapes). */
  all?: boolean;
  /** How the three snapshots are named in error messages (default the baseline, the target, the final snapshot). */
  labels?: [string, string, string];
  /**
   * Of how many classes to group the leaked objects' retaining paths (default 5): the largest of
   * the program's own (constructors defined in its scripts) first, then other classes that are not
   * generic, then those defined in Node's own scripts, then generic ones.
   */
  explain?: number;
  /** Patterns per explained class (default 3). */
  patterns?: number;
}

/** What {@link Snapshot.leaks} answers: the CLI's `backrefs leaks`. */
export interface LeaksReport {
  /** Objects allocated after the baseline, present in the target and alive in this snapshot. */
  leakedObjects: number;
  /** Per class, largest retained size first, cut to `top`. */
  groups: LeakGroup[];
  /**
   * Why they are alive: for the largest classes (the program's own before Node's and generic ones), their leaked objects' retaining paths grouped,
   * with the reference where each path passes from the baseline's objects to new ones.
   */
  explained: GroupedPathsReport[];
}

/** What {@link Snapshot.whyReport} answers. */
export interface WhyReport {
  /** How many objects the selection matched. */
  matched: number;
  /** The objects explained (all those named by id; else at most `maxTargets`, largest retained size first). */
  objects: WhyAlive[];
  /** Every match's retaining path grouped by class and edge, when more matched than were explained. */
  grouped: GroupedPathsReport | null;
  /** The objects explained were chosen by retained size (false: by id, newest first). */
  byRetainedSize: boolean;
}

/**
 * Reading options (progress, abort, the snapshot `cache` for files; `parallel` also decides the
 * analysis' helper thread) and:
 */
export interface OpenOptions extends LoadOptions {
  /**
   * Force a garbage collection after the dominator pass to give its temporary memory back sooner,
   * as the CLI does (V8's `--expose-gc` is switched on for a moment to get the function). Default false.
   */
  collectGarbage?: boolean;
  /** Told when each phase of the analysis starts (distances, dominators...): for a progress line. */
  onPhase?: (phase: Phase) => void;
  /**
   * False when no question asked of this snapshot will need the analysis (counts and self sizes
   * only, as `info --no-retained` asks): no helper thread is then started for it while the file
   * is read. Default true. Only a hint: an analysis asked for anyway is still computed.
   */
  analysis?: boolean;
}

/** PNG output: the CLI's `--scale` (default 1.5, lowered so that a picture stays under 20 megapixels). */
export interface PngOptions {
  scale?: number;
}

export interface SaveOptions extends PngOptions, RenderSvgOptions, WriteOptions {
  /** Overrides the format the file's extension names. */
  format?: OutputFormat;
}

/** Patterns in a grouped picture's text, as the CLI prints. */
const TEXT_PATTERNS = 20;

/** Patterns in `why`'s grouped text, when more objects matched than were explained. */
const WHY_PATTERNS = 10;

/** Default PNG size limit, as the CLI's: 20 megapixels. */
const DEFAULT_MAX_PIXELS = 20_000_000;

/**
 * Loads a heap snapshot (a path, `.gz` or not, or a byte stream) and returns the object that
 * answers questions about it.
 *
 * @example
 * const snap = await openSnapshot("app.heapsnapshot");
 * console.log(await snap.types({ top: 5 }));
 * await (await snap.retainers({ type: "LeakyRequest" })).save("leak.svg");
 */
export async function openSnapshot(source: string | Readable, options: OpenOptions = {}): Promise<Snapshot> {
  // A file big enough for the analysis' helper thread: the thread starts as the file's reading
  // begins (it takes ~0.05–0.1 s, which the analysis would otherwise wait for). It is offered to the
  // read for the edges (ReadOptions.edgesThread), which takes it only for a file too small for an
  // edges worker of its own: none that openSnapshot offers it for at the present thresholds
  // (EARLY_HELPER_MIN_BYTES is above the edges worker's), so it is there for a lower threshold to
  // use. Not before: a snapshot cache's entry
  // answers without reading the file (its analysis is saved too), and a thread started for nothing
  // costs its start-up. It is let go if the graph turns out too small for it, or was not read from
  // the file. Only the thread this call started is let go here: another snapshot being opened may
  // have started the one that waits.
  let asked = false;
  let early = false;
  let fileRead = false;
  const helped = options.parallel !== false && options.analysis !== false;
  const startHelper = (): void => {
    if (asked) return;
    asked = true;
    early = AnalysisHelper.startEarly();
  };
  let big = false;
  if (helped && typeof source === "string" && source !== "-") {
    // A missing or unreadable file is reported by the read itself.
    const stat = await fsp.stat(source).catch(() => null);
    big = stat !== null && stat.isFile() && stat.size >= EARLY_HELPER_MIN_BYTES;
  }
  const onProgress = !helped
    ? options.onProgress
    : (p: ReadProgress): void => {
        if (p.bytesRead > 0) fileRead = true;
        if (p.totalBytes >= EARLY_HELPER_MIN_BYTES) startHelper();
        options.onProgress?.(p);
      };
  const edgesThread = !big
    ? undefined
    : (): EdgesThread | null => {
        startHelper();
        return AnalysisHelper.edgesThread();
      };
  let graph: HeapGraph;
  try {
    graph = await loadHeapGraph(source, { ...options, onProgress, ...(edgesThread ? { edgesThread } : {}) });
  } catch (e) {
    if (early) AnalysisHelper.stopEarly();
    throw e;
  }
  if (early && options.parallel !== true && (graph.nodeCount < PARALLEL_MIN_NODES || !fileRead)) AnalysisHelper.stopEarly();
  return new Snapshot(
    new BackrefsSnapshotState(graph, {
      collectGarbage: options.collectGarbage ? forceGc() : undefined,
      onPhase: options.onPhase,
      parallel: options.parallel,
      cache: options.cache instanceof CacheSession ? options.cache : undefined,
    }),
  );
}

/** Facts about a live snapshot: set by `liveSnapshot()` only. */
export interface LiveInfo {
  /** Increases each time backrefs saw that V8's heap ids were reset in this process. */
  epoch: number;
  /** Where the process' id anchors were found; used by the ids-reset check. */
  isolate: object;
}

/**
 * Everything a {@link Snapshot} holds. Its class name is one of the names by which a live
 * snapshot recognises backrefs' own objects (see `own.ts`): keep it.
 */
export class BackrefsSnapshotState {
  private made: HeapAnalysis | null = null;
  /** Begun ({@link begin}) for a cache session's {@link ready}, which takes it. */
  private begun: HeapAnalysis | null = null;
  private prepared: { retained: boolean } | null = null;
  private ids: SnapshotIds | null = null;
  /** 1 = an object of backrefs itself (live snapshots), never shown. */
  owned: Uint8Array | null = null;
  live: LiveInfo | null = null;

  constructor(
    readonly graph: HeapGraph,
    private readonly options: { collectGarbage?: () => void; onPhase?: (p: Phase) => void; parallel?: boolean; cache?: CacheSession } = {},
  ) {}

  /** The analysis (lazy: nothing is computed until asked). */
  get analysis(): HeapAnalysis {
    return (this.made ??= new HeapAnalysis(this.graph, { collectGarbage: this.options.collectGarbage, onPhase: this.options.onPhase }));
  }

  /**
   * The analysis with what `retained` needs computed (on two threads for big graphs); through the
   * cache session, when the snapshot was opened with one, starting from what its entry holds.
   */
  async ready(retained: boolean): Promise<HeapAnalysis> {
    if (!this.prepared || (retained && !this.prepared.retained)) {
      const { cache, parallel, collectGarbage, onPhase } = this.options;
      // Every command that asks for retained sizes names classes too: the class index is built
      // while the helper thread finishes the dominator tree, and then, while it still does, work
      // the cache entry would otherwise leave for the end of the command.
      const alongside = retained
        ? (helperBusy: () => boolean): void => {
            this.graph.classes();
            cache?.alongside(this.graph, helperBusy);
          }
        : undefined;
      const prepare = (a: HeapAnalysis): Promise<void> => a.prepare({ retained, parallel, alongside });
      const begun = this.begun ?? undefined;
      this.begun = null;
      if (cache && !this.made) this.made = await cache.analysis(this.graph, retained, { collectGarbage, onPhase }, prepare, begun);
      else await prepare(this.analysis);
      this.prepared = { retained };
    }
    return this.analysis;
  }

  /**
   * Starts the part of {@link ready}`(true)` that the analysis' helper thread does on its own
   * (see HeapAnalysis.begin), when `ready(true)` will compute the analysis here (not take it from a
   * cache entry), for a caller with work to do first. Then `ready(true)`, or {@link end} if that
   * work failed.
   */
  begin(): void {
    if (this.prepared?.retained || this.begun) return;
    const { cache, parallel, collectGarbage, onPhase } = this.options;
    if (cache && !this.made) {
      if (cache.holdsAnalysis(this.graph)) return;
      const a = new HeapAnalysis(this.graph, { collectGarbage, onPhase });
      if (a.begin({ parallel })) this.begun = a;
    } else {
      this.analysis.begin({ parallel });
    }
  }

  /** Ends what {@link begin} started, when {@link ready} is not going to be called. */
  async end(): Promise<void> {
    const a = this.begun ?? (this.prepared?.retained ? null : this.made);
    this.begun = null;
    await a?.end();
  }

  /** The ids, and what the id-trust check needs of them: all a later snapshot asks of a baseline. */
  snapshotIds(): SnapshotIds {
    return (this.ids ??= SnapshotIds.of(this.graph));
  }

  /** The owned mask as DevTools-style filters want it: 1 = the user's object. */
  userFilter(): Uint8Array | undefined {
    if (!this.owned) return undefined;
    const f = new Uint8Array(this.owned.length);
    for (let n = 0; n < f.length; n++) f[n] = this.owned[n] === 1 ? 0 : 1;
    return f;
  }
}

/**
 * One heap snapshot and the questions it answers. Objects are named by heap id (`@123` in
 * DevTools and in every answer), never by position in the file.
 */
export class Snapshot {
  readonly #s: BackrefsSnapshotState;

  /** @internal Made by {@link openSnapshot} and `liveSnapshot()`. */
  constructor(state: BackrefsSnapshotState) {
    this.#s = state;
  }

  /** The loaded graph, for the lower-level functions of `backrefs/internals`. */
  get graph(): HeapGraph {
    return this.#s.graph;
  }

  /** The lazily computed analysis (distances, dominators, retained sizes) of {@link graph}. */
  get analysis(): HeapAnalysis {
    return this.#s.analysis;
  }

  get nodeCount(): number {
    return this.#s.graph.nodeCount;
  }

  get edgeCount(): number {
    return this.#s.graph.edgeCount;
  }

  /** A live snapshot's id epoch (see `liveSnapshot()`); undefined for a file. */
  get idEpoch(): number | undefined {
    return this.#s.live?.epoch;
  }

  /** @internal The state, for the live module and the CLI. */
  static state(s: Snapshot): BackrefsSnapshotState {
    return s.#s;
  }

  /** Whether heap id `id` names an object in this snapshot (backrefs' own objects do not count). */
  has(id: HeapId): boolean {
    const n = this.#s.graph.findById(parseId(id));
    return n >= 0 && this.#s.owned?.[n] !== 1;
  }

  /** What one object is: class, type, raw name, self size (and retained size, once computed). */
  async object(id: HeapId, options: { retained?: boolean } = {}): Promise<HeapObjectInfo> {
    const s = this.#s;
    const n = this.ordinalsOf(id)[0]!;
    const analysis = await s.ready(options.retained ?? true);
    const o: HeapObjectInfo = {
      id: s.graph.nodeId(n),
      className: s.graph.className(n),
      type: s.graph.nodeTypeName(n),
      name: s.graph.nodeName(n),
      selfSize: analysis.shallowSize(n),
    };
    const shown = objectDisplayName(s.graph, n);
    if (shown !== undefined && shown !== o.name) o.displayName = shown;
    if (options.retained ?? true) o.retainedSize = analysis.retainedSize(n);
    return o;
  }

  /**
   * The heap ids of the objects a selection names, in heap order (the CLI's selection rules).
   *
   * @throws {QueryError} when nothing matches (with suggestions for a mistyped class).
   */
  select(selection: Selection): number[] {
    const g = this.#s.graph;
    return this.ordinalsOf(selection).map((n) => g.nodeId(n));
  }

  /**
   * The class table: DevTools' Summary (count, self size, retained size, distance), the CLI's
   * `backrefs types`.
   *
   * @example
   * (await snap.types({ top: 3, sort: "count" }))[0] // { className: "(string)", count: 41234, ... }
   */
  async types(options: TypesOptions = {}): Promise<ClassStat[]> {
    const s = this.#s;
    const retained = options.retained ?? true;
    const analysis = retained ? await s.ready(true) : undefined;
    const t = classTable(s.graph, analysis, s.owned ?? undefined);
    const sort = options.sort ?? (retained ? "retained" : "count");
    return topIndices(t, clampTop(options.top, 20), sort).map((i) => classStat(s.graph, t, i));
  }

  /**
   * What grew from `before` to this snapshot, per class, by object id when both come from one
   * process: the CLI's `backrefs diff before after --json`, with its defaults (ranked by change in
   * count, engine internals left out, what grew and what shrank listed apart). Call it on the later
   * snapshot.
   *
   * @example
   * const d = await after.diff(before, { top: 10 });
   * d.grew; // ["LeakyRequest", "Array", ...]
   * d.classes.find((c) => c.className === d.grew[0]); // { countBefore: 10, countAfter: 35, new: 25, ... }
   */
  async diff(before: Snapshot, options: DiffOptions = {}): Promise<SnapshotComparison> {
    const { classChanged, diffSnapshots, rankDiff } = await import("../query/growth.js");
    const a = before.#s;
    const b = this.#s;
    const retained = options.retained ?? true;
    let sort: DiffSort = options.sort ?? "count";
    if ((sort === "retained" || sort === "retained-growth") && !retained) {
      throw new QueryError(`sorting by ${sort} needs retained sizes`, "leave retained on");
    }
    const top = options.top === undefined ? undefined : clampTop(options.top, 0);
    readAheadForCounts([a.graph, b.graph], retained);
    const reset = a.live && b.live && a.live.isolate === b.live.isolate && a.live.epoch !== b.live.epoch;
    const d = diffSnapshots(
      { graph: a.graph, analysis: retained ? await a.ready(true) : undefined, exclude: a.owned ?? undefined },
      { graph: b.graph, analysis: retained ? await b.ready(true) : undefined, exclude: b.owned ?? undefined },
      {
        hideInternals: options.all !== true,
        ...(reset ? { idsMismatch: "V8's heap ids were reset in this process between the two snapshots" } : {}),
      },
    );
    if (sort === "new" && !d.idsComparable) sort = "count";
    const { grew, shrank } = rankDiff(d.classes, sort);
    const changed = d.classes.filter(classChanged);
    const shownGrew = top === undefined ? grew : grew.slice(0, top);
    const shownShrank = top === undefined ? shrank : shrank.slice(0, top);
    const listed = new Set<ClassDiff>([...shownGrew, ...shownShrank]);
    // Every listed class once: the grown, the shrunk, then (uncut) those changed by other measures.
    const classes = top === undefined ? [...new Set([...grew, ...shrank, ...changed])] : [...listed];
    const out: SnapshotComparison = {
      ...d,
      classes,
      sort,
      grew: shownGrew.map((c) => c.className),
      shrank: shownShrank.map((c) => c.className),
      grewTotal: grew.length,
      shrankTotal: shrank.length,
      classesOmitted: top === undefined ? 0 : changed.filter((c) => !listed.has(c)).length,
      unchangedClasses: d.classes.length - changed.length,
    };
    if (reset) out.idsReset = true;
    return out;
  }

  /**
   * The leak gate (the CLI's `backrefs check`): counts, retained sizes and growth since
   * `baseline`, per class name, against the limits. Passing a limit is not an error: the verdict
   * lists each violation; drawing what retains a failing class is `retainers({ type })`.
   *
   * @throws {LimitError} when a limit names a class no snapshot has (unless `allowAbsent`).
   * @throws {IdMismatchError} when growth limits compare snapshots whose ids cannot be matched.
   * @example
   * const v = await after.check({ maxCount: { LeakyRequest: 100 }, maxGrowth: { Session: 0 }, baseline: before });
   * if (!v.passed) console.log(v.violations); // [{ className: "LeakyRequest", what: "count", actual: 200, limit: 100, bytes: false }]
   */
  async check(options: CheckOptions): Promise<CheckVerdict> {
    const { checkLimits, needsBaseline, needsRetained } = await import("../query/check.js");
    const s = this.#s;
    const retained = needsRetained(options);
    if (needsBaseline(options) && options.baseline) readAheadForCounts([s.graph, options.baseline.#s.graph], retained);
    const current = { graph: s.graph, analysis: retained ? await s.ready(true) : undefined, exclude: s.owned ?? undefined };
    let baseline;
    if (needsBaseline(options)) {
      if (!options.baseline) throw new QueryError("growth limits (maxGrowth, maxRetainedGrowth) need a baseline snapshot");
      const base = options.baseline.#s;
      // Growth is counted per class, but pictures mark what is new by id: both need one process.
      this.assertSameIds(base, options.labels ?? ["the baseline", "this snapshot"]);
      const analysis = retained ? await base.ready(true) : undefined;
      baseline = { graph: base.graph, analysis, exclude: base.owned ?? undefined, ids: base.snapshotIds() };
    }
    return checkLimits(current, options, { baseline, allowAbsent: options.allowAbsent });
  }

  /**
   * Counts, sizes and the most common classes (the CLI's `backrefs info --json`, without the
   * file's name and size): by count, by self size and, with `retained` (default), by retained size.
   */
  async summary(options: { top?: number; retained?: boolean } = {}): Promise<SnapshotSummary> {
    const s = this.#s;
    const analysis = options.retained === false ? undefined : await s.ready(true);
    return summarize(s.graph, { top: clampTop(options.top, 10), analysis });
  }

  /**
   * MemLab's three-snapshot method, the CLI's `backrefs leaks`: objects allocated after `baseline`,
   * present in `target`, and still alive in this (the final) snapshot, per class, with their
   * retaining paths grouped. The first two can be given as their ids alone (`SnapshotIds.of(graph)`),
   * so that only this snapshot's graph needs to stay in memory.
   *
   * @throws {IdMismatchError} when the three snapshots' ids cannot be matched.
   * @example
   * const r = await s3.leaks(s1, s2);
   * r.groups[0]; // { className: "LeakyRequest", count: 200, retainedSize: 12800, exampleIds: [...] }
   */
  async leaks(baseline: Snapshot | SnapshotIds, target: Snapshot | SnapshotIds, options: LeaksOptions = {}): Promise<LeaksReport> {
    const [
      { findLeaks, LEAK_CLASSES_EXPLAINED, LEAK_COUNT_READ_AHEAD, leakFresh },
      { addLeakScripts },
      { walkContext, groupRetainingPaths, GROUP_WALK_READ_AHEAD },
    ] = await Promise.all([import("../query/growth.js"), import("../query/leak-scripts.js"), objectQueries()]);
    const s = this.#s;
    const base = baseline instanceof SnapshotIds ? baseline : baseline.#s.snapshotIds();
    const tgt = target instanceof SnapshotIds ? target : target.#s.snapshotIds();
    // What the count per class reads whole, then (when anything leaked) the leaked objects'
    // retained sizes and what the grouped walk reads whole: read ahead on a second thread.
    s.graph.readAhead(LEAK_COUNT_READ_AHEAD);
    const analysis = await s.ready(true);
    const fresh = leakFresh(base, tgt, s.graph, options.labels);
    if (fresh.length > 0) s.graph.readAhead(["retained", ...GROUP_WALK_READ_AHEAD]);
    const report = findLeaks(
      base,
      tgt,
      { graph: s.graph, analysis, exclude: s.owned ?? undefined },
      { all: options.all, labels: options.labels, fresh },
    );
    const groups = report.groups.slice(0, clampTop(options.top, 20));
    const g = s.graph;
    const { nodeClass } = g.classes();
    addLeakScripts(g, groups, fresh, s.owned);
    // The program's own classes tell why (the arrays, closures and strings they hold are on their
    // paths), the largest first, then those of no known script, Node's own (a `Timeout` the program
    // left set), generic ones last. Same-named classes from different scripts are explained
    // together, once.
    const explained = [...new Set(programFirst(groups).map((c) => c.className))].slice(0, options.explain ?? LEAK_CLASSES_EXPLAINED);
    const out: LeaksReport = { leakedObjects: report.leakedObjects, groups, explained: [] };
    if (explained.length === 0) return out;
    // The objects of the explained classes among those allocated after the baseline (the engine's
    // bookkeeping too), in node order.
    const wanted = new Map(explained.map((name, i) => [name, i]));
    const ordinals: number[][] = explained.map(() => []);
    const names = new Map<number, number>();
    for (const n of fresh) {
      if (s.owned?.[n] === 1) continue;
      const c = nodeClass[n]!;
      let k = names.get(c);
      if (k === undefined) names.set(c, (k = wanted.get(g.classNameOf(c)) ?? -1));
      if (k >= 0) ordinals[k]!.push(n);
    }
    const ctx = walkContext(g, { analysis, retained: true });
    for (const list of ordinals) {
      if (list.length > 0) out.explained.push(groupRetainingPaths(g, ctx, list, { baseline: base }).report(options.patterns ?? 3));
    }
    return out;
  }

  /**
   * What retains the selected objects: objgraph's `show_backrefs` as data, cut by the CLI's limits
   * (`depth` 3, `tooMany` 10, `maxNodes` 60, `maxTargets` 10, shortest paths always drawn); more
   * matches than `maxTargets` are grouped by retaining path, as the CLI groups them.
   * The answer renders itself: `toDot()`, `toSvg()`, `toPng()`, `toJson()`, `toText()`, `save(file)`.
   *
   * @example
   * const g = await snap.retainers({ type: "LeakyRequest" }, { maxTargets: 4 });
   * await g.save("leak.png");
   */
  async retainers(selection: Selection, options: RetainersOptions = {}): Promise<RetainerGraph> {
    const q = await objectQueries();
    const { walkContext, walkReadAhead, groupRetainingPaths, GROUP_WALK_READ_AHEAD, DEFAULT_GROUP_NODES } = q;
    const { chooseTargets, chooseTargetsReadsAllSizes, defaultBackrefsOptions, retainerSubgraph, foldChains } = q;
    const { retainingPaths, formatGroupedText, formatPathsText } = q;
    const s = this.#s;
    const retained = options.retained ?? true;
    // One picture per object: what its walk reads is known before the objects are (read ahead
    // from a cached snapshot); otherwise once it is known that no more match than are drawn.
    // Objects chosen by class or name are often many, then grouped, and the grouped walk starts with
    // what every walk up the distance tree reads whole: asked for now, it is read while the matches
    // are found.
    // The helper thread's first part of the analysis runs while the matches are found.
    if (retained) s.begin();
    let picked: ReturnType<typeof this.candidates>;
    try {
      picked = this.candidates(selection, options.each ? walkReadAhead() : [], options.each ? [] : GROUP_WALK_READ_AHEAD);
    } catch (e) {
      await s.end();
      throw e;
    }
    const { candidates, baseline } = picked;
    const ctx = walkContext(s.graph, { analysis: await s.ready(retained), retained });
    const maxTargets = options.maxTargets ?? 10;
    const owned = s.owned;
    // More matches than maxTargets: one picture per cause, every match grouped by its path.
    if (!options.each && candidates.length > maxTargets) {
      const groups = groupRetainingPaths(s.graph, ctx, candidates, { baseline });
      return new RetainerGraph(
        () => {
          const sub = groups.toSubgraph({ maxNodes: options.maxNodes ?? DEFAULT_GROUP_NODES });
          return owned ? withoutOwned(sub, s.graph, owned) : sub;
        },
        candidates.length,
        () => formatGroupedText(groups.report(TEXT_PATTERNS)),
        // An explicit node budget asks for that many boxes: the picture leaves nothing out to fit.
        { omitted: 0, byRetainedSize: retained, shrinkToFit: options.maxNodes === undefined },
      );
    }
    // Choosing the targets reads every retained size only when the matches are spread widely.
    const allSizes = retained && chooseTargetsReadsAllSizes(s.graph, candidates) ? (["retained"] as const) : [];
    s.graph.readAhead(options.each ? allSizes : [...allSizes, ...walkReadAhead()]);
    const { drawn, omitted } = chooseTargets(s.graph, ctx, candidates, maxTargets);
    const walk: BackrefsOptions = {
      depth: options.depth ?? defaultBackrefsOptions.depth,
      tooMany: options.tooMany ?? defaultBackrefsOptions.tooMany,
      maxNodes: options.maxNodes ?? defaultBackrefsOptions.maxNodes,
      weak: options.weak ?? defaultBackrefsOptions.weak,
      path: options.path ?? defaultBackrefsOptions.path,
      pathOnly: options.pathOnly ?? defaultBackrefsOptions.pathOnly,
    };
    return new RetainerGraph(
      () => {
        let sub = retainerSubgraph(s.graph, ctx, drawn, walk, omitted);
        if (owned) sub = withoutOwned(sub, s.graph, owned);
        // Linked lists on the way read as one node ("Timeout ×37 via ._idleNext").
        sub = foldChains(sub);
        if (baseline) for (const node of sub.nodes) node.isNew = !baseline.has(node.id);
        return sub;
      },
      candidates.length,
      () => formatPathsText(retainingPaths(s.graph, ctx, drawn)),
      { omitted, byRetainedSize: retained, firstId: s.graph.nodeId(drawn[0]!), shrinkToFit: options.maxNodes === undefined },
    );
  }

  /** `retainers(selection, options).toDot()`. */
  async toDot(selection: Selection, options: RetainersOptions & ToDotOptions = {}): Promise<string> {
    return (await this.retainers(selection, options)).toDot(options);
  }

  /** `retainers(selection, options).toSvg()`. */
  async toSvg(selection: Selection, options: RetainersOptions & RenderSvgOptions = {}): Promise<string> {
    return (await this.retainers(selection, options)).toSvg(options);
  }

  /** `retainers(selection, options).toPng()`. */
  async toPng(selection: Selection, options: RetainersOptions & PngOptions = {}): Promise<Uint8Array> {
    return (await this.retainers(selection, options)).toPng(options);
  }

  /** `retainers(selection, options).toJson()`: the CLI's `--format json`. */
  async toJson(selection: Selection, options: RetainersOptions = {}): Promise<string> {
    return (await this.retainers(selection, options)).toJson();
  }

  /**
   * Why objects are alive: for each, the K shortest distinct retaining paths from a root, the
   * distance, and the dominator chain — the CLI's `backrefs why --json`. Objects named by id are
   * all explained; a class or name is cut to `maxTargets` (default 3), largest retained size first.
   */
  async why(selection: Selection, options: WhyOptions = {}): Promise<WhyAlive[]> {
    return (await this.whyReport(selection, { ...options, grouped: false })).objects;
  }

  /**
   * {@link why} with what the CLI says around it: how many objects matched, and when more matched
   * than were explained, every match's retaining path grouped by class and edge.
   */
  async whyReport(selection: Selection, options: WhyOptions = {}): Promise<WhyReport> {
    const { walkContext, walkReadAhead, chooseTargets, chooseTargetsReadsAllSizes, whyAlive, groupRetainingPaths } = await objectQueries();
    const s = this.#s;
    const retained = options.retained ?? true;
    // The paths of the objects explained read what a per-object picture's walk reads (read ahead
    // from a cached snapshot, with the class index a class selection reads first); the matches'
    // retained sizes too when they are spread widely (see chooseTargetsReadsAllSizes).
    const { candidates, byIdOnly } = this.candidates(selection, walkReadAhead());
    if (!byIdOnly && retained && chooseTargetsReadsAllSizes(s.graph, candidates)) s.graph.readAhead(["retained"]);
    const ctx: WalkContext = walkContext(s.graph, { analysis: await s.ready(retained), retained });
    // Objects asked for by id are all explained; a class is cut to maxTargets, largest first.
    const { drawn, omitted } = byIdOnly
      ? { drawn: candidates, omitted: 0 }
      : chooseTargets(s.graph, ctx, candidates, options.maxTargets ?? 3);
    const objects = whyAlive(s.graph, ctx, drawn, options.paths ?? 1);
    return {
      matched: candidates.length,
      objects,
      grouped: options.grouped !== false && omitted > 0 ? groupRetainingPaths(s.graph, ctx, candidates).report(WHY_PATTERNS) : null,
      byRetainedSize: ctx.retained,
    };
  }

  /**
   * {@link why} as the CLI's text: paths as staircases, then the dominator chain; when more
   * objects matched than were explained, first every match's path, grouped.
   */
  async whyText(selection: Selection, options: WhyOptions = {}): Promise<string> {
    const r = await this.whyReport(selection, options);
    const { formatGroupedText, formatWhyText } = await objectQueries();
    return (r.grouped ? formatGroupedText(r.grouped) + "\n" : "") + formatWhyText(r.objects);
  }

  /** Node ordinals of a selection, backrefs' own objects left out of class and name matches. */
  private ordinalsOf(selection: Selection): number[] {
    return this.candidates(selection).candidates;
  }

  /** `ahead`: what the caller reads next, read ahead with what the selection reads (see HeapGraph.readAhead). */
  private candidates(
    selection: Selection,
    ahead: readonly ReadAheadPart[] = [],
    /** Also read ahead when objects are chosen by class or name (not by id alone). */
    aheadByClassOrName: readonly ReadAheadPart[] = [],
  ): { candidates: number[]; byIdOnly: boolean; baseline?: SnapshotIds } {
    const s = this.#s;
    const spec = normalize(selection);
    // A class is found through the class index, read whole (from a cached snapshot, on a second
    // thread too: one that a grouped picture then finds started).
    const byClassOrName = spec.types.length > 0 || spec.names.length > 0 ? aheadByClassOrName : [];
    const parts: ReadAheadPart[] = spec.types.length > 0 ? ["classes", ...ahead, ...byClassOrName] : [...ahead, ...byClassOrName];
    if (parts.length > 0) s.graph.readAhead(parts);
    const sel = selectNodes(s.graph, spec);
    let candidates = sel.ordinals;
    const owned = s.owned;
    if (owned && (spec.types.length || spec.names.length || spec.detached)) {
      const ids = new Set(spec.ids);
      candidates = candidates.filter((n) => owned[n] !== 1 || ids.has(s.graph.nodeId(n)));
      if (candidates.length === 0) throw new QueryError("no objects match (only backrefs' own objects did)");
    }
    let baseline: SnapshotIds | undefined;
    if (spec.newSince instanceof SnapshotIds) {
      baseline = spec.newSince;
      assertComparableIds(baseline, s.snapshotIds(), ["the baseline", "this snapshot"]);
    } else if (spec.newSince) {
      const base = spec.newSince.#s;
      this.assertSameIds(base, ["the baseline", "this snapshot"]);
      baseline = base.snapshotIds();
    }
    if (baseline) {
      const before = candidates.length;
      candidates = candidates.filter((n) => !baseline!.has(s.graph.nodeId(n)));
      if (candidates.length === 0) {
        throw new QueryError(
          `none of the ${formatCount(before)} matching objects is new since the baseline`,
          "they were all allocated before the baseline snapshot was taken",
        );
      }
    }
    const byIdOnly = spec.ids.length > 0 && spec.types.length === 0 && spec.names.length === 0 && !spec.detached;
    return { candidates, byIdOnly, baseline };
  }

  /** Throws when objects of `base` and of this snapshot cannot be matched by id. */
  private assertSameIds(base: BackrefsSnapshotState, labels: [string, string]): void {
    const s = this.#s;
    if (base.live && s.live && base.live.isolate === s.live.isolate) {
      if (base.live.epoch !== s.live.epoch) {
        throw new IdsResetError("the baseline was taken before V8's heap ids were reset in this process: its ids name other objects now");
      }
    } else {
      assertComparableIds(base.snapshotIds(), s.snapshotIds(), labels);
    }
  }
}

/**
 * The answer of {@link Snapshot.retainers}: the retainer subgraph as plain data (`subgraph`, the
 * CLI's JSON) and the ways to draw it. objgraph's users asked for exactly this: a graph object
 * with `save('x.png')` and `as_dot()`.
 */
export class RetainerGraph {
  /** How many objects the selection matched (the drawn ones are `subgraph.targets`). */
  readonly matched: number;
  /** Objects that matched but are not drawn one by one (more than `maxTargets`, with `each`); 0 for a grouped picture. */
  readonly omitted: number;
  /** The drawn objects were chosen by retained size (false: newest first, by id). */
  readonly byRetainedSize: boolean;
  /** @internal The first object drawn one by one (the CLI's hints name it). */
  readonly firstId: number | undefined;
  #subgraph: Subgraph | (() => Subgraph);
  #text: string | (() => string);
  #fitted: Promise<FittedPicture> | null = null;
  /** Pictures may leave objects out to fit a screen (not when a node budget was asked for). */
  readonly #shrink: boolean;

  /** @internal Made by {@link Snapshot.retainers}; the subgraph and the text are made when first asked for. */
  constructor(
    subgraph: Subgraph | (() => Subgraph),
    matched: number,
    text: string | (() => string),
    more: { omitted?: number; byRetainedSize?: boolean; firstId?: number; shrinkToFit?: boolean } = {},
  ) {
    this.#subgraph = subgraph;
    this.matched = matched;
    this.#text = text;
    this.omitted = more.omitted ?? 0;
    this.byRetainedSize = more.byRetainedSize ?? true;
    this.firstId = more.firstId;
    this.#shrink = more.shrinkToFit ?? true;
  }

  /** The drawn targets' heap ids, nodes, edges, placeholders and limits: the CLI's `--format json`. */
  get subgraph(): Subgraph {
    if (typeof this.#subgraph === "function") this.#subgraph = this.#subgraph();
    return this.#subgraph;
  }

  /** A grouped picture (more matches than `maxTargets`): every match's path merged by class and edge. */
  get grouped(): boolean {
    return this.subgraph.grouped !== undefined;
  }

  get targets(): number[] {
    return this.subgraph.targets;
  }
  get nodes(): SubgraphNode[] {
    return this.subgraph.nodes;
  }
  get edges(): SubgraphEdge[] {
    return this.subgraph.edges;
  }
  get placeholders(): SubgraphPlaceholder[] {
    return this.subgraph.placeholders;
  }
  get limitsReached(): LimitsReached {
    return this.subgraph.limitsReached;
  }

  /**
   * The DOT of the subgraph, top to bottom (or as `options` say). `render("dot")` and `save("x.dot")`
   * write the DOT of the layout that fits (see {@link fit}), as the CLI's `-o x.dot` does.
   */
  toDot(options: ToDotOptions = {}): string {
    // Loaded by Snapshot.retainers, which made this graph.
    return dotModule!.toDot(this.subgraph, options);
  }

  /**
   * The picture laid out to fit a screen, as the CLI draws it (see `layoutToFit`): the DOT that
   * was laid out, the SVG, and the PNG zoom. Laid out once; every format after the first reuses it.
   */
  fit(options: RenderSvgOptions = {}): Promise<FittedPicture> {
    if (!this.#fitted) {
      // Loaded on first use, like png.js below: what lays out and rasterises pictures (Graphviz's
      // worker, resvg) is not loaded by the commands and programs that draw nothing.
      const p = import("../render/fit.js").then(({ layoutToFit }) =>
        layoutToFit(this.subgraph, { timeoutMs: options.timeoutMs, signal: options.signal, shrink: this.#shrink }),
      );
      // A failed layout (timeout, abort) is not kept: a later call tries again.
      p.catch(() => {
        if (this.#fitted === p) this.#fitted = null;
      });
      this.#fitted = p;
    }
    return this.#fitted;
  }

  /**
   * Laid out by WASM Graphviz in a worker (30 s limit by default), checked safe; in the layout that
   * fits a screen, as the CLI draws it (see {@link fit}).
   */
  async toSvg(options: RenderSvgOptions = {}): Promise<string> {
    return (await this.fit(options)).svg;
  }

  /**
   * Rasterised by WASM resvg with the bundled fonts; `scale` as the CLI's `--scale` (default: 1.5,
   * lowered to fit 4,000 px a side but never below 11 px text).
   */
  async toPng(options: PngOptions & RenderSvgOptions = {}): Promise<Uint8Array> {
    const fitted = await this.fit(options);
    const { renderPng } = await import("../render/png.js");
    return renderPng(
      fitted.svg,
      options.scale === undefined ? { scale: fitted.zoom, maxPixels: DEFAULT_MAX_PIXELS } : { scale: options.scale },
    );
  }

  /** The CLI's `--format json`, byte for byte. */
  toJson(): string {
    return JSON.stringify(this.subgraph, null, 2) + "\n";
  }

  /**
   * The CLI's text output: each drawn target's shortest retaining path, or for a grouped picture
   * one line per retaining pattern, the most objects first.
   */
  toText(): string {
    if (typeof this.#text === "function") this.#text = this.#text();
    return this.#text;
  }

  /** The picture in a format (`dot`, `svg`, `png`, `json`, `text`), as the CLI writes it. */
  async render(format: OutputFormat, options: PngOptions & RenderSvgOptions = {}): Promise<string | Uint8Array> {
    switch (format) {
      case "dot":
        return (await this.fit(options)).dot;
      case "svg":
        return this.toSvg(options);
      case "png":
        return this.toPng(options);
      case "json":
        return this.toJson();
      case "text":
        return this.toText();
    }
  }

  /**
   * Writes the picture to `path`, in the format its extension names (`.dot`, `.svg`, `.png`,
   * `.json`, `.txt`), atomically: a failure leaves no half-written file.
   */
  async save(path: string, options: SaveOptions = {}): Promise<void> {
    const data = await this.render(options.format ?? formatOfFile(path), options);
    await writeFileAtomic(path, data, options);
  }
}

// ------------------------------------------------------------------------------------ helpers

let dotModule: typeof import("../render/dot.js") | undefined;
let objectQueriesLoaded: ReturnType<typeof loadObjectQueries> | undefined;

/**
 * What only the questions about particular objects use (the walks, the grouped paths, the paths of
 * `why`, and what writes them as text and DOT), loaded by the first such question: `info`, `types`
 * and the comparisons by class do not load these modules.
 */
function objectQueries(): ReturnType<typeof loadObjectQueries> {
  return (objectQueriesLoaded ??= loadObjectQueries());
}

/**
 * @internal Starts loading what {@link Snapshot.retainers} and {@link Snapshot.whyReport} use, for
 * a command that will ask them: loaded while the snapshot is opened, these modules are there when
 * the question comes (from a cached snapshot, its reading ahead then starts at once).
 */
export function prepareObjectQueries(): void {
  objectQueries().catch(() => {}); // (a failure is seen by the question that awaits it)
}

async function loadObjectQueries() {
  const [backrefs, group, paths, fold, groupedText, pathsText, dot] = await Promise.all([
    import("../query/backrefs.js"),
    import("../query/group.js"),
    import("../query/paths.js"),
    import("../query/fold.js"),
    import("../render/grouped-text.js"),
    import("../render/paths-text.js"),
    import("../render/dot.js"),
  ]);
  dotModule = dot;
  return {
    chooseTargets: backrefs.chooseTargets,
    chooseTargetsReadsAllSizes: backrefs.chooseTargetsReadsAllSizes,
    defaultBackrefsOptions: backrefs.defaultBackrefsOptions,
    retainerSubgraph: backrefs.retainerSubgraph,
    walkContext: backrefs.walkContext,
    walkReadAhead: backrefs.walkReadAhead,
    DEFAULT_GROUP_NODES: group.DEFAULT_GROUP_NODES,
    GROUP_WALK_READ_AHEAD: group.GROUP_WALK_READ_AHEAD,
    groupRetainingPaths: group.groupRetainingPaths,
    retainingPaths: paths.retainingPaths,
    whyAlive: paths.whyAlive,
    foldChains: fold.foldChains,
    formatGroupedText: groupedText.formatGroupedText,
    formatPathsText: pathsText.formatPathsText,
    formatWhyText: pathsText.formatWhyText,
  };
}

function clampTop(top: number | undefined, dflt: number): number {
  if (top === undefined) return dflt;
  if (!(top >= 0)) throw new QueryError(`top must be a number ≥ 0, not ${top}`);
  return top === Infinity ? Number.MAX_SAFE_INTEGER : Math.floor(top);
}

/** `123`, `"@123"` or `"123"` → 123. */
export function parseId(id: HeapId | string): number {
  if (typeof id === "number" && Number.isSafeInteger(id) && id >= 0) return id;
  const m = typeof id === "string" ? /^@?(\d+)$/.exec(id.trim()) : null;
  if (!m || !Number.isSafeInteger(Number(m[1])))
    throw new QueryError(`a heap id is a whole number like 123 or "@123", not ${JSON.stringify(id)}`);
  return Number(m[1]);
}

interface NormalSelection {
  types: string[];
  names: string[];
  ids: number[];
  detached: boolean;
  newSince?: Snapshot | SnapshotIds;
}

function list<T>(v: T | readonly T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? [...(v as readonly T[])] : [v as T];
}

function normalize(selection: Selection): NormalSelection {
  if (typeof selection === "number" || typeof selection === "string")
    return { types: [], names: [], ids: [parseId(selection)], detached: false };
  if (Array.isArray(selection)) return { types: [], names: [], ids: (selection as readonly HeapId[]).map(parseId), detached: false };
  const spec = selection as Exclude<Selection, HeapId | readonly HeapId[]>;
  if (spec === null || typeof spec !== "object")
    throw new QueryError("a selection is a heap id, a list of ids, or { type, name, id, detached }");
  return {
    types: list(spec.type),
    names: list(spec.name),
    ids: list(spec.id).map(parseId),
    detached: spec.detached === true,
    newSince: spec.newSince,
  };
}

/**
 * The subgraph without backrefs' own objects: they are removed with their edges and placeholders,
 * and so is whatever then no longer leads to a target.
 */
function withoutOwned(sub: Subgraph, graph: HeapGraph, owned: Uint8Array): Subgraph {
  const ownIds = new Set<number>();
  const ids = graph.columns.nodeId;
  const wanted = new Set(sub.nodes.map((n) => n.id));
  for (let n = 0; n < ids.length && ownIds.size < wanted.size; n++) {
    if (owned[n] === 1 && wanted.has(ids[n]!)) ownIds.add(ids[n]!);
  }
  if (ownIds.size === 0) return sub;
  const edges = sub.edges.filter((e) => !ownIds.has(e.from) && !ownIds.has(e.to));
  // Keep what still leads down to a target.
  const keep = new Set<number>(sub.targets.filter((t) => !ownIds.has(t)));
  const into = new Map<number, number[]>();
  for (const e of edges) {
    const l = into.get(e.to) ?? [];
    l.push(e.from);
    into.set(e.to, l);
  }
  const stack = [...keep];
  while (stack.length > 0) {
    for (const from of into.get(stack.pop()!) ?? []) {
      if (!keep.has(from)) {
        keep.add(from);
        stack.push(from);
      }
    }
  }
  return {
    ...sub,
    targets: sub.targets.filter((t) => keep.has(t)),
    nodes: sub.nodes.filter((n) => keep.has(n.id)),
    edges: edges.filter((e) => keep.has(e.from) && keep.has(e.to)),
    placeholders: sub.placeholders.filter((p) => keep.has(p.of) && (p.after === undefined || keep.has(p.after))),
  };
}

/**
 * A function that runs a full garbage collection now, without command-line flags: V8's
 * `--expose-gc` switched on for a moment, `gc` taken from a fresh context (the flag only installs
 * it in contexts made while it is set), then the flag switched off again — the function stays
 * usable. Off again because while any V8 flag differs from its default, Node compiles its own
 * modules from source instead of taking them from its code cache, in this thread and in every
 * worker thread started later (a worker's start took ~1.5× the CPU). Not switched off when Node
 * was started with it (then `gc` is normally global already). Undefined where that cannot be had.
 */
export function forceGc(): (() => void) | undefined {
  if (gcFunction !== null) return gcFunction;
  try {
    // Only on first need: a library user who never needs a collection never touches V8's flags.
    const g = (globalThis as { gc?: unknown }).gc;
    if (typeof g === "function") gcFunction = g as () => void;
    else {
      setFlagsFromString("--expose-gc");
      try {
        gcFunction = runInNewContext("gc") as () => void;
      } finally {
        if (!startedWithExposeGc(process.execArgv, process.env["NODE_OPTIONS"])) setFlagsFromString("--no-expose-gc");
      }
    }
  } catch {
    gcFunction = undefined;
  }
  return gcFunction;
}

/** Whether Node's own flags (`node --expose-gc`, or in NODE_OPTIONS) switch V8's `--expose-gc` on. */
export function startedWithExposeGc(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) => /^--expose[-_]gc$/.test(a));
}
let gcFunction: (() => void) | undefined | null = null;
