/**
 * One cache entry on disk: a snapshot's parsed columns, its strings, and the analysis computed so
 * far, so that the next command on the same file skips reading and analysing it.
 *
 * Layout (all integers little-endian; see docs/cache.md):
 *
 *     0   8 bytes  magic "BRCACHE\x01"
 *     8   u32      length L of the header (UTF-8 JSON)
 *     12  u32      CRC-32 of the header
 *     16  L bytes  header: format, build id, the source file's identity, the snapshot header,
 *                  string chunk lengths, and one record per section (name, element type, element
 *                  count, byte offset from the data start, CRC-32)
 *     ... zero padding to a multiple of 8: the data start
 *     sections, each padded to a multiple of 8
 *
 * A cache file is untrusted input like a snapshot: reading checks the magic, the header's CRC and
 * shape, every section's size against the counts, every section's CRC, and then every value used
 * as an index (types, edge targets, first-edge sums, string indices and bounds, dominator tree
 * positions) the way the snapshot reader does. Anything off is a {@link CacheFormatError}, and the
 * caller reads the snapshot instead.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, read, readSync, write, writeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { readMeta } from "../snapshot/meta.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import { sharedU32, sharedU8, type EdgeColumns, type NodeColumns } from "../snapshot/columns.js";
import { StringTable } from "../snapshot/string-table.js";
import type { AnalysisParts } from "../graph/analysis.js";
import type { ClassParts } from "../graph/heap-graph.js";
import { Worker } from "node:worker_threads";
import { checkEdges, runReadJob, type ReadJob, type ReadReply } from "./read-worker.js";

const MAGIC = Buffer.from("BRCACHE\x01", "latin1");
/** Bumped whenever the layout or the meaning of a section changes. */
export const CACHE_FORMAT = 3;
const PREFIX = 16;
/** A header longer than this is not one of ours. */
const MAX_HEADER = 64 << 20;

type ElementType = "u8" | "u16" | "u32" | "i32" | "f64";
type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;
const WIDTH: Record<ElementType, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 };

/** The source file an entry was made from, as it was when it was read. */
export interface SourceIdentity {
  /** The real path (symbolic links resolved). */
  path: string;
  size: number;
  /** Nanosecond timestamps and inode numbers, as decimal strings (they exceed 2^53). */
  mtimeNs: string;
  ctimeNs: string;
  ino: string;
  dev: string;
  /** SHA-256 over blocks sampled across the file (see fingerprint in store.ts). */
  fingerprint: string;
}

interface SectionRecord {
  name: string;
  type: ElementType;
  length: number;
  offset: number;
  crc: number;
}

interface Header {
  format: number;
  build: string;
  source: SourceIdentity;
  /** When written (ms since the epoch). */
  written: number;
  snapshot: Record<string, unknown>;
  strings: { count: number; chunks: number[] };
  /** Length of the `locations` column, or null when the snapshot has none. */
  locations: number | null;
  analysis: { refused: number; tree: boolean; classRetained: number | null } | null;
  /** Byte length of the class index's names (the `classes.names` section), or null when the entry has no class index. */
  classes: number | null;
  sections: SectionRecord[];
}

/** What an entry holds. */
export interface EntryContent {
  raw: RawSnapshot;
  analysis: AnalysisParts | null;
  /** The graph's class index (HeapGraph.classParts), when computed. */
  classes?: ClassParts | null;
}

/**
 * The parts of an entry read only when first asked for (only some commands need them): each loader
 * reads its sections, checks their checksums and values, and throws a {@link CacheFormatError}
 * when anything is off. Null: the entry does not hold it.
 */
export interface LaterParts {
  classes: (() => ClassParts) | null;
}

/** What reading an entry gives: its content, and the parts read later. */
export interface ReadContent extends EntryContent {
  later: LaterParts;
}

/** A cache file that is not a valid entry of this build (damaged, truncated, foreign, older). */
export class CacheFormatError extends Error {}

function bad(what: string): never {
  throw new CacheFormatError(what);
}

function bytesOf(a: Typed): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const pad8 = (n: number): number => (n + 7) & ~7;

