/**
 * The retainer subgraph as plain data: what the query layer hands to renderers and to `--format json`.
 * Every string in here came from the snapshot and is untrusted.
 */

/** A heap object as every answer describes it. */
export interface HeapObjectInfo {
  /** The V8 heap object id (`@id` in DevTools). */
  id: number;
  /** Class name as Chrome DevTools shows it (`Foo`, `(string)`, `Function`, `(system)`...). */
  className: string;
  /** V8 node type (`object`, `closure`, `string`, `synthetic`...). */
  type: string;
  /** Raw node name from the snapshot (constructor name, string value, function name...). */
  name: string;
  /**
   * The name DevTools shows for this one object, where it differs from `name`: a plain object's
   * own properties (`{a, b, ..., y, z}`, at most about 100 characters), a concatenated string's
   * text (V8 names those `(concatenated string)`). Absent otherwise, and on group nodes.
   */
  displayName?: string;
  /** Self size as DevTools shows it. */
  selfSize: number;
  /** Retained size (bytes freed if this object became unreachable); absent when not computed. */
  retainedSize?: number;
  /**
   * A function's script: the file or URL its code comes from, as V8 names it (`/app/server.js`,
   * `file:///app/server.mjs`, `node:internal/timers`). Absent for other objects, for code V8 names
   * no script for, and on group nodes of more than one object.
   */
  script?: string;
}

/** One heap object in the picture. */
export interface SubgraphNode extends HeapObjectInfo {
  /** DevTools distance from the GC roots; absent when not computed. */
  distance?: number;
  /** Heap id of the immediate dominator; absent when not computed. */
  dominatorId?: number;
  isTarget: boolean;
  /** Where retaining chains start (`HeapAnalysis.isRetentionRoot`): the synthetic root, a GC root (`(GC roots)`, `(Global handles)`...) or a user root (`global`). */
  isRoot: boolean;
  /** Hops from the nearest target along retainer edges (0 for targets). */
  depth: number;
  /** On a shortest retaining path from a root to a target. */
  onPath: boolean;
  /** With `--new-since`: allocated after the baseline snapshot (its id is not in the baseline). */
  isNew?: boolean;
  /**
   * Grouped pictures: this node stands for a group of objects (same class, reached through the same
   * edge from the same group). Its `id` is then a synthetic negative number, not a heap id; the
   * heap ids are in `objectIds`, `selfSize` is the group's sum and, for targets, `retainedSize` the
   * group's retained size counted once among its objects (one dominated by another of the group is not
   * added twice; one dominated by a target of another class counts in both groups).
   */
  isGroup?: boolean;
  /** Grouped pictures: the group's objects have exactly two raw names, `name` and this one. */
  otherName?: string;
  /** Grouped pictures: how many distinct objects the node stands for. */
  count?: number;
  /** Grouped pictures: heap ids of the first few objects of the group, largest retained size first. */
  objectIds?: number[];
  /**
   * A folded chain (a linked list: objects of one class, each holding the next through the same
   * edge): the length of the longest run it stands for, and the edge that links them.
   */
  chainLength?: number;
  chainEdge?: { type: string; name: string | number; otherName?: string | number };
  /** Grouped pictures with `--new-since`: how many of the group's objects are new since the baseline. */
  newCount?: number;
  /**
   * This root is a loaded module's record (Node's `ModuleJob`, vitest's
   * `EvaluatedModuleNode`), and this its file or URL ("" when it names none); the path above it,
   * through the module loader's state, is left out.
   */
  module?: string;
}

/** `from` retains `to` through a property, element, context variable... */
export interface SubgraphEdge {
  /** Heap id of the retainer. */
  from: number;
  /** Heap id of the retained object. */
  to: number;
  /** V8 edge type: `property`, `element`, `context`, `internal`, `hidden`, `shortcut`, `weak`. */
  type: string;
  /** Property name (string) or element index (number), as in the snapshot. */
  name: string | number;
  /** Part of a shortest retaining path. */
  onPath: boolean;
  /** The `from` node is `to`'s immediate dominator: cutting this edge frees `to`'s retained size. */
  isDominatorEdge?: boolean;
  /**
   * Grouped pictures: how many targets' retaining paths pass through this edge. Element indices
   * and hash-table slots are merged: `name` is `"*"` when the merged edges had different ones.
   */
  count?: number;
  /** Grouped pictures: a second edge name merged into this edge (the two ends of a linked list), shown `a | b`. */
  otherName?: string | number;
  /**
   * With `--new-since`: the paths pass here from an object that existed in the baseline to one that
   * did not, for the last time on their way to the targets (LeakCanary's "cut here": where the leak
   * attaches). Grouped pictures: `cutCount` paths.
   */
  isCut?: boolean;
  cutCount?: number;
}

