import { describe, expect, it } from "vitest";
import { chooseTargets, defaultBackrefsOptions, retainerSubgraph, walkContext, type BackrefsOptions } from "../../src/query/backrefs.js";
import { selectNodes } from "../../src/query/select.js";
import { QueryError } from "../../src/errors.js";
import type { Subgraph } from "../../src/query/types.js";
import { functionIn, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

function walk(b: SnapshotBuilder, targets: number[], opts: Partial<BackrefsOptions> = {}): Subgraph {
  const g = graphOf(b);
  return retainerSubgraph(g, walkContext(g), targets, { ...defaultBackrefsOptions, ...opts });
}

const ids = (sub: Subgraph): number[] => sub.nodes.map((n) => n.id).sort((a, b) => a - b);
const edgeList = (sub: Subgraph): string[] => sub.edges.map((e) => `${e.from}->${e.to}:${e.name}`).sort();

/**
 *   (GC roots) ─[1]→ holder ─.a→ mid ─.t→ T
 *   holder ─.deep→ d1 ─.x→ d2 ─.x→ d3 ─.t→ T
 */
function chain(): { b: SnapshotBuilder; holder: number; mid: number; target: number; d: number[] } {
  const b = new SnapshotBuilder();
  const holder = b.node("object", "Holder");
  const mid = b.node("object", "Mid");
  const target = b.node("object", "Target");
  const d = [b.node("object", "D1"), b.node("object", "D2"), b.node("object", "D3")];
  b.edge(b.gcRoots, holder, "element", 1);
  b.edge(holder, mid, "property", "a").edge(mid, target, "property", "t");
  b.edge(holder, d[0]!, "property", "deep").edge(d[0]!, d[1]!, "property", "x").edge(d[1]!, d[2]!, "property", "x");
  b.edge(d[2]!, target, "property", "t");
  return { b, holder, mid, target, d };
}

describe("retainerSubgraph", () => {
  it("walks retainers breadth-first up to --depth and says what it did not follow", () => {
    const { b, target } = chain();
    const sub = walk(b, [target], { depth: 1, path: false });
    // Target, and its two direct retainers Mid and D3
    expect(sub.nodes.map((n) => n.className).sort()).toEqual(["D3", "Mid", "Target"]);
    expect(sub.nodes.find((n) => n.className === "Target")!.isTarget).toBe(true);
    // both frontier nodes have one retainer beyond the depth
    expect(sub.placeholders.filter((p) => p.reason === "depth").map((p) => p.count)).toEqual([1, 1]);
    expect(sub.limitsReached.depth).toBe(2);
  });

  it("always includes the shortest retaining path from a root, marked onPath", () => {
    const { b, target } = chain();
    const sub = walk(b, [target], { depth: 0 });
    expect(sub.nodes.filter((n) => n.onPath).map((n) => n.name)).toEqual(["Target", "Mid", "Holder", "(GC roots)"]);
    // (GC roots) → Holder → Mid → Target: three edges on the path
    expect(
      sub.edges
        .filter((e) => e.onPath)
        .map((e) => String(e.name))
        .sort(),
    ).toEqual(["1", "a", "t"]);
    expect(sub.nodes.find((n) => n.name === "(GC roots)")!).toMatchObject({ isRoot: true, className: "(synthetic)" });
    expect(sub.nodes.find((n) => n.className === "Holder")!.depth).toBe(2);
  });

  it("then draws the target's other way up, to where it meets the path: every way must be cut", () => {
    const { b, target, holder, d } = chain();
    const g = graphOf(b);
    const sub = walk(b, [target], { depth: 0 });
    // Holder → D1 → D2 → D3 → Target: drawn even at --depth 0, not marked as the shortest path.
    const names = sub.nodes.filter((n) => !n.onPath).map((n) => n.name);
    expect(names.sort()).toEqual(["D1", "D2", "D3"]);
    const id = (n: number): number => g.nodeId(n);
    expect(edgeList(sub)).toEqual(
      expect.arrayContaining([`${id(holder)}->${id(d[0]!)}:deep`, `${id(d[0]!)}->${id(d[1]!)}:x`, `${id(d[2]!)}->${id(target)}:t`]),
    );
    expect(sub.placeholders).toEqual([]);
    // --no-path draws neither.
    expect(walk(b, [target], { depth: 0, path: false }).nodes.map((n) => n.name)).toEqual(["Target"]);
  });

  it("--path-only draws only the chain; --no-path leaves it out", () => {
    const { b, target } = chain();
    const only = walk(b, [target], { pathOnly: true });
    expect(only.nodes).toHaveLength(4);
    expect(only.placeholders).toEqual([]);
    const none = walk(b, [target], { path: false, depth: 1 });
    expect(none.nodes.some((n) => n.onPath)).toBe(false);
  });

  it("puts one 'N more' placeholder where a node has more retainers than --too-many", () => {
    const b = new SnapshotBuilder();
    const t = b.node("object", "T");
    for (let i = 0; i < 25; i++) {
      const r = b.node("object", "R");
      b.edge(b.gcRoots, r, "element", i);
      b.edge(r, t, "property", "t");
    }
    const sub = walk(b, [t], { tooMany: 10 });
    expect(sub.placeholders).toEqual([
      {
        of: sub.targets[0],
        count: 15,
        reason: "too-many",
        breakdown: [{ count: 15, className: "R", edgeType: "property", edgeName: "t" }],
      },
    ]);
    expect(sub.limitsReached.tooMany).toBe(1);
    // T, 10 retainers, (GC roots)
    expect(sub.nodes).toHaveLength(12);
  });

  it("keeps to the --max-nodes budget and counts what it cut", () => {
    const b = new SnapshotBuilder();
    const t = b.node("object", "T");
    let prev = [t];
    for (let level = 0; level < 3; level++) {
      const next: number[] = [];
      for (const p of prev) {
        for (let i = 0; i < 3; i++) {
          const r = b.node("object", `L${level}`);
          b.edge(r, p, "property", `p${i}`);
          next.push(r);
        }
      }
      prev = next;
    }
    for (const p of prev) b.edge(b.gcRoots, p, "element", 0);
    const sub = walk(b, [t], { maxNodes: 8, depth: 10, path: false });
    // The budget counts boxes: objects and placeholders.
    expect(sub.nodes.length + sub.placeholders.length).toBeLessThanOrEqual(8);
    expect(sub.nodes.length + sub.placeholders.length).toBeGreaterThanOrEqual(7);
    const cut = sub.placeholders.filter((p) => p.reason === "max-nodes").reduce((s, p) => s + p.count, 0);
    expect(cut).toBe(sub.limitsReached.maxNodes);
    expect(cut).toBeGreaterThan(0);
  });

  it("terminates on cycles and draws each edge once", () => {
    //   (GC roots) → A ⇄ B → T, T → A
    const b = new SnapshotBuilder();
    const a = b.node("object", "A");
    const bb = b.node("object", "B");
    const t = b.node("object", "T");
    b.edge(b.gcRoots, a, "element", 0).edge(a, bb, "property", "b").edge(bb, a, "property", "a");
    b.edge(bb, t, "property", "t").edge(t, a, "property", "back");
    const sub = walk(b, [t], { depth: 10 });
    expect(sub.nodes.map((n) => n.name).sort()).toEqual(["(GC roots)", "A", "B", "T"]);
    const g = graphOf(b);
    const id = (n: number): number => g.nodeId(n);
    expect(edgeList(sub)).toEqual(
      [`${id(a)}->${id(bb)}:b`, `${id(bb)}->${id(a)}:a`, `${id(bb)}->${id(t)}:t`, `${id(t)}->${id(a)}:back`, `3->${id(a)}:0`].sort(),
    );
  });

  it("does not follow weak edges unless asked, and says when nothing holds a target strongly", () => {
    const b = new SnapshotBuilder();
    const wm = b.node("object", "WeakRef");
    const t = b.node("object", "T");
    b.edge(b.gcRoots, wm, "element", 0).edge(wm, t, "weak", "target");
    const strong = walk(b, [t]);
    expect(ids(strong)).toEqual([graphOf(b).nodeId(t)]);
    expect(strong.limitsReached.noPath).toBe(1);
    const weak = walk(b, [t], { weak: true });
    expect(weak.nodes.map((n) => n.name).sort()).toEqual(["(GC roots)", "T", "WeakRef"]);
    expect(weak.edges.find((e) => e.to === graphOf(b).nodeId(t))!.type).toBe("weak");
  });

  it("shares retainers between several targets", () => {
    const b = new SnapshotBuilder();
    const cache = b.node("object", "Cache");
    b.edge(b.gcRoots, cache, "element", 0);
    const ts = [0, 1, 2].map((i) => {
      const t = b.node("object", "T");
      b.edge(cache, t, "element", i);
      return t;
    });
    const sub = walk(b, ts);
    expect(sub.nodes.filter((n) => n.className === "Cache")).toHaveLength(1);
    expect(sub.edges).toHaveLength(4);
    expect(sub.targets).toHaveLength(3);
  });

  it("stops at the user root (global), like objgraph stops at modules", () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    b.edge(b.root, global, "shortcut", "global");
    const native = b.node("hidden", "system / NativeContext");
    b.edge(b.gcRoots, native, "element", 0).edge(native, global, "internal", "global_proxy");
    const t = b.node("object", "T");
    b.edge(global, t, "property", "leak");
    const sub = walk(b, [t], { depth: 5 });
    expect(sub.nodes.map((n) => n.className)).toEqual(["T", "global"]);
    expect(sub.nodes[1]!.isRoot).toBe(true);
  });

  it("ends paths at a loaded module's record, named by its file, unless a target is such a record", () => {
    // global → the loader's state → ModuleJob ─.module→ ModuleWrap → its context → Map → T
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    b.edge(b.root, global, "shortcut", "global");
    const loader = b.node("object", "ModuleLoader");
    const cache = b.node("object", "LoadCache");
    const job = b.node("object", "ModuleJob", { selfSize: 96 });
    const wrap = b.node("object", "ModuleWrap");
    const env = b.node("object", "system / Context");
    const map = b.node("object", "Map");
    const t = b.node("object", "T");
    b.edge(global, loader, "property", "loader").edge(loader, cache, "property", "loadCache").edge(cache, job, "property", "job");
    b.edge(job, wrap, "property", "module").edge(wrap, env, "internal", "context").edge(env, map, "context", "cache");
    b.edge(map, t, "element", 0).edge(job, b.node("string", "file:///app/src/cache.mjs"), "property", "url");
    const sub = walk(b, [t], { depth: 10 });
    expect(sub.nodes.map((n) => n.className)).toEqual(["T", "Map", "system / Context", "ModuleWrap", "ModuleJob"]);
    const root = sub.nodes.find((n) => n.className === "ModuleJob")!;
    expect(root).toMatchObject({ isRoot: true, onPath: true, module: "file:///app/src/cache.mjs" });
    // Nothing above the record, not even a "beyond --depth" box for it.
    expect(sub.placeholders.filter((p) => p.of === root.id)).toEqual([]);
    // A module record asked about is drawn up to global, as any object.
    const own = walk(b, [job], { depth: 10 });
    expect(own.nodes.map((n) => n.className)).toEqual(["ModuleJob", "LoadCache", "ModuleLoader", "global"]);
    expect(own.nodes.every((n) => n.module === undefined)).toBe(true);
  });

  it("names each function's script: the closure holding the target's context says where its code is", () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    b.edge(b.root, global, "shortcut", "global");
    const fn = functionIn(b, "", "file:///app/src/server.mjs");
    const env = b.node("object", "system / Context");
    const t = b.node("object", "T");
    b.edge(global, fn, "property", "handler").edge(fn, env, "context", "context").edge(env, t, "context", "t");
    const sub = walk(b, [t], { depth: 10 });
    expect(sub.nodes.map((n) => [n.className, n.script])).toEqual([
      ["T", undefined],
      ["system / Context", undefined],
      ["Function", "file:///app/src/server.mjs"],
      ["global", undefined],
    ]);
  });
});