/** The sections of a content, in file order. */
function sectionsOf(c: EntryContent): { name: string; type: ElementType; data: Typed }[] {
  const { nodes, edges, strings } = c.raw;
  const parts = strings.parts();
  const out: { name: string; type: ElementType; data: Typed }[] = [
    { name: "node.type", type: "u8", data: nodes.type },
    { name: "node.name", type: "u32", data: nodes.name },
    { name: "node.id", type: "u32", data: nodes.id },
    { name: "node.firstEdge", type: "u32", data: nodes.firstEdge },
  ];
  if (nodes.selfSize) out.push({ name: "node.selfSize", type: "u32", data: nodes.selfSize });
  if (nodes.detachedness) out.push({ name: "node.detachedness", type: "u8", data: nodes.detachedness });
  out.push(
    { name: "edge.type", type: "u8", data: edges.type },
    { name: "edge.name", type: "u32", data: edges.name },
    { name: "edge.to", type: "u32", data: edges.to },
    { name: "string.chunk", type: "u16", data: parts.chunkIdx },
    { name: "string.start", type: "u32", data: parts.starts },
    { name: "string.length", type: "u32", data: parts.lengths },
  );
  parts.chunks.forEach((b, i) => out.push({ name: `string.bytes.${i}`, type: "u8", data: b }));
  if (c.raw.locations) out.push({ name: "locations", type: "u32", data: c.raw.locations });
  const a = c.analysis;
  if (a) {
    out.push(
      { name: "analysis.shallow", type: "f64", data: a.shallow },
      { name: "analysis.distance", type: "i32", data: a.distance },
      { name: "analysis.parentEdge", type: "u32", data: a.parentEdge },
      { name: "analysis.userRoots", type: "u8", data: a.userRoots },
      { name: "analysis.refused", type: "u32", data: a.refused },
    );
    if (a.tree) {
      out.push(
        { name: "analysis.preorder", type: "u32", data: a.tree.preorder },
        { name: "analysis.idomIndex", type: "u32", data: a.tree.idomIndex },
        { name: "analysis.retained", type: "f64", data: a.tree.retained },
      );
      if (a.classRetained) out.push({ name: "analysis.classRetained", type: "f64", data: a.classRetained });
    }
  }
  // Last, so that adding them never moves a section written before (see EntryWriter).
  if (c.classes) {
    out.push(
      { name: "classes.nodeClass", type: "u32", data: c.classes.nodeClass },
      { name: "classes.names", type: "u8", data: encodeClassNames(c.classes) },
    );
  }
  return out;
}

/** The class index's names, definitions and split classes as UTF-8 JSON (encoded once per index). */
const encodedNames = new WeakMap<ClassParts, Uint8Array>();
function encodeClassNames(c: ClassParts): Uint8Array {
  let b = encodedNames.get(c);
  if (!b) {
    const json = {
      extraNames: c.extraNames,
      definitions: c.definitions,
      split: c.split.map((s) => [s.id, s.base, s.location.scriptId, s.location.line, s.location.column]),
    };
    b = new Uint8Array(Buffer.from(JSON.stringify(json), "utf8"));
    encodedNames.set(c, b);
  }
  return b;
}

/** The size in bytes the entry of a content would take. */
export function entrySize(c: EntryContent, build: string, source: SourceIdentity): number {
  return encodeHeader(c, build, source).dataStart + sectionsOf(c).reduce((n, s) => n + pad8(s.data.byteLength), 0);
}

function encodeHeader(
  c: EntryContent,
  build: string,
  source: SourceIdentity,
  crcs?: number[],
): { json: Buffer; dataStart: number; sections: ReturnType<typeof sectionsOf> } {
  const sections = sectionsOf(c);
  let offset = 0;
  const records: SectionRecord[] = sections.map((s, i) => {
    const r = { name: s.name, type: s.type, length: s.data.length, offset, crc: crcs?.[i] ?? 0 };
    offset += pad8(s.data.byteLength);
    return r;
  });
  const json = headerJson(c.raw, build, source, analysisSummary(c), classSummary(c), records);
  return { json, dataStart: pad8(PREFIX + json.length), sections };
}

/** What the header records of the analysis: which optional sections the entry holds, and their lengths. */
function analysisSummary(c: EntryContent) {
  return c.analysis
    ? {
        refused: c.analysis.refused.length,
        tree: c.analysis.tree !== null,
        classRetained: c.analysis.tree && c.analysis.classRetained ? c.analysis.classRetained.length : null,
      }
    : null;
}

/** What the header records of the graph's class index. */
function classSummary(c: EntryContent): number | null {
  return c.classes ? encodeClassNames(c.classes).length : null;
}

function headerJson(
  raw: RawSnapshot,
  build: string,
  source: SourceIdentity,
  analysis: Header["analysis"],
  classes: number | null,
  sections: SectionRecord[],
): Buffer {
  const parts = raw.strings.parts();
  const header: Header = {
    format: CACHE_FORMAT,
    build,
    source,
    written: Date.now(),
    snapshot: raw.header,
    strings: { count: parts.count, chunks: parts.chunks.map((b) => b.length) },
    locations: raw.locations ? raw.locations.length : null,
    analysis,
    classes,
    sections,
  };
  return Buffer.from(JSON.stringify(header), "utf8");
}

