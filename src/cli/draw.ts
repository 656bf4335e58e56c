/**
 * The main job: `backrefs <snapshot> --type Foo -o out.png`.
 */
import { accessSync, constants as fsConstants, statSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { BackrefsError, QueryError } from "../errors.js";
import type { HeapAnalysis } from "../graph/analysis.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { assertComparableIds, type SnapshotIds } from "../query/id-trust.js";
import { chooseTargets, defaultBackrefsOptions, retainerSubgraph, walkContext, type BackrefsOptions } from "../query/backrefs.js";
import { foldChains } from "../query/fold.js";
import { DEFAULT_GROUP_NODES, groupRetainingPaths } from "../query/group.js";
import { retainingPaths } from "../query/paths.js";
import { selectNodes } from "../query/select.js";
import type { Subgraph } from "../query/types.js";
import { layoutToFit, type FittedPicture } from "../render/fit.js";
import { formatCount, sanitizeText } from "../render/format.js";
import { formatPathsText } from "../render/paths-text.js";
import { formatGroupedText } from "../render/grouped-text.js";
import { preparePng, renderPng } from "../render/png.js";
import { closeLayoutWorker, prepareLayout } from "../render/svg.js";
import { analyse, loadIds, loadSnapshot, progressBar, writeFileAtomic, type Streams } from "./io.js";
import { UsageError } from "./usage.js";

export interface DrawCliOptions {
  type?: string[];
  name?: string[];
  id?: number[];
  /** Where to write: files (their extensions say the format), or `-` for stdout; repeatable. */
  output?: string[];
  format?: OutputFormat;
  depth: number;
  tooMany: number;
  /** Node budget; undefined: 150 for per-object pictures, 40 for grouped ones. */
  maxNodes?: number;
  maxTargets: number;
  /** One picture per object even when more than --max-targets match (no grouping). */
  each?: boolean;
  weak: boolean;
  path: boolean;
  pathOnly: boolean;
  /** PNG zoom; undefined: the default, lowered for huge pictures. */
  scale?: number;
  quiet: boolean;
  retained: boolean;
  detached: boolean;
  /** A baseline snapshot: draw only targets allocated after it, and mark what is new. */
  newSince?: string;
}

/** Patterns printed by the grouped text output. */
const TEXT_PATTERNS = 20;

/** Default PNG size limit: 20 megapixels (about 5,500 × 3,700); rasterising 70 Mpx takes seconds. */
const DEFAULT_MAX_PIXELS = 20_000_000;

export type OutputFormat = "dot" | "svg" | "png" | "json" | "text";

/** One place to write an answer: a file, or `-` for standard output. */
export interface OutputTarget {
  path: string;
  format: OutputFormat;
}

/** The format a file's extension names, or null. */
function formatOfExtension(path: string): OutputFormat | null {
  const ext = extname(path).toLowerCase().slice(1);
  if (ext === "dot" || ext === "gv") return "dot";
  if (ext === "svg" || ext === "png" || ext === "json") return ext;
  if (ext === "txt" || ext === "text") return "text";
  return null;
}

/** The format: `--format`, else the output file's extension, else text (svg for `-o -`). */
export function outputFormat(output: string | undefined, format: OutputFormat | undefined): OutputFormat {
  if (format) return format;
  if (output === undefined || output === "-") return output === "-" ? "svg" : "text";
  const byExtension = formatOfExtension(output);
  if (byExtension) return byExtension;
  throw new UsageError(`cannot tell the format of '${sanitizeText(output)}' from its extension: use .dot, .svg, .png, .json or .txt, or say --format`);
}

/**
 * Where each answer goes: every `-o` (its extension, or `--format` when there is one `-o`, says
 * the format), or standard output when there is none. Usage errors for what cannot work.
 */
export function outputTargets(outputs: string[] | undefined, format: OutputFormat | undefined, stdoutIsTerminal: boolean): OutputTarget[] {
  const list = outputs ?? [];
  if (list.length > 1 && format) {
    throw new UsageError("--format applies to a single -o; with several, each file's extension says its format (.dot, .svg, .png, .json, .txt)");
  }
  if (list.filter((o) => o === "-").length > 1) throw new UsageError("-o - (standard output) can be given once");
  const seen = new Set<string>();
  for (const o of list) {
    if (o !== "-" && seen.has(resolve(o))) throw new UsageError(`-o ${sanitizeText(o)} is given twice`);
    seen.add(resolve(o));
  }
  const targets = list.length ? list.map((o) => ({ path: o, format: outputFormat(o, format) })) : [{ path: "-", format: outputFormat(undefined, format) }];
  if (list.length === 0 && stdoutIsTerminal && targets[0]!.format === "png") {
    throw new UsageError("a PNG is not written to a terminal: say -o <file>.png, pipe the output, or -o - to write it here anyway");
  }
  return targets;
}

/**
 * Fails early, before any loading, when an output file could not be written: its folder is
 * missing or not writable, or the path is a folder.
 */
export function checkWritable(path: string): void {
  const full = resolve(path);
  const dir = dirname(full);
  const fail = (what: string, hint: string): never => {
    throw new BackrefsError("E_OUTPUT", `cannot write ${sanitizeText(path)}: ${what}`, hint);
  };
  let st;
  try {
    st = statSync(dir);
  } catch {
    fail(`the folder ${sanitizeText(dir)} does not exist`, "create it first, or write somewhere else");
  }
  if (!st!.isDirectory()) fail(`${sanitizeText(dir)} is not a folder`, "write somewhere else");
  try {
    accessSync(dir, fsConstants.W_OK);
  } catch {
    fail(`no permission to write in ${sanitizeText(dir)}`, "write somewhere else, or change the folder's permissions");
  }
  try {
    if (statSync(full).isDirectory()) fail("it is a folder", "give a file name");
  } catch (e) {
    if (e instanceof BackrefsError) throw e;
    // does not exist yet: fine
  }
}

/** Checks a folder pictures will be written into (`check --picture-dir`). */
export function checkWritableDir(dir: string): void {
  checkWritable(join(dir, "backrefs-check.svg"));
}

export async function runDraw(file: string, opts: DrawCliOptions, io: Streams): Promise<number> {
  const targets = outputTargets(opts.output, opts.format, io.stdout.isTTY === true);
  if (!opts.type?.length && !opts.name?.length && !opts.id?.length && !opts.detached) {
    throw new UsageError("no objects chosen: name them with --type <Class>, --name <name>, --id <id> or --detached");
  }
  for (const t of targets) if (t.path !== "-") checkWritable(t.path);
  // What drawing needs that does not depend on the snapshot starts now, while it loads.
  if (targets.some((t) => t.format === "svg" || t.format === "png")) prepareLayout();
  if (targets.some((t) => t.format === "png")) preparePng();
  try {
    const baseline = opts.newSince ? await loadIds(opts.newSince, io, opts.quiet) : undefined;
    const { graph, progress } = await loadSnapshot(file, io, opts.quiet);
    progress.done();
    if (baseline) assertComparableIds(baseline, graph, [displayName(opts.newSince!), displayName(file)]);
    await drawGraph(graph, file, { ...opts, targets, baseline }, io);
  } catch (e) {
    // The worker started early, when nothing gets drawn. Not awaited: a worker stopped while it
    // loads may never report its exit once unreferenced, which would leave this promise hanging.
    closeLayoutWorker().catch(() => {});
    throw e;
  }
  return 0;
}

interface DrawSpec extends Omit<DrawCliOptions, "format" | "newSince" | "output"> {
  targets: OutputTarget[];
  /** Ids of the baseline snapshot: only objects absent from it are targets, and new nodes are marked. */
  baseline?: SnapshotIds;
  analysis?: HeapAnalysis;
}

/** Chooses the targets, walks their retainers, and writes the picture (or text) where asked. */
async function drawGraph(graph: HeapGraph, file: string, spec: DrawSpec, io: Streams): Promise<Subgraph | null> {
  const progress = progressBar(io, spec.quiet);
  const selection = selectNodes(graph, { types: spec.type, names: spec.name, ids: spec.id, detached: spec.detached });
  let candidates = selection.ordinals;
  if (spec.baseline) {
    const base = spec.baseline;
    candidates = candidates.filter((n) => !base.has(graph.nodeId(n)));
    if (candidates.length === 0) {
      throw new QueryError(
        `none of the ${formatCount(selection.ordinals.length)} matching objects is new since the baseline`,
        "they were all allocated before the baseline snapshot was taken",
      );
    }
  }
  const analysis = spec.analysis ?? (await analyse(graph, progress, spec.retained));
  const ctx = walkContext(graph, { analysis, retained: spec.retained });
  const what = spec.type?.length ? `--type ${shellQuote(spec.type[0]!)}` : spec.name?.length ? `--name ${shellQuote(spec.name[0]!)}` : null;

  const textTargets = spec.targets.filter((t) => t.format === "text");
  const pictureTargets = spec.targets.filter((t) => t.format !== "text");
  /** Writes the text answer to each text output; says what it did when there is nothing else to draw. */
  const writeText = async (text: string, stdoutHint: string, done: boolean): Promise<void> => {
    for (const t of textTargets) {
      if (t.path === "-") io.stdout.write(text);
      else await writeFileAtomic(t.path, text);
    }
    if (!done) return;
    progress.done();
    if (textTargets.some((t) => t.path === "-")) io.stderr.write(stdoutHint);
    else io.stderr.write(`retaining paths → ${textTargets.map(where).join(", ")}\n`);
  };

  // More matches than --max-targets: one picture per cause, every match grouped by its path.
  if (!spec.each && candidates.length > spec.maxTargets) {
    progress.phase(`grouping the retaining paths of ${formatCount(candidates.length)} objects`);
    const groups = groupRetainingPaths(graph, ctx, candidates, { baseline: spec.baseline });
    if (textTargets.length > 0) {
      const hint = what ? `draw it: backrefs ${shellQuote(file)} ${what} -o retainers.svg   (one object at a time: --each)\n` : "";
      await writeText(formatGroupedText(groups.report(TEXT_PATTERNS)), hint, pictureTargets.length === 0);
      if (pictureTargets.length === 0) return null;
    }
    const sub = groups.toSubgraph({ maxNodes: spec.maxNodes ?? DEFAULT_GROUP_NODES });
    await writePicture(sub, spec, io, progress);
    return sub;
  }

  const { drawn, omitted } = chooseTargets(graph, ctx, candidates, spec.maxTargets);
  progress.phase("walking retainers");
  const omittedNote = omitted > 0 ? omittedLine(candidates.length, drawn.length, ctx.retained) : "";

  if (textTargets.length > 0) {
    const hint = `${omittedNote}draw it: backrefs ${shellQuote(file)} ${what ?? `--id @${graph.nodeId(drawn[0]!)}`} -o retainers.svg\n`;
    await writeText(formatPathsText(retainingPaths(graph, ctx, drawn)), hint, pictureTargets.length === 0);
    if (pictureTargets.length === 0) return null;
  }

  const walk: BackrefsOptions = {
    depth: spec.depth,
    tooMany: spec.tooMany,
    maxNodes: spec.maxNodes ?? defaultBackrefsOptions.maxNodes,
    weak: spec.weak,
    path: spec.path,
    pathOnly: spec.pathOnly,
  };
  // Linked lists on the way read as one node ("Timeout ×37 via ._idleNext").
  const sub = foldChains(retainerSubgraph(graph, ctx, drawn, walk, omitted));
  if (spec.baseline) for (const node of sub.nodes) node.isNew = !spec.baseline.has(node.id);
  await writePicture(sub, spec, io, progress, omittedNote);
  return sub;
}

/**
 * Renders `sub` in every picture format asked (one DOT, one layout for all of them) and writes
 * each where asked, then says what it drew.
 */
async function writePicture(sub: Subgraph, spec: DrawSpec, io: Streams, progress: ReturnType<typeof progressBar>, note = ""): Promise<void> {
  progress.phase(`drawing ${sub.nodes.length} nodes`);
  const outputs: Array<{ target: OutputTarget; data: string | Uint8Array }> = [];
  // One layout for every format: the one (direction, folded levels) that fits a screen; the DOT
  // written is the one it laid out.
  let fitted: FittedPicture | undefined;
  try {
    for (const target of spec.targets) {
      if (target.format === "text") continue;
      let data: string | Uint8Array;
      if (target.format === "json") data = JSON.stringify(sub, null, 2) + "\n";
      else {
        // An explicit --max-nodes asks for that many boxes: no objects are taken out to fit.
        fitted ??= await layoutToFit(sub, { shrink: spec.maxNodes === undefined });
        if (target.format === "dot") data = fitted.dot;
        else if (target.format === "svg") data = fitted.svg;
        else {
          // Without --scale: 1.5, lowered (never below legible text) to fit 4,000 px, and under
          // 20 megapixels whatever happens (rasterising 70 Mpx takes seconds).
          data = await renderPng(fitted.svg, spec.scale === undefined ? { scale: fitted.zoom, maxPixels: DEFAULT_MAX_PIXELS } : { scale: spec.scale });
        }
      }
      outputs.push({ target, data });
    }
  } finally {
    await closeLayoutWorker();
  }
  progress.done();
  for (const { target, data } of outputs) {
    if (target.path === "-") io.stdout.write(data);
    else await writeFileAtomic(target.path, data);
  }
  const dropped = fitted?.subgraph.limitsReached.droppedToFit;
  const fitNote = dropped ? `The picture leaves out ${formatCount(dropped)} of these objects to fit a screen (its "more" boxes count them); --max-nodes ${sub.nodes.length + sub.placeholders.length} draws them.\n` : "";
  io.stderr.write(note + summaryLine(sub, spec.targets.map(where).join(", ")) + fitNote);
}

/** How a summary names where an output went. */
function where(t: OutputTarget): string {
  return `${t.path === "-" ? "stdout" : t.path} (${t.format})`;
}

/**
 * The default picture of a class, written to `path` (the CI gate's explanation of a failure).
 * The caller's analysis is reused, so drawing several classes walks the heap's numbers once.
 */
export async function drawToFile(
  graph: HeapGraph,
  selector: { types: string[] },
  path: string,
  opts: { baseline?: SnapshotIds; analysis: HeapAnalysis; retained: boolean; io: Streams; quiet: boolean },
): Promise<void> {
  const { baseline } = opts;
  const d = defaultBackrefsOptions;
  const spec: DrawSpec = {
    type: selector.types,
    targets: [{ path, format: outputFormat(path, undefined) }],
    depth: d.depth,
    tooMany: d.tooMany,
    maxTargets: 10,
    weak: d.weak,
    path: d.path,
    pathOnly: d.pathOnly,
    scale: undefined,
    quiet: opts.quiet,
    retained: opts.retained,
    detached: false,
    baseline,
    analysis: opts.analysis,
  };
  try {
    await drawGraph(graph, path, spec, opts.io);
  } catch (e) {
    // All of the class was there before the baseline: draw them all rather than nothing.
    if (!(e instanceof QueryError) || !baseline) throw e;
    await drawGraph(graph, path, { ...spec, baseline: undefined }, opts.io);
  }
}

function omittedLine(matched: number, drawn: number, byRetained: boolean): string {
  const which = byRetained ? "with the largest retained sizes" : "newest (highest ids)";
  return (
    `${formatCount(matched)} objects matched; drew the ${formatCount(drawn)} ${which}. ` +
    `Pick others with --id @<id>, or raise --max-targets.\n`
  );
}

function summaryLine(sub: Subgraph, destinations: string): string {
  const l = sub.limitsReached;
  const cuts: string[] = [];
  if (l.tooMany) cuts.push(`${l.tooMany} nodes over --too-many`);
  if (l.maxNodes) cuts.push(`${l.maxNodes} retainers over --max-nodes`);
  if (l.depth) cuts.push(`${l.depth} nodes at --depth`);
  if (l.noPath) cuts.push(`${l.noPath} targets with no strong path from a root`);
  if (l.patternsOmitted) cuts.push(`${l.patternsOmitted} patterns over the node budget (in "more patterns" boxes)`);
  if (sub.grouped) {
    const g = sub.grouped;
    return (
      `${formatCount(g.targets)} objects grouped into ${formatCount(g.patterns)} retaining pattern${g.patterns === 1 ? "" : "s"}, ` +
      `${sub.nodes.length} nodes, ${sub.edges.length} edges${cuts.length ? `; cut: ${cuts.join(", ")}` : ""} → ${destinations}; one object at a time: --each\n`
    );
  }
  return (
    `${sub.targets.length} target${sub.targets.length === 1 ? "" : "s"}, ${sub.nodes.length} nodes, ${sub.edges.length} edges` +
    `${cuts.length ? `; cut: ${cuts.join(", ")}` : "; nothing cut"} → ${destinations}\n`
  );
}

/** A file name as messages show it (`-` is standard input). */
export function displayName(file: string): string {
  return file === "-" ? "standard input" : sanitizeText(file);
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
