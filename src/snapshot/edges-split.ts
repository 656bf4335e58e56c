/**
 * Reading the `edges` array with two threads (see readSnapshotRaw and edges-worker.ts).
 *
 * The edges worker reads the array from its '[' forward, into columns sized for every edge the
 * header announces. The main thread, once done with the rest of the file, takes the end part of
 * the array that the worker has not reached yet: from a ',' at byte `x` up to the closing ']'.
 * Which value the first one after `x` is, is not known until the worker's count is (the bytes
 * before `x` have to be read to count them). So the main thread reads its part on the guess that
 * `x` falls between two rows — V8 writes each edge on a line of its own, starting with the ','
 * — into columns of its own, and counts its values. The guess is right exactly when both counts
 * are whole rows and add up to the header's count; then the end part's rows are copied behind the
 * worker's. Otherwise (another writer's layout, or a broken file) the main thread reads its part
 * again, going on from where the worker stopped as if one thread had read the whole array: the
 * result, and any error, is the same as one thread's.
 *
 * The two threads agree on where the worker stops through {@link SplitControl}: the worker claims
 * the bytes it is about to read, block by block; the main thread can only take bytes the worker has
 * not claimed.
 */
import type { SnapshotMeta } from "./meta.js";
import type { EdgeColumns } from "./columns.js";
import { NumberColumnsReader, type ScanState } from "./number-columns.js";

/**
 * The edges array did not end where it was guessed to end (see findEdgesEnd), or the thread that
 * read it stopped: the file is read again on one thread. `why` says which, as the read reports it.
 */
export class SplitMismatch extends Error {
  constructor(readonly why = "the edges did not end where guessed") {
    super("the edges array does not end where it was expected to");
  }
}

/** No stop set: the worker reads to the ']'. */
const NO_STOP = -1;

/**
 * Shared between the main thread and the edges worker: a lock, whether the worker must wait for
 * the main thread's decision (tests), how far the worker has claimed, where it must stop, and
 * where it found the array (which the main thread's parser can look up while it reads a chunk,
 * before the worker's message about it could be received).
 */
export class SplitControl {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer, 0, 2);
    this.f64 = new Float64Array(buffer, 8, 4);
  }

  /** `hold`: the worker waits for {@link release} before reading any edge (forced splits in tests). */
  static create(hold = false): SplitControl {
    const c = new SplitControl(new SharedArrayBuffer(40));
    c.f64[0] = 0;
    c.f64[1] = NO_STOP;
    c.f64[2] = -1;
    c.f64[3] = -1;
    c.i32[1] = hold ? 1 : 0;
    return c;
  }

  private lock(): void {
    // The critical sections below are a few loads and stores: spinning is cheaper than waiting.
    while (Atomics.compareExchange(this.i32, 0, 0, 1) !== 0);
  }

  private unlock(): void {
    Atomics.store(this.i32, 0, 0);
  }

  /** Worker: waits (at most `ms`) until the main thread lets it read. */
  waitForRelease(ms: number): void {
    Atomics.wait(this.i32, 1, 1, ms);
  }

  /** Main thread: lets a holding worker read. */
  release(): void {
    Atomics.store(this.i32, 1, 0);
    Atomics.notify(this.i32, 1);
  }

  /**
   * Worker: it is about to read bytes `[from, to)`. Returns where it must stop reading instead: `to`,
   * or just past the stop ',' when the main thread took the rest.
   */
  claim(from: number, to: number): number {
    this.lock();
    const stop = this.f64[1]!;
    let end = to;
    if (stop !== NO_STOP) end = Math.min(to, stop + 1);
    else if (to > this.f64[0]!) this.f64[0] = to;
    this.unlock();
    return Math.max(from, end);
  }

  /** How far the worker has claimed (a byte offset). */
  claimed(): number {
    this.lock();
    const c = this.f64[0]!;
    this.unlock();
    return c;
  }

  /** Main thread: takes the bytes after the ',' at `x`, unless the worker claimed it already. */
  takeFrom(x: number): boolean {
    this.lock();
    const ok = this.f64[1] === NO_STOP && this.f64[0]! <= x;
    if (ok) this.f64[1] = x;
    this.unlock();
    return ok;
  }

  /**
   * Main thread: the worker is to stop before its next block, whatever it has read (its result is
   * not wanted any more). A worker that has a thread of its own is ended instead; one that shares
   * its thread with other work (see ReadOptions.edgesThread) stops so.
   */
  cancel(): void {
    this.lock();
    this.f64[1] = 0;
    this.unlock();
  }

  /** Worker: whether the main thread {@link cancel}led the job (no position to stop at is 0). */
  cancelled(): boolean {
    return this.stop() === 0;
  }

  /** Worker: the array's '[' is at `at`, its ']' probably at `end` (-1: not known). */
  found(at: number, end: number): void {
    this.lock();
    this.f64[2] = at;
    this.f64[3] = end;
    this.unlock();
  }

  /** Where the worker found the array (see {@link found}), or null before it did. */
  located(): { at: number; end: number } | null {
    this.lock();
    const at = this.f64[2]!;
    const end = this.f64[3]!;
    this.unlock();
    return at < 0 ? null : { at, end };
  }

  /** Where the worker must stop (the ',' it reads last), or -1. */
  stop(): number {
    this.lock();
    const s = this.f64[1]!;
    this.unlock();
    return s;
  }
}

