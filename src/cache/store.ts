/**
 * The snapshot cache: one entry file per snapshot path in a directory the caller chooses (the CLI
 * uses the user's cache directory), so that a second command on the same snapshot skips reading
 * and analysing it.
 *
 * When an entry may be used (see docs/cache.md): the snapshot's real path names the entry; the
 * entry records the file's size, modification and status-change times (nanoseconds), inode and
 * device, and a SHA-256 of blocks sampled across the file. All must match. Any write to a file
 * sets its status-change time (ctime) to the current time, and no system call lets a program set
 * it back (`touch`/`utimes` set the modification time and thereby move ctime forward), so a file
 * changed in any way, even with its size and mtime restored, no longer matches. The one gap is a
 * change within the same timestamp tick as the entry's snapshot of the file: entries are therefore
 * only written for files whose last change is at least {@link RACY_MS} older than the moment they
 * were read (like git's "racily clean" rule), and the file's identity is taken again after
 * reading; a change during the read means no entry.
 *
 * Entries are written to a temporary file and renamed into place, so two processes writing the
 * same entry at once both leave a whole file (the last rename wins), and a reader never sees half
 * an entry. The directory is kept under a size limit by dropping the least recently used entries
 * (an entry's mtime is its last use).
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  fstatSync,
  openSync,
  readSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
  mkdirSync,
  renameSync,
  realpathSync,
  readFileSync,
  type BigIntStats,
} from "node:fs";
import { basename, join } from "node:path";
import {
  CACHE_FORMAT,
  CacheFormatError,
  EntryWriter,
  LATE_PARTS,
  entrySize,
  latePartOf,
  latePartPath,
  latePartSize,
  readEntry,
  readHeader,
  writeEntry,
  writeLatePart,
  type EntryContent,
  type EntryStamp,
  type LateContent,
  type LatePart,
  type ReadContent,
  type SourceIdentity,
} from "./entry.js";
import { BackgroundChecksums } from "./checksums.js";
import { ENTRY_SUFFIX, entryPathIn } from "./entry-name.js";
import { removeQuietly, sameFileAt } from "./files.js";
import type { RawSnapshot } from "../snapshot/parser.js";

/** Default size limit of the cache directory. */
export const DEFAULT_CACHE_MAX_BYTES = 4e9;
/** A file changed less than this long before it was read gets no entry (timestamp granularity). */
export const RACY_MS = 2000;
const SUFFIX = ENTRY_SUFFIX;
/** Temporary files older than this are leftovers of a writer that died. */
const STALE_TMP_MS = 3600_000;

export interface CacheOptions {
  /** The cache directory (created when an entry is first written). */
  dir: string;
  /** Size limit of the directory; the least recently used entries go first. Default 4 GB. */
  maxBytes?: number;
  /**
   * Write the entries of big snapshots in the background while the command runs (default:
   * snapshots of 64 MB and more; true forces it, false turns it off), and read ahead on a second
   * thread what a command asks of an entry it uses (default: when that is big, see read-ahead.ts).
   */
  parallel?: boolean;
  /**
   * Snapshots with this many nodes and more get their per-class retained sizes computed when their
   * entry is first written, if the command computed the dominator tree and the classes but not
   * them (default 8 million: about a 1 GB snapshot, where computing them on a later look costs it
   * about a second, reading the whole tree; below, the later look computes them when asked).
   */
  classRetainedEarlyNodes?: number;
  /**
   * Snapshots with this many nodes and more get the id-trust check's sample (see
   * graph/id-sample.ts) added to their entry as soon as it is written, computed then if the
   * command did not compute it (default 1,048,576: about an 80 MB snapshot). The first comparison
   * (`diff`, `leaks`, `check --baseline`, `--new-since`) after a picture then reads it instead of
   * reading every edge target to compute it (about 1 s of CPU at 200 MB, 2 s at 1 GB on a busy
   * machine, both snapshots); on arrays in memory it takes 0.13 s at 200 MB, 0.35 s at 1 GB.
   */
  idSampleEarlyNodes?: number;
  /**
   * Snapshots with this many nodes and more (default 8 million: about a 1 GB snapshot) compute
   * that sample while the analysis' helper thread finishes the dominator tree, in time the
   * command's thread would otherwise spend waiting; smaller ones when the entry is completed. The
   * sample's short-lived objects (a few MB, whatever the snapshot's size) add to the command's peak
   * memory when made then: 5 MB more at 200 MB (1.3% of its peak) for about 50 ms less, where at
   * 1 GB they are 0.3% for 0.1 to 0.15 s less.
   */
  idSampleAlongsideNodes?: number;
  /**
   * Whether a new entry's id sample, for snapshots of idSampleAlongsideNodes and more, is chosen
   * from the snapshot's columns on the entry's checksum thread, once that has summed them, while
   * the command computes (default true; the objects' names are still hashed on the command's
   * thread, at the end): also when the command computes no dominator tree. False, or when that
   * thread cannot run: on the command's thread, alongside the helper or at the end as above.
   */
  idSampleThread?: boolean;
}

