/**
 * The numbers users compare with Chrome DevTools' Memory panel: shallow sizes, distances,
 * essential edges, dominators, retained sizes — following DevTools' rules for V8 snapshots
 * (docs/devtools-rules.md; DevTools' `HeapSnapshot.ts`, `JSHeapSnapshot`).
 * Each phase is its own function, computed only when something asks for it; all iterative, all in
 * typed arrays.
 *
 * Where memlab differs (it keeps the WeakMap table→value edge and marks page ownership from the
 * other set of root edges), we follow DevTools.
 */
import type { HeapGraph } from "./heap-graph.js";
import {
  beginDominatorTree,
  dominatorTree,
  dominatorTreeWithHelper,
  idomFromPreorder,
  type BegunTree,
  type DominatorTree,
} from "./dominators.js";
import { AnalysisHelper, reportingHelper, type Helper } from "./helper.js";
import type { WorkerReport } from "../threads.js";
import { computeShallowSizes, shallowInput } from "./shallow.js";
import { essentialInput, markEssential, type EssentialInput } from "./essential.js";
import { computeDistances, countsAsUserRoot, type Distances } from "./distances.js";
import { weakMapTables } from "./weakmap-edges.js";
import { pageInput, pageOwned } from "./page-owned.js";
import { classRetainedSizes, retainedSizes } from "./retained-sizes.js";

export { NO_DISTANCE, BASE_SYSTEM_DISTANCE } from "./distances.js";

export type Phase = "shallow sizes" | "distances" | "essential edges" | "dominators" | "retained sizes";

export interface AnalysisOptions {
  /** Called when a phase starts. */
  onPhase?: (phase: Phase) => void;
  /**
   * Called by {@link HeapAnalysis.prepare} once the dominator pass has left its temporary arrays
   * (hundreds of MB on a big heap) behind: a host that can force a garbage collection (the CLI
   * does) keeps the peak memory of the steps that follow lower. Also called by a step about to
   * allocate much ({@link HeapAnalysis.collectGarbage}).
   */
  collectGarbage?: () => void;
}

export interface PrepareOptions {
  /** Dominators and retained sizes too (default); false: distances and self sizes only. */
  retained?: boolean;
  /**
   * Use a helper thread for phases that can run side by side. Default: for graphs of
   * {@link PARALLEL_MIN_NODES} nodes and more; true forces it (tests; where no thread can be
   * started, the helper's share then runs on this thread), false turns it off.
   */
  parallel?: boolean;
  /** Told, task by task, whether the helper thread's result was used (or why this thread did the work). */
  onWorker?: (report: WorkerReport) => void;
  /**
   * Work the caller will need next that does not depend on the analysis (e.g. `graph.classes()`):
   * done on this thread, after the self sizes, while the helper thread finishes the dominator
   * tree. Only called when a helper does that; otherwise the caller does the work when it needs
   * it. What it allocates then adds to the memory held while the tree is finished. `helperBusy()`
   * tells whether the helper is still finishing the tree: work beyond what the caller needs next
   * (which would otherwise wait for the end of the command) is worth doing only while it is.
   */
  alongside?: (helperBusy: () => boolean) => void;
}

/**
 * Below this many nodes, starting a helper thread costs more than it saves. A thread takes ~0.05 s
 * of CPU time to start, on the other core, and ~10 MB of memory. At 248k nodes (a 20 MB file) a
 * helper started before the read, reading the edges too, took 10–13% off the main thread but
 * nothing off the wall time on an idle machine, for +0.2–0.35 s of CPU time and +6–13 MB of peak
 * memory (bench/README.md, 2026-11-30, "The helper thread at 20 MB, idle").
 */
export const PARALLEL_MIN_NODES = 1_000_000;

