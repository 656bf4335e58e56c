import { describe, expect, it } from "vitest";
import { walkContext } from "../../src/query/backrefs.js";
import { whyAlive } from "../../src/query/paths.js";
import { formatWhyText } from "../../src/render/paths-text.js";
import { functionIn, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/**
 *   root ─shortcut→ global ─.cache→ Map ─{table}→ T
 *                   global ─.bus→ Bus ─[0]→ fn ─{context}→ ctx ─->req→ T
 *                   global ─.weak→ WeakRef ─[[weak]]→ T
 */
function leak(): { b: SnapshotBuilder; global: number; map: number; T: number; ctx: number } {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global", { selfSize: 10 });
  const map = b.node("object", "Map", { selfSize: 10 });
  const bus = b.node("object", "Bus", { selfSize: 10 });
  const fn = b.node("closure", "onData", { selfSize: 10 });
  const ctx = b.node("object", "system / Context", { selfSize: 10 });
  const wr = b.node("object", "WeakRef", { selfSize: 10 });
  const T = b.node("object", "Req", { selfSize: 100 });
  b.edge(b.root, global, "shortcut", "global");
  b.edge(global, map, "property", "cache").edge(map, T, "internal", "table");
  b.edge(global, bus, "property", "bus").edge(bus, fn, "element", 0).edge(fn, ctx, "context", "context").edge(ctx, T, "context", "req");
  b.edge(global, wr, "property", "weak").edge(wr, T, "weak", "target");
  return { b, global, map, T, ctx };
}

describe("whyAlive", () => {
  it("gives K distinct shortest paths, shortest first, and the dominator chain", () => {
    const { b, T } = leak();
    const g = graphOf(b);
    const [w] = whyAlive(g, walkContext(g), [T], 3);
    expect(w!.className).toBe("Req");
    expect(w!.distance).toBe(3);
    expect(w!.directRetainers).toBe(2);
    // only two strong paths exist (the weak one never counts)
    expect(w!.paths).toHaveLength(2);
    expect(w!.morePaths).toBe(false);
    expect(w!.paths[0]!.map((h) => `${h.from.className}${h.edgeType === "internal" ? `{${h.edgeName}}` : `.${h.edgeName}`}`)).toEqual([
      "global.cache",
      "Map{table}",
    ]);
    expect(w!.paths[1]!.map((h) => h.from.name)).toEqual(["global", "Bus", "onData", "system / Context"]);
    // two paths: only global (and the root) dominate it
    expect(w!.dominatorId).toBe(g.nodeId(1 + 1));
    expect(w!.dominators!.map((d) => d.name)).toEqual(["global", ""]);
    expect(w!.retainedSize).toBe(100);
  });

  it("says when more paths keep it alive than the K asked for, and not when K are all there are", () => {
    const { b, T } = leak();
    const g = graphOf(b);
    const ctx = walkContext(g);
    const [one] = whyAlive(g, ctx, [T], 1);
    expect(one!.paths).toHaveLength(1);
    expect(one!.morePaths).toBe(true);
    expect(one!.pathsBeyond).toBe(true);
    const [two] = whyAlive(g, ctx, [T], 2);
    expect(two!.paths).toHaveLength(2);
    expect(two!.morePaths).toBe(false);
    // The text says "of N" only for all the paths there are, and how to see the others.
    expect(formatWhyText([one!])).toMatch(/ {2}path 1:\n[\s\S]* {2}more paths: another object holds it too \(--paths 2 shows both\)\n/);
    expect(formatWhyText([one!])).not.toMatch(/path 1 of/);
    const both = formatWhyText([two!]);
    expect(both).toMatch(/path 1 of 2:[\s\S]*path 2 of 2:/);
    expect(both).not.toMatch(/more paths/);
  });

  it("names the script of each function on the path, in the data and, short, in the text", () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    const fn = functionIn(b, "onData", "/home/ada/app/node_modules/bus/lib/index.js");
    const ctx = b.node("object", "system / Context");
    const T = b.node("object", "Req");
    b.edge(b.root, global, "shortcut", "global").edge(global, fn, "property", "onData");
    b.edge(fn, ctx, "context", "context").edge(ctx, T, "context", "req");
    const g = graphOf(b);
    const [w] = whyAlive(g, walkContext(g), [T], 1);
    const froms = w!.paths[0]!.map((h) => h.from);
    expect(froms.map((f) => f.script)).toEqual([undefined, "/home/ada/app/node_modules/bus/lib/index.js", undefined]);
    expect(formatWhyText([w!])).toMatch(/└─ \.onData → Function onData @\d+ .* in bus\/lib\/index\.js\n/);
  });

  it("does not call the paths all when an object holding it is reached through it first (a cycle)", () => {
    // root → Window → A → T; T → R → T; Window → B → C → D → R: R's shortest path runs through T,
    // yet R holds T through Window → B → C → D → R without it.
    const b = new SnapshotBuilder();
    const win = b.node("object", "Window");
    const [A, T, R, B, C, D] = ["A", "Target", "R", "B", "C", "D"].map((n) => b.node("object", n)) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    b.edge(b.root, win, "shortcut", "window");
    b.edge(win, A, "property", "a").edge(A, T, "property", "t").edge(T, R, "property", "r").edge(R, T, "property", "back");
    b.edge(win, B, "property", "b").edge(B, C, "property", "c").edge(C, D, "property", "d").edge(D, R, "property", "r");
    const g = graphOf(b);
    const [w] = whyAlive(g, walkContext(g), [T], 3);
    expect(w!.directRetainers).toBe(2);
    expect(w!.paths).toHaveLength(1);
    expect(w!.morePaths).toBe(true);
    expect(w!.heldInCycle).toBe(1);
    const text = formatWhyText([w!]);
    expect(text).not.toMatch(/path 1 of/);
    expect(text).toMatch(/more paths may exist: 1 other object holds it directly/);
  });

  it("calls the one path all when the other object holding it is reached only through it (a pure cycle)", () => {
    // root → Window → A → T; T → R → T, and nothing else holds R: R keeps T alive only while T is.
    const b = new SnapshotBuilder();
    const win = b.node("object", "Window");
    const [A, T, R] = ["A", "Target", "R"].map((n) => b.node("object", n)) as [number, number, number];
    b.edge(b.root, win, "shortcut", "window");
    b.edge(win, A, "property", "a").edge(A, T, "property", "t").edge(T, R, "property", "r").edge(R, T, "property", "back");
    const g = graphOf(b);
    for (const retained of [true, false]) {
      const [w] = whyAlive(g, walkContext(g, { retained }), [T], 3);
      expect(w!.directRetainers).toBe(2);
      expect(w!.paths).toHaveLength(1);
      expect(w!.morePaths).toBe(false);
      expect(w!.heldInCycle).toBeUndefined();
      const text = formatWhyText([w!]);
      expect(text).toMatch(/ {2}path 1 of 1:\n/);
      expect(text).not.toMatch(/more paths/);
    }
  });

  it("calls the one path all for an owner whose list of items each points back at it, and whose items something else holds too", () => {
    // root → Window → Owner; Owner.head → item0 ⇄ item1 ⇄ … (next/prev), each item.owner → Owner:
    // every item is held only through the Owner (a retainer of it, reached through it). One more
    // object outside holds the last item: that one may hold the Owner another way.
    const ownerWithItems = (heldOutside: boolean) => {
      const b = new SnapshotBuilder();
      const win = b.node("object", "Window");
      const T = b.node("object", "Owner");
      b.edge(b.root, win, "shortcut", "window").edge(win, T, "property", "owner");
      const items = Array.from({ length: 400 }, () => b.node("object", "Item"));
      b.edge(T, items[0]!, "property", "head");
      items.forEach((item, i) => {
        b.edge(item, T, "property", "owner");
        if (i > 0) b.edge(item, items[i - 1]!, "property", "prev").edge(items[i - 1]!, item, "property", "next");
      });
      if (heldOutside) {
        const side = b.node("object", "Side");
        b.edge(win, side, "property", "side").edge(side, side, "property", "self");
        for (let i = 0; i < 3; i++) b.edge(side, b.node("object", "Pad"), "property", `p${i}`);
        const deep = b.node("object", "Deep");
        b.edge(side, deep, "property", "deep").edge(deep, items[399]!, "property", "last");
      }
      const g = graphOf(b);
      return whyAlive(g, walkContext(g), [T], 3)[0]!;
    };
    const w = ownerWithItems(false);
    expect(w.directRetainers).toBe(401);
    expect(w.paths).toHaveLength(1);
    expect(w.morePaths).toBe(false);
    expect(w.heldInCycle).toBeUndefined();
    // The same heap with the last item also held from the window: that item reaches the Owner
    // without passing through it.
    const w2 = ownerWithItems(true);
    expect(w2.paths.length + (w2.heldInCycle ?? 0)).toBeGreaterThan(1);
    expect(w2.morePaths).toBe(true);
  });

  it("does not count an object in the cycle that elsewhere only a weak reference holds", () => {
    // As above, plus Window → WeakRef ⇢ R (weak): a weak reference keeps nothing alive. (Held
    // strongly from elsewhere, R is counted: the cycle test above.)
    const b = new SnapshotBuilder();
    const win = b.node("object", "Window");
    const [A, T, R, W] = ["A", "Target", "R", "WeakRef"].map((n) => b.node("object", n)) as [number, number, number, number];
    b.edge(b.root, win, "shortcut", "window");
    b.edge(win, A, "property", "a").edge(A, T, "property", "t").edge(T, R, "property", "r").edge(R, T, "property", "back");
    b.edge(win, W, "property", "w").edge(W, R, "weak", "target");
    const g = graphOf(b);
    const [w] = whyAlive(g, walkContext(g), [T], 3);
    expect(w!.paths).toHaveLength(1);
    expect(w!.morePaths).toBe(false);
    expect(w!.heldInCycle).toBeUndefined();
  });

  it("without retained sizes gives paths but no dominators", () => {
    const { b, T } = leak();
    const g = graphOf(b);
    const [w] = whyAlive(g, walkContext(g, { retained: false }), [T], 1);
    expect(w!.paths).toHaveLength(1);
    expect(w!.dominators).toBeUndefined();
    expect(w!.retainedSize).toBeUndefined();
  });
});