/** Default of {@link CacheOptions.classRetainedEarlyNodes}. */
export const CLASS_RETAINED_EARLY_NODES = 8_000_000;

/** Default of {@link CacheOptions.idSampleEarlyNodes}. */
export const ID_SAMPLE_EARLY_NODES = 1 << 20;

/** Default of {@link CacheOptions.idSampleAlongsideNodes}. */
export const ID_SAMPLE_ALONGSIDE_NODES = 8_000_000;

/** The result of a lookup. */
export type CacheLookup =
  | { kind: "hit"; content: ReadContent; entry: string; bytes: number; key: CacheKey }
  | { kind: "miss"; key: CacheKey; entry: string; reason: string | null }
  | { kind: "uncacheable"; reason: string };

/** What identifies a source file for an entry, and what was true of it when first looked at. */
export interface CacheKey {
  source: SourceIdentity;
  /** When the file was looked at (ms since the epoch): a change within RACY_MS of this is too close. */
  lookedAt: number;
}

export type SaveResult =
  | {
      kind: "written";
      entry: string;
      /** Bytes written: the entry's, or with `added` the added parts'. */
      bytes: number;
      totalBytes: number;
      maxBytes: number;
      dropped: number;
      /** Set when late parts were added to an entry ({@link SnapshotCache.addParts}) rather than the entry written. */
      added?: LatePart[];
      /**
       * A new entry (from {@link SnapshotCache.begin}), as a lookup would give it: for adding parts
       * to it at once. Absent when it could not be told (the entry replaced meanwhile).
       */
      stamp?: EntryStamp;
    }
  | { kind: "not-written"; reason: string };

/**
 * An entry being written while the command that read the snapshot goes on (see
 * {@link SnapshotCache.begin}).
 */
export interface PendingSave {
  /** Whether big sections are written in the background as they are handed over (else all at the end). */
  readonly background: boolean;
  /** Hands over what is known so far (e.g. the analysis once computed): written meanwhile where that pays. */
  hand(content: EntryContent): void;
  /** Completes the entry with `content` and puts it in place. */
  finish(content: EntryContent): Promise<SaveResult>;
  /** Gives up: nothing is left behind. */
  abandon(): Promise<void>;
}

export interface CacheListing {
  dir: string;
  maxBytes: number;
  totalBytes: number;
  entries: { entry: string; bytes: number; lastUsed: Date; source: string | null; sourceSize: number | null; problem: string | null }[];
}

let buildIdMemo: string | null = null;

/**
 * Identifies this build's reading and analysis code: the package version, the cache format and a
 * hash of the compiled modules that produce what an entry holds (the snapshot reader, the graph
 * and its analysis, this cache). Entries of any other build are ignored and rebuilt.
 */