describe("selectNodes and chooseTargets", () => {
  it("selects by class, name and id; --type and --name together must both hold", () => {
    const b = new SnapshotBuilder();
    const f1 = b.node("object", "Foo");
    const f2 = b.node("object", "Foo");
    const s = b.node("string", "Foo");
    const fn = b.node("closure", "onData");
    const g = graphOf(b);
    expect(selectNodes(g, { types: ["Foo"] }).ordinals).toEqual([f1, f2]);
    expect(selectNodes(g, { names: ["Foo"] }).ordinals).toEqual([f1, f2, s]);
    expect(selectNodes(g, { types: ["(string)"], names: ["Foo"] }).ordinals).toEqual([s]);
    expect(selectNodes(g, { types: ["Function"] }).ordinals).toEqual([fn]);
    expect(selectNodes(g, { types: ["Foo"], ids: [g.nodeId(fn)] }).ordinals).toEqual([f1, f2, fn]);
  });

  it("--detached selects detached DOM nodes, alone or with a class", () => {
    const b = new SnapshotBuilder();
    const div = b.node("native", "<div>", { detachedness: 2 });
    const span = b.node("native", "<span>", { detachedness: 2 });
    b.node("native", "<div>", { detachedness: 1 });
    const g = graphOf(b);
    expect(selectNodes(g, { detached: true }).ordinals).toEqual([div, span]);
    expect(selectNodes(g, { detached: true, types: ["Detached <div>"] }).ordinals).toEqual([div]);
    const none = new SnapshotBuilder();
    none.node("native", "<p>", { detachedness: 1 });
    expect(() => selectNodes(graphOf(none), { detached: true })).toThrow("no detached DOM nodes in this snapshot");
  });

  it("suggests the closest class names when nothing matches", () => {
    const b = new SnapshotBuilder();
    for (let i = 0; i < 3; i++) b.node("object", "Foo");
    b.node("object", "Bar");
    const g = graphOf(b);
    expect(() => selectNodes(g, { types: ["Fo"] })).toThrow(QueryError);
    expect(() => selectNodes(g, { types: ["Fo"] })).toThrow("no objects of class 'Fo'; did you mean Foo (3)?");
    expect(() => selectNodes(g, { ids: [424242] })).toThrow(/no object with id @424242/);
  });

  it("draws the largest retained sizes first, or the newest (highest ids) without retained sizes", () => {
    const b = new SnapshotBuilder();
    const ts = [0, 1, 2, 3, 4].map(() => b.node("object", "Foo", { selfSize: 8 }));
    const payload = b.node("object", "Payload", { selfSize: 1000 });
    for (const t of ts) b.edge(b.gcRoots, t, "element", 0);
    b.edge(ts[1]!, payload, "property", "big");
    const g = graphOf(b);
    const withSizes = chooseTargets(g, walkContext(g), ts, 2);
    expect(withSizes.drawn).toEqual([ts[1], ts[4]]);
    expect(withSizes.omitted).toBe(3);
    const byId = chooseTargets(g, walkContext(g, { retained: false }), ts, 2);
    expect(byId.drawn).toEqual([ts[4], ts[3]]);
  });
});

