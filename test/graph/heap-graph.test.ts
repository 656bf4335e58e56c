import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { SnapshotFormatError } from "../../src/errors.js";
import { HeapGraph, earlyNameClasses } from "../../src/graph/heap-graph.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { summarize } from "../../src/query/summary.js";
import { SnapshotParser, type RawSnapshot } from "../../src/snapshot/parser.js";
import { NODE_FIELDS, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("HeapGraph", () => {
  it("names classes the way DevTools does", () => {
    const b = new SnapshotBuilder();
    const cases: Array<[string, string, string]> = [
      ["object", "Foo", "Foo"],
      ["native", '<div class="x" id="y">', "<div>"],
      ["native", "<span>", "<span>"],
      ["hidden", "system / Context", "(system)"],
      ["code", "foo", "(compiled code)"],
      ["closure", "onRequest", "Function"],
      ["regexp", "a+b", "RegExp"],
      ["string", "hello", "(string)"],
      ["concatenated string", "ab", "(concatenated string)"],
      ["array", "", "(array)"],
      ["number", "heap number", "(number)"],
    ];
    const ordinals = cases.map(([type, name]) => b.node(type, name));
    const g = graphOf(b);
    ordinals.forEach((n, i) => expect(g.className(n)).toBe(cases[i]![2]));
    // two DOM names with the same tag share one class
    const n2 = b.node("native", '<div class="other">');
    const g2 = graphOf(b);
    expect(g2.classes().nodeClass[n2]).toBe(g2.classes().nodeClass[ordinals[1]!]);
  });

  it("indexes forward edges and retainers", () => {
    //   root → (GC roots) → a → b
    //                        a → c ← b
    const b = new SnapshotBuilder();
    const a = b.node("object", "A");
    const bb = b.node("object", "B");
    const c = b.node("object", "C");
    b.edge(b.gcRoots, a, "element", 1).edge(a, bb, "property", "b").edge(a, c, "property", "c").edge(bb, c, "property", "c");
    const g = graphOf(b);
    expect(g.nodeCount).toBe(5);
    const out = (n: number): number[] => {
      const r: number[] = [];
      for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) r.push(g.edgeTo(e));
      return r;
    };
    expect(out(a)).toEqual([bb, c]);
    expect(g.edgeName(g.firstEdge[a]!)).toBe("b");
    const r = g.retainers();
    const retainersOf = (n: number): number[] => Array.from(r.edge.subarray(r.first[n]!, r.first[n + 1]!), (e) => g.edgeSource(e));
    expect(retainersOf(c)).toEqual([a, bb]);
    expect(retainersOf(a)).toEqual([b.gcRoots]);
    expect(retainersOf(b.root)).toEqual([]);
    expect(g.nodeId(c)).toBe(9);
    expect(g.findById(9)).toBe(c);
  });

  it("treats a missing self_size as 0", () => {
    const b = new SnapshotBuilder(NODE_FIELDS.minimal);
    const a = b.node("object", "A", { selfSize: 99 });
    const g = graphOf(b);
    expect(g.rawSelfSize(a)).toBe(0);
    expect(g.detachedness(a)).toBe(0);
  });

  it("rejects string indices out of range and edge counts that disagree", () => {
    const b = new SnapshotBuilder();
    const a = b.node("object", "A");
    b.edge(b.gcRoots, a, "property", "x");
    const j = b.toJSON();
    const load = (o: typeof j): HeapGraph => {
      const p = new SnapshotParser();
      p.write(Buffer.from(JSON.stringify(o)));
      return new HeapGraph(p.end());
    };
    const badName = structuredClone(j);
    badName.nodes[7 * a + 1] = 999;
    expect(() => load(badName)).toThrow(SnapshotFormatError);
    expect(() => load(badName)).toThrow(/names string 999/);
    const badEdgeName = structuredClone(j);
    badEdgeName.edges[3 + 1] = 999;
    expect(() => load(badEdgeName)).toThrow(/edge 1 names string 999/);
    const badCount = structuredClone(j);
    badCount.nodes[7 * a + 4] = 5;
    expect(() => load(badCount)).toThrow(/edge counts add up/);
    const badType = structuredClone(j);
    badType.nodes[7 * a] = 99;
    expect(() => load(badType)).toThrow(/node type 99 is not in meta.node_types/);
    const badEdgeType = structuredClone(j);
    badEdgeType.edges[3] = 42;
    expect(() => load(badEdgeType)).toThrow(/edge type 42 is not in meta.edge_types/);
  });

  it("rejects an out-of-range edge name whatever the edge fields' order and edge types", () => {
    // The reader notes the largest string index as it goes, to skip the full check; with the name
    // before the type, or no "element"/"hidden" types, it must still count every name.
    const b = new SnapshotBuilder();
    const a = b.node("object", "A");
    b.edge(b.gcRoots, a, "property", "x");
    const j = b.toJSON();
    const meta = j.snapshot["meta"] as { edge_fields: string[]; edge_types: unknown[] };
    const swapped = structuredClone(j);
    const sm = swapped.snapshot["meta"] as typeof meta;
    sm.edge_fields = ["name_or_index", "type", "to_node"];
    for (let e = 0; e < swapped.edges.length; e += 3) [swapped.edges[e], swapped.edges[e + 1]] = [j.edges[e + 1]!, j.edges[e]!];
    // edge_types follows edge_fields position by position
    const renamed = (meta.edge_types[0] as string[]).map((t) => (t === "element" || t === "hidden" ? `${t}-renamed` : t));
    sm.edge_types = [meta.edge_types[1], renamed, ...meta.edge_types.slice(2)];
    const load = (o: typeof j): HeapGraph => {
      const p = new SnapshotParser();
      p.write(Buffer.from(JSON.stringify(o)));
      return new HeapGraph(p.end());
    };
    expect(load(swapped).edgeCount).toBe(j.edges.length / 3);
    const bad = structuredClone(swapped);
    bad.edges[3] = 999; // edge 1's name, now the first field
    expect(() => load(bad)).toThrow(/edge 1 names string 999/);
    const badTypeFirst = structuredClone(j);
    (badTypeFirst.snapshot["meta"] as typeof meta).edge_types[0] = renamed;
    badTypeFirst.edges[3 + 1] = 999;
    expect(() => load(badTypeFirst)).toThrow(/edge 1 names string 999/);
  });
});

