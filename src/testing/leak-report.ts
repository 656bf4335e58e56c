/**
 * From two snapshots of one process — when a piece of work (a test file, a test, one run of a
 * function) started and after it ended — to a report of what it left alive: classes with counts
 * and sizes, the retaining paths of each class grouped by their shape with a count, and a
 * picture. Shared by the vitest and node:test integrations and `expectNoLeaks`.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname, relative, sep } from "node:path";
import { HeapAnalysis } from "../graph/analysis.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { loadHeapGraph } from "../graph/load.js";
import { walkContext } from "../query/backrefs.js";
import { groupRetainingPaths } from "../query/group.js";
import { findLeftovers, maxObjectId, reachPath, type LeftoverClass, type LeftoverOptions } from "../query/leftovers.js";
import { toDot } from "../render/dot.js";
import { edgeLabel, formatBytes, formatCount, sanitizeText, truncateText } from "../render/format.js";
import { closeLayoutWorker, renderSvg } from "../render/svg.js";

/** Classes every program has: drawn only when a file left nothing else. */
const GENERIC_CLASSES = new Set([
  "Object",
  "Array",
  "Function",
  "system / Context",
  "(string)",
  "(concatenated string)",
  "(sliced string)",
  "(array)",
  "(system)",
  "(number)",
  "Map",
  "Set",
  "Promise",
  "ArrayBuffer",
  "Uint8Array",
  "Error",
]);

/** Retaining paths of one class that have the same shape (same classes and edge names). */
export interface GroupedPath {
  /** How many of the class's leftovers are held this way. */
  count: number;
  /** The path from a root, as text: `global .server → Object .cache → Map …`. */
  path: string;
}

export interface ClassLeftovers extends LeftoverClass {
  /** The most common path shapes first, at most three. */
  paths: GroupedPath[];
}

export interface LeftoverReport {
  /** What the report is about: a test file, a test, a function. */
  name: string;
  /** Objects left alive (all classes). */
  objects: number;
  selfSize: number;
  /** Retained size of all of them together, not double counted. */
  retainedSize: number;
  /** Largest retained size first. */
  classes: ClassLeftovers[];
  /** The picture written (SVG), or null. */
  picture: string | null;
  /** Seconds spent: taking the snapshots (when known), and reading + analysing + drawing. */
  seconds: { snapshots?: number; analysis: number };
}

export interface AnalyseOptions extends Omit<LeftoverOptions, "sinceId"> {
  /** Where to write the picture (SVG); no picture without it, nor when nothing was left. */
  picture?: string;
  /** Classes that get grouped paths and a place in the picture (default 6 and 3). */
  pathClasses?: number;
  pictureClasses?: number;
  /** Only these classes are reported (all when absent or empty). */
  types?: readonly string[];
  /** Paths of files in path texts are shown relative to this directory. */
  root?: string;
  /** The end graph's analysis, when the caller has one already (it is reused, not recomputed). */
  analysis?: HeapAnalysis;
}