describe("chooseTargets among many matches", () => {
  it("draws the first of the sorted matches (retained size, then newest id), ties in match order, for every count asked", () => {
    let x = 21;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    const b = new SnapshotBuilder();
    // Ids not in node order, and retained sizes from a few values: many ties.
    const ts = Array.from({ length: 300 }, (_, i) =>
      b.node("object", "Foo", { selfSize: 8 * (1 + next(4)), id: 2 * ((i * 7919) % 300) + 101 }),
    );
    for (const t of ts) b.edge(b.gcRoots, t, "element", 0);
    const g = graphOf(b);
    for (const retained of [true, false]) {
      const ctx = walkContext(g, { retained });
      const sizes = retained ? ctx.analysis.retainedSizes() : null;
      const shuffled = [...ts].sort((a, c) => ((a * 31) % 17) - ((c * 31) % 17));
      const sorted = [...shuffled].sort((a, c) => (sizes ? sizes[c]! - sizes[a]! : 0) || g.nodeId(c) - g.nodeId(a));
      for (const max of [1, 2, 3, 10, 64, 65, 299, 300, 400]) {
        const got = chooseTargets(g, ctx, shuffled, max);
        expect(got.drawn, `max ${max}`).toEqual(sorted.slice(0, max));
        expect(got.omitted).toBe(Math.max(0, 300 - max));
      }
    }
  });
});

