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
 *                  string chunk lengths, one record per section (name, element type, element
 *                  count, byte offset from the data start), and the block table's CRC-32
 *     ... zero padding to a multiple of 8: the data start
 *     sections, each padded to a multiple of 8
 *     the block table: the CRC-32 of every 64 KB block of every section, in file order (u32 each),
 *                  padded to a multiple of 8
 *
 * A cache file is untrusted input like a snapshot. Opening it checks the magic, the header's CRC
 * and shape, that the sections are exactly the ones this build writes for the recorded counts and
 * end where the block table begins, and the block table's CRC; anything off is a
 * {@link CacheFormatError}, and the caller reads the snapshot instead. The sections are read when
 * first used, a block at a time (lazy.ts): each block's CRC and then every value in it used as an
 * index (types, edge targets, first-edge sums, string indices, dominator tree places) are checked
 * before any of it is handed out, the way the snapshot reader checks a snapshot; a block that
 * fails is a CacheDamagedError then.
 */
import { createHash } from "node:crypto";
import { closeSync, fstatSync, ftruncateSync, openSync, readSync, write, writeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { readMeta } from "../snapshot/meta.js";
import { latePartFile } from "./entry-name.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import {
  sharedU32,
  sharedU8,
  type EdgeColumns,
  type LazyColumn,
  type LazyColumns,
  type NodeColumns,
  type ReadAheadPart,
} from "../snapshot/columns.js";
import { StringTable } from "../snapshot/string-table.js";
import type { AnalysisParts } from "../graph/analysis.js";
import type { ClassParts } from "../graph/heap-graph.js";
import { unpackIdSample } from "../graph/id-sample.js";
import { unpackClassSummary } from "../graph/class-summary.js";
import { idomFromPreorder } from "../graph/dominators.js";
import { userRootRule } from "../graph/distances.js";
import { blockCount, blockCrcs, bytesOf, EntryFile, LazySection, type Typed } from "./lazy.js";
import { firstAtLeast, type ValueCheck } from "./checks.js";
import { BIG_ENTRY_BYTES, ReadAhead } from "./read-ahead.js";
import { treeEdgeMismatch } from "./tree-sample.js";
import { BackgroundChecksums } from "./checksums.js";
import { removeQuietly, sameFileAt } from "./files.js";

const MAGIC = Buffer.from("BRCACHE\x01", "latin1");
/** Bumped whenever the layout or the meaning of a section changes. */
export const CACHE_FORMAT = 8;
const PREFIX = 16;
/** A header longer than this is not one of ours. */
const MAX_HEADER = 64 << 20;

type ElementType = "u8" | "u16" | "u32" | "i32" | "f64";
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
  /** CRC-32 of the block table (which follows the last section). */
  blocks: number;
}

/** What an entry holds. */
export interface EntryContent {
  raw: RawSnapshot;
  analysis: AnalysisParts | null;
  /** The graph's class index (HeapGraph.classParts), when computed. */
  classes?: ClassParts | null;
  /**
   * The snapshot's edges are being read still: `raw.edges` is not read (its arrays may be empty),
   * and the edge sections, sized from the header's count, are written once handed over with them
   * (see {@link EntryWriter.create}). Never to finish an entry with.
   */
  edgesToCome?: boolean;
}

/**
 * The parts of an entry read only when first asked for (only some commands need them): each loader
 * reads its sections, checks their checksums and values, and throws a {@link CacheFormatError}
 * when anything is off. Null: the entry does not hold it.
 */
export interface LaterParts {
  classes: (() => ClassParts) | null;
  /** The id-trust check's sample of the snapshot, packed (graph/id-sample.ts): a late part only. */
  idSample: (() => Uint32Array) | null;
  /** The per-class and per-type totals of `info`, packed (graph/class-summary.ts): a late part only. */
  classSummary: (() => Float64Array) | null;
}

/** What reading an entry gives: its content, and the parts read later. */
export interface ReadContent extends EntryContent {
  later: LaterParts;
  /**
   * What the entry holds, with its late parts (known from the headers: the parts are read on
   * first use): the analysis, the dominator tree, the per-class retained sizes, the class index.
   */
  holds: { analysis: boolean; tree: boolean; classRetained: boolean; classes: boolean };
  /** Which file was read, for adding late parts to it. */
  stamp: EntryStamp;
  /** Late parts that were there but unusable (damaged, truncated...): removed, and computed again when needed. */
  ignored: { part: LatePart; reason: string }[];
}

/** An entry file as it was read: late parts are added only while it is still the one in place. */
export interface EntryStamp {
  entry: string;
  /** SHA-256 of its header (late parts name their entry by it). */
  key: string;
  ino: string;
  dev: string;
  size: number;
  /** The late parts read with it. */
  late: LatePart[];
}

/** A cache file that is not a valid entry of this build (damaged, truncated, foreign, older). */
export class CacheFormatError extends Error {}

function bad(what: string): never {
  throw new CacheFormatError(what);
}

const pad8 = (n: number): number => (n + 7) & ~7;

/**
 * A section of an entry: its bytes are known up front; `data` of a `deferred` one (the tree's
 * per-node places, computed from the preorder) is only made when it is written, at the end of the
 * command rather than while the command still needs its memory.
 */
interface Section {
  name: string;
  type: ElementType;
  data: Typed;
  bytes: number;
  deferred?: boolean;
  /** Not read yet (see {@link EntryContent.edgesToCome}): `data` is not the section's. */
  toCome?: boolean;
}

/** The sections of a content, in file order. */
function sectionsOf(c: EntryContent): Section[] {
  // Columns read on first use (from an entry) are read whole before they are written again.
  const lazy = c.raw.lazy;
  if (lazy) for (const col of Object.values(lazy)) (col as LazyColumn | null)?.whole();
  const { nodes, edges, strings } = c.raw;
  const parts = strings.parts();
  const out: Unsized[] = [
    { name: "node.type", type: "u8", data: nodes.type },
    { name: "node.name", type: "u32", data: nodes.name },
    { name: "node.id", type: "u32", data: nodes.id },
    { name: "node.firstEdge", type: "u32", data: nodes.firstEdge },
  ];
  if (nodes.selfSize) out.push({ name: "node.selfSize", type: "u32", data: nodes.selfSize });
  if (nodes.detachedness) out.push({ name: "node.detachedness", type: "u8", data: nodes.detachedness });
  const E = c.raw.meta.edgeCount;
  const toCome = c.edgesToCome === true ? { toCome: true } : null;
  out.push(
    { name: "edge.type", type: "u8", data: edges.type, ...(toCome ? { ...toCome, bytes: E } : {}) },
    { name: "edge.name", type: "u32", data: edges.name, ...(toCome ? { ...toCome, bytes: 4 * E } : {}) },
    { name: "edge.to", type: "u32", data: edges.to, ...(toCome ? { ...toCome, bytes: 4 * E } : {}) },
    { name: "string.chunk", type: "u16", data: parts.chunkIdx },
    { name: "string.start", type: "u32", data: parts.starts },
    { name: "string.length", type: "u32", data: parts.lengths },
  );
  parts.chunks.forEach((b, i) => out.push({ name: `string.bytes.${i}`, type: "u8", data: b }));
  if (c.raw.locations) out.push({ name: "locations", type: "u32", data: c.raw.locations });
  const a = c.analysis;
  if (a) {
    out.push(...analysisSections(a));
    if (a.tree) {
      out.push(...treeSections(a.tree));
      if (a.classRetained) out.push(...classRetainedSections(a.classRetained));
    }
  }
  // Last, so that adding them never moves a section written before (see EntryWriter).
  if (c.classes) out.push(...classesSections(c.classes));
  return sized(out);
}

