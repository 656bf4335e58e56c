/**
 * The grouped retaining paths (src/query/group.ts) the plain way, for tests to check the fast walk
 * against: every target's whole path is walked to its root (no stop at a step walked before), chain
 * runs are found by walking up from each object again, group keys are strings in a Map, and each
 * group lists its objects and edge names in a Set. Slow (paths × depth), obviously the rules.
 *
 * What it gives is what a report says of each pattern, in a form that does not depend on the order
 * patterns are listed in: see {@link NaivePattern}.
 */
import type { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";

/** One pattern: how many targets follow it, and its steps from the target up to the root. */
export interface NaivePattern {
  targets: number;
  steps: { className: string; count: number; isRoot: boolean; chainLength?: number; edge?: string; chainEdge?: string }[];
}

export interface NaiveGroups {
  patterns: NaivePattern[];
  noPath: number;
  rootTargets: number;
}

interface Group {
  key: string;
  /** The class (or root object) and the edge part of the key: what the dictionary check compares. */
  classKey: string;
  edgeKey: string;
  /** The objects that hold the group's edge: its objects, a chain's entries. */
  holders: Set<number>;
  below: Group | null;
  kind: "target" | "plain" | "chain" | "root";
  className: string;
  objects: Set<number>;
  chainMax: number;
  edges: number[];
  links: number[];
  targets: number;
}

/**
 * `members`, when given, is filled with each pattern's targets (as ordinals, in target order), at
 * the pattern's place in the answer's `patterns`.
 *
 * An object that holds the same objects (a group's whole set) under eight property names or more
 * is a dictionary: its edges' names become one key and everything is grouped again, up to three
 * times. So are eight classes or more named `{…}` after their properties that hold one group under
 * eight names or more, each one of its class's names: they become one class, `Object`.
 */
export function naiveGroups(graph: HeapGraph, analysis: HeapAnalysis, targets: number[], members?: number[][]): NaiveGroups {
  const keyed = new Set<number>();
  const keyClasses = new Set<number>();
  for (let round = 0; ; round++) {
    const list: number[][] = [];
    const { answer, groups } = groupOnce(graph, analysis, targets, keyed, keyClasses, list);
    if (round < 3) {
      // Groups by what they are but their edge's name: kind, class (or root), edge type, the group
      // below, the objects that hold their edge (a chain's: the objects where paths entered it).
      const alike = new Map<string, Set<string>>();
      for (const g of groups) {
        if (g.kind === "target" || g.edgeKey.split(":")[0] !== String(graph.edgeTypeCodes.property)) continue;
        const objects = [...g.holders].sort((a, b) => a - b).join(",");
        const k = `${g.kind} ${g.className} ${g.classKey} ${g.edgeKey.split(":")[0]} ${g.below!.key} [${objects}]`;
        let names = alike.get(k);
        if (!names) alike.set(k, (names = new Set()));
        names.add(g.edgeKey);
      }
      let more = false;
      // Groups above one group whose class is named after the property they hold it by.
      const namedAbove = new Map<string, { classes: Set<string>; names: Set<string> }>();
      for (const g of groups) {
        if (g.kind === "target" || g.kind === "root" || g.classKey === "keyed class") continue;
        const e = g.edges[0]!;
        if (g.edgeKey === "link" || graph.edgeType(e) !== graph.edgeTypeCodes.property) continue;
        const name = String(graph.edgeName(e));
        const listed = /^\{(.*)\}$/s.exec(g.className)?.[1]?.split(", ") ?? [];
        if (!listed.includes(/[,'"{}]/.test(name) ? JSON.stringify(name) : name)) continue;
        let seen = namedAbove.get(g.below!.key);
        if (!seen) namedAbove.set(g.below!.key, (seen = { classes: new Set(), names: new Set() }));
        seen.classes.add(g.classKey);
        seen.names.add(name);
      }
      for (const { classes, names } of namedAbove.values()) {
        if (classes.size < 8 || names.size < 8) continue;
        for (const c of classes) keyClasses.add(Number(c.slice("class ".length)));
        more = true;
      }
      for (const [k, names] of alike) {
        if (names.size < 8) continue;
        for (const n of k
          .slice(k.lastIndexOf("[") + 1, -1)
          .split(",")
          .map(Number)) {
          if (keyed.has(n)) continue;
          keyed.add(n);
          more = true;
        }
      }
      if (more) continue;
    }
    members?.push(...list);
    return answer;
  }
}

function groupOnce(
  graph: HeapGraph,
  analysis: HeapAnalysis,
  targets: number[],
  keyed: ReadonlySet<number>,
  keyClasses: ReadonlySet<number>,
  members: number[][],
): { answer: NaiveGroups; groups: Group[] } {
  const { parentEdge, userRoots } = analysis.distances();
  const nodeClass = graph.classes().nodeClass;
  const codes = graph.edgeTypeCodes;
  const sourceOf: number[] = [];
  for (let n = 0; n < graph.nodeCount; n++) for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) sourceOf[e] = n;
  const source = (e: number): number => sourceOf[e]!;
  const parent = (n: number): number => (parentEdge[n] === 0 ? -1 : source(parentEdge[n]! - 1));
  // A loaded module's record (of its class, holding its module by its edge) ends a path as a root
  // does, unless the targets are such records.
  const moduleEdge = new Map([
    ["ModuleJob", "module"],
    ["EvaluatedModuleNode", "exports"],
  ]);
  const isModule = (n: number): boolean => {
    const edge = moduleEdge.get(graph.className(n));
    if (edge === undefined) return false;
    for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) if (graph.edgeName(e) === edge) return true;
    return false;
  };
  const modulesEnd = !targets.some(isModule);
  const isRoot = (n: number): boolean => analysis.isRetentionRoot(n) || (modulesEnd && isModule(n));
  const nameKey = (e: number): string => {
    const t = graph.edgeType(e);
    if (t === codes.element || t === codes.hidden) return "*";
    const raw = graph.edgeNameOrIndex(e);
    if (t === codes.internal && /^\d+(?: \/ .*)?$/s.test(graph.strings.get(raw))) return "*";
    return String(raw);
  };
  const sameKey = (a: number, b: number): boolean => graph.edgeType(a) === graph.edgeType(b) && nameKey(a) === nameKey(b);
  // A run: n continues its parent's when the parent (not a root) has n's class and, unless it
  // starts the run, is held by an edge like the one that holds n.
  const continues = (n: number): boolean => {
    const q = parent(n);
    if (q < 0 || isRoot(q) || nodeClass[q] !== nodeClass[n]) return false;
    return runLength(q) === 1 || sameKey(parentEdge[n]! - 1, parentEdge[q]! - 1);
  };
  const runLength = (n: number): number => (continues(n) ? runLength(parent(n)) + 1 : 1);
  const runTop = (n: number): number => (continues(n) ? runTop(parent(n)) : n);
  // The edge by which p holds, in the distance tree, an object of its class that continues p's run.
  const listLink = (p: number): number => {
    for (let f = graph.firstEdge[p]!; f < graph.firstEdge[p + 1]!; f++) {
      const to = graph.edgeTo(f);
      if (to !== p && nodeClass[to] === nodeClass[p] && parentEdge[to] === f + 1 && !isRoot(to)) return f;
    }
    return -1;
  };

  const groups = new Map<string, Group>();
  const order: Group[] = [];
  const groupOf = (key: string, below: Group | null, kind: Group["kind"], className: string, classKey = "", edgeKey = ""): Group => {
    let g = groups.get(key);
    if (!g) {
      g = {
        key,
        classKey,
        edgeKey,
        holders: new Set(),
        below,
        kind,
        className,
        objects: new Set(),
        chainMax: 0,
        edges: [],
        links: [],
        targets: 0,
      };
      groups.set(key, g);
      order.push(g);
    }
    if (kind === "chain") g.kind = "chain";
    return g;
  };
  let noPath = 0;
  let rootTargets = 0;
  // Per pattern (its root group), its targets.
  const targetsOf = new Map<Group, number[]>();
  const steps: { g: Group; entry: number }[] = [];
  for (const t of targets) {
    if (parentEdge[t] === 0 && t !== 0 && userRoots[t] !== 1) {
      noPath++;
      continue;
    }
    let g = groupOf(`target ${nodeClass[t]}`, null, "target", graph.className(t));
    g.objects.add(t);
    g.targets++;
    if (isRoot(t)) {
      rootTargets++;
      continue;
    }
    let top = t;
    let below: "target" | "plain" | "chain" = "target";
    let belowEntry = t;
    while (parentEdge[top] !== 0) {
      const e = parentEdge[top]! - 1;
      const p = source(e);
      const kind = isRoot(p) ? "root" : runLength(p) >= 2 ? "chain" : "plain";
      // Into a chain (or a list's first element, or a target) through its own link: a list's head.
      let intoLink: boolean;
      if (below === "chain") intoLink = sameKey(e, parentEdge[belowEntry]! - 1);
      else {
        const link = listLink(belowEntry);
        intoLink = link >= 0 && sameKey(e, link);
      }
      // A target held by a run of its class through the run's link: the list's next member.
      if (below === "target" && kind === "chain" && nodeClass[p] === nodeClass[t]) intoLink ||= sameKey(e, parentEdge[p]! - 1);
      const keyClass = kind !== "root" && keyClasses.has(nodeClass[p]!);
      const anyName = keyed.has(p) || (keyClass && graph.edgeType(e) === codes.property);
      const edgeKey = intoLink ? "link" : `${graph.edgeType(e)}:${anyName ? "*" : nameKey(e)}`;
      const classKey = kind === "root" ? `root ${p}` : keyClass ? "keyed class" : `class ${nodeClass[p]}`;
      const key = `${classKey} ${edgeKey} under ${g.key.length}:${g.key} ${kind === "root"}`;
      const className = kind === "root" ? graph.className(p) : keyClass ? "Object" : graph.classNameOf(nodeClass[p]!);
      g = groupOf(key, g, kind, className, classKey, edgeKey);
      g.targets++;
      g.edges.push(e);
      if (kind === "chain") g.links.push(parentEdge[p]! - 1);
      steps.push({ g, entry: p });
      if (kind === "root") {
        const list = targetsOf.get(g);
        if (list) list.push(t);
        else targetsOf.set(g, [t]);
        break;
      }
      below = kind;
      belowEntry = p;
      top = kind === "chain" ? runTop(p) : p;
    }
  }
  // A group's objects: its steps' objects, whole runs for a chain group.
  for (const { g, entry } of steps) {
    g.holders.add(entry);
    if (g.kind !== "chain") {
      g.objects.add(entry);
      continue;
    }
    g.chainMax = Math.max(g.chainMax, runLength(entry));
    for (let x = entry; ; x = parent(x)) {
      g.objects.add(x);
      if (x === runTop(entry)) break;
    }
  }
  // How a group's edges read: one name, `a | b`, or `*` (three names, or two of different types).
  const shown = (edges: number[]): string => {
    const names: number[] = [];
    for (const e of edges)
      if (!names.some((f) => graph.edgeType(f) === graph.edgeType(e) && graph.edgeNameOrIndex(f) === graph.edgeNameOrIndex(e)))
        names.push(e);
    const type = graph.edgeTypeName(names[0]!);
    if (names.length > 2 || (names.length === 2 && graph.edgeType(names[1]!) !== graph.edgeType(names[0]!))) return `${type} *`;
    return `${type} ${names.map((e) => graph.edgeName(e)).join(" | ")}`;
  };
  const patterns = order
    .filter((g) => g.kind === "root")
    .map((r) => {
      const list: NaivePattern["steps"] = [];
      for (let g: Group | null = r; g; g = g.below) {
        const step: NaivePattern["steps"][number] = {
          className: g.className,
          count: g.kind === "root" ? 1 : g.objects.size,
          isRoot: g.kind === "root",
        };
        if (g.kind === "chain" && g.chainMax >= 2) {
          step.chainLength = g.chainMax;
          step.chainEdge = shown(g.links);
        }
        if (g.edges.length > 0) step.edge = shown(g.edges);
        list.push(step);
      }
      members.push(targetsOf.get(r)!);
      return { targets: r.targets, steps: list.reverse() };
    });
  return { answer: { patterns, noPath, rootTargets }, groups: order };
}
