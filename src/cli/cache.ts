/**
 * The snapshot cache as the CLI uses it: where it lives, when it is on, what it says on stderr,
 * and `backrefs cache [--clear]`. The cache itself is src/cache/.
 *
 * On by default. Off with `--no-cache` on any command, or `BACKREFS_CACHE=0`. The directory is
 * `BACKREFS_CACHE_DIR`, else `$XDG_CACHE_HOME/backrefs`, else `~/.cache/backrefs` (macOS:
 * `~/Library/Caches/backrefs`; Windows: `%LOCALAPPDATA%\backrefs\cache`); its size limit is
 * `BACKREFS_CACHE_MAX` (e.g. `10GB`; default 4 GB).
 */
import { DEFAULT_CACHE_MAX_BYTES, SnapshotCache } from "../cache/store.js";
import { CacheSession, PART_NAMES, type CacheEvent } from "../cache/session.js";
import { fileText, formatBytes, sanitizeText } from "../render/format.js";
import { MAX_FIRST_COLUMN, table } from "./table.js";
import type { Streams } from "./io.js";
import { ExitCode } from "./exit-codes.js";
import { cacheDir, cacheOffByEnvironment } from "./cache-dir.js";

export { cacheDir } from "./cache-dir.js";

/** `10GB`, `500MB`, `1e9` → bytes (1000-based, as everywhere in backrefs); null when unreadable. */
function sizeSetting(text: string | undefined): number | null {
  if (!text) return null;
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*(b|kb|k|mb|m|gb|g|tb|t)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? "b").toLowerCase()[0]!;
  const factor = { b: 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 }[unit] ?? 1;
  return Math.round(Number(m[1]) * factor);
}

function theCache(): SnapshotCache {
  // BACKREFS_PARALLEL (see io.ts) also decides whether big entries are written in the background
  // and whether an entry in use is read ahead on a second thread.
  const par = process.env["BACKREFS_PARALLEL"];
  const parallel = par === "1" ? true : par === "0" ? false : undefined;
  return new SnapshotCache({
    dir: cacheDir(),
    maxBytes: sizeSetting(process.env["BACKREFS_CACHE_MAX"]) ?? DEFAULT_CACHE_MAX_BYTES,
    parallel,
  });
}

/** The cache session of the command being run; null when the cache is off. */
let session: CacheSession | null = null;

/**
 * The entries completed early ({@link flushCachesEarly}) and what the cache said meanwhile, which
 * is held until the command ends; null when none were.
 */
let early: { done: Promise<void>; said: string[] } | null = null;

/**
 * Starts the cache session of a command (main calls it before every command): on unless
 * `--no-cache` (`enabled` false) or BACKREFS_CACHE says off. What the cache does is said on stderr.
 * Entries in `skip` (found damaged by this command's first run) are not read.
 */
export function beginCacheSession(enabled: boolean, io: Streams, skip?: ReadonlySet<string>): void {
  early = null;
  const say = (e: CacheEvent): void => {
    const line = cacheMessage(e);
    if (early) early.said.push(line);
    else io.stderr.write(line);
  };
  session = enabled && !cacheOffByEnvironment() ? new CacheSession(theCache(), say, skip) : null;
  sayLater = (lines) => {
    for (const line of lines) io.stderr.write(line);
  };
}

/** Writes lines the cache said during an early flush (set with the session's streams). */
let sayLater: (lines: string[]) => void = () => {};

/**
 * The directory the layout worker keeps Graphviz's decoded program in (src/render/graphviz-wasm.ts):
 * the cache directory when the cache is on, else none.
 */
export function graphvizProgramDir(): string | null {
  return session ? cacheDir() : null;
}

/** The session snapshots are opened with (`openSnapshot(file, { cache })`), or false when the cache is off. */
export function cacheSession(): CacheSession | false {
  return session ?? false;
}

/** What the CLI says of a cache event, one line. */
function cacheMessage(e: CacheEvent): string {
  switch (e.kind) {
    case "used":
      return `cache: used ${sanitizeText(e.entry)} (${formatBytes(e.bytes)}, read in ${e.seconds.toFixed(2)} s)\n`;
    case "ignored":
      return `cache: ignored ${sanitizeText(e.entry)} (${sanitizeText(e.reason)}); reading the snapshot\n`;
    case "ignored-part":
      return `cache: ignored the ${e.part} of ${sanitizeText(e.entry)} (${sanitizeText(e.reason)}); computing it again\n`;
    case "written": {
      const r = e.result;
      const what = r.added ? `added the ${listed(r.added.map((p) => PART_NAMES[p]))} to` : "wrote";
      return (
        `cache: ${what} ${sanitizeText(r.entry)} (${formatBytes(r.bytes)} in ${e.seconds.toFixed(2)} s; the cache holds ${formatBytes(r.totalBytes)} of ${formatBytes(r.maxBytes)}` +
        `${r.dropped > 0 ? `, ${r.dropped} older entr${r.dropped === 1 ? "y" : "ies"} dropped` : ""})\n`
      );
    }
    case "not-written":
      return `cache: not written for ${sanitizeText(e.file)} (${sanitizeText(e.reason)})\n`;
  }
}