/**
 * The longest header an entry of `raw` can have, whatever analysis it ends up holding: every
 * analysis section present, every count, offset and checksum at its widest. An entry written
 * section by section (see {@link EntryWriter}) reserves this much room for its header, which it
 * writes last, padded with spaces (JSON allows trailing white space).
 */
function maxHeaderLength(raw: RawSnapshot, build: string, source: SourceIdentity): number {
  const WIDEST = Number.MAX_SAFE_INTEGER;
  const U32 = 0xffffffff;
  const records: SectionRecord[] = sectionsOf({ raw, analysis: null }).map((s) => ({
    name: s.name,
    type: s.type,
    length: s.data.length,
    offset: WIDEST,
    crc: U32,
  }));
  const N = raw.meta.nodeCount;
  const more: [string, ElementType, number][] = [
    ["analysis.shallow", "f64", N],
    ["analysis.distance", "i32", N],
    ["analysis.parentEdge", "u32", N],
    ["analysis.userRoots", "u8", N],
    ["analysis.refused", "u32", U32],
    ["analysis.preorder", "u32", N],
    ["analysis.idomIndex", "u32", N],
    ["analysis.retained", "f64", N],
    ["analysis.classRetained", "f64", U32],
    ["classes.nodeClass", "u32", N],
    ["classes.names", "u8", U32],
  ];
  for (const [name, type, length] of more) records.push({ name, type, length, offset: WIDEST, crc: U32 });
  // `tree: false` is longer than `true`; a `written` time keeps 13 digits until the year 2286.
  return headerJson(raw, build, source, { refused: U32, tree: false, classRetained: U32 }, U32, records).length;
}

/** Writes all of `data`, at `position` when given, else at the file's current offset. */
function writeAll(fd: number, data: Uint8Array, position?: number): void {
  let off = 0;
  while (off < data.length)
    off += writeSync(fd, data, off, Math.min(data.length - off, 1 << 30), position === undefined ? null : position + off);
}

const ZEROS = new Uint8Array(8);

/** Writes an entry to `path` (a new file: the caller renames it into place). Returns its size. */
export function writeEntry(path: string, c: EntryContent, build: string, source: SourceIdentity): number {
  const crcs = sectionsOf(c).map((s) => crc32(bytesOf(s.data)));
  const { json, dataStart, sections } = encodeHeader(c, build, source, crcs);
  const fd = openSync(path, "wx", 0o600);
  try {
    const prefix = Buffer.alloc(dataStart);
    MAGIC.copy(prefix, 0);
    prefix.writeUInt32LE(json.length, 8);
    prefix.writeUInt32LE(crc32(json), 12);
    json.copy(prefix, PREFIX);
    writeAll(fd, prefix);
    let size = dataStart;
    for (const s of sections) {
      const b = bytesOf(s.data);
      writeAll(fd, b);
      const padding = pad8(b.length) - b.length;
      if (padding > 0) writeAll(fd, ZEROS.subarray(0, padding));
      size += b.length + padding;
    }
    return size;
  } finally {
    closeSync(fd);
  }
}

/**
 * An entry written while the command that read the snapshot goes on: created as soon as the columns
 * are read, it is handed what is known as it becomes known ({@link hand}), and each big section is
 * summed at once and written by libuv's thread pool meanwhile (the data is not copied, so nothing
 * handed over may change afterwards); {@link finish} writes the rest and the header last. The
 * header's room is reserved up front at its longest (see maxHeaderLength), so that every section's
 * place is known before the analysis is. The file is the one {@link writeEntry} makes, except that
 * the header is padded with spaces.
 */
export class EntryWriter {
  /** Sections being written in the background: what, where, and its checksum once written. */
  private readonly placed = new Map<string, { data: Typed; position: number; crc: Promise<number> }>();
  private readonly dataStart: number;
  private closed = false;

  private constructor(
    /** The file being written (a new file: the caller renames it into place when done). */
    readonly path: string,
    private readonly fd: number,
    private readonly reserved: number,
    private readonly build: string,
    private readonly source: SourceIdentity,
    /** Sections this big and more are written in the background when handed over; null: all by {@link finish}. */
    private readonly backgroundMin: number | null,
  ) {
    this.dataStart = pad8(PREFIX + reserved);
  }

  /**
   * Creates the file at `path` (which must not exist) for an entry of `raw`. `backgroundMin`:
   * sections of this many bytes and more are written in the background as they are handed over
   * (the rest by {@link finish}); null: everything by finish.
   */
  static create(path: string, raw: RawSnapshot, build: string, source: SourceIdentity, backgroundMin: number | null): EntryWriter {
    const reserved = maxHeaderLength(raw, build, source);
    const fd = openSync(path, "wx", 0o600);
    const w = new EntryWriter(path, fd, reserved, build, source, backgroundMin);
    w.hand({ raw, analysis: null });
    return w;
  }

