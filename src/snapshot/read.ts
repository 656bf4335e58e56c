/**
 * Reading a snapshot from a path, `-` (standard input) or any byte stream, plain or gzip
 * (detected by magic bytes, whatever the name), in chunks.
 */
import { createReadStream, promises as fsp } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AbortedError, BackrefsError, InputError, SnapshotFormatError } from "../errors.js";
import type { Worker } from "node:worker_threads";
import { startWorker, type WorkerReport } from "../threads.js";
import { SnapshotParser, type RawSnapshot } from "./parser.js";
import type { EdgesJobData, EdgesJobMessage } from "./edges-job.js";
import { SplitControl, SplitMismatch, commaAtOrAfter, joinEdges, readTailGuess, type ReadAt, type TailGuess } from "./edges-split.js";
import type { SnapshotMeta } from "./meta.js";

export interface ReadProgress {
  /** Bytes of input read so far (compressed bytes for gzip input). */
  bytesRead: number;
  /** Total input bytes when known (a file), else 0. */
  totalBytes: number;
}

export interface ReadOptions {
  /**
   * Parse the edges array in a worker thread while the main thread reads the rest (files only,
   * not gzip or standard input). Default: for files of 64 MB and more.
   */
  parallel?: boolean;
  /** Called every few MB while reading. */
  onProgress?: (p: ReadProgress) => void;
  /** Stops reading with an {@link AbortedError}. */
  signal?: AbortSignal;
  /** Told whether the edges worker, once started, read the edges (or why this thread did). */
  onWorker?: (report: WorkerReport) => void;
  /**
   * For tests: with `parallel: true`, this thread takes the edges array from this fraction (0–1)
   * of its bytes on, whatever the worker has read by then (the worker waits for the decision).
   * By default it takes a little less than half of what the worker has not read when this thread
   * is done with the rest of the file ({@link TAIL_SHARE}).
   */
  splitEdgesAt?: number;
  /**
   * A thread that reads the edges of a file too small for an edges worker of its own (files only,
   * not gzip; not with `parallel` set): called once the header is read; null when there is none.
   * `openSnapshot` gives the analysis helper's thread for files big enough for it, which is
   * started for the analysis anyway and goes on with it after the read.
   */
  edgesThread?: () => EdgesThread | null;
  /**
   * Work on what was read, done on this thread while another one still reads the edges (a file
   * read with an edges worker): called once everything else is read, before this thread takes its
   * part of the edges that are left (so that the two threads still end together). Not called
   * otherwise; what it throws is ignored.
   */
  alongsideEdges?: (rest: Omit<RawSnapshot, "edges">) => void;
}

/**
 * A thread, other than one started for the purpose, that runs the edges job (edges-job.ts) of one
 * read. It answers through `onMessage` (the job's last message is anything but `found`), or calls
 * `onGone` if it stops before the job ends. The job is told to stop early through its `control`.
 */
export interface EdgesThread {
  run(data: EdgesJobData, onMessage: (m: EdgesJobMessage) => void, onGone: (problem: string) => void): void;
}

const READ_CHUNK = 4 << 20;
const HEADER_SLICE = 64 << 10;

/**
 * Streams a heap snapshot into typed arrays.
 *
 * @param source a file path, `-` for standard input, or a readable byte stream
 * @example
 * const raw = await readSnapshotRaw("app.heapsnapshot.gz");
 * console.log(raw.meta.nodeCount);
 */