/** `a`, `a and b`, `a, b and c`. */
function listed(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/**
 * Completes the entries this command's snapshots earned now, before the command ends, when what
 * is left of it needs nothing an entry holds and waits on another thread: a picture's layout
 * (draw.ts), during which this thread is otherwise idle. What the cache says is held until
 * {@link flushCaches} or {@link dropPendingCaches}, so that it comes where it always did (after the
 * answer, never inside a progress line). An entry completed so is kept even when the command fails
 * after it: it holds the snapshot as read and analysed, which nothing after changes. Returns
 * when the entries are completed (it never rejects: a session's flush says what failed).
 */
export function flushCachesEarly(): Promise<void> {
  if (!session || early) return early?.done ?? Promise.resolve();
  const said: string[] = [];
  early = { done: Promise.resolve(), said };
  early.done = session.flush();
  return early.done;
}

/** The early flush, if any: awaited, then what the cache said during it is written. */
async function endEarly(): Promise<void> {
  const e = early;
  if (!e) return;
  try {
    await e.done;
  } finally {
    early = null;
    sayLater(e.said);
  }
}

/** The answer is out: completes the entries this command's snapshots earned, and says so. */
export async function flushCaches(): Promise<void> {
  const s = session;
  session = null;
  await endEarly();
  await s?.flush();
}

/**
 * Forgets entries waiting to be written, and removes those begun (a command that failed writes
 * none, except the entries {@link flushCachesEarly} completed before it failed).
 */
export async function dropPendingCaches(): Promise<void> {
  const s = session;
  session = null;
  await endEarly().catch(() => {});
  await s?.drop();
}

export interface CacheCommandOptions {
  clear: boolean;
  json: boolean;
}

/**
 * `backrefs cache [--clear] [--json]`: what the cache holds, or empty it (with the Graphviz program
 * pictures keep there: src/render/graphviz-wasm.ts).
 */
export async function runCache(opts: CacheCommandOptions, io: Streams): Promise<number> {
  const cache = theCache();
  if (opts.clear) {
    const r = cache.clear();
    const { removeKeptPrograms } = await import("../render/graphviz-wasm.js");
    const program = removeKeptPrograms(cache.dir);
    if (opts.json) {
      io.stdout.write(
        JSON.stringify({ dir: cache.dir, removedEntries: r.entries, removedBytes: r.bytes, removedProgramBytes: program }, null, 2) + "\n",
      );
    } else {
      const also = program > 0 ? ` and Graphviz's kept program (${formatBytes(program)})` : "";
      io.stdout.write(
        `removed ${r.entries} entr${r.entries === 1 ? "y" : "ies"} (${formatBytes(r.bytes)})${also} from ${sanitizeText(cache.dir)}\n`,
      );
    }
    return ExitCode.ok;
  }
  const l = cache.list();
  const off = cacheOffByEnvironment();
  if (opts.json) {
    io.stdout.write(
      JSON.stringify(
        {
          dir: l.dir,
          enabled: !off,
          maxBytes: l.maxBytes,
          totalBytes: l.totalBytes,
          entries: l.entries.map((e) => ({
            entry: e.entry,
            bytes: e.bytes,
            lastUsed: e.lastUsed.toISOString(),
            source: e.source,
            sourceSize: e.sourceSize,
            problem: e.problem,
          })),
        },
        null,
        2,
      ) + "\n",
    );
    return ExitCode.ok;
  }
  const lines = [
    `${sanitizeText(l.dir)}${off ? "  (the cache is off: BACKREFS_CACHE)" : ""}`,
    `  ${l.entries.length} entr${l.entries.length === 1 ? "y" : "ies"}, ${formatBytes(l.totalBytes)} of ${formatBytes(l.maxBytes)}`,
  ];
  if (l.entries.length > 0) {
    lines.push("");
    lines.push(
      table(
        ["snapshot", "snapshot size", "entry size", "last used"],
        l.entries.map((e) => [
          // A long path is cut at its start: the snapshot's own file name stays.
          e.problem
            ? `${sanitizeText(fileText(e.source ?? "?", MAX_FIRST_COLUMN))} (${sanitizeText(e.problem)})`
            : sanitizeText(fileText(e.source ?? "?", MAX_FIRST_COLUMN)),
          e.sourceSize === null ? "-" : formatBytes(e.sourceSize),
          formatBytes(e.bytes),
          e.lastUsed.toISOString().replace("T", " ").slice(0, 19),
        ]),
      ),
    );
  }
  io.stdout.write(lines.join("\n") + "\n");
  return ExitCode.ok;
}