type Unsized = Omit<Section, "bytes"> & { bytes?: number };

function sized(out: Unsized[]): Section[] {
  for (const o of out) o.bytes ??= o.data.byteLength;
  return out as Section[];
}

/** The analysis' sections: self sizes, distances and the BFS tree, user roots, refused edges. */
function analysisSections(a: AnalysisParts): Unsized[] {
  return [
    { name: "analysis.shallow", type: "f64", data: a.shallow },
    { name: "analysis.distance", type: "i32", data: a.distance },
    { name: "analysis.parentEdge", type: "u32", data: a.parentEdge },
    { name: "analysis.userRoots", type: "u8", data: a.userRoots },
    { name: "analysis.refused", type: "u32", data: a.refused },
    { name: "analysis.treeList", type: "u8", data: a.treeList },
  ];
}

/** The dominator tree's sections (by node, then by place) and the retained sizes. */
function treeSections(tree: NonNullable<AnalysisParts["tree"]>): Unsized[] {
  const N = tree.preorder.length;
  return [
    { name: "analysis.idom", type: "u32", data: tree.idom ?? byNode(tree).idom },
    {
      name: "analysis.rank",
      type: "u32",
      get data() {
        return byNode(tree).rank;
      },
      bytes: N * 4,
      deferred: !tree.rank && !treesByNode.has(tree),
    },
    { name: "analysis.preorder", type: "u32", data: tree.preorder },
    { name: "analysis.idomIndex", type: "u32", data: tree.idomIndex },
    { name: "analysis.retained", type: "f64", data: tree.retained },
  ];
}

function classRetainedSections(classRetained: Float64Array): Unsized[] {
  return [{ name: "analysis.classRetained", type: "f64", data: classRetained }];
}

function classesSections(classes: ClassParts): Unsized[] {
  return [
    { name: "classes.nodeClass", type: "u32", data: classes.nodeClass },
    { name: "classes.names", type: "u8", data: encodeClassNames(classes) },
  ];
}

/**
 * The dominator tree as an entry stores it, by node: each node's immediate dominator and its
 * position in the preorder (computed once per tree). One dominator is then two reads, and the
 * preorder is rebuilt from the positions when a command needs the whole tree.
 */
const treesByNode = new WeakMap<object, { idom: Uint32Array; rank: Uint32Array }>();
function byNode(tree: NonNullable<AnalysisParts["tree"]>): { idom: Uint32Array; rank: Uint32Array } {
  let t = treesByNode.get(tree);
  if (!t) {
    if (tree.idom && tree.rank) t = { idom: tree.idom, rank: tree.rank };
    else {
      const { preorder, idomIndex } = tree;
      const rank = new Uint32Array(preorder.length);
      for (let k = 0; k < preorder.length; k++) rank[preorder[k]!] = k;
      t = { idom: tree.idom ?? idomFromPreorder(preorder, idomIndex), rank };
    }
    treesByNode.set(tree, t);
  }
  return t;
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
      // The [hash, id] pairs of the class names that are strings, as base64 of their bytes.
      ...(c.named ? { named: Buffer.from(c.named.buffer, c.named.byteOffset, c.named.byteLength).toString("base64") } : {}),
    };
    b = new Uint8Array(Buffer.from(JSON.stringify(json), "utf8"));
    encodedNames.set(c, b);
  }
  return b;
}

/** The size in bytes the entry of a content would take. */
export function entrySize(c: EntryContent, build: string, source: SourceIdentity): number {
  const sections = sectionsOf(c);
  return encodeHeader(c, build, source, 0).dataStart + sections.reduce((n, s) => n + pad8(s.bytes), 0) + tableBytes(sections);
}

/** Bytes of the block table of `sections` (padded to a multiple of 8). */
function tableBytes(sections: { bytes: number }[]): number {
  return pad8(4 * sections.reduce((n, s) => n + blockCount(s.bytes), 0));
}

/** The block table: every section's block checksums, in file order, padded to a multiple of 8 bytes. */
function blockTable(crcs: Uint32Array[]): Uint8Array {
  const count = crcs.reduce((n, c) => n + c.length, 0);
  const table = new Uint32Array(pad8(count * 4) / 4);
  let at = 0;
  for (const c of crcs) {
    table.set(c, at);
    at += c.length;
  }
  return bytesOf(table);
}

function encodeHeader(
  c: EntryContent,
  build: string,
  source: SourceIdentity,
  blocks: number,
): { json: Buffer; dataStart: number; sections: ReturnType<typeof sectionsOf> } {
  const sections = sectionsOf(c);
  const json = headerJson(c.raw, build, source, analysisSummary(c), classSummary(c), recordsOf(sections), blocks);
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
  blocks: number,
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
    blocks,
  };
  return Buffer.from(JSON.stringify(header), "utf8");
}

/**
 * The longest header an entry of `raw` can have, whatever analysis it ends up holding: every
 * analysis section present, every count, offset and checksum at its widest. An entry written
 * section by section (see {@link EntryWriter}) reserves this much room for its header, which it
 * writes last, padded with spaces (JSON allows trailing white space).
 */
function maxHeaderLength(raw: RawSnapshot, build: string, source: SourceIdentity, edgesToCome = false): number {
  const WIDEST = Number.MAX_SAFE_INTEGER;
  const U32 = 0xffffffff;
  const records: SectionRecord[] = sectionsOf({ raw, analysis: null, edgesToCome }).map((s) => ({
    name: s.name,
    type: s.type,
    length: s.bytes / WIDTH[s.type],
    offset: WIDEST,
  }));
  const N = raw.meta.nodeCount;
  const more: [string, ElementType, number][] = [
    ["analysis.shallow", "f64", N],
    ["analysis.distance", "i32", N],
    ["analysis.parentEdge", "u32", N],
    ["analysis.userRoots", "u8", N],
    ["analysis.refused", "u32", U32],
    ["analysis.treeList", "u8", N],
    ["analysis.idom", "u32", N],
    ["analysis.rank", "u32", N],
    ["analysis.preorder", "u32", N],
    ["analysis.idomIndex", "u32", N],
    ["analysis.retained", "f64", N],
    ["analysis.classRetained", "f64", U32],
    ["classes.nodeClass", "u32", N],
    ["classes.names", "u8", U32],
  ];
  for (const [name, type, length] of more) records.push({ name, type, length, offset: WIDEST });
  // `tree: false` is longer than `true`; a `written` time keeps 13 digits until the year 2286.
  return headerJson(raw, build, source, { refused: U32, tree: false, classRetained: U32 }, U32, records, U32).length;
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
  const table = blockTable(sectionsOf(c).map((s) => blockCrcs(bytesOf(s.data))));
  const { json, dataStart, sections } = encodeHeader(c, build, source, crc32(table));
  return writeFile(path, MAGIC, json, dataStart, sections, table);
}

