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
import { closeSync, fstatSync, openSync, read, readSync, writeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { readMeta } from "../snapshot/meta.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import { sharedU32, sharedU8, type EdgeColumns, type NodeColumns } from "../snapshot/columns.js";
import { StringTable } from "../snapshot/string-table.js";
import type { AnalysisParts } from "../graph/analysis.js";

const MAGIC = Buffer.from("BRCACHE\x01", "latin1");
/** Bumped whenever the layout or the meaning of a section changes. */
export const CACHE_FORMAT = 1;
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
  analysis: { refused: number; tree: boolean; classRetained: number | null } | null;
  sections: SectionRecord[];
}

/** What an entry holds. */
export interface EntryContent {
  raw: RawSnapshot;
  analysis: AnalysisParts | null;
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
  return out;
}

/** The size in bytes the entry of a content would take. */
export function entrySize(c: EntryContent, build: string, source: SourceIdentity): number {
  return encodeHeader(c, build, source).dataStart + sectionsOf(c).reduce((n, s) => n + pad8(s.data.byteLength), 0);
}

function encodeHeader(c: EntryContent, build: string, source: SourceIdentity, crcs?: number[]): { json: Buffer; dataStart: number; sections: ReturnType<typeof sectionsOf> } {
  const sections = sectionsOf(c);
  let offset = 0;
  const records: SectionRecord[] = sections.map((s, i) => {
    const r = { name: s.name, type: s.type, length: s.data.length, offset, crc: crcs?.[i] ?? 0 };
    offset += pad8(s.data.byteLength);
    return r;
  });
  const parts = c.raw.strings.parts();
  const header: Header = {
    format: CACHE_FORMAT,
    build,
    source,
    written: Date.now(),
    snapshot: c.raw.header,
    strings: { count: parts.count, chunks: parts.chunks.map((b) => b.length) },
    analysis: c.analysis
      ? { refused: c.analysis.refused.length, tree: c.analysis.tree !== null, classRetained: c.analysis.tree && c.analysis.classRetained ? c.analysis.classRetained.length : null }
      : null,
    sections: records,
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  return { json, dataStart: pad8(PREFIX + json.length), sections };
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, Math.min(data.length - off, 1 << 30));
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
 * an entry of another build or another file is refused before its sections are read.
 */
export async function readEntry(path: string, expect: { build: string; source: SourceIdentity }): Promise<EntryContent> {
  const fd = openSync(path, "r");
  try {
    const { header, dataStart, fileSize } = readHeader(fd);
    if (header.build !== expect.build) bad("written by another build of backrefs");
    const src = header.source as Partial<SourceIdentity> | undefined;
    for (const k of Object.keys(expect.source) as (keyof SourceIdentity)[]) {
      if (src?.[k] !== expect.source[k]) bad(`made from another version of the file (${k} differs)`);
    }
    return await readSections(fd, header, dataStart, fileSize);
  } finally {
    closeSync(fd);
  }
}

/** Reads are issued in pieces of this size, two at a time: the checksum of one runs while the next is read. */
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

async function readSections(fd: number, header: Header, dataStart: number, fileSize: number): Promise<EntryContent> {
  let meta;
  try {
    meta = readMeta(header.snapshot, 0);
  } catch {
    bad("the saved snapshot header is not valid");
  }
  const N = meta.nodeCount;
  const E = meta.edgeCount;
  const str = header.strings;
  if (typeof str !== "object" || str === null || !isCount(str.count) || !Array.isArray(str.chunks) || !str.chunks.every(isCount)) bad("the string table's record is not valid");
  const S = str.count;
  const an = header.analysis;
  if (an !== null && (typeof an !== "object" || !isCount(an.refused) || typeof an.tree !== "boolean" || !(an.classRetained === null || isCount(an.classRetained)))) {
    bad("the analysis record is not valid");
  }
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
  const recs = header.sections;
  if (recs.length !== want.length) bad("the section list does not match this build's");
  let expectedOffset = 0;
  const arrays = new Map<string, Typed>();
  // Every section's place and size checked, and its array allocated, before anything is read.
  const pieces: { section: number; view: Uint8Array; position: number }[] = [];
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const r = recs[i] as Partial<SectionRecord>;
    if (r.name !== w.name || r.type !== w.type || r.length !== w.length || r.offset !== expectedOffset || !isCount(r.crc)) {
      bad(`section ${i} (${String(r?.name)}) does not match this build's layout`);
    }
    const bytes = w.length * WIDTH[w.type];
    if (dataStart + expectedOffset + bytes > fileSize) bad(`section ${w.name} goes past the end of the file (truncated?)`);
    const shared = w.name.startsWith("node.") || w.name.startsWith("edge.");
    const a = allocate(w.type, w.length, shared);
    const view = bytesOf(a);
    for (let off = 0; off < view.length || (off === 0 && view.length === 0); off += PIECE) {
      pieces.push({ section: i, view: view.subarray(off, Math.min(view.length, off + PIECE)), position: dataStart + expectedOffset + off });
      if (view.length === 0) break;
    }
    expectedOffset += pad8(bytes);
    arrays.set(w.name, a);
  }
  if (dataStart + expectedOffset !== fileSize) bad("the file has bytes after its last section");
  // Read piece k + 1 while the checksum of piece k is computed.
  const crcs = new Array<number>(want.length).fill(0);
  let inFlight = pieces.length > 0 ? readPiece(fd, pieces[0]!.view, pieces[0]!.position) : null;
  for (let k = 0; k < pieces.length; k++) {
    await inFlight;
    const p = pieces[k]!;
    inFlight = k + 1 < pieces.length ? readPiece(fd, pieces[k + 1]!.view, pieces[k + 1]!.position) : null;
    crcs[p.section] = crc32(p.view, crcs[p.section]);
  }
  for (let i = 0; i < want.length; i++) if (crcs[i] !== (recs[i] as SectionRecord).crc) bad(`section ${want[i]!.name} is damaged (checksum)`);

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
  checkColumns(nodes, edges, meta.nodeTypes, meta.edgeTypes, N, E);
  if (N > 0 && nodes.maxStringRef >= S) bad("a node names a string past the last");
  if (E > 0 && edges.maxStringRef >= S) bad("an edge names a string past the last");
  let strings: StringTable;
  try {
    strings = StringTable.fromParts({
      chunks: str.chunks.map((_, i) => Buffer.from(get<Uint8Array>(`string.bytes.${i}`).buffer)),
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
      tree: an.tree ? { preorder: get("analysis.preorder"), idomIndex: get("analysis.idomIndex"), retained: get("analysis.retained") } : null,
      classRetained: an.tree && an.classRetained !== null ? get("analysis.classRetained") : null,
    };
    checkAnalysis(analysis, N, E);
  }
  return { raw: { meta, nodes, edges, strings, header: header.snapshot }, analysis };
}

function allocate(type: ElementType, length: number, shared: boolean): Typed {
  switch (type) {
    case "u8": return shared ? sharedU8(length) : new Uint8Array(length);
    case "u16": return new Uint16Array(length);
    case "u32": return shared ? sharedU32(length) : new Uint32Array(length);
    case "i32": return new Int32Array(length);
    case "f64": return new Float64Array(length);
  }
}

/**
 * What the snapshot reader checks while parsing, checked again: type codes in range, first-edge
 * sums from 0 to the edge count and never decreasing, edge targets in range. Notes the largest
 * string index used, which the graph checks against the strings table.
 */
function checkColumns(nodes: NodeColumns, edges: EdgeColumns, nodeTypes: string[], edgeTypes: string[], N: number, E: number): void {
  const nt = nodeTypes.length;
  let maxName = 0;
  for (let n = 0; n < N; n++) {
    if (nodes.type[n]! >= nt) bad(`node ${n} has an unknown type`);
    if (nodes.name[n]! > maxName) maxName = nodes.name[n]!;
  }
  nodes.maxStringRef = maxName;
  const fe = nodes.firstEdge;
  if (fe[0] !== 0 || fe[N] !== E) bad("the first-edge index does not span the edges");
  for (let n = 0; n < N; n++) if (fe[n + 1]! < fe[n]!) bad(`the first-edge index decreases at node ${n}`);
  const et = edgeTypes.length;
  const element = edgeTypes.indexOf("element");
  const hidden = edgeTypes.indexOf("hidden");
  maxName = 0;
  for (let e = 0; e < E; e++) {
    const t = edges.type[e]!;
    if (t >= et) bad(`edge ${e} has an unknown type`);
    if (edges.to[e]! >= N) bad(`edge ${e} points past the last node`);
    if (t !== element && t !== hidden && edges.name[e]! > maxName) maxName = edges.name[e]!;
  }
  edges.maxStringRef = maxName;
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
