/**
 * The snapshot cache as the CLI uses it: where it lives, when it is on, what it says on stderr,
 * and `backrefs cache [--clear]`. The cache itself is src/cache/.
 *
 * On by default. Off with `--no-cache` on any command, or `BACKREFS_CACHE=0`. The directory is
 * `BACKREFS_CACHE_DIR`, else `$XDG_CACHE_HOME/backrefs`, else `~/.cache/backrefs` (macOS:
 * `~/Library/Caches/backrefs`; Windows: `%LOCALAPPDATA%\backrefs\cache`); its size limit is
 * `BACKREFS_CACHE_MAX` (e.g. `10GB`; default 4 GB).
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { SnapshotFormatError } from "../errors.js";
import { HeapGraph } from "../graph/heap-graph.js";
import { HeapAnalysis, type AnalysisOptions, type AnalysisParts } from "../graph/analysis.js";
import { readSnapshotRaw, type ReadOptions } from "../snapshot/read.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import { DEFAULT_CACHE_MAX_BYTES, SnapshotCache, type CacheKey, type PendingSave, type SaveResult } from "../cache/store.js";
import { formatBytes, sanitizeText } from "../render/format.js";
import { table } from "./table.js";
import type { Streams } from "./io.js";

let disabledByFlag = false;

/** `--no-cache` on the command being run (main sets it before every command). */
export function setCacheFlag(enabled: boolean): void {
  disabledByFlag = !enabled;
}

/** The cache directory from the environment (see the top of this file). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env["BACKREFS_CACHE_DIR"];
  if (own) return own;
  const xdg = env["XDG_CACHE_HOME"];
  if (xdg) return join(xdg, "backrefs");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "backrefs");
  if (process.platform === "win32" && env["LOCALAPPDATA"]) return join(env["LOCALAPPDATA"], "backrefs", "cache");
  return join(homedir(), ".cache", "backrefs");
}

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
  // BACKREFS_PARALLEL (see io.ts) also decides the second thread that reads big entries.
  const par = process.env["BACKREFS_PARALLEL"];
  const parallel = par === "1" ? true : par === "0" ? false : undefined;
  return new SnapshotCache({ dir: cacheDir(), maxBytes: sizeSetting(process.env["BACKREFS_CACHE_MAX"]) ?? DEFAULT_CACHE_MAX_BYTES, parallel });
}

/** The cache, or null when it is off. */
function activeCache(): SnapshotCache | null {
  if (disabledByFlag) return null;
  const env = (process.env["BACKREFS_CACHE"] ?? "").toLowerCase();
  if (env === "0" || env === "off" || env === "false" || env === "no") return null;
  return theCache();
}

/** What the cache knows of a loaded graph. */
interface Tracked {
  cache: SnapshotCache;
  key: CacheKey;
  raw: RawSnapshot;
  /** The analysis the entry held (null when none, or when the snapshot was read). */
  saved: AnalysisParts | null;
  analysis: HeapAnalysis | null;
  file: string;
  /** The entry being written since the snapshot was read (a miss), or why none is. */
  pending: PendingSave | Extract<SaveResult, { kind: "not-written" }> | null;
}

const tracked = new WeakMap<HeapGraph, Tracked>();
/** Graphs whose entry should be (re)written when the command is done. */
let toWrite: Tracked[] = [];

/**
 * Loads a snapshot through the cache when it is on: from the entry when there is a valid one,
 * else by reading the file (the entry is written at the end of the command, see flushCaches).
 */
export async function loadGraph(file: string, read: ReadOptions, io: Streams): Promise<HeapGraph> {
  const cache = file === "-" ? null : activeCache();
  if (!cache) return new HeapGraph(await readSnapshotRaw(file, read));
  const start = performance.now();
  const look = await cache.lookup(file);
  if (look.kind === "hit") {
    try {
      const graph = new HeapGraph(look.content.raw);
      tracked.set(graph, { cache, key: look.key, raw: look.content.raw, saved: look.content.analysis, analysis: null, file, pending: null });
      const secs = ((performance.now() - start) / 1000).toFixed(2);
      io.stderr.write(`cache: used ${sanitizeText(look.entry)} (${formatBytes(look.bytes)}, read in ${secs} s)\n`);
      return graph;
    } catch (e) {
      if (!(e instanceof SnapshotFormatError)) throw e;
      io.stderr.write(`cache: ignored ${sanitizeText(look.entry)} (${sanitizeText(e.message)}); reading the snapshot\n`);
    }
  } else if (look.kind === "miss" && look.reason !== null) {
    io.stderr.write(`cache: ignored ${sanitizeText(look.entry)} (${sanitizeText(look.reason)}); reading the snapshot\n`);
  }
  const raw = await readSnapshotRaw(file, read);
  const graph = new HeapGraph(raw);
  if (look.kind !== "uncacheable") {
    // The entry is written while the command goes on (the columns now, the analysis once known).
    const t: Tracked = { cache, key: look.key, raw, saved: null, analysis: null, file, pending: cache.begin(look.key, raw) };
    tracked.set(graph, t);
    toWrite.push(t);
  }
  return graph;
}