/** A seeded heap: `n` objects, each with a few edges to random others, some of them weak; a few held by the GC roots. */
function randomHeap(n: number, seed: number): { b: SnapshotBuilder; nodes: number[] } {
  let x = seed;
  const next = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % m;
  };
  const b = new SnapshotBuilder();
  const nodes = Array.from({ length: n }, (_, i) => b.node("object", `C${i % 7}`));
  for (let i = 0; i < 5; i++) b.edge(b.gcRoots, nodes[next(n)]!, "element", i);
  for (const from of nodes) {
    for (let k = next(5); k > 0; k--) b.edge(from, nodes[next(n)]!, next(6) === 0 ? "weak" : "property", `p${k}`);
  }
  return { b, nodes };
}

describe("HeapGraph.retainerEdges", () => {
  const slot = (g: HeapGraph, n: number): number[] => {
    const r = g.retainers();
    return Array.from(r.edge.subarray(r.first[n]!, r.first[n + 1]!));
  };

  it("gives every node's slot of the retainer index, walked upwards a few at a time, without building the index", () => {
    const { b, nodes } = randomHeap(400, 7);
    const full = graphOf(b);
    const g = graphOf(b);
    const built = vi.spyOn(g, "retainers");
    // A walk up from two objects, three levels, as a picture asks.
    g.prefetchRetainers([nodes[3]!, nodes[10]!]);
    let level = [nodes[3]!, nodes[10]!];
    const asked = new Set<number>();
    for (let d = 0; d < 3; d++) {
      const up: number[] = [];
      for (const n of level) {
        if (asked.has(n)) continue;
        asked.add(n);
        const got = Array.from(g.retainerEdges(n));
        expect(got, `node ${n}`).toEqual(slot(full, n));
        for (const e of got) up.push(g.edgeSource(e));
      }
      level = up;
    }
    expect(asked.size).toBeGreaterThan(10);
    expect(built).not.toHaveBeenCalled();
  });

  it("finds thousands of retainers of one node in one pass (the pass's list of hits grows mid-way)", () => {
    const b = new SnapshotBuilder();
    const hub = b.node("object", "Hub");
    const other = b.node("object", "Other");
    const holders = Array.from({ length: 3000 }, (_, i) => b.node("object", `H${i % 3}`));
    for (const h of holders) b.edge(h, other, "property", "o").edge(h, hub, "property", "hub");
    b.edge(b.gcRoots, hub, "element", 1);
    const full = graphOf(b);
    const g = graphOf(b);
    const built = vi.spyOn(g, "retainers");
    g.prefetchRetainers([other]);
    expect(Array.from(g.retainerEdges(hub))).toEqual(slot(full, hub));
    expect(Array.from(g.retainerEdges(other))).toEqual(slot(full, other));
    expect(slot(full, hub)).toHaveLength(3001);
    expect(built).not.toHaveBeenCalled();
  });

  it("asked for every node in an order no pass foresees: the same answers (past a few passes, from the whole index)", () => {
    const { b } = randomHeap(300, 11);
    const full = graphOf(b);
    const g = graphOf(b);
    const built = vi.spyOn(g, "retainers");
    const order = Array.from({ length: g.nodeCount }, (_, i) => (i * 97) % g.nodeCount);
    for (const n of order) expect(Array.from(g.retainerEdges(n)), `node ${n}`).toEqual(slot(full, n));
    expect(built).toHaveBeenCalled();
  });
});

