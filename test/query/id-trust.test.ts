/**
 * The id-trust check: real snapshots of one process, of two processes, and of one process whose
 * heap profiler was reset; and built ones that mirror what V8 does in each case.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IdMismatchError } from "../../src/errors.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { IdSet } from "../../src/graph/id-set.js";
import { packIdSample, unpackIdSample } from "../../src/graph/id-sample.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { diffSnapshots, findLeaks } from "../../src/query/growth.js";
import { assertComparableIds, idTrust, SnapshotIds } from "../../src/query/id-trust.js";
import { graphOf } from "../helpers/load.js";
import { writeGrowthSnapshots } from "../helpers/real-snapshot.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";

let one: HeapGraph[];
let other: HeapGraph[];
let reset: HeapGraph[];

beforeAll(async () => {
  const load = (files: string[]): Promise<HeapGraph[]> => Promise.all(files.map((f) => loadHeapGraph(f)));
  one = await load(writeGrowthSnapshots("trust-one"));
  other = await load(writeGrowthSnapshots("trust-other"));
  reset = await load(writeGrowthSnapshots("trust-reset", { resetAfterFirst: true }));
});

/** Says it cannot be compared, and does not pretend to know which of the two causes it is. */
function expectIncomparable(t: ReturnType<typeof idTrust>): void {
  expect(t.comparable).toBe(false);
  expect(t.reason).toBeTruthy();
  expect(t.reason).not.toMatch(/process|reset/);
}

describe("a kept id sample (a snapshot cache's late part)", () => {
  it("is used when it is the graph's, and not when it is not (an empty one, checksums and all): the check still finds the reset", async () => {
    const files = writeGrowthSnapshots("trust-reset-kept", { resetAfterFirst: true });
    const load = (f: string): Promise<HeapGraph> => loadHeapGraph(f);
    const a = await load(files[0]!);
    const b = await load(files[1]!);
    SnapshotIds.of(b);
    const real = unpackIdSample(b.idSampleParts()!, b.nodeCount)!;
    expect(real.sample.size).toBeGreaterThan(0);
    // Its own sample, kept: used as it is (nothing computed again).
    const own = await load(files[1]!);
    own.useStoredIndexes({ idSample: () => packIdSample(real) });
    expectIncomparable(idTrust(a, own));
    expect(own.idSampleParts()).toBeNull();
    // Not its own: an empty sample, a sparser one, other synthetic ids. Each is computed again.
    const sparser = new Map([...real.sample].filter(([id]) => id % 3 === 0));
    for (const wrong of [
      { ...real, sample: new Map() },
      { ...real, sample: sparser },
      { ...real, level: real.level + 2 },
      { ...real, syntheticIds: real.syntheticIds.map((id) => id + 2) },
    ]) {
      const g = await load(files[1]!);
      g.useStoredIndexes({ idSample: () => packIdSample(wrong) });
      expectIncomparable(idTrust(a, g));
      expect(g.idSampleParts()).not.toBeNull();
    }
  });
});

describe("a kept id sample on a graph that holds an id twice", () => {
  it("is not taken as the graph's when it has as many ids as the graph samples, but one the graph lacks", () => {
    const b = new SnapshotBuilder();
    for (const id of [5, 7, 7]) b.edge(b.gcRoots, b.node("object", "Foo", { id }), "element", id);
    const g = graphOf(b);
    SnapshotIds.of(g);
    const real = unpackIdSample(g.idSampleParts()!, g.nodeCount)!;
    // Level 0 (a small graph): every object sampled; the graph's sampled ids are 5, 7, 7.
    expect(real.level).toBe(0);
    expect([...real.sample.keys()].sort()).toEqual([5, 7]);
    const foreign = new Map(real.sample).set(9, real.sample.get(7)!);
    const kept = graphOf(b);
    kept.useStoredIndexes({ idSample: () => packIdSample({ ...real, sample: foreign }) });
    SnapshotIds.of(kept);
    expect(kept.idSampleParts()).not.toBeNull();
    // Its own sample is taken.
    const own = graphOf(b);
    own.useStoredIndexes({ idSample: () => packIdSample(real) });
    SnapshotIds.of(own);
    expect(own.idSampleParts()).toBeNull();
  });

  it("is read once per graph: SnapshotIds.of gives the same object every time", () => {
    const g = graphOf(new SnapshotBuilder());
    expect(SnapshotIds.of(g)).toBe(SnapshotIds.of(g));
  });
});

