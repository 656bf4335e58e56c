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
import { isGeneric, programFirst } from "../query/generic-classes.js";
import { hasEdgeNamed, moduleEdgeOf, moduleFile } from "../query/modules.js";
import { toDot } from "../render/dot.js";
import { edgeLabel, formatBytes, formatCount, sanitizeText, truncateText } from "../render/format.js";
import { closeLayoutWorker, renderSvg } from "../render/svg.js";

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
  /** Classes that get grouped paths and a place in the picture (default 6 and 3), the program's own classes first. */
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
  // Group each class's leftovers by the shape of the path the walk found to them: the program's own
  // classes first (they tell the story), then the generic ones, largest retained size first in each.
  const pathClasses = new Set(
    programFirst(classes)
      .slice(0, options.pathClasses ?? 6)
      .map((c) => c.className),
  );
  // Paths through linked lists of different lengths have one shape; each run's shortest and
  // longest length is kept to be said.
  const shapes = new Map<string, Map<string, ShapeCount>>();
  for (const n of ordinals) {
    const cls = graph.className(n);
    if (!pathClasses.has(cls)) continue;
    let byShape = shapes.get(cls);
    if (!byShape) shapes.set(cls, (byShape = new Map()));
    const shape = pathShape(graph, reachPath(graph, left.reach, n), options.root);
    const seen = byShape.get(shape.text);
    if (!seen)
      byShape.set(shape.text, {
        steps: shape.steps,
        holders: shape.steps.map((st) => new Set([st.holder])),
        count: 1,
        min: [...shape.runs],
        max: [...shape.runs],
      });
    else {
      seen.count++;
      shape.runs.forEach((k, i) => {
        seen.min[i] = Math.min(seen.min[i]!, k);
        seen.max[i] = Math.max(seen.max[i]!, k);
      });
      shape.steps.forEach((st, i) => {
        seen.holders[i]!.add(st.holder);
      });
    }
  }
  const withPaths: ClassLeftovers[] = classes.map((c) => ({
    ...c,
    paths: mergeBranches(joinRuns([...(shapes.get(c.className)?.values() ?? [])]))
      .sort((p, q) => q.count - p.count || (p.path < q.path ? -1 : 1))
      .slice(0, 3),
  }));
  const objects = wanted ? ordinals.length : left.objects;
  let picture: string | null = null;
  if (options.picture && objects > 0) {
    // One picture per file: the grouped retaining paths of every leftover of the largest classes,
    // with the edge where old objects pass to new ones marked.
    // The program's own classes tell the story (CachedUser, Session), then Node's (a Timeout); the
    // engine's generic ones (arrays, closures, strings) are what they hold. Generic ones only when
    // nothing else is left.
    const own = programFirst(classes).filter((c) => !isGeneric(c.className));
    const drawn = new Set((own.length > 0 ? own : classes).slice(0, options.pictureClasses ?? 3).map((c) => c.className));
    const targets = ordinals.filter((n) => drawn.has(graph.className(n)));
    const ctx = walkContext(graph, { analysis });
    const groups = groupRetainingPaths(graph, ctx, targets, { baseline: { has: (id: number) => id <= sinceId } });
    const sub = groups.toSubgraph({ maxNodes: 40 });
    // A module's box says its file as the text does: from the project's folder on.
    for (const node of sub.nodes) if (node.module) node.module = relativePath(node.module, options.root);
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
): { text: string; steps: Step[]; runs: number[] } {
  let start = 0;
  let head = "";
  for (let i = hops.length - 1; i >= 0; i--) {
    const from = hops[i]!.from;
    const cls = graph.className(from);
    // A module's record in vitest's module graph or Node's ESM loader (as a grouped picture's paths end there).
    const own = moduleEdgeOf(cls);
    if (own !== undefined && hasEdgeNamed(graph, from, own)) {
      head = `module ${shortPath(moduleFile(graph, from) || "?", root)}`;
      start = i + 1;
      break;
    }
  }
  // Each step: an object's text, the edge it holds the next one through, and the object itself.
  const parts: Step[] = [];
  if (head) parts.push({ node: head, edge: hopEdge(graph, hops[start - 1]!.edge), holder: hops[start - 1]!.from, run: false });
  for (let i = start; i < hops.length; i++) {
    const h = hops[i]!;
    if (graph.isSyntheticRoot(h.from)) {
      // The root category (`(Global handles)`…) says where a path starts; (root) and (GC roots) say nothing.
      const name = graph.nodeName(h.from);
      if (h.from !== 0 && name !== "(GC roots)") parts.push({ node: sanitizeText(name), edge: "", holder: h.from, run: false });
      continue;
    }
    parts.push({ node: nodeText(graph, h.from), edge: hopEdge(graph, h.edge), holder: h.from, run: false });
  }
  const last = hops[hops.length - 1];
  if (last) parts.push({ node: nodeText(graph, last.to), edge: "", holder: -1, run: false });
  // Runs: equal steps, each a class and the edge it holds the next one through, two or more of them,
  // or one that holds an object of its own class (a list's element one link from where the path
  // entered it, as others are further).
  const steps: Step[] = [];
  const runs: number[] = [];
  const same = (a: Step, b: Step) => a.node === b.node && a.edge === b.edge;
  for (let i = 0; i < parts.length;) {
    let j = i + 1;
    if (i < parts.length - 1) while (j < parts.length - 1 && same(parts[j]!, parts[i]!)) j++;
    if (j - i >= 2 || (j < parts.length && parts[j]!.node === parts[i]!.node && parts[i]!.edge !== "")) {
      steps.push({ ...parts[i]!, run: true });
      runs.push(j - i);
    } else steps.push(parts[i]!);
    i = j;
  }
  return { text: steps.map((st) => stepText(st, st.edge)).join(" → "), steps, runs };
}

