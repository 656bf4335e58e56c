import { afterAll, describe, it, expect } from "vitest";
import fc from "fast-check";
import type { Subgraph } from "../../src/query/types.js";
import { toDot } from "../../src/render/dot.js";
import { closeLayoutWorker, renderSvg } from "../../src/render/svg.js";
import { renderPng } from "../../src/render/png.js";
import { tokenizeXml, type XmlToken } from "../../src/render/svg-safety.js";
import { HOSTILE, hostileSubgraph } from "./hostile-strings.js";
import { decodeXmlEntities } from "../helpers/xml-text.js";

afterAll(closeLayoutWorker);

function textContent(svg: string, tokens: XmlToken[]): string {
  const decode = decodeXmlEntities;
  return tokens
    .filter((t) => t.kind === "text")
    .map((t) => decode(svg.slice(t.start, t.end)))
    .join("\n");
}

/** The guarantees, whatever the heap held. */
function checkSvg(svg: string, sub: Subgraph): XmlToken[] {
  const tokens = tokenizeXml(svg); // well-formed XML, legal characters only
  expect(svg).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/);
  expect(svg).not.toMatch(/javascript:/i);
  expect(svg).not.toMatch(/<\s*script/i);
  expect(svg).not.toMatch(/\son[a-z]+\s*=/i);
  for (const t of tokens) {
    if (t.kind !== "open") continue;
    expect(t.name).not.toMatch(/^(script|foreignObject|iframe|image)$/i);
    for (const a of t.attrs) {
      expect(a.name).not.toMatch(/^on/i);
      expect(a.name).not.toMatch(/href$/);
    }
  }
  const distinctEdges = new Set(sub.edges.map((e) => `${e.from} ${e.to} ${e.type} ${typeof e.name} ${e.name}`));
  expect(svg.match(/class="node"/g)?.length ?? 0).toBe(sub.nodes.length + sub.placeholders.length);
  expect(svg.match(/class="edge"/g)?.length ?? 0).toBe(distinctEdges.size + sub.placeholders.length);
  return tokens;
}

describe("hostile strings", () => {
  it("lay out, stay inside their labels, and come out safe and readable", async () => {
    const sub = hostileSubgraph(HOSTILE);
    const svg = await renderSvg(toDot(sub));
    const tokens = checkSvg(svg, sub);
    const text = textContent(svg, tokens);
    // Shown as written, not expanded or swallowed.
    for (const s of ["C:\\temp\\", "<anonymous>", "\\N", "\\G", "\\l", "<b>x</b>", 'say "hi"', "ends with a backslash\\"]) {
      expect(text).toContain(s);
    }
    expect(text).toContain("<x>]; evil [label=<PWNED> URL=<javascri\u2026");
    expect(text).toContain("caf\u00e9 \u4e2d \ud83d\ude00 \ufffdevil");
    expect(text).toContain("1,234 more retainers");
    // The root's module file is cut at its start, to fit its label.
    expect(text).toContain("module \u2026" + "x".repeat(32));
    // A function's script: from its package on, cut at its start to fit.
    expect(text).toContain("\u2026RL=<javascript");
    expect(text).toContain(">]; y [label=<y>");
    expect(text).toContain("2 more matching objects not drawn (--max-targets)");
    expect(svg).not.toMatch(/<PWNED|URL=["<]/);
    // resvg's strict XML parser accepts it too.
    const png = await renderPng(svg, { scale: 0.5 });
    expect(png.length).toBeGreaterThan(100);
  });

  it("random Unicode names and edge names keep the guarantees", async () => {
    const hostileChar = fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), // lone surrogates too
      fc.constantFrom(
        "\\",
        "<",
        ">",
        "&",
        '"',
        "'",
        "\n",
        "\u0000",
        "[",
        "]",
        "{",
        "}",
        ";",
        "=",
        ":",
        "-",
        "|",
        "javascript:",
        "<script>",
        " onload=",
        "\\N",
        "&#0;",
        "]]>",
        "<B>",
        "<BR/>",
      ),
    );
    const hostileString = fc.string({ unit: hostileChar, maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(fc.array(hostileString, { minLength: 1, maxLength: 4 }), async (strings) => {
        const sub = hostileSubgraph(strings);
        checkSvg(await renderSvg(toDot(sub)), sub);
      }),
      { numRuns: 50 },
    );
  });
});
