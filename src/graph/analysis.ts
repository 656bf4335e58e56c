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
import { dominatorTree, dominatorTreeWithHelper, retainedSizes, type DominatorTree } from "./dominators.js";
import { AnalysisHelper, reportingHelper, type Helper } from "./helper.js";
import type { WorkerReport } from "../threads.js";
import { sharedU8 } from "../snapshot/columns.js";
import { computeShallowSizes, shallowInput } from "./shallow.js";
import { markEssential, type EssentialInput } from "./essential.js";

/** Distance of a node nothing reaches (DevTools' `noDistance`). */
export const NO_DISTANCE = -5;
/** Distances of nodes reached only from the root, not from a user root, start here. */
export const BASE_SYSTEM_DISTANCE = 100_000_000;

/**
 * DevTools' rule for which of the root's children are user roots: all but the synthetic ones,
 * except `(Document DOM trees)`, which is synthetic but counts. Only meaningful for nodes the root
 * holds; the distances' first pass starts from exactly those.
 */
function countsAsUserRoot(g: HeapGraph, n: number): boolean {
  if (g.nodeType(n) !== g.types.synthetic) return true;
  return g.nodeName(n) === "(Document DOM trees)";
}

/** DevTools' WeakMap entry edge name: `N / part of key (K @k) -> value (V @v) pair in WeakMap (table @t)`. */
const WEAKMAP_EDGE = /^\d+(?<pair> \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(?<table>\d+)\))$/;

export type Phase = "shallow sizes" | "distances" | "essential edges" | "dominators" | "retained sizes";

export interface AnalysisOptions {
  /** Called when a phase starts. */
  onPhase?: (phase: Phase) => void;
  /**
   * Called by {@link HeapAnalysis.prepare} once the dominator pass has left its temporary arrays
   * (hundreds of MB on a big heap) behind: a host that can force a garbage collection (the CLI
   * does) keeps the peak memory of the steps that follow lower.
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
}

/** Below this many nodes, starting a helper thread costs more than it saves. */
export const PARALLEL_MIN_NODES = 1_000_000;

/** The saved state of an analysis (see {@link HeapAnalysis.savedParts}). */
export interface AnalysisParts {
  shallow: Float64Array;
  distance: Int32Array;
  parentEdge: Uint32Array;
  userRoots: Uint8Array;
  /** Targets of edges the distance filter refused from the user roots (essential edges need them). */
  refused: Uint32Array;
  /** Null when dominators were not computed. */
  tree: { preorder: Uint32Array; idomIndex: Uint32Array; retained: Float64Array } | null;
  /** Per-class retained sizes of the whole heap (see classRetainedSizes), when computed. */
  classRetained: Float64Array | null;
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
  private dist: { distance: Int32Array; parentEdge: Uint32Array; userRoots: Uint8Array } | null = null;
  /** Targets of edges the distance filter refused during the user-root pass (see pageOwned). */
  private refusedFromUserRoots: number[] = [];
  private essentialMask: Uint8Array | null = null;
  private tree: DominatorTree | null = null;
  private retained: Float64Array | null = null;
  private weakMapTable: Float64Array | null = null;
  /** classRetainedSizes() without a filter, once computed. */
  private classRetained: Float64Array | null = null;
  /**
   * The class ids `classRetained` was computed for: a graph's classes change when its plain
   * objects are named by another snapshot's shapes. "own": read from the cache, made for the
   * graph's own naming.
   */
  private classRetainedFor: Uint32Array | "own" | null = null;

  constructor(readonly graph: HeapGraph, private readonly options: AnalysisOptions = {}) {}