export function buildId(): string {
  if (buildIdMemo !== null) return buildIdMemo;
  const h = createHash("sha256");
  h.update(`format ${CACHE_FORMAT}\n`);
  const root = new URL("../", import.meta.url);
  try {
    h.update(readFileSync(new URL("../package.json", root)));
  } catch {
    h.update("no package.json");
  }
  for (const sub of ["snapshot", "graph", "cache"]) {
    const dir = new URL(`${sub}/`, root);
    let names: string[] = [];
    try {
      names = readdirSync(dir)
        .filter((n) => (n.endsWith(".js") || n.endsWith(".ts")) && !n.endsWith(".d.ts"))
        .sort();
    } catch {
      // not there: the hash says so by leaving it out
    }
    for (const n of names) {
      h.update(`${sub}/${n}\n`);
      h.update(readFileSync(new URL(n, dir)));
    }
  }
  return (buildIdMemo = h.digest("hex").slice(0, 32));
}

/** Size of each block hashed into a file's fingerprint, and how many. */
const BLOCK = 4096;
const BLOCKS = 64;

/**
 * SHA-256 over the file's size and 64 blocks of 4 KB spread evenly from its first byte to its last
 * (the whole file when it is smaller than that): a cheap check that an entry is about this content.
 */
export function fingerprint(fd: number, size: number): string {
  const h = createHash("sha256");
  h.update(`${size}\n`);
  const buf = Buffer.alloc(BLOCK);
  const read = (pos: number): void => {
    const n = readSync(fd, buf, 0, Math.min(BLOCK, size - pos), pos);
    h.update(buf.subarray(0, n));
  };
  if (size <= BLOCK * BLOCKS) {
    for (let pos = 0; pos < size; pos += BLOCK) read(pos);
  } else {
    const span = size - BLOCK;
    for (let i = 0; i < BLOCKS; i++) read(Math.floor((span * i) / (BLOCKS - 1)));
  }
  return h.digest("hex");
}

function identity(path: string, st: BigIntStats, fd: number): SourceIdentity {
  return {
    path,
    size: Number(st.size),
    mtimeNs: st.mtimeNs.toString(),
    ctimeNs: st.ctimeNs.toString(),
    ino: st.ino.toString(),
    dev: st.dev.toString(),
    fingerprint: fingerprint(fd, Number(st.size)),
  };
}

function sameIdentity(a: SourceIdentity, b: SourceIdentity): boolean {
  return (Object.keys(a) as (keyof SourceIdentity)[]).every((k) => a[k] === b[k]);
}

/** The identity of a file now, or why it cannot have an entry. */
function identify(file: string): { source: SourceIdentity; lookedAt: number } | { reason: string } {
  let real: string;
  try {
    real = realpathSync(file);
  } catch {
    return { reason: "the file cannot be found" };
  }
  let fd: number;
  try {
    fd = openSync(real, "r");
  } catch {
    return { reason: "the file cannot be opened" };
  }
  try {
    const lookedAt = Date.now();
    const st = statSync(real, { bigint: true });
    if (!st.isFile()) return { reason: "not a regular file" };
    return { source: identity(real, st, fd), lookedAt };
  } finally {
    closeSync(fd);
  }
}

