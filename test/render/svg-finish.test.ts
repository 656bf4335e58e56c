/**
 * SVGs that behave in other people's pages: a font list that degrades well, ids of their own, and a
 * title and description that say what the picture shows. (How they look without DejaVu Sans is
 * checked by eye with scripts/check-svg-fonts.mjs.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { RenderError } from "../../src/errors.js";
import type { Subgraph } from "../../src/query/types.js";
import { describeSubgraph } from "../../src/render/describe.js";
import { toDot } from "../../src/render/dot.js";
import { renderPng } from "../../src/render/png.js";
import { SVG_FONT_FAMILY } from "../../src/render/svg-finish.js";
import { closeLayoutWorker, renderSvg } from "../../src/render/svg.js";
import { tokenizeXml } from "../../src/render/svg-safety.js";
import { HOSTILE, hostileSubgraph } from "./hostile-strings.js";
import { sampleSubgraph } from "./sample-subgraph.js";
import { decodeXmlEntities } from "../helpers/xml-text.js";

afterAll(closeLayoutWorker);

const decode = decodeXmlEntities;

/** The `<svg>` element's attributes and its first children, read with our XML tokenizer. */
function outline(svg: string) {
  const tokens = tokenizeXml(svg);
  const open = tokens.filter((t) => t.kind === "open");
  const root = open[0]!;
  expect(root.name).toBe("svg");
  const attrs = Object.fromEntries(root.attrs.map((a) => [a.name, decode(a.value)]));
  const textOf = (name: string) => {
    const i = tokens.findIndex((t) => t.kind === "open" && t.name === name);
    const text = tokens[i + 1];
    return text?.kind === "text" ? decode(svg.slice(text.start, text.end)) : "";
  };
  const idOf = (t: (typeof open)[number]) => t.attrs.filter((a) => a.name === "id").map((a) => decode(a.value));
  const firstChildren = open.slice(1, 3).map((t) => ({ name: t.name, id: idOf(t)[0] }));
  const ids = open.flatMap(idOf);
  return { attrs, firstChildren, title: textOf("title"), desc: textOf("desc"), ids };
}

/** Two targets of one class held through a Map from `global`, and a third of another class. */
function threeTargets(): Subgraph {
  const sub = sampleSubgraph();
  sub.nodes.push(
    {
      id: 12347,
      className: "LeakyThing",
      type: "object",
      name: "LeakyThing",
      selfSize: 8,
      isTarget: true,
      isRoot: false,
      depth: 0,
      onPath: false,
    },
    { id: 12349, className: "Other", type: "object", name: "Other", selfSize: 8, isTarget: true, isRoot: false, depth: 0, onPath: false },
  );
  sub.edges.push(
    { from: 8001, to: 12347, type: "element", name: 4, onPath: false },
    { from: 8001, to: 12349, type: "element", name: 5, onPath: false },
  );
  sub.targets.push(12347, 12349);
  sub.limitsReached = { ...sub.limitsReached, targetsOmitted: 7 };
  return sub;
}

