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
 * Cost: near linear. Per node, two memo columns for the chain runs (allocated only when folding)
 * and a byte for "dominated by a target"; per visited (object, group) pair a few numbers in typed
 * arrays. A target's walk stops at the first (object, group) pair already seen, since everything
 * above it is the same for both; how many targets pass each pair is summed at the end, leaves
 * first. Keys are integer tuples in {@link TupleMap}, never strings.
 */
import { isUnreached } from "../graph/distances.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { IntList, SizeList } from "../graph/lists.js";
import { insertTop, type WalkContext } from "./backrefs.js";
import { TupleMap } from "./tuple-map.js";
import type { GroupedSummary, LimitsReached, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "./types.js";

export interface GroupOptions {
  /** Fold runs of same-class objects linked by the same edge into one chain step. Default true. */
  fold?: boolean;
  /** How many example heap ids each group keeps (largest retained size first). Default 5. */
  examples?: number;
  /**
   * Ids of the objects of an earlier snapshot of the same process (`--new-since`): the edge where
   * a path passes from an object that existed then to one that did not is marked "cut here".
   */
  baseline?: { has(id: number): boolean };
}

/**
 * At least one target per this many nodes: the walk reads a little of nearly every block of the
 * node and edge columns it samples, so a cached snapshot reads them ahead whole.
 */
const DENSE_TARGETS = 1024;

/** The node budget of a default grouped picture. */
export const DEFAULT_GROUP_NODES = 40;

/** Group kinds. */
const TARGET = 0;
const PLAIN = 1;
const CHAIN = 2;
const ROOT = 3;

/** Edge name key for names that are merged: element indices, hash-table slots. */
const ANY_NAME = 0xffffffff;
/** "No group" in a key (targets lead nowhere). */
const NONE = 0xffffffff;
/**
 * Edge type key of the edge into a chain through the chain's own link (a list head's `next`):
 * merged whatever its name, so the two ends of a doubly linked list (`_idleNext`, `_idlePrev`)
 * are one way in.
 */
const LINK = 0xfffffffe;

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
  /** Targets only: retained size counted once. */
  retainedSize?: number;
  objectIds: number[];
  isTarget: boolean;
  isRoot: boolean;
  chainLength?: number;
  chainEdge?: { type: string; name: string | number; otherName?: string | number };
  /** The edge from this group to the previous step (absent on the target step); `a | b` when two names merged. */
  edge?: { type: string; name: string | number; otherName?: string | number };
  /** With a baseline: the edge into the previous step is where old passes to new, for this many paths. */
  cutCount?: number;
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
  return new PathGroups(graph, ctx, targets, opts);
}

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
  private readonly userRoots: Uint8Array;
  /** Retained sizes (with retained sizes), set once the walk is done. */
  private retained: Float64Array | null = null;
  /** Set once the walk is done. */
  private shallow!: Float64Array;
  // Chain runs, per node (0 = not computed): the run's length from this node up, and its top.
  private runLen: Uint32Array | null = null;
  private runTop: Uint32Array | null = null;
  /** Per node: 0 not known, 1 no, 2 starts a chain run (see listLink). */
  private listNode: Uint8Array | null = null;
  private numericName: Int8Array | null = null;

  // Groups.
  private readonly groupKeys = new TupleMap(7, 256);
  private readonly gChild = new IntList(64);
  private readonly gKind = new IntList(64);
  // Up to two example edges with different names (shown as `a | b`); more: the name shows as "*".
  private readonly gEdge = new IntList(64);
  private readonly gEdge2 = new IntList(64);
  private readonly gEdgeMixed = new IntList(64);
  // The same for a chain's links.
  private readonly gLink = new IntList(64);
  private readonly gLink2 = new IntList(64);
  private readonly gLinkMixed = new IntList(64);
  private readonly gNode = new IntList(64); // an example object
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
  private gExamples: number[][] = [];

  // (object, group) pairs: the object that enters the step, its group, the pair above.
  /** Per node: 1 + its last pair, or 0 (found by node, then among the node's few pairs). */
  private pairHead: Uint32Array | null = null;
  /** Per pair: the node's pair made before it, or -1. */
  private readonly pSameNode = new IntList(64);
  /** Whether the last {@link pair} made its pair. */
  private pairAdded = false;
  private readonly pNode = new IntList(64);
  private readonly pGroup = new IntList(64);
  private readonly pParent = new IntList(64);
  private readonly pOwn = new IntList(64);
  private readonly pOwnRetained = new SizeList(64);

  private readonly baseline: { has(id: number): boolean } | undefined;

  constructor(
    private readonly graph: HeapGraph,
    private readonly ctx: WalkContext,
    targets: number[],
    opts: GroupOptions,
  ) {
    this.targetCount = targets.length;
    this.fold = opts.fold ?? true;
    this.exampleCount = Math.max(0, opts.examples ?? 5);
    this.baseline = opts.baseline;
    // What the walk reads whole, in the order it does, and, for many targets, the columns it
    // reads a little of nearly everywhere (a cached snapshot reads them on a second thread meanwhile).
    const dense = targets.length * DENSE_TARGETS >= graph.nodeCount;
    graph.readAhead([
      "parentEdge",
      "userRoots",
      "nodeType",
      "firstEdge",
      ...(dense ? (["edgeType", "edgeName", "nodeName"] as const) : []),
      ...(ctx.retained ? (dense ? (["dominators", "retained"] as const) : (["retained"] as const)) : []),
      "shallow",
      ...(dense ? (["nodeId"] as const) : []),
    ]);
    this.nodeClass = graph.classes().nodeClass;
    const d = ctx.analysis.distances();
    this.parentEdge = d.parentEdge;
    this.userRoots = d.userRoots;
    const targetPairs = this.walk(targets);
    this.pairHead = null;
    // The sizes are read after the walk, which needs none of them.
    if (ctx.retained) this.addRetained(targets, targetPairs);
    this.shallow = ctx.analysis.shallowSizes();
    this.finish();
    // The per-node memo columns are only for building: let them go before anything is drawn.
    this.runLen = null;
    this.runTop = null;
    this.listNode = null;
  }

  // ------------------------------------------------------------------ building

  /** Edge name key: element indices and numbered internal slots merge into one. */
  private nameKey(e: number): number {
    const g = this.graph;
    const t = g.edgeType(e);
    const codes = g.edgeTypeCodes;
    if (t === codes.element || t === codes.hidden) return ANY_NAME;
    const name = g.edgeNameOrIndex(e);
    if (t !== codes.internal) return name;
    const cache = (this.numericName ??= new Int8Array(g.strings.length));
    if (cache[name] === 0) {
      // `{729}` (a hash table's slot) and WeakMap entries (`12 / part of key … pair in WeakMap`).
      cache[name] = /^\d+(?: \/ .*)?$/s.test(g.strings.get(name)) ? 1 : 2;
    }
    return cache[name] === 1 ? ANY_NAME : name;
  }

  private parentOf(n: number): number {
    const pe = this.parentEdge[n]!;
    return pe === 0 ? -1 : this.graph.edgeSource(pe - 1);
  }

  /**
   * Length of the chain run that node `n` (not a root) belongs to, counted from `n` upwards: `n`
   * continues its parent's run when the parent (not a root) has the same class and is linked to
   * `n` by the edge that links the rest of the run (any edge, when the parent starts the run).
   */
  private readonly runStack: number[] = [];
  /** The last node {@link run} looked up the parent of, and that parent. */
  private parentKnownOf = -1;
  private parentKnown = -1;
  private readonly runParents: number[] = [];
  private run(n: number): number {
    const len = (this.runLen ??= new Uint32Array(this.graph.nodeCount));
    const top = (this.runTop ??= new Uint32Array(this.graph.nodeCount));
    if (len[n] !== 0) return len[n]!;
    const stack = this.runStack;
    const parents = this.runParents;
    let depth = 0;
    for (let x = n; len[x] === 0;) {
      const q = this.parentOf(x);
      stack[depth] = x;
      parents[depth++] = q;
      if (q < 0 || this.ctx.analysis.isRetentionRoot(q)) break;
      x = q;
    }
    // The walk's next step up from n needs n's parent: found here already.
    this.parentKnownOf = n;
    this.parentKnown = parents[0]!;
    for (let i = depth - 1; i >= 0; i--) {
      const x = stack[i]!;
      const q = parents[i]!;
      let continues = false;
      if (q >= 0 && !this.ctx.analysis.isRetentionRoot(q) && this.nodeClass[q] === this.nodeClass[x]) {
        if (len[q] === 1) continues = true;
        else {
          const a = this.parentEdge[x]! - 1;
          const b = this.parentEdge[q]! - 1;
          continues = this.graph.edgeType(a) === this.graph.edgeType(b) && this.nameKey(a) === this.nameKey(b);
        }
      }
      len[x] = continues ? len[q]! + 1 : 1;
      top[x] = continues ? top[q]! : x;
    }
    return len[n]!;
  }

  /**
   * Whether a dominator-tree ancestor of each target (below the root) is also a target: then its
   * retained size is already in that target's and is not counted twice. Each target's chain of
   * immediate dominators is walked up to the root, a target, or a node whose answer is known from
   * an earlier chain: every node is looked at once, and only the dominators of the targets and of
   * the nodes above them are read (a cached tree reads just the blocks that hold them).
   */
  private dominatedByTarget(targets: number[]): Uint8Array {
    const analysis = this.ctx.analysis;
    const N = this.graph.nodeCount;
    const isTarget = new Uint8Array((N + 7) >>> 3);
    for (const t of targets) isTarget[t >>> 3]! |= 1 << (t & 7);
    // Per node, once walked: 1 no target at or above it (the root never counts), 2 a target is.
    const covered = new Uint8Array(N);
    const chain: number[] = [];
    const out = new Uint8Array(targets.length);
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      if (t === 0) continue;
      let x = analysis.dominator(t);
      let depth = 0;
      while (x !== 0 && covered[x] === 0 && (isTarget[x >>> 3]! & (1 << (x & 7))) === 0) {
        chain[depth++] = x;
        x = analysis.dominator(x);
      }
      // The root: nothing above; a node walked before: its answer; else x is a target.
      const answer = x === 0 ? 1 : covered[x] !== 0 ? covered[x]! : 2;
      for (let k = 0; k < depth; k++) covered[chain[k]!] = answer;
      out[i] = answer === 2 ? 1 : 0;
    }
    return out;
  }

  private newGroup(key: Uint32Array, kind: number, child: number, edge: number, link: number, node: number): number {
    const hint = child < 0 ? this.targetGroup : this.gAbove.data[child]!;
    let g: number;
    let added = false;
    if (hint >= 0 && this.groupKeys.keyEquals(hint, key)) g = hint;
    else {
      g = this.groupKeys.intern(key);
      added = this.groupKeys.added;
      if (child < 0) this.targetGroup = g;
      else this.gAbove.data[child] = g;
    }
    if (added) {
      this.gAbove.push(-1);
      this.gChild.push(child);
      this.gKind.push(kind);
      this.gEdge.push(edge);
      this.gEdge2.push(-1);
      this.gEdgeMixed.push(0);
      this.gLink.push(link);
      this.gLink2.push(-1);
      this.gLinkMixed.push(0);
      this.gNode.push(node);
      this.gNode2.push(-1);
      this.gNameMixed.push(0);
      this.gDepth.push(child < 0 ? 0 : this.gDepth.data[child]! + 1);
    } else {
      if (edge >= 0) this.noteName(g, edge, this.gEdge, this.gEdge2, this.gEdgeMixed);
      // A group is a chain once any of its steps is (a list's first element alone is a plain step).
      if (kind === CHAIN) this.gKind.data[g] = CHAIN;
      if (link >= 0) {
        if (this.gLink.data[g]! < 0) this.gLink.data[g] = link;
        else this.noteName(g, link, this.gLink, this.gLink2, this.gLinkMixed);
      }
      const name = this.gNameMixed.data[g] === 0 ? this.graph.nodeNameIndex(node) : -1;
      if (name >= 0 && this.graph.nodeNameIndex(this.gNode.data[g]!) !== name) {
        const other = this.gNode2.data[g]!;
        if (other < 0) this.gNode2.data[g] = node;
        else if (this.graph.nodeNameIndex(other) !== name) this.gNameMixed.data[g] = 1;
      }
    }
    return g;
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
    const memo = (this.listNode ??= new Uint8Array(this.graph.nodeCount));
    if (memo[p] === 1) return -1;
    if (memo[p] === 2) return this.listLinks.get(p)!;
    const g = this.graph;
    const cls = this.nodeClass[p]!;
    let link = -1;
    for (let f = g.firstEdge[p]!; f < g.firstEdge[p + 1]! && link < 0; f++) {
      const to = g.edgeTo(f);
      if (to !== p && this.nodeClass[to] === cls && this.parentEdge[to] === f + 1 && !this.ctx.analysis.isRetentionRoot(to)) link = f;
    }
    memo[p] = link < 0 ? 1 : 2;
    if (link >= 0) this.listLinks.set(p, link);
    return link;
  }
  private readonly listLinks = new Map<number, number>();

  /** Whether edges e and f have the same type and name key ({@link nameKey}). */
  private sameNameKey(e: number, f: number): boolean {
    return this.graph.edgeType(e) === this.graph.edgeType(f) && this.nameKey(e) === this.nameKey(f);
  }

  /**
   * Whether e, the edge into `p` from above, is of the kind of p's list link ({@link listLink}):
   * the edge into a list's head named as its links. The link is one of p's own edges, so unless
   * one of them has e's type and name key it cannot be (told from p's edges alone, without
   * looking at the objects they lead to, as finding the link does).
   */
  private entersList(p: number, e: number): boolean {
    const g = this.graph;
    const type = g.edgeType(e);
    const key = this.nameKey(e);
    let alike = false;
    for (let f = g.firstEdge[p]!, end = g.firstEdge[p + 1]!; f < end && !alike; f++)
      alike = g.edgeType(f) === type && this.nameKey(f) === key;
    if (!alike) return false;
    const link = this.listLink(p);
    return link >= 0 && this.sameNameKey(e, link);
  }

  /** The pair (node, group), made if new ({@link pairAdded} says which). */
  private pair(node: number, group: number): number {
    const head = (this.pairHead ??= new Uint32Array(this.graph.nodeCount));
    const pGroup = this.pGroup.data;
    for (let i = head[node]! - 1; i >= 0; i = this.pSameNode.data[i]!) {
      if (pGroup[i] === group) {
        this.pairAdded = false;
        return i;
      }
    }
    const index = this.pNode.length;
    this.pNode.push(node);
    this.pGroup.push(group);
    this.pParent.push(-1);
    this.pOwn.push(0);
    this.pOwnRetained.push(0);
    this.pSameNode.push(head[node]! - 1);
    head[node] = index + 1;
    this.pairAdded = true;
    return index;
  }

  /** Walks every target's path; returns each target's own pair (-1 when no path reaches it). */
  private walk(targets: number[]): Int32Array {
    const key = new Uint32Array(7);
    const pairs = new Int32Array(targets.length).fill(-1);
    // One call per target: V8 optimises a small function called often sooner than a long loop.
    for (let i = 0; i < targets.length; i++) pairs[i] = this.walkFrom(targets[i]!, key);
    return pairs;
  }

  /** Adds each target's retained size to its own pair, unless another target dominates it. */
  private addRetained(targets: number[], pairs: Int32Array): void {
    const dominated = this.dominatedByTarget(targets);
    const retained = (this.retained = this.ctx.analysis.retainedSizes());
    const own = this.pOwnRetained.data;
    // In target order, as the sums always were.
    for (let i = 0; i < targets.length; i++) if (pairs[i]! >= 0 && dominated[i] === 0) own[pairs[i]!]! += retained[targets[i]!]!;
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
    const graph = this.graph;
    if (this.unreached(t)) {
      this.noPath++;
      return -1;
    }
    key.fill(0);
    key[0] = this.nodeClass[t]!;
    key[3] = NONE;
    key[4] = TARGET;
    const tg = this.newGroup(key, TARGET, -1, -1, -1, t);
    const own = this.pair(t, tg);
    this.pOwn.data[own]!++;
    if (this.ctx.analysis.isRetentionRoot(t)) {
      this.rootTargets++;
      return own;
    }
    if (this.pParent.data[own]! >= 0) return own; // the same target twice
    let pair = own;
    let top = t;
    let group = tg;
    let chainLink = -1; // the link edge of the step below, when it is a chain
    let listFrom = -1; // the object of the step below, when it is plain (its list link, if any, may name e)
    while (true) {
      const pe = this.parentEdge[top]!;
      if (pe === 0) break;
      const e = pe - 1;
      const p = top === this.parentKnownOf ? this.parentKnown : graph.edgeSource(e);
      let kind = PLAIN;
      // The edge that links the chain's objects, when p's step is a chain.
      let link = -1;
      if (this.ctx.analysis.isRetentionRoot(p)) kind = ROOT;
      else if (this.fold && this.run(p) >= 2) {
        kind = CHAIN;
        link = this.parentEdge[p]! - 1;
      }
      key[0] = kind === ROOT ? p : this.nodeClass[p]!;
      const intoLink = chainLink >= 0 ? this.sameNameKey(e, chainLink) : listFrom >= 0 && this.entersList(listFrom, e);
      if (intoLink) {
        key[1] = LINK; // into a chain through its own link: a list's head
        key[2] = 0;
      } else {
        key[1] = graph.edgeType(e);
        key[2] = this.nameKey(e);
      }
      key[3] = group;
      // Chain or not is not part of the key: a list's first element (a run of one) and its
      // longer runs are one group, and so are the runs of both directions of a list.
      key[4] = kind === ROOT ? ROOT : PLAIN;
      key[5] = 0;
      key[6] = 0;
      const g2 = this.newGroup(key, kind, group, e, link, p);
      const up = this.pair(p, g2);
      this.pParent.data[pair] = up;
      if (!this.pairAdded || kind === ROOT) break;
      pair = up;
      group = g2;
      // How the step above must name its edge into this one: through the list's own link?
      chainLink = kind === CHAIN ? link : -1;
      listFrom = kind === PLAIN && this.fold ? p : -1;
      top = kind === CHAIN ? this.runTop![p]! : p;
    }
    return own;
  }

  /** The topmost object of pair i's step (the run's top for a chain). */
  private stepTop(i: number): number {
    const n = this.pNode.data[i]!;
    return this.gKind.data[this.pGroup.data[i]!] === CHAIN ? this.runTop![n]! : n;
  }

  private isOld(n: number): boolean {
    return this.baseline !== undefined && this.baseline.has(this.graph.nodeId(n));
  }

  /** Sums per pair (leaves first), then per group: targets, retained sizes, objects, examples. */
  private finish(): void {
    const P = this.pNode.length;
    const G = this.gKind.length;
    const parent = this.pParent.data;
    // Targets through each pair: a forest; sum children into parents, leaves first.
    const total = Float64Array.from(this.pOwn.data.subarray(0, P));
    const totalRetained = this.pOwnRetained.data.slice(0, P);
    const pending = new Int32Array(P);
    for (let i = 0; i < P; i++) if (parent[i]! >= 0) pending[parent[i]!]!++;
    const queue = new Int32Array(P);
    let qn = 0;
    for (let i = 0; i < P; i++) if (pending[i] === 0) queue[qn++] = i;
    for (let q = 0; q < qn; q++) {
      const i = queue[q]!;
      const p = parent[i]!;
      if (p < 0) continue;
      total[p]! += total[i]!;
      totalRetained[p]! += totalRetained[i]!;
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
    this.gExamples = Array.from({ length: G }, () => []);
    const kind = this.gKind.data;
    const pGroup = this.pGroup.data;
    const pNode = this.pNode.data;

    const addObject = (g: number, n: number): void => {
      this.gCount[g]!++;
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
      // "Cut here": the path passes from an old object (the step above) into a new one (this step).
      const p = parent[i]!;
      // Counted on the group above, whose one edge down is that reference.
      if (this.baseline && p >= 0 && this.isOld(pNode[p]!) && !this.isOld(this.stepTop(i))) this.gCut[pGroup[p]!]! += total[i]!;
    }
    // A group's objects are shared by pairs: (object, group) is unique for a plain step; a chain's
    // objects are runs that different entries share, so walk each run up to the first object this
    // group already counted (one group at a time, so one stamp column serves all).
    if (chainPairs > 0) {
      const byGroup: number[] = [];
      for (let i = 0; i < P; i++) if (kind[pGroup[i]!] === CHAIN) byGroup.push(i);
      byGroup.sort((a, b) => pGroup[a]! - pGroup[b]! || a - b);
      // 1 + the group that last counted each object (0: none), so the column needs no filling.
      const stamp = new Uint32Array(this.graph.nodeCount);
      for (const i of byGroup) {
        const g = pGroup[i]!;
        const entry = pNode[i]!;
        this.run(entry);
        this.gChainMax[g] = Math.max(this.gChainMax[g]!, this.runLen![entry]!);
        const top = this.runTop![entry]!;
        for (let x = entry; stamp[x] !== g + 1; x = this.parentOf(x)) {
          stamp[x] = g + 1;
          addObject(g, x);
          if (x === top) break;
        }
      }
    }
    // Patterns: a group's key holds its child's index, so children come first and parents later.
    for (let g = G - 1; g >= 0; g--) {
      if (kind[g] === ROOT) this.gPatterns[g]! += 1;
      const c = this.gChild.data[g]!;
      if (c >= 0) this.gPatterns[c]! += this.gPatterns[g]!;
    }
  }

  /** Keeps the group's largest objects (retained size, then newest id) as examples. */
  private addExample(g: number, n: number): void {
    if (this.exampleCount > 0) insertTop(this.gExamples[g]!, this.exampleCount, n, this.shownBefore);
  }

  /** Example order: larger retained size first, then the newer (higher) id. */
  private readonly shownBefore = (a: number, b: number): boolean => {
    const sa = this.retained ? this.retained[a]! : 0;
    const sb = this.retained ? this.retained[b]! : 0;
    return sa > sb || (sa === sb && this.graph.nodeId(a) > this.graph.nodeId(b));
  };

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
    const className = kind === ROOT ? graph.className(node) : graph.classNameOf(this.groupKeys.keyAt(g, 0));
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
    if (kind === TARGET && this.retained) s.retainedSize = this.gRetained[g]!;
    // A chain of one (a list's only element on these paths) reads as a plain object.
    if (kind === CHAIN && this.gChainMax[g]! >= 2) {
      s.chainLength = this.gChainMax[g]!;
      s.chainEdge = this.edgeOf(g, this.gLink, this.gLink2, this.gLinkMixed);
    }
    if (this.gEdge.data[g]! >= 0) s.edge = this.edgeOf(g, this.gEdge, this.gEdge2, this.gEdgeMixed);
    if (this.baseline) {
      if (this.gCut[g]! > 0) s.cutCount = this.gCut[g]!;
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
      if (this.retained) p.retainedSize = this.gRetained[r]!;
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

  /**
   * The grouped picture as a {@link Subgraph}: patterns in order (most targets first) while they
   * fit in `maxNodes` (the first always does); the rest become "N more patterns (K objects)"
   * placeholders on the node where they join the drawn ones. Group nodes have negative ids.
   */
  toSubgraph(opts: { maxNodes?: number } = {}): Subgraph {
    const maxNodes = Math.max(1, opts.maxNodes ?? DEFAULT_GROUP_NODES);
    const G = this.gKind.length;
    const kind = this.gKind.data;
    const child = this.gChild.data;
    const slot = new Int32Array(G).fill(-1); // group → drawn node number
    const rootSlot = new Map<number, number>(); // root object → drawn node number
    const drawn: number[] = []; // drawn node number → a representative group
    const order = this.patternOrder();
    let patternsDrawn = 0;
    const place = (g: number): void => {
      if (slot[g]! >= 0) return;
      if (kind[g] === ROOT) {
        const obj = this.gNode.data[g]!;
        const have = rootSlot.get(obj);
        if (have !== undefined) {
          slot[g] = have;
          return;
        }
        rootSlot.set(obj, drawn.length);
      }
      slot[g] = drawn.length;
      drawn.push(g);
    };
    for (const r of order) {
      let needed = 0;
      for (let g = r; g >= 0; g = child[g]!) {
        if (slot[g]! >= 0) break;
        if (kind[g] === ROOT && rootSlot.has(this.gNode.data[g]!)) continue;
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

    const nodes: SubgraphNode[] = drawn.map((g, s) => {
      const st = this.step(g);
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
    }
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