describe("HeapGraph.edgeSource", () => {
  /** The source of every edge by walking the first-edge index node by node. */
  const sourcesByWalking = (g: HeapGraph): number[] => {
    const out: number[] = [];
    for (let n = 0; n < g.nodeCount; n++) for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) out.push(n);
    return out;
  };

  it("names the source of every edge: runs of nodes without edges, nodes with edges over several blocks, the last edge", () => {
    let x = 5;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    const b = new SnapshotBuilder();
    const nodes = Array.from({ length: 600 }, (_, i) => b.node("object", `C${i % 5}`));
    for (let i = 0; i < nodes.length; i++) {
      const from = nodes[i]!;
      // Long runs of leaves, a few nodes with hundreds of edges, the rest a few each.
      const k = i % 97 < 40 ? 0 : i % 53 === 0 ? 150 + next(200) : next(6);
      for (let j = 0; j < k; j++) b.edge(from, nodes[next(nodes.length)]!, "property", `p${j % 9}`);
    }
    b.edge(nodes[nodes.length - 1]!, nodes[0]!, "property", "last");
    const g = graphOf(b);
    const want = sourcesByWalking(g);
    expect(want.length).toBe(g.edgeCount);
    expect(g.edgeCount).toBeGreaterThan(64 * 20);
    // In a scattered order, so the answers do not depend on being asked in edge order.
    for (let i = 0; i < g.edgeCount; i++) {
      const e = (i * 7919) % g.edgeCount;
      expect(g.edgeSource(e), `edge ${e}`).toBe(want[e]);
    }
  });

  it("agrees with the retainer index on a random heap", () => {
    const { b } = randomHeap(500, 3);
    const g = graphOf(b);
    const want = sourcesByWalking(g);
    const r = g.retainers();
    for (let i = 0; i < r.edge.length; i++) expect(g.edgeSource(r.edge[i]!)).toBe(want[r.edge[i]!]);
  });
});

