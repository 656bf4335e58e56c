/**
 * `backrefs why <snapshot> (--id <id>... | --type <Class>) [--paths K] [--json]`: objgraph's
 * `find_backref_chain` as text, with DevTools' numbers.
 */
import { chooseTargets, walkContext } from "../query/backrefs.js";
import { groupRetainingPaths } from "../query/group.js";
import { whyAlive } from "../query/paths.js";
import { selectNodes } from "../query/select.js";
import { formatCount } from "../render/format.js";
import { formatWhyText } from "../render/paths-text.js";
import { formatGroupedText } from "../render/grouped-text.js";
import { analyse, loadSnapshot, type Streams } from "./io.js";

export interface WhyCliOptions {
  id?: number[];
  type?: string[];
  name?: string[];
  paths: number;
  maxTargets: number;
  json: boolean;
  retained: boolean;
  quiet: boolean;
}

export async function runWhy(file: string, opts: WhyCliOptions, io: Streams): Promise<number> {
  const { graph, progress } = await loadSnapshot(file, io, opts.quiet);
  progress.phase("finding objects");
  const selection = selectNodes(graph, { types: opts.type, names: opts.name, ids: opts.id });
  const ctx = walkContext(graph, { analysis: await analyse(graph, progress, opts.retained), retained: opts.retained });
  // Objects asked for by id are all explained; a class is cut to --max-targets, largest first.
  const { drawn, omitted } = opts.id?.length && !opts.type?.length && !opts.name?.length
    ? { drawn: selection.ordinals, omitted: 0 }
    : chooseTargets(graph, ctx, selection.ordinals, opts.maxTargets);
  const entries = whyAlive(graph, ctx, drawn, opts.paths);
  // A class with more matches than are explained one by one: first every match, grouped by path.
  const grouped = omitted > 0 && !opts.json ? formatGroupedText(groupRetainingPaths(graph, ctx, selection.ordinals).report(10)) + "\n" : "";
  progress.done();
  io.stdout.write(opts.json ? JSON.stringify(entries, null, 2) + "\n" : grouped + formatWhyText(entries));
  if (omitted > 0) {
    const which = ctx.retained ? "with the largest retained sizes" : "newest (highest ids)";
    io.stderr.write(
      `${formatCount(selection.ordinals.length)} objects matched; explained the ${formatCount(drawn.length)} ${which}. ` +
        `Pick others with --id @<id>, or raise --max-targets.\n`,
    );
  }
  return 0;
}
