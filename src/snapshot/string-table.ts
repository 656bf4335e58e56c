/**
 * The snapshot's `strings` section, kept as the raw (still JSON-escaped) UTF-8 bytes in large
 * chunks, with per-string offsets in typed arrays. Strings are decoded one at a time, on demand:
 * a 600 MB strings section never becomes one JS string (V8 stops at ~512 MB), nor millions of
 * live JS strings.
 */

/** Size of one storage chunk. A string never spans two chunks. */
const CHUNK_SIZE = 1 << 26; // 64 MiB
/** Marks, in `lengths`, a string whose bytes contain a backslash escape. */
const ESCAPED = 0x80000000;

/** The storage of a {@link StringTable}: raw string bytes in chunks, and where each string lies. */
export interface StringTableParts {
  chunks: Buffer[];
  chunkIdx: Uint16Array;
  starts: Uint32Array;
  lengths: Uint32Array;
  count: number;
}

/**
 * Storage read on first use (the snapshot cache reads its entries so): a string's place and bytes
 * may be read only once made readable here. All of these throw when the storage turns out damaged.
 */
export interface LazyStrings {
  /** Makes string i's chunk, start and length readable. */
  place(i: number): void;
  /** Makes bytes `[start, end)` of chunk `chunk` readable. */
  bytes(chunk: number, start: number, end: number): void;
  /** Makes everything readable. */
  all(): void;
  /** The storage is damaged (`why`): throws. */
  damaged(why: string): never;
}

export class StringTable {
  private chunks: Buffer[] = [];
  private chunkIdx: Uint16Array = new Uint16Array(1024);
  private starts: Uint32Array = new Uint32Array(1024);
  private lengths: Uint32Array = new Uint32Array(1024);
  private count = 0;

  // Writing state: the chunk being filled and the string being appended.
  private cur: Buffer = Buffer.alloc(0);
  private curPos = 0;
  private strStart = 0;
  private strEscaped = false;
  /** Storage read on first use, or null (see {@link lazy}). */
  private lz: LazyStrings | null = null;

  /** Number of strings. */
  get length(): number {
    return this.count;
  }

  /** Starts a new string (raw bytes follow through {@link appendBytes}). */
  beginString(): void {
    this.strStart = this.curPos;
    this.strEscaped = false;
  }

  /** Appends raw bytes `src[from, to)` to the current string. */
  appendBytes(src: Uint8Array, from: number, to: number, escaped: boolean): void {
    const n = to - from;
    if (escaped) this.strEscaped = true;
    if (this.curPos + n > this.cur.length) this.moveToNewChunk(n);
    const cur = this.cur;
    let p = this.curPos;
    // Most strings are short: a loop costs less than a subarray (an object) and a copy call.
    if (n <= 64) for (let k = from; k < to; k++) cur[p++] = src[k]!;
    else {
      cur.set(src.subarray(from, to), p);
      p += n;
    }
    this.curPos = p;
  }

  /**
   * Adds whole plain strings as V8 writes them — `,` (then `\n` or not), a quote, bytes that are
   * neither a quote, a backslash nor a control character, a quote — read from `buf` at `i`, just
   * after a string's closing quote, while they end before `end`. Stops, before the comma, at
   * anything else and at a string that would not fit the chunk or the offset table being filled:
   * the caller's careful loop reads that (and checks and complains as it does). Returns the offset
   * after the last string added (`i` when none). The same strings as that loop would add, without
   * a call per string or per string's bytes.
   */
  addPlainStrings(buf: Uint8Array, i: number, end: number): number {
    const chunk = this.chunks.length - 1;
    if (chunk < 0) return i;
    const cur = this.cur;
    const starts = this.starts;
    const lengths = this.lengths;
    const chunkIdx = this.chunkIdx;
    const room = cur.length;
    const cap = starts.length;
    let pos = this.curPos;
    let count = this.count;
    while (count < cap) {
      let j = i;
      if (buf[j] !== 44) break;
      let b = buf[++j];
      if (b === 10) b = buf[++j];
      if (b !== 34) break;
      const s = ++j;
      while (j < end && (b = buf[j]!) !== 34 && b !== 92 && b >= 32) j++;
      if (j >= end || b !== 34) break;
      const len = j - s;
      if (pos + len > room) break;
      if (len <= 64) for (let k = s; k < j; k++) cur[pos++] = buf[k]!;
      else {
        cur.set(buf.subarray(s, j), pos);
        pos += len;
      }
      chunkIdx[count] = chunk;
      starts[count] = pos - len;
      lengths[count] = len;
      count++;
      i = j + 1;
    }
    this.curPos = pos;
    this.strStart = pos;
    this.count = count;
    return i;
  }

