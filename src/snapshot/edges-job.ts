/**
 * Parsing the `edges` array of a snapshot file on a thread other than the one reading the rest:
 * on a 1 GB file the edges are ~60% of the bytes. The job finds the array after the header, says
 * where it starts (the reading thread then skips it), parses it with the same parser, and hands
 * the columns back without copying (they are in shared memory). It reads the file block by block
 * at known offsets, claiming each block first: the reading thread, once done with the rest of the
 * file, may take the end part of the array, or stop the job (edges-split.ts). See readSnapshotRaw.
 *
 * The job runs on a thread of its own (edges-worker.ts), or on the analysis helper's thread, which
 * then goes on with the analysis (see ReadOptions.edgesThread).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { SnapshotFormatError } from "../errors.js";
import type { SnapshotMeta } from "./meta.js";
import type { ScanState } from "./number-columns.js";
import { SnapshotParser } from "./parser.js";
import { SplitControl, findEdgesEnd, findEdgesStart } from "./edges-split.js";

export interface EdgesJobData {
  path: string;
  /** Where the header ended: the search for the edges array starts here. */
  from: number;
  meta: SnapshotMeta;
  sizeHint: number;
  /** Shared with the reading thread, which may take the end part of the array (edges-split.ts). */
  control?: SharedArrayBuffer;
  /** Bytes read at a time (default 4 MiB): smaller on a thread that goes on with other work, which keeps the buffer. */
  blockBytes?: number;
}

export type EdgesJobMessage =
  /** The array's '[' is at `at`; its ']' probably at `end` (-1: not known; see findEdgesEnd). */
  | { type: "found"; at: number; end: number }
  /** Read to the array's ']' at `end`. */
  | { type: "done"; edgeType: Uint8Array; edgeName: Uint32Array; edgeTo: Uint32Array; maxStringRef: number; end: number }
  /** Stopped after the reading thread's ',' (SplitControl): the columns hold the rows read so far. */
  | { type: "partial"; edgeType: Uint8Array; edgeName: Uint32Array; edgeTo: Uint32Array; state: ScanState }
  | { type: "error"; problem: string; offset: number; hint: string | undefined }
  | { type: "not-found" };

const KEY = Buffer.from('"edges"');
const BLOCK = 4 << 20;
/** How long a job told to wait for the reading thread's decision waits at most. */
const HOLD_MS = 60_000;

/** Where the '[' of the `edges` array is, searching from `from`; -1 if it is not found. */
function findEdges(fd: number, from: number, buf: Buffer): number {
  // Each block is read with the last bytes of the one before, so a key split in two is found.
  const keep = 64;
  for (let pos = from; ;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n === 0) return -1;
    const b = buf.subarray(0, n);
    for (let k = b.indexOf(KEY); k >= 0; k = b.indexOf(KEY, k + 1)) {
      let j = k + KEY.length;
      while (j < b.length && (b[j] === 32 || b[j] === 10 || b[j] === 13 || b[j] === 9)) j++;
      if (j >= b.length) break; // undecided: look again with the next block
      if (b[j] !== 58) continue;
      j++;
      while (j < b.length && (b[j] === 32 || b[j] === 10 || b[j] === 13 || b[j] === 9)) j++;
      if (j >= b.length) break;
      if (b[j] !== 91) continue;
      return pos + j;
    }
    if (n < buf.length) return -1;
    pos += n - keep;
  }
}

function run(data: EdgesJobData, post: (m: EdgesJobMessage) => void): void {
  const control = data.control ? new SplitControl(data.control) : null;
  const fd = openSync(data.path, "r");
  try {
    const block = data.blockBytes ?? BLOCK;
    const buf = Buffer.allocUnsafe(block);
    const size = fstatSync(fd).size;
    const readBlock = (b: Uint8Array, position: number): number => readSync(fd, b, 0, b.length, position);
    // A few probes usually tell where the array is; else it is searched for, reading every byte.
    // A cancelled job (the reading thread reached the array first) stops at once, before each
    // search and before its columns are allocated: on a shared thread, other work waits behind it.
    const cancelled = (): boolean => control?.cancelled() === true;
    const probed = findEdgesStart(readBlock, data.from, size, data.meta.nodeFields.length, data.meta.edgeFields.length);
    const at = probed >= 0 ? probed : cancelled() ? -1 : findEdges(fd, data.from, buf);
    if (at < 0 || cancelled()) {
      post({ type: "not-found" });
      return;
    }
    const end = findEdgesEnd(readBlock, at, size, data.meta.edgeFields.length);
    if (cancelled()) {
      post({ type: "not-found" });
      return;
    }
    // In shared memory first: the reading thread's parser looks there as it reaches the array.
    control?.found(at, end);
    post({ type: "found", at, end });
    control?.waitForRelease(HOLD_MS);
    const parser = SnapshotParser.forEdgesSection(data.meta, at, data.sizeHint);
    for (let p = at; !parser.sectionDone;) {
      const end = control ? control.claim(p, p + block) : p + block;
      if (end === p) {
        // The reading thread reads the rest, from just after the ',' this job read last.
        const reader = parser.numbersReader;
        const cols = reader?.edgeColumns;
        if (!reader || !cols) throw new Error("stopped outside the edges array");
        post({ type: "partial", edgeType: cols.type, edgeName: cols.name, edgeTo: cols.to, state: reader.state() });
        return;
      }
      const n = readSync(fd, buf, 0, end - p, p);
      if (n === 0) break; // the file ends here: takeEdges says so
      parser.write(buf.subarray(0, n));
      p += n;
    }
    const edges = parser.takeEdges();
    // The columns are in shared memory (see columns.ts): posting them shares them, no copy.
    post({
      type: "done",
      edgeType: edges.type,
      edgeName: edges.name,
      edgeTo: edges.to,
      maxStringRef: edges.maxStringRef,
      end: parser.sectionEnd,
    });
  } finally {
    closeSync(fd);
  }
}

/** Runs the job, telling `post` what it found and read; every failure is posted as an `error`. */
export function readEdgesJob(data: EdgesJobData, post: (m: EdgesJobMessage) => void): void {
  try {
    run(data, post);
  } catch (e: unknown) {
    post(
      e instanceof SnapshotFormatError
        ? { type: "error", problem: e.problem, offset: e.offset, hint: e.hint }
        : { type: "error", problem: `cannot read the edges (${(e as Error).message})`, offset: 0, hint: undefined },
    );
  }
}