  /**
   * What the entry will hold, as far as known: its big sections not handed over yet start being
   * written now. Later sections may still be added; a section handed over must not change.
   */
  hand(c: EntryContent): void {
    if (this.backgroundMin === null || this.closed) return;
    let position = this.dataStart;
    for (const s of sectionsOf(c)) {
      const at = position;
      position += pad8(s.data.byteLength);
      if (this.placed.has(s.name) || s.data.byteLength < this.backgroundMin) continue;
      const bytes = bytesOf(s.data);
      const sum = crc32(bytes);
      const crc = writeInBackground(this.fd, bytes, at).then(() => sum);
      crc.catch(() => {}); // looked at in finish
      this.placed.set(s.name, { data: s.data, position: at, crc });
    }
  }

  /** The size of the entry of `c` as this writer lays it out. */
  sizeOf(c: EntryContent): number {
    return this.dataStart + sectionsOf(c).reduce((n, s) => n + pad8(s.data.byteLength), 0);
  }

  /**
   * Writes the sections of `c` not written yet (those handed over are kept when they are still the
   * same arrays in the same places), then the header; closes the file. Returns its size. Throws
   * what writing threw (no space left...); the caller removes the file then.
   */
  async finish(c: EntryContent): Promise<number> {
    if (this.closed) throw new Error("the entry was already finished");
    try {
      // Every background write settles before this thread writes anywhere; one that failed is
      // written again here (a real write error then throws).
      const written = new Map<string, number>();
      await Promise.all(
        [...this.placed].map(async ([name, p]) => {
          const crc = await p.crc.catch(() => null);
          if (crc !== null) written.set(name, crc);
        }),
      );
      const records: SectionRecord[] = [];
      let position = this.dataStart;
      for (const s of sectionsOf(c)) {
        const p = this.placed.get(s.name);
        const reuse = p !== undefined && p.data === s.data && p.position === position && written.has(s.name);
        let crc: number;
        if (reuse) {
          crc = written.get(s.name)!;
        } else {
          const bytes = bytesOf(s.data);
          writeAll(this.fd, bytes, position);
          crc = crc32(bytes);
        }
        records.push({ name: s.name, type: s.type, length: s.data.length, offset: position - this.dataStart, crc });
        position += pad8(s.data.byteLength);
      }
      const json = headerJson(c.raw, this.build, this.source, analysisSummary(c), classSummary(c), records);
      if (json.length > this.reserved) throw new Error("the entry's header outgrew its room");
      const prefix = Buffer.alloc(this.dataStart);
      MAGIC.copy(prefix, 0);
      prefix.fill(0x20, PREFIX, PREFIX + this.reserved);
      json.copy(prefix, PREFIX);
      prefix.writeUInt32LE(this.reserved, 8);
      prefix.writeUInt32LE(crc32(prefix.subarray(PREFIX, PREFIX + this.reserved)), 12);
      writeAll(this.fd, prefix, 0);
      // The padding after the last section, and nothing beyond (a section handed over and then
      // replaced by a shorter one may have been written past the end).
      ftruncateSync(this.fd, position);
      return position;
    } finally {
      await this.close();
    }
  }

  /** Stops writing and closes the file (the caller removes it). */
  async abandon(): Promise<void> {
    await this.close();
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Background writes run to their end before the file is closed (its descriptor could be reused).
    await Promise.allSettled([...this.placed.values()].map((p) => p.crc));
    closeSync(this.fd);
  }
}

/** Writes all of `data` at `position` on libuv's thread pool. */
function writeInBackground(fd: number, data: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (off: number): void => {
      if (off >= data.length) return resolve();
      write(fd, data, off, Math.min(data.length - off, 1 << 30), position + off, (err, n) => (err ? reject(err) : next(off + n)));
    };
    next(0);
  });
}

function readFully(fd: number, into: Uint8Array, position: number): void {
  let off = 0;
  while (off < into.length) {
    const n = readSync(fd, into, off, Math.min(into.length - off, 1 << 30), position + off);
    if (n === 0) bad("the file ends too early (truncated)");
    off += n;
  }
}