describe("retainerSubgraph without the whole retainer index", () => {
  it("draws the same picture whether the retainer index was built first or not", () => {
    // A heap with many objects and cross references, so the walk asks for many retainers.
    const b = new SnapshotBuilder();
    const hub = b.node("object", "Hub");
    b.edge(b.gcRoots, hub, "element", 1);
    const items: number[] = [];
    for (let i = 0; i < 60; i++) {
      const it = b.node("object", i % 3 === 0 ? "Leak" : `Item${i % 5}`);
      items.push(it);
      b.edge(i < 10 ? hub : items[(i * 7) % i]!, it, "property", `i${i}`);
      if (i > 2) b.edge(items[(i * 13) % i]!, it, "property", `x${i}`);
    }
    const targets = items.filter((_, i) => i % 3 === 0).slice(5, 12);
    for (const opts of [{}, { depth: 5, maxNodes: 200 }, { pathOnly: true }, { path: false, depth: 2 }] as Partial<BackrefsOptions>[]) {
      const lazy = graphOf(b);
      const eager = graphOf(b);
      eager.retainers();
      const a = retainerSubgraph(lazy, walkContext(lazy), targets, { ...defaultBackrefsOptions, ...opts });
      const e = retainerSubgraph(eager, walkContext(eager), targets, { ...defaultBackrefsOptions, ...opts });
      expect(JSON.stringify(a), JSON.stringify(opts)).toBe(JSON.stringify(e));
      expect(a.nodes.length).toBeGreaterThan(targets.length);
    }
  });
});

