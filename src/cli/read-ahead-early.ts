/**
 * The snapshot cache's read-ahead thread (src/cache/read-ahead.ts), started as soon as the command
 * line is read for a picture of objects chosen by class or name whose snapshot has a big cache
 * entry, or for a command comparing snapshots one of which has one: such a command reads much of
 * the entry (the grouped walk's columns, the class index; each snapshot's ids, classes and sizes),
 * and a thread started when the first of them is asked for is ready only 0.1-0.3 s later, while the
 * command's thread reads them itself meanwhile. Started here, it boots while this thread loads the
 * command's modules. Decides from the command line and the cache directory alone (no cache module
 * is loaded for a file without a big entry).
 */
import { entrySizeIn } from "../cache/entry-name.js";
import { activeCacheDir } from "./cache-dir.js";

/**
 * Entries of at least this many bytes (the read-ahead's own threshold for starting its thread at
 * the first request: read-ahead.ts, BIG_ENTRY_BYTES; a test checks they agree).
 */
export const EARLY_READ_AHEAD_MIN_BYTES = 128 << 20;

/** For the drawing command on `file` with `--type` or `--name`, when the cache (on: `cacheOn`) has a big entry for it. */
export async function startReadAheadEarly(file: string, opts: { type?: unknown[]; name?: unknown[] }, cacheOn: boolean): Promise<void> {
  if (!opts.type?.length && !opts.name?.length) return;
  await startForBigEntry([file], cacheOn);
}

/**
 * For the commands that compare snapshots (`diff`, `leaks`, `check`) on `files`, when the cache (on:
 * `cacheOn`) has a big entry for one of them: each snapshot's ids, classes and sizes are read whole,
 * one snapshot after another, and what is read ahead of the command's thread is what it would read
 * next.
 */
export async function startReadAheadForComparison(files: readonly string[], cacheOn: boolean): Promise<void> {
  await startForBigEntry(files, cacheOn);
}

/** Starts the thread when one of `files` has an entry of at least {@link EARLY_READ_AHEAD_MIN_BYTES}. */
async function startForBigEntry(files: readonly string[], cacheOn: boolean): Promise<void> {
  if (process.env["BACKREFS_PARALLEL"] === "0") return;
  const dir = activeCacheDir(cacheOn);
  if (dir === null) return;
  // No entry, or no file (reported when it is opened), counts as no big entry.
  const big = files.some((file) => file !== "-" && (entrySizeIn(dir, file) ?? 0) >= EARLY_READ_AHEAD_MIN_BYTES);
  if (!big) return;
  const { prestartReadAhead } = await import("../cache/read-ahead.js");
  prestartReadAhead();
}
