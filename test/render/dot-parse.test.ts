/**
 * Every DOT text we write, read back by an independent parser (ts-graphviz's `fromDot`, a PEG
 * grammar of the DOT language that shares no code with our emitter): it must parse, hold exactly the
 * nodes and edges the subgraph asks for, and give back each label's text as the heap held it
 * (sanitised, never expanded or cut short by an escape). ts-graphviz's printer is not used to write
 * our DOT (see the comment at the top of src/render/dot.ts); its parser is a fair judge of it.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { fromDot } from "ts-graphviz";
import type { Subgraph, SubgraphNode } from "../../src/query/types.js";
import { toDot, type ToDotOptions } from "../../src/render/dot.js";
import { edgeLabel, moduleText, sanitizeText, truncateText } from "../../src/render/format.js";
import { HOSTILE, hostileSubgraph } from "./hostile-strings.js";
import { sampleSubgraph } from "./sample-subgraph.js";

interface ParsedNode {
  id: string;
  label: string[];
  tooltip: string[] | undefined;
}
interface ParsedEdge {
  from: string;
  to: string;
  label: string[] | undefined;
}

/** Parse with ts-graphviz and turn every label and tooltip back into plain text lines. */
function parseDot(dot: string): { nodes: Map<string, ParsedNode>; edges: ParsedEdge[]; caption: string[] | undefined } {
  const g = fromDot(dot);
  expect(g.directed).toBe(true);
  expect(g.subgraphs).toHaveLength(0);
  const nodes = new Map<string, ParsedNode>();
  for (const n of g.nodes) {
    expect(nodes.has(n.id), `node ${n.id} declared twice`).toBe(false);
    const label = n.attributes.get("label");
    expect(typeof label).toBe("string");
    const tooltip = n.attributes.get("tooltip");
    nodes.set(n.id, {
      id: n.id,
      label: htmlLabelLines(label as string),
      tooltip: tooltip === undefined ? undefined : tooltipLines(String(tooltip)),
    });
  }
  const edges: ParsedEdge[] = [];
  for (const e of g.edges) {
    expect(e.targets).toHaveLength(2);
    const [from, to] = e.targets.map((t) => {
      expect("id" in t, "edge ends are plain node ids").toBe(true);
      return (t as { id: string }).id;
    });
    const label = e.attributes.get("label") ?? e.attributes.get("xlabel");
    edges.push({ from: from!, to: to!, label: label === undefined ? undefined : htmlLabelLines(String(label)) });
  }
  const caption = g.attributes.graph.get("label");
  return { nodes, edges, caption: caption === undefined ? undefined : htmlLabelLines(String(caption)) };
}

/**
 * The text of an HTML-like label `<…>`, one entry per line. Only the markup we write may appear
 * (`<B>`, `<FONT …>`, `<BR …/>`); any other `<` or `>` would be heap text that escaped its escaping.
 * Inside the label, `\\` stands for one backslash (Graphviz's escString rule), so a single `\`
 * left over would be expanded by Graphviz (`\N`, `\G`…).
 */
function htmlLabelLines(value: string): string[] {
  expect(value.startsWith("<") && value.endsWith(">"), `HTML-like label: ${value}`).toBe(true);
  const inner = value.slice(1, -1);
  return inner.split(/<BR(?: ALIGN="LEFT")?\/>/).map((line) => {
    const text = line.replace(/<\/?B>|<FONT(?: POINT-SIZE="\d+")?(?: COLOR="#[0-9a-f]{6}")?>|<\/FONT>/g, "");
    expect(text, "no markup but ours").not.toMatch(/[<>]/);
    expect(text, "every backslash doubled").toMatch(/^(?:[^\\]|\\\\)*$/);
    return decodeEntities(text.replace(/\\\\/g, "\\"));
  });
}

/** A tooltip: `\` is written as four backslashes (two rounds of escString), newlines as `&#10;`. */
function tooltipLines(value: string): string[] {
  expect(value, "every backslash quadrupled").toMatch(/^(?:[^\\]|\\\\\\\\)*$/);
  expect(value, "no raw quote").not.toContain('"');
  return value
    .replace(/\\\\\\\\/g, "\\")
    .split("&#10;")
    .map((line) => {
      expect(line).not.toMatch(/[<>]/);
      return decodeEntities(line);
    });
}

