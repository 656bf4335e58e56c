/**
 * How the per-object picture spends its box budget (paths, then the other ways up, then breadth
 * with fan-out caps) and what its placeholders say they stand for.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultBackrefsOptions, MAX_BREAKDOWN_GROUPS } from "../../src/query/backrefs.js";
import { graphOf } from "../helpers/load.js";
import { withGlobal, walk, sumCounts } from "../helpers/subgraphs.js";
import { boxCount } from "../../src/query/shrink.js";

describe("placeholder breakdown", () => {
  it("says what was cut by class and edge, largest group first, indexes as one group, summing to the count", () => {
    const { b, global } = withGlobal();
    const pool = b.node("array", "Pool");
    b.edge(global, pool, "property", "pool");
    const t = b.node("object", "Target");
    const holders: Array<{ n: number; className: string; edge: string }> = [];
    const hold = (className: string, type: string, name: string | number, i: number) => {
      const n = b.node("object", className);
      b.edge(pool, n, "element", i).edge(n, t, type, name);
      holders.push({ n, className, edge: type === "element" ? "element" : `${type}:${name}` });
    };
    let i = 0;
    for (let k = 0; k < 300; k++) hold("NodeObject", "property", "parent", i++);
    for (let k = 0; k < 51; k++) hold("SymbolLinks", "property", "type", i++);
    for (let k = 0; k < 21; k++) hold("Array", "element", k, i++); // [0]…[20]: one group
    for (let k = 0; k < 12; k++) hold(`Rare${k}`, "property", "x", i++);
    const g = graphOf(b);
    const sub = walk(g, [t]);
    const p = sub.placeholders.find((x) => x.of === g.nodeId(t))!;
    const drawn = new Set(sub.nodes.map((n) => n.id));
    const cut = holders.filter((h) => !drawn.has(g.nodeId(h.n)));
    expect(p.count).toBe(cut.length);
    expect(sumCounts(p.breakdown)).toBe(p.count);
    // Counted independently from what was built: per class and edge.
    const expected = new Map<string, number>();
    for (const h of cut) expected.set(`${h.className} ${h.edge}`, (expected.get(`${h.className} ${h.edge}`) ?? 0) + 1);
    const groups = p.breakdown!;
    expect(groups).toHaveLength(MAX_BREAKDOWN_GROUPS);
    for (const grp of groups.slice(0, -1)) {
      const key = `${grp.className} ${grp.edgeType === "element" ? "element" : `${grp.edgeType}:${grp.edgeName}`}`;
      expect(grp.count).toBe(expected.get(key));
    }
    const listed = groups.slice(0, -1).map((x) => x.count);
    expect(listed).toEqual([...listed].sort((a, c) => c - a));
    expect(groups[0]).toMatchObject({ className: "NodeObject", edgeType: "property", edgeName: "parent" });
    expect(groups[1]).toMatchObject({ className: "SymbolLinks", edgeType: "property", edgeName: "type" });
    expect(groups[2]).toMatchObject({ className: "Array", edgeType: "element" });
    expect(groups[2]!.edgeName).toBeUndefined();
    expect(groups.at(-1)).toEqual({ count: expect.any(Number), rest: true });
  });

  it("one group per name that reads the same: classes split by script, digit property names with indexes", () => {
    const { b, global } = withGlobal();
    const pool = b.node("array", "Pool");
    b.edge(global, pool, "property", "pool");
    const t = b.node("object", "Target");
    const expected = new Map<string, number>();
    const split: number[] = [];
    let i = 0;
    const hold = (className: string, type: string, name: string | number, key: string, script?: number) => {
      const n = b.node("object", className);
      if (script !== undefined) {
        b.location(n, script, 1, 0);
        split.push(n);
      }
      b.edge(pool, n, "element", i++).edge(n, t, type, name);
      expected.set(key, (expected.get(key) ?? 0) + 1);
    };
    // Two classes named Split (constructors in two scripts), listed as one.
    for (let k = 0; k < 40; k++) hold("Split", "property", "t", "Split property t", k % 2);
    // `7`, `12` and [3] are indexes: one group; `x7` is a name.
    for (let k = 0; k < 30; k++) hold("Box", "property", String(k % 3 === 0 ? 7 : 12), "Box property");
    for (let k = 0; k < 20; k++) hold("Box", "element", k, "Box element");
    for (let k = 0; k < 25; k++) hold("Box", "property", "x7", "Box property x7");
    for (let k = 0; k < 15; k++) hold("Box", "hidden", k, "Box hidden");
    const g = graphOf(b);
    const sub = walk(g, [t], { tooMany: 2, maxNodes: 8 });
    const p = sub.placeholders.find((x) => x.of === g.nodeId(t))!;
    // What the picture drew is not in the breakdown: count it from the drawn edges into t.
    for (const e of sub.edges.filter((x) => x.to === g.nodeId(t))) {
      const from = sub.nodes.find((n) => n.id === e.from)!;
      const index = typeof e.name === "number" || /^\d+$/.test(e.name);
      const key = `${from.className} ${e.type}${index ? "" : ` ${e.name}`}`;
      expected.set(key, expected.get(key)! - 1);
    }
    const got = new Map(
      p.breakdown!.map((x) => [`${x.className} ${x.edgeType}${x.edgeName === undefined ? "" : ` ${x.edgeName}`}`, x.count]),
    );
    expect(got).toEqual(new Map([...expected].filter(([, c]) => c > 0)));
    // The split is real: the Split objects have two class ids.
    expect(new Set(split.map((n) => g.classes().nodeClass[n])).size).toBe(2);
  });

  it("a long path's gap says which objects it stands for", () => {
    const { b, global } = withGlobal();
    let prev = global;
    for (let i = 0; i < 100; i++) {
      const n = b.node("object", i % 2 ? "Odd" : "Even");
      b.edge(prev, n, "property", "next");
      prev = n;
    }
    const g = graphOf(b);
    const gap = walk(g, [prev]).placeholders.find((p) => p.reason === "path")!;
    expect(sumCounts(gap.breakdown)).toBe(gap.count);
    expect(gap.breakdown!.map((x) => x.className).sort()).toEqual(["Even", "Odd"]);
    expect(gap.breakdown!.every((x) => x.edgeType === "property" && x.edgeName === "next")).toBe(true);
  });
});

describe("budget", () => {
  it("one object with 400 retainers cannot take the budget from another target", () => {
    const { b, global } = withGlobal();
    const hub = b.node("object", "Hub");
    for (let i = 0; i < 400; i++) {
      const r = b.node("object", "HubHolder");
      const up = b.node("object", "HubUp");
      b.edge(global, up, "element", i).edge(up, r, "property", "r").edge(r, hub, "property", "hub");
    }
    const small = b.node("object", "Small");
    const smallTree: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = b.node("object", "SmallHolder");
      b.edge(r, small, "property", `s${i}`);
      smallTree.push(r);
      for (let k = 0; k < 2; k++) {
        const up = b.node("object", "SmallUp");
        b.edge(global, up, "element", 1000 + i * 2 + k).edge(up, r, "property", "r");
        smallTree.push(up);
      }
    }
    const g = graphOf(b);
    const sub = walk(g, [hub, small]);
    const drawn = new Set(sub.nodes.map((n) => n.id));
    // The small target's whole tree is drawn; the hub shows at most --too-many retainers.
    for (const n of smallTree) expect(drawn.has(g.nodeId(n))).toBe(true);
    const hubHolders = sub.edges.filter((e) => e.to === g.nodeId(hub));
    expect(hubHolders.length).toBeLessThanOrEqual(defaultBackrefsOptions.tooMany);
    expect(boxCount(sub)).toBeLessThanOrEqual(defaultBackrefsOptions.maxNodes);
  });

  it("on random graphs: stays in budget past the forced paths, draws every path, and accounts for every cut retainer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 40 }),
        fc.array(fc.tuple(fc.nat(39), fc.nat(39), fc.constantFrom("property", "element", "weak")), { maxLength: 120 }),
        fc.array(fc.nat(39), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 4 }),
        (n, edgeSpec, targetSpec, maxNodes, tooMany, depth) => {
          const { b, global } = withGlobal();
          const nodes = Array.from({ length: n }, (_, i) => b.node("object", `C${i % 3}`));
          b.edge(global, nodes[0]!, "property", "first");
          const built: Array<[number, number, string]> = [];
          edgeSpec.forEach(([f, t, type], i) => {
            const from = nodes[f % n]!;
            const to = nodes[t % n]!;
            b.edge(from, to, type, type === "element" ? i : `p${i}`);
            built.push([from, to, type]);
          });
          const g = graphOf(b);
          const targets = [...new Set(targetSpec.map((t) => nodes[t % n]!))];
          const opts = { maxNodes, tooMany, depth };
          const sub = walk(g, targets, opts);
          const forced = walk(g, targets, { ...opts, maxNodes: 1 });
          expect(boxCount(sub)).toBeLessThanOrEqual(Math.max(maxNodes, boxCount(forced)));
          // Same input, same answer.
          expect(walk(g, targets, opts)).toEqual(sub);
          const drawn = new Set(sub.nodes.map((x) => x.id));
          // Every node of the forced paths is still drawn.
          for (const x of forced.nodes) if (x.onPath) expect(drawn.has(x.id)).toBe(true);
          // Each drawn non-root object: its strong retainers not drawn = what its placeholders count.
          const rootish = new Set(sub.nodes.filter((x) => x.isRoot).map((x) => x.id));
          for (const x of sub.nodes) {
            if (rootish.has(x.id)) continue;
            const ord = [...nodes, global].find((o) => g.nodeId(o) === x.id)!;
            const sources = new Set(
              built.filter(([from, to, type]) => to === ord && from !== ord && type !== "weak").map(([from]) => g.nodeId(from)),
            );
            if (ord === nodes[0]) sources.add(g.nodeId(global));
            const missing = [...sources].filter((s) => !drawn.has(s)).length;
            const said = sub.placeholders.filter((p) => p.of === x.id).reduce((s, p) => s + p.count, 0);
            expect(said).toBe(missing);
          }
          for (const p of sub.placeholders) expect(sumCounts(p.breakdown)).toBe(p.count);
        },
      ),
      { numRuns: 150 },
    );
  });
});
