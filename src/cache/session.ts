/**
 * The snapshot cache over the life of one job (a CLI command, say): graphs are loaded from their
 * entry when it is valid, an analysis starts from what the entry holds, and entries that are new
 * or gained analysis are completed when the caller says the job is done ({@link CacheSession.flush}),
 * so that writing never delays an answer. A new entry is begun as soon as its snapshot is read, and
 * for big snapshots mostly written while the job computes (see {@link SnapshotCache.begin}); until
 * flushed it is a temporary file, and {@link CacheSession.drop} removes it. What happens is told
 * to `onEvent`; nothing is printed.
 *
 * @example
 * const session = new CacheSession(new SnapshotCache({ dir }), (e) => console.error(e));
 * const snap = await openSnapshot("app.heapsnapshot", { cache: session });
 * console.log(await snap.types());
 * await session.flush();
 */
import { CacheDamagedError, SnapshotFormatError } from "../errors.js";
import { HeapGraph, nameClassesAlongsideEdges, type ClassParts } from "../graph/heap-graph.js";
import { HeapAnalysis, type AnalysisOptions, type AnalysisParts } from "../graph/analysis.js";
import { computeIdSample, idSampleColumns, nameIdSample, packIdSample, type ChosenIds } from "../graph/id-sample.js";
import type { ReadOptions } from "../snapshot/read.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import type { CacheKey, PendingSave, SaveResult, SnapshotCache } from "./store.js";
import { CacheFormatError, type EntryStamp, type LateContent, type LatePart, type LaterParts } from "./entry.js";

/** What a session did with the cache, for its owner to report. */
export type CacheEvent =
  /** A graph was loaded from its entry, in `seconds`. */
  | { kind: "used"; entry: string; bytes: number; seconds: number }
  /** An entry was there but unusable (`reason`); the snapshot is read instead. */
  | { kind: "ignored"; entry: string; reason: string }
  /**
   * A part of an entry (`part`: the class index, checked when first needed; or a part added to the
   * entry later, checked when the entry is opened) was unusable (`reason`); it is computed instead
   * when needed.
   */
  | { kind: "ignored-part"; entry: string; part: PartName; reason: string }
  /**
   * An entry was written by {@link CacheSession.flush} (`seconds`: what completing it took there),
   * or parts were added to it (`result.added`).
   */
  | { kind: "written"; result: Extract<SaveResult, { kind: "written" }>; seconds: number }
  /** An entry could not be written. */
  | { kind: "not-written"; file: string; reason: string };

/** What the session knows of a loaded graph. */
interface Tracked {
  key: CacheKey;
  raw: RawSnapshot;
  /** The analysis the entry held (null when none, or when the snapshot was read). */
  saved: AnalysisParts | null;
  analysis: HeapAnalysis | null;
  file: string;
  /** The entry begun when the snapshot was read (a miss), or why none was. */
  pending: PendingSave | Extract<SaveResult, { kind: "not-written" }> | null;
  graph: HeapGraph;
  /** What the entry held, read when first needed (a hit). */
  later: LaterParts | null;
  /** What the entry held, with its late parts (a hit). */
  held: { analysis: boolean; tree: boolean; classRetained: boolean };
  /** The entry file read (a hit): parts computed meanwhile are added to it. */
  stamp: EntryStamp | null;
  /** Whether the entry held a usable class index (false from when it fails its checks). */
  heldClasses: boolean;
  /** Whether the entry held a usable id sample (false from when it fails its checks). */
  heldIdSample: boolean;
  /**
   * Whether the per-class totals computed here were added to the entry. (The graph computes them
   * only when the entry holds none it can use.)
   */
  addedSummary: boolean;
  /** The new entry's id sample being chosen on its checksum thread (see {@link #idSampleToAdd}). */
  chosenIds: Promise<ChosenIds> | null;
}

export class CacheSession {
  readonly #tracked = new WeakMap<HeapGraph, Tracked>();
  /** Graphs whose entry should be (re)written when the job is done. */
  #toWrite: Tracked[] = [];

  constructor(
    readonly cache: SnapshotCache,
    private readonly onEvent: (e: CacheEvent) => void = () => {},
    /** Entries not to read (found damaged before): the snapshot is read instead, and its entry written again. */
    private readonly skip: ReadonlySet<string> = new Set(),
  ) {}