describe("the class pass's first part, done while the edges are read", () => {
  /**
   * A snapshot whose class pass meets, in node order: plain objects, DOM names and other names
   * before the first detached node; then a detached `<div>` (its name met there first), a DOM name
   * and a plain object met first after it, a node sharing the detached one's name but attached, and
   * a node detached only through an edge (its state spread from another).
   */
  function domHeap(): SnapshotBuilder {
    const b = new SnapshotBuilder(NODE_FIELDS.chromium);
    // Nodes enough for the edges to start past the first chunk a reader takes: another thread reads them.
    for (let k = 0; k < 60000; k++) b.node("object", `C${k % 50}`);
    const holder = b.node("object", "Holder");
    const plain = [b.node("object", "Object"), b.node("object", "Object")];
    b.edge(plain[0]!, holder, "property", "a").edge(plain[1]!, holder, "property", "a");
    const li = b.node("native", "<li>", { detachedness: 1 });
    b.node("native", "Object");
    const div = b.node("native", '<div class="x">', { detachedness: 2 });
    const span = b.node("native", "<span>");
    b.edge(div, span, "element", 0);
    b.node("native", "<p>");
    b.node("native", '<div id="y">');
    const late = b.node("object", "Object");
    b.edge(late, holder, "property", "b");
    b.node("object", "Late");
    b.edge(b.gcRoots, holder, "element", 1).edge(b.gcRoots, div, "element", 2).edge(b.gcRoots, li, "element", 3);
    return b;
  }

  it("gives the class index a read on one thread gives, however many nodes turn out detached", async () => {
    const dir = tempDir("backrefs-name-classes-");
    const cases: Array<[string, SnapshotBuilder]> = [["detached", domHeap()]];
    const none = new SnapshotBuilder(NODE_FIELDS.chromium);
    for (let k = 0; k < 60000; k++) none.node("object", `C${k % 50}`);
    const o = none.node("object", "Object");
    none.edge(o, none.node("native", "<b>"), "property", "x").edge(none.gcRoots, o, "element", 1);
    cases.push(["none detached", none]);
    for (const [what, b] of cases) {
      const file = join(dir, `${what}.heapsnapshot`);
      writeFileSync(file, b.serialize());
      const one = await loadHeapGraph(file, { parallel: false });
      let early = 0;
      const two = await loadHeapGraph(file, { parallel: true, alongsideEdges: () => early++ });
      expect(early, what).toBe(1);
      expect(two.classes().extraNames, what).toEqual(one.classes().extraNames);
      expect(Array.from(two.classes().nodeClass), what).toEqual(Array.from(one.classes().nodeClass));
      expect(two.classParts(), what).toEqual(one.classParts());
      // Every node counted by type with the pass: `info`'s table by type is the one a pass makes.
      expect(one.countsByType(), what).toBeNull();
      const counted = two.countsByType()!;
      const count = new Float64Array(two.nodeTypes.length);
      for (let n = 0; n < two.nodeCount; n++) count[two.nodeType(n)]!++;
      expect(Array.from(counted.count), what).toEqual(Array.from(count));
      expect(summarize(two), what).toEqual(summarize(one));
    }
    const g = await loadHeapGraph(join(dir, "detached.heapsnapshot"), { parallel: true });
    const names = Array.from({ length: g.nodeCount }, (_, n) => g.className(n));
    expect(names.filter((n) => n.startsWith("Detached") || n.startsWith("<"))).toEqual([
      "<li>",
      "Detached <div>",
      "Detached <span>",
      "<p>",
      "<div>",
    ]);
  });

  it("is done again from the first detached node: the classes made from there on are undone", () => {
    const b = domHeap();
    const raw = readRaw(b);
    const pass = earlyNameClasses(raw)!;
    // Assuming no node detached, `<div>` and `<span>` are classes of their own.
    expect(pass.extraNames).toContain("<div>");
    const g = new HeapGraph(raw);
    g.useNameClasses(pass);
    const expected = graphOf(b);
    expect(g.classes().extraNames).toEqual(expected.classes().extraNames);
    expect(g.classes().extraNames).not.toContain("<span>");
    expect(Array.from(g.classes().nodeClass)).toEqual(Array.from(expected.classes().nodeClass));
  });

  it("is not taken by a graph of other columns", () => {
    const b = domHeap();
    const pass = earlyNameClasses(readRaw(b))!;
    const g = new HeapGraph(readRaw(b));
    g.useNameClasses(pass);
    pass.nodeClass.fill(7);
    expect(Array.from(g.classes().nodeClass)).toEqual(Array.from(graphOf(b).classes().nodeClass));
  });
});

function readRaw(b: SnapshotBuilder): RawSnapshot {
  const p = new SnapshotParser();
  p.write(Buffer.from(b.serialize()));
  return p.end();
}
