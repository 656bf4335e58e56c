import { beforeAll, describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { IdSet } from "../../src/graph/id-set.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { diffSnapshots, findLeaks, rankDiff, type ClassDiff } from "../../src/query/growth.js";
import { writeGrowthSnapshots } from "../helpers/real-snapshot.js";

let s1: HeapGraph, s2: HeapGraph, s3: HeapGraph, other2: HeapGraph;

beforeAll(async () => {
  const [a, b, c] = writeGrowthSnapshots("growth");
  const [, otherB] = writeGrowthSnapshots("growth-other-process");
  [s1, s2, s3, other2] = await Promise.all([a, b, c, otherB].map((f) => loadHeapGraph(f)));
});

const row = (d: ReturnType<typeof diffSnapshots>, name: string) => d.classes.find((c) => c.className === name)!;

describe("diffSnapshots", () => {
  it("counts new and deleted objects per class by id, across one process", () => {
    const d = diffSnapshots({ graph: s1, analysis: new HeapAnalysis(s1) }, { graph: s2, analysis: new HeapAnalysis(s2) });
    expect(d.sameProcess).toBe(true);
    expect(row(d, "Keep")).toMatchObject({ countBefore: 10, countAfter: 35, new: 25, deleted: 0, delta: 25 });
    expect(row(d, "Temp")).toMatchObject({ countBefore: 0, countAfter: 40, new: 40, deleted: 0, delta: 40 });
    expect(row(d, "Drop")).toMatchObject({ countBefore: 20, countAfter: 15, new: 0, deleted: 5, delta: -5 });
    expect(row(d, "Keep").retainedSizeDelta).toBeGreaterThan(0);
    expect(row(d, "Keep").selfSizeDelta).toBe(row(d, "Keep").selfSizeAfter - row(d, "Keep").selfSizeBefore);
    // sorted by what grew most
    expect(d.classes.findIndex((c) => c.className === "Temp")).toBeLessThan(d.classes.findIndex((c) => c.className === "Keep"));
  });

  it("detects snapshots of different processes and falls back to counts", () => {
    const d = diffSnapshots({ graph: s1 }, { graph: other2 });
    expect(d.sameProcess).toBe(false);
    expect(row(d, "Keep")).toMatchObject({ countBefore: 10, countAfter: 35, new: null, deleted: null, delta: 25 });
  });
});

describe("findLeaks (three snapshots)", () => {
  it("finds what was allocated after the baseline and is still alive at the end", () => {
    const report = findLeaks(IdSet.fromGraph(s1), IdSet.fromGraph(s2), { graph: s3, analysis: new HeapAnalysis(s3) });
    const keep = report.groups.find((g) => g.className === "Keep")!;
    expect(keep.count).toBe(25);
    expect(keep.retainedSize).toBeGreaterThan(keep.selfSize - 1);
    expect(keep.exampleIds).toHaveLength(5);
    expect(report.groups.find((g) => g.className === "Temp")).toBeUndefined();
    expect(report.groups.find((g) => g.className === "Drop")).toBeUndefined();
    expect(report.groups.some((g) => g.className === "(compiled code)")).toBe(false);
  });
});

describe("IdSet", () => {
  it("holds every id of a graph and nothing else", () => {
    const ids = IdSet.fromGraph(s1);
    expect(ids.size).toBe(s1.nodeCount);
    for (let n = 0; n < s1.nodeCount; n += 97) expect(ids.has(s1.nodeId(n))).toBe(true);
    expect(ids.has(0)).toBe(false);
    expect(ids.has(2 ** 32 - 1)).toBe(false);
  });
});

describe("rankDiff", () => {
  const row = (className: string, d: Partial<ClassDiff>): ClassDiff => ({
    className,
    countBefore: 0,
    countAfter: 0,
    new: 0,
    deleted: 0,
    delta: 0,
    selfSizeBefore: 0,
    selfSizeAfter: 0,
    selfSizeDelta: 0,
    retainedSizeBefore: 0,
    retainedSizeAfter: 0,
    retainedSizeDelta: 0,
    ...d,
  });
  const rows = [
    row("A", { delta: 5, new: 5, selfSizeDelta: 10, retainedSizeAfter: 900, retainedSizeDelta: 100 }),
    row("B", {
      delta: -7,
      new: 1,
      deleted: 8,
      selfSizeDelta: -70,
      retainedSizeBefore: 2000,
      retainedSizeAfter: 1000,
      retainedSizeDelta: -1000,
    }),
    row("C", { delta: 9, new: 9, selfSizeDelta: 1, retainedSizeAfter: 300, retainedSizeDelta: 300 }),
    row("D", {}),
  ];
  const names = (r: { grew: ClassDiff[]; shrank: ClassDiff[] }) => [r.grew.map((c) => c.className), r.shrank.map((c) => c.className)];

  it("splits what grew from what shrank by each measure, largest change first", () => {
    expect(names(rankDiff(rows, "count"))).toEqual([["C", "A"], ["B"]]);
    expect(names(rankDiff(rows, "new"))).toEqual([["C", "A", "B"], ["B"]]);
    expect(names(rankDiff(rows, "self"))).toEqual([["A", "C"], ["B"]]);
    expect(names(rankDiff(rows, "retained"))).toEqual([["A", "C"], ["B"]]);
    expect(names(rankDiff(rows, "retained-growth"))).toEqual([["C", "A"], ["B"]]);
  });
});
