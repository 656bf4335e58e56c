/**
 * The main job: `backrefs <snapshot> --type Foo -o out.png`.
 */
import { resolve } from "node:path";
import { QueryError } from "../errors.js";
import { assertComparableIds, type SnapshotIds } from "../query/id-trust.js";
import { defaultBackrefsOptions } from "../query/backrefs.js";
import type { Subgraph } from "../query/types.js";
import { formatCount, sanitizeText } from "../render/format.js";
import { checkWritable, displayName } from "./output-paths.js";
import { closeLayoutWorker, keepGraphvizIn, prepareLayout } from "../render/svg.js";
import { prepareObjectQueries, Snapshot, type RetainerGraph, type RetainersOptions } from "../api/snapshot.js";
import { formatOfExtension, type OutputFormat } from "../api/files.js";
import { loadIds, openForCli, progressBar, writeOutput, type Progress, type Streams } from "./io.js";
import { flushCachesEarly, graphvizProgramDir } from "./cache.js";
import { fileSize, LATE_LAYOUT_MIN_BYTES } from "./draw-early.js";
import { ExitCode } from "./exit-codes.js";
import type { Phase } from "../graph/analysis.js";
import { mark } from "./timing.js";
import { UsageError } from "./usage.js";

export { checkWritable, checkWritableDir, displayName } from "./output-paths.js";

export type { OutputFormat } from "../api/files.js";