/** The saved state of an analysis (see {@link HeapAnalysis.savedParts}). */
export interface AnalysisParts {
  shallow: Float64Array;
  distance: Int32Array;
  parentEdge: Uint32Array;
  userRoots: Uint8Array;
  /** Where the grouped picture's list heads can begin ({@link Distances.treeList}). */
  treeList: Uint8Array;
  /**
   * A list bit given by saved parts turned out wrong (`why`): throws, as a damaged saved part does
   * (their reader checks each clear bit it relies on against the edges).
   */
  treeListWrong?: (why: string) => never;
  /** Targets of edges the distance filter refused from the user roots (essential edges need them). */
  refused: Uint32Array;
  /**
   * Null when dominators were not computed. Saved parts may also give each node's immediate
   * dominator and its position in the preorder (`idom`, `rank`), and look one dominator up
   * without the whole tree (`dominatorOf`).
   */
  tree: {
    preorder: Uint32Array;
    idomIndex: Uint32Array;
    retained: Float64Array;
    idom?: Uint32Array;
    rank?: Uint32Array;
    dominatorOf?: (n: number) => number;
    /**
     * Node n's immediate dominator looked up alone, without the check that it is placed before n
     * (`dominatorOf` makes it): for a walk that bounds itself ({@link HeapAnalysis.nearestListedDominators}).
     */
    idomOf?: (n: number) => number;
    /** The saved tree turned out wrong (`why`): throws, as a damaged saved part does. */
    damaged?: (why: string) => never;
    /** Node n's position in the preorder (`rank[n]`), looked up alone. */
    placeOf?: (n: number) => number;
  } | null;
  /** Per-class retained sizes of the whole heap (see classRetainedSizes), when computed. */
  classRetained: Float64Array | null;
  /**
   * Saved parts may look single values up without reading a whole array (a snapshot cache entry
   * reads the block that holds them): what the per-node methods of {@link HeapAnalysis} use until
   * the whole array is taken. `retained` only when `tree` is there.
   */
  at?: {
    shallow(n: number): number;
    distance(n: number): number;
    /** Node n's tree edge plus one, as `parentEdge[n]`. */
    parentEdge(n: number): number;
    userRoot(n: number): number;
    retained(n: number): number;
  };
}

/**
 * Lazily computed analysis of one graph. Every getter computes its phase (and what it needs) on
 * first use, then keeps it.
 *
 * @example
 * const a = new HeapAnalysis(graph);
 * a.retainedSize(n); a.distance(n); a.dominator(n);
 */
export class HeapAnalysis {
  private shallow: Float64Array | null = null;
  private dist: Distances | null = null;
  /** Targets of edges the distance filter refused during the user-root pass (see pageOwned). */
  private refusedFromUserRoots: number[] = [];
  private essentialMask: Uint8Array | null = null;
  private tree: DominatorTree | null = null;
  private retained: Float64Array | null = null;
  private weakMapTable: Float64Array | null = null;
  /**
   * Whether `tree.idom` is a plain array already: false while an analysis made from saved parts
   * has not rebuilt it (see {@link fromParts}).
   */
  private idomBuilt: () => boolean = () => true;
  /** classRetainedSizes() without a filter, once computed. */
  private classRetained: Float64Array | null = null;
  /**
   * The class ids `classRetained` was computed for: a graph's classes change when its plain
   * objects are named by another snapshot's shapes. "own": read from the cache, made for the
   * graph's own naming.
   */
  private classRetainedFor: Uint32Array | "own" | null = null;
  /**
   * Saved parts this analysis started from ({@link fromParts}), taken on first use: a part of a
   * snapshot cache entry is read only when asked for.
   */
  private stored: AnalysisParts | null = null;
  private storedClassRetainedTaken = false;
  /** Whether `classRetained` is the saved parts' (not computed here). */
  private classRetainedTakenFromStored = false;
  private treeFromStored = false;
  /**
   * The helper thread and the first tasks of its share of the dominator tree, started by
   * {@link begin} before {@link prepare}, which takes them.
   */
  private ahead: { helper: Helper; chain: HelperChain | null } | null = null;

  constructor(
    readonly graph: HeapGraph,
    private readonly options: AnalysisOptions = {},
  ) {}