function decodeEntities(text: string): string {
  expect(text.replace(/&(?:amp|lt|gt|quot);/g, ""), "no other references").not.toContain("&");
  return text.replace(/&(amp|lt|gt|quot);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"' })[e]!);
}

/** What a label line must read for a heap string: sanitised, cut to the label length, nothing else. */
function shown(text: string, max: number): string {
  return truncateText(sanitizeText(text), max);
}

/**
 * Parse `toDot(sub)` and check it against the subgraph: exactly one DOT node per object and per
 * placeholder, exactly the subgraph's distinct edges plus one per placeholder, and every label's text.
 */
function checkAgainstSubgraph(sub: Subgraph, opts: ToDotOptions = {}): void {
  const max = opts.maxLabelLength ?? 40;
  const dot = toDot(sub, opts);
  const parsed = parseDot(dot);

  // Objects: the details line "@<id>  …" says which heap object a synthetic id stands for.
  const byHeapId = new Map<number, SubgraphNode>(sub.nodes.map((n) => [n.id, n]));
  const dotIdToHeapId = new Map<string, number>();
  const placeholderIds: string[] = [];
  for (const node of parsed.nodes.values()) {
    if (/^p\d+$/.test(node.id)) {
      placeholderIds.push(node.id);
      continue;
    }
    expect(node.id).toMatch(/^n\d+$/);
    const details = node.label.find((l) => /^@\d+ {2}/.test(l));
    expect(details, `details line of ${node.id}`).toBeDefined();
    const heapId = Number(/^@(\d+)/.exec(details!)![1]);
    const heapNode = byHeapId.get(heapId);
    expect(heapNode, `@${heapId} is in the subgraph`).toBeDefined();
    expect([...dotIdToHeapId.values()]).not.toContain(heapId);
    dotIdToHeapId.set(node.id, heapId);

    const className = heapNode!.className === "" ? `(${heapNode!.type || "object"})` : heapNode!.className;
    expect(node.label[0]).toBe(shown(className, max));
    // A module's record shows its file (cut at its start to fit) in place of any other preview.
    if (heapNode!.module !== undefined) expect(node.label).toContain(shown(moduleText(heapNode!.module, Math.max(1, max - 7)), max));
    else if (heapNode!.type === "closure") expect(node.label).toContain(shown(`${heapNode!.name || "(anonymous)"}()`, max));
    else if (heapNode!.type === "regexp") expect(node.label).toContain(shown(`/${heapNode!.name}/`, max));
    if (opts.tooltips ?? true) {
      expect(node.tooltip?.[0]).toBe(shown(`${heapNode!.className} @${heapId}`, 200));
    } else {
      expect(node.tooltip).toBeUndefined();
    }
  }
  expect(new Set(dotIdToHeapId.values())).toEqual(new Set(sub.nodes.map((n) => n.id)));
  expect(placeholderIds.sort()).toEqual(sub.placeholders.map((_, i) => `p${i}`).sort());

  // Edges between objects: the subgraph's distinct edges, each with its DevTools-style label.
  const expected = new Map<string, number>();
  const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  const seen = new Set<string>();
  for (const e of sub.edges) {
    const key = `${e.from} ${e.to} ${e.type} ${typeof e.name} ${e.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    count(expected, `${e.from}->${e.to} ${opts.edgeLabels === "none" ? "" : shown(edgeLabel(e.type, e.name), max)}`);
  }
  const actual = new Map<string, number>();
  const placeholderEdges: string[] = [];
  for (const e of parsed.edges) {
    expect(parsed.nodes.has(e.from), `${e.from} declared`).toBe(true);
    expect(parsed.nodes.has(e.to), `${e.to} declared`).toBe(true);
    if (e.from.startsWith("p") || e.to.startsWith("p")) {
      expect(e.label).toBeUndefined();
      placeholderEdges.push(`${e.from}->${e.to}`);
      continue;
    }
    if (e.label !== undefined) expect(e.label).toHaveLength(1);
    count(actual, `${dotIdToHeapId.get(e.from)}->${dotIdToHeapId.get(e.to)} ${e.label?.[0] ?? ""}`);
  }
  expect(actual).toEqual(expected);
  const placeholderTargets = placeholderEdges.filter((e) => e.startsWith("p")).map((e) => dotIdToHeapId.get(e.split("->")[1]!));
  expect(placeholderTargets.sort()).toEqual(sub.placeholders.map((p) => p.of).sort());
}

describe("the DOT we write, read by ts-graphviz's parser", () => {
  it("the sample picture: every object, edge and label", () => {
    checkAgainstSubgraph(sampleSubgraph());
    const parsed = parseDot(toDot(sampleSubgraph()));
    const labels = parsed.edges.map((e) => e.label?.[0]);
    expect(labels).toEqual(expect.arrayContaining(["{global_object}", ".cache", "{table}", "[3]", "->thing", "[[weak]]"]));
    expect(parsed.caption).toBeDefined();
  });

  it("hostile heap strings: the labels give back exactly the text, never more nodes or edges", () => {
    const sub = hostileSubgraph(HOSTILE);
    checkAgainstSubgraph(sub, { maxLabelLength: 1000 });
    checkAgainstSubgraph(sub); // cut to 40 characters, with the cut never splitting an escape
    checkAgainstSubgraph(sub, { edgeLabels: "xlabel", tooltips: false });
    checkAgainstSubgraph(sub, { edgeLabels: "none" });

    // The strings that broke ts-graphviz's own printer come back whole.
    const text = [...parseDot(toDot(sub, { maxLabelLength: 1000 })).nodes.values()].flatMap((n) => n.label);
    for (const s of [
      "C:\\temp\\",
      "ends with a backslash\\",
      "<anonymous>",
      "\\N",
      "<x>]; evil [label=<PWNED> URL=<javascript:alert(1)>]; y [label=<y>",
    ]) {
      expect(text).toContain(s);
    }
  });

  it("random Unicode class and edge names", () => {
    const hostileChar = fc.oneof(
      fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), // lone surrogates too
      fc.constantFrom("\\", "\\\\", "<", ">", "&", "&amp;", '"', "\n", "[", "]", "{", "}", ";", "=", "->", "--", "<BR/>", "\\N"),
    );
    const hostileString = fc.string({ unit: hostileChar, maxLength: 50 });
    fc.assert(
      fc.property(fc.array(hostileString, { minLength: 1, maxLength: 6 }), fc.integer({ min: 4, max: 60 }), (strings, max) => {
        checkAgainstSubgraph(hostileSubgraph(strings), { maxLabelLength: max });
      }),
      { numRuns: 60 },
    );
  });
});