  /**
   * Loads a snapshot file: from its entry when there is a valid one, else by reading the file (its
   * entry is then begun, and completed by {@link flush}). Standard input (`-`) is read, never cached.
   */
  async load(file: string, read: ReadOptions = {}): Promise<HeapGraph> {
    if (file === "-") return new HeapGraph(await readSnapshot(file, read));
    const start = process.hrtime.bigint();
    const look = await this.cache.lookup(file, this.skip);
    if (look.kind === "hit") {
      try {
        const graph = new HeapGraph(look.content.raw);
        const t: Tracked = {
          key: look.key,
          raw: look.content.raw,
          saved: look.content.analysis,
          analysis: null,
          file,
          pending: null,
          graph,
          later: look.content.later,
          held: look.content.holds,
          stamp: look.content.stamp,
          heldClasses: look.content.later.classes !== null,
          heldIdSample: look.content.later.idSample !== null,
          addedSummary: false,
          chosenIds: null,
        };
        graph.useStoredIndexes({
          classes: this.#storedClasses(look.entry, t),
          idSample: this.#storedIdSample(look.entry, t),
          // An id sample computed here is added when the job is done, also when it asked for no
          // analysis (the first two snapshots of `leaks`: their graphs are then kept until the job
          // is done, which only the first comparison on an entry does).
          onIdSample: () => {
            if (!this.#toWrite.includes(t)) this.#toWrite.push(t);
          },
          classSummary: this.#storedPart(look.entry, "per-class totals", t.later?.classSummary, () => {}),
          // Totals computed here (the entry holds none it can use) are added when the job is done.
          onClassSummary: () => {
            if (!this.#toWrite.includes(t)) this.#toWrite.push(t);
          },
        });
        this.#tracked.set(graph, t);
        for (const i of look.content.ignored)
          this.onEvent({ kind: "ignored-part", entry: look.entry, part: PART_NAMES[i.part], reason: i.reason });
        this.onEvent({ kind: "used", entry: look.entry, bytes: look.bytes, seconds: secondsSince(start) });
        return graph;
      } catch (e) {
        if (!(e instanceof SnapshotFormatError)) throw e;
        this.onEvent({ kind: "ignored", entry: look.entry, reason: e.message });
      }
    } else if (look.kind === "miss" && look.reason !== null) {
      this.onEvent({ kind: "ignored", entry: look.entry, reason: look.reason });
    }
    // The new entry's checksum thread starts while the file is read (see SnapshotCache.checksumsFor).
    const checksums = look.kind !== "uncacheable" ? this.cache.checksumsFor(look.key) : null;
    // An entry written in the background is begun as soon as all but the edges is read, while
    // another thread still reads them (ReadOptions.alongsideEdges): its other columns are written
    // and summed meanwhile, the edges' once read.
    const begun: { pending: Tracked["pending"] } = { pending: null };
    const beginEarly =
      checksums && look.kind !== "uncacheable"
        ? (rest: Omit<RawSnapshot, "edges">): void => {
            read.alongsideEdges?.(rest);
            const edges = { type: new Uint8Array(0), name: new Uint32Array(0), to: new Uint32Array(0), maxStringRef: 0 };
            begun.pending = this.cache.begin(look.key, { ...rest, edges }, checksums, true);
          }
        : null;
    let raw: RawSnapshot;
    let graph: HeapGraph;
    const alongside = nameClassesAlongsideEdges(beginEarly ? { ...read, alongsideEdges: beginEarly } : read);
    try {
      raw = await readSnapshot(file, alongside.options);
      // (A snapshot whose columns the graph refuses has no entry: one begun is given up.)
      graph = new HeapGraph(raw);
    } catch (e) {
      const pending = begun.pending;
      if (pending && "abandon" in pending) await pending.abandon();
      else if (pending === null) await checksums?.close();
      throw e;
    }
    alongside.give(graph);
    if (look.kind !== "uncacheable") {
      let pending = begun.pending;
      if (pending === null) pending = this.cache.begin(look.key, raw, checksums);
      else if ("hand" in pending) pending.hand({ raw, analysis: null });
      // The entry is written while the job goes on: the columns now, the analysis once known.
      const t: Tracked = {
        key: look.key,
        raw,
        saved: null,
        analysis: null,
        file,
        pending,
        graph,
        later: null,
        held: { analysis: false, tree: false, classRetained: false },
        stamp: null,
        heldClasses: false,
        heldIdSample: false,
        addedSummary: false,
        chosenIds: null,
      };
      // The id sample a big snapshot's entry gets, chosen on the checksum thread once it has summed
      // the columns, while this thread computes the answer: as big as the snapshots whose sample is
      // made alongside the helper thread (see alongside), for the same reason (the sample's objects
      // add a few MB to the peak memory then, too many for the time saved below).
      const early = graph.nodeCount >= Math.max(this.cache.idSampleEarlyNodes, this.cache.idSampleAlongsideNodes);
      if (checksums && this.cache.idSampleThread && t.pending && "finish" in t.pending && early) {
        t.chosenIds = checksums.chooseIdSample(idSampleColumns(graph));
      }
      this.#tracked.set(graph, t);
      this.#toWrite.push(t);
    }
    return graph;
  }

  /**
   * The graph's class index from the entry, read when the graph first needs it. One that fails its
   * checks is said, computed by the graph instead, and saved again when the job is done.
   */
  #storedClasses(entry: string, t: Tracked): (() => ClassParts | null) | null {
    return this.#storedPart(entry, "class index", t.later?.classes, () => {
      t.heldClasses = false;
      if (!this.#toWrite.includes(t)) this.#toWrite.push(t);
    });
  }

