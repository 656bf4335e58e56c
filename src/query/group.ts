/**
 * One picture per cause, not per object: the shortest retaining paths of ALL matching objects,
 * merged into one graph from the targets upwards (LeakCanary groups leak traces by signature;
 * MemLab clusters traces as text; this draws the merged graph).
 *
 * Each target's path is the one the per-object picture draws ({@link shortestPath}: DevTools'
 * distance tree, through the user root when it reaches the object). Walking it from the target
 * up, every step falls into a *group* keyed by
 *
 *     (class of the retainer, edge type, edge name, the group the edge leads to)
 *
 * where element indices (`[17]`, `[18]`) and hash-table slots (`{729}`, `{730}`) are one name,
 * and property names are kept. Because the key holds the group below, the groups form a tree
 * growing upwards from one target group per class; the steps into a root (`global`, a GC root)
 * are keyed by the root object itself, so each root is drawn once. A root-to-target chain of groups
 * is a *pattern*: one cause.
 *
 * Runs of objects of one class that each hold the next through the same edge (linked lists:
 * `_idleNext`, `next`, `parent`…) fold into one *chain* step, so a list of 10,000 timers is one
 * group, not 10,000 levels.
 *
 * Cost: near linear. One node-sized column (where each object's record is), and for the retained
 * sizes a word per node for a while (the nearest target above each node in the dominator tree);
 * per object the walk meets, one record of a few words (its parent, its chain run, its pairs,
 * what is known of it: one place in memory per object, where separate per-node columns would each
 * be a cache miss and, sparsely touched, each fault in pages over all nodes); per visited (object,
 * group) pair a few numbers in typed arrays. A target's walk stops at the first (object, group)
 * pair already seen, since everything above it is the same for both; how many targets pass each
 * pair is summed at the end, leaves first. Keys are integer tuples in {@link TupleMap}, never
 * strings.
 */
