/**
 * Hostile strings through the whole pipeline: JSON round-trips them exactly; DOT, SVG and text
 * never let them out of their place.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultBackrefsOptions, retainerSubgraph, walkContext } from "../../src/query/backrefs.js";
import { whyAlive } from "../../src/query/paths.js";
import { formatWhyText } from "../../src/render/paths-text.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

const hostile = fc.oneof(
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom(
    "\\",
    "C:\\temp\\",
    "\\N",
    "\\G",
    "\\l",
    "<anonymous>",
    "<b>x</b>",
    "javascript:alert(1)",
    "<script>alert(1)</script>",
    '"quoted"',
    "\u0000\u001b[31mred",
    "\ud800",
    "\udfff\ud800",
    "\ufffe\uffff",
    "<x>]; evil [label=<PWNED> URL=<javascript:alert(1)>]; y [label=<y>",
    "x".repeat(1024),
  ),
);

describe("hostile strings end to end", () => {
  it("JSON output round-trips every name and edge name exactly; text output stays one object per line", () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (cls, prop, value) => {
        const b = new SnapshotBuilder();
        const global = b.node("object", "global");
        b.edge(b.root, global, "shortcut", "global");
        const holder = b.node("object", cls);
        const str = b.node("string", value);
        b.edge(global, holder, "property", prop).edge(holder, str, "property", prop);
        const g = graphOf(b);
        const ctx = walkContext(g);
        const sub = retainerSubgraph(g, ctx, [str], defaultBackrefsOptions);
        const back = JSON.parse(JSON.stringify(sub));
        expect(back.nodes.find((n: { isTarget: boolean }) => n.isTarget).name).toBe(value);
        expect(back.nodes.map((n: { name: string }) => n.name)).toContain(cls);
        expect(back.edges.map((e: { name: string }) => e.name)).toContain(prop);
        const text = formatWhyText(whyAlive(g, ctx, [str], 1));
        // nothing from the heap can break a line, ring a bell or start a terminal escape
        expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
        // header, "path 1 of 1", three path lines, "dominated by", three dominators
        expect(text.split("\n").filter((l) => l.trim() !== "").length).toBe(9);
      }),
      { numRuns: 150 },
    );
  });
});
