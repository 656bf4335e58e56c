import { beforeAll, describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { IdSet } from "../../src/graph/id-set.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { diffSnapshots, findLeaks, rankDiff, type ClassDiff } from "../../src/query/growth.js";
import { SnapshotIds } from "../../src/query/id-trust.js";
import { INTERNAL, idsOf, keyOf, plainClassDiff, rowKey } from "../helpers/naive-growth.js";
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

describe("against a plain reimplementation with JS sets", () => {
  for (const hide of [true, false]) {
    it(`diff counts, new and deleted objects and self sizes per class as a Set per snapshot does${hide ? "" : " (internals too)"}`, () => {
      const [a, b] = [new HeapAnalysis(s1), new HeapAnalysis(s2)];
      const d = diffSnapshots({ graph: s1, analysis: a }, { graph: s2, analysis: b }, { hideInternals: hide });
      const expected = plainClassDiff({ graph: s1, analysis: a }, { graph: s2, analysis: b }, hide);
      expect(d.classes).toHaveLength(expected.size);
      for (const c of d.classes) {
        const e = expected.get(rowKey(c))!;
        expect({ k: rowKey(c), ...c }).toMatchObject({
          k: rowKey(c),
          countBefore: e.before,
          countAfter: e.after,
          new: e.new,
          deleted: e.deleted,
          selfSizeBefore: e.selfBefore,
          selfSizeAfter: e.selfAfter,
        });
      }
    });
  }

  it("leaks finds the objects of the final snapshot new since the baseline and in the target, as Sets do", () => {
    const [base, target] = [idsOf(s1), idsOf(s2)];
    const expected = new Map<string, number>();
    for (let n = 0; n < s3.nodeCount; n++) {
      const id = s3.nodeId(n);
      if (base.has(id) || !target.has(id) || INTERNAL.has(s3.nodeTypeName(n))) continue;
      expected.set(keyOf(s3, n), (expected.get(keyOf(s3, n)) ?? 0) + 1);
    }
    expect(expected.size).toBeGreaterThan(0);
    const final = { graph: s3, analysis: new HeapAnalysis(s3) };
    for (const report of [
      findLeaks(SnapshotIds.of(s1), SnapshotIds.of(s2), final),
      findLeaks(IdSet.fromGraph(s1), IdSet.fromGraph(s2), final),
    ]) {
      expect(new Map(report.groups.map((g) => [rowKey(g), g.count]))).toEqual(expected);
      expect(report.leakedObjects).toBe([...expected.values()].reduce((x, y) => x + y, 0));
    }
  });
});

describe("IdSet", () => {
  /** Ids dense from 1 in steps of 2 (V8's object ids), a few far above (addresses), 0, the largest, and repeats. */
  function someIds(count: number, seed: number, spread = false): Uint32Array {
    let x = seed;
    const rand = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x / 2 ** 32);
    const ids = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const r = rand();
      ids[i] = spread
        ? Math.floor(rand() * 2 ** 32)
        : r < 0.01
          ? 2 ** 31 + Math.floor(rand() * 2 ** 31)
          : 1 + 2 * Math.floor(rand() * count * 1.5);
    }
    ids[0] = 0;
    ids[1] = 2 ** 32 - 1;
    ids[2] = ids[3]!;
    return ids;
  }

  it("holds exactly the ids it was made of, as a JS Set does, whatever their spread", () => {
    for (const [count, seed, spread] of [
      [5000, 1, false],
      [20000, 2, false],
      [3000, 3, true],
    ] as const) {
      const ids = someIds(count, seed, spread);
      const set = IdSet.fromIds(ids, count);
      const plain = new Set(ids);
      expect(set.size).toBe(plain.size);
      for (const id of ids) expect(set.has(id)).toBe(true);
      const probes = someIds(count, seed + 100, spread);
      for (const id of probes) expect(set.has(id)).toBe(plain.has(id));
      for (let id = 0; id < 200; id++) expect(set.has(id)).toBe(plain.has(id));
    }
  });

  it("counts the ids two sets share as JS Sets do (bitmaps of different reach, and a hash table alone)", () => {
    const a = someIds(20000, 7);
    const b = someIds(5000, 7).map((v, i) => (i % 3 === 0 ? v + 2 : v));
    const spread = someIds(4000, 9, true);
    const byAdding = (ids: Uint32Array): IdSet => {
      const s = new IdSet(ids.length);
      for (const id of ids) s.add(id);
      return s;
    };
    const sets = [a, b, spread].map((ids) => ({ plain: new Set(ids), fromIds: IdSet.fromIds(ids, ids.length), added: byAdding(ids) }));
    for (const x of sets) {
      for (const y of sets) {
        const expected = [...x.plain].filter((id) => y.plain.has(id)).length;
        for (const sx of [x.fromIds, x.added]) for (const sy of [y.fromIds, y.added]) expect(sx.countIn(sy)).toBe(expected);
      }
      expect(x.added.size).toBe(x.plain.size);
    }
  });

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