/** The header of an entry file, checked for shape (not the sections). */
export function readHeader(fd: number): { header: Header; dataStart: number; fileSize: number } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < PREFIX) bad("the file is too short");
  const prefix = Buffer.alloc(PREFIX);
  readFully(fd, prefix, 0);
  if (!prefix.subarray(0, 8).equals(MAGIC)) bad("not a backrefs cache file");
  const length = prefix.readUInt32LE(8);
  if (length > MAX_HEADER || PREFIX + length > fileSize) bad("the header does not fit in the file (truncated?)");
  const json = Buffer.alloc(length);
  readFully(fd, json, PREFIX);
  if (crc32(json) !== prefix.readUInt32LE(12)) bad("the header's checksum does not match");
  let header: Header;
  try {
    header = JSON.parse(json.toString("utf8")) as Header;
  } catch {
    bad("the header is not JSON");
  }
  if (typeof header !== "object" || header === null) bad("the header is not an object");
  if (header.format !== CACHE_FORMAT) bad(`written in cache format ${String(header.format)}, this build reads ${CACHE_FORMAT}`);
  return { header, dataStart: pad8(PREFIX + length), fileSize };
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads and checks an entry. `expect` is what the caller knows must hold (this build, this source):
 * an entry of another build or another file is refused before its sections are read. `parallel`:
 * read part of it on a worker thread (default: for entries of 64 MB and more; true forces it).
 */
export async function readEntry(path: string, expect: { build: string; source: SourceIdentity }, parallel?: boolean): Promise<ReadContent> {
  const fd = openSync(path, "r");
  try {
    const { header, dataStart, fileSize } = readHeader(fd);
    if (header.build !== expect.build) bad("written by another build of backrefs");
    const src = header.source as Partial<SourceIdentity> | undefined;
    for (const k of Object.keys(expect.source) as (keyof SourceIdentity)[]) {
      if (src?.[k] !== expect.source[k]) bad(`made from another version of the file (${k} differs)`);
    }
    return await readSections(path, fd, header, dataStart, fileSize, parallel);
  } finally {
    closeSync(fd);
  }
}

/** Reads are issued in pieces of this size: the checksum of one runs while the next is read. */
const PIECE = 16 << 20;

/** One asynchronous read (on libuv's thread pool) that fills `into` completely. */
function readPiece(fd: number, into: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let off = 0;
    const next = (): void => {
      read(fd, into, off, into.length - off, position + off, (err, n) => {
        if (err) return reject(err);
        if (n === 0) return reject(new CacheFormatError("the file ends too early (truncated)"));
        off += n;
        if (off < into.length) next();
        else resolve();
      });
    };
    if (into.length === 0) resolve();
    else next();
  });
}