import { isUnreached } from "../graph/distances.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { IntList } from "../graph/lists.js";
import type { WalkContext } from "./backrefs.js";
import type { ReadAheadPart } from "../snapshot/columns.js";
import { hasEdgeNamed, moduleEdgeOf, moduleFile, scriptOf } from "./modules.js";
import { formatPropertyName } from "../graph/class-names.js";
import { TupleMap } from "./tuple-map.js";
import type { GroupedSummary, LimitsReached, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "./types.js";

export interface GroupOptions {
  /** Fold runs of same-class objects linked by the same edge into one chain step. Default true. */
  fold?: boolean;
  /** How many example heap ids each group keeps (largest retained size first). Default 5. */
  examples?: number;
  /**
   * Ids of the objects of an earlier snapshot of the same process (`--new-since`): the edge where
   * a path passes from an object that existed then to one that did not, for the last time on its
   * way to its target, is marked "cut here".
   */
  baseline?: { has(id: number): boolean };
}

/**
 * At least one target per this many nodes: the walk reads a little of nearly every block of the
 * node and edge columns it samples, so a cached snapshot reads them ahead whole.
 */
const DENSE_TARGETS = 1024;
/**
 * What the walk up the distance tree reads whole, whatever the targets (the tree's edges and the
 * list bits that say where a list head can begin, the user-root marks and node types that say where
 * paths end, the first-edge index that gives an edge's source): a caller that is about to choose
 * many targets may ask for these to be read ahead before it knows them ({@link HeapGraph.readAhead}).
 */
export const GROUP_WALK_READ_AHEAD: readonly ReadAheadPart[] = ["parentEdge", "treeList", "userRoots", "nodeType", "firstEdge"];

/** The node budget of a default grouped picture. */
export const DEFAULT_GROUP_NODES = 40;

/** Group kinds. */
const TARGET = 0;
const PLAIN = 1;
const CHAIN = 2;
const ROOT = 3;

// The words of an object's record (see PathGroups.rec).
/** Its parent in the distance tree, -1 for none, or {@link NOT_LOOKED_UP}. */
const R_PARENT = 0;
/** The length of its chain run from it upwards (0: not computed; see PathGroups.run). */
const R_LEN = 1;
/** The top of its chain run. */
const R_TOP = 2;
/** 1 + its last pair, or 0; once the walk is done, the chains' stamp (see PathGroups.finish). */
const R_PAIR = 3;
/** What is known of it: the bits below. */
const R_FLAGS = 4;
/** Words per record. */
const REC = 5;
/**
 * Pairs, and records, reserved per target before the walk: a target makes its own pair and record,
 * and the objects on the way up about one more each unless targets share them (1.0–2.5 of each per
 * target in the benchmark snapshots' classes). Growing from a small start instead doubled the five
 * pair arrays and the records ten times or more for hundreds of thousands of targets (~0.15 s of the
 * 1 GB grouped picture of 460,000 objects). Room reserved and not used costs next to nothing: the
 * pages of a new array are only given to the process when first written, so this is set above the
 * most seen rather than at the middle (a class that needed one doubling more wrote its arrays over
 * twice).
 */
const PAIRS_PER_TARGET = 3;

/** From this many nodes, garbage is collected before the walk (a collection takes ~0.01 s; a small graph's garbage is small). */
const COLLECT_BEFORE_WALK_NODES = 1_000_000;
const NOT_LOOKED_UP = -2;
/** R_FLAGS: whether it is a retention root is known, and the answer. */
const ROOT_KNOWN = 1;
const IS_ROOT = 2;
/** R_FLAGS: it starts no chain run, or does (see PathGroups.listLink). */
const NO_LIST = 4;
const LIST = 8;
/** R_FLAGS: its list bit, read back clear from a cache entry, was found right (see PathGroups.checkClearBit). */
const CLEAR_BIT_CHECKED = 16;

/** Edge name key for names that are merged: element indices, hash-table slots. */
const ANY_NAME = 0xffffffff;
/** "No group" in a key (targets lead nowhere). */
const NONE = 0xffffffff;
/**
 * Edge type key of the edge into a chain through the chain's own link (a list head's `next`), and
 * of the edge into a target that is one more element of a list (from the list's run above it, or
 * named as the target's own link): merged whatever its name, so the two ends of a doubly linked
 * list (`_idleNext`, `_idlePrev`) are one way in, and the list's members, when they are the
 * targets, one pattern.
 */
const LINK = 0xfffffffe;
/**
 * Class key of the objects of the classes named by their keys (see {@link PathGroups.keyNamedClasses}):
 * one class, whatever their names.
 */
const KEYED_CLASS = 0xfffffffd;

/** One step of a pattern as plain data (target side first), for text output. */
export interface GroupStep {
  className: string;
  /** Node type of the group's objects (of its first object when they differ). */
  type: string;
  /** The objects' raw name when they all share it (a function's name…), else "". */
  name: string;
  /** When the objects have exactly two names: the second (`name` is the first). */
  otherName?: string;
  /** Distinct objects in the group. */
  count: number;
  selfSize: number;
  /**
   * Targets only: the objects' retained size, each counted once among them (an object dominated by
   * another of the same class is in that one's); may include another target class's objects.
   */
  retainedSize?: number;
  objectIds: number[];
  isTarget: boolean;
  isRoot: boolean;
  /**
   * A root that is a loaded module's record (`ModuleJob`, vitest's `EvaluatedModuleNode`): the
   * module's file or URL as the record names it ("" when it names none). The path above it, through
   * the module loader's own state, is not part of the pattern.
   */
  module?: string;
  /** A group of one function: the script its code is in (see `HeapObjectInfo.script`). */
  script?: string;
  chainLength?: number;
  chainEdge?: { type: string; name: string | number; otherName?: string | number };
  /** The edge from this group to the previous step (absent on the target step); `a | b` when two names merged. */
  edge?: { type: string; name: string | number; otherName?: string | number };
  /** With a baseline: the edge into the previous step is where old passes to new, for this many paths. */
  cutCount?: number;
  /**
   * When that is so for some of the paths through the edge only, and the step is on one pattern:
   * how many paths pass the edge (a list reached from both ends is cut at one place from one end
   * and at another from the other).
   */
  cutOf?: number;
  newCount?: number;
}

/** One cause: the groups from the targets up to a root, and how many targets it holds. */
export interface GroupPattern {
  /** Targets whose retaining path follows this pattern. */
  targets: number;
  /** Their retained size, each counted once (with retained sizes). */
  retainedSize?: number;
  /** Target group first, root last. */
  steps: GroupStep[];
}

/** The grouped retaining paths as text-ready data: the largest patterns first. */
export interface GroupedPathsReport {
  /** Matching objects given. */
  targets: number;
  /** Target classes: one entry per target group. */
  targetGroups: GroupStep[];
  /** Patterns, largest first (at most the limit asked for). */
  patterns: GroupPattern[];
  /** Patterns past the limit, and the targets they hold: nothing is dropped silently. */
  patternsOmitted: number;
  targetsOmitted: number;
  /** Targets no strong path from a root reaches (they are only weakly held). */
  noPath: number;
  /** Targets that are roots themselves. */
  rootTargets: number;
  /** Distinct patterns found. */
  patternCount: number;
}

/**
 * The merged retaining paths of `targets` (node ordinals). Build once, then draw
 * ({@link PathGroups.toSubgraph}) or print ({@link PathGroups.report}).
 *
 * @example
 * const ctx = walkContext(graph);
 * const { ordinals } = selectNodes(graph, { types: ["OrderService"] });
 * const groups = groupRetainingPaths(graph, ctx, ordinals);
 * const sub = groups.toSubgraph({ maxNodes: 40 });   // draw with toDot(sub)
 * groups.report(10).patterns[0].targets;             // 201
 */
export function groupRetainingPaths(graph: HeapGraph, ctx: WalkContext, targets: number[], opts: GroupOptions = {}): PathGroups {
  let groups = new PathGroups(graph, ctx, targets, opts, { holders: new Set(), classes: new Set() });
  // Walked again while it finds more objects or classes that hold paths under their keys (see
  // fanInHolders and keyNamedClasses).
  for (let round = 1; groups.moreKeys !== null; round++)
    groups = new PathGroups(graph, ctx, targets, opts, groups.moreKeys, round, groups.above);
  return groups;
}

/** What a walk takes as data rather than the program's names: property names that are keys. */
export interface PathKeys {
  /** Objects whose property names are one key (a dictionary's). */
  readonly holders: ReadonlySet<number>;
  /** Classes named by their keys, taken as one class whose property names are one key. */
  readonly classes: ReadonlySet<number>;
}

/**
 * How many times the paths are walked again for objects found holding them under several names
 * (a dictionary of dictionaries takes one more walk per level); past it, names stay apart.
 */
const MAX_KEY_ROUNDS = 3;

/**
 * How many property names one object must hold the same objects under for the names to count as
 * a dictionary's keys: fewer may be the program's own (`primary` and `backup`; `process.argv`,
 * `process.execArgv`…). Other edge types' names (a closure's variables, the engine's) are never keys.
 */
const MIN_KEY_NAMES = 8;

export class PathGroups {
  /** Matching objects given. */
  readonly targetCount: number;
  /** Targets with no strong retaining path. */
  noPath = 0;
  /** Targets that are roots themselves. */
  rootTargets = 0;

  private readonly fold: boolean;
  private readonly exampleCount: number;
  private readonly nodeClass: Uint32Array;
  private readonly parentEdge: Uint32Array;
  /** A bit per node: where a list head's way in can be (see {@link entersList}). */
  private readonly treeList: Uint8Array;
  /**
   * When the list bits were read back from a cache entry: makes it damaged (throws), for a bit
   * found wrongly clear ({@link checkClearBit}); else null (computed here: nothing to check).
   */
  private readonly listBitWrong: ((why: string) => never) | null;
  private readonly userRoots: Uint8Array;
  /** Node types (whole), and the code of the synthetic ones: for {@link isRoot}. */
  private readonly nodeTypes: Uint8Array;
  private readonly syntheticType: number;
  /** Retained sizes (with retained sizes), set once the walk is done. */
  private retained: Float64Array | null = null;
  /** Set once the walk is done. */
  private shallow!: Float64Array;
  /**
   * What the walk keeps of each object it passes, in one record of {@link REC} words per object
   * (the words of one object side by side, so that looking at an object reads one place of memory,
   * not one per column): see the `R_…` words. Records are made in the order objects are first
   * met; `recAt[n]` is 1 + node n's record number, 0 for an object not met.
   */
  private recAt: Int32Array | null = null;
  private rec = new Int32Array(REC * 1024);
  private recCount = 0;
  private numericName: Int8Array | null = null;
  /**
   * Per class id: 0 not looked at, 1 a class of module records (see ./modules.ts), 2 not; null when
   * module records are not roots.
   */
  private moduleClass: Uint8Array | null = null;
  private readonly elementType: number;
  private readonly hiddenType: number;
  private readonly internalType: number;
  private readonly propertyType: number;

  // Groups.
  private readonly groupKeys = new TupleMap(7, 256);
  private readonly gChild = new IntList(64);
  private readonly gKind = new IntList(64);
  // Up to two example edges with different names (shown as `a | b`); more: the name shows as "*".
  private readonly gEdge = new IntList(64);
  /** The type and raw name of the group's first edge (gEdge), -1 for none. */
  private readonly gEdgeType = new IntList(64);
  private readonly gEdgeName = new IntList(64);
  private readonly gEdge2 = new IntList(64);
  private readonly gEdgeMixed = new IntList(64);
  // The same for a chain's links.
  private readonly gLink = new IntList(64);
  private readonly gLink2 = new IntList(64);
  private readonly gLinkMixed = new IntList(64);
  private readonly gNode = new IntList(64); // an example object
  private readonly gNodeName = new IntList(64); // its raw name
  private readonly gNode2 = new IntList(64); // an example object with another name, or -1
  private readonly gNameMixed = new IntList(64); // 1: three or more names
  private readonly gDepth = new IntList(64);
  /**
   * Per group: the group last found above it (or -1), tried before the key map. Paths that pass
   * one group mostly go on to the same next one, so most steps need no hashing.
   */
  private readonly gAbove = new IntList(64);
  /** The same for target groups (they have no group below). */
  private targetGroup = -1;
  // Filled by finish().
  private gCount!: Int32Array;
  private gSelf!: Float64Array;
  private gTargets!: Float64Array;
  private gRetained!: Float64Array;
  private gChainMax!: Int32Array;
  private gPatterns!: Float64Array;
  private gCut!: Float64Array;
  private gNew!: Int32Array;
  /** Two hashes of each group's set of objects (sums of a mix of each), to tell groups of the same objects. */
  private gSetA!: Int32Array;
  private gSetB!: Int32Array;
  private gExamples: number[][] = [];
  /** Per group, the retained size and the id of each of its examples, in the examples' order. */
  private gExampleRetained: number[][] = [];
  private gExampleId: number[][] = [];

  // (object, group) pairs: the object that enters the step, its group, the pair above, the targets
  // counted in it (in finish, the targets through it). A node's pairs are found from its record
  // (R_PAIR), then among the node's few pairs. Plain arrays grown together (one length check per
  // pair made, not one per array).
  private pairCount = 0;
  /** Per pair: the node's pair made before it, or -1 (finish counts in it once the walk is done). */
  private pSameNode = new Int32Array(1024);
  /** Whether the last {@link pair} made its pair. */
  private pairAdded = false;
  private pNode = new Int32Array(1024);
  private pGroup = new Int32Array(1024);
  private pParent = new Int32Array(1024);
  private pOwn = new Int32Array(1024);
  /** Per pair: the retained size of the targets counted in it (not dominated by another target); set after the walk. */
  private pOwnRetained: Float64Array | null = null;
  /** Per target group (one class): its objects' retained size, each counted once among them; set after the walk. */
  private targetRetained = new Map<number, number>();
  /** Per pattern (its root group): the same, among the pattern's targets; see {@link addSetRetained}. */
  private patternRetained = new Map<number, number>();

  private readonly baseline: { has(id: number): boolean } | undefined;

  /**
   * Set when the walk found objects that hold the same objects under several property names (see
   * {@link fanInHolders}), or classes named by the keys they hold paths under ({@link
   * keyNamedClasses}): with those added to the ones given, the paths must be walked again, and
   * nothing else of this instance is made. Null once walked.
   */
  readonly moreKeys: PathKeys | null = null;
  /**
   * The target forest ({@link HeapAnalysis.nearestListedDominators} of the targets), when found
   * before the walk (see the constructor), or given by an earlier walk of the same targets.
   */
  readonly above: Int32Array | null = null;
  /** Objects whose edges' names are one key (what a dictionary holds under its keys), found by an earlier walk. */
  private readonly anyName: ReadonlySet<number>;
  /** Classes named by their keys, found by an earlier walk: one class, their property names one key. */
  private readonly keyClasses: ReadonlySet<number>;

  /** `keys`: what earlier walks found to be keys; `round`: how many walks came before. */
  constructor(
    private readonly graph: HeapGraph,
    private readonly ctx: WalkContext,
    targets: number[],
    opts: GroupOptions,
    keys: PathKeys,
    round = 0,
    above: Int32Array | null = null,
  ) {
    this.anyName = keys.holders;
    this.keyClasses = keys.classes;
    this.targetCount = targets.length;
    this.fold = opts.fold ?? true;
    this.exampleCount = Math.max(0, opts.examples ?? 5);
    this.baseline = opts.baseline;
    const codes = graph.edgeTypeCodes;
    this.elementType = codes.element;
    this.hiddenType = codes.hidden;
    this.internalType = codes.internal;
    this.propertyType = codes.property;
    this.syntheticType = graph.types.synthetic;
    // What the walk reads whole, in the order it does, and, for many targets, the columns it
    // reads a little of nearly everywhere (a cached snapshot reads them on a second thread meanwhile).
    const dense = targets.length * DENSE_TARGETS >= graph.nodeCount;
    // For many targets, the dominators first: the target forest is found from them before the walk
    // (see below), this thread and the other reading their blocks side by side. The edges' names
    // and types: the walk reads each step's tree edge (parentEdge - 1) among them, all over the
    // columns for many targets.
    graph.readAhead([
      ...GROUP_WALK_READ_AHEAD,
      ...(dense && ctx.retained ? (["idom"] as const) : []),
      ...(dense ? (["edgeType", "edgeName", "nodeName"] as const) : []),
      ...(ctx.retained ? (["retained"] as const) : []),
      "shallow",
      ...(dense ? (["nodeId"] as const) : []),
    ]);
    const classes = graph.classes();
    this.nodeClass = classes.nodeClass;
    this.moduleClass = new Uint8Array(graph.strings.length + classes.extraNames.length);
    if (this.anyModule(targets)) this.moduleClass = null;
    const d = ctx.analysis.distances();
    this.parentEdge = d.parentEdge;
    this.treeList = d.treeList;
    this.listBitWrong = ctx.analysis.storedListBitWrong();
    this.userRoots = d.userRoots;
    this.nodeTypes = graph.columns.nodeType;
    // The walk's records come on top of what the picture holds: on a big graph, first free what
    // the steps before it let go of (at 200 MB they were ~40 MB not yet collected, and the walk is
    // the picture's peak).
    if (graph.nodeCount >= COLLECT_BEFORE_WALK_NODES) ctx.analysis.collectGarbage();
    const recAt = new Int32Array(graph.nodeCount);
    // For many targets, the target forest (see addRetained) is found first, in the column the walk
    // then clears and keeps its records in: one column the size of the graph fewer, and the walk
    // touches nearly all of its pages anyway. An earlier walk's forest serves again.
    this.above = above;
    if (dense && ctx.retained && above === null) {
      this.above = ctx.analysis.nearestListedDominators(targets, recAt);
      recAt.fill(0);
    }
    this.recAt = recAt;
    this.reservePairs(PAIRS_PER_TARGET * targets.length);
    // A record per object met: at most one per node.
    this.reserveRecords(Math.min(graph.nodeCount, PAIRS_PER_TARGET * targets.length));
    const targetPairs = this.walk(targets);
    if (round < MAX_KEY_ROUNDS) {
      const holders = this.fanInHolders();
      const classes = this.keyNamedClasses();
      if (holders !== null || classes !== null) {
        this.moreKeys = { holders: holders ?? this.anyName, classes: classes ?? this.keyClasses };
        return;
      }
    }
    // The sizes are read after the walk, which needs none of them.
    if (ctx.retained) this.addRetained(targets, targetPairs);
    this.shallow = ctx.analysis.shallowSizes();
    this.finish();
    // The records are only for building: let them go before anything is drawn.
    this.recAt = null;
    this.rec = new Int32Array(0);
  }

  // ------------------------------------------------------------------ building

  /** Edge e's name key, e of type `t`: element indices and numbered internal slots merge into one. */
  private nameKeyOf(e: number, t: number): number {
    return t === this.elementType || t === this.hiddenType ? ANY_NAME : this.namedKey(this.graph.edgeNameOrIndex(e), t);
  }

  /** The type of node n's tree edge (parentEdge[n] - 1). */
  private treeTypeOf(n: number): number {
    return this.graph.edgeType(this.parentEdge[n]! - 1);
  }

  /** {@link nameKeyOf} node n's tree edge (parentEdge[n] - 1). */
  private treeKey(n: number): number {
    const e = this.parentEdge[n]! - 1;
    return this.nameKeyOf(e, this.graph.edgeType(e));
  }

  /** The name key of an edge of type `t` (not an element or hidden one) whose raw name is `name`. */
  private namedKey(name: number, t: number): number {
    if (t !== this.internalType) return name;
    const g = this.graph;
    const cache = (this.numericName ??= new Int8Array(g.strings.length));
    if (cache[name] === 0) {
      // `{729}` (a hash table's slot) and WeakMap entries (`12 / part of key … pair in WeakMap`).
      cache[name] = g.strings.isNumberName(name) ? 1 : 2;
    }
    return cache[name] === 1 ? ANY_NAME : name;
  }

  /** Gives the records room for `n` records, unless they have it. */
  private reserveRecords(n: number): void {
    if (n * REC <= this.rec.length) return;
    const grown = new Int32Array(n * REC);
    grown.set(this.rec.subarray(0, this.recCount * REC));
    this.rec = grown;
  }

  /** The offset in {@link rec} of node n's record, made if n has none. */
  private recOf(n: number): number {
    const at = this.recAt!;
    const r = at[n]!;
    if (r !== 0) return (r - 1) * REC;
    const i = this.recCount++;
    if ((i + 1) * REC > this.rec.length) this.reserveRecords(2 * (this.rec.length / REC));
    const base = i * REC;
    this.rec[base + R_PARENT] = NOT_LOOKED_UP;
    at[n] = i + 1;
    return base;
  }

  /** Node n's parent in the distance tree (the source of the edge n was reached by), or -1; `base` is n's record. */
  private parentAt(n: number, base: number): number {
    let p = this.rec[base + R_PARENT]!;
    if (p === NOT_LOOKED_UP) {
      const pe = this.parentEdge[n]!;
      p = pe === 0 ? -1 : this.graph.edgeSource(pe - 1);
      this.rec[base + R_PARENT] = p;
    }
    return p;
  }

  private parentOf(n: number): number {
    return this.parentAt(n, this.recOf(n));
  }

  /**
   * {@link HeapAnalysis.isRetentionRoot}, from the columns it reads (taken whole here): a synthetic
   * node (the root included) or a user root.
   */
  private isRoot(n: number): boolean {
    return n === 0 || this.nodeTypes[n] === this.syntheticType || this.userRoots[n] === 1 || this.isModule(n);
  }

  /**
   * Whether node n is a loaded module's record (see ./modules.ts: Node's ESM loader's `ModuleJob`,
   * vitest's `EvaluatedModuleNode`, holding its module), when those are roots. Such a record lives as
   * long as its loader (the process, or the test worker): a path stops at one as at a root, shown by
   * the module's file, instead of going on through ten to twenty objects of the loader's own state up
   * to `global`. Not when the targets are such records themselves.
   */
  private isModule(n: number): boolean {
    const known = this.moduleClass;
    if (known === null) return false;
    const c = this.nodeClass[n]!;
    if (known[c] === 0) known[c] = moduleEdgeOf(this.graph.classNameOf(c)) !== undefined ? 1 : 2;
    return known[c] === 1 && hasEdgeNamed(this.graph, n, moduleEdgeOf(this.graph.classNameOf(c))!);
  }

  /**
   * Whether any of `targets` is a module record ({@link isModule}). A method of its own rather than
   * a loop in the constructor: for 920k targets the loop there took ~0.1 s, here a few ms.
   */
  private anyModule(targets: number[]): boolean {
    for (let i = 0; i < targets.length; i++) if (this.isModule(targets[i]!)) return true;
    return false;
  }

  /** Whether node n is where paths end ({@link isRoot}); `base` is n's record. */
  private rootAt(n: number, base: number): boolean {
    const flags = this.rec[base + R_FLAGS]!;
    if ((flags & ROOT_KNOWN) !== 0) return (flags & IS_ROOT) !== 0;
    const root = this.isRoot(n);
    this.rec[base + R_FLAGS] = flags | ROOT_KNOWN | (root ? IS_ROOT : 0);
    return root;
  }

  /**
   * Length of the chain run that node `n` (not a root) belongs to, counted from `n` upwards: `n`
   * continues its parent's run when the parent (not a root) has the same class and is linked to
   * `n` by the edge that links the rest of the run (any edge, when the parent starts the run).
   * Kept in the records of n and of the objects above it (R_LEN, and the run's top in R_TOP).
   */
  private readonly runNodes: number[] = [];
  private readonly runBases: number[] = [];
  private readonly runParents: number[] = [];
  private readonly runParentBases: number[] = [];
  private run(n: number): number {
    const base = this.recOf(n);
    const known = this.rec[base + R_LEN]!;
    if (known !== 0) return known;
    const nodes = this.runNodes;
    const bases = this.runBases;
    const parents = this.runParents;
    const parentBases = this.runParentBases;
    let depth = 0;
    for (let x = n, bx = base; ;) {
      const q = this.parentAt(x, bx);
      const bq = q < 0 ? -1 : this.recOf(q);
      nodes[depth] = x;
      bases[depth] = bx;
      parents[depth] = q;
      parentBases[depth++] = bq;
      if (q < 0 || this.rootAt(q, bq) || this.rec[bq + R_LEN] !== 0) break;
      x = q;
      bx = bq;
    }
    const rec = this.rec;
    for (let i = depth - 1; i >= 0; i--) {
      const x = nodes[i]!;
      const q = parents[i]!;
      const bq = parentBases[i]!;
      let continues = false;
      if (q >= 0 && !this.rootAt(q, bq) && this.nodeClass[q] === this.nodeClass[x]) {
        // The tree edges into x and into q: the same type and name key.
        if (rec[bq + R_LEN] === 1) continues = true;
        else continues = this.treeTypeOf(x) === this.treeTypeOf(q) && this.treeKey(x) === this.treeKey(q);
      }
      const bx = bases[i]!;
      rec[bx + R_LEN] = continues ? rec[bq + R_LEN]! + 1 : 1;
      rec[bx + R_TOP] = continues ? rec[bq + R_TOP]! : x;
    }
    return rec[base + R_LEN]!;
  }

  /** The top of the chain run of node n (computed by {@link run} before). */
  private runTopOf(n: number): number {
    return this.rec[this.recOf(n) + R_TOP]!;
  }

  /**
   * The group of `key` (a step of `kind` above group `child`, -1 for a target step, through edge
   * `edge` of type `edgeType` and raw name `edgeName`, -1 when not read yet), made if new, with
   * the step's object `node` counted in its names.
   */
  private groupOf(
    key: Uint32Array,
    kind: number,
    child: number,
    edge: number,
    edgeType: number,
    edgeName: number,
    link: number,
    node: number,
  ): number {
    // The group last found above the same child first: most steps need no hashing.
    const hint = child < 0 ? this.targetGroup : this.gAbove.data[child]!;
    if (hint >= 0 && this.groupKeys.keyEquals(hint, key)) {
      this.joinGroup(hint, kind, edge, edgeType, edgeName, link, node);
      return hint;
    }
    const g = this.groupKeys.intern(key);
    if (child < 0) this.targetGroup = g;
    else this.gAbove.data[child] = g;
    if (!this.groupKeys.added) {
      this.joinGroup(g, kind, edge, edgeType, edgeName, link, node);
      return g;
    }
    this.gAbove.push(-1);
    this.gChild.push(child);
    this.gKind.push(kind);
    this.gEdge.push(edge);
    this.gEdgeType.push(edgeType);
    this.gEdgeName.push(edge < 0 ? -1 : edgeName >= 0 ? edgeName : this.graph.edgeNameOrIndex(edge));
    this.gEdge2.push(-1);
    this.gEdgeMixed.push(0);
    this.gLink.push(link);
    this.gLink2.push(-1);
    this.gLinkMixed.push(0);
    this.gNode.push(node);
    this.gNodeName.push(this.graph.nodeNameIndex(node));
    this.gNode2.push(-1);
    this.gNameMixed.push(0);
    this.gDepth.push(child < 0 ? 0 : this.gDepth.data[child]! + 1);
    return g;
  }

  /** Another step of group g (see {@link groupOf}): its edge, link and object's name noted. */
  private joinGroup(g: number, kind: number, edge: number, edgeType: number, edgeName: number, link: number, node: number): void {
    if (edge >= 0 && this.gEdgeMixed.data[g] === 0) this.noteEdge(g, edge, edgeType, edgeName);
    // A group is a chain once any of its steps is (a list's first element alone is a plain step).
    if (kind === CHAIN) this.gKind.data[g] = CHAIN;
    if (link >= 0) {
      if (this.gLink.data[g]! < 0) this.gLink.data[g] = link;
      else this.noteName(g, link, this.gLink, this.gLink2, this.gLinkMixed);
    }
    if (this.gNameMixed.data[g] === 0) this.noteNodeName(g, node);
  }

  /**
   * {@link noteName} for the group's own edges, with the first one's type and raw name kept
   * (gEdgeType, gEdgeName): edge `e` of type `type` and raw name `name` (-1: not read yet) is
   * looked at once.
   */
  private noteEdge(g: number, e: number, type: number, name: number): void {
    if (this.gEdgeType.data[g] === type && this.gEdgeName.data[g] === (name >= 0 ? name : this.graph.edgeNameOrIndex(e))) return;
    const s = this.gEdge2.data[g]!;
    if (s < 0) this.gEdge2.data[g] = e;
    else if (!this.sameEdgeName(s, e)) this.gEdgeMixed.data[g] = 1;
  }

  /** Keeps up to two names of group g's objects (gNode, gNode2); a third marks the names mixed. */
  private noteNodeName(g: number, node: number): void {
    const graph = this.graph;
    const name = graph.nodeNameIndex(node);
    if (this.gNodeName.data[g] === name) return;
    const other = this.gNode2.data[g]!;
    if (other < 0) this.gNode2.data[g] = node;
    else if (graph.nodeNameIndex(other) !== name) this.gNameMixed.data[g] = 1;
  }

  /** Keeps up to two differently named example edges of group g; a third name marks it mixed. */
  private noteName(g: number, e: number, first: IntList, second: IntList, mixed: IntList): void {
    if (mixed.data[g] === 1) return;
    if (this.sameEdgeName(first.data[g]!, e)) return;
    const s = second.data[g]!;
    if (s < 0) second.data[g] = e;
    else if (!this.sameEdgeName(s, e)) mixed.data[g] = 1;
  }

  /** Whether edges f and e have the same type and raw name. */
  private sameEdgeName(f: number, e: number): boolean {
    const graph = this.graph;
    return graph.edgeType(f) === graph.edgeType(e) && graph.edgeNameOrIndex(f) === graph.edgeNameOrIndex(e);
  }

  /** How a group's example edges read: one name, `a | b`, or "*" for many. */
  private edgeOf(
    g: number,
    first: IntList,
    second: IntList,
    mixed: IntList,
  ): { type: string; name: string | number; otherName?: string | number } {
    const graph = this.graph;
    const e = first.data[g]!;
    if (mixed.data[g] === 1) return { type: graph.edgeTypeName(e), name: "*" };
    const out: { type: string; name: string | number; otherName?: string | number } = {
      type: graph.edgeTypeName(e),
      name: graph.edgeName(e),
    };
    const s = second.data[g]!;
    if (s >= 0) {
      if (graph.edgeType(s) !== graph.edgeType(e)) return { type: out.type, name: "*" };
      out.otherName = graph.edgeName(s);
    }
    return out;
  }

  /**
   * The edge by which `p` holds, in the distance tree, an object of its class that continues its
   * run (a list's first element: `a.next → b`), or -1. When a path leaves the list at `p` itself,
   * the edge into `p` is still named as the list's link, so that it joins the list's longer runs.
   */
  private listLink(p: number): number {
    const base = this.recOf(p);
    const flags = this.rec[base + R_FLAGS]!;
    if ((flags & NO_LIST) !== 0) return -1;
    if ((flags & LIST) !== 0) return this.listLinks.get(p)!;
    const g = this.graph;
    const cls = this.nodeClass[p]!;
    let link = -1;
    for (let f = g.firstEdge[p]!; f < g.firstEdge[p + 1]! && link < 0; f++) {
      const to = g.edgeTo(f);
      if (to !== p && this.nodeClass[to] === cls && this.parentEdge[to] === f + 1 && !this.isRoot(to)) link = f;
    }
    this.rec[base + R_FLAGS] = flags | (link < 0 ? NO_LIST : LIST);
    if (link >= 0) this.listLinks.set(p, link);
    return link;
  }
  private readonly listLinks = new Map<number, number>();

  /**
   * Whether e (of type `type` and name key `key`), the edge into `p` from above, is of the kind of
   * p's list link ({@link listLink}):
   * the edge into a list's head named as its links. The link is one of p's own edges, so unless
   * one of them has e's type and name key it cannot be (told from p's edges alone, without
   * looking at the objects they lead to, as finding the link does). Called with p's own tree edge
   * (the walk's step into p): the link is then one of p's tree edges alike to p's own, which the
   * distances mark (treeList), so for nearly every p no edge of it is looked at.
   */
  private entersList(p: number, type: number, key: number): boolean {
    if ((this.treeList[p >>> 3]! & (1 << (p & 7))) === 0) {
      if (this.listBitWrong !== null) this.checkClearBit(p, type, key);
      return false;
    }
    const g = this.graph;
    let alike = false;
    for (let f = g.firstEdge[p]!, end = g.firstEdge[p + 1]!; f < end && !alike; f++) {
      const t = g.edgeType(f);
      alike = t === type && this.nameKeyOf(f, t) === key;
    }
    if (!alike) return false;
    const link = this.listLink(p);
    return link >= 0 && this.hasNameKey(link, type, key);
  }

  /**
   * Node p's list bit, read back clear from a cache entry, checked once against p's edges before
   * {@link entersList} trusts it: no tree edge of p (one whose target was reached by it) may be
   * alike to p's own tree edge (type `type`, name key `key`), by the rule the distances set the bit
   * by. Checksums only say the bit is as written; a wrongly clear one would hide a list head (the
   * walk never looks at p's edges then), and so change the picture with no word. A wrongly set one
   * needs no check: {@link entersList} then looks at the edges. Reads p's edges' types and names,
   * and the targets of those alike to its own.
   */
  private checkClearBit(p: number, type: number, key: number): void {
    const base = this.recOf(p);
    const flags = this.rec[base + R_FLAGS]!;
    if ((flags & CLEAR_BIT_CHECKED) !== 0) return;
    // Marked before the loop, not after: a wrong bit throws (the entry is damaged). And a node of
    // many edges has V8 optimise the loop while it runs (on-stack replacement), before anything after
    // the loop has run: code that then stops at the first statement after the loop, on every later call.
    this.rec[base + R_FLAGS] = flags | CLEAR_BIT_CHECKED;
    const g = this.graph;
    const first = g.firstEdge;
    const from = first[p]!;
    const end = first[p + 1]!;
    // The types first, in one loop over the column (most edges are of another type).
    const types = g.edgeTypesOf(from, end);
    for (let f = from; f < end; f++) {
      if (types[f] === type && this.nameKeyOf(f, type) === key && this.parentEdge[g.edgeTo(f)] === f + 1)
        this.listBitWrong!(`node ${p} is not marked as a possible list head but is one`);
    }
  }

  /** Whether edge f has type `type` and name key `key` ({@link nameKeyOf}). */
  private hasNameKey(f: number, type: number, key: number): boolean {
    const t = this.graph.edgeType(f);
    return t === type && this.nameKeyOf(f, t) === key;
  }

  /** The pair (node, group), made if new ({@link pairAdded} says which); `base` is the node's record. */
  private pair(node: number, base: number, group: number): number {
    const pGroup = this.pGroup;
    const head = this.rec[base + R_PAIR]!;
    for (let i = head - 1; i >= 0; i = this.pSameNode[i]!) {
      if (pGroup[i] === group) {
        this.pairAdded = false;
        return i;
      }
    }
    const index = this.pairCount;
    if (index === this.pNode.length) this.growPairs();
    this.pNode[index] = node;
    this.pGroup[index] = group;
    this.pParent[index] = -1;
    this.pSameNode[index] = head - 1;
    this.pairCount = index + 1;
    this.rec[base + R_PAIR] = index + 1;
    this.pairAdded = true;
    return index;
  }

  /** Room for at least `n` pairs in the pair arrays. */
  private reservePairs(n: number): void {
    if (n > this.pNode.length) this.resizePairs(n);
  }

  /** Doubles the room of the pair arrays. */
  private growPairs(): void {
    this.resizePairs(this.pNode.length * 2);
  }

  /** Gives the pair arrays room for `n` pairs, the pairs made so far kept. */
  private resizePairs(n: number): void {
    const made = this.pairCount;
    const resized = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a.subarray(0, made));
      return b;
    };
    this.pNode = resized(this.pNode);
    this.pGroup = resized(this.pGroup);
    this.pParent = resized(this.pParent);
    this.pOwn = resized(this.pOwn);
    this.pSameNode = resized(this.pSameNode);
  }

  /** Walks every target's path; returns each target's own pair (-1 when no path reaches it). */
  private walk(targets: number[]): Int32Array {
    const key = new Uint32Array(7);
    const pairs = new Int32Array(targets.length).fill(-1);
    // One call per target: V8 optimises a small function called often sooner than a long loop.
    for (let i = 0; i < targets.length; i++) pairs[i] = this.walkFrom(targets[i]!, key);
    return pairs;
  }

  /**
   * Objects that hold the same objects under {@link MIN_KEY_NAMES} property names or more, as a dictionary holds its values under
   * their keys (`sessions["user-1"]`, `sessions["user-2"]`…, or four caches each holding its
   * entries under the same keys), not among {@link anyName} yet: the union with those, or null when
   * there are none. Such paths are one cause, but each name makes a group of its own (and each
   * group a pattern of its own above it): found as that many groups of the same kind, class, edge
   * type and group below whose objects holding that edge (a chain's: where the walk entered its
   * runs) are the same, under different names.
   */
  private fanInHolders(): Set<number> | null {
    const G = this.gKind.length;
    const P = this.pairCount;
    const kind = this.gKind.data;
    const type = this.gEdgeType.data;
    // Per group: the count and two hashes of the objects that hold its edge: its pairs' objects.
    const count = new Int32Array(G);
    const hashA = new Int32Array(G);
    const hashB = new Int32Array(G);
    for (let i = 0; i < P; i++) {
      const g = this.pGroup[i]!;
      const n = this.pNode[i]!;
      count[g]!++;
      hashA[g] = (hashA[g]! + mixA(n)) | 0;
      hashB[g] = (hashB[g]! + mixB(n)) | 0;
    }
    const buckets = new Map<string, number[]>();
    for (let g = 0; g < G; g++) {
      if (kind[g] === TARGET || this.groupKeys.keyAt(g, 1) !== this.propertyType) continue;
      const k = `${kind[g]}:${this.groupKeys.keyAt(g, 0)}:${type[g]}:${this.gChild.data[g]}:${count[g]}:${hashA[g]}:${hashB[g]}`;
      const list = buckets.get(k);
      if (list) list.push(g);
      else buckets.set(k, [g]);
    }
    let found: Set<number> | null = null;
    let holders: GroupObjects | null = null;
    for (const list of buckets.values()) {
      if (list.length < MIN_KEY_NAMES) continue;
      holders ??= GroupObjects.of(G, (add) => {
        for (let i = 0; i < P; i++) add(this.pGroup[i]!, this.pNode[i]!);
      });
      const first = list[0]!;
      if (list.filter((g) => holders!.same(first, g)).length < MIN_KEY_NAMES) continue;
      for (const n of holders.of(first)) {
        if (this.anyName.has(n)) continue;
        found ??= new Set(this.anyName);
        found.add(n);
      }
    }
    return found;
  }

  /**
   * Classes named by the keys they hold paths under, not among {@link keyClasses} yet: the union
   * with those, or null when there are none. DevTools names a plain object after its property
   * names (`{sku-15}`), so objects that each hold an entry under its own key (a cache per service,
   * each with the one key it was asked for) are of as many classes as there are keys, and each key
   * makes a group and a pattern of its own. Found as {@link MIN_KEY_NAMES} such classes or more
   * holding the same group under that many names, each a name of its class.
   */
  private keyNamedClasses(): Set<number> | null {
    const graph = this.graph;
    const kind = this.gKind.data;
    // Per group below: the classes and names of the groups above it that qualify.
    const byChild = new Map<number, { classes: Set<number>; names: Set<number> }>();
    const verdict = new Map<number, Map<number, boolean>>();
    for (let g = 0; g < this.gKind.length; g++) {
      if (kind[g] === TARGET || kind[g] === ROOT || this.groupKeys.keyAt(g, 1) !== this.propertyType) continue;
      const c = this.groupKeys.keyAt(g, 0);
      if (c === KEYED_CLASS) continue;
      const name = this.gEdgeName.data[g]!;
      let ofClass = verdict.get(c);
      if (!ofClass) verdict.set(c, (ofClass = new Map()));
      let named = ofClass.get(name);
      if (named === undefined) ofClass.set(name, (named = isNamedByKey(graph.classNameOf(c), graph.strings.get(name))));
      if (!named) continue;
      const child = this.gChild.data[g]!;
      let seen = byChild.get(child);
      if (!seen) byChild.set(child, (seen = { classes: new Set(), names: new Set() }));
      seen.classes.add(c);
      seen.names.add(name);
    }
    let found: Set<number> | null = null;
    for (const { classes, names } of byChild.values()) {
      if (classes.size < MIN_KEY_NAMES || names.size < MIN_KEY_NAMES) continue;
      for (const c of classes) {
        found ??= new Set(this.keyClasses);
        found.add(c);
      }
    }
    return found;
  }

  /** Adds each target's retained size to its own pair, unless another target dominates it. */
  private addRetained(targets: number[], pairs: Int32Array): void {
    // The target forest: per target, the nearest target above it in the dominator tree ({@link
    // HeapAnalysis.nearestListedDominators}: every node looked at once, and only the immediate
    // dominators of the targets and of the nodes above them read; a cached tree reads just the
    // blocks that hold them).
    const above = this.above ?? this.ctx.analysis.nearestListedDominators(targets);
    const retained = (this.retained = this.ctx.analysis.retainedSizes());
    const own = (this.pOwnRetained = new Float64Array(this.pairCount));
    // In target order, as the sums always were.
    for (let i = 0; i < targets.length; i++) if (pairs[i]! >= 0 && above[i]! < 0) own[pairs[i]!]! += retained[targets[i]!]!;
    this.addSetRetained(targets, pairs, above, retained);
  }

  /**
   * The retained sizes shown beside "N × Class": each set of targets — a target box (one class), a
   * pattern — counts its objects' retained sizes once among themselves: an object is left out only
   * when another object of the same set dominates it (as the class table counts a class). Counted
   * once over all targets instead, a class or a pattern whose objects are all held through another
   * target class's objects would read 0 B, though freeing them frees their own retained size. The
   * patterns' order keeps the sum counted once over all targets (`gRetained`).
   *
   * `above` is the target forest (per target, the index of the nearest target above it in the
   * dominator tree, or -1): a member of a set has another member above it exactly when, on its
   * forest path up, some target is of the same set. One depth-first walk of the forest keeps, per
   * set, how many targets on the path from the forest's root to the target walked are members:
   * whatever the number of sets, each target is entered and left once.
   */
  private addSetRetained(targets: number[], pairs: Int32Array, above: Int32Array, retained: Float64Array): void {
    const T = targets.length;
    // No target inside another's: every set's sum is the one counted once over all targets.
    if (!above.some((a) => a >= 0)) return;
    // Each reached target's sets (-1 when no path reaches it: in no set): its class's target group,
    // and its pattern, the group of the top pair above its own.
    const classSet = new Int32Array(T).fill(-1);
    const patternSet = new Int32Array(T).fill(-1);
    const top = new Int32Array(this.pairCount).fill(-1);
    const pParent = this.pParent;
    const chain: number[] = [];
    for (let i = 0; i < T; i++) {
      const own = pairs[i]!;
      if (own < 0) continue;
      let depth = 0;
      let x = own;
      while (top[x] === -1 && pParent[x]! >= 0) {
        chain[depth++] = x;
        x = pParent[x]!;
      }
      const t = top[x] === -1 ? x : top[x]!;
      top[x] = t;
      for (let k = 0; k < depth; k++) top[chain[k]!] = t;
      classSet[i] = this.pGroup[own]!;
      patternSet[i] = this.pGroup[t]!;
    }
    // The forest's children lists: children of target i at kids[start[i]] to kids[start[i + 1] - 1].
    const start = new Int32Array(T + 1);
    for (let i = 0; i < T; i++) if (above[i]! >= 0) start[above[i]! + 1]!++;
    for (let i = 0; i < T; i++) start[i + 1]! += start[i]!;
    const kids = new Int32Array(start[T]!);
    const fill = start.slice(0, T);
    for (let i = 0; i < T; i++) if (above[i]! >= 0) kids[fill[above[i]!]!++] = i;
    // Per set, the members on the path walked; per target, whether a member of its class's set,
    // and of its pattern's, is above it.
    const G = this.gKind.length;
    const inClass = new Int32Array(G);
    const inPattern = new Int32Array(G);
    const classNested = new Uint8Array(T);
    const patternNested = new Uint8Array(T);
    const stack = new Int32Array(T);
    const next = new Int32Array(T);
    const enter = (i: number): void => {
      const c = classSet[i]!;
      if (c < 0) return;
      const p = patternSet[i]!;
      classNested[i] = inClass[c]! > 0 ? 1 : 0;
      patternNested[i] = inPattern[p]! > 0 ? 1 : 0;
      inClass[c]!++;
      inPattern[p]!++;
    };
    for (let r = 0; r < T; r++) {
      if (above[r]! >= 0) continue;
      let sp = 0;
      enter(r);
      stack[sp++] = r;
      next[r] = start[r]!;
      while (sp > 0) {
        const x = stack[sp - 1]!;
        if (next[x]! < start[x + 1]!) {
          const k = kids[next[x]!++]!;
          enter(k);
          stack[sp++] = k;
          next[k] = start[k]!;
        } else {
          sp--;
          if (classSet[x]! >= 0) {
            inClass[classSet[x]!]!--;
            inPattern[patternSet[x]!]!--;
          }
        }
      }
    }
    // The sums, in target order (as each set's always was), each set's made when first met.
    const classSum = new Float64Array(G);
    const patternSum = new Float64Array(G);
    for (let i = 0; i < T; i++) {
      const c = classSet[i]!;
      if (c < 0) continue;
      const p = patternSet[i]!;
      if (!this.targetRetained.has(c)) this.targetRetained.set(c, 0);
      if (!this.patternRetained.has(p)) this.patternRetained.set(p, 0);
      const r = retained[targets[i]!]!;
      if (classNested[i] === 0) classSum[c]! += r;
      if (patternNested[i] === 0) patternSum[p]! += r;
    }
    for (const c of this.targetRetained.keys()) this.targetRetained.set(c, classSum[c]!);
    for (const p of this.patternRetained.keys()) this.patternRetained.set(p, patternSum[p]!);
  }

  /** Whether no path reaches node n, from the distance tree (the distances are then never read). */
  private unreached(n: number): boolean {
    return isUnreached(this.parentEdge, this.userRoots, n);
  }

  /**
   * Walks target t up its retaining path until it meets a step already walked. Returns the pair
   * the target is counted in, or -1 when no path reaches it.
   */
  private walkFrom(t: number, key: Uint32Array): number {
    if (this.unreached(t)) {
      this.noPath++;
      return -1;
    }
    key[0] = this.nodeClass[t]!;
    key[1] = 0;
    key[2] = 0;
    key[3] = NONE;
    key[4] = TARGET;
    key[5] = 0;
    key[6] = 0;
    const tg = this.groupOf(key, TARGET, -1, -1, -1, -1, -1, t);
    let topBase = this.recOf(t);
    const own = this.pair(t, topBase, tg);
    this.pOwn[own]!++;
    if (this.rootAt(t, topBase)) {
      this.rootTargets++;
      return own;
    }
    if (this.pParent[own]! >= 0) return own; // the same target twice
    const graph = this.graph;
    const parentEdge = this.parentEdge;
    const recAt = this.recAt!;
    let pair = own;
    let top = t;
    let group = tg;
    let chainNode = -1; // the object below whose tree edge is the link of the step below, when it is a chain
    // The object of the step below, when it is plain (its list link, if any, may name e): the
    // target first, so that a list's member reached from either end is held the same way.
    let listFrom = this.fold ? t : -1;
    while (true) {
      const pe = parentEdge[top]!;
      if (pe === 0) break;
      const e = pe - 1;
      // What the records hold of p, looked up here (each at most once per object, in the calls).
      let p = this.rec[topBase + R_PARENT]!;
      if (p === NOT_LOOKED_UP) p = this.parentAt(top, topBase);
      const r = recAt[p]!;
      const pBase = r !== 0 ? (r - 1) * REC : this.recOf(p);
      const flags = this.rec[pBase + R_FLAGS]!;
      const root = (flags & ROOT_KNOWN) !== 0 ? (flags & IS_ROOT) !== 0 : this.rootAt(p, pBase);
      let kind = PLAIN;
      // The edge that links the chain's objects, when p's step is a chain.
      let link = -1;
      if (root) kind = ROOT;
      else if (this.fold) {
        const len = this.rec[pBase + R_LEN]!;
        if ((len !== 0 ? len : this.run(p)) >= 2) {
          kind = CHAIN;
          link = parentEdge[p]! - 1;
        }
      }
      const cls = this.nodeClass[p]!;
      // One class of the classes named by their keys (see keyNamedClasses).
      const keyed = this.keyClasses.size > 0 && this.keyClasses.has(cls);
      key[0] = kind === ROOT ? p : keyed ? KEYED_CLASS : cls;
      // Edge e's type and raw name (e is top's tree edge).
      const type = graph.edgeType(e);
      const name = graph.edgeNameOrIndex(e);
      const nameKey = type === this.elementType || type === this.hiddenType ? ANY_NAME : this.namedKey(name, type);
      const intoLink =
        chainNode >= 0
          ? this.treeTypeOf(chainNode) === type && this.treeKey(chainNode) === nameKey
          : (listFrom >= 0 && this.entersList(listFrom, type, nameKey)) ||
            // A target held by a run of its own class through the run's link: the list's next member.
            (top === t &&
              kind === CHAIN &&
              this.nodeClass[p] === this.nodeClass[t] &&
              this.treeTypeOf(p) === type &&
              this.treeKey(p) === nameKey);
      if (intoLink) {
        key[1] = LINK; // into a chain through its own link (a list's head), or into a list's member
        key[2] = 0;
      } else {
        key[1] = type;
        // A dictionary's keys are data, not the program's names: one key (see fanInHolders and
        // keyNamedClasses).
        key[2] =
          nameKey !== ANY_NAME && ((keyed && type === this.propertyType) || (this.anyName.size > 0 && this.anyName.has(p)))
            ? ANY_NAME
            : nameKey;
      }
      key[3] = group;
      // Chain or not is not part of the key: a list's first element (a run of one) and its
      // longer runs are one group, and so are the runs of both directions of a list.
      key[4] = kind === ROOT ? ROOT : PLAIN;
      key[5] = 0;
      key[6] = 0;
      const g2 = this.groupOf(key, kind, group, e, type, name, link, p);
      const up = this.pair(p, pBase, g2);
      this.pParent[pair] = up;
      if (!this.pairAdded || kind === ROOT) break;
      pair = up;
      group = g2;
      // How the step above must name its edge into this one: through the list's own link?
      chainNode = kind === CHAIN ? p : -1;
      listFrom = kind === PLAIN && this.fold ? p : -1;
      if (kind === CHAIN) {
        top = this.rec[pBase + R_TOP]!;
        topBase = this.recOf(top);
      } else {
        top = p;
        topBase = pBase;
      }
    }
    return own;
  }

  /** The topmost object of pair i's step (the run's top for a chain). */
  private stepTop(i: number): number {
    const n = this.pNode[i]!;
    return this.gKind.data[this.pGroup[i]!] === CHAIN ? this.runTopOf(n) : n;
  }

  private isOld(n: number): boolean {
    return this.baseline !== undefined && this.baseline.has(this.graph.nodeId(n));
  }

  /** Sums per pair (leaves first), then per group: targets, retained sizes, objects, examples. */
  private finish(): void {
    const P = this.pairCount;
    const G = this.gKind.length;
    const parent = this.pParent;
    // Targets through each pair: a forest; sum children into parents, leaves first. The sums are
    // made in place, in the pairs' own counts (a count of targets fits their words), and the
    // children still to come are counted in the words that chained a node's pairs, which the walk
    // alone needed: at 1 GB, 27 MB of new arrays fewer for 2.3M pairs.
    const total = this.pOwn;
    const totalRetained = this.pOwnRetained ?? new Float64Array(P);
    const pending = this.pSameNode.fill(0, 0, P);
    for (let i = 0; i < P; i++) if (parent[i]! >= 0) pending[parent[i]!]!++;
    const queue = new Int32Array(P);
    let qn = 0;
    for (let i = 0; i < P; i++) if (pending[i] === 0) queue[qn++] = i;
    // With a baseline, per pair: the targets through it whose path from its step down is all new
    // objects (leaves first, as the totals), so that each path is cut once: where it passes from an
    // old object to a new one for the last time. A path that passes through a new object and back
    // into old ones (the shortest path running through another leak's object) is not held by the
    // old object above that new one.
    const fresh = this.baseline ? new Float64Array(P) : null;
    const isNew = this.baseline ? new Uint8Array(P) : null;
    if (fresh && isNew) {
      for (let i = 0; i < P; i++) {
        isNew[i] = this.isOld(this.stepTop(i)) ? 0 : 1;
        if (isNew[i] === 1) fresh[i] = total[i]!;
      }
    }
    for (let q = 0; q < qn; q++) {
      const i = queue[q]!;
      const p = parent[i]!;
      if (p < 0) continue;
      total[p]! += total[i]!;
      totalRetained[p]! += totalRetained[i]!;
      if (fresh && isNew![p] === 1) fresh[p]! += fresh[i]!;
      if (--pending[p]! === 0) queue[qn++] = p;
    }

    this.gCount = new Int32Array(G);
    this.gSelf = new Float64Array(G);
    this.gTargets = new Float64Array(G);
    this.gRetained = new Float64Array(G);
    this.gChainMax = new Int32Array(G);
    this.gPatterns = new Float64Array(G);
    this.gCut = new Float64Array(G);
    this.gNew = new Int32Array(G);
    this.gSetA = new Int32Array(G);
    this.gSetB = new Int32Array(G);
    this.gExamples = Array.from({ length: G }, () => []);
    this.gExampleRetained = Array.from({ length: G }, () => []);
    this.gExampleId = Array.from({ length: G }, () => []);
    const kind = this.gKind.data;
    const pGroup = this.pGroup;
    const pNode = this.pNode;

    const addObject = (g: number, n: number): void => {
      this.gCount[g]!++;
      this.gSetA[g] = (this.gSetA[g]! + mixA(n)) | 0;
      this.gSetB[g] = (this.gSetB[g]! + mixB(n)) | 0;
      this.gSelf[g]! += this.shallow[n]!;
      if (this.baseline && !this.isOld(n)) this.gNew[g]!++;
      this.addExample(g, n);
    };

    let chainPairs = 0;
    for (let i = 0; i < P; i++) {
      const g = pGroup[i]!;
      this.gTargets[g]! += total[i]!;
      this.gRetained[g]! += totalRetained[i]!;
      if (kind[g] === CHAIN) chainPairs++;
      else addObject(g, pNode[i]!);
      // "Cut here": the path passes from an old object (the step above) into a new one (this step)
      // and stays among new objects down to its target. Counted on the group above, whose one edge
      // down is that reference.
      const p = parent[i]!;
      if (fresh && p >= 0 && fresh[i]! > 0 && this.isOld(pNode[p]!)) this.gCut[pGroup[p]!]! += fresh[i]!;
    }
    // A group's objects are shared by pairs: (object, group) is unique for a plain step; a chain's
    // objects are runs that different entries share, so walk each run up to the first object this
    // group already counted (one group at a time, so one stamp word serves all).
    if (chainPairs > 0) {
      const byGroup: number[] = [];
      for (let i = 0; i < P; i++) if (kind[pGroup[i]!] === CHAIN) byGroup.push(i);
      byGroup.sort((a, b) => pGroup[a]! - pGroup[b]! || a - b);
      // The stamp: 1 + the group that last counted the object (0: none), kept in the records' R_PAIR
      // word, which the pairs no longer need once walked (a run's objects all have records: the walk
      // passed them). A column of its own would be one more array the size of the graph.
      const rec = this.rec;
      for (let i = 0; i < this.recCount; i++) rec[i * REC + R_PAIR] = 0;
      const objects: number[] = [];
      for (const i of byGroup) {
        const g = pGroup[i]!;
        const entry = pNode[i]!;
        const len = this.run(entry);
        this.gChainMax[g] = Math.max(this.gChainMax[g]!, len);
        const top = this.runTopOf(entry);
        for (let x = entry, b = this.recOf(x); this.rec[b + R_PAIR] !== g + 1; x = this.parentOf(x), b = this.recOf(x)) {
          this.rec[b + R_PAIR] = g + 1;
          addObject(g, x);
          objects.push(g, x);
          if (x === top) break;
        }
      }
      this.chainObjects = Int32Array.from(objects);
    }
    // Patterns: a group's key holds its child's index, so children come first and parents later.
    for (let g = G - 1; g >= 0; g--) {
      if (kind[g] === ROOT) this.gPatterns[g]! += 1;
      const c = this.gChild.data[g]!;
      if (c >= 0) this.gPatterns[c]! += this.gPatterns[g]!;
    }
  }

  /**
   * Keeps the group's largest objects as examples: larger retained size first, then the newer
   * (higher) id. Each object's size and id are read once and the examples' kept beside them: the
   * objects of a big class often all retain the same size and come in the order of their ids, so
   * each one goes first, past every example (comparing by reading the examples' sizes and ids again
   * was most of the sums' time for 920,000 such objects at 1 GB).
   */
  private addExample(g: number, n: number): void {
    const k = this.exampleCount;
    if (k === 0) return;
    const list = this.gExamples[g]!;
    const sizes = this.gExampleRetained[g]!;
    const r = this.retained ? this.retained[n]! : 0;
    const full = list.length === k;
    // Most objects of a big group are smaller than its smallest example: passed over here.
    if (full && r < sizes[k - 1]!) return;
    const ids = this.gExampleId[g]!;
    const id = this.graph.nodeId(n);
    if (full && r === sizes[k - 1]! && id <= ids[k - 1]!) return;
    let i = full ? k - 1 : list.length;
    while (i > 0 && (r > sizes[i - 1]! || (r === sizes[i - 1]! && id > ids[i - 1]!))) {
      list[i] = list[i - 1]!;
      sizes[i] = sizes[i - 1]!;
      ids[i] = ids[i - 1]!;
      i--;
    }
    list[i] = n;
    sizes[i] = r;
    ids[i] = id;
  }

  // ------------------------------------------------------------------ reading

  /** Root-step groups (one per pattern), most targets first, then largest retained size. */
  private patternOrder(): number[] {
    const roots: number[] = [];
    for (let g = 0; g < this.gKind.length; g++) if (this.gKind.data[g] === ROOT) roots.push(g);
    roots.sort((a, b) => this.gTargets[b]! - this.gTargets[a]! || this.gRetained[b]! - this.gRetained[a]! || a - b);
    return roots;
  }

  /** Distinct patterns found. */
  get patternCount(): number {
    let n = 0;
    for (let g = 0; g < this.gKind.length; g++) if (this.gKind.data[g] === ROOT) n++;
    return n;
  }

  private step(g: number): GroupStep {
    const graph = this.graph;
    const kind = this.gKind.data[g]!;
    const node = this.gNode.data[g]!;
    const cls = this.groupKeys.keyAt(g, 0);
    // The classes named by their keys are plain objects (their raw name).
    const className = kind === ROOT ? graph.className(node) : cls === KEYED_CLASS ? "Object" : graph.classNameOf(cls);
    const s: GroupStep = {
      className,
      type: graph.nodeTypeName(node),
      name: this.gNameMixed.data[g] === 1 ? "" : graph.nodeName(node),
      count: this.gCount[g]!,
      selfSize: this.gSelf[g]!,
      objectIds: this.gExamples[g]!.map((n) => graph.nodeId(n)),
      isTarget: kind === TARGET,
      isRoot: kind === ROOT,
    };
    if (this.gNameMixed.data[g] === 0 && this.gNode2.data[g]! >= 0) s.otherName = graph.nodeName(this.gNode2.data[g]!);
    if (kind === ROOT && this.isModule(node)) s.module = moduleFile(graph, node);
    // A group of several functions may mix scripts: only one function's is said.
    if (kind === ROOT || this.gCount[g] === 1) {
      const script = scriptOf(graph, node);
      if (script !== undefined) s.script = script;
    }
    if (kind === TARGET && this.retained) s.retainedSize = this.targetRetained.get(g) ?? this.gRetained[g]!;
    // A chain of one (a list's only element on these paths) reads as a plain object.
    if (kind === CHAIN && this.gChainMax[g]! >= 2) {
      s.chainLength = this.gChainMax[g]!;
      s.chainEdge = this.edgeOf(g, this.gLink, this.gLink2, this.gLinkMixed);
    }
    if (this.gEdge.data[g]! >= 0) s.edge = this.edgeOf(g, this.gEdge, this.gEdge2, this.gEdgeMixed);
    if (this.baseline) {
      if (this.gCut[g]! > 0) {
        s.cutCount = this.gCut[g]!;
        if (s.cutCount < this.gTargets[g]! && this.gPatterns[g] === 1) s.cutOf = this.gTargets[g]!;
      }
      s.newCount = this.gNew[g]!;
    }
    return s;
  }

  /**
   * The patterns as plain data, largest first: at most `limit` of them, and what the rest hold.
   *
   * @example
   * groups.report(10).patterns.map((p) => p.targets) // [120, 60, 21]
   */
  report(limit = Infinity): GroupedPathsReport {
    const order = this.patternOrder();
    const shown = order.slice(0, limit);
    const patterns = shown.map((r) => {
      const steps: GroupStep[] = [];
      for (let g = r; g >= 0; g = this.gChild.data[g]!) steps.push(this.step(g));
      steps.reverse();
      const p: GroupPattern = { targets: this.gTargets[r]!, steps };
      if (this.retained) p.retainedSize = this.patternRetained.get(r) ?? this.gRetained[r]!;
      return p;
    });
    let targetsOmitted = 0;
    for (const r of order.slice(shown.length)) targetsOmitted += this.gTargets[r]!;
    const targetGroups: GroupStep[] = [];
    for (let g = 0; g < this.gKind.length; g++) if (this.gKind.data[g] === TARGET) targetGroups.push(this.step(g));
    return {
      targets: this.targetCount,
      targetGroups,
      patterns,
      patternsOmitted: order.length - shown.length,
      targetsOmitted,
      noPath: this.noPath,
      rootTargets: this.rootTargets,
      patternCount: order.length,
    };
  }

  /** The objects of the chain groups, as (group, object) pairs, each object once per group. */
  private chainObjects = new Int32Array(0);

  /**
   * Each group's objects (a plain or target step's pairs are its objects, each once; a chain's are
   * {@link chainObjects}); made when first asked.
   */
  private byGroup: GroupObjects | null = null;

  /** What tells chain group g's box from another chain's of the same objects: its length and link names. */
  private chainLabel(g: number): string {
    if (this.gChainMax[g]! < 2) return ""; // reads as a plain box
    const link = this.edgeOf(g, this.gLink, this.gLink2, this.gLinkMixed);
    const names = [link.name, ...(link.otherName !== undefined ? [link.otherName] : [])].map(String).sort();
    return `:chain ${this.gChainMax[g]} ${link.type} ${JSON.stringify(names)}`;
  }

  private groupObjects(): GroupObjects {
    this.byGroup ??= GroupObjects.of(this.gKind.length, (add) => {
      const kind = this.gKind.data;
      for (let i = 0; i < this.pairCount; i++) if (kind[this.pGroup[i]!] !== CHAIN) add(this.pGroup[i]!, this.pNode[i]!);
      const chains = this.chainObjects;
      for (let i = 0; i < chains.length; i += 2) add(chains[i]!, chains[i + 1]!);
    });
    return this.byGroup;
  }

  /** Whether groups g and h hold the same objects. */
  private sameObjectsOf(g: number, h: number): boolean {
    if (g === h) return true;
    if (this.gCount[g] !== this.gCount[h]) return false;
    return this.groupObjects().same(g, h);
  }

  /**
   * The grouped picture as a {@link Subgraph}: patterns in order (most targets first) while they
   * fit in `maxNodes` (the first always does); the rest become "N more patterns (K objects)"
   * placeholders on the node where they join the drawn ones. Group nodes have negative ids.
   */
  toSubgraph(opts: { maxNodes?: number } = {}): Subgraph {
    return this.subgraph(opts, "members") ?? this.subgraph(opts, "same") ?? this.subgraph(opts, "none")!;
  }

  /**
   * {@link toSubgraph}. With `merge` "same" or "members", groups of the same objects are one node:
   * the paths of two patterns often pass the same objects (one root's chain of single objects, or
   * a target class whose objects also hold another target class), which drawn once per pattern
   * would repeat one object in several boxes. With "members", also a group whose objects are all
   * targets of its class is drawn as their target node (timers that are targets, and also the
   * list that holds the caches that are targets: one box, not a target box, a list box and a box
   * for each end of the list); the paths from one target to another of its node are an arrow from
   * the node to itself. Should merged groups ever close a cycle through other nodes (groups of
   * several objects, each above the other in different patterns), null is returned and the caller
   * draws with fewer merges.
   */
  private subgraph(opts: { maxNodes?: number }, mode: "none" | "same" | "members"): Subgraph | null {
    const merge = mode !== "none";
    const maxNodes = Math.max(1, opts.maxNodes ?? DEFAULT_GROUP_NODES);
    const G = this.gKind.length;
    const kind = this.gKind.data;
    const child = this.gChild.data;
    const slot = new Int32Array(G).fill(-1); // group → drawn node number
    const rootSlot = new Map<number, number>(); // root object → drawn node number
    const setSlot = new Map<string, { slot: number; group: number }>(); // a group's objects (see sameObjects) → its drawn node
    const drawn: number[] = []; // drawn node number → a representative group
    const order = this.patternOrder();
    let patternsDrawn = 0;
    // Groups are one node when they hold the same objects: found by class, count, self size and two
    // hashes of the objects, then compared object by object. Chains only with chains of the same
    // length and link, so that the box reads the same whichever of them it stands for.
    const sameObjects = (g: number): string | null =>
      merge && kind[g] !== ROOT && this.gCount[g]! > 0
        ? `${this.groupKeys.keyAt(g, 0)}:${this.gCount[g]}:${this.gSetA[g]}:${this.gSetB[g]}:${this.gSelf[g]}${kind[g] === CHAIN ? this.chainLabel(g) : ""}`
        : null;
    // "members": per class, its target group (one per class); per group, the target group whose
    // objects include all of the group's (-1: none; -2: not looked at).
    const targetOf = new Map<number, number>();
    if (mode === "members") for (let g = 0; g < G; g++) if (kind[g] === TARGET) targetOf.set(this.groupKeys.keyAt(g, 0), g);
    const memberMemo = new Int32Array(targetOf.size > 0 ? G : 0).fill(-2);
    const memberOf = (g: number): number => {
      if (targetOf.size === 0 || kind[g] === ROOT || kind[g] === TARGET) return -1;
      let m = memberMemo[g]!;
      if (m === -2) {
        const t = targetOf.get(this.groupKeys.keyAt(g, 0));
        m = memberMemo[g] = t !== undefined && this.groupObjects().within(g, t) ? t : -1;
      }
      return m;
    };
    const drawnAs = (g: number): number | undefined => {
      if (slot[g]! >= 0) return slot[g]!;
      if (kind[g] === ROOT) return rootSlot.get(this.gNode.data[g]!);
      const key = sameObjects(g);
      const have = key === null ? undefined : setSlot.get(key);
      if (have !== undefined && this.sameObjectsOf(g, have.group)) return have.slot;
      const t = memberOf(g);
      return t >= 0 && slot[t]! >= 0 ? slot[t]! : undefined;
    };
    const place = (g: number): void => {
      if (slot[g]! >= 0) return;
      const have = drawnAs(g);
      if (have !== undefined) {
        slot[g] = have;
        // A node that is a target group for some paths is drawn as one (red, with its retained size).
        if (kind[g] === TARGET && kind[drawn[have]!] !== TARGET) drawn[have] = g;
        return;
      }
      const t = memberOf(g);
      if (t >= 0) {
        place(t);
        slot[g] = slot[t]!;
        return;
      }
      if (kind[g] === ROOT) rootSlot.set(this.gNode.data[g]!, drawn.length);
      const key = sameObjects(g);
      if (key !== null && !setSlot.has(key)) setSlot.set(key, { slot: drawn.length, group: g });
      slot[g] = drawn.length;
      drawn.push(g);
    };
    for (const r of order) {
      let needed = 0;
      // Target groups this pattern's groups are drawn as, not drawn yet: one node each.
      const targetsNeeded = new Set<number>();
      for (let g = r; g >= 0; g = child[g]!) {
        if (slot[g]! >= 0) break;
        if (drawnAs(g) !== undefined) continue;
        const t = kind[g] === TARGET ? g : memberOf(g);
        if (t >= 0) {
          if (targetsNeeded.has(t)) continue;
          targetsNeeded.add(t);
        }
        needed++;
      }
      if (patternsDrawn > 0 && drawn.length + needed > maxNodes) break;
      for (let g = r; g >= 0; g = child[g]!) place(g);
      patternsDrawn++;
    }
    // Target groups of targets that no pattern reaches (all roots themselves): still shown.
    for (let g = 0; g < G; g++) if (kind[g] === TARGET && slot[g]! < 0 && this.gTargets[g]! > 0 && order.length === 0) place(g);

    const id = (s: number): number => -(s + 1);
    // Root nodes merged from several root groups: depth is the deepest.
    const depth = new Int32Array(drawn.length);
    for (let g = 0; g < G; g++) if (slot[g]! >= 0) depth[slot[g]!] = Math.max(depth[slot[g]!]!, this.gDepth.data[g]!);

    // A target node drawn for a chain of its objects too: the longest such chain, for its label.
    const chainOf = new Int32Array(drawn.length).fill(-1);
    if (targetOf.size > 0)
      for (let g = 0; g < G; g++) {
        const s = slot[g]!;
        if (s < 0 || kind[g] !== CHAIN || kind[drawn[s]!] !== TARGET || this.gChainMax[g]! < 2) continue;
        if (chainOf[s]! < 0 || this.gChainMax[g]! > this.gChainMax[chainOf[s]!]!) chainOf[s] = g;
      }
    const nodes: SubgraphNode[] = drawn.map((g, s) => {
      const st = this.step(g);
      if (chainOf[s]! >= 0) {
        const chain = this.step(chainOf[s]!);
        st.chainLength = chain.chainLength!;
        st.chainEdge = chain.chainEdge!;
      }
      let count = st.count;
      let newCount = st.newCount;
      if (kind[g] === ROOT) {
        count = 1;
        if (newCount !== undefined) newCount = Math.min(1, newCount);
      }
      const node: SubgraphNode = {
        id: id(s),
        className: st.className,
        type: st.type,
        name: st.name,
        selfSize: kind[g] === ROOT ? this.shallow[this.gNode.data[g]!]! : st.selfSize,
        isTarget: st.isTarget,
        isRoot: st.isRoot,
        depth: depth[s]!,
        onPath: true,
        isGroup: true,
        count,
        objectIds: st.objectIds,
      };
      if (st.otherName !== undefined) node.otherName = st.otherName;
      if (st.module !== undefined) node.module = st.module;
      if (st.script !== undefined) node.script = st.script;
      if (st.retainedSize !== undefined) node.retainedSize = st.retainedSize;
      if (st.chainLength !== undefined) {
        node.chainLength = st.chainLength;
        node.chainEdge = st.chainEdge!;
      }
      if (newCount !== undefined) {
        node.newCount = newCount;
        node.isNew = newCount === count;
      }
      return node;
    });
    const edges: SubgraphEdge[] = [];
    // Edges between two merged nodes are one, counting the paths of each (drawn node numbers, from * drawn + to).
    const edgeAt = new Map<number, SubgraphEdge>();
    const boxes = new Map<number, { patterns: number; objects: number }>();
    for (let g = 0; g < G; g++) {
      const c = child[g]!;
      if (c < 0) continue;
      if (slot[g]! < 0) {
        if (slot[c]! >= 0) {
          const box = boxes.get(slot[c]!) ?? { patterns: 0, objects: 0 };
          box.patterns += this.gPatterns[g]!;
          box.objects += this.gTargets[g]!;
          boxes.set(slot[c]!, box);
        }
        continue;
      }
      const same = edgeAt.get(slot[g]! * drawn.length + slot[c]!);
      if (same) {
        same.count = same.count! + this.gTargets[g]!;
        const shown = this.edgeOf(g, this.gEdge, this.gEdge2, this.gEdgeMixed);
        mergeEdgeNames(same, shown);
        if (this.gCut[g]! > 0) {
          same.isCut = true;
          same.cutCount = (same.cutCount ?? 0) + this.gCut[g]!;
        }
        continue;
      }
      const shown = this.edgeOf(g, this.gEdge, this.gEdge2, this.gEdgeMixed);
      const edge: SubgraphEdge = {
        from: id(slot[g]!),
        to: id(slot[c]!),
        type: shown.type,
        name: shown.name,
        onPath: true,
        count: this.gTargets[g]!,
      };
      if (shown.otherName !== undefined) edge.otherName = shown.otherName;
      if (this.gCut[g]! > 0) {
        edge.isCut = true;
        edge.cutCount = this.gCut[g]!;
      }
      edges.push(edge);
      edgeAt.set(slot[g]! * drawn.length + slot[c]!, edge);
    }
    if (merge && hasCycle(drawn.length, edges)) return null;
    const placeholders: SubgraphPlaceholder[] = [...boxes]
      .sort((a, b) => a[0] - b[0])
      .map(([s, box]) => ({ of: id(s), count: box.patterns, reason: "patterns" as const, objects: box.objects }));
    const limits: LimitsReached = {
      targetsOmitted: 0,
      tooMany: 0,
      maxNodes: 0,
      depth: 0,
      noPath: this.noPath,
      pathHops: 0,
      patternsOmitted: order.length - patternsDrawn,
    };
    const grouped: GroupedSummary = {
      targets: this.targetCount,
      patterns: order.length,
      patternsDrawn,
      rootTargets: this.rootTargets,
    };
    const targetIds: number[] = [];
    drawn.forEach((g, s) => {
      if (kind[g] === TARGET) targetIds.push(id(s));
    });
    return { targets: targetIds, nodes, edges, placeholders, limitsReached: limits, grouped };
  }
}