export class SnapshotCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly parallel: boolean | undefined;
  /** See {@link CacheOptions.classRetainedEarlyNodes}. */
  readonly classRetainedEarlyNodes: number;
  /** See {@link CacheOptions.idSampleAlongsideNodes}. */
  readonly idSampleAlongsideNodes: number;
  /** See {@link CacheOptions.idSampleEarlyNodes}. */
  readonly idSampleEarlyNodes: number;
  /** See {@link CacheOptions.idSampleThread}. */
  readonly idSampleThread: boolean;

  constructor(options: CacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.parallel = options.parallel;
    this.classRetainedEarlyNodes = options.classRetainedEarlyNodes ?? CLASS_RETAINED_EARLY_NODES;
    this.idSampleEarlyNodes = options.idSampleEarlyNodes ?? ID_SAMPLE_EARLY_NODES;
    this.idSampleAlongsideNodes = options.idSampleAlongsideNodes ?? ID_SAMPLE_ALONGSIDE_NODES;
    this.idSampleThread = options.idSampleThread ?? true;
  }

  /** The entry file of a source path. */
  entryPath(realPath: string): string {
    return entryPathIn(this.dir, realPath);
  }

  /**
   * Looks the file up. A hit has its header, layout and block table checked; its sections are
   * checked as they are read (see entry.ts and lazy.ts). An entry that fails a check is a miss
   * with the reason, and is replaced when the caller saves. Entries in `skip` are a miss.
   */
  async lookup(file: string, skip?: ReadonlySet<string>): Promise<CacheLookup> {
    const id = identify(file);
    if ("reason" in id) return { kind: "uncacheable", reason: id.reason };
    const key: CacheKey = { source: id.source, lookedAt: id.lookedAt };
    const entry = this.entryPath(id.source.path);
    if (skip?.has(entry)) return { kind: "miss", key, entry, reason: null };
    let bytes: number;
    try {
      bytes = statSync(entry).size;
    } catch {
      return { kind: "miss", key, entry, reason: null };
    }
    try {
      const content = await readEntry(entry, { build: buildId(), source: id.source }, { parallel: this.parallel });
      for (const part of content.stamp.late) bytes += fileSize(latePartPath(entry, part));
      try {
        const now = new Date();
        utimesSync(entry, now, now); // last use, for the size limit
      } catch {
        // a read-only cache still serves
      }
      return { kind: "hit", content, entry, bytes, key };
    } catch (e) {
      if (e instanceof CacheFormatError) return { kind: "miss", key, entry, reason: e.message };
      return { kind: "miss", key, entry, reason: `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
    }
  }

  /**
   * Writes the entry of a source read under `key`. Nothing is written when the file changed
   * since (or too shortly before) it was read, or when the entry alone would pass the size limit.
   */
  save(key: CacheKey, content: EntryContent): SaveResult {
    const src = key.source;
    const changed = Math.max(Number(BigInt(src.mtimeNs) / 1_000_000n), Number(BigInt(src.ctimeNs) / 1_000_000n));
    if (key.lookedAt - changed < RACY_MS) {
      return { kind: "not-written", reason: `the file changed less than ${RACY_MS / 1000} s before it was read` };
    }
    const now = identify(src.path);
    if ("reason" in now || !sameIdentity(now.source, src)) return { kind: "not-written", reason: "the file changed while it was read" };
    const build = buildId();
    const size = entrySize(content, build, src);
    if (size > this.maxBytes) {
      return { kind: "not-written", reason: `the entry (${size} bytes) is larger than the cache's limit (${this.maxBytes} bytes)` };
    }
    const entry = this.entryPath(src.path);
    const tmp = tempPath(this.dir, entry);
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const dropped = this.makeRoom(size, entry);
      const bytes = writeEntry(tmp, content, build, src);
      renameSync(tmp, entry);
      removeLateParts(entry);
      return { kind: "written", entry, bytes, totalBytes: this.list().totalBytes, maxBytes: this.maxBytes, dropped };
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        // not created
      }
      const err = e as NodeJS.ErrnoException;
      return { kind: "not-written", reason: describeFsError(err) };
    }
  }

  /**
   * Starts the entry of a source read under `key`, right after reading: its columns are written
   * (by libuv's thread pool, for snapshots of 64 MB and more) while the caller computes; the caller
   * hands over the analysis when it has it, and finishes the entry at the end. The same checks as
   * {@link save}, at the start and again at the end; a "not-written" result when they fail.
   */
  begin(
    key: CacheKey,
    raw: RawSnapshot,
    /** From {@link checksumsFor} when the source was about to be read; stopped here when not used. */
    checksums: BackgroundChecksums | null = null,
    /**
     * `raw` is read but for its edges (its `edges` not read; see EntryContent.edgesToCome): its
     * other sections start being written now, the edges' once handed over with them.
     */
    edgesToCome = false,
  ): PendingSave | Extract<SaveResult, { kind: "not-written" }> {
    let r: PendingSave | Extract<SaveResult, { kind: "not-written" }> | null = null;
    try {
      r = this.#begin(key, raw, checksums, edgesToCome);
      return r;
    } finally {
      if (r === null || "kind" in r) void checksums?.close();
    }
  }

  /**
   * The checksum thread for the entry of a source about to be read under `key` (a miss), started
   * now, so that it has started when {@link begin} hands it the columns (see
   * {@link BackgroundChecksums.start}); null when that entry would not be written in the
   * background. Give it to {@link begin}, or close it.
   */
  checksumsFor(key: CacheKey): BackgroundChecksums | null {
    if (!this.#background(key.source)) return null;
    const checksums = new BackgroundChecksums();
    checksums.start();
    return checksums;
  }

  #background(src: SourceIdentity): boolean {
    return this.parallel === true || (this.parallel !== false && src.size >= BACKGROUND_WRITE_MIN_BYTES);
  }

  #begin(
    key: CacheKey,
    raw: RawSnapshot,
    checksums: BackgroundChecksums | null,
    edgesToCome: boolean,
  ): PendingSave | Extract<SaveResult, { kind: "not-written" }> {
    const src = key.source;
    const changed = Math.max(Number(BigInt(src.mtimeNs) / 1_000_000n), Number(BigInt(src.ctimeNs) / 1_000_000n));
    if (key.lookedAt - changed < RACY_MS) {
      return { kind: "not-written", reason: `the file changed less than ${RACY_MS / 1000} s before it was read` };
    }
    const build = buildId();
    const least = entrySize({ raw, analysis: null, edgesToCome }, build, src);
    if (least > this.maxBytes) {
      return { kind: "not-written", reason: `the entry (${least} bytes) is larger than the cache's limit (${this.maxBytes} bytes)` };
    }
    const entry = this.entryPath(src.path);
    const tmp = tempPath(this.dir, entry);
    const background = this.#background(src);
    let writer: EntryWriter;
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      // Forced (tests): every section in the background; otherwise small ones are not worth a trip.
      const backgroundMin = !background ? null : this.parallel === true ? 0 : BACKGROUND_SECTION_MIN_BYTES;
      writer = EntryWriter.create(tmp, raw, build, src, backgroundMin, checksums ?? undefined, edgesToCome);
    } catch (e) {
      removeQuietly(tmp);
      return { kind: "not-written", reason: describeFsError(e as NodeJS.ErrnoException) };
    }
    let done = false;
    const abandon = async (): Promise<void> => {
      if (done) return;
      done = true;
      await writer.abandon().catch(() => {});
      removeQuietly(tmp);
    };
    return {
      background,
      hand: (content) => {
        if (!done) writer.hand(content);
      },
      abandon,
      finish: async (content) => {
        if (done) return { kind: "not-written", reason: "the entry was given up" };
        const now = identify(src.path);
        if ("reason" in now || !sameIdentity(now.source, src)) {
          await abandon();
          return { kind: "not-written", reason: "the file changed while it was read" };
        }
        const size = writer.sizeOf(content);
        if (size > this.maxBytes) {
          await abandon();
          return { kind: "not-written", reason: `the entry (${size} bytes) is larger than the cache's limit (${this.maxBytes} bytes)` };
        }
        done = true;
        try {
          const bytes = await writer.finish(content);
          const dropped = this.makeRoom(bytes, entry);
          renameSync(tmp, entry);
          removeLateParts(entry);
          const stamp = stampOf(entry, build, src) ?? undefined;
          return {
            kind: "written",
            entry,
            bytes,
            totalBytes: this.list().totalBytes,
            maxBytes: this.maxBytes,
            dropped,
            ...(stamp ? { stamp } : {}),
          };
        } catch (e) {
          removeQuietly(tmp);
          return { kind: "not-written", reason: describeFsError(e as NodeJS.ErrnoException) };
        }
      },
    };
  }

  /**
   * Adds parts computed after an entry was read (`stamp`, from its lookup) to it, each in a file
   * of its own beside the entry (see {@link LatePart}): written to a temporary file and renamed
   * into place, so that a reader sees the whole part or none, and two processes adding the same
   * part both leave a whole one. Nothing is added when the entry in place is no longer the one
   * read (another process wrote it again meanwhile), or when it would pass the size limit; with
   * `dropOthers: false`, also when it would only fit by dropping other entries.
   */
  addParts(stamp: EntryStamp, content: LateContent, parts: readonly LatePart[], options: { dropOthers?: boolean } = {}): SaveResult {
    const entry = stamp.entry;
    const build = buildId();
    const sizes = parts.map((p) => latePartSize(p, content, build, stamp.key));
    const size = sizes.reduce((a, b) => a + b, 0);
    const now = this.list().entries.find((e) => e.entry === entry);
    if (!now || !sameFile(entry, stamp)) return { kind: "not-written", reason: "the entry was replaced or removed meanwhile" };
    // The entry with everything it has and the new parts (a part written again replaces its file).
    const replaced = parts.reduce((n, p) => n + fileSize(latePartPath(entry, p)), 0);
    const whole = now.bytes - replaced + size;
    if (whole > this.maxBytes) {
      return { kind: "not-written", reason: `the entry (${whole} bytes) is larger than the cache's limit (${this.maxBytes} bytes)` };
    }
    if (options.dropOthers === false && this.list().totalBytes - replaced + size > this.maxBytes) {
      return { kind: "not-written", reason: "it would fit only by dropping other entries" };
    }
    let dropped: number;
    try {
      dropped = this.makeRoom(size - replaced, entry, now.bytes);
      for (const part of parts) {
        const target = latePartPath(entry, part);
        const tmp = tempPath(this.dir, target);
        try {
          writeLatePart(tmp, part, content, build, stamp.key);
          // Checked again just before: a part renamed beside an entry written meanwhile would be
          // of no use (readers check what it was made for, and remove it).
          if (!sameFile(entry, stamp)) throw Object.assign(new Error("replaced"), { code: "REPLACED" });
          renameSync(tmp, target);
        } catch (e) {
          removeQuietly(tmp);
          throw e;
        }
      }
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      return {
        kind: "not-written",
        reason: err.code === "REPLACED" ? "the entry was replaced or removed meanwhile" : describeFsError(err),
      };
    }
    return { kind: "written", entry, bytes: size, totalBytes: this.list().totalBytes, maxBytes: this.maxBytes, dropped, added: [...parts] };
  }

  /** Drops least recently used entries (never `keep`) until `incoming` more bytes fit. Returns how many went. */
  private makeRoom(incoming: number, keep: string, keepBytes = 0): number {
    // Late parts whose entry is gone (it was found damaged, or removed by hand) first: the listing
    // counts them, and they must not cost a live entry its place.
    const names = new Set(safeReaddir(this.dir));
    for (const name of names) {
      const of = latePartOf(name);
      if (of && !names.has(of.entryName)) removeQuietly(join(this.dir, name));
    }
    const listing = this.list();
    let total = listing.totalBytes - (listing.entries.find((e) => e.entry === keep)?.bytes ?? 0) + keepBytes;
    let dropped = 0;
    const oldestFirst = listing.entries.filter((e) => e.entry !== keep).sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
    for (const e of oldestFirst) {
      if (total + incoming <= this.maxBytes) break;
      try {
        unlinkSync(e.entry);
        removeLateParts(e.entry);
        total -= e.bytes;
        dropped++;
      } catch {
        // gone already, or not ours to remove
      }
    }
    // Leftovers of writers that died: a process that is gone (an entry is now written while its
    // command runs, so Ctrl-C can leave one), or an hour old (a process on another machine).
    for (const name of safeReaddir(this.dir)) {
      if (!name.endsWith(".tmp")) continue;
      const p = join(this.dir, name);
      try {
        if (!writerAlive(name) || Date.now() - statSync(p).mtimeMs > STALE_TMP_MS) unlinkSync(p);
      } catch {
        // another process took care of it
      }
    }
    return dropped;
  }

  /**
   * The entries, newest use first, each with what its header says (or why it cannot be read); an
   * entry's bytes count its late parts, and the total every late part.
   */
  list(): CacheListing {
    const entries: CacheListing["entries"] = [];
    let totalBytes = 0;
    const names = safeReaddir(this.dir);
    const lateBytes = new Map<string, number>();
    for (const name of names) {
      const of = latePartOf(name);
      if (!of) continue;
      const size = fileSize(join(this.dir, name));
      totalBytes += size;
      lateBytes.set(of.entryName, (lateBytes.get(of.entryName) ?? 0) + size);
    }
    for (const name of names) {
      if (!name.endsWith(SUFFIX)) continue;
      const entry = join(this.dir, name);
      let st;
      try {
        st = statSync(entry);
      } catch {
        continue;
      }
      totalBytes += st.size;
      let source: string | null = null;
      let sourceSize: number | null = null;
      let problem: string | null = null;
      try {
        const fd = openSync(entry, "r");
        try {
          const { header } = readHeader(fd);
          if (header.build !== buildId()) problem = "written by another build";
          source = typeof header.source?.path === "string" ? header.source.path : null;
          sourceSize = typeof header.source?.size === "number" ? header.source.size : null;
        } finally {
          closeSync(fd);
        }
      } catch (e) {
        problem = e instanceof CacheFormatError ? e.message : "cannot be read";
      }
      entries.push({ entry, bytes: st.size + (lateBytes.get(name) ?? 0), lastUsed: st.mtime, source, sourceSize, problem });
    }
    entries.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime() || a.entry.localeCompare(b.entry));
    return { dir: this.dir, maxBytes: this.maxBytes, totalBytes, entries };
  }

  /**
   * Removes every entry with its late parts (and leftover temporary files). Returns the number of
   * entries and the bytes removed (entries and late parts).
   */
  clear(): { entries: number; bytes: number } {
    let entries = 0;
    let bytes = 0;
    for (const name of safeReaddir(this.dir)) {
      const late = latePartOf(name) !== null;
      if (!name.endsWith(SUFFIX) && !late && !name.endsWith(".tmp")) continue;
      const p = join(this.dir, name);
      try {
        const size = statSync(p).size;
        unlinkSync(p);
        if (name.endsWith(SUFFIX)) entries++;
        if (name.endsWith(SUFFIX) || late) bytes += size;
      } catch {
        // gone already
      }
    }
    return { entries, bytes };
  }
}