async function readSections(
  path: string,
  fd: number,
  header: Header,
  dataStart: number,
  fileSize: number,
  wanted?: boolean,
): Promise<ReadContent> {
  let meta;
  try {
    meta = readMeta(header.snapshot, 0);
  } catch {
    bad("the saved snapshot header is not valid");
  }
  const N = meta.nodeCount;
  const E = meta.edgeCount;
  const str = header.strings;
  if (typeof str !== "object" || str === null || !isCount(str.count) || !Array.isArray(str.chunks) || !str.chunks.every(isCount))
    bad("the string table's record is not valid");
  const S = str.count;
  const an = header.analysis;
  if (
    an !== null &&
    (typeof an !== "object" ||
      !isCount(an.refused) ||
      typeof an.tree !== "boolean" ||
      !(an.classRetained === null || isCount(an.classRetained)))
  ) {
    bad("the analysis record is not valid");
  }
  if (!(header.classes === null || isCount(header.classes))) bad("the class index record is not valid");
  if (!Array.isArray(header.sections)) bad("no section list");

  // What this build expects, section by section, in order.
  const want: { name: string; type: ElementType; length: number }[] = [
    { name: "node.type", type: "u8", length: N },
    { name: "node.name", type: "u32", length: N },
    { name: "node.id", type: "u32", length: N },
    { name: "node.firstEdge", type: "u32", length: N + 1 },
  ];
  if (meta.nodeSelfSize >= 0) want.push({ name: "node.selfSize", type: "u32", length: N });
  if (meta.nodeDetachedness >= 0) want.push({ name: "node.detachedness", type: "u8", length: N });
  want.push(
    { name: "edge.type", type: "u8", length: E },
    { name: "edge.name", type: "u32", length: E },
    { name: "edge.to", type: "u32", length: E },
    { name: "string.chunk", type: "u16", length: S },
    { name: "string.start", type: "u32", length: S },
    { name: "string.length", type: "u32", length: S },
  );
  str.chunks.forEach((len, i) => want.push({ name: `string.bytes.${i}`, type: "u8", length: len }));
  const loc = header.locations;
  if (!(loc === null || isCount(loc))) bad("the locations record is not valid");
  if (loc !== null) want.push({ name: "locations", type: "u32", length: loc });
  if (an) {
    want.push(
      { name: "analysis.shallow", type: "f64", length: N },
      { name: "analysis.distance", type: "i32", length: N },
      { name: "analysis.parentEdge", type: "u32", length: N },
      { name: "analysis.userRoots", type: "u8", length: N },
      { name: "analysis.refused", type: "u32", length: an.refused },
    );
    if (an.tree) {
      want.push(
        { name: "analysis.preorder", type: "u32", length: N },
        { name: "analysis.idomIndex", type: "u32", length: N },
        { name: "analysis.retained", type: "f64", length: N },
      );
      if (an.classRetained !== null) want.push({ name: "analysis.classRetained", type: "f64", length: an.classRetained });
    }
  }
  if (header.classes !== null) {
    want.push({ name: "classes.nodeClass", type: "u32", length: N }, { name: "classes.names", type: "u8", length: header.classes });
  }
  const recs = header.sections;
  if (recs.length !== want.length) bad("the section list does not match this build's");
  // Every section's place and size checked before anything is allocated or read.
  let expectedOffset = 0;
  const places: number[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const r = recs[i] as Partial<SectionRecord>;
    if (r.name !== w.name || r.type !== w.type || r.length !== w.length || r.offset !== expectedOffset || !isCount(r.crc)) {
      bad(`section ${i} (${String(r?.name)}) does not match this build's layout`);
    }
    const bytes = w.length * WIDTH[w.type];
    if (dataStart + expectedOffset + bytes > fileSize) bad(`section ${w.name} goes past the end of the file (truncated?)`);
    places.push(dataStart + expectedOffset);
    expectedOffset += pad8(bytes);
  }
  if (dataStart + expectedOffset !== fileSize) bad("the file has bytes after its last section");

  // Big entries: a worker thread reads, checksums and checks the edges and the string bytes while
  // this thread reads the rest (everything then lives in shared memory, so nothing is copied).
  const parallel = CAN_USE_WORKER && wanted !== false && (wanted === true || fileSize >= PARALLEL_MIN_BYTES);
  const arrays = new Map<string, Typed>();
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    if (isLater(w.name)) continue;
    const shared = parallel || w.name.startsWith("node.") || w.name.startsWith("edge.");
    arrays.set(w.name, allocate(w.type, w.length, shared));
    (parallel && (w.name.startsWith("edge.") || w.name.startsWith("string.bytes.")) ? theirs : mine).push(i);
  }
  const job: ReadJob = {
    path,
    sections: theirs.map((i) => ({ name: want[i]!.name, view: bytesOf(arrays.get(want[i]!.name)!), position: places[i]! })),
    nodeCount: N,
    edgeTypeCount: meta.edgeTypes.length,
    element: meta.edgeTypes.indexOf("element"),
    hidden: meta.edgeTypes.indexOf("hidden"),
  };
  const helped = theirs.length > 0 ? runInWorker(job) : null;

  const pieces: { section: number; view: Uint8Array; position: number }[] = [];
  for (const i of mine) {
    const view = bytesOf(arrays.get(want[i]!.name)!);
    if (view.length === 0) pieces.push({ section: i, view, position: places[i]! });
    for (let off = 0; off < view.length; off += PIECE) {
      pieces.push({ section: i, view: view.subarray(off, Math.min(view.length, off + PIECE)), position: places[i]! + off });
    }
  }
  // Read piece k + 1 (on libuv's thread pool) while the checksum of piece k is computed.
  const crcs = new Array<number>(want.length).fill(0);
  let inFlight = pieces.length > 0 ? readPiece(fd, pieces[0]!.view, pieces[0]!.position) : null;
  try {
    for (let k = 0; k < pieces.length; k++) {
      await inFlight;
      const p = pieces[k]!;
      inFlight = k + 1 < pieces.length ? readPiece(fd, pieces[k + 1]!.view, pieces[k + 1]!.position) : null;
      crcs[p.section] = crc32(p.view, crcs[p.section]);
    }
  } finally {
    await inFlight?.catch(() => {});
  }
  const nodeTypeCount = meta.nodeTypes.length;
  const nodeCheck = checkNodes(
    arrays.get("node.type") as Uint8Array,
    arrays.get("node.name") as Uint32Array,
    arrays.get("node.firstEdge") as Uint32Array,
    nodeTypeCount,
    N,
    E,
  );

  // The worker's part: its answer, or (no worker, or it failed) the same job done here.
  let reply = helped ? await helped : null;
  if (reply === null || (!reply.ok && reply.message !== TRUNCATED)) {
    if (theirs.length > 0) reply = runReadJob(job);
    else reply = checkEdgesHere(arrays, job);
  }
  if (!reply.ok) bad(reply.message);
  theirs.forEach((i, k) => (crcs[i] = reply.crcs[k]!));
  for (let i = 0; i < want.length; i++)
    if (!isLater(want[i]!.name) && crcs[i] !== (recs[i] as SectionRecord).crc) bad(`section ${want[i]!.name} is damaged (checksum)`);
  // Values only after the checksums: a damaged file is reported as damaged.
  if (nodeCheck.problem) bad(nodeCheck.problem);
  if (reply.problem) bad(reply.problem);

  const get = <T extends Typed>(name: string): T => arrays.get(name) as T;
  const nodes: NodeColumns = {
    type: get("node.type"),
    name: get("node.name"),
    id: get("node.id"),
    selfSize: meta.nodeSelfSize >= 0 ? get("node.selfSize") : null,
    detachedness: meta.nodeDetachedness >= 0 ? get("node.detachedness") : null,
    firstEdge: get("node.firstEdge"),
    maxStringRef: 0,
  };
  const edges: EdgeColumns = { type: get("edge.type"), name: get("edge.name"), to: get("edge.to"), maxStringRef: 0 };
  nodes.maxStringRef = nodeCheck.maxName;
  edges.maxStringRef = reply.maxEdgeName;
  if (N > 0 && nodes.maxStringRef >= S) bad("a node names a string past the last");
  if (E > 0 && edges.maxStringRef >= S) bad("an edge names a string past the last");
  let strings: StringTable;
  try {
    strings = StringTable.fromParts({
      chunks: str.chunks.map((_, i) => Buffer.from(get<Uint8Array>(`string.bytes.${i}`).buffer as ArrayBuffer)),
      chunkIdx: get("string.chunk"),
      starts: get("string.start"),
      lengths: get("string.length"),
      count: S,
    });
  } catch (e) {
    bad((e as Error).message);
  }
  let analysis: AnalysisParts | null = null;
  if (an) {
    analysis = {
      shallow: get("analysis.shallow"),
      distance: get("analysis.distance"),
      parentEdge: get("analysis.parentEdge"),
      userRoots: get("analysis.userRoots"),
      refused: get("analysis.refused"),
      tree: an.tree
        ? { preorder: get("analysis.preorder"), idomIndex: get("analysis.idomIndex"), retained: get("analysis.retained") }
        : null,
      classRetained: an.tree && an.classRetained !== null ? get("analysis.classRetained") : null,
    };
    checkAnalysis(analysis, N, E);
  }
  // Location rows are only looked up (rows naming no node are skipped), so need no check here.
  const locations = loc !== null ? get<Uint32Array>("locations") : null;

  // The parts read later, from this same file: an entry is never changed in place (a new one is
  // renamed over it), so the same inode with the same size is the same content.
  const st = fstatSync(fd, { bigint: true });
  const readLater = (name: string): Typed => {
    const i = want.findIndex((w) => w.name === name);
    const w = want[i]!;
    const later = openSync(path, "r");
    try {
      const now = fstatSync(later, { bigint: true });
      if (now.ino !== st.ino || now.dev !== st.dev || now.size !== st.size) bad("the entry was replaced after it was read");
      const data = allocate(w.type, w.length, false);
      const bytes = bytesOf(data);
      readFully(later, bytes, places[i]!);
      if (crc32(bytes) !== (recs[i] as SectionRecord).crc) bad(`section ${w.name} is damaged (checksum)`);
      return data;
    } finally {
      closeSync(later);
    }
  };
  const later: LaterParts = {
    classes:
      header.classes === null
        ? null
        : () => checkClasses(readLater("classes.nodeClass") as Uint32Array, readLater("classes.names") as Uint8Array, S, N),
  };
  return { raw: { meta, nodes, edges, strings, header: header.snapshot, locations }, analysis, later };
}

