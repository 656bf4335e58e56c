import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BASE_SYSTEM_DISTANCE, NO_DISTANCE, computeDistances, countsAsUserRoot } from "../../src/graph/distances.js";
import { pageOwned } from "../../src/graph/page-owned.js";
import { weakMapTables } from "../../src/graph/weakmap-edges.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/**
 * A random heap of plain objects and `(map descriptors)` arrays (whose descriptor slots the
 * distance filter refuses), held from the root by shortcut or element edges.
 */
const arbHeap = fc.integer({ min: 1, max: 20 }).chain((n) =>
  fc.record({
    kinds: fc.array(fc.constantFrom("object", "descriptors"), { minLength: n, maxLength: n }),
    held: fc.array(fc.tuple(fc.integer({ min: 0, max: n - 1 }), fc.constantFrom("shortcut", "shortcut", "element")), { maxLength: 4 }),
    edges: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: n - 1 }),
        fc.integer({ min: 0, max: n - 1 }),
        fc.constantFrom("property", "element", "element", "weak"),
        fc.constantFrom(0, 1, 3, 4, 4, 7),
      ),
      { maxLength: n * 3 },
    ),
  }),
);

type Heap = { kinds: string[]; held: Array<[number, string]>; edges: Array<[number, number, string, number]> };

function build({ kinds, held, edges }: Heap): { g: HeapGraph; first: number } {
  const b = new SnapshotBuilder();
  const first = b.nodes.length;
  for (const k of kinds) b.node(k === "object" ? "object" : "array", k === "object" ? "Thing" : "(map descriptors)");
  held.forEach(([to, type], i) => b.edge(b.root, first + to, type, type === "element" ? 100 + i : `g${i}`));
  for (const [from, to, type, index] of edges) b.edge(first + from, first + to, type, type === "element" ? index : `p${index}`);
  return { g: graphOf(b), first };
}

/** The filter of this heap: edges of a `(map descriptors)` array at element index 2, 5, 8… are not followed. */
function followed(g: HeapGraph, e: number, from: number): boolean {
  if (g.edgeTypeName(e) === "weak") return false;
  if (g.nodeName(from) !== "(map descriptors)") return true;
  const i = g.edgeTypeName(e) === "element" ? (g.edgeName(e) as number) : parseInt(String(g.edgeName(e)), 10);
  return i < 2 || i % 3 !== 1;
}

/** Plain BFS, level by level, from `starts` at distance `d0`, over what `followed` allows, into unset nodes. */
function naiveDistances(g: HeapGraph): Int32Array {
  const dist = new Int32Array(g.nodeCount).fill(NO_DISTANCE);
  const bfs = (starts: number[], d0: number): void => {
    let level = starts.filter((n) => dist[n] === NO_DISTANCE);
    for (const n of level) dist[n] = d0;
    for (let d = d0 + 1; level.length > 0; d++) {
      const next: number[] = [];
      for (const n of level) {
        for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) {
          const to = g.edgeTo(e);
          if (dist[to] === NO_DISTANCE && followed(g, e, n)) {
            dist[to] = d;
            next.push(to);
          }
        }
      }
      level = next;
    }
  };
  const userRoots: number[] = [];
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (g.nodeTypeName(g.edgeTo(e)) !== "synthetic") userRoots.push(g.edgeTo(e));
  bfs(userRoots, 1);
  bfs([0], userRoots.length > 0 ? BASE_SYSTEM_DISTANCE : 0);
  return dist;
}

/** Plain reachability over non-weak edges from the seeds (the root's shortcut targets). */
function naivePage(g: HeapGraph): number[] {
  const seen = new Set<number>();
  const stack: number[] = [];
  for (let e = g.firstEdge[0]!; e < g.firstEdge[1]!; e++) if (g.edgeTypeName(e) === "shortcut") stack.push(g.edgeTo(e));
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) if (g.edgeTypeName(e) !== "weak") stack.push(g.edgeTo(e));
  }
  return [...seen].sort((a, b) => a - b);
}

