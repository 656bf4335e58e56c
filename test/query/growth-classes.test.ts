/**
 * `diff` and `leaks` count per class key in one pass (class ids numbered in the order the nodes
 * meet them, key groups from those alone): checked here against plain per-node tallies on heaps
 * with more classes than the pass first makes room for, two class ids of one key (an object
 * named like an engine class), and one name split by script.
 */
import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import {
  diffSnapshots,
  findLeaks,
  leakFresh,
  markedClassRetainedSizes,
  MARKED_WALK_MAX_SHARE,
  type LeakReport,
} from "../../src/query/growth.js";
import { IdSet } from "../../src/graph/id-set.js";
import { SnapshotIds } from "../../src/query/id-trust.js";
import { graphOf } from "../helpers/load.js";
import { INTERNAL, idsOf, keyOf, plainClassDiff, rowKey } from "../helpers/naive-growth.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";

/** A small deterministic random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  id: number;
  type: string;
  name: string;
  size: number;
  script?: number;
  /** Held by a GC root. */
  root: boolean;
  /** The objects it references (made before it), drawn while they live. */
  refs: Planned[];
}

/**
 * Three snapshots of one process: `kept` objects in all, and at each step some dropped and some
 * added (ids never reused). Objects of 1,500 classes, code objects and objects named
 * "(compiled code)" (two class ids, one key), `Item` defined in two scripts; edges at random from
 * earlier objects and the GC roots, so that the dominator tree has depth.
 */
function series(seed: number): HeapGraph[] {
  const rnd = random(seed);
  let nextId = 5;
  let live: Planned[] = [];
  const make = (): Planned => {
    const r = rnd();
    const what =
      r < 0.1
        ? { type: "code", name: "", size: 8 + Math.floor(rnd() * 40) }
        : r < 0.15
          ? { type: "object", name: "(compiled code)", size: 16 }
          : r < 0.25
            ? { type: "object", name: "Item", size: 24, script: 1 + Math.floor(rnd() * 2) }
            : { type: "object", name: `C${Math.floor(rnd() * 1500)}`, size: rnd() < 0.05 ? 0 : 8 + Math.floor(rnd() * 100) };
    const refs = live.length === 0 ? [] : Array.from({ length: Math.floor(rnd() * 3) }, () => live[Math.floor(rnd() * live.length)]!);
    const p: Planned = { id: nextId, ...what, root: live.length < 40 || rnd() < 0.3, refs };
    nextId += 2;
    return p;
  };
  for (let i = 0; i < 3000; i++) live.push(make());
  const out: HeapGraph[] = [];
  for (let step = 0; step < 3; step++) {
    if (step > 0) {
      live = live.filter((p) => p.root === false || rnd() > 0.2);
      for (let i = 0; i < 900; i++) live.push(make());
    }
    const b = new SnapshotBuilder();
    const ord = new Map<Planned, number>();
    for (const p of live) {
      const n = b.node(p.type, p.name, { id: p.id, selfSize: p.size });
      if (p.script !== undefined) b.location(n, p.script, 3 * p.script, 0);
      ord.set(p, n);
    }
    for (const p of live) {
      if (p.root) b.edge(b.gcRoots, ord.get(p)!, "element", p.id);
      p.refs.forEach((q, i) => {
        if (ord.has(q)) b.edge(ord.get(p)!, ord.get(q)!, "property", `r${i}`);
      });
    }
    out.push(graphOf(b));
  }
  return out;
}

/**
 * Retained size per key of the nodes `counts` takes (all but the root by default), the plain way:
 * a node of nonzero size counts unless a dominator of it, of the same key and nonzero size, that
 * `counts` takes, lies on its way up to the root.
 */
function plainRetained(g: HeapGraph, a: HeapAnalysis, counts: (n: number) => boolean = () => true): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n < g.nodeCount; n++) {
    if (!counts(n) || a.shallowSize(n) === 0) continue;
    const k = keyOf(g, n);
    let blocked = false;
    for (let d = a.dominator(n); d !== 0; d = a.dominator(d)) {
      if (counts(d) && a.shallowSize(d) !== 0 && keyOf(g, d) === k) blocked = true;
    }
    if (!blocked) out.set(k, (out.get(k) ?? 0) + a.retainedSize(n));
  }
  return out;
}

