/**
 * The retainer picture as Graphviz DOT text.
 *
 * Why a hand-written emitter and not ts-graphviz's model + `toDot`: ts-graphviz (3.0.7, checked)
 * does not escape backslashes and emits any attribute value of the form `<...>` raw as an HTML
 * label, so a heap string such as `C:\temp\` breaks the file and
 * `<x>]; evil [label=<PWNED> URL=<javascript:…>]` adds nodes and links (docs/rendering.md). Making
 * it safe would mean pre-escaping every value for a printer we do not control, and re-checking that
 * on every upgrade. (ts-graphviz stays a test-only dependency: its parser reads back every DOT we
 * write, in test/render/dot-parse.test.ts.) The DOT we need is small and regular, so we write it
 * ourselves and can state the rule that makes it safe:
 *
 * 1. Node ids are synthetic (`n0`, `n1`… for heap objects, `p0`, `p1`… for "N more" boxes); no
 *    heap string is ever an id.
 * 2. Every attribute value we write ourselves (colours, shapes, numbers) comes from constants in
 *    this file and goes through {@link attr}, which refuses anything outside a tiny safe alphabet.
 * 3. Heap text reaches the DOT in exactly two places, both built here:
 *    - HTML-like labels (`label=<…>`): text is sanitised ({@link sanitizeText}: control characters,
 *      lone surrogates, U+FFFE/U+FFFF → U+FFFD), then `& < > "` become entities and `\` is
 *      doubled (Graphviz expands `\N`, `\G`, `\E`… even inside HTML labels; `\\` prints one `\`).
 *      With no raw `<` or `>` left, the DOT lexer cannot leave the label.
 *    - tooltips (`tooltip="…"`): same, but `\` becomes four backslashes (the value goes through
 *      Graphviz's escString expansion twice), and `"` is written `&quot;` so no `\"` is needed.
 *      Non-ASCII stays raw UTF-8: Graphviz mangles astral-plane numeric entities in tooltips.
 *
 * Reading the picture (also written in the caption when it helps):
 * - arrows go from retainer to retained (`edge.from → edge.to`); `rankdir=TB`, so GC roots sit at
 *   the top and the targets at the bottom, and a retaining path reads downwards;
 * - targets: thick red border, red bold class name, pale red fill;
 * - roots (`isRoot`): green, square-cornered double border (objgraph draws modules green);
 * - other objects: rounded boxes shaded from white (next to the targets) to grey (far from them),
 *   as objgraph does, kept light enough for black text;
 * - "N more retainers" boxes: dashed, red-ish, pointing at the node whose retainers were cut;
 * - edges on a shortest retaining path (`onPath`): thick and near-black, everything else thin grey;
 * - weak and shortcut edges: dashed;
 * - dominator edges (`isDominatorEdge`): a filled diamond at the retainer's end, like UML's
 *   composition ("owns") diamond — the retainer is the immediate dominator, so cutting that edge
 *   frees the retained object's whole retained size.
 */
