/**
 * The main job: `backrefs <snapshot> --type Foo -o out.png`.
 */
import { extname } from "node:path";
import { QueryError } from "../errors.js";
import { HeapAnalysis } from "../graph/analysis.js";
import { loadHeapGraph } from "../graph/load.js";
import { chooseTargets, retainerSubgraph, walkContext, type BackrefsOptions } from "../query/backrefs.js";
import { retainingPaths } from "../query/paths.js";
import { selectNodes } from "../query/select.js";
import type { Subgraph } from "../query/types.js";
import { toDot } from "../render/dot.js";
import { formatCount } from "../render/format.js";
import { formatPathsText } from "../render/paths-text.js";
import { renderPng } from "../render/png.js";
import { closeLayoutWorker, renderSvg } from "../render/svg.js";
import { progressBar, writeFileAtomic, type Streams } from "./io.js";

export interface DrawCliOptions {
  type?: string[];
  name?: string[];
  id?: number[];
  output?: string;
  format?: OutputFormat;
  depth: number;
  tooMany: number;
  maxNodes: number;
  maxTargets: number;
  weak: boolean;
  path: boolean;
  pathOnly: boolean;
  scale: number;
  quiet: boolean;
  retained: boolean;
  detached: boolean;
}

export type OutputFormat = "dot" | "svg" | "png" | "json" | "text";

/** The format: `--format`, else the output file's extension, else text. */
export function outputFormat(output: string | undefined, format: OutputFormat | undefined): OutputFormat {
  if (format) return format;
  if (output === undefined || output === "-") return output === "-" ? "svg" : "text";
  const ext = extname(output).toLowerCase().slice(1);
  if (ext === "dot" || ext === "gv") return "dot";
  if (ext === "svg" || ext === "png" || ext === "json") return ext;
  throw new QueryError(
    `cannot tell the format of '${output}' from its extension`,
    "use .dot, .svg, .png or .json, or say --format",
  );
}

export async function runDraw(file: string, opts: DrawCliOptions, io: Streams): Promise<number> {
  const format = outputFormat(opts.output, opts.format);
  if (!opts.type?.length && !opts.name?.length && !opts.id?.length && !opts.detached) {
    throw new QueryError("no objects chosen", "name them with --type <Class>, --name <name>, --id <id> or --detached");
  }
  const progress = progressBar(io, opts.quiet);
  const graph = await loadHeapGraph(file, { onProgress: progress.onProgress });
  progress.phase("finding objects");
  const selection = selectNodes(graph, { types: opts.type, names: opts.name, ids: opts.id, detached: opts.detached });
  const analysis = new HeapAnalysis(graph, { onPhase: (p) => progress.phase(p) });
  const ctx = walkContext(graph, { analysis, retained: opts.retained });
  const { drawn, omitted } = chooseTargets(graph, ctx, selection.ordinals, opts.maxTargets);
  progress.phase("walking retainers");

  if (format === "text") {
    progress.done();
    io.stdout.write(formatPathsText(retainingPaths(graph, ctx, drawn)));
    if (omitted > 0) io.stderr.write(omittedLine(selection.ordinals.length, drawn.length, ctx.retained));
    const what = opts.type?.length ? `--type ${shellQuote(opts.type[0]!)}` : opts.name?.length ? `--name ${shellQuote(opts.name[0]!)}` : `--id @${graph.nodeId(drawn[0]!)}`;
    io.stderr.write(`draw it: backrefs ${shellQuote(file)} ${what} -o retainers.svg\n`);
    return 0;
  }

  const walk: BackrefsOptions = {
    depth: opts.depth,
    tooMany: opts.tooMany,
    maxNodes: opts.maxNodes,
    weak: opts.weak,
    path: opts.path,
    pathOnly: opts.pathOnly,
  };
  const sub = retainerSubgraph(graph, ctx, drawn, walk, omitted);
  progress.phase(`drawing ${sub.nodes.length} nodes`);
  let data: string | Uint8Array;
  try {
    if (format === "json") data = JSON.stringify(sub, null, 2) + "\n";
    else {
      const dot = toDot(sub);
      if (format === "dot") data = dot;
      else {
        const svg = await renderSvg(dot);
        data = format === "svg" ? svg : await renderPng(svg, { scale: opts.scale });
      }
    }
  } finally {
    await closeLayoutWorker();
  }
  progress.done();
  const where = opts.output === undefined || opts.output === "-" ? "stdout" : opts.output;
  if (where === "stdout") io.stdout.write(data);
  else await writeFileAtomic(where, data);
  if (omitted > 0) io.stderr.write(omittedLine(selection.ordinals.length, drawn.length, ctx.retained));
  io.stderr.write(summaryLine(sub, where, format));
  return 0;
}

function omittedLine(matched: number, drawn: number, byRetained: boolean): string {
  const which = byRetained ? "with the largest retained sizes" : "newest (highest ids)";
  return (
    `${formatCount(matched)} objects matched; drew the ${formatCount(drawn)} ${which}. ` +
    `Pick others with --id @<id>, or raise --max-targets.\n`
  );
}

function summaryLine(sub: Subgraph, where: string, format: OutputFormat): string {
  const l = sub.limitsReached;
  const cuts: string[] = [];
  if (l.tooMany) cuts.push(`${l.tooMany} nodes over --too-many`);
  if (l.maxNodes) cuts.push(`${l.maxNodes} retainers over --max-nodes`);
  if (l.depth) cuts.push(`${l.depth} nodes at --depth`);
  if (l.noPath) cuts.push(`${l.noPath} targets with no strong path from a root`);
  return (
    `${sub.targets.length} target${sub.targets.length === 1 ? "" : "s"}, ${sub.nodes.length} nodes, ${sub.edges.length} edges` +
    `${cuts.length ? `; cut: ${cuts.join(", ")}` : "; nothing cut"} → ${where} (${format})\n`
  );
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
