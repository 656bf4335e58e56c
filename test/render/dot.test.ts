import { describe, it, expect } from "vitest";
import { RenderError } from "../../src/errors.js";
import type { Subgraph } from "../../src/query/types.js";
import { toDot } from "../../src/render/dot.js";
import { sampleSubgraph } from "./sample-subgraph.js";

/**
 *   (GC roots) @3
 *        │ .holder   (on the path, dominator)
 *     Holder @7 ◄── 2 more retainers (--max-nodes)
 *        │ [0]       (on the path)
 *     Leak @9        target
 */
function tiny(): Subgraph {
  return {
    targets: [9],
    nodes: [
      {
        id: 9,
        className: "Leak",
        type: "object",
        name: "Leak",
        selfSize: 48,
        retainedSize: 1234,
        isTarget: true,
        isRoot: false,
        depth: 0,
        onPath: true,
      },
      {
        id: 3,
        className: "(GC roots)",
        type: "synthetic",
        name: "(GC roots)",
        selfSize: 0,
        isTarget: false,
        isRoot: true,
        depth: 2,
        onPath: true,
      },
      { id: 7, className: "Holder", type: "object", name: "Holder", selfSize: 32, isTarget: false, isRoot: false, depth: 1, onPath: true },
    ],
    edges: [
      { from: 3, to: 7, type: "property", name: "holder", onPath: true, isDominatorEdge: true },
      { from: 7, to: 9, type: "element", name: 0, onPath: true },
    ],
    placeholders: [{ of: 7, count: 2, reason: "max-nodes" }],
    limitsReached: { targetsOmitted: 3, tooMany: 0, maxNodes: 2, depth: 0, noPath: 0, pathHops: 0 },
  };
}