  /**
   * Computes up front what a command will ask for, on two threads where that pays: self sizes
   * on a helper thread while this one computes distances and dominators, and half of the
   * essential-edge marks and of the dominator pass's predecessor lists. Every getter works
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
    const wanted = options.parallel ?? g.nodeCount >= PARALLEL_MIN_NODES;
    // Forced (tests) where no thread can be started: the same split, run on this thread.
    const started = wanted ? (AnalysisHelper.start() ?? (options.parallel ? AnalysisHelper.inProcess() : null)) : null;
    const helper = started && options.onWorker ? reportingHelper(started, options.onWorker) : started;
    try {
      const shallow = this.shallow ? null : helper?.run({ task: "shallow", input: shallowInput(g, this.hasUserRoots) });
      this.distances();
      if (retained && helper && !this.tree) {
        const essential = await this.essentialEdgesWithHelper(helper);
        this.options.onPhase?.("dominators");
        this.tree = await dominatorTreeWithHelper(g, essential, helper);
      }
      if (retained) {
        this.dominators();
        // The essential-edge mask (a byte per edge) is only the dominator pass's input: let it go
        // with the pass's temporaries (essentialEdges() computes it again if asked).
        this.essentialMask = null;
        this.options.collectGarbage?.();
      }
      const result = shallow ? await shallow : null;
      if (result && !this.shallow) {
        this.options.onPhase?.("shallow sizes");
        this.shallow = result;
      }
      this.shallowSizes();
      if (retained) this.retainedSizes();
    } finally {
      await helper?.close();
    }
  }

  /**
   * What {@link prepare} computed, for saving (the snapshot cache): distances and self sizes, and
   * the dominator tree and retained sizes when they were computed. Null before distances and self
   * sizes exist. The arrays are the analysis' own.
   */
  savedParts(): AnalysisParts | null {
    if (!this.dist || !this.shallow) return null;
    const { distance, parentEdge, userRoots } = this.dist;
    const tree = this.tree && this.retained ? { preorder: this.tree.preorder, idomIndex: this.tree.idomIndex, retained: this.retained } : null;
    const own = this.graph.namedByOwnShapes && this.classRetainedFor === this.graph.classes().nodeClass;
    const classRetained = tree && own ? this.classRetained : null;
    return { shallow: this.shallow, distance, parentEdge, userRoots, refused: Uint32Array.from(this.refusedFromUserRoots), tree, classRetained };
  }

  /**
   * An analysis that starts from saved parts instead of computing them. The parts must fit the
   * graph (checked by whoever read them: lengths, and every index in range); the immediate
   * dominators are rebuilt from the tree's preorder.
   */
  static fromParts(graph: HeapGraph, parts: AnalysisParts, options: AnalysisOptions = {}): HeapAnalysis {
    const a = new HeapAnalysis(graph, options);
    a.shallow = parts.shallow;
    a.dist = { distance: parts.distance, parentEdge: parts.parentEdge, userRoots: parts.userRoots };
    a.refusedFromUserRoots = Array.from(parts.refused);
    if (parts.tree) {
      const { preorder, idomIndex, retained } = parts.tree;
      const idom = new Uint32Array(preorder.length);
      for (let k = 0; k < preorder.length; k++) idom[preorder[k]!] = preorder[idomIndex[k]!]!;
      a.tree = { idom, preorder, idomIndex };
      a.retained = retained;
      if (parts.classRetained && parts.classRetained.length === graph.classIdLimit) {
        a.classRetained = parts.classRetained;
        a.classRetainedFor = "own";
      }
    }
    return a;
  }

  /** Whether the snapshot has user roots (non-synthetic objects held by the root, e.g. `global`). */
  get hasUserRoots(): boolean {
    const g = this.graph;
    for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (countsAsUserRoot(g, g.edgeTo(e))) return true;
    return false;
  }

  /**
   * Where a retaining path ends and a walk up the retainers stops (as objgraph stops at modules):
   * a synthetic root ({@link HeapGraph.isSyntheticRoot}: the root, `(GC roots)` and its
   * categories) or a user root (an object the root holds directly, e.g. `global`; see
   * {@link distances}). What the pictures mark as roots (`SubgraphNode.isRoot`); used by the
   * retainer walks, path grouping and `whyAlive`.
   */
  isRetentionRoot(n: number): boolean {
    return this.graph.isSyntheticRoot(n) || this.distances().userRoots[n] === 1;
  }

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
    this.options.onPhase?.("shallow sizes");
    return (this.shallow = computeShallowSizes(shallowInput(this.graph, this.hasUserRoots)));
  }

  /**
   * Node n's self size as DevTools shows it (its "Shallow Size" column): V8's raw self size
   * ({@link HeapGraph.rawSelfSize}) plus the sizes of the internal objects it alone owns, or 0
   * for such an internal object (see {@link shallowSizes}).
   */
  shallowSize(n: number): number {
    return this.shallowSizes()[n]!;
  }

