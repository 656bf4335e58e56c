/**
 * The name of a snapshot's cache entry: a hash of the snapshot file's real path, in the cache
 * directory. Apart from the cache itself so that what starts threads first thing
 * (cli/analysis-early.ts) can tell whether an entry is there without loading the cache.
 */
import { createHash } from "node:crypto";
import { realpathSync, statSync } from "node:fs";
import { join } from "node:path";

/** The file name ending of a cache entry. */
export const ENTRY_SUFFIX = ".brc";
/** The file name ending of an entry's late part (entry.ts: parts a later command adds beside it). */
const LATE_SUFFIX = ".brl";

/** The file of an entry's late part `part`: `<entry without .brc>.<part>.brl`. */
export function latePartFile(entry: string, part: string): string {
  return `${entry.endsWith(ENTRY_SUFFIX) ? entry.slice(0, -ENTRY_SUFFIX.length) : entry}.${part}${LATE_SUFFIX}`;
}

/** Where the entry of the snapshot at `realPath` is (or would be) in `dir`. */
export function entryPathIn(dir: string, realPath: string): string {
  return join(dir, createHash("sha256").update(realPath).digest("hex").slice(0, 40) + ENTRY_SUFFIX);
}

/**
 * The size of the entry in `dir` of the snapshot file `file` (any path to it), or undefined when
 * there is none (or no such file). Says nothing of whether the entry is current: for what starts
 * work ahead of the command, which the cache itself then checks.
 */
export function entrySizeIn(dir: string, file: string): number | undefined {
  return sizeBesideEntry(dir, file, (entry) => entry);
}

/**
 * Whether the entry in `dir` of the snapshot file `file` has its late part `part` beside it (as
 * {@link entrySizeIn}, without saying whether it is current).
 */
export function hasLatePartIn(dir: string, file: string, part: string): boolean {
  return sizeBesideEntry(dir, file, (entry) => latePartFile(entry, part)) !== undefined;
}

/** The size of the regular file `name` gives for the entry of `file` in `dir`, or undefined. */
function sizeBesideEntry(dir: string, file: string, name: (entry: string) => string): number | undefined {
  try {
    const st = statSync(name(entryPathIn(dir, realpathSync(file))));
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}