  /** Finishes the current string and returns its index. */
  endString(): number {
    if (this.count === this.starts.length) this.grow();
    // Empty strings before any byte was stored (DevTools' own test snapshots begin with "") still
    // need a chunk to point at.
    if (this.chunks.length === 0) this.moveToNewChunk(0);
    const i = this.count++;
    const len = this.curPos - this.strStart;
    if (len >= ESCAPED) throw new RangeError("string longer than 2 GiB");
    this.chunkIdx[i] = this.chunks.length - 1;
    this.starts[i] = this.strStart;
    this.lengths[i] = this.strEscaped ? (len | ESCAPED) >>> 0 : len;
    return i;
  }

  /** Releases unused capacity once reading is done. */
  finish(): void {
    if (this.chunks.length > 0 && this.curPos < this.cur.length) {
      const trimmed = sharedBuffer(this.curPos);
      this.cur.copy(trimmed, 0, 0, this.curPos);
      this.chunks[this.chunks.length - 1] = trimmed;
      this.cur = trimmed;
    }
    this.starts = this.starts.slice(0, this.count);
    this.lengths = this.lengths.slice(0, this.count);
    this.chunkIdx = this.chunkIdx.slice(0, this.count);
  }

  /**
   * The table's storage, for saving it (the snapshot cache): call after {@link finish}. The arrays
   * are the table's own, not copies.
   */
  parts(): StringTableParts {
    this.readAll();
    return { chunks: this.chunks.slice(), chunkIdx: this.chunkIdx, starts: this.starts, lengths: this.lengths, count: this.count };
  }

  /**
   * A table over storage read on first use: each string's place is checked (inside its chunk)
   * when the string is first read, and everything by {@link parts} and the whole-table scans.
   */
  static lazy(p: StringTableParts, source: LazyStrings): StringTable {
    const t = new StringTable();
    t.chunks = p.chunks.slice();
    t.chunkIdx = p.chunkIdx;
    t.starts = p.starts;
    t.lengths = p.lengths;
    t.count = p.count;
    t.cur = t.chunks.length > 0 ? t.chunks[t.chunks.length - 1]! : Buffer.alloc(0);
    t.curPos = t.cur.length;
    t.lz = source;
    return t;
  }

  /** Lazy storage: makes string i readable, its place checked. */
  private readOne(i: number): void {
    const lz = this.lz!;
    lz.place(i);
    const c = this.chunkIdx[i]!;
    const start = this.starts[i]!;
    const end = start + (this.lengths[i]! & ~ESCAPED);
    if (c >= this.chunks.length || end > this.chunks[c]!.length) lz.damaged(`string ${i} lies outside its storage`);
    lz.bytes(c, start, end);
  }

  /** Lazy storage: makes everything readable, every string's place checked. */
  private readAll(): void {
    const lz = this.lz;
    if (lz === null) return;
    lz.all();
    const chunkLengths = this.chunks.map((c) => c.length);
    for (let i = 0; i < this.count; i++) {
      const c = this.chunkIdx[i]!;
      if (c >= chunkLengths.length || this.starts[i]! + (this.lengths[i]! & ~ESCAPED) > chunkLengths[c]!)
        lz.damaged(`string ${i} lies outside its storage`);
    }
    this.lz = null;
  }

