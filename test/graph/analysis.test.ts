import { describe, expect, it } from "vitest";
import { BASE_SYSTEM_DISTANCE, HeapAnalysis, NO_DISTANCE } from "../../src/graph/analysis.js";
import { NODE_FIELDS, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/** A seeded generator of integers below `m` (the same sequence for the same seed). */
function seeded(seed: number): (m: number) => number {
  let x = seed;
  return (m) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % m;
  };
}

/** A snapshot with a user root, as Node writes it: root ─shortcut→ global. */
function withGlobal(fields?: readonly string[]): { b: SnapshotBuilder; global: number } {
  const b = new SnapshotBuilder(fields);
  const global = b.node("object", "global", { selfSize: 100 });
  b.edge(b.root, global, "shortcut", "global");
  return { b, global };
}

function analyse(b: SnapshotBuilder): { a: HeapAnalysis; idom: (n: number) => number } {
  const a = new HeapAnalysis(graphOf(b));
  return { a, idom: (n) => a.dominator(n) };
}

describe("HeapAnalysis: dominators, retained sizes, distances (DevTools' rules)", () => {
  it("chain: global → A → B → C", () => {
    const { b, global } = withGlobal();
    const A = b.node("object", "A", { selfSize: 10 });
    const B = b.node("object", "B", { selfSize: 20 });
    const C = b.node("object", "C", { selfSize: 40 });
    b.edge(global, A, "property", "a").edge(A, B, "property", "b").edge(B, C, "property", "c");
    const { a, idom } = analyse(b);
    expect([idom(A), idom(B), idom(C)]).toEqual([global, A, B]);
    expect([a.retainedSize(A), a.retainedSize(B), a.retainedSize(C)]).toEqual([70, 60, 40]);
    expect([a.distance(global), a.distance(A), a.distance(B), a.distance(C)]).toEqual([1, 2, 3, 4]);
    // the root and (GC roots) come from the second, "system" pass
    expect(a.distance(0)).toBe(BASE_SYSTEM_DISTANCE);
    expect(a.distance(b.gcRoots)).toBe(BASE_SYSTEM_DISTANCE + 1);
  });

  it("diamond: two paths to C, so only global dominates it", () => {
    //   global → A → C,  global → B → C
    const { b, global } = withGlobal();
    const A = b.node("object", "A", { selfSize: 10 });
    const B = b.node("object", "B", { selfSize: 10 });
    const C = b.node("object", "C", { selfSize: 50 });
    b.edge(global, A, "property", "a").edge(global, B, "property", "b").edge(A, C, "property", "c").edge(B, C, "property", "c");
    const { a, idom } = analyse(b);
    expect(idom(C)).toBe(global);
    expect(a.retainedSize(A)).toBe(10);
    expect(a.retainedSize(global)).toBe(170);
  });

  it("cycle: global → A ⇄ B", () => {
    const { b, global } = withGlobal();
    const A = b.node("object", "A", { selfSize: 10 });
    const B = b.node("object", "B", { selfSize: 20 });
    b.edge(global, A, "property", "a").edge(A, B, "property", "b").edge(B, A, "property", "a");
    const { a, idom } = analyse(b);
    expect([idom(A), idom(B)]).toEqual([global, A]);
    expect(a.retainedSize(A)).toBe(30);
  });

  it("an object retained only weakly is attached to the root and has no distance", () => {
    const { b, global } = withGlobal();
    const W = b.node("object", "W", { selfSize: 10 });
    const child = b.node("object", "Child", { selfSize: 5 });
    b.edge(global, W, "weak", "ref").edge(W, child, "property", "c");
    const { a, idom } = analyse(b);
    expect(idom(W)).toBe(0);
    expect(idom(child)).toBe(W);
    expect(a.retainedSize(W)).toBe(15);
    expect(a.distance(W)).toBe(NO_DISTANCE);
    expect(a.retainedSize(global)).toBe(100);
  });

  it("a WeakMap value: the table→value edge is not essential; distance is max(table, key) + 1", () => {
    //   global → T (WeakMap table, distance 2);  global → X → K (key, distance 3)
    //   T ─"1 / part of key (K @k) -> value (V @v) pair in WeakMap (table @t)"→ V
    //   K ─"2 / part of key … (same pair)"→ V
    const { b, global } = withGlobal();
    const T = b.node("array", "(WeakMap table)", { selfSize: 8 });
    const X = b.node("object", "X", { selfSize: 8 });
    const K = b.node("object", "Key", { selfSize: 8 });
    const V = b.node("object", "Value", { selfSize: 64 });
    const g0 = graphOf(b);
    const [tId, kId, vId] = [g0.nodeId(T), g0.nodeId(K), g0.nodeId(V)];
    const pair = ` / part of key (Key @${kId}) -> value (Value @${vId}) pair in WeakMap (table @${tId})`;
    b.edge(global, T, "property", "map").edge(global, X, "property", "x").edge(X, K, "property", "key");
    b.edge(T, V, "internal", `1${pair}`).edge(K, V, "internal", `2${pair}`);
    const { a, idom } = analyse(b);
    expect(a.distance(T)).toBe(2);
    expect(a.distance(K)).toBe(3);
    expect(a.distance(V)).toBe(4);
    expect(idom(V)).toBe(K);
    expect(a.retainedSize(K)).toBe(72);
    const g = a.graph;
    const tableEdge = g.firstEdge[T]!;
    expect(a.essentialEdges()[tableEdge]).toBe(0);
  });

  it("a page object also held by a debugger-side object is still dominated through the page", () => {
    //   global → P;   (GC roots) → D (not page-owned) → P
    const { b, global } = withGlobal();
    const P = b.node("object", "PageThing", { selfSize: 10 });
    const D = b.node("object", "DebuggerThing", { selfSize: 10 });
    b.edge(global, P, "property", "p").edge(b.gcRoots, D, "element", 1).edge(D, P, "property", "inspected");
    const { a, idom } = analyse(b);
    expect(idom(P)).toBe(global);
    expect(a.retainedSize(global)).toBe(110);
    expect(a.retainedSize(D)).toBe(10);
  });

  it("an object the root holds without a shortcut edge is a user root but not page-owned", () => {
    //   root ─shortcut→ global → P;   root ─element→ X → P   (X: distance 1, yet not the page's)
    const { b, global } = withGlobal();
    const P = b.node("object", "PageThing", { selfSize: 10 });
    const X = b.node("object", "Inspector", { selfSize: 10 });
    b.edge(global, P, "property", "p").edge(b.root, X, "element", 9).edge(X, P, "property", "inspected");
    const { a, idom } = analyse(b);
    expect(a.distance(X)).toBe(1);
    expect(idom(P)).toBe(global);
  });

  it("keeps retained sizes past 2^32 exact", () => {
    const { b, global } = withGlobal();
    const big = [0, 1, 2].map(() => b.node("object", "Big", { selfSize: 0xffffffff }));
    for (const n of big) b.edge(global, n, "property", "big");
    const { a } = analyse(b);
    expect(a.retainedSize(global)).toBe(100 + 3 * 0xffffffff);
  });

  it("works without a self_size field (every size 0)", () => {
    const b = new SnapshotBuilder(NODE_FIELDS.minimal);
    const A = b.node("object", "A");
    b.edge(b.gcRoots, A, "element", 1);
    const { a, idom } = analyse(b);
    expect(idom(A)).toBe(b.gcRoots);
    expect(a.retainedSize(0)).toBe(0);
    expect(a.distance(A)).toBe(2); // no user roots: BFS from the root at 0
  });

  it("moves the size of single-owner hidden/array nodes to their owner, as DevTools shows it", () => {
    //   global → O → H (hidden, only O owns it) → A2 (array, owned through H)
    //   global → S1 → shared (array) ← S2 ← global
    const { b, global } = withGlobal();
    const O = b.node("object", "O", { selfSize: 10 });
    const H = b.node("hidden", "system / Thing", { selfSize: 20 });
    const A2 = b.node("array", "", { selfSize: 30 });
    const S1 = b.node("object", "S1", { selfSize: 1 });
    const S2 = b.node("object", "S2", { selfSize: 1 });
    const shared = b.node("array", "", { selfSize: 40 });
    b.edge(global, O, "property", "o").edge(O, H, "internal", "h").edge(H, A2, "internal", "a");
    b.edge(global, S1, "property", "s1").edge(global, S2, "property", "s2");
    b.edge(S1, shared, "internal", "x").edge(S2, shared, "internal", "x");
    // owned only by a synthetic root: keeps its size (synthetic nodes never receive sizes)
    const R = b.node("hidden", "system / RootHeld", { selfSize: 7 });
    b.edge(b.gcRoots, R, "element", 9);
    const { a } = analyse(b);
    expect(a.shallowSize(R)).toBe(7);
    expect(a.shallowSize(b.gcRoots)).toBe(a.graph.rawSelfSize(b.gcRoots));
    expect([a.shallowSize(O), a.shallowSize(H), a.shallowSize(A2)]).toEqual([60, 0, 0]);
    expect(a.shallowSize(shared)).toBe(40);
    expect(a.retainedSize(O)).toBe(60);
  });

  it("counts a class's retained size once where instances dominate each other", () => {
    //   global → Foo1 → Foo2 → Bar;  global → Foo3
    const { b, global } = withGlobal();
    const f1 = b.node("object", "Foo", { selfSize: 10 });
    const f2 = b.node("object", "Foo", { selfSize: 10 });
    const bar = b.node("object", "Bar", { selfSize: 5 });
    const f3 = b.node("object", "Foo", { selfSize: 7 });
    b.edge(global, f1, "property", "a").edge(f1, f2, "property", "b").edge(f2, bar, "property", "c").edge(global, f3, "property", "d");
    const { a } = analyse(b);
    const g = a.graph;
    const perClass = a.classRetainedSizes();
    expect(perClass[g.classes().nodeClass[f1]!]).toBe(25 + 7);
    expect(perClass[g.classes().nodeClass[bar]!]).toBe(5);
  });
});