/** A report from a baseline (its graph, or the highest id in it) and an end snapshot. */
export async function analyseLeftovers(
  name: string,
  start: string | HeapGraph | number,
  end: string | HeapGraph,
  options: AnalyseOptions = {},
): Promise<LeftoverReport> {
  const t0 = performance.now();
  const sinceId = typeof start === "number" ? start : maxObjectId(typeof start === "string" ? await loadHeapGraph(start) : start);
  const graph = typeof end === "string" ? await loadHeapGraph(end) : end;
  const analysis = options.analysis && options.analysis.graph === graph ? options.analysis : new HeapAnalysis(graph);
  const left = findLeftovers(graph, analysis, { ...options, sinceId });
  const wanted = options.types && options.types.length > 0 ? new Set(options.types) : null;
  let ordinals = left.ordinals;
  let classes = left.classes;
  if (wanted) {
    classes = classes.filter((c) => wanted.has(c.className));
    ordinals = ordinals.filter((n) => wanted.has(graph.className(n)));
  }
  // Group each class's leftovers by the shape of the path the walk found to them.
  const pathClasses = new Set(classes.slice(0, options.pathClasses ?? 6).map((c) => c.className));
  // Paths through linked lists of different lengths have one shape; each run's shortest and
  // longest length is kept to be said.
  const shapes = new Map<string, Map<string, { count: number; min: number[]; max: number[] }>>();
  for (const n of ordinals) {
    const cls = graph.className(n);
    if (!pathClasses.has(cls)) continue;
    let byShape = shapes.get(cls);
    if (!byShape) shapes.set(cls, (byShape = new Map()));
    const shape = pathShape(graph, reachPath(graph, left.reach, n), options.root);
    const seen = byShape.get(shape.text);
    if (!seen) byShape.set(shape.text, { count: 1, min: [...shape.runs], max: [...shape.runs] });
    else {
      seen.count++;
      shape.runs.forEach((k, i) => {
        seen.min[i] = Math.min(seen.min[i]!, k);
        seen.max[i] = Math.max(seen.max[i]!, k);
      });
    }
  }
  const withPaths: ClassLeftovers[] = classes.map((c) => ({
    ...c,
    paths: [...(shapes.get(c.className) ?? new Map<string, { count: number; min: number[]; max: number[] }>())]
      .map(([text, s]) => ({ count: s.count, path: fillRuns(text, s.min, s.max) }))
      .sort((p, q) => q.count - p.count || (p.path < q.path ? -1 : 1))
      .slice(0, 3),
  }));
  const objects = wanted ? ordinals.length : left.objects;
  let picture: string | null = null;
  if (options.picture && objects > 0) {
    // One picture per file: the grouped retaining paths of every leftover of the largest classes,
    // with the edge where old objects pass to new ones marked.
    // The program's own classes tell the story (CachedUser, Session); the engine's generic ones
    // (arrays, closures, strings) are what they hold. Generic ones only when nothing else is left.
    const own = classes.filter((c) => !GENERIC_CLASSES.has(c.className));
    const drawn = new Set((own.length > 0 ? own : classes).slice(0, options.pictureClasses ?? 3).map((c) => c.className));
    const targets = ordinals.filter((n) => drawn.has(graph.className(n)));
    const ctx = walkContext(graph, { analysis });
    const groups = groupRetainingPaths(graph, ctx, targets, { baseline: { has: (id: number) => id <= sinceId } });
    const sub = groups.toSubgraph({ maxNodes: 40 });
    try {
      const svg = await renderSvg(toDot(sub));
      writeAtomically(options.picture, svg);
    } finally {
      await closeLayoutWorker();
    }
    picture = options.picture;
  }
  return {
    name,
    objects,
    selfSize: wanted ? withPaths.reduce((s, c) => s + c.selfSize, 0) : left.selfSize,
    retainedSize: wanted ? withPaths.reduce((s, c) => s + c.retainedSize, 0) : left.retainedSize,
    classes: withPaths,
    picture,
    seconds: { analysis: (performance.now() - t0) / 1000 },
  };
}

/** Writes a file whole or not at all. */
export function writeAtomically(path: string, data: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * A path as text, its shape only: element indexes and hash-table slots become `[…]`, ids are left
 * out, so that paths through different slots of one container read the same. A path through
 * vitest's module graph or Node's ESM loader starts at the module: `module src/users.ts`. A run of
 * objects of one class each holding the next through the same edge (a linked list: Node's timer
 * list, `next`, `parent`…) is written once with its length: `Timeout ._idleNext ×12 → Timeout`.
 */
export function pathText(graph: HeapGraph, hops: Array<{ from: number; edge: number; to: number }>, root?: string): string {
  const shape = pathShape(graph, hops, root);
  return fillRuns(shape.text, shape.runs, shape.runs);
}

/**
 * Stands for a run's length in a path's shape; never in a step's text, where control characters
 * are replaced ({@link sanitizeText}).
 */
const RUN = "\u0000";

/**
 * {@link pathText} without the lengths of its runs: `text` has {@link RUN} where each goes, and
 * `runs` the lengths, in order. Paths through lists of different lengths have one `text`.
 */
function pathShape(
  graph: HeapGraph,
  hops: Array<{ from: number; edge: number; to: number }>,
  root?: string,
): { text: string; runs: number[] } {
  let start = 0;
  let head = "";
  for (let i = hops.length - 1; i >= 0; i--) {
    const from = hops[i]!.from;
    const cls = graph.className(from);
    const edge = graph.edgeName(hops[i]!.edge);
    // vitest's module graph (a module's exports), or Node's ESM loader (a module job's module).
    if ((cls === "EvaluatedModuleNode" && edge === "exports") || (cls === "ModuleJob" && edge === "module")) {
      const file = stringProperty(graph, from, "file") ?? stringProperty(graph, from, "url") ?? stringProperty(graph, from, "id") ?? "?";
      head = `module ${shortPath(file, root)}`;
      start = i + 1;
      break;
    }
  }
  const parts: string[] = [];
  if (head) parts.push(head + " " + hopEdge(graph, hops[start - 1]!.edge));
  for (let i = start; i < hops.length; i++) {
    const h = hops[i]!;
    if (graph.isSyntheticRoot(h.from)) {
      // The root category (`(Global handles)`…) says where a path starts; (root) and (GC roots) say nothing.
      const name = graph.nodeName(h.from);
      if (h.from !== 0 && name !== "(GC roots)") parts.push(sanitizeText(name));
      continue;
    }
    parts.push(`${nodeText(graph, h.from)} ${hopEdge(graph, h.edge)}`);
  }
  const last = hops[hops.length - 1];
  if (last) parts.push(nodeText(graph, last.to));
  // Runs of two or more equal steps, each a class and the edge it holds the next one through.
  const folded: string[] = [];
  const runs: number[] = [];
  for (let i = 0; i < parts.length;) {
    let j = i + 1;
    if (i < parts.length - 1) while (j < parts.length - 1 && parts[j] === parts[i]) j++;
    if (j - i >= 2) {
      folded.push(`${parts[i]} ×${RUN}`);
      runs.push(j - i);
    } else folded.push(parts[i]!);
    i = j;
  }
  return { text: folded.join(" → "), runs };
}

/** A shape's text with each run's length, or its shortest and longest (`×2–12`) when they differ. */
function fillRuns(text: string, min: readonly number[], max: readonly number[]): string {
  let i = 0;
  return text.replace(/\u0000/g, () => {
    const k = i++;
    return min[k] === max[k] ? formatCount(min[k]!) : `${formatCount(min[k]!)}–${formatCount(max[k]!)}`;
  });
}

function hopEdge(graph: HeapGraph, e: number): string {
  const type = graph.edgeTypeName(e);
  if (type === "element" || (type === "internal" && /^\d/.test(String(graph.edgeName(e)))) || type === "hidden") return "[…]";
  return sanitizeText(truncateText(edgeLabel(type, graph.edgeName(e)), 40));
}

function nodeText(graph: HeapGraph, n: number): string {
  const cls = graph.className(n);
  const name = graph.nodeName(n);
  const type = graph.nodeTypeName(n);
  // A function by its name, other objects by class.
  const text = type === "closure" && name ? `Function ${name}` : cls;
  return sanitizeText(truncateText(text, 40));
}

function stringProperty(graph: HeapGraph, n: number, name: string): string | undefined {
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
    if (graph.edgeName(e) === name) return stringValue(graph, graph.edgeTo(e), 0);
  }
  return undefined;
}