  /**
   * Computes up front what a command will ask for, on two threads where that pays. With retained
   * sizes, the helper thread finds what the page owns (its own walk, which needs no distances),
   * marks the essential edges and numbers the nodes for the dominator pass while this thread
   * computes the distances and then builds the predecessor lists; it then translates half of the
   * lists and computes the self sizes while this thread finishes the dominator tree (given work
   * `alongside`, the other way round: the helper finishes the tree while this thread computes the
   * self sizes and does that work). Without, the
   * helper computes the self sizes while this thread computes the distances. What {@link begin}
   * started is taken (the helper's tasks then report to begin's `onWorker`). Every getter works
   * without this (computing on first use, on this thread); this only makes them ready sooner.
   *
   * @example
   * const a = new HeapAnalysis(graph);
   * await a.prepare();
   * a.retainedSize(n); // ready
   */
  async prepare(options: PrepareOptions = {}): Promise<void> {
    const retained = options.retained !== false;
    const g = this.graph;
    let ahead = this.ahead;
    this.ahead = null;
    if (ahead && !retained) {
      // Begun for a tree this call does not compute.
      await ahead.helper.close();
      ahead = null;
    }
    const helper = ahead ? ahead.helper : this.startHelper(options);
    const shallowTask = (h: Helper): Promise<Float64Array | null> | null =>
      this.shallow || this.stored ? null : h.run({ task: "shallow", input: shallowInput(g, this.hasUserRoots) });
    let closed = false;
    try {
      // The helper's self sizes, once asked for.
      const pending: { shallow: Promise<Float64Array | null> | null } = { shallow: null };
      if (retained && helper && !this.tree && !this.stored?.tree) {
        const alongside = options.alongside;
        if (alongside) {
          // The helper finishes the tree while this thread computes the self sizes and then does
          // the caller's work (the two sides take about as long).
          const beside = (helperBusy: () => boolean): void => {
            this.shallowSizes();
            alongside(helperBusy);
          };
          await this.dominatorsWithHelper(helper, beside, () => {}, ahead?.chain);
        } else {
          await this.dominatorsWithHelper(helper, undefined, () => (pending.shallow = shallowTask(helper)), ahead?.chain);
        }
      } else {
        pending.shallow = helper ? shallowTask(helper) : null;
        this.distances();
      }
      if (retained) {
        this.dominators();
        // The essential-edge mask (a byte per edge) is only the dominator pass's input: let it go
        // with the pass's temporaries (essentialEdges() computes it again if asked).
        this.essentialMask = null;
      }
      const result = pending.shallow ? await pending.shallow : null;
      // The helper has done its last task. A thread keeps every shared array it was sent until it
      // ends (the mask, the page flags, the dominator pass's lists and records): ended now, the
      // collection below frees them before the steps that follow allocate.
      closed = true;
      await helper?.close();
      if (retained) this.options.collectGarbage?.();
      if (result && !this.shallow) {
        this.options.onPhase?.("shallow sizes");
        this.shallow = result;
      }
      this.shallowSizes();
      if (retained) this.retainedSizes();
    } finally {
      if (!closed) await helper?.close();
    }
  }

  /** The helper {@link prepare} would use (null: none), reporting to `onWorker` when given. */
  private startHelper(options: Pick<PrepareOptions, "parallel" | "onWorker">): Helper | null {
    const wanted = options.parallel ?? this.graph.nodeCount >= PARALLEL_MIN_NODES;
    // Forced (tests) where no thread can be started: the same split, run on this thread.
    const started = wanted ? (AnalysisHelper.start() ?? (options.parallel ? AnalysisHelper.inProcess() : null)) : null;
    return started && options.onWorker ? reportingHelper(started, options.onWorker) : started;
  }

  /**
   * Starts the helper thread's first tasks of {@link prepare} with retained sizes (what the page
   * owns, the essential marks, the DFS numbering: they need nothing this thread computes), for a
   * caller that has other work to do first (finding the objects a command asks about); `prepare`
   * then goes on from them. Does nothing, and returns false, where `prepare` would not use a
   * helper thread for them (a small graph, the tree known already). A begun analysis is then
   * prepared, or {@link end}ed: its thread runs until then.
   */
  begin(options: Pick<PrepareOptions, "parallel" | "onWorker"> = {}): boolean {
    if (this.ahead || this.tree || this.stored || this.essentialMask || this.graph.nodeCount === 0) return false;
    const helper = this.startHelper(options);
    if (!helper) return false;
    this.ahead = { helper, chain: this.startChain(helper) };
    return true;
  }

  /** Ends what {@link begin} started, when {@link prepare} is not going to take it. */
  async end(): Promise<void> {
    const ahead = this.ahead;
    this.ahead = null;
    await ahead?.helper.close();
  }

  /**
   * The helper's walk from the page's seeds (marking the page's essential edges as it goes), the
   * essential marks of the rest and its DFS numbering, as one chain of tasks. The page walk needs
   * no distances, and gives the same flags as {@link pageOwned}'s shortcut.
   */
  private startChain(helper: Helper): HelperChain {
    const g = this.graph;
    const stage = new Int32Array(new SharedArrayBuffer(4));
    const page = pageInput(g);
    const input = essentialInput(g, page.flags, this.weakMapTables());
    void helper.run({ task: "page-owned", input: page, essential: input, chain: { stage, after: 0 } });
    const marked = helper.run({ task: "mark-essential", input, from: 0, to: g.nodeCount, outsidePage: true, chain: { stage, after: 1 } });
    const begun = beginDominatorTree(g, input.mask, helper, { stage, after: 2 });
    return { begun, marked, input };
  }