export async function readSnapshotRaw(source: string | Readable, options: ReadOptions = {}): Promise<RawSnapshot> {
  let input: Readable | FileChunks;
  let totalBytes = 0;
  if (typeof source === "string" && source !== "-") {
    const stat = await fsp.stat(source).catch((e: NodeJS.ErrnoException) => {
      throw fileError(source, e);
    });
    if (stat.isDirectory()) throw new InputError(`${source} is a directory, not a snapshot file`);
    totalBytes = stat.size;
    input = await openStream(source, stat.isFile());
    const shared = stat.isFile() && sharesEdgesThread(totalBytes, options) ? options.edgesThread : undefined;
    if (stat.isFile() && (useEdgesWorker(totalBytes, options.parallel) || shared)) {
      try {
        return await parseStream(input, totalBytes, options, source, shared);
      } catch (e) {
        if (!(e instanceof SplitMismatch)) throw e;
        // The edges array did not end where it was guessed to: read again, on one thread.
        options.onWorker?.({
          worker: "edges",
          task: "edges",
          done: false,
          problem: `${e.why}: read again on one thread`,
        });
        return parseStream(await openStream(source, true), totalBytes, { ...options, parallel: false });
      }
    }
  } else if (source === "-") {
    input = process.stdin;
  } else {
    input = source as Readable;
  }
  return parseStream(input, totalBytes, options);
}

/**
 * The file at `path` as chunks, or the one-line error of a file that cannot be opened: a regular
 * file of plain JSON as {@link FileChunks}; a gzip file (its first two bytes say so) as a stream,
 * whose chunks the decompressor may still hold after the next one is read; anything else (a pipe,
 * a device), which cannot be read at given offsets, as a stream too.
 */
async function openStream(path: string, regular: boolean): Promise<Readable | FileChunks> {
  const handle = await fsp.open(path, "r").catch((e: NodeJS.ErrnoException) => {
    throw fileError(path, e);
  });
  if (!regular) return handle.createReadStream({ highWaterMark: READ_CHUNK });
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    if (bytesRead < 2 || magic[0] !== 0x1f || magic[1] !== 0x8b) return new FileChunks(handle, 0);
  } catch (e) {
    await handle.close().catch(() => {});
    throw fileError(path, e as NodeJS.ErrnoException);
  }
  return handle.createReadStream({ highWaterMark: READ_CHUNK });
}

/** Bytes a {@link FileChunks} reads at a time, into each of its two buffers. */
const FILE_CHUNK = 1 << 20;

/**
 * A plain file read from byte `start` on into two buffers in turn, the next chunk read while the
 * one before is parsed: a chunk is valid until the next one is asked for (the parser copies what it
 * keeps). Unlike a file stream, which allocates each chunk anew, it holds 2 MiB however big the file.
 * Chunks from another place of the file ({@link from}) share the file handle, which
 * {@link close} closes (once the reads under way are done).
 */
class FileChunks implements AsyncIterable<Buffer> {
  constructor(
    private readonly handle: FileHandle,
    private readonly start: number,
  ) {}

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    const buffers = [Buffer.allocUnsafe(FILE_CHUNK), Buffer.allocUnsafe(FILE_CHUNK)];
    let k = 0;
    let position = this.start;
    const readInto = (b: Buffer, at: number): Promise<number> => {
      const read = this.handle.read(b, 0, b.length, at).then((r) => r.bytesRead);
      // Looked at below, unless the reader stops first (then its failure does not matter).
      read.catch(() => {});
      return read;
    };
    let pending = readInto(buffers[0]!, position);
    for (;;) {
      const n = await pending;
      if (n === 0) return;
      const chunk = buffers[k]!;
      position += n;
      k ^= 1;
      pending = readInto(buffers[k]!, position);
      yield n === chunk.length ? chunk : chunk.subarray(0, n);
    }
  }

  /** The same file from byte `at` on. */
  from(at: number): FileChunks {
    return new FileChunks(this.handle, at);
  }

  /** Closes the file (once the reads under way are done): a caller that awaits it leaves nothing in flight. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

/** This thread takes no part of the edges when the worker has less than this left to read. */
const MIN_TAIL_BYTES = 8 << 20;
/**
 * The share of the edges the worker has not read yet that this thread takes. Less than half: this
 * thread then copies its rows into the worker's columns (at 1 GB ~0.11 s for the ~0.43 s its part
 * took to read, so ~0.27 of the time read), so the two threads end together when it takes
 * 1 / (2 + 0.27) of the rest.
 */
