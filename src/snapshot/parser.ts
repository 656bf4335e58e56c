/**
 * A streaming, resumable parser for the heap snapshot JSON. Bytes go in through {@link write} in
 * chunks of any size (one byte at a time gives the same result); numbers go straight into typed
 * arrays, strings into a {@link StringTable} as raw bytes. Nothing ever holds the file, or a whole
 * section, as one string. The only part parsed with `JSON.parse` is the small `snapshot` header.
 *
 * This file is the top level: the object's keys, colons and commas, and which reader each section
 * goes to — number-columns.ts (`nodes`, `edges`, `locations`), strings-section.ts (`strings`),
 * json-skip.ts (the header, kept, and every other section, skipped). See
 * docs/heapsnapshot-format.md.
 *
 * `locations` (where each object's constructor is defined: DevTools splits same-named classes by
 * it) is kept as one flat number column. Other top-level sections (`trace_tree`, `scopes`, ...) are
 * skipped without being kept. The header must come before `nodes` and `edges` (V8 always writes it
 * first).
 */
import { SnapshotFormatError } from "../errors.js";
import { readMeta, type SnapshotMeta } from "./meta.js";
import { StringTable } from "./string-table.js";
import type { EdgeColumns, LazyColumns, NodeColumns, ReadAheadPart } from "./columns.js";
import { describeByte, isWs } from "./json-bytes.js";
import { JsonValueSkipper } from "./json-skip.js";
import { NumberColumnsReader, NumberSection } from "./number-columns.js";
import { StringsSectionReader } from "./strings-section.js";

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
  /**
   * Set when the columns above are read on first use (a snapshot cache entry): only what these
   * make readable may be read (HeapGraph does so).
   */
  lazy?: LazyColumns;
  /**
   * With `lazy`: starts reading these parts on a second thread, in this order; with `elements`, only
   * the blocks that hold these elements of each (a hint; see HeapGraph.readAhead).
   */
  readAhead?: (parts: readonly ReadAheadPart[], elements?: ArrayLike<number>) => void;
}

const enum S {
  TopStart,
  TopKeyFirst,
  TopKeyNext,
  Key,
  Colon,
  AfterValue,
  Done,
  /** A value the skipper reads: the header, or a section not kept. */
  Value,
  /** Before the '[' of a section read into columns or the string table. */
  ListOpen,
  Numbers,
  Strings,
  /** Skipping the `edges` array that another thread parses: up to its closing ']'. */
  SkipNumbers,
}

const enum Section {
  Header,
  Nodes,
  Edges,
  Locations,
  Strings,
  Other,
}