describe("idTrust on real snapshots", () => {
  it("snapshots of one process can be compared", () => {
    for (const [a, b] of [
      [0, 1],
      [1, 2],
      [0, 2],
    ] as const) {
      const t = idTrust(one[a]!, one[b]!);
      expect(t.comparable, t.reason).toBe(true);
      expect(t.same).toBeGreaterThan(0.99 * t.examined);
      expect(t.sharedIds).toBeGreaterThan(0.9 * Math.min(one[a]!.nodeCount, one[b]!.nodeCount));
    }
  });

  it("snapshots of two runs of the same program cannot", () => {
    for (const [a, b] of [
      [0, 1],
      [1, 1],
      [2, 0],
    ] as const)
      expectIncomparable(idTrust(one[a]!, other[b]!));
  });

  it("one process whose heap profiler was reset between two snapshots cannot, before and after the reset alike", () => {
    // The reset is real: the ids of the later snapshots collide with the first's.
    const t = idTrust(reset[0]!, reset[1]!);
    expect(t.sharedIds).toBeGreaterThan(0.9 * reset[0]!.nodeCount);
    expectIncomparable(t);
    expectIncomparable(idTrust(reset[0]!, reset[2]!));
    // after the reset, ids are stable again
    expect(idTrust(reset[1]!, reset[2]!).comparable).toBe(true);
  });

  it("takes the ids once: SnapshotIds compared with a graph or with SnapshotIds gives the same verdict", () => {
    const ids = SnapshotIds.of(one[0]!);
    expect(idTrust(ids, one[1]!)).toEqual(idTrust(one[0]!, one[1]!));
    expect(idTrust(SnapshotIds.of(reset[0]!), SnapshotIds.of(reset[1]!))).toEqual(idTrust(reset[0]!, reset[1]!));
  });

  it("assertComparableIds throws one line naming both snapshots, why, and what to do", () => {
    expect(() => assertComparableIds(one[0]!, one[1]!)).not.toThrow();
    let error: unknown;
    try {
      assertComparableIds(one[0]!, other[1]!, ["before.heapsnapshot", "after.heapsnapshot"]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(IdMismatchError);
    const e = error as IdMismatchError;
    expect(e.code).toBe("E_IDS");
    expect(e.message).toMatch(/^the object ids of before\.heapsnapshot and after\.heapsnapshot cannot be matched: /);
    expect(e.message).not.toMatch(/\n/);
    // both causes, never just one
    expect(e.hint).toMatch(/different processes, or from one process whose heap profiler was reset/);
  });
});

describe("comparisons by id go through the check", () => {
  it("diffSnapshots falls back to counts for a reset profiler too", () => {
    const d = diffSnapshots({ graph: reset[0]! }, { graph: reset[1]! });
    expect(d.sameProcess).toBe(false);
    expect(d.idsComparable).toBe(false);
    expect(d.idsMismatch).toMatch(/name the same object/);
    const keep = d.classes.find((c) => c.className === "Keep")!;
    expect(keep).toMatchObject({ countBefore: 10, countAfter: 35, new: null, deleted: null });
    const same = diffSnapshots({ graph: one[0]! }, { graph: one[1]! });
    expect(same.idsComparable).toBe(true);
    expect(same.idsMismatch).toBeUndefined();
  });

  it("findLeaks refuses a foreign or reset baseline, and a foreign final snapshot", () => {
    const final = { graph: one[2]!, analysis: new HeapAnalysis(one[2]!) };
    const ids = (g: HeapGraph): SnapshotIds => SnapshotIds.of(g);
    expect(findLeaks(ids(one[0]!), ids(one[1]!), final).groups.find((g) => g.className === "Keep")?.count).toBe(25);
    expect(() => findLeaks(ids(other[0]!), ids(one[1]!), final)).toThrow(IdMismatchError);
    expect(() => findLeaks(ids(one[0]!), ids(other[1]!), final)).toThrow(IdMismatchError);
    const resetFinal = { graph: reset[2]!, analysis: new HeapAnalysis(reset[2]!) };
    expect(() => findLeaks(ids(reset[0]!), ids(reset[1]!), resetFinal, { labels: ["s1", "s2", "s3"] })).toThrow(
      /the object ids of s1 and s2 cannot be matched/,
    );
    // Bare id sets cannot be checked: the caller vouches for them.
    expect(() => findLeaks(IdSet.fromGraph(other[0]!), IdSet.fromGraph(one[1]!), final)).not.toThrow();
  });
});

// ------------------------------------------------------------------ built snapshots

/**
 * A heap as V8 would number it: `objects` objects of a few classes, each referencing three
 * others. `ids[k]` is object k's id; `refs[k]` the objects it references.
 */
function heap(objects: number, ids: (k: number) => number, refs: (k: number) => number[], extra = 0): HeapGraph {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global", { id: 1_000_001 });
  b.edge(b.root, global, "shortcut", "global");
  const ord: number[] = [];
  for (let k = 0; k < objects + extra; k++) ord.push(b.node("object", `Class${k % 7}`, { id: ids(k) }));
  for (let k = 0; k < objects + extra; k++) {
    b.edge(global, ord[k]!, "element", k);
    refs(k).forEach((r, i) => b.edge(ord[k]!, ord[r]!, "property", `p${i}`));
  }
  return graphOf(b);
}

describe("idTrust on built snapshots mirroring V8", () => {
  const N = 3000;
  const refs = (k: number): number[] => [(k * 7 + 1) % N, (k * 13 + 5) % N, (k * 31 + 2) % N];

  it("one process: new objects get new, higher ids; a third of the references changed: still comparable", () => {
    const before = heap(N, (k) => 101 + 2 * k, refs);
    const after = heap(
      N,
      (k) => 101 + 2 * k,
      (k) => (k % 3 === 0 ? [(k + 1) % N, ...refs(k).slice(1)] : refs(k)),
      500,
    );
    expect(idTrust(before, after).comparable).toBe(true);
  });

  it("a reset profiler: the same objects numbered afresh from a little earlier, colliding with the old ids", () => {
    const before = heap(N, (k) => 101 + 2 * k, refs);
    // V8 numbers them again in heap order: the same objects, ids shifted by a few.
    const after = heap(N, (k) => 101 + 2 * ((k + 5) % N), refs);
    const t = idTrust(before, after);
    expect(t.sharedIds).toBe(N + 1); // and global
    expectIncomparable(t);
    // Shifted by 7, every id names an object of the same class: what it references tells them apart.
    const sameClass = heap(N, (k) => 101 + 2 * ((k + 7) % N), refs);
    expect(sameClass.className(5)).toBe(before.className(5));
    expectIncomparable(idTrust(before, sameClass));
  });

  it("a toy heap where one of five objects changed every reference is still one process", () => {
    const refs5 = (k: number): number[] => (k === 4 ? [] : [(k + 1) % 5]);
    const before = heap(5, (k) => 101 + 2 * k, refs5);
    const after = heap(
      5,
      (k) => 101 + 2 * k,
      (k) => (k === 4 ? [5, 6, 7] : refs5(k)),
      3,
    );
    const t = idTrust(before, after);
    expect(t.same).toBeLessThan(t.examined);
    expect(t.comparable).toBe(true);
  });

  it("no id in common, or only a few", () => {
    const before = heap(N, (k) => 101 + 2 * k, refs);
    expectIncomparable(
      idTrust(
        before,
        heap(N, (k) => 900_001 + 2 * k, refs),
      ),
    );
    const few = idTrust(
      before,
      heap(N, (k) => (k < 10 ? 101 + 2 * k : 900_001 + 2 * k), refs),
    );
    expectIncomparable(few);
    expect(few.reason).toMatch(/only 11 of 3,001 object ids in common/); // global too
  });

  it("samples big snapshots by id, so two of different sizes examine the same ids", () => {
    const big = 40_000;
    const bigRefs = (k: number): number[] => [(k * 7 + 1) % big, (k * 13 + 5) % big];
    const before = heap(big, (k) => 101 + 2 * k, bigRefs);
    const after = heap(big, (k) => 101 + 2 * k, bigRefs, 30_000);
    const t = idTrust(before, after);
    expect(t.comparable).toBe(true);
    expect(t.examined).toBeLessThan(big / 2);
    expect(t.examined).toBeGreaterThan(1000);
    expect(t.same).toBe(t.examined);
    const shifted = idTrust(
      before,
      heap(big, (k) => 101 + 2 * ((k + 3) % big), bigRefs),
    );
    expect(shifted.comparable).toBe(false);
  });
});