  /**
   * The id-trust check's sample from the entry, like {@link #storedClasses}; the graph tells the
   * session when it computed one instead (which queues it for saving).
   */
  #storedIdSample(entry: string, t: Tracked): (() => Uint32Array | null) | null {
    return this.#storedPart(entry, "id sample", t.later?.idSample, () => {
      t.heldIdSample = false;
    });
  }

  /** A part the entry may do without, read on first use: one that fails is said, `failed` is told, and null is the answer. */
  #storedPart<T>(entry: string, part: PartName, load: (() => T) | null | undefined, failed: () => void): (() => T | null) | null {
    if (!load) return null;
    return () => {
      try {
        return load();
      } catch (e) {
        this.onEvent({ kind: "ignored-part", entry, part, reason: describeReadError(e) });
        failed();
        return null;
      }
    };
  }

  /**
   * The analysis of a graph this session loaded, started from what its entry holds; `compute`
   * prepares what is missing (`retained`: the dominator tree and retained sizes too). What the
   * analysis computes meanwhile is saved at {@link flush}: in a new entry, or, for one read from
   * the cache, as late parts beside it (the entry itself is never rewritten).
   */
  async analysis(
    graph: HeapGraph,
    retained: boolean,
    options: AnalysisOptions,
    compute: (start: HeapAnalysis) => Promise<void>,
    /** An analysis of `graph` made (and begun) by the caller, used when the entry holds no analysis parts ({@link holdsAnalysis}). */
    made?: HeapAnalysis,
  ): Promise<HeapAnalysis> {
    const t = this.#tracked.get(graph);
    const start = t?.saved ? HeapAnalysis.fromParts(graph, t.saved, options) : (made ?? new HeapAnalysis(graph, options));
    if (t) {
      t.analysis = start;
      // Parts computed later (per-class retained sizes) are saved too: look again when done.
      if (!this.#toWrite.includes(t)) this.#toWrite.push(t);
    }
    if (t?.saved && (!retained || t.saved.tree)) return start;
    await compute(start);
    const pending = t?.pending;
    if (pending && "hand" in pending) {
      const parts = start.savedParts();
      if (parts) pending.hand({ raw: t!.raw, analysis: parts });
    }
    return start;
  }

  /** Whether the entry `graph` was read from holds analysis parts ({@link analysis} then starts from them). */
  holdsAnalysis(graph: HeapGraph): boolean {
    return Boolean(this.#tracked.get(graph)?.saved);
  }

  /**
   * Work for the new entry of `graph` that would otherwise be done when the job is done, done
   * while this thread waits for the analysis' helper thread to finish the dominator tree
   * (`helperBusy()`, see `PrepareOptions.alongside`): the id sample a big snapshot's entry gets at
   * once (see {@link CacheOptions.idSampleEarlyNodes}, and idSampleAlongsideNodes for which). What
   * is not done then is done at the end, as before; the entry is the same either way. Never
   * throws: what fails here is tried again at the end.
   */
  alongside(graph: HeapGraph, helperBusy: () => boolean): void {
    const t = this.#tracked.get(graph);
    const pending = t?.pending;
    if (!t || !pending || !("finish" in pending) || !pending.background) return;
    try {
      const early = Math.max(this.cache.idSampleEarlyNodes, this.cache.idSampleAlongsideNodes);
      if (helperBusy() && t.chosenIds === null && graph.idSampleParts() === null && graph.nodeCount >= early) {
        graph.keepIdSample(packIdSample(computeIdSample(graph)));
      }
    } catch {
      // Too big for this process's memory now: done (or said) at the end.
    }
  }

  /** Completes the entries that are new or gained analysis (told to `onEvent`); never throws. */
  async flush(): Promise<void> {
    const jobs = this.#toWrite;
    this.#toWrite = [];
    for (const t of jobs) {
      try {
        await this.#complete(t);
      } catch (e) {
        // The answer is computed: whatever goes wrong with an entry now is said, and the entry begun is
        // removed, but it is never the command's error, and the other entries are still completed.
        const pending = t.pending;
        if (pending && "abandon" in pending) await pending.abandon().catch(() => {});
        this.onEvent({ kind: "not-written", file: t.file, reason: describeWriteError(e) });
      } finally {
        t.pending = null;
      }
    }
  }

  async #complete(t: Tracked): Promise<void> {
    const start = process.hrtime.bigint();
    if (t.pending === null) {
      // An entry read from the cache: what the job computed that it lacks is added beside it
      // (known without reading the parts it holds, which are read on first use).
      if (!t.stamp) return;
      // The tree computed here, on a big snapshot: its per-class sizes too, as on a first look.
      if (t.analysis?.computedParts().tree && !t.held.classRetained) this.#classRetainedEarly(t, true);
      const { content, parts } = this.#added(t);
      if (parts.length === 0) return;
      const r = this.cache.addParts(t.stamp, content, parts);
      if (r.kind === "written") {
        // Held now: a later flush of the same job (a picture flushes early, then at the end) adds
        // only what is new since.
        for (const p of parts) {
          if (p === "analysis") t.held.analysis = true;
          else if (p === "tree") t.held.tree = true;
          else if (p === "class-retained") t.held.classRetained = true;
          else if (p === "classes") t.heldClasses = true;
          else if (p === "ids") t.heldIdSample = true;
          else if (p === "summary") t.addedSummary = true;
        }
        this.onEvent({ kind: "written", result: r, seconds: secondsSince(start) });
      } else this.onEvent({ kind: "not-written", file: t.file, reason: r.reason });
      return;
    }
    const pending = t.pending;
    const classes = t.graph.classParts();
    this.#classRetainedEarly(t, classes !== null);
    const a = t.analysis;
    const content = { raw: t.raw, analysis: a?.savedParts() ?? t.saved, classes };
    let packed: Uint32Array | null = null;
    if ("finish" in pending) {
      // The sections not handed over yet (the class index) start being written now, and the id
      // sample is computed meanwhile, instead of after the whole entry is written.
      pending.hand(content);
      packed = await this.#idSampleToAdd(t);
    }
    let r = "finish" in pending ? await pending.finish(content) : pending;
    const summary = t.graph.classSummaryParts();
    if (r.kind === "written" && r.stamp && (packed || summary)) {
      // Said as part of the entry: its size and the cache's total count the sample and the totals.
      const added = this.#addAtOnce({ idSample: packed, classSummary: summary }, r.stamp);
      if (added) r = { ...r, bytes: r.bytes + added.bytes, totalBytes: added.totalBytes };
    }
    if (r.kind === "written") this.onEvent({ kind: "written", result: r, seconds: secondsSince(start) });
    else this.onEvent({ kind: "not-written", file: t.file, reason: r.reason });
  }

  /**
   * The id sample to add to a new entry at once (null: none): the one the job computed (a
   * comparison), or for a big snapshot one computed now (see {@link CacheOptions.idSampleEarlyNodes}),
   * so that the first comparison after this command reads it. Counted in what is said of the entry
   * (the result returned), not said apart: the entry is complete without it, and a later comparison
   * that finds none computes it and adds it (and says so). Never added at the cost of another
   * entry: a cache that would have to drop one for it goes without (an optional part of a few MB is
   * not worth an entry that took a full read to make).
   */
  async #idSampleToAdd(t: Tracked): Promise<Uint32Array | null> {
    const computed = t.graph.idSampleParts();
    if (!computed && t.graph.nodeCount < this.cache.idSampleEarlyNodes) return null;
    try {
      if (computed) return computed;
      const chosen = t.chosenIds ? await t.chosenIds : null;
      return packIdSample(chosen ? nameIdSample(t.graph, chosen) : computeIdSample(t.graph));
    } catch {
      // Too big for this process's memory now: the next comparison computes it.
      return null;
    }
  }

  /**
   * Adds to the entry just written its id sample ({@link #idSampleToAdd}) and the per-class totals
   * the job computed, those given; null when not added.
   */
  #addAtOnce(content: LateContent, stamp: EntryStamp): { bytes: number; totalBytes: number } | null {
    const parts: LatePart[] = [];
    if (content.idSample) parts.push("ids");
    if (content.classSummary) parts.push("summary");
    try {
      const r = this.cache.addParts(stamp, content, parts, { dropOthers: false });
      return r.kind === "written" ? { bytes: r.bytes, totalBytes: r.totalBytes } : null;
    } catch {
      // The file cannot be written: the next command that needs them computes them.
      return null;
    }
  }

  /**
   * A big snapshot's per-class retained sizes, when the job has what they need (the dominator tree
   * and the classes) but did not ask for them: computed now, so that a later `info` or `types`
   * need not read the whole tree to compute them (over a second at 13 million nodes, which the
   * second look cannot spare; here, once the answer is computed, about half of that on arrays in memory).
   */
  #classRetainedEarly(t: Tracked, classesKnown: boolean): void {
    const a = t.analysis;
    if (!a || !classesKnown || t.graph.nodeCount < this.cache.classRetainedEarlyNodes) return;
    const holds = a.holds();
    if (!holds.tree || holds.classRetained) return;
    try {
      a.classRetainedSizes();
    } catch {
      // Too big for this process's memory now (the answer is computed): the entry is written
      // without them, and a later command that needs them adds them.
    }
  }

  /** What a job computed on a graph loaded from an entry that the entry lacks, as late parts. */
  #added(t: Tracked): { content: LateContent; parts: LatePart[] } {
    const held = t.held;
    const content: LateContent = {};
    const parts: LatePart[] = [];
    const a = t.analysis;
    if (a && !held.analysis) {
      // The entry had no analysis, so this one started from nothing: all it has is new.
      const all = a.savedParts();
      if (all) {
        content.analysis = all;
        parts.push("analysis");
        if (all.tree) {
          content.tree = all.tree;
          parts.push("tree");
          if (all.classRetained) {
            content.classRetained = all.classRetained;
            parts.push("class-retained");
          }
        }
      }
    } else if (a) {
      const now = a.computedParts();
      const tree = held.tree || now.tree !== null;
      if (now.tree && !held.tree) {
        content.tree = now.tree;
        parts.push("tree");
      }
      if (now.classRetained && !held.classRetained && tree) {
        content.classRetained = now.classRetained;
        parts.push("class-retained");
      }
    }
    const classes = t.graph.classParts();
    if (classes && !t.heldClasses) {
      content.classes = classes;
      parts.push("classes");
    }
    const idSample = t.graph.idSampleParts();
    if (idSample && !t.heldIdSample) {
      content.idSample = idSample;
      parts.push("ids");
    }
    const summary = t.graph.classSummaryParts();
    if (summary && !t.addedSummary) {
      content.classSummary = summary;
      parts.push("summary");
    }
    return { content, parts };
  }

  /** Forgets the entries waiting to be written, and removes those begun (a job that failed writes none). */
  async drop(): Promise<void> {
    const jobs = this.#toWrite;
    this.#toWrite = [];
    for (const t of jobs) {
      const pending = t.pending;
      t.pending = null;
      if (pending && "abandon" in pending) await pending.abandon();
    }
  }
}