/** Sections read only when asked for (see {@link LaterParts}). */
function isLater(name: string): boolean {
  return name.startsWith("classes.");
}

/**
 * The class index as the graph would use it: names, definitions and split classes of the right
 * shapes, every class id of a node or a split class inside the id range (the strings, then the
 * extra names), split class ids among the extra names and each given once.
 */
function checkClasses(nodeClass: Uint32Array, names: Uint8Array, S: number, N: number): ClassParts {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(names.buffer, names.byteOffset, names.byteLength).toString("utf8"));
  } catch {
    bad("the class names are not JSON");
  }
  const j = json as { extraNames?: unknown; definitions?: unknown; split?: unknown };
  const isString = (v: unknown): v is string => typeof v === "string";
  if (typeof j !== "object" || j === null || !Array.isArray(j.extraNames) || !j.extraNames.every(isString))
    bad("the class names are not valid");
  const extraNames = j.extraNames as string[];
  if (
    !Array.isArray(j.definitions) ||
    !j.definitions.every(
      (d: unknown) =>
        typeof d === "object" &&
        d !== null &&
        isString((d as { name?: unknown }).name) &&
        Array.isArray((d as { properties?: unknown }).properties) &&
        (d as { properties: unknown[] }).properties.every(isString),
    )
  )
    bad("the plain-object shapes are not valid");
  const definitions = (j.definitions as { name: string; properties: string[] }[]).map((d) => ({ name: d.name, properties: d.properties }));
  const limit = S + extraNames.length;
  if (!Array.isArray(j.split)) bad("the split classes are not valid");
  const seen = new Set<number>();
  const split: ClassParts["split"] = [];
  for (const r of j.split as unknown[]) {
    if (!Array.isArray(r) || r.length !== 5 || !r.every((v) => isCount(v) && v <= 0xffffffff)) bad("a split class is not valid");
    const [id, base, scriptId, line, column] = r as number[];
    if (id! < S || id! >= limit || base! >= limit) bad("a split class names a class past the last");
    if (seen.has(id!)) bad("a split class is given twice");
    seen.add(id!);
    split.push({ id: id!, base: base!, location: { scriptId: scriptId!, line: line!, column: column! } });
  }
  if (nodeClass.length !== N) bad("the class index has the wrong length");
  for (let n = 0; n < N; n++) if (nodeClass[n]! >= limit) bad(`node ${n} has a class past the last`);
  return { nodeClass, extraNames, definitions, split };
}