  /** Decodes string `i` exactly as `JSON.parse` would. */
  get(i: number): string {
    if (this.lz !== null) this.readOne(i);
    const raw = this.lengths[i]!;
    const chunk = this.chunks[this.chunkIdx[i]!]!;
    const start = this.starts[i]!;
    const end = start + (raw & ~ESCAPED);
    if ((raw & ESCAPED) === 0) return chunk.toString("utf8", start, end);
    return decodeEscaped(chunk, start, end);
  }

  /** Byte length of string `i` as stored (escaped form). */
  rawLength(i: number): number {
    if (this.lz !== null) this.readOne(i);
    return this.lengths[i]! & ~ESCAPED;
  }

  /** First stored byte of string `i`, or -1 for the empty string. */
  firstByte(i: number): number {
    if (this.lz !== null) this.readOne(i);
    if ((this.lengths[i]! & ~ESCAPED) === 0) return -1;
    return this.chunks[this.chunkIdx[i]!]![this.starts[i]!]!;
  }

  /**
   * Whether string `i` is a decimal number, alone or followed by ` / ` and anything: what
   * `/^\d+(?: \/ .*)?$/s.test(get(i))` says, told from the stored bytes without decoding the
   * string (V8 names hash-table slots `729` and WeakMap entries `12 / part of key …` so).
   */
  isNumberName(i: number): boolean {
    if (this.lz !== null) this.readOne(i);
    const raw = this.lengths[i]!;
    // An escape may stand for a digit: decoded, as the pattern reads it.
    if ((raw & ESCAPED) !== 0) return /^\d+(?: \/ .*)?$/s.test(this.get(i));
    const chunk = this.chunks[this.chunkIdx[i]!]!;
    const start = this.starts[i]!;
    const end = start + raw;
    let k = start;
    while (k < end && chunk[k]! >= 0x30 && chunk[k]! <= 0x39) k++;
    if (k === start) return false;
    return k === end || (end - k >= 3 && chunk[k] === 0x20 && chunk[k + 1] === 0x2f && chunk[k + 2] === 0x20);
  }

  /**
   * Indices of every string equal to `s`. Compares bytes for unescaped strings and decodes only
   * strings that hold escapes, so a scan over millions of strings stays cheap.
   */
  indicesOf(s: string): number[] {
    return this.indicesOfEach([s])[0]!;
  }

  /**
   * For each of `names`, the indices of every string equal to it, in one pass over the strings
   * (each string that holds escapes is decoded at most once).
   */
  indicesOfEach(names: readonly string[]): number[][] {
    this.readAll();
    const needles = names.map((s) => Buffer.from(s, "utf8"));
    const out: number[][] = names.map(() => []);
    if (needles.length === 0) return out;
    let shortest = Infinity;
    let longest = 0;
    for (const b of needles) {
      shortest = Math.min(shortest, b.length);
      longest = Math.max(longest, b.length);
    }
    for (let i = 0; i < this.count; i++) {
      const raw = this.lengths[i]!;
      if ((raw & ESCAPED) !== 0) {
        // An escape takes 2 to 6 stored bytes for 1 to 4 bytes of text (a \u pair: 12 for 4), so
        // the text is no longer than the stored form and at least a sixth of it: decode only then.
        const stored = raw & ~ESCAPED;
        if (stored < shortest || stored > 6 * longest) continue;
        const text = this.get(i);
        for (let k = 0; k < names.length; k++) if (text === names[k]) out[k]!.push(i);
        continue;
      }
      if (raw < shortest || raw > longest) continue;
      const chunk = this.chunks[this.chunkIdx[i]!]!;
      const start = this.starts[i]!;
      for (let k = 0; k < needles.length; k++) {
        const needle = needles[k]!;
        if (raw !== needle.length) continue;
        let j = 0;
        while (j < raw && chunk[start + j] === needle[j]) j++;
        if (j === raw) out[k]!.push(i);
      }
    }
    return out;
  }