  /**
   * The dominator tree on two threads (see {@link prepare}): the helper's chain of tasks
   * ({@link startChain}, or `chain` when {@link begin} started it) runs beside this thread's
   * distances. `afterNumbering` is called when the helper is free for more work while this
   * thread finishes the tree.
   */
  private async dominatorsWithHelper(
    helper: Helper,
    alongside: ((helperBusy: () => boolean) => void) | undefined,
    afterNumbering: () => void,
    chain: HelperChain | null | undefined,
  ): Promise<void> {
    const g = this.graph;
    const started = chain ?? (!this.essentialMask && g.nodeCount > 0 ? this.startChain(helper) : null);
    const begun = started?.begun;
    const marked = started?.marked ?? null;
    const input = started?.input ?? null;
    this.distances();
    if (marked) {
      this.options.onPhase?.("essential edges");
      // Where the helper failed, marked here (its numbering, chained to the marks, then did nothing).
      this.essentialMask = (await marked) === null ? this.essentialEdges() : input!.mask;
    } else {
      this.essentialEdges();
    }
    this.options.onPhase?.("dominators");
    // The mask is let go (and collected, where the host can force it) before the work
    // alongside, which then does not add to the memory peak as much (essentialEdges() marks it
    // again if asked).
    const drop = (): void => {
      this.essentialMask = null;
      this.options.collectGarbage?.();
    };
    const letGo = { drop, again: () => this.essentialEdges() };
    this.tree = await dominatorTreeWithHelper(g, this.essentialMask!, helper, alongside, letGo, { begun, afterNumbering });
  }

  /**
   * What {@link prepare} computed, for saving (the snapshot cache): distances and self sizes, and
   * the dominator tree and retained sizes when they were computed. Null before distances and self
   * sizes exist. The arrays are the analysis' own.
   */
  savedParts(): AnalysisParts | null {
    const stored = this.stored;
    if (stored) {
      // Everything saved is taken (and so read) for saving again.
      this.distances();
      this.shallowSizes();
      if (stored.tree) this.retainedSizes();
      this.takeStoredClassRetained();
    }
    if (!this.dist || !this.shallow) return null;
    const { distance, parentEdge, userRoots, treeList } = this.dist;
    const tree = stored?.tree && this.retained === stored.tree.retained ? stored.tree : this.treeParts();
    const classRetained = tree && this.hasOwnClassRetained() ? this.classRetained : null;
    return {
      shallow: this.shallow,
      distance,
      parentEdge,
      userRoots,
      treeList,
      refused: Uint32Array.from(this.refusedFromUserRoots),
      tree,
      classRetained,
    };
  }

  /**
   * What this analysis computed beyond the saved parts it started from ({@link fromParts}),
   * without taking (and so reading) any saved part: the dominator tree with the retained sizes
   * when the saved parts had none, the per-class retained sizes when they were computed here. For
   * adding to the snapshot cache entry the saved parts came from. Without saved parts, use
   * {@link savedParts}.
   */
  computedParts(): { tree: AnalysisParts["tree"]; classRetained: Float64Array | null } {
    const tree = this.treeFromStored ? null : this.treeParts();
    const own = !this.classRetainedTakenFromStored && this.hasOwnClassRetained();
    return { tree, classRetained: own ? this.classRetained : null };
  }

  /** The dominator tree and retained sizes computed here, as saved parts hold them; null when not computed. */
  private treeParts(): AnalysisParts["tree"] {
    if (!this.tree || !this.retained) return null;
    return { preorder: this.tree.preorder, idomIndex: this.tree.idomIndex, retained: this.retained, idom: this.tree.idom };
  }

  /** Per-class retained sizes are there, for the classes this graph names by its own shapes (so worth saving). */
  private hasOwnClassRetained(): boolean {
    return this.classRetained !== null && this.graph.namedByOwnShapes && this.classRetainedFor === this.graph.classes().nodeClass;
  }

  /**
   * An analysis that starts from saved parts instead of computing them. The parts must fit the
   * graph (checked by whoever read them: lengths, and every index in range). Each part is taken
   * when first asked for (the parts may be read from a cache entry only then); the immediate
   * dominators by node, when the parts lack them, are rebuilt from the tree's preorder.
   */
  static fromParts(graph: HeapGraph, parts: AnalysisParts, options: AnalysisOptions = {}): HeapAnalysis {
    const a = new HeapAnalysis(graph, options);
    a.stored = parts;
    return a;
  }

  /**
   * Which parts this analysis holds now (computed, or taken from its saved parts), without
   * reading saved parts not taken yet.
   */
  holds(): { tree: boolean; classRetained: boolean } {
    return { tree: this.tree !== null && this.retained !== null, classRetained: this.classRetained !== null };
  }

