/**
 * A streaming, resumable parser for the heap snapshot JSON. Bytes go in through {@link write} in
 * chunks of any size (one byte at a time gives the same result); numbers go straight into typed
 * arrays, strings into a {@link StringTable} as raw bytes. Nothing ever holds the file, or a whole
 * section, as one string. The only part parsed with `JSON.parse` is the small `snapshot` header.
 *
 * Unknown top-level sections (`trace_tree`, `locations`, `scopes`, ...) are skipped without being
 * kept. The header must come before `nodes` and `edges` (V8 always writes it first).
 */
import { SnapshotFormatError } from "../errors.js";
import { readMeta, type SnapshotMeta } from "./meta.js";
import { StringTable } from "./string-table.js";

/** What the parser produces: flat arrays laid out as `meta` says, `to_node` already ordinals. */
export interface RawSnapshot {
  meta: SnapshotMeta;
  /** `nodeCount × nodeFields.length` values. */
  nodes: Uint32Array;
  /** `edgeCount × edgeFields.length` values; the `to_node` field holds node *ordinals*. */
  edges: Uint32Array;
  strings: StringTable;
  /** The header object as written (`meta`, counts and any extra fields). */
  header: Record<string, unknown>;
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

  // Number arrays.
  private arr: Uint32Array = new Uint32Array(0);
  private arrLen = 0;
  private arrMax = 0;
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

  private meta: SnapshotMeta | null = null;
  private header: Record<string, unknown> | null = null;
  private nodes: Uint32Array | null = null;
  private edges: Uint32Array | null = null;
  private readonly strings = new StringTable();
  private stringsSeen = false;
  private readonly sectionOffsets = new Map<string, number>();

  constructor(options: ParserOptions = {}) {
    this.sizeHint = options.sizeHint ?? 0;
  }

  /** Bytes consumed so far. */
  get position(): number {
    return this.base;
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
        if (this.state === S.NumOpen) {
          this.state = S.Num;
          this.numExpect = 0;
          this.digits = 0;
          this.acc = 0;
          this.field = 0;
        } else {
          this.state = S.Str;
          this.strExpect = 0;
        }
        return i + 1;
      case S.Str:
        return this.stringsBetween(buf, i);
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
        const meta = this.meta;
        if (!meta) this.fail(`section "${name}" comes before the "snapshot" header`, at);
        this.section = name === "nodes" ? Section.Nodes : Section.Edges;
        const expected = name === "nodes"
          ? meta.nodeCount * meta.nodeFields.length
          : meta.edgeCount * meta.edgeFields.length;
        if (expected > MAX_U32) this.fail(`${name} count in the header is too large to hold`, at);
        this.arrMax = expected;
        this.arrLen = 0;
        // Each value takes at least 2 bytes ("0,"): when the file size says the header count is
        // plausible, allocate once; otherwise grow with the data, so a lying header costs nothing.
        const plausible = this.sizeHint > 0 && expected * 2 <= this.sizeHint;
        this.arr = new Uint32Array(plausible ? expected : Math.min(expected, 1 << 16));
        this.state = S.NumOpen;
        return;
      }
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
    this.header = header as Record<string, unknown>;
  }

  // ---------------------------------------------------------------- number arrays

  /** The hot loop: digits straight into the typed array, `to_node` offsets into ordinals. */
  private numbers(buf: Uint8Array, start: number): number {
    const n = buf.length;
    const meta = this.meta!;
    const isEdges = this.section === Section.Edges;
    const stride = isEdges ? meta.edgeFields.length : meta.nodeFields.length;
    const toField = isEdges ? meta.edgeToNode : -1;
    const nodeStride = meta.nodeFields.length;
    const nodeLimit = meta.nodeCount * nodeStride;
    let arr = this.arr;
    let len = this.arrLen;
    let acc = this.acc;
    let digits = this.digits;
    let expect = this.numExpect;
    let field = this.field;
    let i = start;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (c >= 48 && c <= 57) {
        if (expect === 2 && digits === 0) this.fail("expected ',' between numbers", this.base + i);
        acc = acc * 10 + (c - 48);
        digits++;
        continue;
      }
      if (digits !== 0) {
        if (digits > 10 || acc > MAX_U32) {
          this.fail(`number ${digits > 16 ? "with " + digits + " digits" : acc} is too large`, this.base + i);
        }
        if (field === toField) {
          if (acc % nodeStride !== 0) {
            this.fail(`to_node ${acc} is not a multiple of the node field count ${nodeStride}`, this.base + i);
          }
          if (acc >= nodeLimit) {
            this.fail(`to_node ${acc} points past the last node (${meta.nodeCount} nodes)`, this.base + i);
          }
          acc = acc / nodeStride;
        }
        if (len === arr.length) {
          if (len >= this.arrMax) {
            this.fail(
              `more values than the header announces (${isEdges ? "edge_count" : "node_count"} × ${stride} = ${this.arrMax})`,
              this.base + i,
            );
          }
          this.arr = arr;
          arr = this.growArray(len);
        }
        arr[len++] = acc;
        if (++field === stride) field = 0;
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
        this.arr = arr;
        this.arrLen = len;
        this.endNumbers(this.base + i);
        return i + 1;
      }
      if (c === 45 || c === 46 || c === 101 || c === 69 || c === 43) {
        this.fail(`only whole non-negative numbers belong here, found ${describe(c)}`, this.base + i);
      }
      this.fail(`unexpected ${describe(c)} in a list of numbers`, this.base + i);
    }
    this.arr = arr;
    this.arrLen = len;
    this.acc = acc;
    this.digits = digits;
    this.numExpect = expect;
    this.field = field;
    return i;
  }

  private growArray(len: number): Uint32Array {
    const next = new Uint32Array(Math.min(this.arrMax, Math.max(len * 2, 1024)));
    next.set(this.arr.subarray(0, len));
    this.arr = next;
    return next;
  }

  private endNumbers(at: number): void {
    if (this.arrLen !== this.arrMax) {
      const stride = this.section === Section.Edges ? this.meta!.edgeFields.length : this.meta!.nodeFields.length;
      const what = this.section === Section.Edges ? "edge_count" : "node_count";
      this.fail(
        `found ${this.arrLen} values but the header announces ${what} × ${stride} = ${this.arrMax}`,
        at,
      );
    }
    const arr = this.arr.length === this.arrLen ? this.arr : this.arr.slice(0, this.arrLen);
    if (this.section === Section.Edges) this.edges = arr;
    else this.nodes = arr;
    this.arr = new Uint32Array(0);
    this.state = S.AfterValue;
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
    };
  }

  /** Where a section started, for error messages of later checks. */
  sectionOffset(name: string): number {
    return this.sectionOffsets.get(name) ?? 0;
  }
}