/** A header larger than this is not a heap snapshot header. */
const MAX_HEADER_BYTES = 64 << 20;

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

  // The reader of the current section (one of them, by state).
  private skipper: JsonValueSkipper | null = null;
  private numbers: NumberColumnsReader | null = null;
  private stringsReader: StringsSectionReader | null = null;

  /** Byte offset of the edges '[' that another thread parses, or -1. */
  private externalEdgesAt = -1;
  /** Asked at the edges' '[' when no offset was given yet: whether another thread parses the array from there. */
  private externalEdgesProbe: ((at: number) => boolean) | null = null;
  /** Byte offset of that array's ']', once skipped to (-1 before). */
  private externalEdgesEnd = -1;
  /** Byte offset of the ']' of the last number section read. */
  private numbersEndAt = -1;
  private edgesExternal = false;
  /** Parsing one section only (in a worker): done at its closing bracket. */
  private sectionOnly = false;
  private headerStart = 0;
  private headerEndOffset = 0;
  private meta: SnapshotMeta | null = null;
  private header: Record<string, unknown> | null = null;
  private nodes: NodeColumns | null = null;
  private edges: EdgeColumns | null = null;
  private readonly strings = new StringTable();
  private locations: Uint32Array | null = null;
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

  /**
   * Like {@link expectExternalEdges}, but asked when the parser reaches the edges array's '[' (at
   * byte `at`), in the middle of a chunk: `probe(at)` says whether another thread parses it from
   * there. For a thread that finds the array while this one reads a chunk.
   */
  probeExternalEdges(probe: (at: number) => boolean): void {
    this.externalEdgesProbe = probe;
  }

  get edgesSkipped(): boolean {
    return this.edgesExternal;
  }

  /** Where the array another thread parses starts ('[') and ends (']'), once skipped. */
  get skippedEdges(): { start: number; end: number } | null {
    return this.edgesExternal && this.externalEdgesEnd >= 0 ? { start: this.externalEdgesAt, end: this.externalEdgesEnd } : null;
  }

  /** Where the last number section read ended (its ']'): in section-only mode, the edges'. */
  get sectionEnd(): number {
    return this.numbersEndAt;
  }

  /** True while skipping the `edges` array another thread parses, up to its ']'. */
  get skippingEdges(): boolean {
    return this.state === S.SkipNumbers;
  }

  /**
   * While {@link skippingEdges}: the bytes up to `at` are not looked at; the next chunk fed is
   * the file from `at` on. `at` must be where the caller believes the array's ']' is: whoever
   * reads the array checks that it ends there (see readSnapshotRaw).
   */
  skipTo(at: number): void {
    if (this.state !== S.SkipNumbers || at < this.base) throw new Error("skipTo outside the skipped edges");
    this.base = at;
  }

  /** The reader of the number section being read, if any (section-only mode: the edges'). */
  get numbersReader(): NumberColumnsReader | null {
    return this.numbers;
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
    p.section = Section.Edges;
    p.numbers = new NumberColumnsReader(NumberSection.Edges, meta, sizeHint, at);
    p.state = S.ListOpen;
    return p;
  }

  get sectionDone(): boolean {
    return this.sectionOnly && this.state === S.Done;
  }

  /** The edges parsed in section-only mode. */
  takeEdges(): EdgeColumns {
    if (!this.edges)
      this.fail("the file ends too early (truncated?)", this.base, "the snapshot may still have been being written or copied");
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
        case S.Numbers: {
          const r = this.numbers!;
          i = r.scan(buf, i, this.base);
          if (r.done) {
            this.numbersEndAt = this.base + i - 1;
            this.endNumbers(r);
          }
          break;
        }
        case S.Strings: {
          const r = this.stringsReader!;
          i = r.scan(buf, i, this.base);
          if (r.done) {
            this.stringsReader = null;
            this.state = S.AfterValue;
          }
          break;
        }
        case S.Value: {
          const r = this.skipper!;
          i = r.scan(buf, i, this.base);
          if (r.done) this.endValue(r, this.base + i);
          break;
        }
        case S.SkipNumbers: {
          const close = buf.indexOf(93, i);
          if (close < 0) i = n;
          else {
            this.externalEdgesEnd = this.base + close;
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
        if (c === 123) {
          this.state = S.TopKeyFirst;
          return i + 1;
        }
        if (at === 0 && c === 0x1f) this.fail("the file looks gzip-compressed but was read as plain data", at);
        this.fail(`not JSON: expected '{' but found ${describeByte(c)}`, at, "is this a .heapsnapshot file?");
      // falls through never
      case S.TopKeyFirst:
      case S.TopKeyNext:
        if (isWs(c)) return i + 1;
        if (c === 34) {
          this.state = S.Key;
          this.keyBytes = [];
          this.keyEsc = false;
          return i + 1;
        }
        if (c === 125 && this.state === S.TopKeyFirst) {
          this.state = S.Done;
          return i + 1;
        }
        this.fail(`expected a section name but found ${describeByte(c)}`, at);
      // falls through never
      case S.Key:
        if (this.keyEsc) this.keyEsc = false;
        else if (c === 92) this.keyEsc = true;
        else if (c === 34) {
          this.state = S.Colon;
          return i + 1;
        } else if (c < 32) this.fail("control character in a section name", at);
        if (this.keyBytes.length > 4096) this.fail("section name too long", at);
        this.keyBytes.push(c);
        return i + 1;
      case S.Colon:
        if (isWs(c)) return i + 1;
        if (c !== 58) this.fail(`expected ':' after a section name but found ${describeByte(c)}`, at);
        this.beginSection(at + 1);
        return i + 1;
      case S.AfterValue:
        if (isWs(c)) return i + 1;
        if (c === 44) {
          this.state = S.TopKeyNext;
          return i + 1;
        }
        if (c === 125) {
          this.state = S.Done;
          return i + 1;
        }
        this.fail(`expected ',' or '}' after section "${this.sectionName}" but found ${describeByte(c)}`, at);
      // falls through never
      case S.Done:
        if (isWs(c) || c === 0) return i + 1; // some tools pad files with NULs
        this.fail(`unexpected ${describeByte(c)} after the end of the snapshot`, at);
      // falls through never
      case S.ListOpen:
        if (isWs(c)) return i + 1;
        if (c !== 91) this.fail(`expected '[' to open "${this.sectionName}" but found ${describeByte(c)}`, at);
        // The probe is asked once: told no, the other thread is stopped (this one reads the array).
        if (this.section === Section.Edges && this.externalEdgesAt < 0 && this.externalEdgesProbe?.(at)) this.externalEdgesAt = at;
        if (this.section === Section.Edges && this.externalEdgesAt === at) {
          // Another thread parses this array from here (see readSnapshotRaw): skip to its end.
          this.edgesExternal = true;
          this.numbers = null;
          this.state = S.SkipNumbers;
          return i + 1;
        }
        this.state = this.section === Section.Strings ? S.Strings : S.Numbers;
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
        this.headerStart = at;
        this.skipper = new JsonValueSkipper(name, { upTo: MAX_HEADER_BYTES, tooLarge: "the snapshot header is too large" });
        this.state = S.Value;
        return;
      case "nodes":
      case "edges": {
        if (!this.meta) this.fail(`section "${name}" comes before the "snapshot" header`, at);
        const nodes = name === "nodes";
        this.section = nodes ? Section.Nodes : Section.Edges;
        this.numbers = new NumberColumnsReader(nodes ? NumberSection.Nodes : NumberSection.Edges, this.meta, this.sizeHint, at);
        this.state = S.ListOpen;
        return;
      }
      case "locations":
        this.section = Section.Locations;
        this.numbers = new NumberColumnsReader(NumberSection.Locations, this.meta, this.sizeHint, at);
        this.state = S.ListOpen;
        return;
      case "strings":
        this.section = Section.Strings;
        this.stringsSeen = true;
        this.stringsReader = new StringsSectionReader(this.strings);
        this.state = S.ListOpen;
        return;
      default:
        this.section = Section.Other;
        this.skipper = new JsonValueSkipper(name);
        this.state = S.Value;
    }
  }

  /** A number section ended: takes its columns. */
  private endNumbers(r: NumberColumnsReader): void {
    if (this.section === Section.Nodes) this.nodes = r.nodes;
    else if (this.section === Section.Edges) this.edges = r.edges;
    else this.locations = r.locations;
    this.numbers = null;
    this.state = this.sectionOnly ? S.Done : S.AfterValue;
  }

  /** A skipped or kept value ended just before byte `end`: the header is parsed and checked. */
  private endValue(r: JsonValueSkipper, end: number): void {
    this.skipper = null;
    this.state = S.AfterValue;
    if (this.section !== Section.Header) return;
    let header: unknown;
    try {
      header = JSON.parse(r.text());
    } catch (e) {
      this.fail(`the snapshot header is not valid JSON (${(e as Error).message})`, end - 1);
    }
    this.meta = readMeta(header, this.headerStart);
    this.headerEndOffset = end;
    this.header = header as Record<string, unknown>;
  }

  /**
   * Every section read but the edges, which another thread reads (see {@link expectExternalEdges}):
   * once the input ended after the strings; null before, or when some section is missing.
   */
  readButEdges(): Omit<RawSnapshot, "edges"> | null {
    if (this.state !== S.Done || !this.edgesExternal || !this.meta || !this.nodes || !this.stringsSeen || !this.header) return null;
    return { meta: this.meta, nodes: this.nodes, strings: this.strings, header: this.header, locations: this.locations };
  }

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
      locations: this.locations,
    };
  }

  /** Where a section started, for error messages of later checks. */
  sectionOffset(name: string): number {
    return this.sectionOffsets.get(name) ?? 0;
  }
}