const TAIL_SHARE = 0.44;
/** Where this thread starts its part of the edges, the first ',' within this many bytes. */
const COMMA_WINDOW = 64 << 10;

/** Files smaller than this are read on one thread, unless a thread started anyway is given (ReadOptions.edgesThread). */
const PARALLEL_MIN_BYTES = 64 << 20;

/** The block a job on a shared thread reads at a time: that thread keeps its buffer afterwards. */
const SHARED_BLOCK_BYTES = 1 << 20;

function useEdgesWorker(size: number, parallel: ReadOptions["parallel"]): boolean {
  if (parallel === false) return false;
  return parallel === true || size >= PARALLEL_MIN_BYTES;
}

function sharesEdgesThread(size: number, options: ReadOptions): boolean {
  return options.edgesThread !== undefined && options.parallel === undefined && size < PARALLEL_MIN_BYTES;
}

/**
 * This thread takes no part of the edges when the worker has less than this left to read:
 * {@link MIN_TAIL_BYTES}, or for a job on a shared thread (a file under 64 MB) a sixteenth of the
 * file, at least 1 MB.
 */
function minTailBytes(size: number, shared: boolean): number {
  return shared ? Math.min(MIN_TAIL_BYTES, Math.max(1 << 20, size >>> 4)) : MIN_TAIL_BYTES;
}

/**
 * The edges worker of one read: started once the header is known, it finds and parses the edges
 * array; the main parser skips that array if the worker found it before the main thread got there.
 * The job runs on a worker of its own, or on a thread given (see ReadOptions.edgesThread).
 */
class EdgesHelper {
  private worker: Worker | null = null;
  /** The job was started on a thread given, not on a worker of its own. */
  private onShared = false;
  /** That thread stopped before the job ended (the read is then done again on one thread). */
  private threadGone = false;
  private result: Promise<EdgesJobMessage> | null = null;
  /** Settles once the worker knows where the edges are (or that it cannot tell). */
  located: Promise<void> | null = null;
  /** Where the worker guesses the edges array ends (its ']'), or -1. */
  probableEnd = -1;
  /** This thread skipped to {@link probableEnd} without reading up to it: the readers must end there. */
  jumped = false;
  /** Why the worker did not deliver, once it failed. */
  private problem: string | undefined;
  /** Shared with the worker: where it stops when this thread takes the end of the edges. */
  private readonly control: SplitControl;

  constructor(
    private readonly path: string,
    private readonly sizeHint: number,
    private readonly onWorker: ReadOptions["onWorker"],
    private readonly splitAt: number | undefined,
    /** Where to run the job instead of on a worker of its own (see ReadOptions.edgesThread). */
    private readonly thread: (() => EdgesThread | null) | undefined,
    /** See ReadOptions.alongsideEdges. */
    private readonly alongside: ReadOptions["alongsideEdges"],
  ) {
    this.control = SplitControl.create(splitAt !== undefined);
  }

  /** Whether the job was started (or found no thread to run on): then {@link located} is set. */
  private started = false;