function allocate(type: ElementType, length: number, shared: boolean): Typed {
  const buffer = (bytes: number): ArrayBuffer => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes)) as ArrayBuffer;
  switch (type) {
    case "u8":
      return shared ? sharedU8(length) : new Uint8Array(length);
    case "u16":
      return new Uint16Array(buffer(length * 2));
    case "u32":
      return shared ? sharedU32(length) : new Uint32Array(length);
    case "i32":
      return new Int32Array(buffer(length * 4));
    case "f64":
      return new Float64Array(buffer(length * 8));
  }
}

/**
 * What the snapshot reader checks while parsing, checked again for the nodes: type codes in range,
 * first-edge sums from 0 to the edge count and never decreasing. Notes the largest string index
 * used, which is checked against the strings table. (The edges: read-worker.ts.)
 */
function checkNodes(
  type: Uint8Array,
  name: Uint32Array,
  firstEdge: Uint32Array,
  typeCount: number,
  N: number,
  E: number,
): { maxName: number; problem: string | null } {
  let maxName = 0;
  for (let n = 0; n < N; n++) {
    if (type[n]! >= typeCount) return { maxName, problem: `node ${n} has an unknown type` };
    if (name[n]! > maxName) maxName = name[n]!;
  }
  if (firstEdge[0] !== 0 || firstEdge[N] !== E) return { maxName, problem: "the first-edge index does not span the edges" };
  for (let n = 0; n < N; n++)
    if (firstEdge[n + 1]! < firstEdge[n]!) return { maxName, problem: `the first-edge index decreases at node ${n}` };
  return { maxName, problem: null };
}

/** The edge checks of the worker's job, on this thread, for sections this thread read. */
function checkEdgesHere(arrays: Map<string, Typed>, job: ReadJob): ReadReply {
  const sections = ["edge.type", "edge.name", "edge.to"].map((name) => ({ name, view: bytesOf(arrays.get(name)!), position: -1 }));
  return checkEdges({ ...job, sections }, []);
}

const READ_WORKER_URL = new URL("./read-worker.js", import.meta.url);
/** Under a TypeScript test runner only the .ts source exists: no worker, this thread reads it all. */
const CAN_USE_WORKER = import.meta.url.endsWith(".js");
/** Entries smaller than this are read on one thread: a worker costs more than it saves. */
const PARALLEL_MIN_BYTES = 64 << 20;
const TRUNCATED = "the file ends too early (truncated)";

/** The job on a worker thread; null when the worker could not run it (the caller then does). */
function runInWorker(job: ReadJob): Promise<ReadReply | null> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(READ_WORKER_URL, { workerData: { cacheReadJob: job } });
    } catch {
      resolve(null);
      return;
    }
    worker.once("message", (r: ReadReply) => resolve(r));
    worker.once("error", () => resolve(null));
    worker.once("exit", () => resolve(null));
  });
}

/** Every index in the analysis in range, and the dominator tree a tree (each node after its dominator). */
function checkAnalysis(a: AnalysisParts, N: number, E: number): void {
  for (let n = 0; n < N; n++) if (a.parentEdge[n]! > E) bad("a distance record names an edge past the last");
  for (const r of a.refused) if (r >= N) bad("a refused-edge record names a node past the last");
  if (!a.tree) return;
  const { preorder, idomIndex } = a.tree;
  if (N === 0) return;
  if (preorder[0] !== 0 || idomIndex[0] !== 0) bad("the dominator tree does not start at the root");
  const seen = new Uint8Array(N);
  for (let k = 0; k < N; k++) {
    const n = preorder[k]!;
    if (n >= N || seen[n] === 1) bad("the dominator tree's order is not a permutation of the nodes");
    seen[n] = 1;
    if (k > 0 && idomIndex[k]! >= k) bad("the dominator tree has a node before its dominator");
  }
}