/**
 * Edge `into` drawn for one more group: names as {@link PathGroups.edgeOf} gives them, `a | b` for
 * two, `*` for more names or two types.
 */
function mergeEdgeNames(into: SubgraphEdge, more: { type: string; name: string | number; otherName?: string | number }): void {
  if (into.name === "*") return;
  if (more.type !== into.type || more.name === "*") {
    into.name = "*";
    delete into.otherName;
    return;
  }
  const names = new Set<string | number>([into.name]);
  if (into.otherName !== undefined) names.add(into.otherName);
  names.add(more.name);
  if (more.otherName !== undefined) names.add(more.otherName);
  if (names.size > 2) {
    into.name = "*";
    delete into.otherName;
  } else if (names.size === 2) into.otherName = [...names][1]!;
}

/**
 * Whether the edges between `count` drawn nodes (group node ids -1 … -count) close a cycle through
 * two nodes or more (an arrow from a node to itself does not count).
 */
function hasCycle(count: number, edges: readonly SubgraphEdge[]): boolean {
  const slotOf = (nodeId: number): number => -nodeId - 1;
  const out: number[][] = Array.from({ length: count }, () => []);
  for (const e of edges) if (e.from !== e.to) out[slotOf(e.from)]!.push(slotOf(e.to));
  // 0: not seen, 1: on the current path, 2: done.
  const state = new Uint8Array(count);
  for (let s = 0; s < count; s++) {
    if (state[s] !== 0) continue;
    const stack: Array<[number, number]> = [[s, 0]];
    state[s] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const next = out[top[0]]![top[1]++];
      if (next === undefined) {
        state[top[0]] = 2;
        stack.pop();
      } else if (state[next] === 1) return true;
      else if (state[next] === 0) {
        state[next] = 1;
        stack.push([next, 0]);
      }
    }
  }
  return false;
}

