import { describe, expect, it } from "vitest";
import { shortestPath, walkContext } from "../../src/query/backrefs.js";
import { groupRetainingPaths, type GroupedPathsReport, type GroupOptions, type GroupStep } from "../../src/query/group.js";
import { selectNodes } from "../../src/query/select.js";
import type { Subgraph, SubgraphNode } from "../../src/query/types.js";
import { toDot } from "../../src/render/dot.js";
import { formatGroupedText } from "../../src/render/grouped-text.js";
import { functionIn, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";
import { withGlobal } from "../helpers/subgraphs.js";
import { timerList } from "../helpers/timers.js";
import { naiveGroups, type NaiveGroups } from "../helpers/naive-groups.js";

function group(b: SnapshotBuilder, type: string, opts: GroupOptions = {}) {
  const g = graphOf(b);
  const ctx = walkContext(g);
  const { ordinals } = selectNodes(g, { types: [type] });
  return { graph: g, groups: groupRetainingPaths(g, ctx, ordinals, opts) };
}

/** `count` new nodes of class `cls` (type object unless given), elements 0, 1, … of `holder`. */
function elementsOf(b: SnapshotBuilder, holder: number, cls: string, count: number, type = "object"): number[] {
  return Array.from({ length: count }, (_, i) => {
    const n = b.node(type, cls);
    b.edge(holder, n, "element", i);
    return n;
  });
}

const byClass = (sub: Subgraph, cls: string): SubgraphNode[] => sub.nodes.filter((n) => n.className === cls);
const one = (sub: Subgraph, cls: string): SubgraphNode => {
  const found = byClass(sub, cls);
  expect(found).toHaveLength(1);
  return found[0]!;
};
const edgeInto = (sub: Subgraph, node: SubgraphNode) => sub.edges.filter((e) => e.to === node.id);

/** A report in the form {@link naiveGroups} gives, patterns in a fixed order. */
function asNaive(r: GroupedPathsReport): NaiveGroups {
  const shown = (e: { type: string; name: string | number; otherName?: string | number }): string =>
    `${e.type} ${e.name}${e.otherName !== undefined ? ` | ${e.otherName}` : ""}`;
  const patterns = r.patterns.map((p) => ({
    targets: p.targets,
    steps: p.steps.map((s) => ({
      className: s.className,
      count: s.count,
      isRoot: s.isRoot,
      ...(s.chainLength !== undefined ? { chainLength: s.chainLength, chainEdge: shown(s.chainEdge!) } : {}),
      ...(s.edge !== undefined ? { edge: shown(s.edge) } : {}),
    })),
  }));
  return { patterns, noPath: r.noPath, rootTargets: r.rootTargets };
}

const sortedPatterns = (g: NaiveGroups): NaiveGroups => ({
  ...g,
  patterns: [...g.patterns].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
});

/**
 * A random heap with what the walk folds and names specially: linked lists of one class (targets
 * in them too), element and numbered internal slots, shared holders, cycles, a target the root
 * holds itself and targets nothing strong reaches.
 */
function randomHeap(seed: number, classes = ["T", "A", "B", "L", "T"]): SnapshotBuilder {
  let x = seed;
  const next = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % m;
  };
  const { b, global } = withGlobal();
  const nodes = Array.from({ length: 400 }, (_, i) =>
    b.node(i % 11 === 0 ? "array" : "object", i % 11 === 0 ? "(object elements)" : classes[next(classes.length)]!),
  );
  for (let i = 0; i < 6; i++) b.edge(global, nodes[next(30)]!, "property", `g${next(3)}`);
  // Lists: runs of one class linked by `next` (and some by `prev` back).
  for (let i = 0; i < 12; i++) {
    const len = 2 + next(6);
    const cls = next(2) === 0 ? "L" : "T";
    const head = nodes[next(200)]!;
    let prev = head;
    for (let k = 0; k < len; k++) {
      const n = b.node("object", cls);
      b.edge(prev, n, "property", k === 0 && next(2) === 0 ? "first" : "next");
      if (next(3) === 0) b.edge(n, prev, "property", "prev");
      prev = n;
    }
  }
  for (let i = 1; i < nodes.length; i++) {
    const from = nodes[next(i)]!;
    const kind = next(4);
    if (kind === 0) b.edge(from, nodes[i]!, "element", next(5));
    else if (kind === 1) b.edge(from, nodes[i]!, "internal", String(next(40)));
    else b.edge(from, nodes[i]!, "property", `p${next(4)}`);
  }
  for (let i = 0; i < 120; i++) {
    const [from, to] = [nodes[next(400)]!, nodes[next(400)]!];
    if (next(2) === 0) b.edge(from, to, "property", `x${next(3)}`);
    else b.edge(from, to, "element", next(3));
  }
  // A module record holds its module by its own edge (the other half of them do not: no records).
  nodes.forEach((n, i) => {
    if (classes.includes("ModuleJob") && i % 2 === 0 && b.nodes[n]!.name === "ModuleJob")
      b.edge(n, nodes[next(400)]!, "property", "module");
  });
  b.edge(b.root, nodes[5]!, "shortcut", "held");
  for (let i = 0; i < 4; i++) b.node("object", "T"); // nothing holds these
  return b;
}

/**
 *   global ─.cache→ Cache ─{table}→ (array) ─{0..29}→ Foo ×30       cause 1: 30
 *   global ─.bus→ Bus ─.listeners→ Array ─[0..19]→ Listener ─.foo→ Foo ×20   cause 2: 20
 */
function twoCauses(): { b: SnapshotBuilder; foos: number[]; global: number } {
  const { b, global } = withGlobal();
  const cache = b.node("object", "Cache", { selfSize: 100 });
  const table = b.node("array", "(object elements)", { selfSize: 0 });
  const bus = b.node("object", "Bus");
  const arr = b.node("object", "Array", { selfSize: 200 });
  b.edge(global, cache, "property", "cache").edge(cache, table, "internal", "table");
  b.edge(global, bus, "property", "bus").edge(bus, arr, "property", "listeners");
  const foos: number[] = [];
  for (let i = 0; i < 30; i++) {
    const f = b.node("object", "Foo", { selfSize: 10 });
    b.edge(table, f, "internal", String(700 + i));
    foos.push(f);
  }
  for (let i = 0; i < 20; i++) {
    const l = b.node("object", "Listener", { selfSize: 7 });
    const f = b.node("object", "Foo", { selfSize: 10 });
    b.edge(arr, l, "element", i).edge(l, f, "property", "foo");
    foos.push(f);
  }
  return { b, foos, global };
}