import { RenderError } from "../errors.js";
import type { PlaceholderGroup, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "../query/types.js";
import { describeSubgraph } from "./describe.js";
import { isRuntimeScript } from "../query/generic-classes.js";
import { edgeLabel, formatBytes, formatCount, moduleText, sanitizeText, scriptText, truncateText } from "./format.js";
import { groupEdgeLabel, MANY_NAMES } from "./grouped-text.js";
import { DESCRIPTION_MARKER } from "./svg-finish.js";

export interface ToDotOptions {
  /** Longest text on one label line, in characters, before it is cut with `…` (default 40). */
  maxLabelLength?: number;
  /**
   * Hover tooltips in the SVG with the longer text (class, name up to 200 characters, id, sizes,
   * distance). Default `true`.
   */
  tooltips?: boolean;
  /**
   * How edge names are placed. `"label"` gives the tidiest layout but Graphviz lays labels out as
   * extra nodes (about 4× slower on 2000 nodes); `"xlabel"` places them after layout; `"none"` drops
   * them. `"auto"` (default) uses `"label"` up to 600 edges and `"xlabel"` above.
   */
  edgeLabels?: "auto" | "label" | "xlabel" | "none";
  /**
   * A short key under the picture (one line per mark: thick path arrows, dominator diamonds, dashed
   * weak/shortcut edges), listing only the marks the graph uses. Default `true`.
   */
  legend?: boolean;
  /**
   * Layout direction: `"TB"` (default) puts the roots at the top and the targets at the bottom;
   * `"LR"` puts the roots on the left, stacking each level's boxes in a column (much narrower
   * for wide, shallow graphs). {@link layoutToFit} chooses.
   */
  rankdir?: "TB" | "LR";
  /**
   * Graphviz's `ratio`: the drawing's height / width, reached by spreading the layout in one
   * direction (more room between boxes, never smaller text). Unset by default.
   */
  ratio?: number;
  /**
   * Fold wide levels over this many ranks (default 1: no folding): the "N more" boxes are spread
   * over `stagger` ranks above the object they belong to (the i-th box's edge gets `minlen`
   * i mod stagger + 1), and so are the objects of any level (same `depth`) of more than 6 objects
   * (through the `minlen` of their edges to the objects they retain).
   */
  stagger?: number;
  /**
   * Prefix of the SVG's element ids (Graphviz's graph `id`: nodes become `<prefix>_node1`…), so
   * that pictures inlined in one page do not share ids. Letters, digits, `_` and `-`, starting with
   * a letter. Default: `br_` and eight hex digits of a hash of the DOT text, the same for the same
   * picture and different for different ones.
   */
  idPrefix?: string;
}

const DEFAULT_MAX_LABEL = 40;
/** With `stagger`, levels of more objects than this are spread over several ranks. */
const WIDE_LEVEL = 6;
const TOOLTIP_MAX = 200;
const AUTO_XLABEL_ABOVE_EDGES = 600;

/** Colours and shapes, in one place. All values must pass {@link attr}'s alphabet. */
const STYLE = {
  font: "DejaVu Sans",
  nodeBorder: "#757575",
  nodeText: "#000000",
  detailText: "#424242",
  // Depth shading: white at the targets, this grey at the largest depth (still fine for black text).
  farFill: [0xcf, 0xd4, 0xd9] as const,
  targetFill: "#ffebee",
  targetBorder: "#c62828",
  targetText: "#b71c1c",
  rootFill: "#c8e6c9",
  rootBorder: "#2e7d32",
  rootText: "#1b5e20",
  placeholderFill: "#ffcdd2",
  placeholderBorder: "#e53935",
  placeholderText: "#b71c1c",
  edge: "#9e9e9e",
  edgeText: "#616161",
  pathEdge: "#212121",
  pathEdgeText: "#000000",
  placeholderEdge: "#e57373",
  newText: "#1565c0",
  // "Cut here" (grouped pictures with --new-since): where a path passes from old to new objects.
  cutEdge: "#e65100",
  cutText: "#bf360c",
} as const;

/**
 * Write the retainer subgraph as DOT. Same input, same bytes: nodes are numbered by (depth, heap
 * id), edges and placeholders sorted, no timestamps, no locale-dependent formatting.
 *
 * @throws {RenderError} when an edge or placeholder refers to a node that is not in `sub.nodes`.
 * @example
 * const dot = toDot(subgraph);
 * const svg = await renderSvg(dot);
 */
export function toDot(sub: Subgraph, opts: ToDotOptions = {}): string {
  const maxLabel = clampLabelLength(opts.maxLabelLength);
  const tooltips = opts.tooltips ?? true;

  // 1. Canonical node order and synthetic ids.
  const byId = new Map<number, SubgraphNode>();
  for (const node of sub.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  const nodes = [...byId.values()].sort((a, b) => a.depth - b.depth || a.id - b.id);
  const heapIdToDotId = new Map<number, string>();
  const heapIdToOrder = new Map<number, number>();
  nodes.forEach((node, i) => {
    heapIdToDotId.set(node.id, `n${i}`);
    heapIdToOrder.set(node.id, i);
  });
  const orderOf = (heapId: number, what: string): number => {
    const order = heapIdToOrder.get(heapId);
    if (order === undefined) {
      throw new RenderError(
        `${what} refers to object @${heapId}, which is not in the subgraph`,
        "this is a bug in the query layer; please report it",
      );
    }
    return order;
  };

  // 2. Edges: validated, exact duplicates dropped, sorted by (retained, retainer, type, name).
  const edgeKeys = new Set<string>();
  const edges: Array<{ edge: SubgraphEdge; from: number; to: number; name: string }> = [];
  for (const edge of sub.edges) {
    const from = orderOf(edge.from, "an edge");
    const to = orderOf(edge.to, "an edge");
    const name = String(edge.name);
    const key = `${from}\u0000${to}\u0000${edge.type}\u0000${typeof edge.name}\u0000${name}`;
    if (edgeKeys.has(key)) continue;
    edgeKeys.add(key);
    edges.push({ edge, from, to, name });
  }
  edges.sort((a, b) => a.to - b.to || a.from - b.from || compareStrings(a.edge.type, b.edge.type) || compareStrings(a.name, b.name));

  const placeholders = sub.placeholders
    .map((p) => ({ p, of: orderOf(p.of, "a placeholder"), after: p.after === undefined ? undefined : orderOf(p.after, "a placeholder") }))
    .sort((a, b) => a.of - b.of || REASONS.indexOf(a.p.reason) - REASONS.indexOf(b.p.reason) || a.p.count - b.p.count);

  const maxDepth = nodes.reduce((m, n) => (Number.isFinite(n.depth) ? Math.max(m, n.depth) : m), 0);
  const edgeLabelMode =
    opts.edgeLabels === undefined || opts.edgeLabels === "auto"
      ? edges.length > AUTO_XLABEL_ABOVE_EDGES
        ? "xlabel"
        : "label"
      : opts.edgeLabels;

  // 3. Emit. The graph is named after what it shows (Graphviz writes that as the SVG's <title>),
  // and its comment carries a longer description (turned into <desc> by finishSvg).
  const out: string[] = [];
  const { title, description } = describeSubgraph(sub);
  out.push(`digraph <${nameText(title)}> {`);
  out.push(`  graph [comment=<${nameText(DESCRIPTION_MARKER + description)}>];`);
  const graphAttrs: Attr[] = [
    ["rankdir", opts.rankdir === "LR" ? "LR" : "TB"],
    ["charset", "UTF-8"],
    ["fontname", STYLE.font],
    ["fontsize", "10"],
    ["bgcolor", "#ffffff"],
    ["nodesep", "0.3"],
    ["ranksep", "0.45"],
    ["pad", "0.2"],
  ];
  if (edgeLabelMode === "xlabel") graphAttrs.push(["forcelabels", "true"]);
  if (opts.ratio !== undefined && Number.isFinite(opts.ratio) && opts.ratio > 0) {
    graphAttrs.push(["ratio", Math.min(100, Math.max(0.01, opts.ratio)).toFixed(4)]);
  }
  out.push(`  graph [${attrs(graphAttrs)}];`);
  out.push(
    `  node [${attrs([
      ["fontname", STYLE.font],
      ["fontsize", "11"],
      ["shape", "box"],
      ["style", "filled,rounded"],
      ["color", STYLE.nodeBorder],
      ["fontcolor", STYLE.nodeText],
      ["fillcolor", "#ffffff"],
      ["margin", "0.12,0.05"],
    ])}];`,
  );
  out.push(
    `  edge [${attrs([
      ["fontname", STYLE.font],
      ["fontsize", "9"],
      ["color", STYLE.edge],
      ["fontcolor", STYLE.edgeText],
      ["arrowsize", "0.7"],
    ])}];`,
  );

  const caption = captionLines(sub);
  // Functions whose code is all in one file: said once, under the picture, not on every box.
  const shared = sharedScript(nodes);
  if (shared !== undefined) caption.push(sharedScriptLine(shared, nodes, maxLabel));
  if (opts.legend ?? true)
    caption.push(
      ...legendLines(
        edges.map((e) => e.edge),
        nodes,
      ),
    );
  if (caption.length > 0) {
    const html = caption.map(htmlText).join('<BR ALIGN="LEFT"/>') + '<BR ALIGN="LEFT"/>';
    const a: Attr[] = [
      ["labelloc", "b"],
      ["labeljust", "l"],
      ["fontcolor", STYLE.detailText],
      ["fontsize", "9"],
    ];
    out.push(`  graph [label=<${html}>, ${attrs(a)}];`);
  }

  for (const node of nodes) {
    const id = heapIdToDotId.get(node.id)!;
    const a: Attr[] = [];
    if (node.isTarget) {
      a.push(["fillcolor", STYLE.targetFill], ["color", STYLE.targetBorder], ["penwidth", "2.5"]);
    } else if (node.isRoot) {
      a.push(["style", "filled"], ["peripheries", "2"], ["fillcolor", STYLE.rootFill], ["color", STYLE.rootBorder]);
    } else {
      a.push(["fillcolor", depthFill(node.depth, maxDepth)]);
      if (node.onPath) a.push(["penwidth", "1.5"], ["color", STYLE.pathEdge]);
    }
    if (tooltips) a.push(["tooltip", { escaped: tooltipText(nodeTooltip(node)) }]);
    out.push(`  ${id} [label=<${nodeLabel(node, maxLabel, shared === undefined)}>, ${attrs(a)}];`);
  }

  placeholders.forEach(({ p }, i) => {
    const a: Attr[] = [
      ["style", "filled,dashed"],
      ["fillcolor", STYLE.placeholderFill],
      ["color", STYLE.placeholderBorder],
      ["fontcolor", STYLE.placeholderText],
      ["fontsize", "10"],
    ];
    if (tooltips) a.push(["tooltip", { escaped: tooltipText(placeholderTooltip(p)) }]);
    out.push(`  p${i} [label=<${placeholderLabel(p, maxLabel)}>, ${attrs(a)}];`);
  });

  // Folding wide levels: in a level (same depth) of more than WIDE_LEVEL objects, the j-th object's
  // edges down to the next levels get minlen j mod stagger + 1, so the level spreads over
  // `stagger` ranks instead of one.
  const stagger = Math.max(1, Math.min(5, Math.floor(opts.stagger ?? 1)));
  const lift = new Map<number, number>();
  if (stagger > 1) {
    const levels = new Map<number, number[]>();
    nodes.forEach((node, i) => {
      if (!Number.isFinite(node.depth)) return;
      const list = levels.get(node.depth) ?? [];
      list.push(i);
      levels.set(node.depth, list);
    });
    for (const list of levels.values()) {
      if (list.length > WIDE_LEVEL) list.forEach((i, j) => lift.set(i, (j % stagger) + 1));
    }
  }
  for (const { edge, from, to } of edges) {
    const a: Attr[] = [];
    const minlen = lift.get(from);
    if (minlen !== undefined && minlen > 1 && nodes[to]!.depth < nodes[from]!.depth) a.push(["minlen", String(minlen)]);
    if (edge.type === "weak" || edge.type === "shortcut") a.push(["style", "dashed"]);
    if (edge.onPath) a.push(["color", STYLE.pathEdge], ["fontcolor", STYLE.pathEdgeText], ["penwidth", "2.5"]);
    if (edge.isDominatorEdge) a.push(["dir", "both"], ["arrowtail", "diamond"]);
    if (edge.isCut) a.push(["color", STYLE.cutEdge], ["fontcolor", STYLE.cutText], ["penwidth", "3.5"]);
    let label = "";
    if (edgeLabelMode !== "none") {
      // Only an arrow of a grouped picture (it counts paths) stands for references of several names.
      const name = edge.count === undefined && edge.name === MANY_NAMES ? edgeLabel(edge.type, edge.name) : groupEdgeLabel(edge);
      const text = htmlText(truncateText(sanitizeText(name), maxLabel));
      let html = edge.onPath ? `<B>${text}</B>` : text;
      if (edge.count !== undefined) html += ` \u00d7${htmlText(formatCount(edge.count))}`;
      // Cut on some of the arrow's paths only (a list reached from both ends is cut at one place from each): how many.
      if (edge.isCut) {
        const some = edge.cutCount !== undefined && edge.count !== undefined && edge.cutCount < edge.count;
        html += `<BR/><B>cut here${some ? ` \u00d7${htmlText(formatCount(edge.cutCount!))}` : ""}</B>`;
      }
      label = `${edgeLabelMode === "xlabel" ? "xlabel" : "label"}=<${html}>`;
    }
    const list = [label, attrs(a)].filter((s) => s !== "").join(", ");
    out.push(`  n${from} -> n${to}${list ? ` [${list}]` : ""};`);
  }

  placeholders.forEach(({ of, after }, i) => {
    const list: Attr[] = [
      ["style", "dashed"],
      ["color", STYLE.placeholderEdge],
    ];
    if (stagger > 1 && after === undefined) list.push(["minlen", String((i % stagger) + 1)]);
    const a = attrs(list);
    // A gap in a long path sits between the two drawn ends of the path.
    if (after !== undefined) out.push(`  n${after} -> p${i} [${a}];`);
    out.push(`  p${i} -> n${of} [${a}];`);
  });

  out.push("}");
  const prefix = opts.idPrefix ?? `br_${fnv1a(out.join("\n"))}`;
  if (!ID_PREFIX.test(prefix)) {
    throw new RenderError(`invalid SVG id prefix ${JSON.stringify(prefix)}`, "use letters, digits, '_' and '-', starting with a letter");
  }
  out.splice(1, 0, `  graph [${attrs([["id", prefix]])}];`);
  return out.join("\n") + "\n";
}

const ID_PREFIX = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/** FNV-1a over UTF-16 code units, as 8 hex digits: a short, stable fingerprint of the DOT text. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

const REASONS: ReadonlyArray<SubgraphPlaceholder["reason"]> = ["too-many", "max-nodes", "depth", "path", "patterns"];

/** The text of an objgraph-style "N more" box. */
function placeholderText(p: SubgraphPlaceholder): string {
  const n = formatCount(p.count);
  const noun = p.count === 1 ? "retainer" : "retainers";
  switch (p.reason) {
    case "too-many":
      return `${n} more ${noun}`;
    case "max-nodes":
      return `${n} more ${noun} (--max-nodes)`;
    case "depth":
      return `${n} ${noun} beyond --depth`;
    case "path":
      return `… ${n} more object${p.count === 1 ? "" : "s"} on this retaining path …`;
    case "patterns": {
      const k = p.objects ?? 0;
      return `${n} more pattern${p.count === 1 ? "" : "s"} (${formatCount(k)} object${k === 1 ? "" : "s"})`;
    }
    default:
      return `${n} more ${noun}`;
  }
}

/** Breakdown lines drawn in a placeholder; the rest of its groups are summed on one more line. */
const BREAKDOWN_LINES = 2;

/** The edge of a breakdown group in DevTools' notation; an index-named group shows `[…]`/`{…}`. */
function groupEdge(g: PlaceholderGroup): string {
  if (g.edgeType === undefined) return "";
  if (g.edgeName !== undefined) return edgeLabel(g.edgeType, g.edgeName);
  switch (g.edgeType) {
    case "element":
    case "property":
      return "[…]";
    case "weak":
      return "[[weak]]";
    default:
      return "{…}";
  }
}

/** One line of a breakdown: `300 × NodeObject .parent`. */
function groupText(g: PlaceholderGroup, maxLabel: number): string {
  const what = truncateText(sanitizeText(g.className === undefined || g.className === "" ? "(object)" : g.className), maxLabel);
  const edge = truncateText(sanitizeText(groupEdge(g)), maxLabel);
  return `${formatCount(g.count)} × ${what}${edge ? ` ${edge}` : ""}`;
}

/**
 * An "N more" box: what was cut, then what it stands for, largest group first
 * (`300 × NodeObject .parent`), the remaining groups summed on a last line.
 */
function placeholderLabel(p: SubgraphPlaceholder, maxLabel: number): string {
  const groups = (p.breakdown ?? []).filter((g) => g.count > 0);
  const head = htmlText(placeholderText(p));
  const lines = [groups.length > 0 ? `<B>${head}</B>` : head];
  // A single group covering everything is still worth saying: it names the class and edge.
  const shown = groups.filter((g) => !g.rest).slice(0, BREAKDOWN_LINES);
  for (const g of shown) lines.push(htmlText(groupText(g, maxLabel)));
  const listed = shown.reduce((sum, g) => sum + g.count, 0);
  if (shown.length > 0 && listed < p.count) {
    const rest = p.count - listed;
    lines.push(htmlText(`${formatCount(rest)} other${rest === 1 ? "" : "s"}`));
  }
  return lines.join('<BR ALIGN="LEFT"/>') + (lines.length > 1 ? '<BR ALIGN="LEFT"/>' : "");
}

function placeholderTooltip(p: SubgraphPlaceholder): string {
  const lines = [placeholderText(p)];
  for (const g of p.breakdown ?? [])
    lines.push(g.rest ? `${formatCount(g.count)} other${g.count === 1 ? "" : "s"}` : groupText(g, TOOLTIP_MAX));
  return lines.map((l) => truncateText(sanitizeText(l), TOOLTIP_MAX)).join("\n");
}

/** Graph caption: what was cut that no placeholder box shows. Numbers only, no heap text. */
function captionLines(sub: Subgraph): string[] {
  const lines: string[] = [];
  const limits = sub.limitsReached;
  const grouped = sub.grouped;
  if (grouped) {
    const t = grouped.targets;
    const p = grouped.patterns;
    lines.push(
      `${formatCount(t)} matching ${t === 1 ? "object" : "objects"}, ${formatCount(p)} retaining ${p === 1 ? "pattern" : "patterns"}` +
        (grouped.patternsDrawn < p ? ` (${formatCount(grouped.patternsDrawn)} drawn, the most objects first)` : ""),
    );
    if (grouped.rootTargets > 0) lines.push(`${formatCount(grouped.rootTargets)} of them are roots themselves`);
  }
  if (limits && limits.targetsOmitted > 0) {
    const n = limits.targetsOmitted;
    lines.push(`${formatCount(n)} more matching ${n === 1 ? "object" : "objects"} not drawn (--max-targets)`);
  }
  if (limits && limits.droppedToFit) {
    const n = limits.droppedToFit;
    lines.push(
      `${formatCount(n)} ${n === 1 ? "object" : "objects"} left out to fit a screen (counted in the \u201cmore\u201d boxes; --max-nodes draws them)`,
    );
  }
  if (limits && limits.targetsDroppedToFit) {
    const n = limits.targetsDroppedToFit;
    lines.push(
      `${formatCount(n)} more ${n === 1 ? "target" : "targets"} not drawn: their shortest paths do not fit a screen (--max-nodes draws them)`,
    );
  }
  if (limits && limits.noPath > 0) {
    const n = limits.noPath;
    lines.push(`${formatCount(n)} ${n === 1 ? "target has" : "targets have"} no strong retaining path from a GC root`);
  }
  return lines;
}

/** Function boxes at least this many, their code all in one file, say it once in the caption. */
const SHARED_SCRIPT_BOXES = 2;

/**
 * The one file that the boxes of the functions drawn would all name (Node's own scripts and
 * functions with no known script aside: no box names a file for them), when there are at least
 * {@link SHARED_SCRIPT_BOXES} such boxes; undefined when they would name different files.
 */
function sharedScript(nodes: SubgraphNode[]): string | undefined {
  let shared: string | undefined;
  let boxes = 0;
  for (const node of nodes) {
    if (node.script === undefined || isRuntimeScript(node.script)) continue;
    if (shared !== undefined && node.script !== shared) return undefined;
    shared = node.script;
    boxes++;
  }
  return boxes >= SHARED_SCRIPT_BOXES ? shared : undefined;
}

/**
 * The caption's line for {@link sharedScript}: the file, short, as the boxes would name it, and
 * what holds for the other functions drawn (Node's own, or with no file known).
 */
function sharedScriptLine(script: string, nodes: SubgraphNode[], maxLabel: number): string {
  const functions = nodes.filter((n) => n.type === "closure");
  const runtime = functions.some((n) => n.script !== undefined && isRuntimeScript(n.script));
  const unknown = functions.some((n) => n.script === undefined);
  const file = truncateText(sanitizeText(scriptText(script, maxLabel)), maxLabel);
  return (
    `functions: code in ${file}` +
    (runtime ? ", Node's own in node: scripts (named in the tooltips)" : "") +
    (unknown ? ", or no file named in the snapshot" : "")
  );
}

/** The key to the picture's less obvious marks, one line each, only for marks that are present. */
function legendLines(edges: SubgraphEdge[], nodes: SubgraphNode[]): string[] {
  const lines: string[] = [];
  if (edges.some((e) => e.onPath)) lines.push("thick arrows: shortest retaining path from a root");
  if (edges.some((e) => e.isDominatorEdge)) lines.push("\u2666 dominator edge: removing that reference frees the retained size");
  if (edges.some((e) => e.type === "weak" || e.type === "shortcut")) lines.push("dashed: weak or shortcut reference");
  if (nodes.some((n) => n.isNew)) lines.push("NEW: allocated after the baseline snapshot");
  if (nodes.some((n) => n.isGroup)) {
    lines.push("each box: the objects of one class reached the same way; \u00d7N on an arrow: N targets' paths pass there");
  }
  if (nodes.some((n) => n.module !== undefined))
    lines.push("module: a loaded module, kept by its loader while the process (or test worker) runs; the loader's path above it left out");
  if (nodes.some((n) => n.chainLength !== undefined))
    lines.push("\u00d7N via .edge: a chain (linked list) of N objects folded into one box");
  if (edges.some((e) => e.count !== undefined && groupEdgeLabel(e) === ".*"))
    lines.push(".*: properties of more than two names (a dictionary's keys) drawn as one arrow");
  if (edges.some((e) => e.isCut)) {
    const some = edges.some((e) => e.isCut && e.cutCount !== undefined && e.count !== undefined && e.cutCount < e.count);
    lines.push(
      `orange arrow, cut here: the path passes from an object in the baseline to a new one${some ? " (cut here \u00d7N: for N of the arrow's paths)" : ""}`,
    );
  }
  return lines;
}

/** A short preview of what the object is, where the class name alone says little. */
function nodePreview(node: SubgraphNode, maxLabel: number): string | undefined {
  const { type, name, className } = node;
  // Cut at its start to fit the label: the file's own name stays.
  if (node.module !== undefined) return moduleText(node.module, Math.max(1, maxLabel - "module ".length));
  if (type === "string" || type === "concatenated string" || type === "sliced string") {
    // JSON quoting shows newlines as \n and lone surrogates as \udXXX instead of hiding them.
    return JSON.stringify(node.displayName ?? name);
  }
  // DevTools' own name for the object: a plain object's properties.
  if (node.displayName !== undefined) return node.displayName !== className ? node.displayName : undefined;
  if (type === "closure") {
    const fn = (n: string) => `${n === "" ? "(anonymous)" : n}()`;
    if (node.otherName !== undefined) return `${fn(name)} | ${fn(node.otherName)}`;
    // A group of closures with three or more names.
    if (node.isGroup && name === "") return undefined;
    return fn(name);
  }
  if (node.otherName !== undefined) return `${name} | ${node.otherName}`;
  if (type === "regexp") return `/${name}/`;
  if (name !== "" && name !== className) return name;
  return undefined;
}

function nodeLabel(node: SubgraphNode, maxLabel: number, scriptLine: boolean): string {
  const line = (s: string) => htmlText(truncateText(sanitizeText(s), maxLabel));
  const className = line(node.className === "" ? `(${node.type || "object"})` : node.className);
  const colour = node.isTarget ? STYLE.targetText : node.isRoot ? STYLE.rootText : undefined;
  const title = colour ? `<FONT COLOR="${colour}"><B>${className}</B></FONT>` : `<B>${className}</B>`;
  const parts = [title];
  // A folded chain (linked list): how long, and by which edge its objects hold each other.
  if (node.chainLength !== undefined && node.chainEdge) {
    parts.push(`<B>${line(`\u00d7${formatCount(node.chainLength)} via ${groupEdgeLabel(node.chainEdge)}`)}</B>`);
  }
  const preview = nodePreview(node, maxLabel);
  if (preview !== undefined) parts.push(`<FONT POINT-SIZE="10">${line(preview)}</FONT>`);
  // A function of the program or a package: where its code is (the file's own name kept when the
  // path is cut). Node's own functions (`node:timers`) go without, as in the text: the tooltip says it.
  // When every function's code is in one file, the caption says it instead ({@link sharedScript}).
  if (scriptLine && node.script !== undefined && !isRuntimeScript(node.script))
    parts.push(`<FONT POINT-SIZE="9" COLOR="${STYLE.detailText}">${line(scriptText(node.script, maxLabel))}</FONT>`);
  let details: string;
  if (node.isGroup) {
    const count = node.count ?? 0;
    details =
      count === 1 && node.objectIds?.length === 1
        ? `@${node.objectIds[0]}  ${formatBytes(node.selfSize)}`
        : `${formatCount(count)} objects · ${formatBytes(node.selfSize)}`;
  } else details = `@${node.id}  ${formatBytes(node.selfSize)}`;
  if (node.retainedSize !== undefined) details += ` · retained ${formatBytes(node.retainedSize)}`;
  parts.push(`<FONT POINT-SIZE="9" COLOR="${STYLE.detailText}">${htmlText(details)}</FONT>`);
  if (node.isNew) parts.push(`<FONT POINT-SIZE="9" COLOR="${STYLE.newText}"><B>NEW since baseline</B></FONT>`);
  else if (node.newCount)
    parts.push(`<FONT POINT-SIZE="9" COLOR="${STYLE.newText}">${htmlText(`${formatCount(node.newCount)} new since baseline`)}</FONT>`);
  return parts.join("<BR/>");
}

function nodeTooltip(node: SubgraphNode): string {
  const lines = [node.isGroup ? `${node.className} (${formatCount(node.count ?? 0)} objects)` : `${node.className} @${node.id}`];
  if (node.isGroup && node.objectIds?.length) lines.push(`e.g. ${node.objectIds.map((i) => `@${i}`).join(" ")}`);
  if (node.name !== "" && node.name !== node.className) lines.push(node.name);
  if (node.script !== undefined) lines.push(`in ${scriptText(node.script, TOOLTIP_MAX)}`);
  let sizes = `self ${formatBytes(node.selfSize)}`;
  if (node.retainedSize !== undefined) sizes += `, retained ${formatBytes(node.retainedSize)}`;
  if (node.distance !== undefined) sizes += `, distance ${node.distance}`;
  lines.push(sizes);
  if (node.isTarget) lines.push("target");
  if (node.isNew) lines.push("new since the baseline snapshot");
  // Each line on its own: sanitising first turns any newline inside heap text into U+FFFD.
  return lines.map((l) => truncateText(sanitizeText(l), TOOLTIP_MAX)).join("\n");
}

/**
 * Text for an HTML-string name or comment (`<…>` outside a label): entities only. Graphviz does not
 * expand backslashes there (it writes them as they are), so they are not doubled.
 */
function nameText(text: string): string {
  return sanitizeText(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Text for inside an HTML-like label (sanitised again here: cheap, and idempotent). */
function htmlText(text: string): string {
  return sanitizeText(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\\/g, "\\\\");
}

/**
 * A tooltip value, already quoted. `\` → four backslashes (two rounds of escString expansion),
 * `"` → `&quot;` (no `\"` escapes to get wrong), newlines → `&#10;` (Graphviz keeps entities).
 */
function tooltipText(text: string): string {
  const body = text
    .split("\n")
    .map((l) =>
      sanitizeText(l).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/\\/g, "\\\\\\\\"),
    )
    .join("&#10;");
  return `"${body}"`;
}

/** Values we write ourselves: colours, numbers, shape names. Never heap text. */
const SAFE_VALUE = /^[A-Za-z0-9#.,: _-]*$/;

/** An attribute value already escaped and quoted by one of the builders above (tooltips). */
interface Escaped {
  escaped: string;
}
type Attr = [name: string, value: string | Escaped];

function attrs(list: Attr[]): string {
  return list.map(([k, v]) => `${k}=${typeof v === "string" ? attr(v) : v.escaped}`).join(", ");
}

function attr(value: string): string {
  if (!SAFE_VALUE.test(value)) {
    throw new RenderError(`internal error: unsafe DOT attribute value ${JSON.stringify(value)}`);
  }
  return `"${value}"`;
}

/** Fill for a non-target, non-root node: white at depth 0, STYLE.farFill at the largest depth. */
function depthFill(depth: number, maxDepth: number): string {
  const t = maxDepth > 0 && Number.isFinite(depth) ? Math.min(1, Math.max(0, depth / maxDepth)) : 0;
  const channel = (far: number) => Math.round(255 + (far - 255) * t);
  return "#" + STYLE.farFill.map((c) => channel(c).toString(16).padStart(2, "0")).join("");
}

function clampLabelLength(n: number | undefined): number {
  if (n === undefined || !Number.isFinite(n)) return DEFAULT_MAX_LABEL;
  return Math.max(4, Math.min(1000, Math.floor(n)));
}

/** Code-unit order: the same everywhere, unlike `localeCompare`. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
