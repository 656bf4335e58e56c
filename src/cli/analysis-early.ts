/**
 * The analysis helper's thread, started as soon as the command line is read (main.ts, before the
 * command's own modules and the snapshot cache's are loaded) for a command that analyses a
 * snapshot file big enough for the helper: a thread takes ~0.05–0.1 s to start, and started this
 * early it is ready to read the file's edges when the reading reaches them (openSnapshot adopts
 * it, and lets it go if the cache answers). Decides from the command line alone.
 */
import { statSync } from "node:fs";
import { AnalysisHelper, EARLY_HELPER_MIN_BYTES } from "../graph/helper.js";

/** For `info` and the drawing command on `file`, unless told not to compute retained sizes or use a second thread. */
export function startHelperEarly(file: string, opts: { retained?: boolean }): void {
  if (opts.retained === false || file === "-" || process.env["BACKREFS_PARALLEL"] === "0") return;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // reported when the file is opened
  }
  if (size >= EARLY_HELPER_MIN_BYTES) AnalysisHelper.prestart();
}