/** One step of a path's shape as text: `Class .edge`, `Class .edge ×` + a run's length. */
function stepText(step: Step, edge: string): string {
  return step.node + (edge ? " " + edge : "") + (step.run ? ` ×${RUN}` : "");
}

/** A step of a path's shape: the object's text, the edge to the next step, the object (-1 for the last), a run or not. */
interface Step {
  node: string;
  edge: string;
  holder: number;
  run: boolean;
}

/** The paths of one shape: its steps, each step's object when all the paths share it (else -1), their count and runs' lengths. */
interface ShapeCount {
  steps: Step[];
  /** Each step's objects (the holder of the next step) over the paths. */
  holders: Array<Set<number>>;
  count: number;
  min: number[];
  max: number[];
}

/**
 * Shapes that are one shape with some of its runs left out — paths that reach a list's elements
 * at its ends, where no link of the list is walked (`TimersList ._idleNext → Timeout`), and those
 * that walk one or more (`TimersList ._idleNext → Timeout ._idleNext ×3 → Timeout`) — as that
 * shape, the runs they leave out counted as of length 0 (`×0–3`). Each shape joins the one with
 * the most runs (then the most paths) among those it fits.
 */
function joinRuns(shapes: readonly ShapeCount[]): ShapeCount[] {
  // A shape without its runs: the key of the shapes that can be one.
  const bare = (s: ShapeCount): string =>
    s.steps
      .filter((st) => !st.run)
      .map((st) => `${st.node}\u0001${st.edge}`)
      .join("\u0002");
  const byBare = new Map<string, ShapeCount[]>();
  for (const s of shapes) {
    const k = bare(s);
    const list = byBare.get(k);
    if (list) list.push(s);
    else byBare.set(k, [s]);
  }
  const out: ShapeCount[] = [];
  for (const list of byBare.values()) {
    const runsOf = (s: ShapeCount) => s.steps.filter((st) => st.run).length;
    const sorted = [...list].sort((p, q) => runsOf(q) - runsOf(p) || q.count - p.count || p.steps.length - q.steps.length);
    const joined: ShapeCount[] = [];
    for (const s of sorted) {
      let into: ShapeCount | undefined;
      let at: { step: number[]; run: number[] } | null = null;
      for (const j of joined) {
        at = runsAlign(j, s);
        if (at !== null) {
          into = j;
          break;
        }
      }
      if (!into || at === null) {
        joined.push({ steps: s.steps, holders: s.holders.map((h) => new Set(h)), count: s.count, min: [...s.min], max: [...s.max] });
        continue;
      }
      into.count += s.count;
      // Each of `into`'s steps: the step of s it stands for (-1: a run s leaves out).
      into.steps.forEach((_, i) => {
        if (at.step[i]! >= 0) for (const h of s.holders[at.step[i]!]!) into.holders[i]!.add(h);
      });
      at.run.forEach((r, k) => {
        into.min[k] = Math.min(into.min[k]!, r < 0 ? 0 : s.min[r]!);
        into.max[k] = Math.max(into.max[k]!, r < 0 ? 0 : s.max[r]!);
      });
    }
    out.push(...joined);
  }
  return out;
}