describe("per-class counts of diff and leaks, against plain per-node tallies", () => {
  const [s1, s2, s3] = series(7);

  it("has what the test means to cover: more than 1,024 classes, two class ids of one key, a name split by script", () => {
    const { nodeClass } = s2!.classes();
    const classes = new Set(nodeClass);
    expect(classes.size).toBeGreaterThan(1024);
    const compiled = new Set([...classes].filter((c) => s2!.classNameOf(c) === "(compiled code)"));
    expect(compiled.size).toBe(2);
    expect(new Set([...classes].filter((c) => s2!.classNameOf(c) === "Item")).size).toBe(2);
  });

  for (const hide of [true, false]) {
    it(`diff: counts, new, deleted, self and retained sizes per class key${hide ? "" : " (internals too)"}`, () => {
      const [a, b] = [new HeapAnalysis(s1!), new HeapAnalysis(s2!)];
      const d = diffSnapshots({ graph: s1!, analysis: a }, { graph: s2!, analysis: b }, { hideInternals: hide });
      expect(d.idsComparable).toBe(true);
      const expected = plainClassDiff({ graph: s1!, analysis: a }, { graph: s2!, analysis: b }, hide);
      const [rb, ra] = [plainRetained(s1!, a), plainRetained(s2!, b)];
      expect(d.classes).toHaveLength(expected.size);
      for (const c of d.classes) {
        const k = rowKey(c);
        const e = expected.get(k)!;
        expect({ k, ...c }).toMatchObject({
          k,
          countBefore: e.before,
          countAfter: e.after,
          new: e.new,
          deleted: e.deleted,
          selfSizeBefore: e.selfBefore,
          selfSizeAfter: e.selfAfter,
          retainedSizeBefore: rb.get(k) ?? 0,
          retainedSizeAfter: ra.get(k) ?? 0,
        });
      }
      // Two class ids of one key: one row, its objects of both counted.
      const compiled = d.classes.filter((c) => c.className === "(compiled code)");
      expect(compiled).toHaveLength(1);
    });
  }

  it("diff without retained sizes counts self sizes as written (internals too, by default)", () => {
    const d = diffSnapshots({ graph: s1! }, { graph: s2! });
    const self = new Map<string, number>();
    for (let n = 0; n < s2!.nodeCount; n++) {
      if (s2!.nodeTypeName(n) === "synthetic") continue;
      self.set(keyOf(s2!, n), (self.get(keyOf(s2!, n)) ?? 0) + s2!.rawSelfSize(n));
    }
    for (const c of d.classes) expect([rowKey(c), c.selfSizeAfter]).toEqual([rowKey(c), self.get(rowKey(c)) ?? 0]);
    expect(d.classes.every((c) => c.retainedSizeAfter === undefined)).toBe(true);
  });

  /** findLeaks' groups against plain per-node tallies, for a baseline and a target given by their ids. */
  function expectLeaksAsTallied(base: Set<number>, target: Set<number>, given: [IdSet | SnapshotIds, IdSet | SnapshotIds]): LeakReport {
    const an = new HeapAnalysis(s3!);
    const leaked = (n: number): boolean => {
      const id = s3!.nodeId(n);
      return !base.has(id) && target.has(id) && !INTERNAL.has(s3!.nodeTypeName(n));
    };
    const expected = new Map<string, { count: number; self: number }>();
    for (let n = 0; n < s3!.nodeCount; n++) {
      if (!leaked(n)) continue;
      const e = expected.get(keyOf(s3!, n)) ?? { count: 0, self: 0 };
      e.count++;
      e.self += an.shallowSize(n);
      expected.set(keyOf(s3!, n), e);
    }
    const retained = plainRetained(s3!, an, leaked);
    const report = findLeaks(given[0], given[1], { graph: s3!, analysis: an });
    expect(report.groups.length).toBe(expected.size);
    for (const g of report.groups) {
      const k = rowKey(g);
      expect([k, g.count, g.selfSize, g.retainedSize]).toEqual([k, expected.get(k)!.count, expected.get(k)!.self, retained.get(k) ?? 0]);
    }
    return report;
  }

  it("leaks: count, self and retained size of the leaked objects per class key", () => {
    expectLeaksAsTallied(idsOf(s1!), idsOf(s2!), [SnapshotIds.of(s1!), SnapshotIds.of(s2!)]);
  });

  it("leakFresh: the final snapshot's nodes whose id the target has and the baseline lacks, in node order", () => {
    const [base, target] = [idsOf(s1!), idsOf(s2!)];
    const expected: number[] = [];
    for (let n = 0; n < s3!.nodeCount; n++) if (!base.has(s3!.nodeId(n)) && target.has(s3!.nodeId(n))) expected.push(n);
    expect(expected.length).toBeGreaterThan(0);
    expect(Array.from(leakFresh(SnapshotIds.of(s1!), SnapshotIds.of(s2!), s3!))).toEqual(expected);
    // The same objects, in the same order, whichever way the presence is given to findLeaks.
    const an = new HeapAnalysis(s3!);
    const side = { graph: s3!, analysis: an };
    const fresh = leakFresh(SnapshotIds.of(s1!), SnapshotIds.of(s2!), s3!);
    expect(findLeaks(SnapshotIds.of(s1!), SnapshotIds.of(s2!), side, { fresh })).toEqual(
      findLeaks(SnapshotIds.of(s1!), SnapshotIds.of(s2!), side),
    );
    // A list that is not the final snapshot's nodes in increasing order is refused, not tallied.
    for (const bad of [Uint32Array.of(s3!.nodeCount), Uint32Array.of(fresh[1]!, fresh[0]!), Uint32Array.of(fresh[0]!, fresh[0]!)]) {
      expect(() => findLeaks(SnapshotIds.of(s1!), SnapshotIds.of(s2!), side, { fresh: bad })).toThrow(RangeError);
    }
  });

  it("leaks: the same when most objects are leaked (their retained sizes then from the whole-tree walk)", () => {
    // A baseline without any of the final snapshot's ids, and the final one as the target: every
    // object is new.
    const report = expectLeaksAsTallied(new Set(), idsOf(s3!), [new IdSet(0), IdSet.fromGraph(s3!)]);
    expect(report.leakedObjects).toBeGreaterThan(s3!.nodeCount * MARKED_WALK_MAX_SHARE);
  });
});