/** Writes a new file: the prefix (`magic`, the header's length and CRC-32), the header, the sections, the block table. */
function writeFile(path: string, magic: Buffer, json: Buffer, dataStart: number, sections: Section[], table: Uint8Array): number {
  const fd = openSync(path, "wx", 0o600);
  try {
    const prefix = Buffer.alloc(dataStart);
    magic.copy(prefix, 0);
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
    writeAll(fd, table);
    return size + table.length;
  } finally {
    closeSync(fd);
  }
}

/**
 * A part an entry gains after it was written, when a later command computes it (the entry was
 * written by a command that did not need it): the analysis (self sizes, distances...), the dominator
 * tree with the retained sizes, the per-class retained sizes, the class index, and the sample of
 * ids that comparing snapshots by id checks (never in an entry itself). Each is a file of its
 * own beside the entry ({@link latePartPath}), tied to that entry by a hash of its header, so that
 * adding a part writes that part only, never a copy of the entry. See docs/cache.md.
 */
export type LatePart = "analysis" | "tree" | "class-retained" | "classes" | "ids" | "summary";
/** In the order a reader takes them: each of the first three is used only with the one before. */
export const LATE_PARTS: readonly LatePart[] = ["analysis", "tree", "class-retained", "classes", "ids", "summary"];

const LATE_MAGIC = Buffer.from("BRCLATE\x01", "latin1");

/** The file of an entry's late part: `<entry without .brc>.<part>.brl`. */
export function latePartPath(entry: string, part: LatePart): string {
  return latePartFile(entry, part);
}

/** Whether a file name is a late part's (see {@link latePartPath}), and of which entry file name. */
export function latePartOf(name: string): { entryName: string; part: LatePart } | null {
  const m = /^(.*)\.(analysis|tree|class-retained|classes|ids|summary)\.brl$/.exec(name);
  return m ? { entryName: `${m[1]}.brc`, part: m[2] as LatePart } : null;
}

/** What late parts are written from (each part from its own field). */
export interface LateContent {
  /** The "analysis" part: its self sizes, distances, BFS tree, user roots and refused edges (the rest is not read). */
  analysis?: AnalysisParts | null;
  tree?: AnalysisParts["tree"];
  classRetained?: Float64Array | null;
  classes?: ClassParts | null;
  /** The id-trust check's sample, packed (graph/id-sample.ts). */
  idSample?: Uint32Array | null;
  /** The per-class and per-type totals of `info`, packed (graph/class-summary.ts). */
  classSummary?: Float64Array | null;
}

interface LateHeader {
  format: number;
  build: string;
  /** SHA-256 of the header of the entry this part belongs to (an entry written again has another). */
  base: string;
  part: LatePart;
  /**
   * The part's one variable length: the refused-edge count (analysis), the class count
   * (class-retained), the class names' bytes (classes), the words of the id sample (ids); null
   * for the tree.
   */
  length: number | null;
  sections: SectionRecord[];
  blocks: number;
}

/** The sections of a late part, and its variable length (see LateHeader). */
function lateSections(part: LatePart, c: LateContent): { sections: Section[]; length: number | null } {
  const missing = (): never => {
    throw new Error(`no ${part} to write`);
  };
  switch (part) {
    case "analysis": {
      const a = c.analysis ?? missing();
      return { sections: sized(analysisSections(a)), length: a.refused.length };
    }
    case "tree":
      return { sections: sized(treeSections(c.tree ?? missing())), length: null };
    case "class-retained": {
      const r = c.classRetained ?? missing();
      return { sections: sized(classRetainedSections(r)), length: r.length };
    }
    case "classes": {
      const sections = sized(classesSections(c.classes ?? missing()));
      return { sections, length: sections[1]!.bytes };
    }
    case "ids": {
      const packed = c.idSample ?? missing();
      return { sections: sized([{ name: "ids.sample", type: "u32", data: packed }]), length: packed.length };
    }
    case "summary": {
      const packed = c.classSummary ?? missing();
      return { sections: sized([{ name: "summary.values", type: "f64", data: packed }]), length: packed.length };
    }
  }
}

function lateHeaderJson(
  part: LatePart,
  length: number | null,
  build: string,
  base: string,
  records: SectionRecord[],
  blocks: number,
): Buffer {
  const header: LateHeader = { format: CACHE_FORMAT, build, base, part, length, sections: records, blocks };
  return Buffer.from(JSON.stringify(header), "utf8");
}

function recordsOf(sections: Section[]): SectionRecord[] {
  let offset = 0;
  return sections.map((s) => {
    const r = { name: s.name, type: s.type, length: s.bytes / WIDTH[s.type], offset };
    offset += pad8(s.bytes);
    return r;
  });
}

/** The size in bytes of a late part's file. */
export function latePartSize(part: LatePart, c: LateContent, build: string, base: string): number {
  const { sections, length } = lateSections(part, c);
  const json = lateHeaderJson(part, length, build, base, recordsOf(sections), 0xffffffff);
  return pad8(PREFIX + json.length) + sections.reduce((n, s) => n + pad8(s.bytes), 0) + tableBytes(sections);
}

/**
 * Writes a late part of the entry whose header hashes to `base` to `path` (a new file: the caller
 * renames it into place, see {@link latePartPath}). Laid out as an entry is: a header (naming the
 * part, the entry, and the sections), the sections in 64 KB blocks, and their block table. Returns its size.
 */
export function writeLatePart(path: string, part: LatePart, c: LateContent, build: string, base: string): number {
  const { sections, length } = lateSections(part, c);
  const table = blockTable(sections.map((s) => blockCrcs(bytesOf(s.data))));
  const json = lateHeaderJson(part, length, build, base, recordsOf(sections), crc32(table));
  return writeFile(path, LATE_MAGIC, json, pad8(PREFIX + json.length), sections, table);
}