/**
 * Where the steps and runs of shape `s` fall in shape `into` when `s` is `into` with some of its
 * runs left out: for each step of `into`, the step of `s` (-1 for a run left out), and for each
 * run, the run of `s` (-1); null when `s` does not fit (a run `into` lacks, another edge or class).
 */
function runsAlign(into: ShapeCount, s: ShapeCount): { step: number[]; run: number[] } | null {
  const step: number[] = [];
  const run: number[] = [];
  let j = 0;
  let sRun = 0;
  for (const st of into.steps) {
    const other = s.steps[j];
    if (other !== undefined && other.node === st.node && other.edge === st.edge && other.run === st.run) {
      step.push(j++);
      if (st.run) run.push(sRun++);
      continue;
    }
    // Left out in s: only a run, and only where the next step is of the run's class.
    if (!st.run) return null;
    step.push(-1);
    run.push(-1);
  }
  return j === s.steps.length ? { step, run } : null;
}

/**
 * Shapes that branch at the same objects — those objects hold them through different edges, and
 * the rest of the paths have the same classes and edges but where an object holds one of its own
 * class — as one path with the edges side by side: a dictionary's keys (`Object .a | .b → User`,
 * also when several dictionaries hold the same keys), a linked list walked from both ends
 * (`TimersList ._idleNext | ._idlePrev → Timeout ._idleNext | ._idlePrev ×2–9 → Timeout`). Paths
 * held by different objects through different edges (one `Holder` by `.job`, another by `.task`)
 * stay apart. The most common shape first; paths are joined until none fits another.
 */
function mergeBranches(shapes: readonly ShapeCount[]): GroupedPath[] {
  const sorted = [...shapes].sort((p, q) => q.count - p.count || p.steps.length - q.steps.length);
  let merged: Branched[] = sorted.map((s) => ({
    steps: s.steps,
    edges: s.steps.map((st) => [st.edge]),
    holders: s.holders.map((h) => new Set(h)),
    count: s.count,
    min: [...s.min],
    max: [...s.max],
  }));
  // Joining two paths makes their edges and objects one set, after which a third may fit: again
  // until nothing changes (each round joins at least two, so at most as many rounds as paths).
  for (let changed = true; changed;) {
    changed = false;
    const next: Branched[] = [];
    for (const s of merged) {
      const into = next.find((m) => fits(m, s));
      if (!into) {
        next.push(s);
        continue;
      }
      changed = true;
      into.count += s.count;
      s.steps.forEach((_, i) => {
        for (const e of s.edges[i]!) if (!into.edges[i]!.includes(e)) into.edges[i]!.push(e);
        for (const h of s.holders[i]!) into.holders[i]!.add(h);
      });
      s.min.forEach((k, i) => {
        into.min[i] = Math.min(into.min[i]!, k);
        into.max[i] = Math.max(into.max[i]!, s.max[i]!);
      });
    }
    merged = next;
  }
  return merged.map((m) => ({
    count: m.count,
    path: fillRuns(m.steps.map((st, i) => stepText(st, edgesText(m.edges[i]!))).join(" → "), m.min, m.max),
  }));
}

/** Paths joined by {@link mergeBranches}: each step's edges and objects. */
interface Branched {
  steps: Step[];
  edges: string[][];
  holders: Array<Set<number>>;
  count: number;
  min: number[];
  max: number[];
}

/** Whether `s` joins `m` (see {@link mergeBranches}). */
function fits(m: Branched, s: Branched): boolean {
  if (m.steps.length !== s.steps.length || m.min.length !== s.min.length) return false;
  let branched = false;
  for (let i = 0; i < s.steps.length; i++) {
    const a = m.steps[i]!;
    const b = s.steps[i]!;
    if (a.node !== b.node || a.run !== b.run) return false;
    if (s.edges[i]!.every((e) => m.edges[i]!.includes(e))) continue;
    // A branch: the same objects hold both paths' next steps, through different edges (a
    // dictionary's keys, a list's two ends).
    if (sameSet(m.holders[i]!, s.holders[i]!)) {
      branched = true;
      continue;
    }
    // After a branch, the paths may differ where an object holds one of its own class: a list
    // walked from its two ends.
    if (!branched || (!b.run && s.steps[i + 1]?.node !== b.node)) return false;
  }
  // Branched, or reads the same as paths joined already.
  return true;
}