/** What the worker read of the array when it stopped at the main thread's ','. */
export interface HeadPart {
  columns: EdgeColumns;
  state: ScanState;
}

/** The main thread's reading of the end part, on the guess that it starts a row. */
export interface TailGuess {
  /** The end part's rows, or null when reading it on that guess failed. */
  columns: EdgeColumns | null;
  values: number;
}

/** Reads bytes `[from, to)` of the input into `buf` (from its start); returns how many were read. */
export type ReadAt = (buf: Uint8Array, length: number, position: number) => Promise<number>;

const BLOCK = 4 << 20;

/**
 * Reads the end part `(x, end]` of the edges array (`end` is its ']') as its own rows, on the guess
 * that the value after `x` is a row's first. Any error means only that the guess may be wrong.
 */
export async function readTailGuess(meta: SnapshotMeta, x: number, end: number, readAt: ReadAt): Promise<TailGuess> {
  // A row is at least 6 bytes ("0,0,0,"): room for all of them, filled only as far as needed.
  const reader = NumberColumnsReader.tailOfEdges(meta, Math.ceil((end - x) / 6) + 1, x + 1);
  try {
    const last = await feedRange(reader, x + 1, end + 1, readAt);
    if (!reader.done || last !== end) return { columns: null, values: 0 };
  } catch {
    return { columns: null, values: 0 };
  }
  return { columns: reader.edges, values: reader.valuesRead };
}

/**
 * The whole edges columns from the worker's head part and the main thread's end part `(x, end]`:
 * the guessed rows placed behind the head's when they fit, else the end part read again on from
 * the head's state (same result and errors as one thread).
 */
export async function joinEdges(
  meta: SnapshotMeta,
  head: HeadPart,
  tail: TailGuess,
  x: number,
  end: number,
  readAt: ReadAt,
  guessedEnd = false,
): Promise<{ edges: EdgeColumns; join: "rows" | "reread" }> {
  const s = head.state;
  const stride = meta.edgeFields.length;
  const headValues = s.row * stride + s.field;
  if (
    tail.columns &&
    s.expect === 1 &&
    s.digits === 0 &&
    s.field === 0 &&
    tail.values % stride === 0 &&
    headValues + tail.values === meta.edgeCount * stride
  ) {
    const rows = tail.values / stride;
    const c = head.columns;
    c.type.set(tail.columns.type.subarray(0, rows), s.row);
    c.name.set(tail.columns.name.subarray(0, rows), s.row);
    c.to.set(tail.columns.to.subarray(0, rows), s.row);
    c.maxStringRef = Math.max(s.maxName, tail.columns.maxStringRef);
    return { edges: c, join: "rows" };
  }
  // The worker's columns hold every edge the header announces unless it capped them by the file's
  // size (a header that announces more edges than the file can hold): then one thread reads again
  // and says what is wrong.
  if (head.columns.type.length !== meta.edgeCount) throw new SplitMismatch();
  const reader = NumberColumnsReader.resumeEdges(meta, head.columns, s, x + 1);
  let last: number;
  try {
    last = await feedRange(reader, x + 1, end + 1, readAt);
  } catch (e) {
    // With a guessed end, bytes after the real end may be read as edges: not an answer to give.
    if (guessedEnd) throw new SplitMismatch();
    throw e;
  }
  if (!reader.done || last !== end) throw new SplitMismatch();
  return { edges: reader.edges!, join: "reread" };
}

/** Feeds bytes `[from, to)` to `reader` until it is done; returns where its ']' was (-1: not seen). */
async function feedRange(reader: NumberColumnsReader, from: number, to: number, readAt: ReadAt): Promise<number> {
  const buf = new Uint8Array(Math.min(BLOCK, Math.max(1, to - from)));
  for (let p = from; p < to;) {
    const n = await readAt(buf, Math.min(buf.length, to - p), p);
    if (n <= 0) throw new SplitMismatch(); // the file is shorter than when it was looked at
    const i = reader.scan(n === buf.length ? buf : buf.subarray(0, n), 0, p);
    if (reader.done) return p + i - 1;
    p += n;
  }
  return -1;
}

/**
 * Where the main thread should take the end part from: the first ',' in `window` (the bytes from
 * `guess` on) next to a line break — V8 starts each row on a line of its own ("\n,"), other
 * writers end rows with ",\n" — else the first ',' at all. Returns its byte offset, or -1 when
 * there is no ',' in the window.
 */
export function commaAtOrAfter(window: Uint8Array, length: number, guess: number): number {
  const w = window.subarray(0, length);
  for (let k = w.indexOf(10); k >= 0; k = w.indexOf(10, k + 1)) {
    if (w[k + 1] === 44) return guess + k + 1;
    if (k > 0 && w[k - 1] === 44) return guess + k - 1;
  }
  const k = w.indexOf(44);
  return k < 0 ? -1 : guess + k;
}

