/**
 * Reading a cache entry a block at a time, on first use. Every section of an entry is cut into
 * blocks of {@link BLOCK} bytes, each with its CRC-32 in the entry's block table; a section is
 * read when a command first needs it — whole, or only the blocks holding the elements it asks for
 * — and every block is checked (its CRC-32, then the values in it the way the snapshot reader
 * checks them) before any of its values is handed out. A block that fails is a
 * {@link CacheDamagedError}: the entry is removed (when it is still the file in place) and every
 * later read of a block not handed out yet fails too (blocks the read-ahead thread read included),
 * so no answer is ever built from a damaged block. See docs/cache.md.
 */
import { closeSync, fstatSync, readSync, statSync, unlinkSync } from "node:fs";
import { crc32 } from "node:zlib";
import { CacheDamagedError } from "../errors.js";
import { checkValues, type ValueCheck } from "./checks.js";

/** log2 of the block size. */
export const BLOCK_SHIFT = 16;
/** Bytes per checksummed block (64 KB). */
export const BLOCK = 1 << BLOCK_SHIFT;
/**
 * Whole sections are read in pieces of this many blocks (2 MB), each claimed on its own: a
 * section the read-ahead thread reads too is shared between the two threads piece by piece.
 */
const PIECE_BLOCKS = 32;

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

/** Told the key of each entry file as it is closed (set by the read-ahead thread's owner, read-ahead.ts). */
let onClose: ((key: string) => void) | null = null;

/** Calls `f` with the {@link FileIdentity.key} of every entry file closed from now on (damaged ones included). */
export function whenFileClosed(f: (key: string) => void): void {
  onClose = f;
}

/** Entry files opened so far in this process: each one's number, used in its key. */
let filesOpened = 0;

/** What an open entry file holds of the system: its descriptor, and the flag the read-ahead thread reads. */
interface OpenFile {
  fd: number | null;
  /** Names this opening of the file among all the process opens; see {@link EntryFile.identity}. */
  readonly key: string;
  /** Word 0 is 1 once the file is closed (shared with the read-ahead thread, which then stops reading it). */
  readonly closed: Int32Array;
}

/** Closes the descriptor once; the read-ahead thread stops reading the file and forgets its sections. */
function closeOpenFile(open: OpenFile): void {
  const fd = open.fd;
  open.fd = null;
  if (fd !== null) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    Atomics.store(open.closed, 0, 1);
    onClose?.(open.key);
  }
}

/**
 * Closes the file of an entry nothing can read any more: the {@link EntryFile} is collected only
 * once every section that reads from it is, whatever else of the graph was let go before.
 */
const unreadFiles = new FinalizationRegistry<OpenFile>(closeOpenFile);

/**
 * An entry file held open while its sections are in use. The descriptor keeps the file that was
 * checked even when another process renames a new entry over it; it is closed by {@link close}
 * (when every section has been read, or the job is done) or when the sections are collected.
 */
export class EntryFile {
  private readonly openFile: OpenFile;
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
    this.openFile = { fd, key: String(++filesOpened), closed: new Int32Array(new SharedArrayBuffer(4)) };
    const st = fstatSync(fd, { bigint: true });
    this.ino = st.ino;
    this.dev = st.dev;
  }

  /**
   * From now on the file is closed when this object is collected (once no section reads from it).
   * Called once the entry is known good: until then, its opener closes the descriptor itself.
   */
  closeWhenCollected(): void {
    unreadFiles.register(this, this.openFile, this.openFile);
  }

  /** What the read-ahead thread needs to read this file: where it is, which file it is, its block table. */
  identity(): FileIdentity {
    const ino = String(this.ino);
    const dev = String(this.dev);
    const { key, closed } = this.openFile;
    return { key, path: this.path, ino, dev, crcs: this.crcs, closed };
  }

  /** Throws the entry's damage when a block of it has failed (even one the read-ahead thread read). */
  usable(): void {
    if (this.broken !== null) throw this.error(this.broken);
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
    const fd = this.openFile.fd;
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
   * The file is damaged (`why`): it is removed when it is still the file in place (so that the
   * next command reads the snapshot and writes a good entry, or computes a late part again), closed,
   * and every later read fails. The error names {@link entry}.
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

  /** Closes the file; the read-ahead thread stops reading it and forgets its sections (and their memory). */
  close(): void {
    if (this.openFile.fd !== null) unreadFiles.unregister(this.openFile);
    closeOpenFile(this.openFile);
  }
}