function sameSet(a: ReadonlySet<number>, b: ReadonlySet<number>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Edges side by side, at most three named. */
function edgesText(edges: readonly string[]): string {
  return edges.length <= 3 ? edges.join(" | ") : `${edges.slice(0, 3).join(" | ")} | … (${formatCount(edges.length)} edges)`;
}

/**
 * A shape's text with each run's length, or its shortest and longest (`×2–12`) when they differ; a
 * run of one link on every path reads as a plain step (`Node .next → Node`).
 */
function fillRuns(text: string, min: readonly number[], max: readonly number[]): string {
  let i = 0;
  return text.replace(/ \u00d7\u0000/g, () => {
    const k = i++;
    if (min[k] === 1 && max[k] === 1) return "";
    return ` \u00d7${min[k] === max[k] ? formatCount(min[k]!) : `${formatCount(min[k]!)}–${formatCount(max[k]!)}`}`;
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

function shortPath(file: string, root?: string): string {
  return sanitizeText(relativePath(file, root));
}

/** A file or file URL as a path relative to `root` (with `/`), when it is under it; else the path. */
function relativePath(file: string, root?: string): string {
  const f = file.startsWith("file://") ? file.slice(7) : file;
  if (!root) return f;
  const r = relative(root, f);
  return r.startsWith("..") ? f : r.split(sep).join("/");
}

/**
 * The file name of a report's picture, for a test file, a test or a check named `name`: its letters,
 * digits, `.`, `_` and `-`, the rest `_` (a path flattened). When more than spaces and path
 * separators were replaced, or the name was cut at 120 characters, a hash of the whole name follows,
 * so that two names alike there (non-Latin names, long ones that differ at their end) do not write
 * one file.
 *
 * @example
 * pictureName("test/users.test.ts") // "test_users.test.ts.svg"
 * pictureName("closing a session frees it") // "closing_a_session_frees_it.svg"
 */
export function pictureName(name: string): string {
  const cut = name.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 120);
  if (cut === name.replace(/[ /\\]+/g, "_")) return `${cut}.svg`;
  // FNV-1a over the UTF-16 code units: stable, and enough to tell names apart.
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return `${cut}-${(h >>> 0).toString(16).padStart(8, "0")}.svg`;
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
    // The program's own classes with their paths (then Node's, as a Timeout); the generic ones they
    // hold (arrays, closures, strings) in one line after them, or in full when the report has nothing else.
    const own = programFirst(r.classes).filter((c) => !isGeneric(c.className));
    const listed = (own.length > 0 ? own : r.classes).slice(0, options.classes ?? 8);
    const width = Math.max(5, ...listed.map((c) => c.className.length));
    for (const c of listed) {
      lines.push(
        `  ${sanitizeText(truncateText(c.className, 60)).padEnd(Math.min(60, width))}  +${formatCount(c.count)}  ${formatBytes(c.selfSize)} self  ${formatBytes(c.retainedSize)} retained`,
      );
      const shown = c.paths.slice(0, 2);
      for (const p of shown) lines.push(`      ${formatCount(p.count)}× ${p.path}`);
      // Objects held in ways not shown: said, so that two lines never read as all of them.
      const other = c.count - shown.reduce((n, p) => n + p.count, 0);
      if (shown.length > 0 && other > 0) lines.push(`      ${formatCount(other)}× held in other ways`);
    }
    const rest = r.classes.filter((c) => !listed.includes(c));
    if (own.length > 0 && rest.length > 0) {
      const shown = rest.slice(0, 6).map((c) => `${sanitizeText(truncateText(c.className, 40))} +${formatCount(c.count)}`);
      lines.push(`  also left: ${shown.join(", ")}${rest.length > 6 ? `, and ${rest.length - 6} more classes` : ""}`);
    } else if (rest.length > 0) lines.push(`  … and ${rest.length} more classes`);
  }
  return lines.join("\n") + (lines.length ? "\n" : "");
}