/** Snapshots this big get their entry written in the background while the command runs. */
const BACKGROUND_WRITE_MIN_BYTES = 64 << 20;
/** Sections smaller than this are written at the end even then. */
const BACKGROUND_SECTION_MIN_BYTES = 1 << 20;

/** Removes an entry's late parts (it was written again, or dropped). */
function removeLateParts(entry: string): void {
  for (const part of LATE_PARTS) removeQuietly(latePartPath(entry, part));
}

/**
 * The stamp of the entry file at `entry` when it is of this build and this source (the one just
 * written, unless another process replaced it since), else null.
 */
function stampOf(entry: string, build: string, source: SourceIdentity): EntryStamp | null {
  try {
    const fd = openSync(entry, "r");
    try {
      const { header, key, fileSize } = readHeader<{ format: number; build?: unknown; source?: Partial<SourceIdentity> }>(fd);
      if (header.build !== build) return null;
      for (const k of Object.keys(source) as (keyof SourceIdentity)[]) if (header.source?.[k] !== source[k]) return null;
      const st = fstatSync(fd, { bigint: true });
      return { entry, key, ino: st.ino.toString(), dev: st.dev.toString(), size: fileSize, late: [] };
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

/** Whether the entry file in place is still the one read (`stamp`). */
function sameFile(entry: string, stamp: EntryStamp): boolean {
  const st = sameFileAt(entry, stamp);
  return st !== null && Number(st.size) === stamp.size;
}

/** A temporary file's name for writing `target` in `dir`: `.<name>.<pid>.<random>.tmp` (see {@link writerAlive}). */
function tempPath(dir: string, target: string): string {
  return join(dir, `.${basename(target)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Whether the process that named a temporary file `.<entry>.<pid>.<random>.tmp` may still be
 * writing it: true unless no process with that number exists here.
 */
function writerAlive(name: string): boolean {
  const pid = Number(/\.(\d+)\.[a-z0-9]*\.tmp$/.exec(name)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function describeFsError(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case "EACCES":
    case "EPERM":
      return "the cache directory is not writable (permission denied)";
    case "EROFS":
      return "the cache directory is on a read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    case "ENOTDIR":
      return "the cache directory's path runs through a file";
    default:
      return `cannot write it (${err.code ?? err.message})`;
  }
}
