/**
 * Reading a snapshot from a path, `-` (standard input) or any byte stream, plain or gzip
 * (detected by magic bytes, whatever the name), in chunks.
 */
import { promises as fsp } from "node:fs";
import { createGunzip } from "node:zlib";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AbortedError, BackrefsError, InputError, SnapshotFormatError } from "../errors.js";
import { SnapshotParser, type RawSnapshot } from "./parser.js";

export interface ReadProgress {
  /** Bytes of input read so far (compressed bytes for gzip input). */
  bytesRead: number;
  /** Total input bytes when known (a file), else 0. */
  totalBytes: number;
}

export interface ReadOptions {
  /** Called every few MB while reading. */
  onProgress?: (p: ReadProgress) => void;
  /** Stops reading with an {@link AbortedError}. */
  signal?: AbortSignal;
}

const READ_CHUNK = 4 << 20;

/**
 * Streams a heap snapshot into typed arrays.
 *
 * @param source a file path, `-` for standard input, or a readable byte stream
 * @example
 * const raw = await readSnapshotRaw("app.heapsnapshot.gz");
 * console.log(raw.meta.nodeCount);
 */
export async function readSnapshotRaw(source: string | Readable, options: ReadOptions = {}): Promise<RawSnapshot> {
  let input: Readable;
  let totalBytes = 0;
  if (typeof source === "string" && source !== "-") {
    const stat = await fsp.stat(source).catch((e: NodeJS.ErrnoException) => {
      throw fileError(source, e);
    });
    if (stat.isDirectory()) throw new InputError(`${source} is a directory, not a snapshot file`);
    totalBytes = stat.size;
    const handle = await fsp.open(source, "r").catch((e: NodeJS.ErrnoException) => {
      throw fileError(source, e);
    });
    input = handle.createReadStream({ highWaterMark: READ_CHUNK });
  } else if (source === "-") {
    input = process.stdin;
  } else {
    input = source as Readable;
  }
  return parseStream(input, totalBytes, options);
}

function fileError(path: string, e: NodeJS.ErrnoException): InputError {
  switch (e.code) {
    case "ENOENT": return new InputError(`${path}: no such file`, "check the path");
    case "EACCES":
    case "EPERM": return new InputError(`${path}: permission denied`, "check the file's read permission");
    case "EISDIR": return new InputError(`${path} is a directory, not a snapshot file`);
    default: return new InputError(`${path}: cannot read (${e.code ?? e.message})`);
  }
}

async function parseStream(input: Readable, totalBytes: number, options: ReadOptions): Promise<RawSnapshot> {
  const { onProgress, signal } = options;
  let bytesRead = 0;
  let nextReport = 0;
  const iterator = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();

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
  try {
    const head = await iterator.next();
    if (head.done || head.value.length === 0) {
      throw new SnapshotFormatError("the file is empty", 0, undefined, "is this a .heapsnapshot file?");
    }
    const gz = head.value.length >= 2 && head.value[0] === 0x1f && head.value[1] === 0x8b;
    // Gzip's output size is unknown up front: the parser then grows its arrays with the data.
    const p = new SnapshotParser({ sizeHint: gz ? 0 : totalBytes });
    parser = p;
    if (gz) {
      await pipeline(Readable.from(counted(head.value)), createGunzip({ chunkSize: 1 << 20 }), async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) p.write(chunk);
      });
    } else {
      for await (const chunk of counted(head.value)) p.write(chunk);
    }
    onProgress?.({ bytesRead, totalBytes });
    return p.end();
  } catch (e) {
    if (e instanceof BackrefsError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code === "Z_DATA_ERROR" || err.code === "Z_BUF_ERROR" || err.code?.startsWith("Z_")) {
      const msg = /unexpected end/i.test(err.message) ? "the gzip stream ends too early (truncated?)" : `bad gzip data (${err.message})`;
      throw new SnapshotFormatError(msg, parser?.position ?? 0, undefined, "the compressed file may be damaged or incomplete");
    }
    if (err.code === "EISDIR") throw new InputError("the input is a directory, not a snapshot file");
    if (err.code === "EACCES") throw new InputError("permission denied reading the input");
    if (err instanceof RangeError) {
      throw new InputError(`out of memory while reading (${err.message})`, "the snapshot is larger than this machine can hold");
    }
    throw new InputError(`cannot read the input (${err.code ?? ""} ${err.message})`.replace("( ", "("));
  } finally {
    input.destroy();
  }
}