/** Each group's objects, as one sorted run of an array per group (sorted when first looked at). */
class GroupObjects {
  private readonly sorted: Uint8Array;

  private constructor(
    private readonly start: Int32Array,
    private readonly nodes: Int32Array,
  ) {
    this.sorted = new Uint8Array(start.length - 1);
  }

  /** From (group, object) pairs of `G` groups: `each(add)` calls `add` for every pair, the same ones each time it is called. */
  static of(G: number, each: (add: (g: number, n: number) => void) => void): GroupObjects {
    const start = new Int32Array(G + 1);
    each((g) => start[g + 1]!++);
    for (let k = 0; k < G; k++) start[k + 1]! += start[k]!;
    const fill = start.slice(0, G);
    const nodes = new Int32Array(start[G]!);
    each((g, n) => (nodes[fill[g]!++] = n));
    return new GroupObjects(start, nodes);
  }

  /** Group g's objects, sorted. */
  of(g: number): Int32Array {
    const run = this.nodes.subarray(this.start[g]!, this.start[g + 1]!);
    if (this.sorted[g] === 0) {
      run.sort();
      this.sorted[g] = 1;
    }
    return run;
  }

  /** Whether group h holds every object of group g. */
  within(g: number, h: number): boolean {
    const a = this.of(g);
    const b = this.of(h);
    if (a.length > b.length) return false;
    let j = 0;
    for (let i = 0; i < a.length; i++) {
      while (j < b.length && b[j]! < a[i]!) j++;
      if (j === b.length || b[j] !== a[i]) return false;
    }
    return true;
  }

  /** Whether groups g and h hold the same objects. */
  same(g: number, h: number): boolean {
    if (g === h) return true;
    const a = this.of(g);
    const b = this.of(h);
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
}

/**
 * Whether `className` is a property list (`{a, b}`, DevTools' name of a plain object's shape) with
 * property `name` among its names.
 */
function isNamedByKey(className: string, name: string): boolean {
  if (!className.startsWith("{") || !className.endsWith("}")) return false;
  const list = className.slice(1, -1);
  const p = formatPropertyName(name);
  return list === p || list.startsWith(`${p}, `) || list.endsWith(`, ${p}`) || list.includes(`, ${p}, `);
}

/** Two mixes of a node ordinal (murmur3's finaliser, two seeds) whose sums stand for a set of nodes. */
function mixA(n: number): number {
  let x = Math.imul(n ^ 0x5bd1e995, 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return x ^ (x >>> 16);
}

function mixB(n: number): number {
  let x = Math.imul((n + 0x7f4a7c15) | 0, 0x9e3779b1);
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return x ^ (x >>> 15);
}