/** Stands in for retainers of `of` that are not drawn. Nothing is dropped silently. */
export interface SubgraphPlaceholder {
  /** Heap id of the node whose retainers were cut. */
  of: number;
  /** How many retainers are not drawn. */
  count: number;
  /**
   * Why: more than `--too-many`, the `--max-nodes` budget, the `--depth` limit, or "path": the
   * middle of a very long retaining path, `count` objects between `after` and `of`.
   */
  reason: "too-many" | "max-nodes" | "depth" | "path" | "patterns";
  /** For "path": the heap id of the drawn node on the root side of the gap. */
  after?: number;
  /**
   * For "patterns" (grouped pictures): `count` more retaining patterns, not drawn for the node
   * budget, that lead into node `of`; `objects` targets are held by them.
   */
  objects?: number;
  /**
   * What the placeholder stands for, grouped by class and edge, largest group first; the counts
   * add up to `count`. For retainers: the retainer's class and the edge by which it holds `of`.
   * For "path": the class of each left-out object and the edge by which the previous one holds it.
   * Always set by `retainerSubgraph`; optional for subgraphs built by hand or grouped.
   */
  breakdown?: PlaceholderGroup[];
}

/**
 * One group of a placeholder's breakdown: `count` objects of class `className` held through
 * edges of type `edgeType` named `edgeName` (`300 × NodeObject .parent`). Edges named by an index
 * (array elements, numbered internal slots) are one group whatever the index: `edgeName` is then
 * absent. When a placeholder has too many groups to list, the last one gathers the rest: it has
 * `rest: true` and no class or edge.
 */
export interface PlaceholderGroup {
  count: number;
  className?: string;
  edgeType?: string;
  edgeName?: string | number;
  rest?: true;
}

export interface LimitsReached {
  /** Targets that matched but were not drawn (over `--max-targets`). */
  targetsOmitted: number;
  /** Nodes whose retainers were cut by `--too-many`. */
  tooMany: number;
  /** Retainers not drawn because the `--max-nodes` budget ran out. */
  maxNodes: number;
  /** Nodes at `--depth` whose retainers were not followed. */
  depth: number;
  /** Targets with no retaining path from a root (unreachable or only weakly held). */
  noPath: number;
  /** Objects left out of the middle of retaining paths longer than the drawing limit. */
  pathHops: number;
  /** Grouped pictures: retaining patterns not drawn for the node budget (each has a "patterns" box). */
  patternsOmitted?: number;
  /**
   * Pictures only: objects taken out of the picture so that it fits a screen (no layout of all the
   * boxes did); each is counted in the "N more" box of an object it held. Absent when none were.
   */
  droppedToFit?: number;
  /**
   * Pictures only: targets not drawn because their shortest retaining paths alone were too wide for
   * a screen (the first ones of `targets` are kept, with their paths). Absent when none were.
   */
  targetsDroppedToFit?: number;
}

/** What a grouped picture stands for. */
export interface GroupedSummary {
  /** Matching objects grouped. */
  targets: number;
  /** Distinct retaining patterns (root-to-target group paths) found, drawn or not. */
  patterns: number;
  /** Patterns drawn. */
  patternsDrawn: number;
  /** Targets that are roots themselves (no retainer to show). */
  rootTargets: number;
}

export interface Subgraph {
  /** Heap ids of the drawn targets (grouped pictures: the ids of the target group nodes). */
  targets: number[];
  nodes: SubgraphNode[];
  edges: SubgraphEdge[];
  placeholders: SubgraphPlaceholder[];
  limitsReached: LimitsReached;
  /** Present on grouped pictures (every match's retaining path merged by class and edge). */
  grouped?: GroupedSummary;
}
