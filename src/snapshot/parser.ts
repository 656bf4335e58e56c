/**
 * A streaming, resumable parser for the heap snapshot JSON. Bytes go in through {@link write} in
 * chunks of any size (one byte at a time gives the same result); numbers go straight into typed
 * arrays, strings into a {@link StringTable} as raw bytes. Nothing ever holds the file, or a whole
 * section, as one string. The only part parsed with `JSON.parse` is the small `snapshot` header.
 *
 * `locations` (where each object's constructor is defined: DevTools splits same-named classes by
 * it) is kept as one flat number column. Other top-level sections (`trace_tree`, `scopes`, ...) are
 * skipped without being kept. The header must come before `nodes` and `edges` (V8 always writes it
 * first).
 */
import { SnapshotFormatError } from "../errors.js";
import { readMeta, type SnapshotMeta } from "./meta.js";
import { StringTable } from "./string-table.js";
import {
  EdgeSlot,
  NodeSlot,
  allocEdgeColumns,
  allocNodeColumns,
  edgeSlots,
  nodeSlots,
  resizeEdgeColumns,
  resizeNodeColumns,
  type EdgeColumns,
  type NodeColumns,
} from "./columns.js";

/** What the parser produces: node and edge columns (`to_node` already ordinals), and the strings. */
export interface RawSnapshot {
  meta: SnapshotMeta;
  nodes: NodeColumns;
  edges: EdgeColumns;
  strings: StringTable;
  /** The header object as written (`meta`, counts and any extra fields). */
  header: Record<string, unknown>;
  /** The `locations` section as written (rows of `meta.location_fields`); null or absent without one. */
  locations?: Uint32Array | null;
}

const enum S {
  TopStart,
  TopKeyFirst,
  TopKeyNext,
  Key,
  Colon,
  AfterValue,
  Done,
  Generic,
  NumOpen,
  Num,
  StrOpen,
  Str,
  StrIn,
  /** Skipping the `edges` array that another thread parses: up to its closing ']'. */
  SkipNumbers,
  LocOpen,
  Loc,
}

const enum Section {
  Header,
  Nodes,
  Edges,
  Strings,
  Other,
}

