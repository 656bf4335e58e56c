import { describe, expect, it } from "vitest";
import { defaultBackrefsOptions, retainerSubgraph, walkContext } from "../../src/query/backrefs.js";
import { foldChains } from "../../src/query/fold.js";
import { retainingPaths } from "../../src/query/paths.js";
import { formatPathsText } from "../../src/render/paths-text.js";
import { toDot } from "../../src/render/dot.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/** global ─.list→ List ─.first→ Node ─.next→ Node … (n nodes) ─.value→ Payload */
function list(n: number) {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global");
  b.edge(b.root, global, "shortcut", "global");
  const head = b.node("object", "List");
  b.edge(global, head, "property", "list");
  let prev = head;
  let name = "first";
  const nodes: number[] = [];
  for (let i = 0; i < n; i++) {
    const node = b.node("object", "Node");
    b.edge(prev, node, "property", name);
    nodes.push(node);
    prev = node;
    name = "next";
  }
  const payload = b.node("object", "Payload");
  b.edge(prev, payload, "property", "value");
  return { b, nodes, payload };
}

describe("chain folding in per-object pictures and text", () => {
  it("folds a linked list on the path into one node with its length", () => {
    const { b, nodes, payload } = list(10);
    const g = graphOf(b);
    const ctx = walkContext(g);
    const sub = foldChains(retainerSubgraph(g, ctx, [payload], { ...defaultBackrefsOptions, pathOnly: true }));
    expect(sub.nodes.map((n) => n.className)).toEqual(["Payload", "Node", "List", "global"]);
    const chain = sub.nodes.find((n) => n.className === "Node")!;
    expect(chain).toMatchObject({ id: b.nodes[nodes[0]!]!.id, chainLength: 10, chainEdge: { type: "property", name: "next" } });
    expect(chain.objectIds).toHaveLength(5);
    // The edge out of the list's last object now leaves the folded node.
    expect(sub.edges.find((e) => e.to === b.nodes[payload]!.id)).toMatchObject({ from: chain.id, name: "value" });
    expect(toDot(sub)).toContain("×10 via .next");
  });

  it("leaves short runs, and runs with other retainers drawn, alone", () => {
    const { b, payload } = list(2);
    const g = graphOf(b);
    const ctx = walkContext(g);
    const sub = retainerSubgraph(g, ctx, [payload], { ...defaultBackrefsOptions, pathOnly: true });
    expect(foldChains(sub)).toBe(sub);
    const long = list(6);
    const g2 = graphOf(long.b);
    // depth 10: every inner node of the list also shows its other retainers (none here), so it folds;
    // a breadth walk that draws a second retainer into the middle keeps the run apart.
    const extra = long.b.node("object", "Spy");
    long.b.edge(long.b.gcRoots, extra, "element", 5).edge(extra, long.nodes[3]!, "property", "watch");
    const g3 = graphOf(long.b);
    const wide = foldChains(retainerSubgraph(g3, walkContext(g3), [long.payload], { ...defaultBackrefsOptions, depth: 10 }));
    const kept = wide.nodes.filter((n) => n.className === "Node");
    expect(kept.every((n) => (n.chainLength ?? 0) < 6)).toBe(true);
    expect(g2.nodeCount).toBeGreaterThan(0);
  });

  it("prints a run as one line in the text paths", () => {
    const { b, nodes, payload } = list(10);
    const g = graphOf(b);
    const text = formatPathsText(retainingPaths(g, walkContext(g), [payload]));
    expect(text).toContain(`└─ .first → Node ×10 via .next @${b.nodes[nodes[0]!]!.id} … @${b.nodes[nodes[9]!]!.id}`);
    expect(text).toMatch(/└─ \.value → Payload @\d+/);
    expect(text.split("\n").filter((l) => l.includes("Node"))).toHaveLength(1);
  });
});