  maybeStart(parser: SnapshotParser): void {
    if (this.started || !parser.snapshotMeta) return;
    this.started = true;
    const shared = this.thread ? this.thread() : null;
    const data: EdgesJobData = {
      path: this.path,
      from: parser.headerEnd,
      meta: parser.snapshotMeta,
      sizeHint: this.sizeHint,
      control: this.control.buffer,
      ...(shared ? { blockBytes: SHARED_BLOCK_BYTES } : {}),
    };
    if (this.thread && !shared) {
      // No thread to share: this thread reads the edges itself.
      this.located = Promise.resolve();
      this.result = Promise.resolve({ type: "not-found" });
      this.problem = "no thread to read the edges on";
      return;
    }
    let found: () => void = () => {};
    this.located = new Promise((resolve) => (found = resolve));
    // The worker's message comes only once this thread is between chunks; what it wrote to shared
    // memory is seen as soon as the parser reaches the array. Not found there by then, the array is
    // read here, and a job on a shared thread is stopped at once (a worker of its own is ended
    // once the read is done).
    parser.probeExternalEdges((at) => {
      const where = this.control.located();
      if (where === null || where.at !== at) {
        if (shared) this.control.cancel();
        return false;
      }
      this.probableEnd = where.end;
      found();
      return true;
    });
    this.result = new Promise((resolve) => {
      const onMessage = (m: EdgesJobMessage): void => {
        found();
        if (m.type === "found") {
          this.probableEnd = m.end;
          parser.expectExternalEdges(m.at);
        } else resolve(m);
      };
      const failed = (m: EdgesJobMessage): void => {
        if (m.type === "error") this.problem ??= m.problem;
        found();
        resolve(m);
      };
      if (shared) {
        this.onShared = true;
        shared.run(data, onMessage, (problem) => {
          this.threadGone = true;
          failed({ type: "error", problem, offset: 0, hint: undefined });
        });
        return;
      }
      const worker = startWorker("edges-worker", import.meta.url, { workerData: data });
      this.worker = worker;
      worker.on("message", onMessage);
      worker.on("error", (e) => failed({ type: "error", problem: `the edges reader failed (${e.message})`, offset: 0, hint: undefined }));
      worker.on("exit", () => failed({ type: "not-found" }));
    });
  }

  /**
   * Hands the worker's edges to the parser when it skipped them; stops the worker otherwise. When
   * the worker still has much to read, this thread (done with the rest of the file) reads the end
   * part of the array meanwhile (see edges-split.ts).
   */
  async finish(parser: SnapshotParser): Promise<void> {
    if (!this.worker && !this.onShared) {
      if (this.started && this.thread) this.report(false, this.problem ?? "no thread to read the edges on");
      return;
    }
    if (!parser.edgesSkipped) {
      await this.stop();
      this.report(false, this.problem ?? "this thread reached the edges first");
      return;
    }
    const rest = this.alongside ? parser.readButEdges() : null;
    if (rest) {
      try {
        this.alongside!(rest);
      } catch {
        // Work the caller does again later if it needs it.
      }
    }
    const skipped = parser.skippedEdges;
    const meta = parser.snapshotMeta!;
    const file = skipped ? await fsp.open(this.path, "r") : null;
    try {
      const readAt: ReadAt = async (buf, length, position) => (await file!.read(buf, 0, length, position)).bytesRead;
      const tail = skipped ? await this.takeTail(meta, skipped.start, skipped.end, readAt) : null;
      this.control.release();
      const m = await this.result!;
      await this.stop();
      if (this.threadGone) throw new SplitMismatch("the thread reading the edges stopped");
      if (m.type === "done") {
        if (this.jumped && (tail || m.end !== skipped?.end)) throw new SplitMismatch();
        this.report(true, undefined);
        parser.setExternalEdges({ type: m.edgeType, name: m.edgeName, to: m.edgeTo, maxStringRef: m.maxStringRef });
        return;
      }
      if (m.type === "partial") {
        if (!tail || !skipped) throw new Error("the edges worker stopped where it was not asked to");
        const head = { columns: { type: m.edgeType, name: m.edgeName, to: m.edgeTo, maxStringRef: 0 }, state: m.state };
        // Only reading the end part again can fail: it then reports the error one thread would.
        const joined = await joinEdges(meta, head, await tail.guess, tail.x, skipped.end, readAt, this.jumped).catch((e: unknown) => {
          this.report(true, undefined, { from: tail.x + 1, join: "reread" });
          throw e;
        });
        this.report(true, undefined, { from: tail.x + 1, join: joined.join });
        parser.setExternalEdges(joined.edges);
        return;
      }
      this.report(false, m.type === "error" ? m.problem : "the worker stopped early");
      if (m.type === "error") {
        throw new SnapshotFormatError(m.problem, m.offset, "edges", m.hint);
      } else {
        throw new SnapshotFormatError("the edges section could not be read", parser.sectionOffset("edges"), "edges");
      }
    } finally {
      await file?.close();
    }
  }