/**
 * An entry written while the command that read the snapshot goes on: created as soon as the columns
 * are read, it is handed what is known as it becomes known ({@link hand}), and each big section is
 * summed by a second thread (see checksums.ts) and written by libuv's thread pool meanwhile (the
 * data is not copied, so nothing handed over may change afterwards); {@link finish} writes the rest and the header last. The
 * header's room is reserved up front at its longest (see maxHeaderLength), so that every section's
 * place is known before the analysis is. The file is the one {@link writeEntry} makes, except that
 * the header is padded with spaces.
 */
export class EntryWriter {
  /** Sections being written in the background: what, where, and its checksum once written. */
  private readonly placed = new Map<string, { data: Typed; position: number; crc: Promise<Uint32Array> }>();
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
    /** Sums the sections written in the background, on a second thread where it can. */
    private readonly checksums: BackgroundChecksums,
  ) {
    this.dataStart = pad8(PREFIX + reserved);
  }

  /**
   * Creates the file at `path` (which must not exist) for an entry of `raw`. `backgroundMin`:
   * sections of this many bytes and more are written in the background as they are handed over
   * (the rest by {@link finish}); null: everything by finish. `checksums`: what sums those
   * sections (one started ahead, see {@link BackgroundChecksums.start}); the writer stops it when
   * it is finished or abandoned, and also when this throws. `edgesToCome`: `raw` is read but for its
   * edges (see {@link EntryContent.edgesToCome}), whose sections are written once handed over.
   */
  static create(
    path: string,
    raw: RawSnapshot,
    build: string,
    source: SourceIdentity,
    backgroundMin: number | null,
    checksums: BackgroundChecksums = new BackgroundChecksums(),
    edgesToCome = false,
  ): EntryWriter {
    const reserved = maxHeaderLength(raw, build, source, edgesToCome);
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (e) {
      void checksums.close();
      throw e;
    }
    const w = new EntryWriter(path, fd, reserved, build, source, backgroundMin, checksums);
    w.hand({ raw, analysis: null, edgesToCome });
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
      position += pad8(s.bytes);
      if (this.placed.has(s.name) || s.deferred || s.toCome || s.bytes < this.backgroundMin) continue;
      const bytes = bytesOf(s.data);
      const sum = this.checksums.sum(bytes);
      const crc = Promise.all([writeInBackground(this.fd, bytes, at), sum]).then(([, sums]) => sums);
      crc.catch(() => {}); // looked at in finish
      this.placed.set(s.name, { data: s.data, position: at, crc });
    }
  }

  /** The size of the entry of `c` as this writer lays it out. */
  sizeOf(c: EntryContent): number {
    const sections = sectionsOf(c);
    return this.dataStart + sections.reduce((n, s) => n + pad8(s.bytes), 0) + tableBytes(sections);
  }

  /**
   * Writes the sections of `c` not written yet (those handed over are kept when they are still the
   * same arrays in the same places), then the header; closes the file. Returns its size. Throws
   * what writing threw (no space left...); the caller removes the file then.
   */
  async finish(c: EntryContent): Promise<number> {
    if (this.closed) throw new Error("the entry was already finished");
    if (c.edgesToCome) throw new Error("an entry is finished with its edges");
    try {
      // Every background write settles before this thread writes anywhere; one that failed is
      // written again here (a real write error then throws).
      const written = new Map<string, Uint32Array>();
      await Promise.all(
        [...this.placed].map(async ([name, p]) => {
          const crc = await p.crc.catch(() => null);
          if (crc !== null) written.set(name, crc);
        }),
      );
      const records: SectionRecord[] = [];
      const crcs: Uint32Array[] = [];
      let position = this.dataStart;
      for (const s of sectionsOf(c)) {
        const p = this.placed.get(s.name);
        const reuse = p !== undefined && p.data === s.data && p.position === position && written.has(s.name);
        if (reuse) {
          crcs.push(written.get(s.name)!);
        } else {
          const bytes = bytesOf(s.data);
          writeAll(this.fd, bytes, position);
          crcs.push(blockCrcs(bytes));
        }
        records.push({ name: s.name, type: s.type, length: s.bytes / WIDTH[s.type], offset: position - this.dataStart });
        position += pad8(s.bytes);
      }
      const table = blockTable(crcs);
      writeAll(this.fd, table, position);
      position += table.length;
      const json = headerJson(c.raw, this.build, this.source, analysisSummary(c), classSummary(c), records, crc32(table));
      if (json.length > this.reserved) throw new Error("the entry's header outgrew its room");
      const prefix = Buffer.alloc(this.dataStart);
      MAGIC.copy(prefix, 0);
      prefix.fill(0x20, PREFIX, PREFIX + this.reserved);
      json.copy(prefix, PREFIX);
      prefix.writeUInt32LE(this.reserved, 8);
      prefix.writeUInt32LE(crc32(prefix.subarray(PREFIX, PREFIX + this.reserved)), 12);
      writeAll(this.fd, prefix, 0);
      // The block table last, and nothing beyond (a section handed over and then
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
    await this.checksums.close();
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

/**
 * The header of an entry file (or, with `magic` the late parts', of a late part), checked for
 * shape (not the sections); `key` is the SHA-256 of its bytes, which late parts name their entry by.
 */
export function readHeader<H extends { format: number } = Header>(
  fd: number,
  magic: Buffer = MAGIC,
): { header: H; dataStart: number; fileSize: number; key: string } {
  const fileSize = fstatSync(fd).size;
  if (fileSize < PREFIX) bad("the file is too short");
  const prefix = Buffer.alloc(PREFIX);
  readFully(fd, prefix, 0);
  if (!prefix.subarray(0, 8).equals(magic)) bad("not a backrefs cache file");
  const length = prefix.readUInt32LE(8);
  if (length > MAX_HEADER || PREFIX + length > fileSize) bad("the header does not fit in the file (truncated?)");
  const json = Buffer.alloc(length);
  readFully(fd, json, PREFIX);
  if (crc32(json) !== prefix.readUInt32LE(12)) bad("the header's checksum does not match");
  let header: H;
  try {
    header = JSON.parse(json.toString("utf8")) as H;
  } catch {
    bad("the header is not JSON");
  }
  if (typeof header !== "object" || header === null) bad("the header is not an object");
  if (header.format !== CACHE_FORMAT) bad(`written in cache format ${String(header.format)}, this build reads ${CACHE_FORMAT}`);
  return { header, dataStart: pad8(PREFIX + length), fileSize, key: createHash("sha256").update(json).digest("hex") };
}

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;

/**
 * Opens an entry: checks its header, that it is of this build and this source, that its sections
 * are exactly the ones this build writes for the recorded counts, each inside the file and the
 * file ending with the block table, and the block table's checksum; then the same of each late
 * part beside it that the entry lacks (see {@link LatePart}), and that the part was made for this
 * entry. The sections themselves are read when first used, block by block, each block checked then
 * (see lazy.ts); a block that fails is a CacheDamagedError at that moment. `expect` is what the
 * caller knows must hold.
 */
export async function readEntry(
  path: string,
  expect: { build: string; source: SourceIdentity },
  /** `parallel: false`: never read ahead on a second thread; true: always (see read-ahead.ts). */
  options: { parallel?: boolean } = {},
): Promise<ReadContent> {
  const fd = openSync(path, "r");
  let kept = false;
  try {
    const { header, dataStart, fileSize, key } = readHeader(fd);
    if (header.build !== expect.build) bad("written by another build of backrefs");
    const src = header.source as Partial<SourceIdentity> | undefined;
    for (const k of Object.keys(expect.source) as (keyof SourceIdentity)[]) {
      if (src?.[k] !== expect.source[k]) bad(`made from another version of the file (${k} differs)`);
    }
    const content = openSections(path, fd, header, dataStart, fileSize, key, options.parallel);
    kept = true;
    return content;
  } finally {
    if (!kept) closeSync(fd);
  }
}

interface Want {
  name: string;
  type: ElementType;
  length: number;
}

function analysisWant(N: number, refused: number): Want[] {
  return [
    { name: "analysis.shallow", type: "f64", length: N },
    { name: "analysis.distance", type: "i32", length: N },
    { name: "analysis.parentEdge", type: "u32", length: N },
    { name: "analysis.userRoots", type: "u8", length: N },
    { name: "analysis.refused", type: "u32", length: refused },
    { name: "analysis.treeList", type: "u8", length: (N + 7) >>> 3 },
  ];
}

function treeWant(N: number): Want[] {
  return [
    { name: "analysis.idom", type: "u32", length: N },
    { name: "analysis.rank", type: "u32", length: N },
    { name: "analysis.preorder", type: "u32", length: N },
    { name: "analysis.idomIndex", type: "u32", length: N },
    { name: "analysis.retained", type: "f64", length: N },
  ];
}

const classRetainedWant = (classes: number): Want[] => [{ name: "analysis.classRetained", type: "f64", length: classes }];

const idSampleWant = (words: number): Want[] => [{ name: "ids.sample", type: "u32", length: words }];
const summaryWant = (values: number): Want[] => [{ name: "summary.values", type: "f64", length: values }];

const classesWant = (N: number, names: number): Want[] => [
  { name: "classes.nodeClass", type: "u32", length: N },
  { name: "classes.names", type: "u8", length: names },
];

/**
 * Checks that a file's section records are exactly `want`, in order, each inside the file, the
 * block table right after the last section and the file ending with it, and the block table's
 * CRC-32 (`tableCrc`). Returns each section's file position, its first block's index in the
 * table, and the table.
 */
function checkLayout(
  fd: number,
  want: Want[],
  recs: unknown,
  tableCrc: number,
  dataStart: number,
  fileSize: number,
): { places: number[]; crcBase: number[]; table: Uint32Array } {
  if (!Array.isArray(recs)) bad("no section list");
  if (recs.length !== want.length) bad("the section list does not match this build's");
  // Every section's place and size checked before anything is allocated or read.
  let expectedOffset = 0;
  let blocks = 0;
  const places: number[] = [];
  const crcBase: number[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const r = recs[i] as Partial<SectionRecord>;
    if (r?.name !== w.name || r.type !== w.type || r.length !== w.length || r.offset !== expectedOffset) {
      bad(`section ${i} (${String(r?.name)}) does not match this build's layout`);
    }
    const bytes = w.length * WIDTH[w.type];
    if (dataStart + expectedOffset + bytes > fileSize) bad(`section ${w.name} goes past the end of the file (truncated?)`);
    places.push(dataStart + expectedOffset);
    crcBase.push(blocks);
    blocks += blockCount(bytes);
    expectedOffset += pad8(bytes);
  }
  const tablePlace = dataStart + expectedOffset;
  if (tablePlace + pad8(blocks * 4) !== fileSize) {
    bad(
      tablePlace + pad8(blocks * 4) > fileSize
        ? "the block table goes past the end of the file (truncated?)"
        : "the file has bytes after its block table",
    );
  }
  const table = new Uint32Array(pad8(blocks * 4) / 4);
  readFully(fd, bytesOf(table), tablePlace);
  if (crc32(bytesOf(table)) !== tableCrc) bad("the block table's checksum does not match");
  return { places, crcBase, table };
}

/** Where a section is: its file, its position there, its first block's index in that file's table. */
interface Placed extends Want {
  file: EntryFile;
  place: number;
  crcBase: number;
}

/**
 * Opens the late part `part` of the entry at `entry` (whose header hashes to `base`): null when
 * there is none, or one made for another entry (removed, when `ours` says the entry in place is
 * the one opened); a CacheFormatError when it is not valid (removed, likewise). A part the entry
 * does not `need` (it holds that part itself, or lacks what the part completes) is only looked at
 * to remove it when it was made for another entry: null, whatever it holds.
 */
function openLatePart(
  entry: string,
  part: LatePart,
  expect: { build: string; base: string; N: number },
  ours: () => boolean,
  need: boolean,
): { placed: Placed[]; length: number | null; file: EntryFile } | null {
  const path = latePartPath(entry, part);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || !need) return null;
    throw e;
  }
  let kept = false;
  try {
    const { header: h, dataStart, fileSize } = readHeader<LateHeader>(fd, LATE_MAGIC);
    if (h.base !== expect.base || h.build !== expect.build) {
      // Made for an entry written before this one (or by another build): of no use to anyone.
      if (ours()) removeIfStill(path, fd);
      return null;
    }
    if (!need) return null;
    if (h.part !== part) bad("it holds another part than its name says");
    const length = h.length;
    const N = expect.N;
    let want: Want[];
    switch (part) {
      case "analysis":
        if (!isCount(length) || length > 0xffffffff) bad("the analysis record is not valid");
        want = analysisWant(N, length);
        break;
      case "tree":
        if (length !== null) bad("the dominator tree's record is not valid");
        want = treeWant(N);
        break;
      case "class-retained":
        if (!isCount(length) || length > 0xffffffff) bad("the per-class record is not valid");
        want = classRetainedWant(length);
        break;
      case "classes":
        if (!isCount(length) || length > 0xffffffff) bad("the class index record is not valid");
        want = classesWant(N, length);
        break;
      case "ids":
        if (!isCount(length) || length > 0xffffffff) bad("the id sample's record is not valid");
        want = idSampleWant(length);
        break;
      case "summary":
        if (!isCount(length) || length > 0xffffffff) bad("the per-class totals' record is not valid");
        want = summaryWant(length);
        break;
    }
    if (!isCount(h.blocks)) bad("the block table's record is not valid");
    const { places, crcBase, table } = checkLayout(fd, want, h.sections, h.blocks, dataStart, fileSize);
    // A damaged block found later is reported as the entry's (the command runs again from the snapshot).
    const file = new EntryFile(path, fd, table, entry);
    kept = true;
    return { placed: want.map((w, i) => ({ ...w, file, place: places[i]!, crcBase: crcBase[i]! })), length, file };
  } catch (e) {
    if (!need) return null;
    // Not valid: removed (the next command that needs it writes it again). Not readable: left.
    if (e instanceof CacheFormatError && ours()) removeIfStill(path, fd);
    throw e;
  } finally {
    if (!kept) closeSync(fd);
  }
}

