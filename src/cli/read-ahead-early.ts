/**
 * The snapshot cache's read-ahead thread (src/cache/read-ahead.ts), started as soon as the command
 * line is read for a picture of objects chosen by class or name whose snapshot has a big cache
 * entry: such a picture reads most of the entry (the grouped walk's columns, the class index), and
 * a thread started when the first of them is asked for is ready only 0.1-0.3 s later, while the
 * command's thread reads them itself meanwhile. Started here, it boots while this thread loads the
 * command's modules. Decides from the command line and the cache directory alone (no cache module
 * is loaded for a file without a big entry).
 */
import { realpathSync, statSync } from "node:fs";
import { entryPathIn } from "../cache/entry-name.js";
import { activeCacheDir } from "./cache-dir.js";

/**
 * Entries of at least this many bytes (the read-ahead's own threshold for starting its thread at
 * the first request: read-ahead.ts, BIG_ENTRY_BYTES; a test checks they agree).
 */
export const EARLY_READ_AHEAD_MIN_BYTES = 128 << 20;

/** For the drawing command on `file` with `--type` or `--name`, when the cache (on: `cacheOn`) has a big entry for it. */
export async function startReadAheadEarly(file: string, opts: { type?: unknown[]; name?: unknown[] }, cacheOn: boolean): Promise<void> {
  if (!opts.type?.length && !opts.name?.length) return;
  if (file === "-" || process.env["BACKREFS_PARALLEL"] === "0") return;
  const dir = activeCacheDir(cacheOn);
  if (dir === null) return;
  let size: number;
  try {
    size = statSync(entryPathIn(dir, realpathSync(file))).size;
  } catch {
    return; // no entry (or no file: reported when it is opened)
  }
  if (size < EARLY_READ_AHEAD_MIN_BYTES) return;
  const { prestartReadAhead } = await import("../cache/read-ahead.js");
  prestartReadAhead();
}