  /**
   * Takes the end part of the edges array (`start` its '[', `end` its ']'), the last
   * {@link TAIL_SHARE} of what the worker has not claimed (from a ',' there), and starts reading
   * it; null when not worth it (or the worker got there first).
   */
  private async takeTail(
    meta: SnapshotMeta,
    start: number,
    end: number,
    readAt: ReadAt,
  ): Promise<{ x: number; guess: Promise<TailGuess> } | null> {
    const claimed = Math.max(this.control.claimed(), start + 1);
    let from: number;
    if (this.splitAt !== undefined) {
      from = start + 1 + Math.floor(Math.min(1, Math.max(0, this.splitAt)) * (end - start - 1));
    } else {
      if (end - claimed < minTailBytes(this.sizeHint, this.onShared)) return null;
      from = Math.floor(end - TAIL_SHARE * (end - claimed));
    }
    if (from >= end) return null;
    const window = new Uint8Array(Math.min(COMMA_WINDOW, end - from));
    const n = await readAt(window, window.length, from);
    const x = commaAtOrAfter(window, n, from);
    if (x < 0 || !this.control.takeFrom(x)) return null;
    const guess = readTailGuess(meta, x, end, readAt);
    // Settled by joinEdges; a rejection before that must not go unhandled.
    guess.catch(() => {});
    return { x, guess };
  }

  async stop(): Promise<void> {
    this.control.release();
    // A thread shared with other work is not ended: its job is told to stop (a job that ended
    // already is not affected).
    if (this.onShared) this.control.cancel();
    const w = this.worker;
    if (w) await w.terminate();
  }

  private report(done: boolean, problem: string | undefined, split?: WorkerReport["split"]): void {
    this.onWorker?.({
      worker: "edges",
      task: "edges",
      done,
      ...(problem === undefined ? {} : { problem }),
      ...(split ? { split } : {}),
      ...(this.jumped ? { skippedToEnd: true } : {}),
    });
  }
}

/** The one-line error for a file that cannot be opened (missing, no permission, a directory...). */
export function fileError(path: string, e: NodeJS.ErrnoException): InputError {
  switch (e.code) {
    case "ENOENT":
      return new InputError(`${path}: no such file`, "check the path");
    case "EACCES":
    case "EPERM":
      return new InputError(`${path}: permission denied`, "check the file's read permission");
    case "EISDIR":
      return new InputError(`${path} is a directory, not a snapshot file`);
    default:
      return new InputError(`${path}: cannot read (${e.code ?? e.message})`);
  }
}