/**
 * Removes `path` only while it still names the file open as `fd`: another process may have
 * renamed a new, valid file there since it was opened.
 */
function removeIfStill(path: string, fd: number): void {
  if (sameFileAt(path, fstatSync(fd, { bigint: true }))) removeQuietly(path);
}

function openSections(
  path: string,
  fd: number,
  header: Header,
  dataStart: number,
  fileSize: number,
  key: string,
  parallel: boolean | undefined,
): ReadContent {
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
  if (!isCount(header.blocks)) bad("the block table's record is not valid");

  // What this build expects, section by section, in order.
  const want: Want[] = [
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
    want.push(...analysisWant(N, an.refused));
    if (an.tree) {
      want.push(...treeWant(N));
      if (an.classRetained !== null) want.push(...classRetainedWant(an.classRetained));
    }
  }
  if (header.classes !== null) want.push(...classesWant(N, header.classes));
  const { places, crcBase, table } = checkLayout(fd, want, header.sections, header.blocks, dataStart, fileSize);
  const file = new EntryFile(path, fd, table);
  const placedAt = new Map<string, Placed>(want.map((w, i) => [w.name, { ...w, file, place: places[i]!, crcBase: crcBase[i]! }]));

  // The parts the entry lacks, from their own files when a later command added them.
  const files = [file];
  const late: LatePart[] = [];
  const ignored: { part: LatePart; reason: string }[] = [];
  let analysisLength = an ? an.refused : null;
  let tree = an?.tree === true;
  let classRetained = tree && an!.classRetained !== null;
  let classes = header.classes !== null;
  let idSample = false;
  let summary = false;
  const st = fstatSync(fd, { bigint: true });
  const ours = (): boolean => sameFileAt(path, st) !== null;
  const expectLate = { build: header.build, base: key, N };
  for (const part of LATE_PARTS) {
    // Each of the analysis' parts only with the one before; a class index of its own replaces the entry's
    // (it is written when the entry's was found unusable); an entry never holds the id sample or the
    // per-class totals itself.
    const lacking =
      part === "analysis"
        ? analysisLength === null
        : part === "tree"
          ? analysisLength !== null && !tree
          : part === "class-retained"
            ? tree && !classRetained
            : true;
    let got: ReturnType<typeof openLatePart>;
    try {
      got = openLatePart(path, part, expectLate, ours, lacking);
    } catch (e) {
      const reason =
        e instanceof CacheFormatError ? e.message : `cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      ignored.push({ part, reason });
      continue;
    }
    if (!got) continue;
    for (const p of got.placed) placedAt.set(p.name, p);
    files.push(got.file);
    late.push(part);
    if (part === "analysis") analysisLength = got.length;
    else if (part === "tree") tree = true;
    else if (part === "class-retained") classRetained = true;
    else if (part === "classes") classes = true;
    else if (part === "ids") idSample = true;
    else summary = true;
  }

  const sections = new Map<string, LazySection<Typed>>();
  // What the snapshot reader checks while parsing, checked for each block as it is read (checks.ts).
  const element = meta.edgeTypes.indexOf("element");
  const hidden = meta.edgeTypes.indexOf("hidden");
  const checks: Record<string, ValueCheck> = {
    "node.type": { kind: "node-type", limit: meta.nodeTypes.length },
    "node.name": { kind: "node-name", limit: S },
    "node.firstEdge": { kind: "first-edge", nodes: N, edges: E },
    "edge.type": { kind: "edge-type", limit: meta.edgeTypes.length },
    "edge.to": { kind: "edge-to", limit: N },
    "edge.name": { kind: "edge-name", limit: S, element, hidden },
    "analysis.parentEdge": { kind: "parent-edge", edges: E },
    "analysis.refused": { kind: "refused", limit: N },
    // (analysis.treeList: a bit per node, any value a mark: nothing to check but its checksums and
    // the sample, tree-sample.ts.)
    // The dominator tree by node (idom), its places (rank) and its preorder: node numbers or
    // places, the root first.
    "analysis.idom": { kind: "rooted", nodes: N, message: "the dominator tree names a node past the last" },
    "analysis.rank": { kind: "rooted", nodes: N, message: "the dominator tree's order names a place past the last" },
    "analysis.preorder": { kind: "rooted", nodes: N, message: "the dominator tree names a node past the last" },
    "analysis.idomIndex": { kind: "idom-index", nodes: N },
  };
  const section = <T extends Typed>(name: string, soft = false): LazySection<T> => {
    let s = sections.get(name);
    if (!s) {
      const w = placedAt.get(name)!;
      // In shared memory: the analysis helper thread reads the columns without a copy, and the
      // read-ahead thread fills any section.
      const array = allocate(w.type, w.length, true);
      const uses = name === "edge.name" ? section<Uint8Array>("edge.type") : null;
      s = new LazySection(w.file, name, array, w.place, w.crcBase, checks[name] ?? null, soft ? bad : null, uses);
      sections.set(name, s);
    }
    return s as LazySection<T>;
  };

  // Every section made now (its memory is only taken as it is read), so that the file stays open
  // until all of them have been read.
  for (const name of placedAt.keys()) section(name, name.startsWith("classes.") || name.startsWith("ids."));
  const has = (name: string): boolean => placedAt.has(name);
  const lazy: LazyColumns = {
    nodeType: section("node.type"),
    nodeName: section("node.name"),
    nodeId: section("node.id"),
    selfSize: has("node.selfSize") ? section("node.selfSize") : null,
    detachedness: has("node.detachedness") ? section("node.detachedness") : null,
    firstEdge: section("node.firstEdge"),
    edgeType: section("edge.type"),
    edgeName: section("edge.name"),
    edgeTo: section("edge.to"),
    locations: loc !== null ? section("locations") : null,
  };
  const arr = <T extends Typed>(name: string): T => section<T>(name).array;
  const nodes: NodeColumns = {
    type: arr("node.type"),
    name: arr("node.name"),
    id: arr("node.id"),
    selfSize: has("node.selfSize") ? arr("node.selfSize") : null,
    detachedness: has("node.detachedness") ? arr("node.detachedness") : null,
    firstEdge: arr("node.firstEdge"),
    maxStringRef: 0,
  };
  const edges: EdgeColumns = { type: arr("edge.type"), name: arr("edge.name"), to: arr("edge.to"), maxStringRef: 0 };
  const chunkSecs = str.chunks.map((_, i) => section<Uint8Array>(`string.bytes.${i}`));
  const place = [section("string.chunk"), section("string.start"), section("string.length")];
  const strings = StringTable.lazy(
    {
      chunks: chunkSecs.map((c) => Buffer.from(c.array.buffer, c.array.byteOffset, c.array.byteLength)),
      chunkIdx: arr("string.chunk"),
      starts: arr("string.start"),
      lengths: arr("string.length"),
      count: S,
    },
    {
      place: (i) => {
        for (const p of place) p.at(i);
      },
      bytes: (c, start, end) => chunkSecs[c]!.range(start, end),
      all: () => {
        for (const p of place) p.whole();
        for (const c of chunkSecs) c.whole();
      },
      damaged: (why) => file.damaged(why),
    },
  );

  let analysis: AnalysisParts | null = null;
  if (analysisLength !== null) {
    // Each array looked up once: hot loops read these through getters.
    const whole = <T extends Typed>(name: string): (() => T) => {
      let got: T | null = null;
      return () => (got ??= section<T>(name).whole());
    };
    const shallow = whole<Float64Array>("analysis.shallow");
    const distance = whole<Int32Array>("analysis.distance");
    const parentEdge = whole<Uint32Array>("analysis.parentEdge");
    const userRootsSec = section<Uint8Array>("analysis.userRoots");
    const userRootsBad = (why: string): never =>
      placedAt.get("analysis.userRoots")!.file.damaged(`the user-root marks do not match the root's edges: ${why}`);
    // The user roots are the root's children that count as such (userRootRule): told from the
    // root's few edges, so that every mark is checked against them before it is handed out.
    let rootUsers: Set<number> | null = null;
    const usersOfRoot = (): Set<number> => {
      if (rootUsers) return rootUsers;
      const users = new Set<number>();
      if (N > 0) {
        const fe = section<Uint32Array>("node.firstEdge");
        fe.range(0, 2);
        const to = section<Uint32Array>("edge.to");
        const types = section<Uint8Array>("node.type");
        const names = section<Uint32Array>("node.name");
        const synthetic = meta.nodeTypes.indexOf("synthetic");
        to.range(fe.array[0]!, fe.array[1]!);
        for (let e = fe.array[0]!; e < fe.array[1]!; e++) {
          const n = to.array[e]!;
          types.at(n);
          const name = (): string => {
            names.at(n);
            return strings.get(names.array[n]!);
          };
          if (userRootRule(types.array[n]!, synthetic, name)) users.add(n);
        }
      }
      return (rootUsers = users);
    };
    let userRootsChecked = false;
    const userRoots = (): Uint8Array => {
      const marks = userRootsSec.whole();
      if (!userRootsChecked) {
        const users = usersOfRoot();
        // Four marks to a word: nearly every word is 0.
        const words = new Uint32Array(marks.buffer, marks.byteOffset, marks.byteOffset % 4 === 0 ? marks.length >>> 2 : 0);
        let count = 0;
        const look = (from: number, to: number): void => {
          for (let n = from; n < to; n++) {
            const v = marks[n]!;
            if (v === 0) continue;
            if (v !== 1 || !users.has(n)) userRootsBad(`node ${n}`);
            count++;
          }
        };
        for (let w = 0; w < words.length; w++) if (words[w] !== 0) look(4 * w, 4 * w + 4);
        look(4 * words.length, marks.length);
        if (count !== users.size) userRootsBad("a user root the root holds, unmarked");
        userRootsChecked = true;
      }
      return marks;
    };
    const refused = whole<Uint32Array>("analysis.refused");
    const treeList = whole<Uint8Array>("analysis.treeList");
    // The list bits are handed out only once a sample of them, and of the tree edges, matched the
    // edges (tree-sample.ts): checksums that hold do not make them the snapshot's.
    let treeListChecked = false;
    const treeListBad = (why: string): never =>
      placedAt.get("analysis.treeList")!.file.damaged(`the stored distance tree does not match the edges: ${why}`);
    const checkedTreeList = (): Uint8Array => {
      if (!treeListChecked) {
        const problem = treeEdgeMismatch(
          { parentEdge: parentEdge(), treeList: treeList() },
          {
            firstEdge: section("node.firstEdge"),
            edgeType: section("edge.type"),
            edgeName: section("edge.name"),
            edgeTo: section("edge.to"),
            element,
            hidden,
            internal: meta.edgeTypes.indexOf("internal"),
            isNumberName: (name) => strings.isNumberName(name),
          },
        );
        if (problem !== null) treeListBad(problem);
        treeListChecked = true;
      }
      return treeList();
    };
    analysis = {
      get shallow() {
        return shallow();
      },
      get distance() {
        return distance();
      },
      get parentEdge() {
        return parentEdge();
      },
      get userRoots() {
        return userRoots();
      },
      get refused() {
        return refused();
      },
      get treeList() {
        return checkedTreeList();
      },
      treeListWrong: treeListBad,
      tree: tree
        ? storedTree(
            placedAt.get("analysis.preorder")!.file,
            section<Uint32Array>("analysis.idom"),
            section<Uint32Array>("analysis.rank"),
            section<Uint32Array>("analysis.preorder"),
            section<Uint32Array>("analysis.idomIndex"),
            whole("analysis.retained"),
            N,
          )
        : null,
      classRetained: null,
    };
    const one = <T extends Typed>(name: string) => {
      const sec = section<T>(name);
      return (n: number): number => {
        sec.at(n);
        return sec.array[n]!;
      };
    };
    analysis.at = {
      shallow: one("analysis.shallow"),
      distance: one("analysis.distance"),
      parentEdge: one("analysis.parentEdge"),
      userRoot: (n: number): number => {
        userRootsSec.at(n);
        const v = userRootsSec.array[n]!;
        if (v !== (usersOfRoot().has(n) ? 1 : 0)) userRootsBad(`node ${n}`);
        return v;
      },
      retained: tree ? one("analysis.retained") : () => 0,
    };
    if (classRetained) {
      const get = whole<Float64Array>("analysis.classRetained");
      Object.defineProperty(analysis, "classRetained", { get, enumerable: true });
    }
  }

  // The sections behind each part a command may ask to have read ahead, in the order given.
  const ahead = new ReadAhead(parallel, fileSize >= BIG_ENTRY_BYTES);
  const partSections: Record<ReadAheadPart, string[]> = {
    nodeType: ["node.type"],
    nodeName: ["node.name"],
    nodeId: ["node.id"],
    selfSize: ["node.selfSize"],
    firstEdge: ["node.firstEdge"],
    edgeType: ["edge.type"],
    edgeName: ["edge.name"],
    edgeTo: ["edge.to"],
    classes: ["classes.nodeClass"],
    shallow: ["analysis.shallow"],
    distance: ["analysis.distance"],
    parentEdge: ["analysis.parentEdge"],
    userRoots: ["analysis.userRoots"],
    treeList: ["analysis.treeList"],
    dominators: ["analysis.idom", "analysis.rank"],
    idom: ["analysis.idom"],
    retained: ["analysis.retained"],
  };
  const readAhead = (parts: readonly ReadAheadPart[], elements?: ArrayLike<number>): void => {
    const names = parts.flatMap((p) => partSections[p] ?? []).filter((n) => placedAt.has(n));
    if (elements === undefined) ahead.read(names.map((n) => section(n)));
    else for (const n of names) ahead.readBlocks(section(n), section(n).blocksOf(elements));
  };

  const raw: RawSnapshot = {
    meta,
    nodes,
    edges,
    strings,
    header: header.snapshot,
    locations: loc !== null ? arr("locations") : null,
    lazy,
    readAhead,
  };
  for (const f of files) f.closeWhenCollected();
  const later: LaterParts = {
    // The class index is checked as a whole when read; a problem with it (or a damaged block of
    // it) leaves the rest of the entry usable: the classes are then named again.
    classes: !classes
      ? null
      : () => checkClasses(section<Uint32Array>("classes.nodeClass").whole(), section<Uint8Array>("classes.names").whole(), S, N),
    // Likewise the id sample: checked as a whole (graph/id-sample.ts); when anything is off it is
    // computed again.
    idSample: !idSample
      ? null
      : () => {
          const packed = section<Uint32Array>("ids.sample").whole();
          if (!unpackIdSample(packed, N)) bad("the id sample is not valid");
          return packed;
        },
    // And the totals: checked as a whole here, against the graph's class ids when used
    // (graph/class-summary.ts); when anything is off they are computed again.
    classSummary: !summary
      ? null
      : () => {
          const packed = section<Float64Array>("summary.values").whole();
          if (!unpackClassSummary(packed, meta.nodeTypes.length, N)) bad("the per-class totals are not valid");
          return packed;
        },
  };
  return {
    raw,
    analysis,
    later,
    holds: { analysis: analysis !== null, tree, classRetained, classes },
    stamp: { entry: path, key, ino: st.ino.toString(), dev: st.dev.toString(), size: fileSize, late },
    ignored,
  };
}

/**
 * The dominator tree of an entry, by node (each node's immediate dominator and its place in the
 * preorder) and by place (the preorder, and each place's dominator place). One dominator or place
 * is looked up by reading the blocks holding it; a dominator is checked to be placed before its
 * node, so that walking up the dominators always ends at the root. The tree by place, when a
 * command needs it whole, is checked to be one: the preorder a permutation of the nodes, every
 * place's dominator before it (each block checks the latter as it is read). The per-node arrays,
 * when read whole, are checked against it.
 */
function storedTree(
  file: EntryFile,
  idomSec: LazySection<Uint32Array>,
  rankSec: LazySection<Uint32Array>,
  preorderSec: LazySection<Uint32Array>,
  idomIndexSec: LazySection<Uint32Array>,
  retained: () => Float64Array,
  N: number,
): NonNullable<AnalysisParts["tree"]> {
  let permutation = false;
  const preorder = (): Uint32Array => {
    const p = preorderSec.whole();
    if (!permutation) {
      const seen = new Uint8Array(N);
      for (let k = 0; k < N; k++) {
        const n = p[k]!;
        if (seen[n] === 1) file.damaged("the dominator tree's order is not a permutation of the nodes");
        seen[n] = 1;
      }
      permutation = true;
    }
    return p;
  };
  let byNodeChecked = false;
  const byNode = (): void => {
    if (byNodeChecked) return;
    const p = preorder();
    const ix = idomIndexSec.whole();
    const idom = idomSec.whole();
    const rank = rankSec.whole();
    for (let k = 0; k < N; k++) {
      const n = p[k]!;
      if (rank[n] !== k || idom[n] !== p[ix[k]!]) file.damaged("the dominator tree by node does not match it by place");
    }
    byNodeChecked = true;
  };
  return {
    get preorder() {
      return preorder();
    },
    get idomIndex() {
      preorder();
      return idomIndexSec.whole();
    },
    get retained() {
      return retained();
    },
    get idom() {
      byNode();
      return idomSec.array;
    },
    get rank() {
      byNode();
      return rankSec.array;
    },
    dominatorOf: (n: number): number => {
      idomSec.at(n);
      const d = idomSec.array[n]!;
      if (n === 0) return d;
      rankSec.at(n);
      rankSec.at(d);
      if (rankSec.array[d]! >= rankSec.array[n]!) file.damaged("the dominator tree has a node before its dominator");
      return d;
    },
    idomOf: (n: number): number => {
      idomSec.at(n);
      return idomSec.array[n]!;
    },
    damaged: (why: string): never => file.damaged(why),
    placeOf: (n: number): number => {
      rankSec.at(n);
      return rankSec.array[n]!;
    },
  };
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
  const j = json as { extraNames?: unknown; definitions?: unknown; split?: unknown; named?: unknown };
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
    if (
      !Array.isArray(r) ||
      r.length !== 5 ||
      !r.slice(0, 3).every((v) => isCount(v) && v <= 0xffffffff) ||
      !r.slice(3).every((v) => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31)
    )
      bad("a split class is not valid");
    const [id, base, scriptId, line, column] = r as number[];
    if (id! < S || id! >= limit || base! >= limit) bad("a split class names a class past the last");
    if (seen.has(id!)) bad("a split class is given twice");
    seen.add(id!);
    split.push({ id: id!, base: base!, location: { scriptId: scriptId!, line: line!, column: column! } });
  }
  const named = j.named === undefined ? null : checkNamedClasses(j.named, S);
  if (nodeClass.length !== N) bad("the class index has the wrong length");
  const past = firstAtLeast(nodeClass, limit);
  if (past >= 0) bad(`node ${past} has a class past the last`);
  return { nodeClass, extraNames, definitions, split, named };
}

/**
 * The class name table of a class index (`ClassParts.named`) from its base64 text: whole pairs,
 * every id a string's index, the pairs in strictly increasing order (by hash, then id, so no id
 * twice within a hash). The hashes themselves are not checked here: a lookup compares the name of
 * every id it finds with the name asked for.
 */
function checkNamedClasses(text: unknown, S: number): Uint32Array {
  const invalid = (): never => bad("the class name table is not valid");
  if (typeof text !== "string") invalid();
  const bytes = Buffer.from(text as string, "base64");
  if (bytes.length % 8 !== 0 || bytes.toString("base64") !== text) invalid();
  const named = new Uint32Array(bytes.length / 4);
  new Uint8Array(named.buffer).set(bytes);
  for (let k = 0; 2 * k < named.length; k++) {
    const h = named[2 * k]!;
    const id = named[2 * k + 1]!;
    if (id >= S) invalid();
    if (k > 0) {
      const ph = named[2 * k - 2]!;
      if (h < ph || (h === ph && id <= named[2 * k - 1]!)) invalid();
    }
  }
  return named;
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