  /** The saved per-class retained sizes, when they fit the graph's classes (taken once). */
  private takeStoredClassRetained(): void {
    const s = this.stored;
    if (this.storedClassRetainedTaken || !s?.tree || !s.classRetained) return;
    this.storedClassRetainedTaken = true;
    if (this.classRetained === null && s.classRetained.length === this.graph.classIdLimit) {
      this.classRetained = s.classRetained;
      this.classRetainedFor = "own";
      this.classRetainedTakenFromStored = true;
    }
  }

  /** Whether the snapshot has user roots (non-synthetic objects held by the root, e.g. `global`). */
  get hasUserRoots(): boolean {
    const g = this.graph;
    for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (countsAsUserRoot(g, g.edgeTo(e))) return true;
    return false;
  }

  /**
   * A full garbage collection, when the analysis was given `collectGarbage` (the CLI's is), for a
   * step about to allocate much on a big graph: the arrays earlier steps let go of (a typed array's
   * memory is freed only when the collector finds it unreachable) go now rather than whenever V8
   * next collects. Returns whether one ran.
   */
  collectGarbage(): boolean {
    const collect = this.options.collectGarbage;
    collect?.();
    return collect !== undefined;
  }

  /**
   * Where a retaining path ends and a walk up the retainers stops (as objgraph stops at modules):
   * a synthetic root ({@link HeapGraph.isSyntheticRoot}: the root, `(GC roots)` and its
   * categories) or a user root (an object the root holds directly, e.g. `global`; see
   * {@link distances}). What the pictures mark as roots (`SubgraphNode.isRoot`); used by the
   * retainer walks, path grouping and `whyAlive`.
   */
  isRetentionRoot(n: number): boolean {
    if (this.graph.isSyntheticRoot(n)) return true;
    // The walks ask this of every object they pass. From saved parts, each mark is read alone until
    // the whole column is taken (by `distances().userRoots`): a walk up a few paths reads a few
    // blocks of it, a walk of a whole class reads the column whole, and then marks from it.
    const marks = this.userRootMarks;
    if (marks !== null) return marks[n] === 1;
    const at = this.stored?.at;
    if (at) return at.userRoot(n) === 1;
    return (this.userRootMarks = this.distances().userRoots)[n] === 1;
  }
  /** The user-root marks, once taken whole. */
  private userRootMarks: Uint8Array | null = null;

  /**
   * Node n's edge in the shortest-path tree plus one (0: none, for a root or an object nothing
   * reaches): `distances().parentEdge[n]`. From saved parts, read alone until the whole column is
   * taken, as {@link isRetentionRoot} reads the user-root marks: the paths of a few objects read a
   * few blocks of the column.
   */
  parentEdgeOf(n: number): number {
    const whole = this.parentEdges;
    if (whole !== null) return whole[n]!;
    const at = this.stored?.at;
    if (at) return at.parentEdge(n);
    return (this.parentEdges = this.distances().parentEdge)[n]!;
  }
  /** The tree edges, once taken whole. */
  private parentEdges: Uint32Array | null = null;

  /**
   * @deprecated DevTools' test for a node the root holds: true unless it is synthetic (other than
   * `(Document DOM trees)`). It says nothing about whether the root holds n: for the user roots
   * use `distances().userRoots`, for where paths end {@link isRetentionRoot}.
   */
  isUserRoot(n: number): boolean {
    return countsAsUserRoot(this.graph, n);
  }

  // ------------------------------------------------------------------ shallow sizes

  /**
   * Self sizes as DevTools shows them: each `hidden`/`array` node (and native
   * `system / ExternalStringData`) owned by exactly one other object hands its size to that owner.
   * Skipped when the snapshot has no user roots (taken with internals exposed).
   */
  shallowSizes(): Float64Array {
    if (this.shallow) return this.shallow;
    if (this.stored) return (this.shallow = this.stored.shallow);
    this.options.onPhase?.("shallow sizes");
    return (this.shallow = computeShallowSizes(shallowInput(this.graph, this.hasUserRoots)));
  }

  /**
   * Node n's self size as DevTools shows it (its "Shallow Size" column): V8's raw self size
   * ({@link HeapGraph.rawSelfSize}) plus the sizes of the internal objects it alone owns, or 0
   * for such an internal object (see {@link shallowSizes}).
   */
  shallowSize(n: number): number {
    const at = this.shallow === null ? this.stored?.at : undefined;
    if (at) return at.shallow(n);
    return this.shallowSizes()[n]!;
  }

  /** @deprecated The same as {@link shallowSize} (DevTools' self size), under its old name. */
  selfSize(n: number): number {
    return this.shallowSize(n);
  }

  // ------------------------------------------------------------------ distances