export interface DrawCliOptions {
  type?: string[];
  name?: string[];
  id?: number[];
  /** Where to write: files (their extensions say the format), or `-` for stdout; repeatable. */
  output?: string[];
  format?: OutputFormat;
  depth: number;
  tooMany: number;
  /** Node budget; undefined: 60 for per-object pictures, 40 for grouped ones. */
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

/** One place to write an answer: a file, or `-` for standard output. */
export interface OutputTarget {
  path: string;
  format: OutputFormat;
}

/** The format: `--format`, else the output file's extension, else text (svg for `-o -`). */
export function outputFormat(output: string | undefined, format: OutputFormat | undefined): OutputFormat {
  if (format) return format;
  if (output === undefined || output === "-") return output === "-" ? "svg" : "text";
  const byExtension = formatOfExtension(output);
  if (byExtension) return byExtension;
  throw new UsageError(
    `cannot tell the format of '${sanitizeText(output)}' from its extension: use .dot, .svg, .png, .json or .txt, or say --format`,
  );
}

/**
 * Where each answer goes: every `-o` (its extension, or `--format` when there is one `-o`, says
 * the format), or standard output when there is none. Usage errors for what cannot work.
 */
export function outputTargets(outputs: string[] | undefined, format: OutputFormat | undefined, stdoutIsTerminal: boolean): OutputTarget[] {
  const list = outputs ?? [];
  if (list.length > 1 && format) {
    throw new UsageError(
      "--format applies to a single -o; with several, each file's extension says its format (.dot, .svg, .png, .json, .txt)",
    );
  }
  if (list.filter((o) => o === "-").length > 1) throw new UsageError("-o - (standard output) can be given once");
  const seen = new Set<string>();
  for (const o of list) {
    if (o !== "-" && seen.has(resolve(o))) throw new UsageError(`-o ${sanitizeText(o)} is given twice`);
    seen.add(resolve(o));
  }
  const targets = list.length
    ? list.map((o) => ({ path: o, format: outputFormat(o, format) }))
    : [{ path: "-", format: outputFormat(undefined, format) }];
  if (list.length === 0 && stdoutIsTerminal && targets[0]!.format === "png") {
    throw new UsageError("a PNG is not written to a terminal: say -o <file>.png, pipe the output, or -o - to write it here anyway");
  }
  return targets;
}

export async function runDraw(file: string, opts: DrawCliOptions, io: Streams): Promise<number> {
  try {
    await draw(file, opts, io);
  } catch (e) {
    // The worker started early (here, or when the command line was read: draw-early.ts), when
    // nothing gets drawn. Not awaited: a worker stopped while it loads may never report its exit
    // once unreferenced, which would leave this promise hanging.
    closeLayoutWorker().catch(() => {});
    throw e;
  } finally {
    // Pictures drawn later in this process by other means (the library) keep nothing.
    keepGraphvizIn(null);
  }
  return ExitCode.ok;
}

async function draw(file: string, opts: DrawCliOptions, io: Streams): Promise<void> {
  const targets = outputTargets(opts.output, opts.format, io.stdout.isTTY === true);
  if (!opts.type?.length && !opts.name?.length && !opts.id?.length && !opts.detached) {
    throw new UsageError("no objects chosen: name them with --type <Class>, --name <name>, --id <id> or --detached");
  }
  for (const t of targets) if (t.path !== "-") checkWritable(t.path);
  // What drawing needs that does not depend on the snapshot starts now, while it loads (for a
  // small file the worker started when the command line was read: then this finds it started).
  // For a big file, the layout worker (~30 MB) starts once the analysis has passed its memory peak
  // (the dominator tree's finish), still long before the first layout; or, when a snapshot cache
  // entry answers (no analysis), as soon as the snapshot is open.
  const drawing = targets.some((t) => t.format === "svg" || t.format === "png" || t.format === "dot");
  const late = drawing && fileSize(file) >= LATE_LAYOUT_MIN_BYTES;
  let layoutStarted = false;
  const startLayout = (): void => {
    if (layoutStarted) return;
    layoutStarted = true;
    prepareLayout();
  };
  if (drawing) {
    keepGraphvizIn(graphvizProgramDir());
    if (!late) startLayout();
  }
  // The last phase of the analysis a picture asks for.
  const lastPhase = opts.retained === false ? "shallow sizes" : "retained sizes";
  const onPhase = late ? (p: Phase) => void (p === lastPhase && startLayout()) : undefined;
  prepareObjectQueries();
  const baseline = opts.newSince ? await loadIds(opts.newSince, io, opts.quiet) : undefined;
  const { snap, progress, read } = await openForCli(file, io, opts.quiet, "", true, onPhase);
  if (late && !read) startLayout();
  if (baseline) assertComparableIds(baseline, Snapshot.state(snap).snapshotIds(), [displayName(opts.newSince!), displayName(file)]);
  await drawSnapshot(snap, file, { ...opts, targets, baseline }, io, progress);
}

interface DrawSpec extends Omit<DrawCliOptions, "format" | "newSince" | "output"> {
  targets: OutputTarget[];
  /** Ids of the baseline snapshot: only objects absent from it are targets, and new nodes are marked. */
  baseline?: SnapshotIds;
}

/** Asks the library what retains the chosen objects, and writes the picture (or text) where asked. */
async function drawSnapshot(snap: Snapshot, file: string, spec: DrawSpec, io: Streams, progress: Progress): Promise<void> {
  const options: RetainersOptions = {
    depth: spec.depth,
    tooMany: spec.tooMany,
    maxNodes: spec.maxNodes,
    maxTargets: spec.maxTargets,
    each: spec.each,
    weak: spec.weak,
    path: spec.path,
    pathOnly: spec.pathOnly,
    retained: spec.retained,
  };
  const g = await snap.retainers(
    { type: spec.type, name: spec.name, id: spec.id, detached: spec.detached, newSince: spec.baseline },
    options,
  );
  const what = spec.type?.length ? `--type ${shellQuote(spec.type[0]!)}` : spec.name?.length ? `--name ${shellQuote(spec.name[0]!)}` : null;

  const textTargets = spec.targets.filter((t) => t.format === "text");
  const pictureTargets = spec.targets.filter((t) => t.format !== "text");
  const omittedNote = g.omitted > 0 ? omittedLine(g.matched, g.matched - g.omitted, g.byRetainedSize) : "";
  if (textTargets.length > 0) {
    const text = g.toText();
    for (const t of textTargets) {
      if (t.path === "-") io.stdout.write(text);
      else await writeOutput(t.path, text);
    }
    if (pictureTargets.length === 0) {
      // Nothing else to draw: say what was done.
      progress.done();
      if (textTargets.some((t) => t.path === "-")) {
        if (g.grouped) {
          if (what) io.stderr.write(`draw it: backrefs ${shellQuote(file)} ${what} -o retainers.svg   (one object at a time: --each)\n`);
        } else io.stderr.write(`${omittedNote}draw it: backrefs ${shellQuote(file)} ${what ?? `--id @${g.firstId}`} -o retainers.svg\n`);
      } else io.stderr.write(`retaining paths → ${textTargets.map(where).join(", ")}\n`);
      return;
    }
  }
  // The snapshot's cache entry is completed while the layout worker lays the picture out, rather
  // than after the picture is written: this thread only waits for the layout then. The first
  // layout is asked for within the microtasks writePicture runs before it waits (fit.js loaded
  // beforehand), so the entry is begun once every microtask has run. Its messages still come at
  // the end. A PNG's rasteriser (resvg's WebAssembly, the fonts, a first tiny render) is loaded
  // then too, on this thread while it waits: loaded before the snapshot was read, it took that
  // thread ~0.1 s of work and the whole command 0.1–0.27 s longer at 20 MB (bench/README.md).
  const laidOut = pictureTargets.some((t) => t.format === "svg" || t.format === "png" || t.format === "dot");
  if (laidOut) await import("../render/fit.js");
  const drawn = writePicture(g, spec, io, progress, omittedNote);
  if (laidOut) {
    drawn.catch(() => {}); // (awaited below; this only keeps a failure meanwhile from counting as unhandled)
    await new Promise<void>((resolve) => setImmediate(resolve));
    void flushCachesEarly();
    mark(io, "cache entry begun while laying out");
    // Loaded here, for a PNG only: an SVG picture needs none of the rasteriser's modules.
    // (A failure to load is renderPng's to report, when the picture is drawn.)
    if (pictureTargets.some((t) => t.format === "png"))
      import("../render/png.js").then(
        (m) => m.preparePng(),
        () => {},
      );
  }
  await drawn;
}

/**
 * Renders the picture in every format asked (one layout for all of them: the one that fits a
 * screen, whose DOT is the DOT written) and writes each where asked, then says what it drew.
 */
async function writePicture(g: RetainerGraph, spec: DrawSpec, io: Streams, progress: Progress, note: string): Promise<void> {
  const sub = g.subgraph;
  progress.phase(`drawing ${sub.nodes.length} nodes`);
  const outputs: Array<{ target: OutputTarget; data: string | Uint8Array }> = [];
  let dropped: number | undefined;
  let targetsDropped: number | undefined;
  try {
    for (const target of spec.targets) {
      if (target.format === "text") continue;
      outputs.push({ target, data: await g.render(target.format, { scale: spec.scale }) });
    }
    // A picture that no layout fitted whole leaves objects out (never with an explicit --max-nodes).
    if (spec.targets.some((t) => t.format !== "text" && t.format !== "json")) {
      const limits = (await g.fit()).subgraph.limitsReached;
      dropped = limits.droppedToFit;
      targetsDropped = limits.targetsDroppedToFit;
    }
  } finally {
    // Frees the worker's memory; not awaited: the process need not wait for the thread to stop.
    closeLayoutWorker().catch(() => {});
  }
  progress.done();
  mark(io, "picture drawn");
  for (const { target, data } of outputs) {
    if (target.path === "-") io.stdout.write(data);
    else await writeOutput(target.path, data);
  }
  const boxes = sub.nodes.length + sub.placeholders.length;
  let fitNote = dropped
    ? `The picture leaves out ${formatCount(dropped)} of these objects to fit a screen (its "more" boxes count them); --max-nodes ${boxes} draws them.\n`
    : "";
  if (targetsDropped) {
    const n = sub.targets.length - targetsDropped;
    fitNote +=
      `The picture draws ${formatCount(n)} of the ${formatCount(sub.targets.length)} targets: the shortest paths of all of them do not fit a screen; ` +
      `--max-nodes ${boxes} draws them all, --max-targets ${n} draws these alone.\n`;
  }
  io.stderr.write(note + summaryLine(sub, spec.targets.map(where).join(", ")) + fitNote);
}

/** How a summary names where an output went. */
function where(t: OutputTarget): string {
  return `${t.path === "-" ? "stdout" : t.path} (${t.format})`;
}

/**
 * Starts what {@link drawToFile} lays its pictures out with (the layout worker, loading Graphviz
 * on its own thread) while the caller still computes what to draw.
 */
export function prepareDrawing(): void {
  keepGraphvizIn(graphvizProgramDir());
  prepareLayout();
}

/** Stops the worker {@link prepareDrawing} started, when nothing gets drawn after all (not awaited, as in runDraw). */
export function abandonDrawing(): void {
  keepGraphvizIn(null);
  closeLayoutWorker().catch(() => {});
}

/**
 * The default picture of a class, written to `path` (the CI gate's explanation of a failure).
 * The snapshot's analysis is reused, so drawing several classes walks the heap's numbers once.
 */
export async function drawToFile(
  snap: Snapshot,
  className: string,
  path: string,
  opts: { baseline?: SnapshotIds; retained: boolean; io: Streams; quiet: boolean },
): Promise<void> {
  const d = defaultBackrefsOptions;
  const spec: DrawSpec = {
    type: [className],
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
    baseline: opts.baseline,
  };
  keepGraphvizIn(graphvizProgramDir());
  const progress = progressBar(opts.io, opts.quiet);
  try {
    await drawSnapshot(snap, path, spec, opts.io, progress);
  } catch (e) {
    // All of the class was there before the baseline: draw them all rather than nothing.
    if (!(e instanceof QueryError) || !opts.baseline) throw e;
    await drawSnapshot(snap, path, { ...spec, baseline: undefined }, opts.io, progress);
  } finally {
    keepGraphvizIn(null);
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

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