/** A header larger than this is not a heap snapshot header. */
const MAX_HEADER_BYTES = 64 << 20;
/** Deeper nesting than this in a skipped or header section is junk, not a snapshot. */
const MAX_DEPTH = 512;
const MAX_U32 = 0xffffffff;

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function describe(c: number): string {
  if (c >= 33 && c < 127) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, "0")}`;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

export interface ParserOptions {
  /** Total input size in bytes, when known: lets the parser size its arrays exactly. */
  sizeHint?: number;
}

export class SnapshotParser {
  private state = S.TopStart;
  /** Absolute offset of the start of the current chunk. */
  private base = 0;
  private section = Section.Other;
  private sectionName = "";
  private readonly sizeHint: number;

  private keyBytes: number[] = [];
  private keyEsc = false;

  // Generic value scanner (header and unknown sections).
  private gDepth = 0;
  private gInStr = false;
  private gEsc = false;
  private gScalar = false;
  private gStarted = false;
  private gCollect: Buffer[] | null = null;
  private gCollectBytes = 0;
  private gStartOffset = 0;

  // Number arrays: values go straight into columns, row by row.
  private nodeCols: NodeColumns | null = null;
  private edgeCols: EdgeColumns | null = null;
  /** Rows the columns of the current section have room for. */
  private capacity = 0;
  /** Rows the header announces for the current section. */
  private rowsExpected = 0;
  private row = 0;
  private edgeSum = 0;
  /** The largest string index the current section's names refer to (see `maxStringRef`). */
  private maxNameSeen = 0;
  /** Type of the current edge row, once read (-1 before). */
  private lastEdgeType = -1;
  private acc = 0;
  private digits = 0;
  /** 0: just after '[', 1: after ',', 2: after a value. */
  private numExpect = 0;
  private field = 0;

  // Strings.
  private strExpect = 0;
  private sEsc = false;
  private sHex = 0;
  private sEscaped = false;

  /** Byte offset of the edges '[' that another thread parses, or -1. */
  private externalEdgesAt = -1;
  private edgesExternal = false;
  /** Parsing one section only (in a worker): done at its closing bracket. */
  private sectionOnly = false;
  private headerEndOffset = 0;
  private meta: SnapshotMeta | null = null;
  private header: Record<string, unknown> | null = null;
  private nodes: NodeColumns | null = null;
  private edges: EdgeColumns | null = null;
  private readonly strings = new StringTable();
  private locValues: Uint32Array | null = null;
  private locCount = 0;
  private stringsSeen = false;
  private readonly sectionOffsets = new Map<string, number>();

  constructor(options: ParserOptions = {}) {
    this.sizeHint = options.sizeHint ?? 0;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.base;
  }

  /** The header, once read (null before). */
  get snapshotMeta(): SnapshotMeta | null {
    return this.meta;
  }

  /** Where the header ended (valid once {@link snapshotMeta} is set). */
  get headerEnd(): number {
    return this.headerEndOffset;
  }

  /**
   * Another thread parses the `edges` array whose '[' is at byte `at`: skip it here, and take its
   * columns through {@link setExternalEdges} before {@link end}. If the array is not at `at` (the
   * guess was wrong), it is parsed here as usual and {@link edgesSkipped} stays false.
   */
  expectExternalEdges(at: number): void {
    if (this.sectionOffsets.has("edges")) return; // too late: already reading it here
    this.externalEdgesAt = at;
  }

  get edgesSkipped(): boolean {
    return this.edgesExternal;
  }

  setExternalEdges(edges: EdgeColumns): void {
    this.edges = edges;
  }

  /**
   * Section-only mode, for a worker: parse just the `edges` array that starts (with its '[') at
   * byte `at`, given the header. Feed bytes from `at` on; {@link sectionDone} turns true at its end.
   */
  static forEdgesSection(meta: SnapshotMeta, at: number, sizeHint: number): SnapshotParser {
    const p = new SnapshotParser({ sizeHint });
    p.meta = meta;
    p.sectionOnly = true;
    p.base = at;
    p.sectionName = "edges";
    p.sectionOffsets.set("edges", at);
    p.beginNumbers(Section.Edges, at);
    return p;
  }

  get sectionDone(): boolean {
    return this.sectionOnly && this.state === S.Done;
  }

  /** The edges parsed in section-only mode. */
  takeEdges(): EdgeColumns {
    if (!this.edges) this.fail("the file ends too early (truncated?)", this.base, "the snapshot may still have been being written or copied");
    return this.edges;
  }

  private fail(message: string, offset: number, hint?: string): never {
    const section = this.state === S.TopStart || this.state === S.Done ? undefined : this.sectionName || undefined;
    throw new SnapshotFormatError(message, offset, section, hint);
  }

  /** Feeds the next chunk of the file. */
  write(buf: Uint8Array): void {
    const n = buf.length;
    let i = 0;
    while (i < n) {
      if (this.sectionOnly && this.state === S.Done) break; // a worker's section ended
      switch (this.state) {
        case S.Num:
          i = this.numbers(buf, i);
          break;
        case S.StrIn:
          i = this.stringBody(buf, i);
          break;
        case S.Generic:
          i = this.generic(buf, i);
          break;
        case S.Loc:
          i = this.locationNumbers(buf, i);
          break;
        case S.SkipNumbers: {
          const close = buf.indexOf(93, i);
          if (close < 0) i = n;
          else {
            this.state = this.sectionOnly ? S.Done : S.AfterValue;
            i = close + 1;
          }
          break;
        }
        default:
          i = this.structural(buf, i);
      }
    }
    this.base += n;
  }

  /** Top-level object structure: keys, colons, commas, section dispatch. One byte per call. */
  private structural(buf: Uint8Array, i: number): number {
    const c = buf[i]!;
    const at = this.base + i;
    switch (this.state) {
      case S.TopStart:
        if (isWs(c)) return i + 1;
        if (at === 0 && c === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) return i + 3; // UTF-8 BOM
        if (c === 123) { this.state = S.TopKeyFirst; return i + 1; }
        if (at === 0 && c === 0x1f) this.fail("the file looks gzip-compressed but was read as plain data", at);
        this.fail(`not JSON: expected '{' but found ${describe(c)}`, at, "is this a .heapsnapshot file?");
      // falls through never
      case S.TopKeyFirst:
      case S.TopKeyNext:
        if (isWs(c)) return i + 1;
        if (c === 34) { this.state = S.Key; this.keyBytes = []; this.keyEsc = false; return i + 1; }
        if (c === 125 && this.state === S.TopKeyFirst) { this.state = S.Done; return i + 1; }
        this.fail(`expected a section name but found ${describe(c)}`, at);
      // falls through never
      case S.Key:
        if (this.keyEsc) this.keyEsc = false;
        else if (c === 92) this.keyEsc = true;
        else if (c === 34) { this.state = S.Colon; return i + 1; }
        else if (c < 32) this.fail("control character in a section name", at);
        if (this.keyBytes.length > 4096) this.fail("section name too long", at);
        this.keyBytes.push(c);
        return i + 1;
      case S.Colon:
        if (isWs(c)) return i + 1;
        if (c !== 58) this.fail(`expected ':' after a section name but found ${describe(c)}`, at);
        this.beginSection(at + 1);
        return i + 1;
      case S.AfterValue:
        if (isWs(c)) return i + 1;
        if (c === 44) { this.state = S.TopKeyNext; return i + 1; }
        if (c === 125) { this.state = S.Done; return i + 1; }
        this.fail(`expected ',' or '}' after section "${this.sectionName}" but found ${describe(c)}`, at);
      // falls through never
      case S.Done:
        if (isWs(c) || c === 0) return i + 1; // some tools pad files with NULs
        this.fail(`unexpected ${describe(c)} after the end of the snapshot`, at);
      // falls through never
      case S.NumOpen:
      case S.StrOpen:
        if (isWs(c)) return i + 1;
        if (c !== 91) this.fail(`expected '[' to open "${this.sectionName}" but found ${describe(c)}`, at);
        if (this.section === Section.Edges && this.externalEdgesAt === at) {
          // Another thread parses this array from here (see readSnapshotRaw): skip to its end.
          this.edgesExternal = true;
          this.edgeCols = null;
          this.state = S.SkipNumbers;
          return i + 1;
        }
        if (this.state === S.NumOpen) {
          this.state = S.Num;
          this.numExpect = 0;
          this.digits = 0;
          this.acc = 0;
          this.field = 0;
          this.row = 0;
        } else {
          this.state = S.Str;
          this.strExpect = 0;
        }
        return i + 1;
      case S.Str:
        return this.stringsBetween(buf, i);
      case S.LocOpen:
        if (isWs(c)) return i + 1;
        if (c !== 91) this.fail(`expected '[' to open "locations" but found ${describe(c)}`, at);
        this.state = S.Loc;
        this.numExpect = 0;
        this.digits = 0;
        this.acc = 0;
        this.locValues = new Uint32Array(1024);
        this.locCount = 0;
        return i + 1;
    }
    throw new Error("unreachable parser state");
  }

  private beginSection(at: number): void {
    let name: string;
    try {
      name = JSON.parse(`"${Buffer.from(this.keyBytes).toString("utf8")}"`) as string;
    } catch {
      this.fail("malformed section name", at);
    }
    this.sectionName = name;
    if (this.sectionOffsets.has(name)) this.fail(`section "${name}" appears twice`, at);
    this.sectionOffsets.set(name, at);
    switch (name) {
      case "snapshot":
        this.section = Section.Header;
        this.startGeneric(at, true);
        return;
      case "nodes":
      case "edges": {
        if (!this.meta) this.fail(`section "${name}" comes before the "snapshot" header`, at);
        this.beginNumbers(name === "nodes" ? Section.Nodes : Section.Edges, at);
        return;
      }
      case "locations":
        this.section = Section.Other;
        this.state = S.LocOpen;
        return;
      case "strings":
        this.section = Section.Strings;
        this.stringsSeen = true;
        this.state = S.StrOpen;
        return;
      default:
        this.section = Section.Other;
        this.startGeneric(at, false);
    }
  }

  private beginNumbers(section: Section.Nodes | Section.Edges, at: number): void {
    const meta = this.meta!;
    const name = section === Section.Nodes ? "nodes" : "edges";
    this.section = section;
    const rows = name === "nodes" ? meta.nodeCount : meta.edgeCount;
    const stride = name === "nodes" ? meta.nodeFields.length : meta.edgeFields.length;
    if (rows * stride > 2 ** 32 || rows >= 2 ** 32 - 1) this.fail(`${name} count in the header is too large to hold`, at);
    if ((name === "nodes" ? meta.nodeTypes : meta.edgeTypes).length > 256) this.fail(`more than 256 ${name.slice(0, -1)} types`, at);
    this.rowsExpected = rows;
    this.row = 0;
    this.edgeSum = 0;
    this.maxNameSeen = 0;
    this.lastEdgeType = -1;
    // Each value takes at least 2 bytes ("0,"): when the file size says the header count is
    // plausible, allocate once; otherwise grow with the data, so a lying header costs nothing.
    const plausible = this.sizeHint > 0 && rows * stride * 2 <= this.sizeHint;
    this.capacity = plausible ? rows : Math.min(rows, 1 << 12);
    if (name === "nodes") this.nodeCols = allocNodeColumns(this.capacity, meta.nodeFields);
    else this.edgeCols = allocEdgeColumns(this.capacity);
    this.state = S.NumOpen;
  }

  // ---------------------------------------------------------------- generic values

  private startGeneric(at: number, collect: boolean): void {
    this.state = S.Generic;
    this.gDepth = 0;
    this.gInStr = false;
    this.gEsc = false;
    this.gScalar = false;
    this.gStarted = false;
    this.gCollect = collect ? [] : null;
    this.gCollectBytes = 0;
    this.gStartOffset = at;
  }

  /** Scans one JSON value of any shape without recursion; keeps its bytes for the header. */
  private generic(buf: Uint8Array, start: number): number {
    const n = buf.length;
    let i = start;
    let done = false;
    let consumeLast = true;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (this.gInStr) {
        if (this.gEsc) this.gEsc = false;
        else if (c === 92) this.gEsc = true;
        else if (c === 34) {
          this.gInStr = false;
          if (this.gDepth === 0) { done = true; break; }
        } else if (c < 32) this.fail("control character inside a string", this.base + i);
        continue;
      }
      if (this.gScalar) {
        if (c === 44 || c === 125 || c === 93 || isWs(c)) { done = true; consumeLast = false; break; }
        if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c >= 97 && c <= 122) || c === 69)) {
          this.fail(`unexpected ${describe(c)}`, this.base + i);
        }
        continue;
      }
      if (c === 34) { this.gInStr = true; this.gStarted = true; continue; }
      if (c === 123 || c === 91) {
        if (++this.gDepth > MAX_DEPTH) this.fail("nested too deeply", this.base + i);
        this.gStarted = true;
        continue;
      }
      if (c === 125 || c === 93) {
        if (this.gDepth === 0) this.fail(`unexpected ${describe(c)}`, this.base + i);
        if (--this.gDepth === 0) { done = true; break; }
        continue;
      }
      if (isWs(c) || c === 44 || c === 58) {
        if (this.gDepth === 0 && c !== 32 && c !== 10 && c !== 13 && c !== 9) {
          this.fail(`expected a value but found ${describe(c)}`, this.base + i);
        }
        continue;
      }
      if (this.gDepth === 0 && !this.gStarted) { this.gScalar = true; this.gStarted = true; continue; }
      if (!((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46 || (c >= 97 && c <= 122) || c === 69)) {
        this.fail(`unexpected ${describe(c)}`, this.base + i);
      }
    }
    const end = done && consumeLast ? i + 1 : i;
    if (this.gCollect) {
      this.gCollectBytes += end - start;
      if (this.gCollectBytes > MAX_HEADER_BYTES) this.fail("the snapshot header is too large", this.base + i);
      this.gCollect.push(Buffer.from(buf.subarray(start, end)));
    }
    if (done) this.endGeneric(this.base + i);
    return end;
  }

  private endGeneric(at: number): void {
    this.state = S.AfterValue;
    if (this.section !== Section.Header || !this.gCollect) return;
    const text = Buffer.concat(this.gCollect).toString("utf8");
    this.gCollect = null;
    let header: unknown;
    try {
      header = JSON.parse(text);
    } catch (e) {
      this.fail(`the snapshot header is not valid JSON (${(e as Error).message})`, at);
    }
    this.meta = readMeta(header, this.gStartOffset);
    this.headerEndOffset = at + 1;
    this.header = header as Record<string, unknown>;
  }

  // ---------------------------------------------------------------- number arrays

  /** The hot loop: digits straight into the columns, `to_node` offsets into ordinals. */
  private numbers(buf: Uint8Array, start: number): number {
    const n = buf.length;
    const meta = this.meta!;
    const isEdges = this.section === Section.Edges;
    const stride = isEdges ? meta.edgeFields.length : meta.nodeFields.length;
    const slots: number[] = isEdges ? edgeSlots(meta.edgeFields) : nodeSlots(meta.nodeFields);
    const typeLimit = isEdges ? meta.edgeTypes.length : meta.nodeTypes.length;
    const nodeStride = meta.nodeFields.length;
    const nodeLimit = meta.nodeCount * nodeStride;
    const toField = isEdges ? slots.indexOf(EdgeSlot.ToNode) : -1;
    const nameField = isEdges ? slots.indexOf(EdgeSlot.Name) : -1;
    const typeField = isEdges ? slots.indexOf(EdgeSlot.Type) : -1;
    let acc = this.acc;
    let digits = this.digits;
    let expect = this.numExpect;
    let field = this.field;
    let row = this.row;
    let edgeSum = this.edgeSum;
    let maxName = this.maxNameSeen;
    // Columns in locals (reloaded after growth): property loads per value cost measurable time.
    let ec = this.edgeCols;
    let nc = this.nodeCols;
    /** Edge types whose name is an index, not a string: their names are not string references. */
    const elementType = isEdges ? meta.edgeTypes.indexOf("element") : -1;
    const hiddenType = isEdges ? meta.edgeTypes.indexOf("hidden") : -1;
    // A row's type is known when its name is read only if the type comes first; otherwise every
    // name counts (an over-estimate only makes the final check look at each edge).
    const trackType = typeField >= 0 && typeField < nameField;
    let lastType = trackType ? this.lastEdgeType : -1;
    let i = start;
    for (; i < n; i++) {
      let c = buf[i]!;
      if (c >= 48 && c <= 57) {
        if (expect === 2 && digits === 0) this.fail("expected ',' between numbers", this.base + i);
        // The rest of the number's digits in a tight loop; it may continue in the next chunk.
        acc = acc * 10 + (c - 48);
        digits++;
        while (++i < n) {
          c = buf[i]!;
          if (c < 48 || c > 57) break;
          acc = acc * 10 + (c - 48);
          digits++;
        }
        if (i === n) break;
      }
      if (digits !== 0) {
        if (digits > 10 || acc > MAX_U32) {
          this.fail(`number ${digits > 16 ? "with " + digits + " digits" : acc} is too large`, this.base + i);
        }
        if (field === 0 && row === this.capacity) {
          if (row >= this.rowsExpected) {
            const what = isEdges ? "edge_count" : "node_count";
            this.fail(`more values than the header announces (${what} × ${stride} = ${this.rowsExpected * stride})`, this.base + i);
          }
          this.grow();
          ec = this.edgeCols;
          nc = this.nodeCols;
        }
        if (isEdges) {
          const cols = ec!;
          if (field === toField) {
            const q = Math.floor(acc / nodeStride);
            if (q * nodeStride !== acc) {
              this.fail(`to_node ${acc} is not a multiple of the node field count ${nodeStride}`, this.base + i);
            }
            if (acc >= nodeLimit) this.fail(`to_node ${acc} points past the last node (${meta.nodeCount} nodes)`, this.base + i);
            cols.to[row] = q;
          } else if (field === nameField) {
            cols.name[row] = acc;
            if (acc > maxName && (!trackType || (lastType !== elementType && lastType !== hiddenType))) maxName = acc;
          } else if (field === typeField) {
            if (acc >= typeLimit) this.fail(`edge type ${acc} is not in meta.edge_types`, this.base + i);
            cols.type[row] = acc;
            if (trackType) lastType = acc;
          }
        } else {
          const cols = nc!;
          switch (slots[field]!) {
            case NodeSlot.Type:
              if (acc >= typeLimit) this.fail(`node type ${acc} is not in meta.node_types`, this.base + i);
              cols.type[row] = acc;
              break;
            case NodeSlot.Name:
              cols.name[row] = acc;
              if (acc > maxName) maxName = acc;
              break;
            case NodeSlot.Id: cols.id[row] = acc; break;
            case NodeSlot.SelfSize: cols.selfSize![row] = acc; break;
            case NodeSlot.EdgeCount:
              edgeSum += acc;
              if (edgeSum > meta.edgeCount) {
                this.fail(`the nodes' edge counts add up to more than edge_count ${meta.edgeCount}`, this.base + i);
              }
              cols.firstEdge[row + 1] = edgeSum;
              break;
            case NodeSlot.Detachedness: cols.detachedness![row] = acc > 255 ? 255 : acc; break;
          }
        }
        if (++field === stride) {
          field = 0;
          row++;
        }
        acc = 0;
        digits = 0;
        expect = 2;
      }
      if (c === 44) {
        if (expect !== 2) this.fail("unexpected ','", this.base + i);
        expect = 1;
        continue;
      }
      if (c === 10 || c === 32 || c === 13 || c === 9) continue;
      if (c === 93) {
        if (expect === 1) this.fail("unexpected ']' after ','", this.base + i);
        this.row = row;
        this.field = field;
        this.edgeSum = edgeSum;
        this.maxNameSeen = maxName;
        this.lastEdgeType = lastType;
        this.endNumbers(this.base + i);
        return i + 1;
      }
      if (c === 45 || c === 46 || c === 101 || c === 69 || c === 43) {
        this.fail(`only whole non-negative numbers belong here, found ${describe(c)}`, this.base + i);
      }
      this.fail(`unexpected ${describe(c)} in a list of numbers`, this.base + i);
    }
    this.acc = acc;
    this.digits = digits;
    this.numExpect = expect;
    this.field = field;
    this.row = row;
    this.edgeSum = edgeSum;
    this.maxNameSeen = maxName;
    this.lastEdgeType = lastType;
    return i;
  }

  private grow(): void {
    this.capacity = Math.min(this.rowsExpected, Math.max(this.capacity * 2, 1024));
    if (this.section === Section.Edges) this.edgeCols = resizeEdgeColumns(this.edgeCols!, this.capacity);
    else this.nodeCols = resizeNodeColumns(this.nodeCols!, this.capacity);
  }

  private endNumbers(at: number): void {
    const meta = this.meta!;
    const isEdges = this.section === Section.Edges;
    const stride = isEdges ? meta.edgeFields.length : meta.nodeFields.length;
    const values = this.row * stride + this.field;
    if (values !== this.rowsExpected * stride) {
      const what = isEdges ? "edge_count" : "node_count";
      this.fail(`found ${values} values but the header announces ${what} × ${stride} = ${this.rowsExpected * stride}`, at);
    }
    if (isEdges) {
      this.edges = resizeEdgeColumns(this.edgeCols!, this.row);
      this.edges.maxStringRef = this.maxNameSeen;
    } else {
      if (this.edgeSum !== meta.edgeCount) {
        this.fail(`the nodes' edge counts add up to ${this.edgeSum} but the header says edge_count is ${meta.edgeCount}`, at);
      }
      this.nodes = resizeNodeColumns(this.nodeCols!, this.row);
      this.nodes.maxStringRef = this.maxNameSeen;
    }
    this.nodeCols = null;
    this.edgeCols = null;
    this.state = this.sectionOnly ? S.Done : S.AfterValue;
  }

  // ---------------------------------------------------------------- locations

  /** The `locations` list: whole non-negative numbers into a growing column. */
  private locationNumbers(buf: Uint8Array, start: number): number {
    const n = buf.length;
    let acc = this.acc;
    let digits = this.digits;
    let expect = this.numExpect;
    let values = this.locValues!;
    let count = this.locCount;
    let i = start;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c >= 48 && c <= 57) {
        if (expect === 2 && digits === 0) this.fail("expected ',' between numbers", this.base + i);
        acc = acc * 10 + (c - 48);
        if (++digits > 10 || acc > MAX_U32) this.fail("number is too large", this.base + i);
        continue;
      }
      if (digits !== 0) {
        if (count === values.length) {
          const grown = new Uint32Array(values.length * 2);
          grown.set(values);
          values = grown;
        }
        values[count++] = acc;
        acc = 0;
        digits = 0;
        expect = 2;
      }
      if (c === 44) {
        if (expect !== 2) this.fail("unexpected ','", this.base + i);
        expect = 1;
        continue;
      }
      if (isWs(c)) continue;
      if (c === 93) {
        if (expect === 1) this.fail("unexpected ']' after ','", this.base + i);
        this.locValues = values.slice(0, count);
        this.locCount = count;
        this.state = S.AfterValue;
        return i + 1;
      }
      this.fail(`unexpected ${describe(c)} in a list of numbers`, this.base + i);
    }
    this.acc = acc;
    this.digits = digits;
    this.numExpect = expect;
    this.locValues = values;
    this.locCount = count;
    return i;
  }

  // ---------------------------------------------------------------- strings

  private stringsBetween(buf: Uint8Array, i: number): number {
    const c = buf[i]!;
    if (isWs(c)) return i + 1;
    if (c === 34) {
      if (this.strExpect === 2) this.fail("expected ',' between strings", this.base + i);
      this.strings.beginString();
      this.sEsc = false;
      this.sHex = 0;
      this.sEscaped = false;
      this.state = S.StrIn;
      return i + 1;
    }
    if (c === 44 && this.strExpect === 2) { this.strExpect = 1; return i + 1; }
    if (c === 93 && this.strExpect !== 1) {
      this.strings.finish();
      this.state = S.AfterValue;
      return i + 1;
    }
    this.fail(`unexpected ${describe(c)} in the list of strings`, this.base + i);
  }

  /** Copies a string's raw bytes, validating escapes, until its closing quote. */
  private stringBody(buf: Uint8Array, start: number): number {
    const n = buf.length;
    let i = start;
    let esc = this.sEsc;
    let hex = this.sHex;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (hex > 0) {
        if (!isHex(c)) this.fail("bad \\u escape in a string", this.base + i);
        hex--;
        continue;
      }
      if (esc) {
        esc = false;
        if (c === 117) { hex = 4; this.sEscaped = true; continue; }
        if (c === 34 || c === 92 || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116) {
          this.sEscaped = true;
          continue;
        }
        this.fail(`bad escape '\\${String.fromCharCode(c)}' in a string`, this.base + i);
      }
      if (c === 92) { esc = true; continue; }
      if (c === 34) {
        this.strings.appendBytes(buf, start, i, this.sEscaped);
        this.strings.endString();
        this.state = S.Str;
        this.strExpect = 2;
        return i + 1;
      }
      if (c < 32) this.fail("control character inside a string", this.base + i);
    }
    this.strings.appendBytes(buf, start, i, this.sEscaped);
    this.sEsc = esc;
    this.sHex = hex;
    return i;
  }

  // ---------------------------------------------------------------- end

  /** Call after the last chunk: checks that everything arrived and returns the arrays. */
  end(): RawSnapshot {
    const at = this.base;
    if (this.state !== S.Done) {
      if (at === 0) this.fail("the file is empty", 0, "is this a .heapsnapshot file?");
      this.fail("the file ends too early (truncated?)", at, "the snapshot may still have been being written or copied");
    }
    const need = (what: string, ok: boolean): void => {
      if (!ok) throw new SnapshotFormatError(`no "${what}" section`, at, undefined, "is this a V8 heap snapshot?");
    };
    need("snapshot", this.meta !== null);
    need("nodes", this.nodes !== null);
    need("edges", this.edges !== null);
    need("strings", this.stringsSeen);
    return {
      meta: this.meta!,
      nodes: this.nodes!,
      edges: this.edges!,
      strings: this.strings,
      header: this.header!,
      locations: this.locValues,
    };
  }

  /** Where a section started, for error messages of later checks. */
  sectionOffset(name: string): number {
    return this.sectionOffsets.get(name) ?? 0;
  }
}
