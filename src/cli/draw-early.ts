/**
 * What a picture needs that does not depend on the snapshot, started as soon as the command line
 * is read (main.ts, before the drawing command's own modules and the snapshot cache's are loaded):
 * the layout worker. A worker thread takes a tenth of a second or more to start and load Graphviz,
 * work that runs beside this thread's; started after the command's modules, it was still loading
 * when a small snapshot's picture was ready to be laid out.
 *
 * Kept small on purpose: it decides from the command line alone, with what main.ts has loaded
 * already, and loads the layout's modules (render/svg.js) only when a picture is asked for.
 */
import { statSync } from "node:fs";
import { formatOfExtension } from "../api/files.js";
import { activeCacheDir } from "./cache-dir.js";

/**
 * Snapshot files from this size on start the layout worker late (see runDraw in draw.ts): their
 * analysis takes a second or more, which hides the worker's start.
 */
export const LATE_LAYOUT_MIN_BYTES = 80 << 20;

/** The size of a snapshot file; 0 for standard input or what cannot be read (reported later). */
export function fileSize(file: string): number {
  if (file === "-") return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Whether `-o`/`--format` ask for an output Graphviz lays out (SVG, PNG or DOT) — what draw.ts's
 * `outputTargets` decides, without its usage errors (a command that fails them has started a
 * worker for nothing, which does not keep the process alive).
 */
export function drawsPicture(outputs: readonly string[] | undefined, format: string | undefined): boolean {
  const laidOut = (f: string | null | undefined): boolean => f === "svg" || f === "png" || f === "dot";
  if (format !== undefined) return laidOut(format);
  return (outputs ?? []).some((o) => o === "-" || laidOut(formatOfExtension(o)));
}

/**
 * Starts the layout worker for the drawing command `backrefs <file> -o …` when it draws a picture
 * of a snapshot file smaller than {@link LATE_LAYOUT_MIN_BYTES}, keeping Graphviz's program in the
 * cache directory when the cache is on (`cacheOn`: no `--no-cache`), as runDraw would have.
 */
export async function startLayoutEarly(file: string, opts: { output?: string[]; format?: string }, cacheOn: boolean): Promise<void> {
  if (!drawsPicture(opts.output, opts.format) || fileSize(file) >= LATE_LAYOUT_MIN_BYTES) return;
  const { keepGraphvizIn, prepareLayout } = await import("../render/svg.js");
  keepGraphvizIn(activeCacheDir(cacheOn));
  prepareLayout();
}
