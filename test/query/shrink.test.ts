/**
 * Fewer boxes for a picture that does not fit a screen: what may be taken out (breadth first, never
 * a target or a shortest path), and that every object taken out is still counted in a "more" box.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { walkContext } from "../../src/query/backrefs.js";
import { groupRetainingPaths } from "../../src/query/group.js";
import { boxCount, keepFirstTargets, shrinkSubgraph } from "../../src/query/shrink.js";
import type { Subgraph } from "../../src/query/types.js";
import { graphOf } from "../helpers/load.js";
import { withGlobal, walk, sumCounts, accounted } from "../helpers/subgraphs.js";

/** Checks what every shrunk picture must keep, against the picture it came from. */
function expectShrunkFrom(small: Subgraph, big: Subgraph): void {
  const ids = new Set(small.nodes.map((n) => n.id));
  // Targets and shortest paths stay; edges and boxes only refer to drawn objects.
  for (const n of big.nodes) if (n.isTarget || n.onPath) expect(ids.has(n.id)).toBe(true);
  for (const e of big.edges) if (e.onPath) expect(small.edges).toContainEqual(e);
  for (const e of small.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
  for (const p of small.placeholders) expect(ids.has(p.of)).toBe(true);
  // Nothing silently: each kept object's retainers, drawn or counted, are as many as before.
  const before = accounted(big);
  for (const [id, n] of accounted(small)) expect(n, `@${id}`).toBe(before.get(id));
  for (const p of small.placeholders) expect(sumCounts(p.breakdown)).toBe(p.count);
  expect(small.limitsReached.droppedToFit).toBe(big.nodes.length - small.nodes.length);
  // Every drawn object still leads to a target.
  const down = new Map<number, number[]>();
  for (const e of small.edges) (down.get(e.from) ?? down.set(e.from, []).get(e.from)!).push(e.to);
  const reaches = (id: number, seen = new Set<number>()): boolean => {
    if (small.targets.includes(id)) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return (down.get(id) ?? []).some((t) => reaches(t, seen));
  };
  for (const n of small.nodes) expect(reaches(n.id), `@${n.id}`).toBe(true);
}

describe("shrinkSubgraph", () => {
  /** A target with a path from global, `n` direct holders, each with 3 holders of its own. */
  function bushy(n = 8) {
    const { b, global } = withGlobal();
    const t = b.node("object", "Target");
    const owner = b.node("object", "Owner");
    b.edge(global, owner, "property", "owner").edge(owner, t, "property", "target");
    const pool = b.node("array", "Pool");
    b.edge(global, pool, "property", "pool");
    const holders: number[] = [];
    const upper: number[] = [];
    for (let i = 0; i < n; i++) {
      const h = b.node("object", "Holder");
      b.edge(h, t, "property", "t");
      holders.push(h);
      for (let k = 0; k < 3; k++) {
        const u = b.node("object", k === 0 ? "Upper" : "Other");
        b.edge(pool, u, "element", i * 3 + k).edge(u, h, "property", `h${k}`);
        upper.push(u);
      }
    }
    return { g: graphOf(b), t, owner, holders, upper };
  }

  it("takes out the top of the breadth first and counts each object in the box of what it held", () => {
    const { g, t, holders, upper } = bushy(4);
    const big = walk(g, [t]);
    // Every holder and the objects above them are drawn.
    for (const u of [...holders, ...upper]) expect(big.nodes.some((n) => n.id === g.nodeId(u))).toBe(true);
    const small = shrinkSubgraph(big, boxCount(big) - 2)!;
    expect(boxCount(small)).toBeLessThanOrEqual(boxCount(big) - 2);
    expectShrunkFrom(small, big);
    // The holders of the target are all still there: only objects above them went.
    const ids = new Set(small.nodes.map((n) => n.id));
    for (const h of holders) if (big.nodes.some((n) => n.id === g.nodeId(h))) expect(ids.has(g.nodeId(h))).toBe(true);
    const gone = big.nodes.filter((n) => !ids.has(n.id));
    expect(gone.length).toBeGreaterThan(0);
    for (const n of gone) expect(["Upper", "Other", "Pool"]).toContain(n.className);
    // The box of a holder that lost a retainer names it.
    const lost = gone.find((n) => n.className !== "Pool")!;
    const heldId = big.edges.find((e) => e.from === lost.id)!.to;
    const box = small.placeholders.find((p) => p.of === heldId)!;
    expect(box.reason).toBe("max-nodes");
    expect(box.breakdown!.some((grp) => grp.className === lost.className && grp.edgeType === "property")).toBe(true);
  });

  it("can go down to the targets and their paths, and no further", () => {
    const { g, t } = bushy();
    const big = walk(g, [t]);
    const small = shrinkSubgraph(big, 1)!;
    expectShrunkFrom(small, big);
    expect(small.nodes.every((n) => n.isTarget || n.onPath)).toBe(true);
    // The target's box now counts all its other holders: 8 Holder .t.
    const box = small.placeholders.find((p) => p.of === g.nodeId(t))!;
    expect(box.count).toBe(8);
    expect(box.breakdown).toEqual([{ count: 8, className: "Holder", edgeType: "property", edgeName: "t" }]);
    // Nothing more to take out.
    expect(shrinkSubgraph(small, 1)).toBeNull();
  });

  it("is deterministic and leaves its input alone", () => {
    const { g, t } = bushy();
    const big = walk(g, [t]);
    const copy = structuredClone(big);
    const a = shrinkSubgraph(big, 12);
    expect(big).toEqual(copy);
    expect(shrinkSubgraph(big, 12)).toEqual(a);
  });

  it("leaves grouped pictures alone (every box there is on a pattern)", () => {
    const { g, holders } = bushy();
    const ctx = walkContext(g);
    const sub = groupRetainingPaths(g, ctx, holders).toSubgraph();
    expect(shrinkSubgraph(sub, 1)).toBeNull();
  });

  it("on random graphs: keeps targets and paths, accounts for every retainer, every object still leads to a target", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 30 }),
        fc.array(fc.tuple(fc.nat(29), fc.nat(29), fc.constantFrom("property", "element")), { maxLength: 90 }),
        fc.array(fc.nat(29), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 40 }),
        (n, edgeSpec, targetSpec, maxBoxes) => {
          const { b, global } = withGlobal();
          const nodes = Array.from({ length: n }, (_, i) => b.node("object", `C${i % 3}`));
          b.edge(global, nodes[0]!, "property", "first");
          edgeSpec.forEach(([f, t, type], i) => b.edge(nodes[f % n]!, nodes[t % n]!, type, type === "element" ? i : `p${i}`));
          const g = graphOf(b);
          const targets = [...new Set(targetSpec.map((t) => nodes[t % n]!))];
          const big = walk(g, targets, { maxNodes: 30 });
          const small = shrinkSubgraph(big, maxBoxes);
          if (!small) {
            // Nothing could go: everything drawn is a target or on a path, or it already fit.
            expect(boxCount(big) <= maxBoxes || big.nodes.every((x) => x.isTarget || x.onPath)).toBe(true);
            return;
          }
          expectShrunkFrom(small, big);
          const floor = shrinkSubgraph(big, 0) ?? big;
          expect(boxCount(small)).toBeLessThanOrEqual(Math.max(maxBoxes, boxCount(floor)));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("keepFirstTargets", () => {
  /** Second's path passes through First; Third has a path of its own; Extra holds First off the path. */
  function three() {
    const { b, global } = withGlobal();
    const owner = b.node("object", "Owner");
    const first = b.node("object", "First");
    const second = b.node("object", "Second");
    const other = b.node("object", "OtherOwner");
    const third = b.node("object", "Third");
    const pool = b.node("array", "Pool");
    const extra = b.node("object", "Extra");
    b.edge(global, owner, "property", "owner").edge(owner, first, "property", "first").edge(first, second, "property", "second");
    b.edge(global, other, "property", "other").edge(other, third, "property", "third");
    b.edge(global, pool, "property", "pool").edge(pool, extra, "element", 0).edge(extra, first, "property", "also");
    return { g: graphOf(b), first, second, third, extra, other };
  }

  it("keeps the first targets with their paths (and any target on them), and counts the others", () => {
    const { g, first, second, third, other } = three();
    const big = walk(g, [second, third, first]);
    const small = keepFirstTargets(big, 1)!;
    const id = (o: number) => g.nodeId(o);
    // Second is kept; First lies on its path, so it is drawn and stays a target; Third goes.
    expect(small.targets).toEqual([id(second), id(first)]);
    expect(small.limitsReached.targetsDroppedToFit).toBe(1);
    const ids = new Set(small.nodes.map((n) => n.id));
    expect(ids.has(id(third))).toBe(false);
    expect(ids.has(id(other))).toBe(false);
    expect(
      small.nodes
        .filter((n) => n.isTarget)
        .map((n) => n.id)
        .sort(),
    ).toEqual([id(first), id(second)].sort());
    // Edges and boxes only refer to drawn objects, and each drawn object has as many retainers, drawn or counted, as before.
    for (const p of small.placeholders) expect(ids.has(p.of)).toBe(true);
    expect(small.limitsReached.droppedToFit).toBeUndefined();
    for (const e of small.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
    const before = accounted(big);
    for (const [n, count] of accounted(small)) expect(count, `@${n}`).toBe(before.get(n));
    // Only the kept paths are drawn thick.
    for (const e of small.edges.filter((x) => x.onPath)) expect(small.nodes.find((n) => n.id === e.to)!.onPath).toBe(true);
    expect(small.edges.some((e) => e.onPath && e.from === id(other))).toBe(false);
  });

  it("returns null when there is nothing to leave out, and is deterministic", () => {
    const { g, first, second, third } = three();
    const big = walk(g, [second, third, first]);
    expect(keepFirstTargets(big, 3)).toBeNull();
    expect(keepFirstTargets(big, 0)).toBeNull();
    const copy = JSON.stringify(big);
    expect(JSON.stringify(keepFirstTargets(big, 2))).toBe(JSON.stringify(keepFirstTargets(big, 2)));
    expect(JSON.stringify(big)).toBe(copy);
  });
});