async function parseStream(
  input: Readable | FileChunks,
  totalBytes: number,
  options: ReadOptions,
  path?: string,
  thread?: () => EdgesThread | null,
): Promise<RawSnapshot> {
  const { onProgress, signal } = options;
  let bytesRead = 0;
  let nextReport = 0;
  let iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  /** Goes on reading the file from byte `at` (the bytes before it are not read). */
  const jumpTo = (at: number): void => {
    if (input instanceof FileChunks) input = input.from(at);
    else {
      input.destroy();
      input = createReadStream(path!, { start: at, highWaterMark: READ_CHUNK });
    }
    iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    bytesRead = at;
  };

  /** The raw input with progress and abort checks; `first` was already pulled to sniff gzip. */
  async function* counted(first: Buffer): AsyncGenerator<Buffer> {
    let chunk: Buffer | undefined = first;
    while (chunk !== undefined) {
      if (signal?.aborted) throw new AbortedError();
      bytesRead += chunk.length;
      yield chunk;
      if (onProgress && bytesRead >= nextReport) {
        onProgress({ bytesRead, totalBytes });
        nextReport = bytesRead + (16 << 20);
      }
      const next = await iterator.next();
      chunk = next.done ? undefined : next.value;
    }
  }

  let parser: SnapshotParser | null = null;
  let helper: EdgesHelper | null = null;
  try {
    const head = await iterator.next();
    if (head.done || head.value.length === 0) {
      throw new SnapshotFormatError("the file is empty", 0, undefined, "is this a .heapsnapshot file?");
    }
    const gz = head.value.length >= 2 && head.value[0] === 0x1f && head.value[1] === 0x8b;
    // openStream saw plain JSON at this byte: the file was replaced since. Its chunks are not
    // made to be read ahead as a gzip stream would, so say what happened instead of a gzip error.
    if (gz && input instanceof FileChunks) {
      throw new InputError(`${path ?? "the input"}: the file changed while it was read`, "read it again once it is written");
    }
    // Gzip's output size is unknown up front: the parser then grows its arrays with the data.
    const p = new SnapshotParser({ sizeHint: gz ? 0 : totalBytes });
    parser = p;
    if (gz) {
      await pipeline(Readable.from(counted(head.value)), createGunzip({ chunkSize: 1 << 20 }), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) p.write(chunk);
      });
    } else {
      helper =
        path !== undefined
          ? new EdgesHelper(
              path,
              totalBytes,
              options.onWorker,
              options.parallel === true ? options.splitEdgesAt : undefined,
              thread,
              options.alongsideEdges,
            )
          : null;
      for await (const chunk of counted(head.value)) {
        // The worker reads the edges and guessed where they end: skip to there, unread.
        const skipAhead = (h: EdgesHelper): void => {
          if (p.skippingEdges && h.probableEnd > p.position) {
            p.skipTo(h.probableEnd);
            jumpTo(h.probableEnd);
            h.jumped = true;
          }
        };
        if (!helper || helper.located) {
          p.write(chunk);
          if (helper) skipAhead(helper);
          continue;
        }
        // Until the header is read, feed small slices: the worker starts as soon as it can.
        let off = 0;
        while (off < chunk.length && !p.snapshotMeta) {
          const end = Math.min(chunk.length, off + HEADER_SLICE);
          p.write(chunk.subarray(off, end));
          off = end;
        }
        helper.maybeStart(p);
        // Asked for explicitly (tests): let the worker find the edges first, so it is the one
        // that reads them. By default the main thread does not wait; it has the nodes to read.
        if (options.parallel === true && helper.located) await helper.located;
        if (off < chunk.length) p.write(chunk.subarray(off));
        skipAhead(helper);
      }
      await helper?.finish(p);
    }
    onProgress?.({ bytesRead, totalBytes });
    return p.end();
  } catch (e) {
    // After skipping to a guessed end, any error may come from a wrong guess: the caller reads again.
    if (helper?.jumped && !(e instanceof AbortedError) && (e instanceof BackrefsError || e instanceof SplitMismatch)) {
      throw e instanceof SplitMismatch ? e : new SplitMismatch();
    }
    if (e instanceof BackrefsError || e instanceof SplitMismatch) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === "Z_DATA_ERROR" || err.code === "Z_BUF_ERROR" || err.code?.startsWith("Z_")) {
      const msg = /unexpected end/i.test(err.message) ? "the gzip stream ends too early (truncated?)" : `bad gzip data (${err.message})`;
      throw new SnapshotFormatError(msg, parser?.position ?? 0, undefined, "the compressed file may be damaged or incomplete");
    }
    if (err instanceof RangeError) {
      throw new InputError(`out of memory while reading (${err.message})`, "the snapshot is larger than this machine can hold");
    }
    throw fileError(path ?? "the input", err);
  } finally {
    if (input instanceof FileChunks) await input.close();
    else input.destroy();
    await helper?.stop();
  }
}
