/**
 * `backrefs why <snapshot> (--id <id>... | --type <Class>) [--paths K] [--json]`: objgraph's
 * `find_backref_chain` as text, with DevTools' numbers.
 */
import { formatCount } from "../render/format.js";
import { formatWhyText } from "../render/paths-text.js";
import { formatGroupedText } from "../render/grouped-text.js";
import { prepareObjectQueries } from "../api/snapshot.js";
import { openForCli, type Streams } from "./io.js";
import { ExitCode } from "./exit-codes.js";

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
  prepareObjectQueries();
  const { snap, progress } = await openForCli(file, io, opts.quiet);
  progress.phase("finding objects");
  const r = await snap.whyReport(
    { id: opts.id, type: opts.type, name: opts.name },
    { paths: opts.paths, maxTargets: opts.maxTargets, retained: opts.retained, grouped: !opts.json },
  );
  progress.done();
  // A class with more matches than are explained one by one: first every match, grouped by path.
  const grouped = r.grouped ? formatGroupedText(r.grouped) + "\n" : "";
  io.stdout.write(opts.json ? JSON.stringify(r.objects, null, 2) + "\n" : grouped + formatWhyText(r.objects));
  if (r.matched > r.objects.length) {
    const which = r.byRetainedSize ? "with the largest retained sizes" : "newest (highest ids)";
    io.stderr.write(
      `${formatCount(r.matched)} objects matched; explained the ${formatCount(r.objects.length)} ${which}. ` +
        `Pick others with --id @<id>, or raise --max-targets.\n`,
    );
  }
  return ExitCode.ok;
}