/** A string node's text; a concatenation is put back together from its halves (V8 names it only "(concatenated string)"). */
function stringValue(graph: HeapGraph, n: number, depth: number): string | undefined {
  const type = graph.nodeTypeName(n);
  if (type === "string") return graph.nodeName(n);
  if (type !== "concatenated string" || depth > 20) return undefined;
  let first: string | undefined;
  let second: string | undefined;
  for (let e = graph.firstEdge[n]!; e < graph.firstEdge[n + 1]!; e++) {
    const name = graph.edgeName(e);
    if (name === "first") first = stringValue(graph, graph.edgeTo(e), depth + 1);
    else if (name === "second") second = stringValue(graph, graph.edgeTo(e), depth + 1);
  }
  return first !== undefined && second !== undefined ? first + second : undefined;
}

function shortPath(file: string, root?: string): string {
  const f = file.startsWith("file://") ? file.slice(7) : file;
  if (!root) return sanitizeText(f);
  const r = relative(root, f);
  return sanitizeText(r.startsWith("..") ? f : r.split(sep).join("/"));
}

/** The reports as text: worst first (retained size), each class with its grouped paths. */
export function formatLeftoverReports(reports: readonly LeftoverReport[], options: { classes?: number; relativeTo?: string } = {}): string {
  const lines: string[] = [];
  const sorted = [...reports].sort((p, q) => q.retainedSize - p.retainedSize || q.objects - p.objects || (p.name < q.name ? -1 : 1));
  for (const r of sorted) {
    const picture = r.picture && options.relativeTo ? shortPath(r.picture, options.relativeTo) : r.picture;
    lines.push(
      `${sanitizeText(r.name)}: left ${formatCount(r.objects)} objects alive, ${formatBytes(r.retainedSize)} retained${picture ? ` — picture: ${sanitizeText(picture)}` : ""}`,
    );
    const width = Math.max(5, ...r.classes.slice(0, options.classes ?? 8).map((c) => c.className.length));
    for (const c of r.classes.slice(0, options.classes ?? 8)) {
      lines.push(
        `  ${sanitizeText(truncateText(c.className, 60)).padEnd(Math.min(60, width))}  +${formatCount(c.count)}  ${formatBytes(c.selfSize)} self  ${formatBytes(c.retainedSize)} retained`,
      );
      for (const p of c.paths.slice(0, 2)) lines.push(`      ${formatCount(p.count)}× ${p.path}`);
    }
    if (r.classes.length > (options.classes ?? 8)) lines.push(`  … and ${r.classes.length - (options.classes ?? 8)} more classes`);
  }
  return lines.join("\n") + (lines.length ? "\n" : "");
}