/** Block states, shared with the thread that reads ahead (see read-ahead.ts). */
export const NOT_READ = 0;
/** A thread has claimed the block and is reading it. */
export const READING = 1;
/** Read, and its CRC-32 and values checked: its elements may be handed out. */
export const READ = 2;

/** How long one read waits, in all, for blocks the read-ahead thread claimed before reading them itself. */
const CLAIM_PATIENCE_MS = 30_000;

/** A file of an entry as the read-ahead thread opens it: the same inode and device, or not at all. */
export interface FileIdentity {
  /** Names this opening of the file among all the process opens (never reused). */
  key: string;
  path: string;
  /** Decimal strings. */
  ino: string;
  dev: string;
  /** The file's block table. */
  crcs: Uint32Array;
  /** Word 0 is 1 once the file is closed: nothing more is read from it. */
  closed: Int32Array;
}

/** What the read-ahead thread needs to read a section (its memory is shared, not copied). */
export interface SectionJob {
  /** Names the section among those the thread reads: its file's key and its name. */
  key: string;
  name: string;
  /** Its file's key (the entry's, or a part's beside it). */
  file: string;
  array: Typed;
  states: Int32Array;
  position: number;
  crcBase: number;
  check: ValueCheck | null;
  /** The key of the section a check also reads (the edge types, for the edge names). */
  uses: string | null;
}

/**
 * One section of an entry, read on first use: {@link array} is allocated at once (the operating
 * system gives its pages only when written) and filled a block at a time. {@link at} makes one
 * element readable, {@link whole} all of them; `check` names the test of the values of each range
 * of elements read (after their checksums), see checks.ts.
 *
 * Each block's state ({@link NOT_READ}, {@link READING}, {@link READ}) lives in shared memory, so
 * that a thread reading ahead (read-ahead.ts) and this one never read a block twice: a thread
 * claims a block by moving it from NOT_READ to READING, and hands it out only once it is READ. A
 * block another thread is reading is waited for; one it gave back (it failed there) is read here,
 * where a failure makes the entry damaged.
 */