/** Bytes a probe of {@link findEdgesEnd} looks at. */
const PROBE = 16 << 10;

/**
 * What a block of the file at `at` says about where the edges array ends: "end" (a ']' there,
 * after number rows of `stride` values), "before" (whole rows of `stride` values: the end is
 * after the block), "after" (other bytes: the end is before them) or "unknown".
 */
export function probeBlock(
  b: Uint8Array,
  n: number,
  stride: number,
): { kind: "end"; at: number } | { kind: "before" | "after" | "unknown" } {
  let sawLine = false;
  let lines = 0;
  let commas = 0;
  for (let k = 0; k < n; k++) {
    const c = b[k]!;
    if ((c >= 48 && c <= 57) || c === 32 || c === 13 || c === 9) continue;
    if (c === 44) commas++;
    else if (c === 10) {
      if (sawLine) {
        if (commas !== stride) return { kind: "after" };
        lines++;
      }
      sawLine = true;
      commas = 0;
    } else if (c === 93) {
      return lines >= 1 && commas <= stride ? { kind: "end", at: k } : { kind: "unknown" };
    } else return { kind: "after" };
  }
  return lines >= 2 ? { kind: "before" } : { kind: "unknown" };
}

/**
 * Where the edges array whose '[' is at `start` probably ends, found by looking at a few blocks
 * (a binary search between `start` and `size`, the file's size) rather than reading the array:
 * rows as V8 writes them, one per line, tell the edges (`stride` values a line) from what follows.
 * -1 when the blocks do not tell. A guess only: the readers of the array check it.
 */
export function findEdgesEnd(read: (buf: Uint8Array, position: number) => number, start: number, size: number, stride: number): number {
  const buf = new Uint8Array(PROBE);
  let lo = start + 1;
  let hi = size;
  for (let probes = 0; lo < hi && probes < 64; probes++) {
    const at = lo + Math.floor((hi - lo) / 2);
    const n = read(buf, at);
    const r = probeBlock(buf, n, stride);
    if (r.kind === "end") return at + r.at;
    if (r.kind === "before") lo = at + n;
    else if (r.kind === "after") hi = at;
    else return -1;
  }
  return -1;
}

const EDGES_KEY = Buffer.from('"edges"');

/**
 * Where the '[' of the `edges` array probably is, found by looking at a few blocks between `from`
 * (the end of the header) and `size` rather than reading the nodes before it: lines of
 * `nodeStride` values are nodes (the array is further on), lines of `edgeStride` values are edges
 * (it is before). -1 when the blocks do not tell. A guess only: the main thread skips the array
 * only if it finds its '[' exactly there.
 */
export function findEdgesStart(
  read: (buf: Uint8Array, position: number) => number,
  from: number,
  size: number,
  nodeStride: number,
  edgeStride: number,
): number {
  if (nodeStride === edgeStride) return -1;
  const buf = new Uint8Array(PROBE);
  let lo = from;
  let hi = size;
  for (let probes = 0; lo < hi && probes < 64; probes++) {
    const at = hi - lo <= PROBE - 64 ? lo : lo + Math.floor((hi - lo) / 2);
    const n = read(buf, at);
    const b = Buffer.from(buf.buffer, buf.byteOffset, n);
    for (let k = b.indexOf(EDGES_KEY); k >= 0; k = b.indexOf(EDGES_KEY, k + 1)) {
      let j = k + EDGES_KEY.length;
      while (j < n && (b[j] === 32 || b[j] === 10 || b[j] === 13 || b[j] === 9)) j++;
      if (b[j] !== 58) continue;
      j++;
      while (j < n && (b[j] === 32 || b[j] === 10 || b[j] === 13 || b[j] === 9)) j++;
      if (b[j] === 91) return at + j;
    }
    if (at === lo && hi - lo <= PROBE - 64) return -1; // the whole range was looked at
    const kind = lineKind(b, n, nodeStride, edgeStride);
    // A key cut by the block's edge stays inside [lo, hi): keep a few bytes of overlap.
    if (kind === "before") lo = Math.max(lo, at + n - 64);
    else if (kind === "after") hi = Math.min(hi, at + 64);
    else return -1;
  }
  return -1;
}

/** Whether the whole lines of number bytes in `b` have `before` or `after` values each. */
function lineKind(b: Uint8Array, n: number, before: number, after: number): "before" | "after" | "unknown" {
  let sawLine = false;
  let numbers = true;
  let commas = 0;
  let seenBefore = 0;
  let seenAfter = 0;
  for (let k = 0; k < n; k++) {
    const c = b[k]!;
    if (c === 10) {
      if (sawLine && numbers) {
        if (commas === before) seenBefore++;
        else if (commas === after) seenAfter++;
      }
      sawLine = true;
      numbers = true;
      commas = 0;
    } else if (c === 44) commas++;
    else if (!((c >= 48 && c <= 57) || c === 32 || c === 13 || c === 9)) numbers = false;
  }
  if (seenBefore >= 2 && seenAfter === 0) return "before";
  if (seenAfter >= 2 && seenBefore === 0) return "after";
  return "unknown";
}