  /**
   * DevTools' distances ({@link computeDistances}): BFS from the user roots, then from the root;
   * unreached nodes get {@link NO_DISTANCE}. Also the BFS tree (the edge each node was reached
   * by), which gives every node its shortest retaining path, and which nodes are user roots.
   */
  distances(): Distances {
    if (this.dist) return this.dist;
    return this.takeDistances();
  }

  /**
   * For list bits given by saved parts ({@link AnalysisParts.treeListWrong}): what makes them
   * damaged when one turns out wrong (throws). Null when the distances were computed here.
   */
  storedListBitWrong(): ((why: string) => never) | null {
    const s = this.stored;
    if (s === null) return null;
    return (why) => {
      s.treeListWrong?.(why);
      throw new Error(`the stored distance tree does not match the edges: ${why}`);
    };
  }

  private takeDistances(): Distances {
    const s = this.stored;
    if (s) {
      this.refusedFromUserRoots = Array.from(s.refused);
      // Each array taken when first asked for (and kept: hot loops read these getters). The tree
      // edges and the user-root marks are kept on the analysis too: its per-node methods read
      // them alone until then.
      let distance: Int32Array | null = null;
      let treeList: Uint8Array | null = null;
      const takeParentEdges = (): Uint32Array => (this.parentEdges ??= s.parentEdge);
      const takeUserRoots = (): Uint8Array => (this.userRootMarks ??= s.userRoots);
      return (this.dist = {
        get distance() {
          return (distance ??= s.distance);
        },
        get parentEdge() {
          return takeParentEdges();
        },
        get userRoots() {
          return takeUserRoots();
        },
        get treeList() {
          return (treeList ??= s.treeList);
        },
      });
    }
    this.options.onPhase?.("distances");
    return (this.dist = computeDistances(this.graph, this.weakMapTables(), this.refusedFromUserRoots));
  }

  distance(n: number): number {
    const at = this.dist === null ? this.stored?.at : undefined;
    if (at) return at.distance(n);
    return this.distances().distance[n]!;
  }

  /** {@link weakMapTables} of the graph, computed once (the distances and the essential edges read it). */
  private weakMapTables(): Float64Array {
    return (this.weakMapTable ??= weakMapTables(this.graph));
  }

  // ------------------------------------------------------------------ essential edges

  /**
   * One byte per edge, the single essential-edge predicate every dominator pass uses (DevTools'
   * rules): not weak, not a self edge, not the WeakMap table→value edge, not a shortcut unless
   * from the root, not from a non-page object into a page object.
   */
  essentialEdges(): Uint8Array {
    if (this.essentialMask) return this.essentialMask;
    this.options.onPhase?.("essential edges");
    const input = this.essentialInput();
    markEssential(input, 0, this.graph.nodeCount);
    return (this.essentialMask = input.mask);
  }

  private essentialInput(): EssentialInput {
    const g = this.graph;
    return essentialInput(g, pageOwned(g, this.distances(), this.refusedFromUserRoots), this.weakMapTables());
  }

  // ------------------------------------------------------------------ dominators

  dominators(): DominatorTree {
    if (this.tree) return this.tree;
    const saved = this.stored?.tree;
    if (saved) {
      // Without the immediate dominators by node, they are rebuilt from the preorder on first
      // use: commands answered from the stored sizes alone never need them.
      let idom: Uint32Array | null = null;
      this.treeFromStored = true;
      this.idomBuilt = () => idom !== null;
      return (this.tree = {
        get idom(): Uint32Array {
          if (idom === null) {
            idom = saved.idom ?? idomFromPreorder(saved.preorder, saved.idomIndex);
          }
          return idom;
        },
        get preorder() {
          return saved.preorder;
        },
        get idomIndex() {
          return saved.idomIndex;
        },
      });
    }
    const essential = this.essentialEdges();
    this.options.onPhase?.("dominators");
    return (this.tree = dominatorTree(this.graph, essential));
  }

  /** Ordinal of node n's immediate dominator (the root's is itself). */
  dominator(n: number): number {
    // Saved parts may look one up without reading the whole tree.
    const lookUp = this.tree === null || this.treeFromStored ? this.stored?.tree?.dominatorOf : undefined;
    if (lookUp) return lookUp(n);
    return this.dominators().idom[n]!;
  }