export class LazySection<T extends Typed> {
  /** Per block: NOT_READ, READING or READ (shared with the read-ahead thread). */
  readonly states: Int32Array;
  /** Blocks this thread has seen READ (read without atomics). */
  private readonly seen: Uint8Array;
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
    readonly check: ValueCheck | null,
    /**
     * What a block that fails does: by default the whole entry is damaged (see
     * {@link EntryFile.damaged}); a part of the entry that can be done without (the class index)
     * throws its own error and leaves the rest usable.
     */
    private readonly fail: ((why: string) => never) | null = null,
    /** The section the check also reads (the edge types, for `edge-name`). */
    readonly uses: LazySection<Uint8Array> | null = null,
  ) {
    this.blocks = blockCount(array.byteLength);
    this.left = this.blocks;
    this.states = new Int32Array(new SharedArrayBuffer(Math.max(1, this.blocks) * 4));
    this.seen = new Uint8Array(this.blocks);
    this.elementShift = BLOCK_SHIFT - Math.log2(array.BYTES_PER_ELEMENT);
    if (this.blocks === 0) this.complete = true;
    else file.opened();
  }

  /** Makes element `i` readable (reads and checks its block when not read yet). */
  at(i: number): void {
    if (this.complete) return;
    const b = i >>> this.elementShift;
    if (b < this.blocks && this.seen[b] === 0) this.load(b, b + 1);
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

  /**
   * The blocks holding `elements` (any order, repeats allowed) that this thread has not seen read,
   * each once, in increasing order.
   */
  blocksOf(elements: ArrayLike<number>): Uint32Array {
    if (this.complete) return new Uint32Array(0);
    const wanted = new Uint8Array(this.blocks);
    let count = 0;
    for (let i = 0; i < elements.length; i++) {
      const b = elements[i]! >>> this.elementShift;
      if (b < this.blocks && wanted[b] === 0 && this.seen[b] === 0) {
        wanted[b] = 1;
        count++;
      }
    }
    const out = new Uint32Array(count);
    for (let b = 0, k = 0; k < count; b++) if (wanted[b] === 1) out[k++] = b;
    return out;
  }

  /** What the read-ahead thread needs to read this section. */
  job(): SectionJob {
    const file = this.file.identity().key;
    return {
      key: `${file}#${this.name}`,
      name: this.name,
      file,
      array: this.array,
      states: this.states,
      position: this.position,
      crcBase: this.crcBase,
      check: this.check,
      uses: this.uses?.job().key ?? null,
    };
  }

  /** The file the section is in. */
  get fileIdentity(): FileIdentity {
    return this.file.identity();
  }

  /** Bytes of the blocks not known to be read yet. */
  get bytesLeft(): number {
    return this.complete ? 0 : Math.min(this.array.byteLength, this.left * BLOCK);
  }

  /**
   * Reads the blocks of `[b0, b1)` that no thread has read, in runs of at most
   * {@link PIECE_BLOCKS}, then waits for those another thread is reading.
   */
  private load(b0: number, b1: number): void {
    this.file.usable();
    const states = this.states;
    let waitFor: number[] | null = null;
    let b = b0;
    while (b < b1) {
      if (this.seen[b] === 1) {
        b++;
        continue;
      }
      const state = Atomics.load(states, b);
      if (state === READ) {
        this.saw(b++);
        continue;
      }
      if (state === READING) {
        (waitFor ??= []).push(b++);
        continue;
      }
      let end = b;
      while (
        end < b1 &&
        end - b < PIECE_BLOCKS &&
        this.seen[end] === 0 &&
        Atomics.compareExchange(states, end, NOT_READ, READING) === NOT_READ
      )
        end++;
      if (end === b) continue; // another thread claimed it first: look again
      this.readClaimed(b, end);
      b = end;
    }
    if (waitFor !== null) {
      const deadline = performance.now() + CLAIM_PATIENCE_MS;
      for (const k of waitFor) this.await(k, deadline);
    }
  }

  /** Reads and checks blocks `[b, end)`, claimed by this thread; on failure they are given back. */
  private readClaimed(b: number, end: number): void {
    const per = 1 << this.elementShift;
    const fail = this.fail ?? ((why: string) => this.file.damaged(why));
    try {
      this.file.readBlocks(this.name, bytesOf(this.array), this.position, this.crcBase, b, end, fail);
      if (this.check) {
        const problem = this.checkRange(b * per, Math.min(this.array.length, end * per));
        if (problem !== null) fail(problem);
      }
    } catch (e) {
      for (let k = b; k < end; k++) Atomics.store(this.states, k, NOT_READ);
      for (let k = b; k < end; k++) Atomics.notify(this.states, k);
      throw e;
    }
    for (let k = b; k < end; k++) Atomics.store(this.states, k, READ);
    for (let k = b; k < end; k++) {
      Atomics.notify(this.states, k);
      this.saw(k);
    }
  }

  /** The values of elements `[from, to)` checked (what the check also reads made readable first). */
  private checkRange(from: number, to: number): string | null {
    const check = this.check!;
    if (check.kind === "first-edge" && from > 0) this.at(from - 1);
    const uses = this.uses;
    if (uses !== null) {
      // The types are read only when the check needs them (see checkValues).
      return checkValues(check, this.array, from, to, {
        edgeTypes: () => {
          uses.range(from, to);
          return uses.array;
        },
      });
    }
    return checkValues(check, this.array, from, to);
  }

  /**
   * Waits for block k, which another thread claimed; reads it here if that thread gave it back, or
   * once `deadline` (one for all the blocks one read waits for) has passed.
   */
  private await(k: number, deadline: number): void {
    while (this.seen[k] === 0) {
      const state = Atomics.load(this.states, k);
      if (state === READ) this.saw(k);
      else if (state === NOT_READ) this.load(k, k + 1);
      else if (performance.now() > deadline) {
        // The other thread stopped half way (it cannot, short of a crash): read it here.
        Atomics.store(this.states, k, NOT_READ);
      } else Atomics.wait(this.states, k, READING, 1000);
    }
  }

  /** Block k is READ: counted once. */
  private saw(k: number): void {
    if (this.seen[k] === 1) return;
    this.seen[k] = 1;
    if (--this.left === 0 && !this.complete) {
      this.complete = true;
      this.file.done();
    }
  }
}