describe("retainersOf", () => {
  it("lists one retainer per holder, closest to a root first, ties in snapshot order, unreached last (long lists too)", async () => {
    const { retainersOf } = await import("../../src/query/backrefs.js");
    const { NO_DISTANCE } = await import("../../src/graph/analysis.js");
    let x = 9;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    const b = new SnapshotBuilder();
    const target = b.node("object", "Target");
    // Ladders of holders at distances 2…7 from the GC roots, and holders nothing reaches.
    const rungs = [b.node("object", "Rung")];
    b.edge(b.gcRoots, rungs[0]!, "element", 1);
    for (let i = 1; i < 6; i++) {
      rungs.push(b.node("object", "Rung"));
      b.edge(rungs[i - 1]!, rungs[i]!, "property", "up");
    }
    for (let k = 0; k < 300; k++) {
      const h = b.node("object", `H${k % 4}`);
      const r = next(7);
      if (r < 6) b.edge(rungs[r]!, h, "property", `h${k}`);
      b.edge(h, target, "property", "t");
      if (k % 5 === 0) b.edge(h, target, "property", "again"); // a repeat from one holder
      if (k % 11 === 0) b.edge(target, h, "property", "back");
    }
    b.edge(target, target, "property", "self");
    const g = graphOf(b);
    const ctx = walkContext(g);
    const d = ctx.analysis.distances().distance;
    // Independently: the whole retainer index, one edge per holder, no self edge, a plain stable sort.
    const index = g.retainers();
    const want: Array<{ edge: number; from: number }> = [];
    for (let i = index.first[target]!; i < index.first[target + 1]!; i++) {
      const edge = index.edge[i]!;
      const from = g.edgeSource(edge);
      if (from === target || want.some((w) => w.from === from)) continue;
      want.push({ edge, from });
    }
    const key = (n: number): number => (d[n] === NO_DISTANCE ? Infinity : d[n]!);
    want.sort((a, c) => key(a.from) - key(c.from));
    const got = retainersOf(g, ctx, target, false);
    expect(got).toEqual(want);
    expect(got.length).toBeGreaterThan(200);
    expect(new Set(got.map((r) => d[r.from])).size).toBeGreaterThan(5);
    expect(d[got.at(-1)!.from]).toBe(NO_DISTANCE);
  });
});