  /** @deprecated The same as {@link shallowSize} (DevTools' self size), under its old name. */
  selfSize(n: number): number {
    return this.shallowSize(n);
  }

  // ------------------------------------------------------------------ distances

  /**
   * DevTools' distances: BFS from the user roots (distance 1), then from the root (starting at
   * {@link BASE_SYSTEM_DISTANCE} when there are user roots) for what is left; weak edges skipped,
   * two V8-internal links not followed, a WeakMap value reached through the second of its two
   * entry edges. Unreached nodes get {@link NO_DISTANCE}. Also records the BFS tree (the edge each
   * node was reached by), which gives every node its shortest retaining path.
   */
  distances(): { distance: Int32Array; parentEdge: Uint32Array; userRoots: Uint8Array } {
    if (this.dist) return this.dist;
    this.options.onPhase?.("distances");
    const g = this.graph;
    const N = g.nodeCount;
    const distance = new Int32Array(N).fill(NO_DISTANCE);
    /** Edge number + 1 by which each node was first reached; 0 for none. */
    const parentEdge = new Uint32Array(N);
    const userRoots = new Uint8Array(N);
    if (N === 0) return (this.dist = { distance, parentEdge, userRoots });
    const queue = new Uint32Array(N + (g.firstEdge[1]! - g.firstEdge[0]!));
    const weak = g.edgeTypeCodes.weak;
    const internal = g.edgeTypeCodes.internal;
    const hidden = g.types.hidden;
    const array = g.types.array;
    const nativeContext = new Set(g.strings.indicesOf("system / NativeContext"));
    const sloppyMap = new Set(g.strings.indicesOf("sloppy_function_map"));
    const mapDescriptors = new Set(g.strings.indicesOf("(map descriptors)"));
    const elementType = g.edgeTypeCodes.element;
    const hiddenEdge = g.edgeTypeCodes.hidden;
    const pending = new Set<string>();
    const tables = this.weakMapTables();

    /** DevTools' JS distance filter, consulted only for edges into nodes without a distance. */
    const accept = (parent: number, e: number): boolean => {
      const pt = g.nodeType(parent);
      const et = g.edgeType(e);
      const nameIdx = g.edgeNameOrIndex(e);
      const numeric = et === elementType || et === hiddenEdge;
      if (pt === hidden && !numeric && sloppyMap.has(nameIdx) && nativeContext.has(g.nodeNameIndex(parent))) return false;
      if (pt === array && mapDescriptors.has(g.nodeNameIndex(parent))) {
        const i = numeric ? nameIdx : parseInt(g.strings.get(nameIdx), 10);
        return i < 2 || i % 3 !== 1;
      }
      if (et === internal && !Number.isNaN(tables[nameIdx]!)) {
        const m = WEAKMAP_EDGE.exec(g.strings.get(nameIdx));
        const key = m?.groups?.["pair"] ?? "";
        if (!pending.has(key)) {
          pending.add(key);
          return false;
        }
        pending.delete(key);
      }
      return true;
    };

    const { nodeType, edgeType, edgeTo } = g.columns;
    const firstEdge = g.firstEdge;
    let firstPass = true;
    const refused = this.refusedFromUserRoots;
    const bfs = (head: number, tail: number): void => {
      while (head < tail) {
        const n = queue[head++]!;
        const d = distance[n]! + 1;
        // The filter only matters from hidden/array nodes and for internal edges.
        const pt = nodeType[n]!;
        const special = pt === hidden || pt === array;
        const end = firstEdge[n + 1]!;
        for (let e = firstEdge[n]!; e < end; e++) {
          const et = edgeType[e]!;
          if (et === weak) continue;
          const to = edgeTo[e]!;
          if (distance[to] !== NO_DISTANCE) continue;
          if ((special || et === internal) && !accept(n, e)) {
            if (firstPass) refused.push(to);
            continue;
          }
          distance[to] = d;
          parentEdge[to] = e + 1;
          queue[tail++] = to;
        }
      }
    };

    let tail = 0;
    for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) {
      const to = g.edgeTo(e);
      if (!countsAsUserRoot(g, to)) continue;
      userRoots[to] = 1;
      distance[to] = 1;
      queue[tail++] = to;
    }
    bfs(0, tail);
    firstPass = false;
    distance[0] = tail > 0 ? BASE_SYSTEM_DISTANCE : 0;
    queue[0] = 0;
    bfs(0, 1);
    return (this.dist = { distance, parentEdge, userRoots });
  }

  distance(n: number): number {
    return this.distances().distance[n]!;
  }

  /**
   * Table ids of WeakMap entry edge names, by string index (NaN when the string is not one):
   * only strings used as names of internal edges are examined.
   */
  private weakMapTables(): Float64Array {
    if (this.weakMapTable) return this.weakMapTable;
    const g = this.graph;
    const S = g.strings.length;
    const tables = new Float64Array(new SharedArrayBuffer(S * 8)).fill(NaN); // shared: see essentialInput
    const seen = new Uint8Array(S);
    const internal = g.edgeTypeCodes.internal;
    const { edgeType, edgeName } = g.columns;
    for (let e = 0; e < g.edgeCount; e++) {
      if (edgeType[e] !== internal) continue;
      const s = edgeName[e]!;
      if (seen[s] === 1) continue;
      seen[s] = 1;
      const first = g.strings.firstByte(s);
      if (first < 48 || first > 57 || g.strings.rawLength(s) < 50) continue;
      const m = WEAKMAP_EDGE.exec(g.strings.get(s));
      if (m) tables[s] = Number(m.groups!["table"]);
    }
    return (this.weakMapTable = tables);
  }

  // ------------------------------------------------------------------ essential edges

  /**
   * Objects owned by the page: everything reachable, over non-weak edges, from the root's shortcut
   * edges (user globals) and from `(Document DOM trees)`. Debugger and console objects are not.
   */
  private pageOwned(): Uint8Array {
    const g = this.graph;
    const N = g.nodeCount;
    const flags = sharedU8(N); // shared: see essentialInput
    const stack = new Uint32Array(N);
    let sp = 0;
    const shortcut = g.edgeTypeCodes.shortcut;
    const element = g.edgeTypeCodes.element;
    const weak = g.edgeTypeCodes.weak;
    const seeds: number[] = [];
    for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) {
      const t = g.edgeType(e);
      const to = g.edgeTo(e);
      const isDocTrees = t === element && g.nodeType(to) === g.types.synthetic && g.nodeName(to) === "(Document DOM trees)";
      if (t === shortcut || isDocTrees) seeds.push(to);
    }
    // Shortcut: when the seeds are exactly the user roots (always so for Node), the distances'
    // first BFS pass already walked everything they reach, except behind the edges its filter
    // refused; only those need walking again. Saves a traversal of the whole heap.
    const { distance, userRoots } = this.distances();
    const rootsHeld = new Set<number>();
    for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (userRoots[g.edgeTo(e)] === 1) rootsHeld.add(g.edgeTo(e));
    const seedSet = new Set(seeds);
    const sameSeeds = seedSet.size > 0 && seedSet.size === rootsHeld.size && seeds.every((n) => rootsHeld.has(n));
    if (sameSeeds) {
      for (let n = 0; n < N; n++) {
        const d = distance[n]!;
        if (d >= 1 && d < BASE_SYSTEM_DISTANCE) flags[n] = 1;
      }
      for (const n of this.refusedFromUserRoots) {
        if (flags[n] === 0) {
          flags[n] = 1;
          stack[sp++] = n;
        }
      }
    } else {
      for (const to of seeds) {
        if (flags[to] === 0) {
          flags[to] = 1;
          stack[sp++] = to;
        }
      }
    }
    const { edgeType, edgeTo } = g.columns;
    const firstEdge = g.firstEdge;
    while (sp > 0) {
      const n = stack[--sp]!;
      const end = firstEdge[n + 1]!;
      for (let e = firstEdge[n]!; e < end; e++) {
        if (edgeType[e] === weak) continue;
        const to = edgeTo[e]!;
        if (flags[to] !== 0) continue;
        flags[to] = 1;
        stack[sp++] = to;
      }
    }
    return flags;
  }

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

  /** The same, the helper thread marking the second half of the sources. */
  private async essentialEdgesWithHelper(helper: Helper): Promise<Uint8Array> {
    if (this.essentialMask) return this.essentialMask;
    this.options.onPhase?.("essential edges");
    const input = this.essentialInput();
    const N = this.graph.nodeCount;
    const half = Math.floor(N / 2);
    const helped = helper.run({ task: "mark-essential", input, from: half, to: N });
    markEssential(input, 0, half);
    if ((await helped) === null) markEssential(input, half, N);
    return (this.essentialMask = input.mask);
  }

  private essentialInput(): EssentialInput {
    const g = this.graph;
    const { weak, shortcut, internal } = g.edgeTypeCodes;
    const { edgeType, edgeTo, edgeName, nodeId } = g.columns;
    return {
      firstEdge: g.firstEdge,
      edgeType,
      edgeTo,
      edgeName,
      nodeId,
      page: this.pageOwned(),
      weakMapTables: this.weakMapTables(),
      codes: { weak, shortcut, internal },
      mask: sharedU8(g.edgeCount), // shared: the helper thread reads it
    };
  }

  // ------------------------------------------------------------------ dominators

  dominators(): DominatorTree {
    if (this.tree) return this.tree;
    const essential = this.essentialEdges();
    this.options.onPhase?.("dominators");
    return (this.tree = dominatorTree(this.graph, essential));
  }

  /** Ordinal of node n's immediate dominator (the root's is itself). */
  dominator(n: number): number {
    return this.dominators().idom[n]!;
  }

  retainedSizes(): Float64Array {
    if (this.retained) return this.retained;
    const tree = this.dominators();
    const shallow = this.shallowSizes();
    this.options.onPhase?.("retained sizes");
    return (this.retained = retainedSizes(tree, (n) => shallow[n]!));
  }

  retainedSize(n: number): number {
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
    if (plain && this.classRetained) {
      if (this.classRetainedFor === "own" && this.graph.namedByOwnShapes) this.classRetainedFor = nodeClass;
      if (this.classRetainedFor === nodeClass) return this.classRetained;
    }
    const out = this.computeClassRetainedSizes(filter, groups);
    if (plain) {
      this.classRetained = out;
      this.classRetainedFor = nodeClass;
    }
    return out;
  }

  private computeClassRetainedSizes(filter?: Uint8Array, groups?: Uint32Array): Float64Array {
    const g = this.graph;
    const { nodeClass } = g.classes();
    const retained = this.retainedSizes();
    const shallow = this.shallowSizes();
    const { preorder, idomIndex } = this.dominators();
    const N = g.nodeCount;
    const out = new Float64Array(g.classIdLimit);
    // Everything by position in the DFS preorder, where dominator subtrees lie close together:
    // the walk below then reads memory almost in sequence. Class ids, or ~0 for objects that
    // neither count nor block (size 0, or filtered out).
    const NONE = 0xffffffff;
    const cls = new Uint32Array(N);
    for (let k = 0; k < N; k++) {
      const n = preorder[k]!;
      cls[k] = shallow[n]! !== 0 && (filter === undefined || filter[n] === 1) ? (groups ? groups[nodeClass[n]!]! : nodeClass[n]!) : NONE;
    }
    // Children lists of the dominator tree (counting sort by dominator; each list ascending).
    const first = new Uint32Array(N + 1);
    for (let k = 1; k < N; k++) first[idomIndex[k]! + 1]!++;
    for (let k = 0; k < N; k++) first[k + 1]! += first[k]!;
    const fill = first.slice(0, N);
    const children = new Uint32Array(Math.max(0, N - 1));
    for (let k = 1; k < N; k++) children[fill[idomIndex[k]!]!++] = k;
    const onPath = new Uint8Array(g.classIdLimit);
    // Iterative DFS: a node is "entered" when first popped, and "left" (its class unmarked) when
    // its marker comes back up; markers are encoded as ~k (negative).
    const stack = new Int32Array(2 * N + 1);
    let sp = 0;
    stack[sp++] = 0;
    while (sp > 0) {
      const k = stack[--sp]!;
      if (k < 0) {
        onPath[cls[~k]!] = 0;
        continue;
      }
      const c = cls[k]!;
      if (k !== 0 && c !== NONE && onPath[c] === 0) {
        out[c]! += retained[preorder[k]!]!;
        if (first[k + 1]! > first[k]!) {
          onPath[c] = 1;
          stack[sp++] = ~k;
        }
      }
      // Pushed last first, so that the smallest position comes up next.
      for (let i = first[k + 1]!; i > first[k]!; ) stack[sp++] = children[--i]!;
    }
    return out;
  }
}