/**
 * The analysis the graph's cache entry holds, when it has what is asked for (`retained`: the
 * dominator tree and retained sizes too); otherwise computes it with `compute`, starting from
 * what the entry has, and marks the entry for rewriting with the result.
 */
export async function cachedAnalysis(
  graph: HeapGraph,
  retained: boolean,
  options: AnalysisOptions,
  compute: (start: HeapAnalysis) => Promise<void>,
): Promise<HeapAnalysis> {
  const t = tracked.get(graph);
  const start = t?.saved ? HeapAnalysis.fromParts(graph, t.saved, options) : new HeapAnalysis(graph, options);
  if (t) {
    t.analysis = start;
    // Parts computed later (per-class retained sizes) are saved too: look again when done.
    if (!toWrite.includes(t)) toWrite.push(t);
  }
  if (t?.saved && (!retained || t.saved.tree)) return start;
  await compute(start);
  const parts = t?.pending && "hand" in t.pending ? start.savedParts() : null;
  if (parts) (t!.pending as PendingSave).hand({ raw: t!.raw, analysis: parts });
  return start;
}

/**
 * Completes the entries of this command's snapshots that are new or gained analysis, and says so
 * (the time given is what completing took, after the answer was out).
 */
export async function flushCaches(io: Streams): Promise<void> {
  const jobs = toWrite;
  toWrite = [];
  for (const t of jobs) {
    const analysis = t.analysis?.savedParts() ?? t.saved;
    // An entry read from the cache is rewritten only when the command added to it.
    if (t.saved && !gained(t.saved, analysis)) continue;
    const start = performance.now();
    const pending = t.pending;
    t.pending = null;
    const r = pending === null ? t.cache.save(t.key, { raw: t.raw, analysis }) : "finish" in pending ? await pending.finish({ raw: t.raw, analysis }) : pending;
    if (r.kind === "written") {
      const secs = ((performance.now() - start) / 1000).toFixed(2);
      io.stderr.write(
        `cache: wrote ${sanitizeText(r.entry)} (${formatBytes(r.bytes)} in ${secs} s; the cache holds ${formatBytes(r.totalBytes)} of ${formatBytes(r.maxBytes)}` +
          `${r.dropped > 0 ? `, ${r.dropped} older entr${r.dropped === 1 ? "y" : "ies"} dropped` : ""})\n`,
      );
    } else {
      io.stderr.write(`cache: not written for ${sanitizeText(t.file)} (${sanitizeText(r.reason)})\n`);
    }
  }
}

/** Whether `now` holds parts of the analysis that `before` lacks. */
function gained(before: AnalysisParts, now: AnalysisParts | null): boolean {
  if (!now) return false;
  return (now.tree !== null && before.tree === null) || (now.classRetained !== null && before.classRetained === null);
}

/** Forgets entries waiting to be written, and removes those begun (a command that failed writes none). */
export async function dropPendingCaches(): Promise<void> {
  const jobs = toWrite;
  toWrite = [];
  for (const t of jobs) {
    const pending = t.pending;
    t.pending = null;
    if (pending && "abandon" in pending) await pending.abandon();
  }
}

export interface CacheCommandOptions {
  clear: boolean;
  json: boolean;
}

/** `backrefs cache [--clear] [--json]`: what the cache holds, or empty it. */
export function runCache(opts: CacheCommandOptions, io: Streams): number {
  const cache = theCache();
  if (opts.clear) {
    const r = cache.clear();
    if (opts.json) io.stdout.write(JSON.stringify({ dir: cache.dir, removedEntries: r.entries, removedBytes: r.bytes }, null, 2) + "\n");
    else io.stdout.write(`removed ${r.entries} entr${r.entries === 1 ? "y" : "ies"} (${formatBytes(r.bytes)}) from ${sanitizeText(cache.dir)}\n`);
    return 0;
  }
  const l = cache.list();
  const off = activeCache() === null;
  if (opts.json) {
    io.stdout.write(
      JSON.stringify(
        {
          dir: l.dir,
          enabled: !off,
          maxBytes: l.maxBytes,
          totalBytes: l.totalBytes,
          entries: l.entries.map((e) => ({ entry: e.entry, bytes: e.bytes, lastUsed: e.lastUsed.toISOString(), source: e.source, sourceSize: e.sourceSize, problem: e.problem })),
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
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
          e.problem ? `${sanitizeText(e.source ?? "?")} (${sanitizeText(e.problem)})` : sanitizeText(e.source ?? "?"),
          e.sourceSize === null ? "-" : formatBytes(e.sourceSize),
          formatBytes(e.bytes),
          e.lastUsed.toISOString().replace("T", " ").slice(0, 19),
        ]),
      ),
    );
  }
  io.stdout.write(lines.join("\n") + "\n");
  return 0;
}