describe("where retaining paths end (root predicates)", () => {
  /**
   * root ─shortcut→ global → A;  root ─element→ (Document DOM trees) → D;  (GC roots) → (Global
   * handles) → H;  root ─element→ (Stray synthetic)
   */
  function rooted(): {
    b: SnapshotBuilder;
    global: number;
    A: number;
    docTrees: number;
    D: number;
    handles: number;
    H: number;
    stray: number;
  } {
    const { b, global } = withGlobal();
    const A = b.node("object", "A");
    const docTrees = b.node("synthetic", "(Document DOM trees)");
    const D = b.node("native", "HTMLDocument");
    const handles = b.node("synthetic", "(Global handles)");
    const H = b.node("object", "Handled");
    const stray = b.node("synthetic", "(Stray synthetic)");
    b.edge(global, A, "property", "a").edge(b.root, docTrees, "element", 2).edge(docTrees, D, "element", 1);
    b.edge(b.gcRoots, handles, "element", 3).edge(handles, H, "element", 1).edge(b.root, stray, "element", 4);
    return { b, global, A, docTrees, D, handles, H, stray };
  }

  it("isSyntheticRoot: the root and every synthetic node, nothing else", () => {
    const { b, global, A, docTrees, D, handles, H, stray } = rooted();
    const g = graphOf(b);
    const synthetic = [b.root, b.gcRoots, docTrees, handles, stray];
    for (const n of synthetic) expect(g.isSyntheticRoot(n)).toBe(true);
    for (const n of [global, A, D, H]) expect(g.isSyntheticRoot(n)).toBe(false);
    for (let n = 0; n < g.nodeCount; n++) expect(g.isRootLike(n)).toBe(g.isSyntheticRoot(n)); // deprecated alias
  });

  it("isRetentionRoot: synthetic roots and the user roots (the root's non-synthetic children and (Document DOM trees))", () => {
    const { b, global, A, docTrees, D, handles, H, stray } = rooted();
    const a = new HeapAnalysis(graphOf(b));
    const ends = [b.root, b.gcRoots, global, docTrees, handles, stray];
    for (const n of ends) expect(a.isRetentionRoot(n)).toBe(true);
    // held by a user root, by (Document DOM trees) or by a GC root category: paths go on through them
    for (const n of [A, D, H]) expect(a.isRetentionRoot(n)).toBe(false);
    const userRoots = a.distances().userRoots;
    expect([global, docTrees].map((n) => userRoots[n])).toEqual([1, 1]);
    expect([b.gcRoots, stray, A, D, handles, H].map((n) => userRoots[n])).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("the deprecated isUserRoot keeps its old meaning: not synthetic, or (Document DOM trees)", () => {
    const { b, global, A, docTrees, D, handles, H, stray } = rooted();
    const a = new HeapAnalysis(graphOf(b));
    for (const n of [global, A, D, H, docTrees]) expect(a.isUserRoot(n)).toBe(true);
    for (const n of [b.root, b.gcRoots, handles, stray]) expect(a.isUserRoot(n)).toBe(false);
  });

  it("shallowSize is DevTools' self size, rawSelfSize V8's; the old selfSize names stay as aliases", () => {
    const { b, global } = withGlobal();
    const O = b.node("object", "O", { selfSize: 10 });
    const H = b.node("hidden", "system / Thing", { selfSize: 20 });
    b.edge(global, O, "property", "o").edge(O, H, "internal", "h");
    const a = new HeapAnalysis(graphOf(b));
    const g = a.graph;
    expect([g.rawSelfSize(O), g.rawSelfSize(H)]).toEqual([10, 20]);
    expect([a.shallowSize(O), a.shallowSize(H)]).toEqual([30, 0]);
    for (let n = 0; n < g.nodeCount; n++) {
      expect(g.selfSize(n)).toBe(g.rawSelfSize(n));
      expect(a.selfSize(n)).toBe(a.shallowSize(n));
    }
  });
});

describe("detached DOM", () => {
  it("propagates detachedness through native nodes and names them 'Detached <div>'", () => {
    //   (GC roots) → div (native, detached) → span (native, unknown) → js (object)  → p (native)
    const b = new SnapshotBuilder(NODE_FIELDS.chromium);
    const div = b.node("native", '<div class="x">', { detachedness: 2 });
    const span = b.node("native", "<span>");
    const js = b.node("object", "Listener");
    const p = b.node("native", "<p>");
    const attached = b.node("native", "<li>", { detachedness: 1 });
    b.edge(b.gcRoots, div, "element", 1).edge(div, span, "element", 0).edge(span, js, "property", "x").edge(js, p, "property", "el");
    b.edge(b.gcRoots, attached, "element", 2);
    const g = graphOf(b);
    expect(g.className(div)).toBe("Detached <div>");
    expect(g.className(span)).toBe("Detached <span>");
    expect(g.className(js)).toBe("Listener");
    expect(g.className(p)).toBe("<p>"); // JavaScript objects stop the propagation
    expect(g.className(attached)).toBe("<li>");
  });
});

describe("HeapAnalysis.dominatorsOf and preorderPositions (a few nodes without the per-node dominator array)", () => {
  /** A seeded heap: objects with a few edges each to random others, some held by global. */
  function randomHeap(n: number, seed: number): { b: SnapshotBuilder; nodes: number[] } {
    const next = seeded(seed);
    const { b, global } = withGlobal();
    const nodes = Array.from({ length: n }, (_, i) => b.node("object", `C${i % 5}`, { selfSize: 8 + (i % 3) }));
    for (let i = 0; i < 6; i++) b.edge(global, nodes[next(n)]!, "property", `g${i}`);
    for (const from of nodes) for (let k = next(4); k > 0; k--) b.edge(from, nodes[next(n)]!, "property", `p${k}`);
    return { b, nodes };
  }

  it("agree with dominator(n), for a computed tree and for one made from saved parts (every node, repeats, any order)", () => {
    const { b } = randomHeap(600, 3);
    const computed = new HeapAnalysis(graphOf(b));
    const N = computed.graph.nodeCount;
    const all = Array.from({ length: N }, (_, i) => (i * 37) % N);
    const asked = [...all, all[5]!, 0, all[5]!];
    const expected = asked.map((n) => computed.dominator(n));
    expect(Array.from(computed.dominatorsOf(asked))).toEqual(expected);

    computed.retainedSizes();
    const g = graphOf(b);
    const saved = HeapAnalysis.fromParts(g, computed.savedParts()!);
    // Answered from the preorder: the per-node array is not rebuilt.
    expect(Array.from(saved.dominatorsOf(asked))).toEqual(expected);
    const { preorder } = saved.dominators();
    const at = saved.preorderPositions(asked);
    asked.forEach((n, i) => expect(preorder[at[i]!], `node ${n}`).toBe(n));
    // And then the same as the rebuilt array says.
    expect(asked.map((n) => saved.dominator(n))).toEqual(expected);
    expect(Array.from(saved.dominatorsOf([]))).toEqual([]);
  });

  it("refuses a node that does not exist", () => {
    const { b } = randomHeap(20, 1);
    const a = new HeapAnalysis(graphOf(b));
    expect(() => a.preorderPositions([a.graph.nodeCount])).toThrow(RangeError);
  });
});

describe("HeapAnalysis.nearestListedDominators", () => {
  function randomTree(n: number, seed: number): SnapshotBuilder {
    const next = seeded(seed);
    const { b, global } = withGlobal();
    const nodes = Array.from({ length: n }, (_, i) => b.node("object", `C${i % 5}`, { selfSize: 8 + (i % 3) }));
    for (let i = 0; i < 6; i++) b.edge(global, nodes[next(40)]!, "property", `g${i}`);
    // Mostly a tree (long dominator chains), some cross edges.
    for (let i = 1; i < n; i++) b.edge(nodes[next(i)]!, nodes[i]!, "property", `p${i % 7}`);
    for (let i = 0; i < n / 10; i++) b.edge(nodes[next(n)]!, nodes[next(n)]!, "property", `x${i % 3}`);
    return b;
  }

  it("says what a walk up every dominator chain says, for a computed tree and for one from saved parts (idomOf alone)", () => {
    const b = randomTree(800, 11);
    const computed = new HeapAnalysis(graphOf(b));
    const N = computed.graph.nodeCount;
    // Every seventh node, some of them twice, and the root (never a dominator that counts).
    const asked: number[] = [];
    for (let n = 3; n < N; n += 7) asked.push(n);
    asked.push(0, asked[5]!, asked[40]!);
    for (let n = 3; n < N; n += 49) asked.push(n);
    const first = new Map<number, number>();
    asked.forEach((n, i) => {
      if (!first.has(n)) first.set(n, i);
    });
    const expected = asked.map((t) => {
      for (let d = t === 0 ? 0 : computed.dominator(t); d !== 0; d = computed.dominator(d)) if (first.has(d)) return first.get(d)!;
      return -1;
    });
    expect(expected.filter((v) => v >= 0).length).toBeGreaterThan(30);
    expect(expected.filter((v) => v === -1).length).toBeGreaterThan(30);
    // Some nearest listed dominator is not the first listed one above.
    expect(expected.some((v, i) => v >= 0 && expected[v]! >= 0 && asked[i] !== 0)).toBe(true);
    expect(Array.from(computed.nearestListedDominators(asked))).toEqual(expected);
    // In a work column the caller gives (all 0), as in one it makes itself; one of another length is refused.
    const scratch = new Int32Array(N);
    expect(Array.from(computed.nearestListedDominators(asked, scratch))).toEqual(expected);
    expect(scratch.some((v) => v !== 0)).toBe(true);
    expect(() => computed.nearestListedDominators(asked, new Int32Array(N - 1))).toThrow(RangeError);
    computed.retainedSizes();
    const parts = computed.savedParts()!;
    const idom = computed.dominators().idom;
    let looked = 0;
    const saved = HeapAnalysis.fromParts(graphOf(b), {
      ...parts,
      tree: {
        ...parts.tree!,
        idomOf: (n: number) => {
          looked++;
          return idom[n]!;
        },
        dominatorOf: () => {
          throw new Error("not asked: it reads the node's place too");
        },
      },
    });
    expect(Array.from(saved.nearestListedDominators(asked))).toEqual(expected);
    // Once per node asked, and once more at most per node on a chain (chains stop at nodes walked before).
    expect(looked).toBeGreaterThan(asked.length);
    expect(looked).toBeLessThanOrEqual(asked.length + N);
  });

  it("stops on a cycle in a saved tree (which only a damaged one can have) and says the saved tree is damaged", () => {
    const b = randomTree(200, 5);
    const computed = new HeapAnalysis(graphOf(b));
    computed.retainedSizes();
    const parts = computed.savedParts()!;
    const idom = Array.from(computed.dominators().idom);
    // Two nodes that name each other as their immediate dominator, and one below them.
    idom[10] = 11;
    idom[11] = 10;
    idom[12] = 10;
    const reasons: string[] = [];
    const saved = HeapAnalysis.fromParts(graphOf(b), {
      ...parts,
      tree: {
        ...parts.tree!,
        idomOf: (n: number) => idom[n]!,
        damaged: (why: string): never => {
          reasons.push(why);
          throw new Error(`damaged: ${why}`);
        },
      },
    });
    // Above a listed node (the walk's steps pass the node count), and through listed nodes.
    expect(() => saved.nearestListedDominators([12, 5])).toThrow("damaged: the dominator tree has a cycle");
    expect(() => saved.nearestListedDominators([5, 10])).toThrow("damaged: the dominator tree has a cycle");
    expect(reasons).toEqual(["the dominator tree has a cycle", "the dominator tree has a cycle"]);
  });
});

describe("HeapAnalysis.parentEdgeOf and isRetentionRoot on saved parts", () => {
  /** A heap with two user roots (`global`, a second one the root holds) and objects nothing reaches. */
  function heap(): SnapshotBuilder {
    const next = seeded(17);
    const { b, global } = withGlobal();
    const other = b.node("object", "Window");
    b.edge(b.root, other, "element", 1);
    const nodes = Array.from({ length: 300 }, (_, i) => b.node("object", `C${i % 4}`));
    for (let i = 0; i < 5; i++) b.edge(i % 2 ? global : other, nodes[next(100)]!, "property", `g${i}`);
    for (let i = 0; i < 260; i++) b.edge(nodes[next(260)]!, nodes[next(260)]!, "property", `p${i % 5}`);
    return b;
  }

  it("answer node by node from the saved parts until the whole column is taken, as the computed analysis does", () => {
    const b = heap();
    const computed = new HeapAnalysis(graphOf(b));
    const N = computed.graph.nodeCount;
    const { parentEdge, userRoots } = computed.distances();
    const want = Array.from({ length: N }, (_, n) => ({ pe: parentEdge[n]!, root: computed.isRetentionRoot(n) }));
    expect(want.filter((w) => w.pe === 0).length).toBeGreaterThan(3); // roots and unreached objects
    expect(Array.from(userRoots).filter((m) => m === 1)).toHaveLength(2);
    expect(want.map((_, n) => computed.parentEdgeOf(n))).toEqual(want.map((w) => w.pe));

    computed.shallowSizes();
    const parts = computed.savedParts()!;
    const taken = { parentEdge: 0, userRoots: 0 };
    const looked = { parentEdge: 0, userRoot: 0 };
    const saved = HeapAnalysis.fromParts(graphOf(b), {
      ...parts,
      get parentEdge() {
        taken.parentEdge++;
        return parts.parentEdge;
      },
      get userRoots() {
        taken.userRoots++;
        return parts.userRoots;
      },
      at: {
        shallow: (n) => parts.shallow[n]!,
        distance: (n) => parts.distance[n]!,
        parentEdge: (n) => (looked.parentEdge++, parts.parentEdge[n]!),
        userRoot: (n) => (looked.userRoot++, parts.userRoots[n]!),
        retained: (n) => parts.tree?.retained[n] ?? 0,
      },
    });
    // The walk takes the distances whole first (to sort retainers by them): the tree edges and the
    // marks are still read one by one.
    expect(saved.distances().distance[5]).toBe(parts.distance[5]);
    const got = want.map((_, n) => ({ pe: saved.parentEdgeOf(n), root: saved.isRetentionRoot(n) }));
    expect(got).toEqual(want);
    expect(taken).toEqual({ parentEdge: 0, userRoots: 0 });
    expect(looked.parentEdge).toBe(N);
    expect(looked.userRoot).toBeGreaterThan(N - 5); // all but the synthetic roots
    // Taken whole (a walk of a whole class does): from then on read from the column.
    expect(saved.distances().parentEdge).toBe(parts.parentEdge);
    expect(saved.distances().userRoots).toBe(parts.userRoots);
    const before = { ...looked };
    expect(want.map((_, n) => ({ pe: saved.parentEdgeOf(n), root: saved.isRetentionRoot(n) }))).toEqual(want);
    expect(looked).toEqual(before);
    expect(taken).toEqual({ parentEdge: 1, userRoots: 1 });
  });
});