/**
 * The parts of an entry as events (and the CLI's lines, "added" and "ignored" alike) name them.
 * "analysis" is the name the distances had before; it is no longer given.
 */
export type PartName =
  "class index" | "distances" | "analysis" | "dominator tree" | "per-class retained sizes" | "id sample" | "per-class totals";

/** The name of each part that can be added to an entry later (see {@link PartName}). */
export const PART_NAMES: Record<LatePart, PartName> = {
  analysis: "distances",
  tree: "dominator tree",
  "class-retained": "per-class retained sizes",
  classes: "class index",
  ids: "id sample",
  summary: "per-class totals",
};

function describeWriteError(e: unknown): string {
  if (e instanceof CacheDamagedError) return e.message;
  return `cannot write it (${e instanceof Error ? ((e as NodeJS.ErrnoException).code ?? e.message) : String(e)})`;
}

function describeReadError(e: unknown): string {
  return e instanceof CacheFormatError ? e.message : `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
}

/**
 * The snapshot reader, loaded when a snapshot is read: a command answered from a cache entry never
 * loads it (the parser and its helpers, ~10 modules).
 */
async function readSnapshot(file: string, options: ReadOptions): Promise<RawSnapshot> {
  const { readSnapshotRaw } = await import("../snapshot/read.js");
  return readSnapshotRaw(file, options);
}

/**
 * Seconds since `start` (a `process.hrtime.bigint()`): what the cache's messages say an entry took.
 * Not `performance.now()`, whose module Node loads with it (~0.8 MB and a millisecond or two).
 */
function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
