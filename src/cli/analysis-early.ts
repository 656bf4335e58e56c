/**
 * The analysis helper's thread, started as soon as the command line is read (main.ts, before the
 * command's own modules and the snapshot cache's are loaded) for a command that analyses a
 * snapshot file big enough for the helper: a thread takes ~0.05–0.1 s to start, and started this
 * early it is ready to read the file's edges when the reading reaches them (openSnapshot adopts
 * it). Not when the snapshot cache has an entry for the file: the answer then comes from the
 * entry (its analysis is saved too), and a thread started for nothing costs a second look its
 * start-up on the other core. Decides from the command line and the cache directory alone.
 */
import { statSync } from "node:fs";
import { entrySizeIn } from "../cache/entry-name.js";
import { AnalysisHelper, EARLY_HELPER_MIN_BYTES } from "../graph/helper.js";
import { activeCacheDir } from "./cache-dir.js";

/**
 * For `info` and the drawing command on `file`, unless told not to compute retained sizes or use a
 * second thread, or the cache (on: `cacheOn`) has an entry for the file.
 */
export function startHelperEarly(file: string, opts: { retained?: boolean }, cacheOn: boolean): void {
  if (opts.retained === false || file === "-" || process.env["BACKREFS_PARALLEL"] === "0") return;
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // reported when the file is opened
  }
  if (size < EARLY_HELPER_MIN_BYTES) return;
  const dir = activeCacheDir(cacheOn);
  // An entry: most likely the answer (a stale one is replaced, read without the head start).
  if (dir !== null && entrySizeIn(dir, file) !== undefined) return;
  AnalysisHelper.prestart();
}
