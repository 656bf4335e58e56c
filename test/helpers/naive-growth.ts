/**
 * What `diff` counts per class, the plain way: one pass over every node of each snapshot with a
 * JS Set of the other's ids, keyed the way a reader writes a row (name, and where the constructor
 * is when a name is split by script).
 */
import type { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";

/** Node types `hideInternals` leaves out. */
export const INTERNAL = new Set(["hidden", "code", "object shape", "synthetic", "number"]);

/** The row key of node `n`. */
export function keyOf(g: HeapGraph, n: number): string {
  const c = g.classes().nodeClass[n]!;
  const loc = g.classLocation(c);
  return `${g.classNameOf(c)}@${loc ? `${loc.scriptId},${loc.line},${loc.column}` : ""}`;
}

/** The row key of a diff's row. */
export const rowKey = (c: { className: string; location?: { scriptId: number; line: number; column: number } }): string =>
  `${c.className}@${c.location ? `${c.location.scriptId},${c.location.line},${c.location.column}` : ""}`;

export const idsOf = (g: HeapGraph): Set<number> => new Set(Array.from({ length: g.nodeCount }, (_, n) => g.nodeId(n)));

export interface PlainClassDiff {
  before: number;
  after: number;
  new: number;
  deleted: number;
  selfBefore: number;
  selfAfter: number;
}

/** Counts, new and deleted objects and self sizes per row key, from `before` to `after`. */
export function plainClassDiff(
  before: { graph: HeapGraph; analysis: HeapAnalysis },
  after: { graph: HeapGraph; analysis: HeapAnalysis },
  hideInternals: boolean,
): Map<string, PlainClassDiff> {
  const expected = new Map<string, PlainClassDiff>();
  const tally = (g: HeapGraph, an: HeapAnalysis, other: Set<number>, side: "before" | "after"): void => {
    for (let n = 0; n < g.nodeCount; n++) {
      const type = g.nodeTypeName(n);
      if (type === "synthetic" || (hideInternals && INTERNAL.has(type))) continue;
      const k = keyOf(g, n);
      const e = expected.get(k) ?? { before: 0, after: 0, new: 0, deleted: 0, selfBefore: 0, selfAfter: 0 };
      expected.set(k, e);
      e[side]++;
      if (side === "before") e.selfBefore += an.shallowSize(n);
      else e.selfAfter += an.shallowSize(n);
      if (!other.has(g.nodeId(n))) e[side === "before" ? "deleted" : "new"]++;
    }
  };
  tally(before.graph, before.analysis, idsOf(after.graph), "before");
  tally(after.graph, after.analysis, idsOf(before.graph), "after");
  return expected;
}