describe("retainersOf, long lists", () => {
  it("gives a long list exactly as the per-retainer way does: repeats, self and weak edges, backing stores of holders and of others", async () => {
    const { retainersOf } = await import("../../src/query/backrefs.js");
    let x = 5;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    for (let round = 0; round < 4; round++) {
      const b = new SnapshotBuilder();
      const target = b.node("object", "Target");
      const hub = b.node("object", "Hub");
      b.edge(b.gcRoots, hub, "element", 1);
      const holders: number[] = [];
      for (let k = 0; k < 400; k++) {
        const kind = next(6);
        // Objects, arrays and hidden nodes (backing stores when another holder points at them).
        const h = b.node(kind === 0 ? "array" : kind === 1 ? "hidden" : "object", kind < 2 ? "(object elements)" : `H${k % 5}`);
        holders.push(h);
        if (next(4) > 0) b.edge(hub, h, "property", `h${k}`);
        b.edge(h, target, next(9) === 0 ? "weak" : "property", "t");
        if (next(5) === 0) b.edge(h, target, "element", 3); // a repeat from one holder
      }
      // Holders pointing at other holders' stores through internal/hidden edges (and some not).
      for (let k = 0; k < 300; k++) {
        const from = holders[next(holders.length)]!;
        const to = holders[next(holders.length)]!;
        const type = ["internal", "hidden", "property"][next(3)]! as "internal" | "hidden" | "property";
        b.edge(from, to, type, type === "hidden" ? 1 : "elements");
      }
      b.edge(target, target, "property", "self");
      const g = graphOf(b);
      const ctx = walkContext(g);
      for (const weak of [false, true]) {
        const short = retainersOf(g, ctx, target, weak, Infinity);
        const long = retainersOf(g, ctx, target, weak, 0);
        expect(long, `round ${round}, weak ${weak}`).toEqual(short);
        expect(short.length).toBeGreaterThan(250);
      }
      // The stores rule did leave some out.
      const all = new Set(retainersOf(g, ctx, target, false, 0).map((r) => r.from));
      const stores = holders.filter((h) => g.nodeType(h) === g.types.array || g.nodeType(h) === g.types.hidden);
      expect(stores.some((h) => !all.has(h))).toBe(true);
    }
  });
});

describe("sortByDistance", () => {
  it("orders retainers as a stable sort by distance (unreached last) does: short and long lists, small and large distances", async () => {
    const { sortByDistance } = await import("../../src/query/backrefs.js");
    const { NO_DISTANCE } = await import("../../src/graph/analysis.js");
    let x = 9;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    const d = new Int32Array(5000);
    for (const spread of [3, 40, 4_000_000]) {
      for (let n = 0; n < d.length; n++) d[n] = next(10) === 0 ? NO_DISTANCE : next(spread);
      for (const length of [5, 64, 100, 3000]) {
        const list = Array.from({ length }, (_, i) => ({ from: next(d.length), i }));
        const key = (r: { from: number }): number => (d[r.from] === NO_DISTANCE ? Infinity : d[r.from]!);
        const want = [...list].sort((a, b) => key(a) - key(b) || a.i - b.i);
        expect(sortByDistance([...list], d), `spread ${spread}, length ${length}`).toEqual(want);
      }
    }
  });
});