describe("groupRetainingPaths", () => {
  it("names the script of a box of one function, not of a box of several (they may come from several scripts)", () => {
    // global .onTick → one function (its context holds 3 Foo); global .handlers → Array → 3
    // functions of two scripts, each context holding a Foo.
    const { b, global } = withGlobal();
    const tick = functionIn(b, "onTick", "/app/node_modules/poller/index.js");
    const tickCtx = b.node("object", "system / Context");
    b.edge(global, tick, "property", "onTick").edge(tick, tickCtx, "context", "context");
    for (let i = 0; i < 3; i++) b.edge(tickCtx, b.node("object", "Foo"), "context", `foo${i}`);
    const handlers = b.node("object", "Array");
    b.edge(global, handlers, "property", "handlers");
    ["/app/src/a.js", "/app/src/b.js", "/app/src/a.js"].forEach((script, i) => {
      const f = functionIn(b, "handler", script);
      const c = b.node("object", "system / Context");
      b.edge(handlers, f, "element", i).edge(f, c, "context", "context").edge(c, b.node("object", "Foo"), "context", "foo");
    });
    const sub = group(b, "Foo").groups.toSubgraph();
    const fns = sub.nodes.filter((n) => n.type === "closure");
    expect(fns.map((n) => [n.name, n.count, n.script]).sort()).toEqual([
      ["handler", 3, undefined],
      ["onTick", 1, "/app/node_modules/poller/index.js"],
    ]);
    // Drawn under the function's name, short: from the package on; in the text after it.
    expect(toDot(sub)).toContain(">poller/index.js</FONT>");
    const text = formatGroupedText(group(b, "Foo").groups.report());
    expect(text).toContain("\u2190 Function onTick (poller/index.js) \u2190 .onTick \u2190 global");
    expect(text).toMatch(/\u2190 Function handler \u2190 \[\*\]/);
  });

  it("groups two causes with exact counts on groups and edges", () => {
    const { groups } = group(twoCauses().b, "Foo");
    const report = groups.report();
    expect(report.patterns.map((p) => p.targets)).toEqual([30, 20]);
    expect(report.patterns[0]!.steps.map((s) => s.className)).toEqual(["Foo", "(array)", "Cache", "global"]);
    expect(report.patterns[1]!.steps.map((s) => s.className)).toEqual(["Foo", "Listener", "Array", "Bus", "global"]);

    const sub = groups.toSubgraph();
    expect(sub.grouped).toEqual({ targets: 50, patterns: 2, patternsDrawn: 2, rootTargets: 0 });
    const foo = one(sub, "Foo");
    expect(foo).toMatchObject({ isGroup: true, isTarget: true, count: 50, selfSize: 500, retainedSize: 500 });
    expect(one(sub, "Listener")).toMatchObject({ count: 20, selfSize: 140 });
    expect(one(sub, "Array")).toMatchObject({ count: 1, selfSize: 200 });
    // global is drawn once, with an edge per cause
    const global = one(sub, "global");
    expect(global.isRoot).toBe(true);
    expect(
      sub.edges
        .filter((e) => e.from === global.id)
        .map((e) => [e.name, e.count])
        .sort(),
    ).toEqual([
      ["bus", 20],
      ["cache", 30],
    ]);
    expect(
      edgeInto(sub, foo)
        .map((e) => e.count)
        .sort(),
    ).toEqual([20, 30]);
    // group ids are synthetic (negative), the examples are heap ids
    expect(sub.nodes.every((n) => n.id < 0)).toBe(true);
    expect(foo.objectIds).toHaveLength(5);
    expect(sub.targets).toEqual([foo.id]);
  });

  it("shows as examples the objects that retain most, the newest first among equal sizes", () => {
    const { b, global } = withGlobal();
    const holder = b.node("array", "Array");
    b.edge(global, holder, "property", "items");
    // Three sizes for 40 objects (many ties), ids in an order unlike the nodes' own.
    const made = Array.from({ length: 40 }, (_, i) => {
      const selfSize = 16 * (1 + ((i * 7) % 3));
      const id = 1001 + 2 * ((i * 37) % 40);
      const n = b.node("object", "Foo", { selfSize, id });
      b.edge(holder, n, "element", i);
      return { selfSize, id };
    });
    const expected = (k: number): number[] =>
      [...made]
        .sort((x, y) => y.selfSize - x.selfSize || y.id - x.id)
        .slice(0, k)
        .map((o) => o.id);
    for (const k of [1, 3, 5, 60]) {
      const foo = one(group(b, "Foo", { examples: k }).groups.toSubgraph(), "Foo");
      expect(foo.objectIds).toEqual(expected(k));
    }
  });

  it("merges element indices and hash-table slots, keeps property names apart", () => {
    const { groups } = group(twoCauses().b, "Foo");
    const sub = groups.toSubgraph();
    const foo = one(sub, "Foo");
    const names = edgeInto(sub, foo)
      .map((e) => `${e.type}:${e.name}`)
      .sort();
    // 30 slots {700}..{729} are one edge, 20 indices [0]..[19] one edge further up
    expect(names).toEqual(["internal:*", "property:foo"]);
    const listener = one(sub, "Listener");
    expect(edgeInto(sub, listener).map((e) => `${e.type}:${e.name}:${e.count}`)).toEqual(["element:*:20"]);

    // Two property names: two patterns.
    const { b, global } = withGlobal();
    const h = b.node("object", "Holder");
    b.edge(global, h, "property", "h");
    for (let i = 0; i < 6; i++) b.edge(h, b.node("object", "Foo"), "property", i < 4 ? "a" : "b");
    const r = group(b, "Foo").groups.report();
    expect(r.patterns.map((p) => [p.targets, p.steps[1]!.edge!.name])).toEqual([
      [4, "a"],
      [2, "b"],
    ]);
  });

  it("agrees with grouping each target's shortestPath by a signature string", () => {
    // A random-ish heap: the simple method (a string per path) must give the same patterns.
    const { b, global } = withGlobal();
    const mids = [b.node("object", "A"), b.node("object", "B"), b.node("object", "A")];
    b.edge(global, mids[0]!, "property", "x").edge(global, mids[1]!, "property", "y").edge(mids[1]!, mids[2]!, "property", "z");
    const targets: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = b.node("object", "T");
      const holder = mids[(i * 7) % 3]!;
      b.edge(holder, t, i % 2 === 0 ? "element" : "property", i % 2 === 0 ? i : i % 4 === 1 ? "p" : "q");
      if (i % 5 === 0) b.edge(mids[2]!, t, "property", "also");
      targets.push(t);
    }
    const g = graphOf(b);
    const ctx = walkContext(g);
    const { ordinals } = selectNodes(g, { types: ["T"] });
    const fast = groupRetainingPaths(g, ctx, ordinals, { fold: false }).report();
    expect(fast.patterns.map((p) => p.targets).reduce((a, c) => a + c, 0)).toBe(40);
    const naive = new Map<string, number>();
    for (const t of ordinals) {
      const hops = shortestPath(g, ctx, t)!;
      const sig = hops
        .map((h) => `${g.className(h.from)}|${g.edgeTypeName(h.edge)}|${g.edgeTypeName(h.edge) === "element" ? "*" : g.edgeName(h.edge)}`)
        .join(">");
      naive.set(sig, (naive.get(sig) ?? 0) + 1);
    }
    const fastSigs = new Map<string, number>();
    for (const p of fast.patterns) {
      const steps = [...p.steps].reverse();
      const sig = steps
        .slice(0, -1)
        .map((s) => `${s.className}|${s.edge!.type}|${s.edge!.name === "*" || s.edge!.type === "element" ? "*" : s.edge!.name}`)
        .join(">");
      fastSigs.set(sig, p.targets);
    }
    expect(fastSigs).toEqual(naive);
  });

  it("agrees with the signature strings on random heaps, targets of two classes interleaved", () => {
    for (const seed of [3, 17, 29]) {
      let x = seed;
      const next = (m: number): number => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 8) % m;
      };
      const { b, global } = withGlobal();
      const inner = Array.from({ length: 30 }, (_, i) => b.node("object", `C${i % 4}`));
      inner.forEach((n, i) => {
        // Each inner node hangs below global or an earlier one: every one is reached.
        const up = i === 0 || next(4) === 0 ? global : inner[next(i)]!;
        if (next(3) === 0) b.edge(up, n, "element", i);
        else b.edge(up, n, "property", `p${next(3)}`);
      });
      const targets: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = b.node("object", i % 3 === 0 ? "T" : "U");
        if (next(2) === 0) b.edge(inner[next(inner.length)]!, t, "element", i);
        else b.edge(inner[next(inner.length)]!, t, "property", `t${next(2)}`);
        if (next(5) === 0) b.edge(inner[next(inner.length)]!, t, "property", "also");
        targets.push(t);
      }
      const g = graphOf(b);
      const ctx = walkContext(g);
      const { ordinals } = selectNodes(g, { types: ["T", "U"] });
      const fast = groupRetainingPaths(g, ctx, ordinals, { fold: false }).report();
      const naive = new Map<string, number>();
      for (const t of ordinals) {
        const hops = shortestPath(g, ctx, t)!;
        const sig = [
          g.className(t),
          ...hops
            .reverse()
            .map(
              (h) => `${g.className(h.from)}|${g.edgeTypeName(h.edge)}|${g.edgeTypeName(h.edge) === "element" ? "*" : g.edgeName(h.edge)}`,
            ),
        ].join("<");
        naive.set(sig, (naive.get(sig) ?? 0) + 1);
      }
      const fastSigs = new Map<string, number>();
      for (const p of fast.patterns) {
        const sig = [
          p.steps[0]!.className,
          ...p.steps
            .slice(1)
            .map((st) => `${st.className}|${st.edge!.type}|${st.edge!.name === "*" || st.edge!.type === "element" ? "*" : st.edge!.name}`),
        ].join("<");
        fastSigs.set(sig, p.targets);
      }
      expect(fastSigs, `seed ${seed}`).toEqual(naive);
      expect(naive.size, `seed ${seed}`).toBeGreaterThan(10);
    }
  });

  it("folds a 10,000-long linked list into one chain node", () => {
    const { b, global } = withGlobal();
    const head = b.node("object", "List");
    b.edge(global, head, "property", "list");
    let prev = head;
    let prevEdge = "first";
    for (let i = 0; i < 10_000; i++) {
      const n = b.node("object", "Node", { selfSize: 8 });
      b.edge(prev, n, "property", prevEdge);
      b.edge(n, b.node("object", "Payload", { selfSize: 4 }), "property", "value");
      prev = n;
      prevEdge = "next";
    }
    const { groups } = group(b, "Payload");
    const sub = groups.toSubgraph();
    expect(sub.grouped!.patterns).toBe(1);
    const chain = one(sub, "Node");
    expect(chain).toMatchObject({ count: 10_000, chainLength: 10_000, chainEdge: { type: "property", name: "next" } });
    expect(one(sub, "Payload").count).toBe(10_000);
    expect(sub.nodes).toHaveLength(4); // global, List, Node ×10,000, Payload
    const report = groups.report();
    expect(report.patterns[0]!.steps.map((s) => s.className)).toEqual(["Payload", "Node", "List", "global"]);
  });

  it("folds both ends of a doubly linked list into one chain, entered from its head either way", () => {
    const { b, global } = withGlobal();
    for (const t of timerList(b, global, 10).timeouts) b.edge(t, b.node("object", "Job"), "property", "_onTimeout");
    const sub = group(b, "Job").groups.toSubgraph();
    expect(sub.grouped!.patterns).toBe(1);
    const chain = one(sub, "Timeout");
    expect(chain.count).toBe(10);
    expect(chain.chainLength).toBe(5);
    const into = edgeInto(sub, chain);
    expect(into).toHaveLength(1);
    expect([into[0]!.name, into[0]!.otherName].sort()).toEqual(["_idleNext", "_idlePrev"]);
  });

  it("groups the members of a doubly linked list, when they are the targets, into one pattern whichever end reaches them", () => {
    const { b, global } = withGlobal();
    const { timeouts } = timerList(b, global, 10);
    const { groups } = group(b, "Timeout");
    const report = groups.report();
    // The list's two ends, and the members past them (a run of their class from either end).
    expect(report.patterns.map((p) => p.targets)).toEqual([8, 2]);
    expect(report.patternCount).toBe(2);
    const names = (e: GroupStep["edge"]) => [e!.name, e!.otherName].sort();
    const [inner, ends] = report.patterns;
    expect(inner!.steps.map((s) => s.className)).toEqual(["Timeout", "Timeout", "TimersList", "global"]);
    expect(names(inner!.steps[1]!.edge)).toEqual(["_idleNext", "_idlePrev"]);
    // The runs from both ends: four objects each, one group.
    expect(inner!.steps[1]).toMatchObject({ chainLength: 4, count: 8 });
    expect([inner!.steps[1]!.chainEdge!.name, inner!.steps[1]!.chainEdge!.otherName].sort()).toEqual(["_idleNext", "_idlePrev"]);
    expect(names(inner!.steps[2]!.edge)).toEqual(["_idleNext", "_idlePrev"]);
    expect(ends!.steps.map((s) => s.className)).toEqual(["Timeout", "TimersList", "global"]);
    expect(names(ends!.steps[1]!.edge)).toEqual(["_idleNext", "_idlePrev"]);
    expect(report.targetGroups).toHaveLength(1);
    expect(report.targetGroups[0]!.count).toBe(timeouts.length);
    // The picture: the runs are targets too, so one box, the target box, with the runs' length; the
    // list's arrow into it counts all ten paths, its arrow to itself the eight that pass a run.
    const sub = groups.toSubgraph();
    expect(sub.grouped!.patterns).toBe(2);
    const chain = one(sub, "Timeout");
    expect(chain).toMatchObject({ isTarget: true, count: 10, chainLength: 4 });
    const out = sub.edges.filter((e) => e.from === chain.id);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ to: chain.id, count: 8 });
    expect([out[0]!.name, out[0]!.otherName].sort()).toEqual(["_idleNext", "_idlePrev"]);
    expect(edgeInto(sub, chain).filter((e) => e.from !== chain.id)).toMatchObject([{ count: 10 }]);
    expect(formatGroupedText(report)).toMatch(
      /^ {2}8 × Timeout \(retained [^)]+\) ← \._idle(Next|Prev) \| \._idle(Prev|Next) ← Timeout ×4 via /m,
    );
  });

  it("says for how many of a list's paths the cut is where it is, when the list is cut at one place from one end and another from the other", () => {
    const { b, global } = withGlobal();
    const { list, timeouts } = timerList(b, global, 10);
    // The list, its first three and its last three are old; the four between are the targets.
    const old = new Set([global, list, ...timeouts.slice(0, 3), ...timeouts.slice(7)].map((n) => b.nodes[n]!.id));
    const g = graphOf(b);
    const targets = timeouts.slice(3, 7);
    const groups = groupRetainingPaths(g, walkContext(g), targets, { baseline: { has: (id) => old.has(id) } });
    const report = groups.report();
    expect(report.patterns).toHaveLength(1);
    const into = report.patterns[0]!.steps[1]!;
    // The first target from each end is held by an old Timeout; the others by a new one inside the run.
    expect(into).toMatchObject({ cutCount: 2, cutOf: 4 });
    expect(report.patterns[0]!.steps[2]!.cutCount).toBeUndefined();
    expect(formatGroupedText(report)).toMatch(
      /^ {2}4 × Timeout \(retained [^)]+\) ← \._idle\w+ \| \._idle\w+ ✂ cut here \(2 of 4\) ← Timeout ×/m,
    );
    // The picture says it on the arrow, and the caption what the number is.
    const dot = toDot(groups.toSubgraph());
    expect(dot).toMatch(/×4<BR\/><B>cut here ×2<\/B>/);
    expect(dot).toContain("cut here ×N: for N of the arrow's paths");
  });

  it("keeps apart targets a run of their class holds by another edge than the run's link", () => {
    const { b, global } = withGlobal();
    const nodes = Array.from({ length: 4 }, () => b.node("object", "Item"));
    b.edge(global, nodes[0]!, "property", "head");
    for (let i = 0; i < 3; i++) b.edge(nodes[i]!, nodes[i + 1]!, "property", "next");
    // Two more Items: one held by the run's last through its link, one through another edge.
    const linked = b.node("object", "Item");
    const owned = b.node("object", "Item");
    b.edge(nodes[3]!, linked, "property", "next").edge(nodes[3]!, owned, "property", "spare");
    const report = group(b, "Item").groups.report();
    const spare = report.patterns.find((p) => p.steps[1]!.edge!.name === "spare");
    expect(spare).toMatchObject({ targets: 1 });
    expect(spare!.steps[1]!.edge!.otherName).toBeUndefined();
  });

  it("counts the target group's retained size once when a target dominates another", () => {
    const { b, global } = withGlobal();
    const outer = b.node("object", "Foo", { selfSize: 100 });
    const inner = b.node("object", "Foo", { selfSize: 30 });
    const other = b.node("object", "Foo", { selfSize: 5 });
    b.edge(global, outer, "property", "a").edge(outer, inner, "property", "child").edge(global, other, "property", "b");
    const sub = group(b, "Foo").groups.toSubgraph();
    const foos = sub.nodes.filter((n) => n.isTarget);
    expect(foos).toHaveLength(1);
    expect(foos[0]).toMatchObject({ count: 3, selfSize: 135, retainedSize: 135 });
  });

  it("counts nested targets' retained sizes alike for a few targets in a big heap and for many in a small one (the target forest found after or before the walk)", () => {
    const heap = (filler: number) => {
      const { b, global } = withGlobal();
      const outer = b.node("object", "Foo", { selfSize: 100 });
      const inner = b.node("object", "Foo", { selfSize: 30 });
      const innermost = b.node("object", "Foo", { selfSize: 7 });
      const other = b.node("object", "Foo", { selfSize: 5 });
      b.edge(global, outer, "property", "a").edge(outer, inner, "property", "child").edge(inner, innermost, "property", "child");
      b.edge(global, other, "property", "b");
      const bag = b.node("array", "");
      b.edge(global, bag, "property", "bag");
      for (let i = 0; i < filler; i++) b.edge(bag, b.node("object", "Filler", { selfSize: 16 }), "element", i);
      return b;
    };
    const small = group(heap(0), "Foo").groups;
    // More than a thousand nodes per target: the walk's sparse way.
    const big = group(heap(5000), "Foo").groups;
    for (const g of [small, big]) {
      const foos = g.toSubgraph().nodes.filter((n) => n.isTarget);
      expect(foos).toHaveLength(1);
      expect(foos[0]).toMatchObject({ count: 4, selfSize: 142, retainedSize: 142 });
      expect(g.report().targetGroups[0]!.retainedSize).toBe(142);
    }
  });

  it("gives each target box and each pattern the retained size of its own objects when another target class holds them (not 0 B)", () => {
    const { b, global } = withGlobal();
    const arr = b.node("array", "");
    b.edge(global, arr, "property", "list");
    const subs = Array.from({ length: 4 }, (_, i) => {
      const sub = b.node("object", "Sub", { selfSize: 10 });
      const widget = b.node("object", "Widget", { selfSize: 50 });
      b.edge(arr, sub, "element", i).edge(sub, widget, "property", "widget");
      b.edge(widget, b.node("array", "", { selfSize: 100 }), "property", "buf");
      return sub;
    });
    // One Sub held only by another Sub, and one Widget held straight from the root.
    b.edge(subs[0]!, b.node("object", "Sub", { selfSize: 7 }), "property", "child");
    const direct = b.node("object", "Widget", { selfSize: 50 });
    b.edge(global, direct, "property", "direct").edge(direct, b.node("array", "", { selfSize: 100 }), "property", "buf");
    const g = graphOf(b);
    const { ordinals } = selectNodes(g, { types: ["Sub", "Widget"] });
    const report = groupRetainingPaths(g, walkContext(g), ordinals).report();

    const box = (cls: string) => report.targetGroups.find((s) => s.className === cls)!;
    // Widgets: 5 × 150, though 4 of them are held only through Subs (their retained size is in those too).
    expect(box("Widget")).toMatchObject({ count: 5, retainedSize: 750 });
    // Subs: 4 × 160, and the nested one (7 B) inside the first's.
    expect(box("Sub")).toMatchObject({ count: 5, retainedSize: 647 });

    const pattern = (cls: string, edge: string) =>
      report.patterns.find((p) => p.steps[0]!.className === cls && p.steps[1]!.edge!.name === edge)!;
    expect(pattern("Widget", "widget")).toMatchObject({ targets: 4, retainedSize: 600 });
    expect(pattern("Widget", "direct")).toMatchObject({ targets: 1, retainedSize: 150 });
    expect(pattern("Sub", "child")).toMatchObject({ targets: 1, retainedSize: 7 });
    expect(pattern("Sub", "*")).toMatchObject({ targets: 4, retainedSize: 647 });
    expect(formatGroupedText(report)).toContain("5 × Widget (retained 750 B)");
  });

  /**
   *   global ─.p<k>→ Outer ─.inner→ Inner ─.buf→ (array)      for k < count
   *                  Outer ─.tail→ Tail                         (every Tail made after every Inner)
   *
   * Every Inner and every Tail is held only through its Outer: 2 × count patterns of nested targets.
   */
  function nestedPatterns(count: number): SnapshotBuilder {
    const { b, global } = withGlobal();
    const outers = Array.from({ length: count }, (_, k) => {
      const outer = b.node("object", "Outer", { selfSize: 10 });
      const inner = b.node("object", "Inner", { selfSize: 20 });
      // Each through a holder of its own class: a pattern each (one object holding them all under
      // their names would be a dictionary, one pattern).
      const holder = b.node("object", `Holder${k}`);
      b.edge(global, holder, "property", `p${k}`).edge(holder, outer, "property", "outer").edge(outer, inner, "property", "inner");
      b.edge(inner, b.node("array", "", { selfSize: 100 }), "property", "buf");
      return outer;
    });
    for (const outer of outers) b.edge(outer, b.node("object", "Tail", { selfSize: 5 }), "property", "tail");
    return b;
  }

  it("gives every box and pattern its own objects' retained size however many sets have nested targets (140 patterns here: the Tail box is not 0 B)", () => {
    const g = graphOf(nestedPatterns(70));
    const { ordinals } = selectNodes(g, { types: ["Outer", "Inner", "Tail"] });
    const report = groupRetainingPaths(g, walkContext(g), ordinals).report();
    const box = (cls: string) => report.targetGroups.find((s) => s.className === cls)!;
    expect(box("Outer")).toMatchObject({ count: 70, retainedSize: 70 * 135 });
    expect(box("Inner")).toMatchObject({ count: 70, retainedSize: 70 * 120 });
    expect(box("Tail")).toMatchObject({ count: 70, retainedSize: 70 * 5 });
    const sizes = (cls: string) => report.patterns.filter((p) => p.steps[0]!.className === cls).map((p) => p.retainedSize);
    expect(sizes("Outer")).toEqual(new Array(70).fill(135));
    expect(sizes("Inner")).toEqual(new Array(70).fill(120));
    expect(sizes("Tail")).toEqual(new Array(70).fill(5));
    expect(formatGroupedText(report)).toContain("70 × Tail (retained 350 B)");
  });

  it("counts each box's and each pattern's retained size as a walk up each member's dominator chain, looking for another member of its set, says: on random heaps and on many patterns of nested targets", () => {
    let nested = 0;
    let nestedSets = 0;
    const check = (g: ReturnType<typeof graphOf>, types: string[]): void => {
      const ctx = walkContext(g);
      const a = ctx.analysis;
      const { ordinals } = selectNodes(g, { types });
      const report = groupRetainingPaths(g, ctx, ordinals).report();
      // The set's retained size the plain way: each member unless another member is above it.
      const setRetained = (members: number[]): number => {
        const set = new Set(members);
        let sum = 0;
        let under = 0;
        for (const t of members) {
          let above = false;
          for (let d = t === 0 ? 0 : a.dominator(t); d !== 0; d = a.dominator(d)) if (set.has(d)) above = true;
          if (above) under++;
          else sum += a.retainedSize(t);
        }
        nested += under;
        if (under > 0) nestedSets++;
        return sum;
      };
      // Patterns are told apart by what they show; those that show the same, by their sizes.
      const sizesByShape = (list: { shape: string; size: number | undefined }[]): [string, (number | undefined)[]][] => {
        const m = new Map<string, (number | undefined)[]>();
        for (const { shape, size } of list) m.set(shape, [...(m.get(shape) ?? []), size]);
        return [...m].map(([k, v]) => [k, v.sort()] as [string, (number | undefined)[]]).sort((x, y) => (x[0] < y[0] ? -1 : 1));
      };
      const members: number[][] = [];
      const want = naiveGroups(g, a, ordinals, members);
      const got = asNaive(report);
      expect(sizesByShape(got.patterns.map((p, i) => ({ shape: JSON.stringify(p), size: report.patterns[i]!.retainedSize })))).toEqual(
        sizesByShape(want.patterns.map((p, i) => ({ shape: JSON.stringify(p), size: setRetained(members[i]!) }))),
      );
      // A box: the targets of its class that a path reaches.
      const { parentEdge, userRoots } = a.distances();
      const reached = ordinals.filter((t) => parentEdge[t] !== 0 || t === 0 || userRoots[t] === 1);
      for (const s of report.targetGroups) expect(s.retainedSize).toBe(setRetained(reached.filter((t) => g.className(t) === s.className)));
    };
    for (let seed = 1; seed <= 10; seed++) {
      const g = graphOf(randomHeap(seed));
      check(g, ["T", "L"]);
      check(g, ["T", "A", "L"]);
    }
    check(graphOf(nestedPatterns(70)), ["Outer", "Inner", "Tail"]);
    // Members with another member of their set above them, in many sets.
    expect(nested).toBeGreaterThan(200);
    expect(nestedSets).toBeGreaterThan(150);
  });

  it("counts each target's retained size unless a target dominates it: as a walk up every dominator chain says, whether the analysis was computed or read back", async () => {
    const { HeapAnalysis, NO_DISTANCE } = await import("../../src/graph/analysis.js");
    let x = 17;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    const { b, global } = withGlobal();
    const nodes = Array.from({ length: 400 }, (_, i) => b.node("object", i % 3 === 0 ? "T" : `C${i % 4}`, { selfSize: 1 + (i % 7) }));
    for (let i = 0; i < 8; i++) b.edge(global, nodes[next(40)]!, "property", `g${i}`);
    // Mostly a tree (so that targets dominate targets), with some cross edges.
    for (let i = 1; i < nodes.length; i++) b.edge(nodes[next(i)]!, nodes[i]!, "property", `p${i}`);
    for (let i = 0; i < 60; i++) b.edge(nodes[next(400)]!, nodes[next(400)]!, "property", `x${i}`);
    const computed = new HeapAnalysis(graphOf(b));
    const targets = selectNodes(computed.graph, { types: ["T"] }).ordinals;
    const isTarget = new Set(targets);
    let want = 0;
    let dominated = 0;
    for (const t of targets) {
      // Objects no path reaches are not in any pattern.
      if (computed.distance(t) === NO_DISTANCE) continue;
      let under = false;
      for (let d = computed.dominator(t); d !== 0; d = computed.dominator(d)) if (isTarget.has(d)) under = true;
      if (under) dominated++;
      else want += computed.retainedSize(t);
    }
    expect(dominated).toBeGreaterThan(5);
    const total = (a: InstanceType<typeof HeapAnalysis>): number | undefined =>
      groupRetainingPaths(a.graph, walkContext(a.graph, { analysis: a }), targets).report(10).targetGroups[0]!.retainedSize;
    expect(total(computed)).toBe(want);
    computed.retainedSizes();
    expect(total(HeapAnalysis.fromParts(graphOf(b), computed.savedParts()!))).toBe(want);
  });

  it("draws the same picture from an analysis read back from a cache entry (dominators and distance tree looked up a block at a time) as from a computed one", async () => {
    const { mkdtempSync, rmSync, utimesSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { HeapAnalysis } = await import("../../src/graph/analysis.js");
    const { HeapGraph } = await import("../../src/graph/heap-graph.js");
    const { SnapshotCache, RACY_MS } = await import("../../src/cache/store.js");
    const { readSnapshotRaw } = await import("../../src/snapshot/read.js");
    let x = 5;
    const next = (m: number): number => {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      return (x >>> 8) % m;
    };
    const { b, global } = withGlobal();
    const nodes = Array.from({ length: 3000 }, (_, i) => b.node("object", i % 5 === 0 ? "T" : `C${i % 4}`, { selfSize: 1 + (i % 7) }));
    for (let i = 0; i < 8; i++) b.edge(global, nodes[next(40)]!, "property", `g${i}`);
    // Mostly a tree (targets under targets), some cross edges, a few objects nothing reaches and a
    // target the root holds itself (a user root).
    for (let i = 1; i < nodes.length - 20; i++)
      b.edge(nodes[next(i)]!, nodes[i]!, i % 3 === 0 ? "element" : "property", i % 3 === 0 ? i : `p${i % 9}`);
    for (let i = 0; i < 300; i++) b.edge(nodes[next(3000)]!, nodes[next(3000)]!, "property", `x${i % 5}`);
    b.edge(b.root, nodes[nodes.length - 5]!, "shortcut", "held");
    const dir = mkdtempSync(join(tmpdir(), "backrefs-group-"));
    try {
      const file = join(dir, "t.heapsnapshot");
      writeFileSync(file, b.serialize());
      const old = Math.floor(Date.now() / 1000) - 3600;
      utimesSync(file, old, old);
      // Entries are only written for files whose last change (the inode's too) is RACY_MS old.
      const waited = new Promise((r) => setTimeout(r, RACY_MS + 200));
      const picture = (a: InstanceType<typeof HeapAnalysis>): string => {
        const targets = selectNodes(a.graph, { types: ["T"] }).ordinals;
        const groups = groupRetainingPaths(a.graph, walkContext(a.graph, { analysis: a }), targets);
        return JSON.stringify([groups.toSubgraph({ maxNodes: 30 }), groups.report(50)]);
      };
      const raw = await readSnapshotRaw(file);
      const computed = new HeapAnalysis(new HeapGraph(raw));
      await computed.prepare({ retained: true });
      const want = picture(computed);
      await waited;
      const cache = new SnapshotCache({ dir: join(dir, "cache") });
      const miss = await cache.lookup(file);
      if (miss.kind !== "miss") throw new Error(miss.kind);
      expect(cache.save(miss.key, { raw, analysis: computed.savedParts() }).kind).toBe("written");
      const hit = await cache.lookup(file);
      if (hit.kind !== "hit") throw new Error(hit.kind);
      const stored = hit.content.analysis!;
      expect(stored.tree?.dominatorOf).toBeTypeOf("function");
      // The walk up the dominators reads the immediate dominators alone, and reports a cycle as damage.
      expect(stored.tree?.idomOf).toBeTypeOf("function");
      expect(stored.tree?.damaged).toBeTypeOf("function");
      const report = JSON.parse(want)[1] as { noPath: number; rootTargets: number; targetGroups: { retainedSize: number }[] };
      expect(report.noPath).toBeGreaterThan(0);
      expect(report.rootTargets).toBe(1);
      const read = HeapAnalysis.fromParts(new HeapGraph(hit.content.raw), stored);
      expect(picture(read)).toBe(want);
      // And what the plain walk finds on the entry read back (blocks read as the walk asks).
      const fresh = HeapAnalysis.fromParts(new HeapGraph(hit.content.raw), stored);
      const targets = selectNodes(fresh.graph, { types: ["T"] }).ordinals;
      const found = groupRetainingPaths(fresh.graph, walkContext(fresh.graph, { analysis: fresh }), targets).report();
      expect(sortedPatterns(asNaive(found))).toEqual(sortedPatterns(naiveGroups(read.graph, read, targets)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("marks where each path passes from the baseline's objects to new ones", () => {
    const { b, global } = withGlobal();
    const registry = b.node("object", "Registry");
    const bucket = b.node("object", "Bucket");
    b.edge(global, registry, "property", "registry").edge(registry, bucket, "property", "bucket");
    const foos = elementsOf(b, bucket, "Foo", 4);
    const g = graphOf(b);
    // The baseline had global and the registry; the bucket and the Foos are new.
    const old = new Set([b.nodes[global]!.id, b.nodes[registry]!.id, 1, 3]);
    const ctx = walkContext(g);
    const sub = groupRetainingPaths(g, ctx, foos, { baseline: { has: (id) => old.has(id) } }).toSubgraph();
    const cut = sub.edges.filter((e) => e.isCut);
    expect(cut).toHaveLength(1);
    const from = sub.nodes.find((n) => n.id === cut[0]!.from)!;
    const to = sub.nodes.find((n) => n.id === cut[0]!.to)!;
    expect([from.className, cut[0]!.name, to.className, cut[0]!.cutCount]).toEqual(["Registry", "bucket", "Bucket", 4]);
    expect(one(sub, "Bucket")).toMatchObject({ isNew: true, newCount: 1 });
    expect(one(sub, "Registry")).toMatchObject({ isNew: false, newCount: 0 });
    expect(toDot(sub)).toContain("cut here");
  });

  it("cuts a path once, where it leaves the baseline's objects for the last time", () => {
    // global → Timer (new) → Module (old) → Bus (old) → Listeners (new) → Foo ×3: the shortest
    // path runs through a new object of another leak and back into old ones; the Foos are held
    // where the old Bus holds the new Listeners, not where the timer list holds the Timer.
    const { b, global } = withGlobal();
    const timer = b.node("object", "Timer");
    const module = b.node("object", "Module");
    const bus = b.node("object", "Bus");
    const listeners = b.node("object", "Listeners");
    b.edge(global, timer, "property", "timer").edge(timer, module, "property", "module");
    b.edge(module, bus, "property", "bus").edge(bus, listeners, "property", "listeners");
    const foos = elementsOf(b, listeners, "Foo", 3);
    const g = graphOf(b);
    const old = new Set([global, module, bus].map((n) => b.nodes[n]!.id));
    const groups = groupRetainingPaths(g, walkContext(g), foos, { baseline: { has: (id) => old.has(id) } });
    const sub = groups.toSubgraph();
    const cut = sub.edges.filter((e) => e.isCut);
    expect(cut).toHaveLength(1);
    const from = sub.nodes.find((n) => n.id === cut[0]!.from)!;
    expect([from.className, cut[0]!.name, cut[0]!.cutCount]).toEqual(["Bus", "listeners", 3]);
    // The timer is new (said on its box), but the arrow into it is not a cut.
    expect(one(sub, "Timer")).toMatchObject({ isNew: true });
    const steps = groups.report().patterns[0]!.steps;
    expect(steps.filter((s) => s.cutCount !== undefined).map((s) => s.className)).toEqual(["Bus"]);
  });

  it("draws the largest patterns within the node budget and boxes the rest as 'N more patterns'", () => {
    const { b, global } = withGlobal();
    // 12 causes: holder i keeps i + 1 Foos through its own property name.
    let total = 0;
    for (let i = 0; i < 12; i++) {
      const h = b.node("object", `Holder${i}`);
      b.edge(global, h, "property", `h${i}`);
      for (let k = 0; k <= i; k++) b.edge(h, b.node("object", "Foo"), "property", "foo");
      total += i + 1;
    }
    const { groups } = group(b, "Foo");
    const sub = groups.toSubgraph({ maxNodes: 8 });
    // global + Foo + one holder per drawn pattern: 6 patterns fit in 8 nodes
    expect(sub.grouped).toMatchObject({ patterns: 12, patternsDrawn: 6 });
    expect(
      sub.nodes
        .map((n) => n.className)
        .filter((c) => c.startsWith("Holder"))
        .sort(),
    ).toEqual(["Holder10", "Holder11", "Holder6", "Holder7", "Holder8", "Holder9"]);
    expect(sub.placeholders).toHaveLength(1);
    const box = sub.placeholders[0]!;
    const foo = one(sub, "Foo");
    expect(box).toEqual({ of: foo.id, count: 6, reason: "patterns", objects: 1 + 2 + 3 + 4 + 5 + 6 });
    // nothing dropped: drawn edges into Foo plus the box hold every target
    expect(edgeInto(sub, foo).reduce((n, e) => n + e.count!, 0) + box.objects!).toBe(total);
    expect(sub.limitsReached.patternsOmitted).toBe(6);
    expect(toDot(sub)).toContain("6 more patterns (21 objects)");
  });

  it("finds the patterns the plain walk finds (whole paths, string keys) on random heaps", () => {
    let chains = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const g = graphOf(randomHeap(seed));
      const ctx = walkContext(g);
      for (const type of ["T", "L", "A"]) {
        const { ordinals } = selectNodes(g, { types: [type] });
        const report = groupRetainingPaths(g, ctx, ordinals).report();
        const want = naiveGroups(g, ctx.analysis, ordinals);
        expect(sortedPatterns(asNaive(report))).toEqual(sortedPatterns(want));
        chains += want.patterns.filter((p) => p.steps.some((s) => s.chainLength !== undefined)).length;
      }
    }
    // The heaps have what the fast walk treats specially.
    expect(chains).toBeGreaterThan(5);
  });

  it("draws each object once: a target class whose objects hold another target class is one node, the path above drawn once", () => {
    const { b, global } = withGlobal();
    const store = b.node("object", "Store", { selfSize: 50 });
    const list = b.node("object", "Array", { selfSize: 800 });
    b.edge(global, store, "property", "sessions").edge(store, list, "property", "#t");
    for (let i = 0; i < 30; i++) {
      const session = b.node("object", "Session", { selfSize: 48 });
      const cart = b.node("object", "Array", { selfSize: 16 });
      b.edge(list, session, "element", i)
        .edge(session, cart, "property", "cart")
        .edge(cart, b.node("object", "Sku", { selfSize: 40 }), "element", 0);
    }
    const g = graphOf(b);
    const { ordinals } = selectNodes(g, { types: ["Session", "Sku"] });
    const groups = groupRetainingPaths(g, walkContext(g), ordinals);
    // Two patterns (Sessions, and the Skus their carts hold) over one path of objects.
    expect(groups.report().patterns.map((p) => p.steps.map((st) => st.className))).toEqual([
      ["Session", "Array", "Store", "global"],
      ["Sku", "Array", "Session", "Array", "Store", "global"],
    ]);
    const sub = groups.toSubgraph();
    const session = one(sub, "Session");
    expect(session).toMatchObject({ isTarget: true, count: 30, selfSize: 30 * 48 });
    expect(one(sub, "Store")).toMatchObject({ count: 1 });
    expect(
      byClass(sub, "Array")
        .map((n) => n.count!)
        .sort((x, y) => x - y),
    ).toEqual([1, 30]);
    // The edge into the Sessions carries both patterns' targets; the Sessions lead on to the Skus.
    expect(edgeInto(sub, session).map((e) => [e.name, e.count])).toEqual([["*", 60]]);
    const carts = byClass(sub, "Array").find((n) => n.count === 30)!;
    expect(sub.edges.filter((e) => e.from === session.id).map((e) => [e.to, e.name, e.count])).toEqual([[carts.id, "cart", 30]]);
    expect(sub.targets.sort()).toEqual([session.id, one(sub, "Sku").id].sort());
    expect(sub.nodes).toHaveLength(6);
  });

  it("draws one object that several patterns pass once, and an edge two patterns share once with both names", () => {
    const { b, global } = withGlobal();
    const registry = b.node("object", "Registry");
    b.edge(global, registry, "property", "registry");
    for (let i = 0; i < 3; i++) b.edge(registry, b.node("object", "Foo"), "property", "a");
    for (let i = 0; i < 2; i++) b.edge(registry, b.node("object", "Foo"), "property", "b");
    const h = b.node("object", "Holder");
    b.edge(registry, h, "property", "holder");
    for (let i = 0; i < 4; i++) b.edge(h, b.node("object", "Foo"), "property", "x");
    const { groups } = group(b, "Foo");
    expect(groups.report().patterns.map((p) => p.targets)).toEqual([4, 3, 2]);
    const sub = groups.toSubgraph();
    const reg = one(sub, "Registry");
    const foo = one(sub, "Foo");
    expect(edgeInto(sub, reg).map((e) => [e.name, e.count])).toEqual([["registry", 9]]);
    const down = sub.edges.filter((e) => e.from === reg.id);
    expect(down.map((e) => [e.to === foo.id ? "Foo" : "Holder", e.name, e.otherName, e.count]).sort()).toEqual([
      ["Foo", "a", "b", 5],
      ["Holder", "holder", undefined, 4],
    ]);
    expect(toDot(sub)).toContain("a | .b");
  });

  it("draws a list's run of objects once when patterns that differ further down all pass it", () => {
    // node-cache's shape: each cache's check-period Timeout (in Node's timer list) holds the cache
    // through a bound function, and the cache's entries sit in a plain object under their keys.
    // Each key is a pattern of its own; all of them pass the same Timeouts.
    const { b, global } = withGlobal();
    // Two keys: fewer than a dictionary's (see the next test), so a pattern each.
    const keys = ["sku-0", "sku-1"];
    const { timeouts } = timerList(b, global, 4);
    for (const t of timeouts) {
      const check = b.node("closure", "native_bind");
      const cache = b.node("object", "NodeCache");
      const data = b.node("object", "Object");
      b.edge(t, check, "property", "_onTimeout").edge(check, cache, "internal", "bound_this").edge(cache, data, "property", "data");
      for (const k of keys) {
        const entry = b.node("object", "Entry");
        b.edge(data, entry, "property", k).edge(entry, b.node("object", "Quote"), "property", "v");
      }
    }
    const { groups } = group(b, "Quote");
    expect(groups.report().patternCount).toBe(keys.length);
    const sub = groups.toSubgraph();
    // One box per class: the 4 Timeouts (a list run from both ends), their functions, caches…
    const timeout = one(sub, "Timeout");
    expect(timeout.count).toBe(4);
    expect(timeout.chainLength).toBe(2);
    expect(edgeInto(sub, timeout).reduce((n, e) => n + e.count!, 0)).toBe(4 * keys.length);
    expect(one(sub, "NodeCache").count).toBe(4);
    expect(one(sub, "Quote").count).toBe(4 * keys.length);
    expect(one(sub, "TimersList").count).toBe(1);
  });

  it("draws a list's run and its ends as the target box when all their objects are targets, with an arrow to itself", () => {
    // The timers are targets too (a test left them and their caches): the run above the caches,
    // the list's two ends (held by the list, each holding a target) and the target box are the same
    // Timeouts, one box.
    const { b, global } = withGlobal();
    const { timeouts } = timerList(b, global, 6);
    for (const t of timeouts) {
      const check = b.node("closure", "native_bind");
      const cache = b.node("object", "NodeCache");
      b.edge(t, check, "property", "_onTimeout").edge(check, cache, "internal", "bound_this");
      b.edge(cache, b.node("object", "Quote"), "property", "last");
    }
    const g = graphOf(b);
    const ctx = walkContext(g);
    const all = selectNodes(g, { types: ["Timeout", "NodeCache", "Quote"] }).ordinals;
    const groups = groupRetainingPaths(g, ctx, all);
    const sub = groups.toSubgraph();
    const timeout = one(sub, "Timeout");
    expect(timeout).toMatchObject({ isTarget: true, count: 6, chainLength: 3 });
    expect(sub.nodes.map((n) => n.className).sort()).toEqual(["Function", "NodeCache", "Quote", "Timeout", "TimersList", "global"]);
    // Every target's path reaches its box: into the Timeouts from the list, and from Timeouts held
    // by other Timeouts (the arrow to itself); on to the caches and their quotes.
    const loop = sub.edges.find((e) => e.from === timeout.id && e.to === timeout.id)!;
    const into = edgeInto(sub, timeout).filter((e) => e !== loop);
    expect(into).toHaveLength(1);
    expect(into[0]!.count).toBe(groups.report().patterns.reduce((n, p) => n + p.targets, 0));
    expect(loop.count).toBeGreaterThan(0);
    expect(edgeInto(sub, one(sub, "Quote"))[0]!.count).toBe(6);
    // Some of the Timeouts only (two in the middle of the list): the list's runs hold others, drawn apart.
    const part = groupRetainingPaths(g, ctx, [timeouts[2]!, timeouts[3]!]).toSubgraph();
    expect(byClass(part, "Timeout").filter((n) => !n.isTarget).length).toBeGreaterThan(0);
    expect(part.edges.every((e) => e.from !== e.to)).toBe(true);
  });

  it("groups what one object holds under eight property names or more (a dictionary's keys) as one pattern, on every level", () => {
    const { b, global } = withGlobal();
    // sessions["user-0"…"user-29"] → Session; and a dictionary of dictionaries: tenants[t][u] → User.
    const sessions = b.node("object", "Object");
    b.edge(global, sessions, "property", "sessions");
    for (let i = 0; i < 30; i++) b.edge(sessions, b.node("object", "Session", { selfSize: 40 }), "property", `user-${i}`);
    const tenants = b.node("object", "Object");
    b.edge(global, tenants, "property", "tenants");
    for (let t = 0; t < 4; t++) {
      const users = b.node("object", "Object");
      b.edge(tenants, users, "property", `tenant-${t}`);
      for (let u = 0; u < 10; u++) b.edge(users, b.node("object", "User", { selfSize: 24 }), "property", `u${t}-${u}`);
    }
    const g = graphOf(b);
    const ctx = walkContext(g);
    for (const [cls, count] of [
      ["Session", 30],
      ["User", 40],
    ] as const) {
      const { ordinals } = selectNodes(g, { types: [cls] });
      const report = groupRetainingPaths(g, ctx, ordinals).report();
      expect(report.patterns.map((p) => p.targets)).toEqual([count]);
      expect(report.patterns[0]!.steps[1]!.edge).toEqual({ type: "property", name: "*" });
      expect(asNaive(report)).toEqual(naiveGroups(g, ctx.analysis, ordinals));
    }
    // A few names are the program's own: kept apart. So are a closure's variables, however many.
    const pool = b.node("object", "Pool");
    b.edge(global, pool, "property", "pool");
    for (const name of ["primary", "backup", "spare", "standby", "reserve"]) b.edge(pool, b.node("object", "Connection"), "property", name);
    expect(group(b, "Connection").groups.report().patterns).toHaveLength(5);
    const scope = b.node("hidden", "system / Context");
    b.edge(global, scope, "internal", "context");
    for (let i = 0; i < 10; i++) b.edge(scope, b.node("object", "Queue"), "context", `queue${i}`);
    expect(group(b, "Queue").groups.report().patterns).toHaveLength(10);
  });

  it("groups objects that DevTools names after their keys ({sku-3}) as one class whose keys are one name", () => {
    // A service per request, each with its own cache holding the one key it was asked for: each
    // cache's entry object is a class of its own ({sku-0}…{sku-9}), held under its own name.
    const build = (keys: number, holdBy: "key" | "same") => {
      const { b, global } = withGlobal();
      const services = b.node("object", "Array");
      b.edge(global, services, "property", "services");
      for (let i = 0; i < 4 * keys; i++) {
        const service = b.node("object", "Service");
        const cache = b.node("object", "NodeCache");
        const data = b.node("object", "Object");
        const entry = b.node("object", "Object");
        const key = `sku-${i % keys}`;
        b.edge(services, service, "element", i).edge(service, cache, "property", "cache").edge(cache, data, "property", "data");
        // "same": shapes {x, sku-N} all holding the entry by the same name, x.
        if (holdBy === "same") b.edge(data, b.node("number", "heap number"), "property", key);
        b.edge(data, entry, "property", holdBy === "key" ? key : "x");
        b.edge(entry, b.node("object", "Quote", { selfSize: 32 }), "property", "v");
      }
      return b;
    };
    const b = build(10, "key");
    const g = graphOf(b);
    const ctx = walkContext(g);
    const { ordinals } = selectNodes(g, { types: ["Quote"] });
    // Ten classes before: the entries' holders are named by their keys.
    const holders = new Set<string>();
    for (let n = 0; n < g.nodeCount; n++) if (g.className(n).startsWith("{sku-")) holders.add(g.className(n));
    expect(holders.size).toBe(10);
    const report = groupRetainingPaths(g, ctx, ordinals).report();
    expect(report.patterns.map((p) => p.targets)).toEqual([40]);
    expect(report.patterns[0]!.steps.map((st) => st.className)).toEqual([
      "Quote",
      "{v}",
      "Object",
      "NodeCache",
      "Service",
      "Array",
      "global",
    ]);
    expect(report.patterns[0]!.steps[2]).toMatchObject({ count: 40, edge: { type: "property", name: "*" } });
    expect(asNaive(report)).toEqual(naiveGroups(g, ctx.analysis, ordinals));
    // Fewer keys than a dictionary's: a pattern each, their classes kept.
    const few = group(build(5, "key"), "Quote").groups.report();
    expect(few.patterns.map((p) => p.steps[2]!.className).sort()).toEqual(["{sku-0}", "{sku-1}", "{sku-2}", "{sku-3}", "{sku-4}"]);
    // Classes named by a key that hold the entry by another, shared name are not keys.
    expect(group(build(10, "same"), "Quote").groups.report().patterns).toHaveLength(10);
  });

  it("keeps two runs of a list apart when they hold different objects", () => {
    // Two lists, each of its own Timeouts holding their jobs by another name: two runs of the same
    // class, link and length, of other objects.
    const { b, global } = withGlobal();
    for (const [edge, job] of [
      ["timers", "_onTimeout"],
      ["slowTimers", "_repeat"],
    ] as const)
      for (const t of timerList(b, global, 4, { edge }).timeouts) b.edge(t, b.node("object", "Job"), "property", job);
    const sub = group(b, "Job").groups.toSubgraph();
    expect(byClass(sub, "Timeout").map((n) => [n.count, n.chainLength])).toEqual([
      [4, 2],
      [4, 2],
    ]);
  });

  it("never draws one object in two single-object boxes, on random heaps with targets of two classes", () => {
    let shared = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const g = graphOf(randomHeap(seed));
      const ctx = walkContext(g);
      const { ordinals } = selectNodes(g, { types: ["T", "L"] });
      const groups = groupRetainingPaths(g, ctx, ordinals);
      const sub = groups.toSubgraph({ maxNodes: 1000 });
      const singles = sub.nodes.filter((n) => n.count === 1 && n.chainLength === undefined).map((n) => n.objectIds![0]);
      expect(new Set(singles).size).toBe(singles.length);
      // Every pattern's targets still reach a drawn target node.
      const into = sub.edges.filter((e) => sub.targets.includes(e.to)).reduce((n, e) => n + e.count!, 0);
      expect(into).toBe(groups.report().patterns.reduce((n, p) => n + p.targets, 0));
      // Patterns share objects here: a non-root group has one group below it, so a single-object
      // node with two edges down is drawn for several groups.
      shared += sub.nodes.filter((n) => !n.isRoot && n.count === 1 && sub.edges.filter((e) => e.from === n.id).length >= 2).length;
    }
    expect(shared).toBeGreaterThan(0);
  });

  it("ends a path at a loaded module's record, named by its file, not at global through the loader's state", () => {
    const { b, global } = withGlobal();
    // global → loader state → a ModuleJob per module; module → its variables → the leak.
    const loader = b.node("object", "ModuleLoader");
    const cache = b.node("object", "LoadCache");
    b.edge(global, loader, "property", "loader").edge(loader, cache, "property", "loadCache");
    const jobOf = (file: string, how: "url" | "none") => {
      const job = b.node("object", "ModuleJob", { selfSize: 96 });
      const wrap = b.node("object", "ModuleWrap");
      const env = b.node("object", "system / Context");
      b.edge(cache, job, "property", `job ${file}`).edge(job, wrap, "property", "module").edge(wrap, env, "internal", "context");
      if (how === "url") b.edge(job, b.node("string", `file:///home/ada/app/${file}`), "property", "url");
      return env;
    };
    const users = jobOf("src/users.mjs", "url");
    const deep = jobOf("projects/shop/packages/server/src/user-sessions.mjs", "url");
    b.edge(deep, b.node("object", "User", { selfSize: 40 }), "context", "current");
    b.edge(deep, b.node("object", "User", { selfSize: 40 }), "context", "previous");
    const other = jobOf("src/other.mjs", "none");
    const map = b.node("object", "Map");
    b.edge(users, map, "context", "userCache");
    for (let i = 0; i < 5; i++) b.edge(map, b.node("object", "User", { selfSize: 40 }), "element", i);
    b.edge(other, b.node("object", "User", { selfSize: 40 }), "context", "last");
    const { groups } = group(b, "User");
    const report = groups.report();
    expect(report.patterns.map((p) => [p.targets, p.steps.map((st) => st.className)])).toEqual([
      [5, ["User", "Map", "system / Context", "ModuleWrap", "ModuleJob"]],
      [1, ["User", "system / Context", "ModuleWrap", "ModuleJob"]],
      [1, ["User", "system / Context", "ModuleWrap", "ModuleJob"]],
      [1, ["User", "system / Context", "ModuleWrap", "ModuleJob"]],
    ]);
    expect(report.patterns.map((p) => p.steps.at(-1)!.module).sort()).toEqual([
      "",
      "file:///home/ada/app/projects/shop/packages/server/src/user-sessions.mjs",
      "file:///home/ada/app/projects/shop/packages/server/src/user-sessions.mjs",
      "file:///home/ada/app/src/users.mjs",
    ]);
    expect(formatGroupedText(report)).toContain("← .module ← ModuleJob module /home/ada/app/src/users.mjs");
    const sub = groups.toSubgraph();
    expect(sub.nodes.map((n) => n.className)).not.toContain("global");
    const roots = sub.nodes.filter((n) => n.isRoot);
    expect(roots.map((n) => n.module).sort()).toEqual([
      "",
      "file:///home/ada/app/projects/shop/packages/server/src/user-sessions.mjs",
      "file:///home/ada/app/src/users.mjs",
    ]);
    const dot = toDot(sub);
    expect(dot).toContain("module /home/ada/app/src/users.mjs");
    // A long path is cut at its start: the file's own name is in the box.
    expect(dot).toMatch(/module \u2026[^<]*\/server\/src\/user-sessions\.mjs</);
    expect(dot).toContain("module: a loaded module");
    // The records themselves as targets are not roots: their paths go on up to global.
    const jobs = group(b, "ModuleJob").groups.report();
    expect(jobs.rootTargets).toBe(0);
    expect(jobs.patterns[0]!.steps.map((st) => st.className)).toEqual(["ModuleJob", "LoadCache", "ModuleLoader", "global"]);
  });

  it("ends paths at module records as the plain walk does, on random heaps", () => {
    let ended = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const g = graphOf(randomHeap(seed, ["T", "ModuleJob", "B", "L", "T"]));
      const ctx = walkContext(g);
      for (const type of ["T", "L", "ModuleJob"]) {
        const { ordinals } = selectNodes(g, { types: [type] });
        const report = groupRetainingPaths(g, ctx, ordinals).report();
        expect(sortedPatterns(asNaive(report))).toEqual(sortedPatterns(naiveGroups(g, ctx.analysis, ordinals)));
        ended += report.patterns.filter((p) => p.steps.at(-1)!.module !== undefined).length;
      }
    }
    expect(ended).toBeGreaterThan(5);
  });

  it("is deterministic", () => {
    const a = group(twoCauses().b, "Foo").groups.toSubgraph();
    const b2 = group(twoCauses().b, "Foo").groups.toSubgraph();
    expect(JSON.stringify(a)).toBe(JSON.stringify(b2));
    expect(toDot(a)).toBe(toDot(b2));
  });

  it("says which targets no strong path reaches", () => {
    const { b, foos } = twoCauses();
    const lost = b.node("object", "Foo");
    const weakRef = b.node("object", "WeakRef");
    b.edge(b.gcRoots, weakRef, "element", 9).edge(weakRef, lost, "weak", "target");
    const { groups } = group(b, "Foo");
    const sub = groups.toSubgraph();
    expect(sub.limitsReached.noPath).toBe(1);
    expect(sub.grouped!.targets).toBe(foos.length + 1);
    expect(groups.report().noPath).toBe(1);
  });
});

describe("owner and backing store", () => {
  /**
   *   global ─.list→ Array ─[0..2]→ Fn ×3
   *                  Array ─{elements}→ (array) (object elements) ─{0..2}→ Fn ×3
   */
  function arrayWithStore(): { b: SnapshotBuilder; fns: number[]; arr: number; store: number } {
    const { b, global } = withGlobal();
    const arr = b.node("object", "Array");
    const store = b.node("array", "(object elements)");
    b.edge(global, arr, "property", "list");
    const fns = elementsOf(b, arr, "onEvent", 3, "closure");
    b.edge(arr, store, "internal", "elements");
    fns.forEach((f, i) => b.edge(store, f, "internal", String(i)));
    return { b, fns, arr, store };
  }

  it("counts one holder in why and draws one retainer", async () => {
    const { b, fns } = arrayWithStore();
    const g = graphOf(b);
    const ctx = walkContext(g);
    const { whyAlive } = await import("../../src/query/paths.js");
    const [w] = whyAlive(g, ctx, [fns[1]!], 3);
    expect(w!.directRetainers).toBe(1);
    expect(w!.paths).toHaveLength(1);
    const { retainerSubgraph, defaultBackrefsOptions } = await import("../../src/query/backrefs.js");
    const sub = retainerSubgraph(g, ctx, [fns[1]!], defaultBackrefsOptions);
    expect(sub.nodes.map((n) => n.className).sort()).toEqual(["Array", "Function", "global"]);
    // The grouped picture counts the Array once too.
    const grouped = groupRetainingPaths(g, ctx, fns).toSubgraph();
    expect(one(grouped, "Array")).toMatchObject({ count: 1 });
    expect(byClass(grouped, "(array)")).toHaveLength(0);
  });

  it("keeps a store that holds a target its owner does not hold directly", () => {
    const { b, fns, store } = arrayWithStore();
    const extra = b.node("closure", "onEvent");
    b.edge(store, extra, "internal", "3");
    const g = graphOf(b);
    const ctx = walkContext(g);
    const sub = groupRetainingPaths(g, ctx, [...fns, extra]).toSubgraph();
    expect(byClass(sub, "(array)")).toHaveLength(1);
    expect(sub.grouped!.patterns).toBe(2);
  });
});