describe("SVG in other people's pages", () => {
  it("every text names a font list that starts with DejaVu Sans and degrades to sans-serif", async () => {
    const svg = await renderSvg(toDot(sampleSubgraph()));
    const families = [...svg.matchAll(/font-family="([^"]*)"/g)].map((m) => m[1]);
    expect(families.length).toBeGreaterThan(10);
    expect(new Set(families)).toEqual(new Set([SVG_FONT_FAMILY]));
    expect(SVG_FONT_FAMILY.split(",")[0]).toBe("DejaVu Sans");
    expect(SVG_FONT_FAMILY.split(",").at(-1)).toBe("sans-serif");
  });

  it("the legend's dominator mark is a glyph common fonts have (U+2666, in WGL4), not U+25C6", async () => {
    const svg = await renderSvg(toDot(sampleSubgraph()));
    expect(svg).toContain("\u2666 dominator edge");
    expect(svg).not.toContain("\u25c6");
  });

  it("has role=img and a <title> and <desc> first, saying what it shows", async () => {
    const svg = await renderSvg(toDot(threeTargets()));
    const o = outline(svg);
    expect(o.attrs.role).toBe("img");
    expect(o.firstChildren.map((c) => c.name)).toEqual(["title", "desc"]);
    expect(o.attrs["aria-labelledby"]).toBe(o.firstChildren[0]!.id);
    expect(o.attrs["aria-describedby"]).toBe(o.firstChildren[1]!.id);
    expect(o.title).toBe("What retains 3 objects (2 LeakyThing, 1 Other)");
    expect(o.desc).toContain("Retainer graph of 3 objects: LeakyThing @12345, @12347; Other @12349 (10 matched; 7 not drawn).");
    expect(o.desc).toContain("Held from the root (GC roots) @3.");
    const sample = sampleSubgraph();
    expect(o.desc).toContain(`${sample.nodes.length + 2} boxes and ${sample.edges.length + 2} references drawn`);
    // No leftover comment carrying the description.
    expect(svg).not.toContain("backrefs-desc");
  });

  it("one target: its class and id in the title", () => {
    expect(describeSubgraph(sampleSubgraph()).title).toBe("What retains LeakyThing @12345");
    const many = sampleSubgraph();
    many.targets = [];
    expect(describeSubgraph(many).title).toBe("What retains the chosen objects (none drawn)");
  });

  it("a grouped picture counts the objects its boxes stand for, and names heap ids, not group ids", () => {
    const sub = sampleSubgraph();
    const target = sub.nodes.find((n) => n.id === 12345)!;
    Object.assign(target, { id: -5, isGroup: true, count: 201, objectIds: [88399, 88395] });
    sub.targets = [-5];
    for (const e of sub.edges) if (e.to === 12345) e.to = -5;
    sub.grouped = { targets: 201, patterns: 3, patternsDrawn: 2, rootTargets: 0 };
    const text = describeSubgraph(sub);
    expect(text.title).toBe("What retains 201 LeakyThing objects");
    expect(text.description).toContain(
      "Retainer graph of 201 objects: LeakyThing @88399, @88395, and 199 more, grouped by retaining path (3 patterns, 2 drawn).",
    );
    expect(text.description).not.toContain("@-5");
  });

  it("hostile class names reach the title and description as text, sanitised and cut, never as markup", async () => {
    const svg = await renderSvg(toDot(hostileSubgraph(["a\u0000b\ud800 <x>]; evil [label=<PWNED>", ...HOSTILE])));
    const o = outline(svg);
    expect(o.title).toBe("What retains a\ufffdb\ufffd <x>]; evil [label=<PWNED> @1");
    const text = describeSubgraph(hostileSubgraph(["C:\\temp\\ <b>x</b> & \\N"]));
    expect(text.title).toBe("What retains C:\\temp\\ <b>x</b> & \\N @1");
    const svg2 = await renderSvg(toDot(hostileSubgraph(["C:\\temp\\ <b>x</b> & \\N -- -->", "javascript:alert(1)"])));
    const o2 = outline(svg2);
    expect(o2.title).toBe("What retains C:\\temp\\ <b>x</b> & \\N -- --> @1");
    expect(o2.desc).toContain("javascript:alert(1) @");
    expect(svg2).not.toMatch(/javascript:/);
  });

  it("ids: the same for the same picture, disjoint between two pictures, or set by the caller", async () => {
    const a = outline(await renderSvg(toDot(sampleSubgraph()))).ids;
    const a2 = outline(await renderSvg(toDot(sampleSubgraph()))).ids;
    const b = outline(await renderSvg(toDot(threeTargets()))).ids;
    expect(a).toEqual(a2);
    expect(a.length).toBeGreaterThan(20);
    expect(new Set(a).size).toBe(a.length);
    expect(a.filter((id) => b.includes(id))).toEqual([]);
    expect(a.filter((id) => !/^(a_)?br_[0-9a-f]{8}(_|$)/.test(id))).toEqual([]);

    const mine = outline(await renderSvg(toDot(sampleSubgraph(), { idPrefix: "fig-2" }))).ids;
    expect(mine.filter((id) => !/^(a_)?fig-2(_|$)/.test(id))).toEqual([]);
    expect(() => toDot(sampleSubgraph(), { idPrefix: 'x" onload="1' })).toThrow(RenderError);
    expect(() => toDot(sampleSubgraph(), { idPrefix: "" })).toThrow(RenderError);
  });

  it("the PNG still draws its text in DejaVu Sans, whatever the SVG's font list", async () => {
    const svg = await renderSvg(toDot(sampleSubgraph()));
    const bare = svg.replaceAll(`font-family="${SVG_FONT_FAMILY}"`, 'font-family="DejaVu Sans"');
    expect(bare).not.toBe(svg);
    expect(Buffer.from(await renderPng(svg)).equals(Buffer.from(await renderPng(bare)))).toBe(true);
  });
});
