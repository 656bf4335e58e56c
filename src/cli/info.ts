/**
 * `backrefs info <snapshot>`: what a user runs first on a snapshot.
 */
import { promises as fsp } from "node:fs";
import type { ClassStat, SnapshotSummary } from "../query/summary.js";
import { formatBytes, formatCount, sanitizeText, truncateText } from "../render/format.js";
import { MAX_FIRST_COLUMN, table } from "./table.js";
import { openForCli, type Streams } from "./io.js";
import { ExitCode } from "./exit-codes.js";

export interface InfoOptions {
  json?: boolean;
  top: number;
  quiet?: boolean;
  /** Compute dominators and retained sizes (default); false: counts and raw self sizes only. */
  retained?: boolean;
}

export async function runInfo(file: string, opts: InfoOptions, io: Streams): Promise<number> {
  const fileSize = file === "-" ? null : ((await fsp.stat(file).catch(() => null))?.size ?? null);
  const { snap, progress } = await openForCli(file, io, !!opts.quiet, "", opts.retained !== false);
  const summary = await snap.summary({ top: opts.top, retained: opts.retained });
  progress.done();
  if (opts.json) {
    io.stdout.write(JSON.stringify({ file, fileSize, ...summary }, null, 2) + "\n");
  } else {
    io.stdout.write(formatInfo(file, fileSize, summary));
  }
  return ExitCode.ok;
}

function formatInfo(file: string, fileSize: number | null, s: SnapshotSummary): string {
  const lines: string[] = [];
  lines.push(`${sanitizeText(file)}${fileSize === null ? "" : `  ${formatBytes(fileSize)}`}`);
  lines.push(
    `  ${formatCount(s.nodeCount)} nodes, ${formatCount(s.edgeCount)} edges, ${formatCount(s.stringCount)} strings, ` +
      `${formatCount(s.classCount)} classes`,
  );
  lines.push(`  total self size ${formatBytes(s.totalSelfSize)}`);
  lines.push(`  node fields: ${s.nodeFields.map(sanitizeText).join(", ")}`);
  lines.push("");
  lines.push("By node type:");
  lines.push(
    table(
      ["type", "count", "self size"],
      s.nodeTypes.map((t) => [sanitizeText(t.type), formatCount(t.count), formatBytes(t.selfSize)]),
    ),
  );
  lines.push("");
  lines.push(`Top ${s.topClasses.length} classes by count:`);
  lines.push(classTableText(s.topClasses));
  lines.push("");
  lines.push(`Top ${s.topClassesBySelfSize.length} classes by self size:`);
  lines.push(classTableText(s.topClassesBySelfSize));
  if (s.topClassesByRetainedSize) {
    lines.push("");
    lines.push(`Top ${s.topClassesByRetainedSize.length} classes by retained size:`);
    lines.push(classTableText(s.topClassesByRetainedSize));
  }
  return lines.join("\n") + "\n";
}

/**
 * Class rows for a terminal: with retained size and distance when the analysis ran. A name shown
 * on more than one row (DevTools splits same-named constructors by script) says where each is
 * defined: `Item (script 12, line 3)`, lines counted from 1.
 */
export function classTableText(rows: ClassStat[]): string {
  const full = rows.some((c) => c.retainedSize !== undefined);
  const seen = new Map<string, number>();
  for (const c of rows) seen.set(c.className, (seen.get(c.className) ?? 0) + 1);
  const label = (c: ClassStat): string => {
    if (!c.location || seen.get(c.className)! < 2) return sanitizeText(c.className);
    const where = ` (script ${c.location.scriptId}, line ${c.location.line + 1})`;
    return truncateText(sanitizeText(c.className), MAX_FIRST_COLUMN - where.length) + where;
  };
  return table(
    full ? ["class", "count", "self size", "retained size", "distance"] : ["class", "count", "self size"],
    rows.map((c) => {
      const row = [label(c), formatCount(c.count), formatBytes(c.selfSize)];
      if (full) row.push(formatBytes(c.retainedSize ?? 0), c.distance === undefined ? "-" : String(c.distance));
      return row;
    }),
  );
}