  /**
   * For each of `nodes` (in their order): the index in `nodes` (its first listing) of its nearest
   * dominator below the root that is itself one of `nodes`, or -1 when none is (the root never
   * counts as one). Each node's chain of immediate dominators is walked up to the root, a listed
   * node, or a node whose answer an earlier chain found: every node is looked at once. Saved parts
   * are asked only for each node's immediate dominator (not its place in the preorder, which
   * {@link dominator} reads to check it): the walk's steps are bounded instead, by the node count,
   * which only a cycle in a damaged saved tree can pass; a cycle through listed nodes is found by
   * following the answers (each index once). A node listed twice is not its own dominator: both
   * listings get the answer of the node.
   *
   * `scratch`, when given, is the work column (one word per node, all 0 on the way in, left
   * dirty): a caller about to make such a column anyway saves making one more.
   */
  nearestListedDominators(nodes: ArrayLike<number>, scratch?: Int32Array): Int32Array {
    const N = this.graph.nodeCount;
    if (scratch !== undefined && scratch.length !== N) throw new RangeError(`the scratch column has ${scratch.length} words, not ${N}`);
    const saved = this.tree === null || this.treeFromStored ? this.stored?.tree : undefined;
    const idomOf = saved?.idomOf;
    const idom = idomOf ? null : this.dominators().idom;
    // Per node: 0 not listed and not walked yet; -2 - i listed, first as nodes[i]; once walked,
    // -1 no listed node above it, 1 + i nodes[i] is the nearest above it.
    const at = scratch ?? new Int32Array(N);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const n = nodes[i]!;
      if (n < 0 || n >= N) throw new RangeError(`node ${n} is not in the graph`);
      at[n] = -2 - i;
    }
    const chain: number[] = [];
    const out = new Int32Array(nodes.length);
    // A chain steps only onto nodes no chain walked before, so all chains take at most N steps.
    let steps = 0;
    for (let i = 0; i < nodes.length; i++) {
      const t = nodes[i]!;
      if (t === 0) {
        out[i] = -1;
        continue;
      }
      let x = idomOf ? idomOf(t) : idom![t]!;
      let depth = 0;
      while (x !== 0 && at[x] === 0) {
        if (++steps > N) {
          const why = "the dominator tree has a cycle";
          saved?.damaged?.(why);
          throw new Error(why);
        }
        chain[depth++] = x;
        x = idomOf ? idomOf(x) : idom![x]!;
      }
      // The root: nothing above; a listed node: it; a node walked before: its answer.
      const v = x === 0 ? -1 : at[x]!;
      const answer = v <= -2 ? -2 - v : v > 0 ? v - 1 : -1;
      const memo = answer < 0 ? -1 : answer + 1;
      for (let k = 0; k < depth; k++) at[chain[k]!] = memo;
      out[i] = answer;
    }
    // A cycle through listed nodes stops the walks above (at a listed node) but, in a damaged
    // saved tree, would leave listed nodes each above the other: the answers must form a forest.
    const state = new Uint8Array(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      let depth = 0;
      let j = i;
      while (j >= 0 && state[j] === 0) {
        state[j] = 1;
        chain[depth++] = j;
        j = out[j]!;
      }
      if (j >= 0 && state[j] === 1) {
        const why = "the dominator tree has a cycle";
        saved?.damaged?.(why);
        throw new Error(why);
      }
      for (let k = 0; k < depth; k++) state[chain[k]!] = 2;
    }
    return out;
  }

  /**
   * The immediate dominator of each of `nodes` (in their order), as {@link dominator} gives it one
   * by one. Where the per-node array is not built (an analysis made from saved parts), the nodes
   * are found by one pass over the tree's preorder ({@link preorderPositions}) instead of
   * rebuilding that array for all nodes: a picture asks this for a few dozen objects.
   */
  dominatorsOf(nodes: ArrayLike<number>): Uint32Array {
    const out = new Uint32Array(nodes.length);
    // Saved parts may look each one up without reading the whole tree.
    const lookUp = this.tree === null || this.treeFromStored ? this.stored?.tree?.dominatorOf : undefined;
    if (lookUp) {
      for (let i = 0; i < nodes.length; i++) out[i] = lookUp(nodes[i]!);
      return out;
    }
    const tree = this.dominators();
    if (this.idomBuilt()) {
      const idom = tree.idom;
      for (let i = 0; i < nodes.length; i++) out[i] = idom[nodes[i]!]!;
      return out;
    }
    const { preorder, idomIndex } = tree;
    const at = this.preorderPositions(nodes);
    for (let i = 0; i < nodes.length; i++) out[i] = preorder[idomIndex[at[i]!]!]!;
    return out;
  }

  /**
   * The position of each of `nodes` in the dominator tree's preorder (`dominators().preorder`),
   * found by one pass over it that tests a bit per node. With the tree's `idomIndex` (positions of
   * the immediate dominators, each before its node), dominator chains are walked by position
   * without the per-node `idom` array.
   */
  preorderPositions(nodes: ArrayLike<number>): Uint32Array {
    // Saved parts may look each one up without reading the whole preorder.
    const placeOf = this.tree === null || this.treeFromStored ? this.stored?.tree?.placeOf : undefined;
    if (placeOf) {
      const N = this.graph.nodeCount;
      const out = new Uint32Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        if (!(n >= 0 && n < N)) throw new RangeError(`no node ${n}`);
        out[i] = placeOf(n);
      }
      return out;
    }
    const { preorder } = this.dominators();
    const N = preorder.length;
    const out = new Uint32Array(nodes.length);
    if (nodes.length === 0) return out;
    const bits = new Uint8Array((N + 7) >>> 3);
    // Node → its first index in `nodes` (repeats are copied at the end).
    const slot = new Map<number, number>();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i]!;
      if (!(n >= 0 && n < N)) throw new RangeError(`no node ${n}`);
      if (slot.has(n)) continue;
      slot.set(n, i);
      bits[n >>> 3]! |= 1 << (n & 7);
    }
    let left = slot.size;
    for (let k = 0; k < N && left > 0;) {
      const end = Math.min(N, k + POSITION_STRETCH);
      const hit = nextMarked(preorder, bits, k, end);
      if (hit < 0) {
        k = end;
        continue;
      }
      out[slot.get(preorder[hit]!)!] = hit;
      left--;
      k = hit + 1;
    }
    for (let i = 0; i < nodes.length; i++) out[i] = out[slot.get(nodes[i]!)!]!;
    return out;
  }

  retainedSizes(): Float64Array {
    if (this.retained) return this.retained;
    if (this.stored?.tree) return (this.retained = this.stored.tree.retained);
    const tree = this.dominators();
    const shallow = this.shallowSizes();
    this.options.onPhase?.("retained sizes");
    return (this.retained = retainedSizes(tree, shallow));
  }

  retainedSize(n: number): number {
    const at = this.retained === null && this.stored?.tree ? this.stored.at : undefined;
    if (at) return at.retained(n);
    return this.retainedSizes()[n]!;
  }

  /**
   * Retained size per class id without double counting (DevTools' Summary): an object counts only
   * when no dominator-tree ancestor of the same class was counted; objects of size 0 neither count
   * nor block, nor do objects left out by `filter` (one byte per node, 1 = include). With `groups`
   * (class id → group id, e.g. {@link HeapGraph.classNameGroups}), per group instead: one total
   * per class name, where DevTools splits a name by script.
   */
  classRetainedSizes(filter?: Uint8Array, groups?: Uint32Array): Float64Array {
    // Kept for the graph's current class ids only (they change when plain objects are renamed by
    // another snapshot's shapes).
    const { nodeClass } = this.graph.classes();
    const plain = filter === undefined && groups === undefined;
    if (plain) this.takeStoredClassRetained();
    if (plain && this.classRetained) {
      if (this.classRetainedFor === "own" && this.graph.namedByOwnShapes) this.classRetainedFor = nodeClass;
      if (this.classRetainedFor === nodeClass) return this.classRetained;
    }
    const out = this.computeClassRetainedSizes(filter, groups);
    if (plain) {
      this.classRetained = out;
      this.classRetainedTakenFromStored = false;
      this.classRetainedFor = nodeClass;
    }
    return out;
  }

  private computeClassRetainedSizes(filter?: Uint8Array, groups?: Uint32Array): Float64Array {
    const g = this.graph;
    const input = {
      nodeClass: g.classes().nodeClass,
      classIdLimit: g.classIdLimit,
      tree: this.dominators(),
      retained: this.retainedSizes(),
      shallow: this.shallowSizes(),
    };
    return classRetainedSizes(input, filter, groups);
  }
}

/** The helper's first tasks under way (see `HeapAnalysis.startChain`). */
interface HelperChain {
  begun: BegunTree;
  /** The essential marks: true once done, null when the helper failed. */
  marked: Promise<true | null>;
  input: EssentialInput;
}

/** Preorder entries looked at per call of {@link nextMarked}. */
const POSITION_STRETCH = 1 << 18;

/**
 * The first k in `[from, to)` whose node `order[k]` has its bit set in `bits`, or -1. A small
 * function called per stretch: V8 optimises it sooner than one long loop run once.
 */
function nextMarked(order: Uint32Array, bits: Uint8Array, from: number, to: number): number {
  for (let k = from; k < to; k++) {
    const n = order[k]!;
    if ((bits[n >>> 3]! & (1 << (n & 7))) !== 0) return k;
  }
  return -1;
}