describe("computeDistances", () => {
  it("agrees with a plain level-by-level BFS, and its parent edges form a shortest-path tree", () => {
    fc.assert(
      fc.property(arbHeap, (heap) => {
        const { g } = build(heap);
        const refused: number[] = [];
        const d = computeDistances(g, weakMapTables(g), refused);
        expect(Array.from(d.distance)).toEqual(Array.from(naiveDistances(g)));
        const source = new Uint32Array(g.edgeCount);
        for (let s = 0; s < g.nodeCount; s++) for (let e = g.firstEdge[s]!; e < g.firstEdge[s + 1]!; e++) source[e] = s;
        for (let n = 0; n < g.nodeCount; n++) {
          const p = d.parentEdge[n]!;
          if (p === 0) continue;
          expect(g.edgeTo(p - 1)).toBe(n);
          const from = source[p - 1]!;
          expect(d.distance[from]! + 1).toBe(d.distance[n]);
        }
        // `treeList`: n reached a node by an edge alike (type, and name as groups key it) to its own.
        const key = (e: number): string => {
          const t = g.edgeTypeName(e);
          const name = g.edgeName(e);
          if (t === "element" || t === "hidden") return t;
          return t === "internal" && /^\d+(?: \/ .*)?$/s.test(String(name)) ? `${t}:#` : `${t}:${name}`;
        };
        const wantList = new Uint8Array((g.nodeCount + 7) >>> 3);
        for (let m = 0; m < g.nodeCount; m++) {
          const p = d.parentEdge[m]!;
          if (p === 0) continue;
          const n = source[p - 1]!;
          if (d.parentEdge[n] !== 0 && key(d.parentEdge[n]! - 1) === key(p - 1)) wantList[n >>> 3]! |= 1 << (n & 7);
        }
        expect(Array.from(d.treeList)).toEqual(Array.from(wantList));
        // `refused`: targets of edges the filter refused from objects the user roots reach
        const wantRefused = new Set<number>();
        for (let e = 0; e < g.edgeCount; e++) {
          const from = source[e]!;
          const fromUser = d.distance[from]! >= 1 && d.distance[from]! < BASE_SYSTEM_DISTANCE;
          if (fromUser && g.edgeTypeName(e) !== "weak" && !followed(g, e, from)) wantRefused.add(g.edgeTo(e));
        }
        for (const n of refused) expect(wantRefused.has(n)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("list marks: a node reached by an edge alike to its own (numbered internal slots alike, other names as written)", () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    const [slot, named, slashed, plain] = ["S", "N", "W", "P"].map((c) => b.node("object", c));
    const kids = Array.from({ length: 4 }, () => b.node("object", "K"));
    b.edge(b.root, global, "shortcut", "global");
    b.edge(global, slot, "internal", "12").edge(global, named, "internal", "table").edge(global, slashed, "internal", "3 / x");
    b.edge(global, plain, "property", "next");
    // A numbered slot holds a numbered slot; a named one a numbered one; a slot named `3 / x` a numbered slot; `next` holds `prev`.
    b.edge(slot, kids[0]!, "internal", "729").edge(named, kids[1]!, "internal", "5").edge(slashed, kids[2]!, "internal", "8");
    b.edge(plain, kids[3]!, "property", "prev");
    const g = graphOf(b);
    const d = computeDistances(g, weakMapTables(g), []);
    expect([slot, named, slashed, plain, global].map((n) => (d.treeList[n >>> 3]! >>> (n & 7)) & 1)).toEqual([1, 0, 1, 0, 0]);
  });

  it("user roots: the root's children but the synthetic ones, except (Document DOM trees)", () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    const docs = b.node("synthetic", "(Document DOM trees)");
    const other = b.node("synthetic", "(Other)");
    b.edge(b.root, global, "shortcut", "global").edge(b.root, docs, "element", 1).edge(b.root, other, "element", 2);
    const g = graphOf(b);
    expect([global, docs, other, b.gcRoots].map((n) => countsAsUserRoot(g, n))).toEqual([true, true, false, false]);
    const { userRoots, distance } = computeDistances(g, weakMapTables(g), []);
    expect([global, docs, other, b.gcRoots].map((n) => userRoots[n])).toEqual([1, 1, 0, 0]);
    expect([distance[global], distance[docs], distance[other]]).toEqual([1, 1, BASE_SYSTEM_DISTANCE + 1]);
  });
});

describe("pageOwned", () => {
  it("is what the root's shortcut edges reach over non-weak edges, whether or not they are all the user roots", () => {
    fc.assert(
      fc.property(arbHeap, (heap) => {
        const { g } = build(heap);
        const refused: number[] = [];
        const d = computeDistances(g, weakMapTables(g), refused);
        const flags = pageOwned(g, d, refused);
        const owned = Array.from(flags).flatMap((f, n) => (f === 1 ? [n] : []));
        expect(owned).toEqual(naivePage(g));
      }),
      { numRuns: 300 },
    );
  });
});

describe("weakMapTables", () => {
  it("gives the table id for every string of a WeakMap entry edge's form, NaN for every other string", () => {
    const b = new SnapshotBuilder();
    const table = b.node("array", "", { id: 77 });
    const key = b.node("object", "K");
    const value = b.node("object", "V");
    const entry = `3 / part of key (K @${b.nodes[key]!.id}) -> value (V @${b.nodes[value]!.id}) pair in WeakMap (table @77)`;
    // Its table id is the key's own: were the table read for it, the key's edge would not count.
    const lookalike = `4 / part of key (K @1) -> value (V @2) pair in WeakMap (table @${b.nodes[key]!.id})`;
    b.edge(b.root, table, "element", 1).edge(table, value, "internal", entry).edge(key, value, "internal", entry);
    b.edge(key, value, "property", lookalike); // the form, but not an internal edge's name
    b.edge(key, table, "internal", "table");
    const g = graphOf(b);
    const tables = weakMapTables(g);
    const byName = new Map<string, number>();
    for (let e = 0; e < g.edgeCount; e++)
      if (g.edgeTypeName(e) !== "element") byName.set(String(g.edgeName(e)), tables[g.columns.edgeName[e]!]!);
    expect(byName.get(entry)).toBe(77);
    // The table is only read for internal edges' names: a property edge of the same form is
    // essential, and counts for the distances, like any other.
    expect(byName.get(lookalike)).toBe(b.nodes[key]!.id);
    const a = new HeapAnalysis(g);
    const property = [...Array(g.edgeCount).keys()].find((e) => g.edgeTypeName(e) === "property")!;
    expect(String(g.edgeName(property))).toBe(lookalike);
    expect(a.essentialEdges()[property]).toBe(1);
    const tableEdge = g.firstEdge[table]!;
    expect(g.edgeTypeName(tableEdge)).toBe("internal");
    expect(a.essentialEdges()[tableEdge]).toBe(0);
    expect(byName.get("table")).toBeNaN();
    expect(tables.length).toBe(g.strings.length);
  });
});
