/**
 * Reading a cache entry a block at a time, on first use. Every section of an entry is cut into
 * blocks of {@link BLOCK} bytes, each with its CRC-32 in the entry's block table; a section is
 * read when a command first needs it — whole, or only the blocks holding the elements it asks for
 * — and every block is checked (its CRC-32, then the values in it the way the snapshot reader
 * checks them) before any of its values is handed out. A block that fails is a
 * {@link CacheDamagedError}: the entry is removed (when it is still the file in place) and every
 * later read from it fails too, so no answer is ever built from a damaged block. See docs/cache.md.
 */
import { closeSync, fstatSync, readSync, statSync, unlinkSync } from "node:fs";
import { crc32 } from "node:zlib";
import { CacheDamagedError } from "../errors.js";

/** log2 of the block size. */
export const BLOCK_SHIFT = 16;
/** Bytes per checksummed block (64 KB). */
export const BLOCK = 1 << BLOCK_SHIFT;
/** Whole sections are read in pieces of this many blocks (16 MB). */
const PIECE_BLOCKS = 256;

export type Typed = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;

export function bytesOf(a: Typed): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Number of blocks of a section of `bytes` bytes. */
export function blockCount(bytes: number): number {
  return Math.ceil(bytes / BLOCK);
}

/** The CRC-32 of every block of `bytes`. */
export function blockCrcs(bytes: Uint8Array): Uint32Array {
  const n = blockCount(bytes.length);
  const out = new Uint32Array(n);
  for (let b = 0; b < n; b++) out[b] = crc32(bytes.subarray(b * BLOCK, Math.min(bytes.length, (b + 1) * BLOCK)));
  return out;
}

/**
 * An entry file held open while its graph is in use. The descriptor keeps the file that was
 * checked even when another process renames a new entry over it; it is closed by {@link close}
 * (when every section has been read, or the job is done) or when the graph is collected.
 */
export class EntryFile {
  private fd: number | null;
  private readonly ino: bigint;
  private readonly dev: bigint;
  /** Why the entry is unusable, once a block failed. */
  private broken: string | null = null;
  private open = 0;

  constructor(
    readonly path: string,
    fd: number,
    /** The block table: CRC-32 of every block of every section, in file order. */
    private readonly crcs: Uint32Array,
    /** The entry a damaged block is reported as (a late part's file belongs to its entry). */
    readonly entry: string = path,
  ) {
    this.fd = fd;
    const st = fstatSync(fd, { bigint: true });
    this.ino = st.ino;
    this.dev = st.dev;
  }

  /** A section that is still being read from this file (see {@link done}). */
  opened(): void {
    this.open++;
  }

  /** A section is complete: the file is closed when none is left to read. */
  done(): void {
    if (--this.open === 0) this.close();
  }

  /**
   * Reads blocks `[b0, b1)` of a section (at `position` in the file, its first block at
   * `crcBase` in the block table) into `into` (the section's bytes, `sectionBytes` long), and
   * checks their CRC-32s.
   */
  readBlocks(
    name: string,
    into: Uint8Array,
    position: number,
    crcBase: number,
    b0: number,
    b1: number,
    fail: (why: string) => never = (why) => this.damaged(why),
  ): void {
    if (this.broken !== null) throw this.error(this.broken);
    const fd = this.fd;
    if (fd === null) throw this.error("the entry was closed");
    const from = b0 * BLOCK;
    const to = Math.min(into.length, b1 * BLOCK);
    let off = from;
    while (off < to) {
      let n: number;
      try {
        n = readSync(fd, into, off, to - off, position + off);
      } catch (e) {
        fail(`cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (n === 0) fail("the file ends too early (truncated)");
      off += n;
    }
    for (let b = b0; b < b1; b++) {
      const view = into.subarray(b * BLOCK, Math.min(into.length, (b + 1) * BLOCK));
      if (crc32(view) !== this.crcs[crcBase + b]) fail(`section ${name} is damaged (checksum of block ${b})`);
    }
  }

  /**
   * The entry is damaged (`why`): it is removed when it is still the file in place (so that the
   * next command reads the snapshot and writes a good one), closed, and every later read fails.
   */
  damaged(why: string): never {
    if (this.broken === null) {
      this.broken = why;
      try {
        const st = statSync(this.path, { bigint: true });
        if (st.ino === this.ino && st.dev === this.dev) unlinkSync(this.path);
      } catch {
        // gone already, or a read-only cache: the next command finds the same damage and says so
      }
      this.close();
    }
    throw this.error(why);
  }

  private error(why: string): CacheDamagedError {
    return new CacheDamagedError(this.entry, why);
  }

  close(): void {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // closed already
      }
    }
  }
}

/**
 * One section of an entry, read on first use: {@link array} is allocated at once (the operating
 * system gives its pages only when written) and filled a block at a time. {@link at} makes one
 * element readable, {@link whole} all of them; `check` looks at the values of each range of
 * elements read (after their checksums) and names the first problem, or returns null.
 */
export class LazySection<T extends Typed> {
  private readonly loaded: Uint8Array;
  private readonly blocks: number;
  private left: number;
  private readonly elementShift: number;
  /** True once every block has been read and checked. */
  complete = false;

  constructor(
    private readonly file: EntryFile,
    readonly name: string,
    readonly array: T,
    private readonly position: number,
    private readonly crcBase: number,
    private readonly check: ((from: number, to: number) => string | null) | null,
    /**
     * What a block that fails does: by default the whole entry is damaged (see
     * {@link EntryFile.damaged}); a part of the entry that can be done without (the class index)
     * throws its own error and leaves the rest usable.
     */
    private readonly fail: ((why: string) => never) | null = null,
  ) {
    this.blocks = blockCount(array.byteLength);
    this.left = this.blocks;
    this.loaded = new Uint8Array(this.blocks);
    this.elementShift = BLOCK_SHIFT - Math.log2(array.BYTES_PER_ELEMENT);
    if (this.blocks === 0) this.complete = true;
    else file.opened();
  }

  /** Makes element `i` readable (reads and checks its block when not read yet). */
  at(i: number): void {
    if (this.complete) return;
    const b = i >>> this.elementShift;
    if (b < this.blocks && this.loaded[b] === 0) this.load(b, b + 1);
  }

  /** Makes elements `[from, to)` readable. */
  range(from: number, to: number): void {
    if (this.complete || to <= from) return;
    this.load(from >>> this.elementShift, Math.min(this.blocks, ((to - 1) >>> this.elementShift) + 1));
  }

  /** The whole section, read and checked. */
  whole(): T {
    if (!this.complete) this.load(0, this.blocks);
    return this.array;
  }

  /** Reads the blocks of `[b0, b1)` not read yet, in runs of at most {@link PIECE_BLOCKS}. */
  private load(b0: number, b1: number): void {
    const bytes = bytesOf(this.array);
    const per = 1 << this.elementShift;
    const length = this.array.length;
    let b = b0;
    while (b < b1) {
      if (this.loaded[b] === 1) {
        b++;
        continue;
      }
      let end = b + 1;
      while (end < b1 && end - b < PIECE_BLOCKS && this.loaded[end] === 0) end++;
      const fail = this.fail ?? ((why: string) => this.file.damaged(why));
      this.file.readBlocks(this.name, bytes, this.position, this.crcBase, b, end, fail);
      if (this.check) {
        const problem = this.check(b * per, Math.min(length, end * per));
        if (problem !== null) fail(problem);
      }
      this.loaded.fill(1, b, end);
      this.left -= end - b;
      b = end;
    }
    if (this.left === 0 && !this.complete) {
      this.complete = true;
      this.file.done();
    }
  }
}