describe("per-class retained sizes of marked objects (leaks), walking the marked ones only", () => {
  /** A chain of objects of two alternating classes under one root, then branches: deep, with classes repeating down it. */
  function chain(): HeapGraph {
    const b = new SnapshotBuilder();
    let prev = b.gcRoots;
    for (let i = 0; i < 400; i++) {
      const n = b.node("object", i % 3 === 0 ? "A" : "B", { selfSize: i % 7 === 0 ? 0 : 10 + i });
      b.edge(prev, n, "property", "next");
      if (i % 5 === 0) b.edge(n, b.node("object", "A", { selfSize: 3 }), "property", "leaf");
      prev = n;
    }
    return graphOf(b);
  }

  it("as the whole-tree walk gives them, for random marks, with and without groups merging classes", async () => {
    const rnd = random(11);
    for (const g of [...series(3), chain()]) {
      const a = new HeapAnalysis(g);
      await a.prepare({ retained: true });
      const limit = g.classIdLimit;
      // Merge every class id into one of three groups (ids below the limit).
      const merged = Uint32Array.from({ length: limit }, (_, c) => c % 3);
      for (const share of [0.02, 0.3, 1]) {
        const filter = Uint8Array.from({ length: g.nodeCount }, () => (rnd() < share ? 1 : 0));
        for (const groups of [null, merged]) {
          const whole = Array.from(a.classRetainedSizes(filter, groups ?? undefined));
          expect(Array.from(markedClassRetainedSizes(g, a, filter, groups))).toEqual(whole);
          // From a list of the marked objects up through their dominators: in node order, and
          // shuffled with some unmarked objects and repeats among them.
          const list = Array.from({ length: g.nodeCount }, (_, n) => n).filter((n) => filter[n] === 1);
          expect(Array.from(markedClassRetainedSizes(g, a, filter, groups, Uint32Array.from(list)))).toEqual(whole);
          const mixed = [...list, ...list.slice(0, 5), 0, 1, 2].sort(() => rnd() - 0.5);
          expect(Array.from(markedClassRetainedSizes(g, a, filter, groups, Uint32Array.from(mixed)))).toEqual(whole);
        }
      }
    }
  });
});