describe("toDot", () => {
  it("writes the tiny graph", () => {
    expect(toDot(tiny())).toMatchInlineSnapshot(`
      "digraph <What retains Leak @9> {
        graph [id="br_90bcf5b3"];
        graph [comment=<backrefs description: Retainer graph of 1 object: Leak @9 (4 matched; 3 not drawn). Held from the root (GC roots) @3. 3 boxes and 2 references drawn; arrows point from the retainer to the object it retains, thick arrows are shortest retaining paths from a root.>];
        graph [rankdir="TB", charset="UTF-8", fontname="DejaVu Sans", fontsize="10", bgcolor="#ffffff", nodesep="0.3", ranksep="0.45", pad="0.2"];
        node [fontname="DejaVu Sans", fontsize="11", shape="box", style="filled,rounded", color="#757575", fontcolor="#000000", fillcolor="#ffffff", margin="0.12,0.05"];
        edge [fontname="DejaVu Sans", fontsize="9", color="#9e9e9e", fontcolor="#616161", arrowsize="0.7"];
        graph [label=<3 more matching objects not drawn (--max-targets)<BR ALIGN="LEFT"/>thick arrows: shortest retaining path from a root<BR ALIGN="LEFT"/>♦ dominator edge: removing that reference frees the retained size<BR ALIGN="LEFT"/>>, labelloc="b", labeljust="l", fontcolor="#424242", fontsize="9"];
        n0 [label=<<FONT COLOR="#b71c1c"><B>Leak</B></FONT><BR/><FONT POINT-SIZE="9" COLOR="#424242">@9  48 B · retained 1.2 kB</FONT>>, fillcolor="#ffebee", color="#c62828", penwidth="2.5", tooltip="Leak @9&#10;self 48 B, retained 1.2 kB&#10;target"];
        n1 [label=<<B>Holder</B><BR/><FONT POINT-SIZE="9" COLOR="#424242">@7  32 B</FONT>>, fillcolor="#e7eaec", penwidth="1.5", color="#212121", tooltip="Holder @7&#10;self 32 B"];
        n2 [label=<<FONT COLOR="#1b5e20"><B>(GC roots)</B></FONT><BR/><FONT POINT-SIZE="9" COLOR="#424242">@3  0 B</FONT>>, style="filled", peripheries="2", fillcolor="#c8e6c9", color="#2e7d32", tooltip="(GC roots) @3&#10;self 0 B"];
        p0 [label=<2 more retainers (--max-nodes)>, style="filled,dashed", fillcolor="#ffcdd2", color="#e53935", fontcolor="#b71c1c", fontsize="10", tooltip="2 more retainers (--max-nodes)"];
        n1 -> n0 [label=<<B>[0]</B>>, color="#212121", fontcolor="#000000", penwidth="2.5"];
        n2 -> n1 [label=<<B>.holder</B>>, color="#212121", fontcolor="#000000", penwidth="2.5", dir="both", arrowtail="diamond"];
        p0 -> n1 [style="dashed", color="#e57373"];
      }
      "
    `);
  });

  it("is deterministic and independent of input order", () => {
    const sub = sampleSubgraph();
    const shuffled: Subgraph = {
      ...sub,
      nodes: [...sub.nodes].reverse(),
      edges: [...sub.edges].reverse(),
      placeholders: [...sub.placeholders].reverse(),
    };
    expect(toDot(shuffled)).toBe(toDot(sub));
    expect(toDot(sub)).toBe(toDot(sampleSubgraph()));
  });

  it("uses synthetic ids only and numbers nodes by (depth, id)", () => {
    const dot = toDot(sampleSubgraph());
    const ids = [...dot.matchAll(/^ {2}([np]\d+) \[label=/gm)].map((m) => m[1]);
    expect(ids).toEqual(["n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8", "n9", "p0", "p1"]);
    for (const m of dot.matchAll(/^ {2}(\w+) -> (\w+)/gm)) {
      expect(m[1]).toMatch(/^[np]\d+$/);
      expect(m[2]).toMatch(/^n\d+$/);
    }
    // n0 is the target (depth 0), n9 the root (largest depth).
    expect(dot).toMatch(/^ {2}n0 \[label=<<FONT COLOR="#b71c1c"><B>LeakyThing<\/B>/m);
    expect(dot).toMatch(/^ {2}n9 \[label=<<FONT COLOR="#1b5e20"><B>\(GC roots\)<\/B>/m);
  });

  it("a placeholder says what it stands for: its largest groups, then how many others", () => {
    const sub = tiny();
    sub.placeholders = [
      {
        of: 7,
        count: 372,
        reason: "too-many",
        breakdown: [
          { count: 300, className: "NodeObject", edgeType: "property", edgeName: "parent" },
          { count: 51, className: "<b>Links</b>", edgeType: "element" },
          { count: 20, className: "SymbolLinks", edgeType: "property", edgeName: "type" },
          { count: 1, rest: true },
        ],
      },
    ];
    const dot = toDot(sub);
    const label = /p0 \[label=<(.*?)>, style/.exec(dot)![1]!;
    expect(label.split('<BR ALIGN="LEFT"/>').filter((l) => l !== "")).toEqual([
      "<B>372 more retainers</B>",
      "300 × NodeObject .parent",
      "51 × &lt;b&gt;Links&lt;/b&gt; […]",
      "21 others",
    ]);
    expect(dot).toContain(
      'tooltip="372 more retainers&#10;300 × NodeObject .parent&#10;51 × &lt;b&gt;Links&lt;/b&gt; […]&#10;20 × SymbolLinks .type&#10;1 other"',
    );
  });

  it("draws placeholders as their own boxes pointing at the cut node", () => {
    const dot = toDot(sampleSubgraph());
    expect(dot).toContain("p0 [label=<37 more retainers>");
    expect(dot).toContain("p1 [label=<4 retainers beyond --depth>");
    expect(dot).toMatch(/p0 -> n0 \[/);
    const one = toDot({ ...tiny(), placeholders: [{ of: 9, count: 1, reason: "too-many" }] });
    expect(one).toContain("p0 [label=<1 more retainer>");
  });

  it("marks weak/shortcut edges dashed, path edges thick, dominator edges with a tail diamond", () => {
    const dot = toDot(sampleSubgraph());
    expect(dot).toMatch(/n1 -> n0 \[label=<\[\[weak\]\]>, style="dashed"\]/);
    const path = dot.split("\n").filter((l) => / -> /.test(l) && l.includes('penwidth="2.5"'));
    expect(path).toHaveLength(5);
    const dominators = dot.split("\n").filter((l) => l.includes('arrowtail="diamond"'));
    expect(dominators).toHaveLength(3);
  });

  it("sets the DejaVu Sans font on graph, nodes and edges", () => {
    const dot = toDot(tiny());
    expect(dot).toMatch(/graph \[[^\]]*fontname="DejaVu Sans"/);
    expect(dot).toMatch(/node \[[^\]]*fontname="DejaVu Sans"/);
    expect(dot).toMatch(/edge \[[^\]]*fontname="DejaVu Sans"/);
  });

  it("previews strings, closures and raw names, truncated", () => {
    const long = "x".repeat(100);
    const dot = toDot({
      ...tiny(),
      nodes: [
        ...tiny().nodes,
        {
          id: 11,
          className: "(string)",
          type: "string",
          name: `line1\n${long}`,
          selfSize: 120,
          isTarget: false,
          isRoot: false,
          depth: 1,
          onPath: false,
        },
        { id: 13, className: "Function", type: "closure", name: "", selfSize: 64, isTarget: false, isRoot: false, depth: 1, onPath: false },
      ],
    });
    expect(dot).toContain(`&quot;line1\\\\n${"x".repeat(31)}\u2026`);
    expect(dot).toContain("(anonymous)()");
  });

  it("names a function's file on its box, or once under the picture when every box would name the same one", () => {
    const fn = (id: number, name: string, script?: string): Subgraph["nodes"][number] => ({
      id,
      className: "Function",
      type: "closure",
      name,
      selfSize: 64,
      isTarget: false,
      isRoot: false,
      depth: 1,
      onPath: false,
      ...(script === undefined ? {} : { script }),
    });
    const withFunctions = (...fns: Array<Subgraph["nodes"][number]>): Subgraph => ({ ...tiny(), nodes: [...tiny().nodes, ...fns] });
    const app = "/home/ada/app/src/server.js";
    // Boxes whose label (up to its first attribute, the tooltip after it) names the file.
    const boxLines = (dot: string) => dot.split("\n").filter((l) => /^ {2}n\d+ \[label=<((?!>, ).)*src\/(server|other)\.js/.test(l)).length;
    const caption = (dot: string) => /graph \[label=<([^\n]*)>, labelloc/.exec(dot)?.[1] ?? "";

    // Two functions of one file: said once, under the picture; each tooltip still says it.
    const one = toDot(withFunctions(fn(20, "onData", app), fn(21, "onEnd", app)));
    expect(boxLines(one)).toBe(0);
    expect(caption(one)).toContain("functions: code in src/server.js<BR");
    expect(one.match(/tooltip="[^"]*in src\/server\.js/g)).toHaveLength(2);
    // Node's own functions and one whose file is not known do not stop it: the caption says so.
    const mixed = toDot(
      withFunctions(fn(20, "onData", app), fn(21, "onEnd", app), fn(22, "listOnTimeout", "node:internal/timers"), fn(23, "native_bind")),
    );
    expect(boxLines(mixed)).toBe(0);
    expect(caption(mixed)).toContain(
      "functions: code in src/server.js, Node's own in node: scripts (named in the tooltips), or no file named in the snapshot",
    );
    // Two files: each box names its own, and the caption none.
    const two = toDot(withFunctions(fn(20, "onData", app), fn(21, "onEnd", "/home/ada/app/src/other.js")));
    expect(boxLines(two)).toBe(2);
    expect(caption(two)).not.toContain("functions:");
    // A single function: on its box.
    const single = toDot(withFunctions(fn(20, "onData", app)));
    expect(boxLines(single)).toBe(1);
    expect(caption(single)).not.toContain("functions:");
  });

  it("names a grouped arrow of many property names `.*`, and a property named * as such", () => {
    const keyed = (count: number | undefined): Subgraph => {
      const sub = tiny();
      sub.edges[0] = { ...sub.edges[0]!, name: "*", ...(count !== undefined ? { count } : {}) };
      return sub;
    };
    const grouped = toDot(keyed(20));
    expect(grouped).toContain("n2 -> n1 [label=<<B>.*</B> \u00d720>");
    expect(grouped).toContain(".*: properties of more than two names");
    // One object's own property called "*" (no count: not a grouped picture).
    const plain = toDot(keyed(undefined));
    expect(plain).toContain("n2 -> n1 [label=<<B>[&quot;*&quot;]</B>>");
    expect(plain).not.toContain("properties of more than two names");
    // Element indices merged read `[*]`, as the README explains, with no legend line.
    const elements = keyed(20);
    elements.edges[0] = { ...elements.edges[0]!, type: "element" };
    expect(toDot(elements)).toContain("[*]</B> \u00d720");
    expect(toDot(elements)).not.toContain("properties of more than two names");
  });

  it("can leave out tooltips, edge labels and the legend", () => {
    const dot = toDot(sampleSubgraph(), { tooltips: false, edgeLabels: "none", legend: false });
    expect(dot).not.toContain("tooltip=");
    expect(dot).not.toMatch(/ -> [^\n]*label=/);
    expect(dot).not.toContain("labelloc");
    expect(toDot(sampleSubgraph(), { edgeLabels: "xlabel" })).toMatch(/n6 -> n4 \[xlabel=<<B>\.cache<\/B>>/);
  });

  it("refuses edges and placeholders that point outside the subgraph", () => {
    const bad = tiny();
    bad.edges.push({ from: 3, to: 999, type: "property", name: "x", onPath: false });
    expect(() => toDot(bad)).toThrow(RenderError);
    const bad2 = tiny();
    bad2.placeholders.push({ of: 999, count: 1, reason: "depth" });
    expect(() => toDot(bad2)).toThrow(/@999/);
  });

  it("keeps hostile text inside HTML labels", () => {
    const payload = "<x>]; evil [label=<PWNED> URL=<javascript:alert(1)>]; y [label=<y>";
    const dot = toDot({
      ...tiny(),
      nodes: tiny().nodes.map((n) => (n.id === 7 ? { ...n, className: payload, name: "C:\\temp\\" } : n)),
    });
    expect(dot).not.toContain("<PWNED>");
    expect(dot).not.toMatch(/URL=[<"]/);
    expect(dot).toContain("&lt;x&gt;]; evil [label=&lt;PWNED&gt;");
    expect(dot).toContain("C:\\\\temp\\\\");
    // Every statement line still starts with a synthetic id or a keyword.
    for (const line of dot.split("\n").slice(1, -2)) expect(line).toMatch(/^ {2}(graph|node|edge|[np]\d+) /);
  });
});