  /**
   * Indices of the strings whose stored form is at least `minBytes` bytes long and starts with an
   * ASCII digit, in increasing order (what `firstByte` and `rawLength` of each string would tell,
   * in one pass over the table's arrays).
   */
  indicesStartingWithDigit(minBytes: number): number[] {
    this.readAll();
    const { lengths, chunks, chunkIdx, starts, count } = this;
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const stored = lengths[i]! & ~ESCAPED;
      if (stored < minBytes || stored === 0) continue;
      const b = chunks[chunkIdx[i]!]![starts[i]!]!;
      if (b >= 0x30 && b <= 0x39) out.push(i);
    }
    return out;
  }

  /**
   * Indices of every string that starts with `prefix`, which holds no character a snapshot escapes
   * (ASCII letters, digits and punctuation but `"` and `\\`): compared on the stored bytes.
   */
  indicesWithPrefix(prefix: string): number[] {
    this.readAll();
    const needle = Buffer.from(prefix, "utf8");
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const stored = this.lengths[i]! & ~ESCAPED;
      if (stored < needle.length) continue;
      const chunk = this.chunks[this.chunkIdx[i]!]!;
      const start = this.starts[i]!;
      let j = 0;
      while (j < needle.length && chunk[start + j] === needle[j]) j++;
      if (j === needle.length) out.push(i);
    }
    return out;
  }

  private grow(): void {
    const cap = this.starts.length * 2;
    const s = new Uint32Array(cap);
    s.set(this.starts);
    this.starts = s;
    const l = new Uint32Array(cap);
    l.set(this.lengths);
    this.lengths = l;
    const c = new Uint16Array(cap);
    c.set(this.chunkIdx);
    this.chunkIdx = c;
  }

  /** Opens a fresh chunk able to hold the current partial string plus `extra` bytes. */
  private moveToNewChunk(extra: number): void {
    const partial = this.curPos - this.strStart;
    // Small inputs get small chunks: start at 64 KiB and double up to CHUNK_SIZE.
    let size = Math.min(CHUNK_SIZE, Math.max(1 << 16, this.cur.length * 2));
    while (size < (partial + extra) * 2) size *= 2;
    if (this.chunks.length >= 0xffff) throw new RangeError("too many string chunks");
    const next = sharedBuffer(size);
    if (partial > 0) this.cur.copy(next, 0, this.strStart, this.curPos);
    // Drop the unused tail of the previous chunk so memory follows the data.
    if (this.chunks.length > 0 && this.strStart < this.cur.length) {
      const trimmed = sharedBuffer(this.strStart);
      this.cur.copy(trimmed, 0, 0, this.strStart);
      this.chunks[this.chunks.length - 1] = trimmed;
    }
    this.chunks.push(next);
    this.cur = next;
    this.strStart = 0;
    this.curPos = partial;
  }
}

/**
 * A chunk of string storage, in shared memory like the node and edge columns (see columns.ts): a
 * thread given it (the snapshot cache's checksums) reads it where it is, without a copy.
 */
function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Decodes JSON escapes in `buf[start, end)`. The parser already validated every escape, so this
 * only translates. Runs of plain bytes are decoded as UTF-8 in one go.
 */
function decodeEscaped(buf: Buffer, start: number, end: number): string {
  let out = "";
  let run = start;
  let i = start;
  while (i < end) {
    if (buf[i] !== 92) {
      i++;
      continue;
    }
    if (run < i) out += buf.toString("utf8", run, i);
    const e = buf[i + 1]!;
    i += 2;
    switch (e) {
      case 110:
        out += "\n";
        break; // n
      case 116:
        out += "\t";
        break; // t
      case 114:
        out += "\r";
        break; // r
      case 98:
        out += "\b";
        break; // b
      case 102:
        out += "\f";
        break; // f
      case 117: {
        // u: a UTF-16 code unit; surrogate pairs come as two escapes and join here
        const v = (hexValue(buf[i]!) << 12) | (hexValue(buf[i + 1]!) << 8) | (hexValue(buf[i + 2]!) << 4) | hexValue(buf[i + 3]!);
        out += String.fromCharCode(v);
        i += 4;
        break;
      }
      default:
        out += String.fromCharCode(e); // \" \\ \/
    }
    run = i;
  }
  if (run < end) out += buf.toString("utf8", run, end);
  return out;
}
