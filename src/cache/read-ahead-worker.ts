/**
 * The read-ahead thread (see read-ahead.ts): reads the sections it is asked for, in order, into
 * their shared memory, claiming each run of blocks first and marking each block READ only once
 * its CRC-32 and values have passed the checks the command's thread makes (lazy.ts, checks.ts).
 * A block that fails, or a file that is not the one the command opened any more, stops the reading
 * of that file: what was claimed is given back (the command's thread reads it and reports the
 * damage) and the file and its sections are dropped. A file the command closed is not read further
 * (its shared closed word) and is dropped when the command says to forget it.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { crc32 } from "node:zlib";
import { checkValues } from "./checks.js";
import { BLOCK, BLOCK_SHIFT, NOT_READ, READ, READING, blockCount, bytesOf, type FileIdentity, type SectionJob } from "./lazy.js";
import type { ForgetRequest, ReadAheadRequest } from "./read-ahead.js";

/** Blocks claimed and read at a time (4 MB): small enough that both threads share a section they both want. */
const RUN_BLOCKS = 64;
/** How long a dependency claimed by the command's thread is waited for, at most, per try. */
const WAIT_MS = 1000;

/** The files still to read from, and their sections, by key (each key names one opening of a file). */
const files = new Map<string, FileIdentity>();
const jobs = new Map<string, SectionJob>();

/** Thrown to stop reading a file: it changed, or a block of it failed. */
class Stop extends Error {
  constructor(
    readonly file: string,
    why: string,
  ) {
    super(why);
  }
}

/** Drops a file and every section of it (the thread holds no more of their memory). */
function drop(key: string): void {
  files.delete(key);
  for (const [k, j] of jobs) if (j.file === key) jobs.delete(k);
}

/** The files opened for one request, by key: each checked to be the one the command opened. */
let open = new Map<string, number>();

function fdOf(key: string): number {
  let fd = open.get(key);
  if (fd === undefined) {
    const f = files.get(key);
    if (f === undefined) throw new Stop(key, "forgotten");
    try {
      fd = openSync(f.path, "r");
    } catch {
      throw new Stop(key, "cannot open");
    }
    open.set(key, fd);
    const st = fstatSync(fd, { bigint: true });
    if (String(st.ino) !== f.ino || String(st.dev) !== f.dev) throw new Stop(key, "another file");
  }
  return fd;
}

parentPort!.on("message", (m: ReadAheadRequest | ForgetRequest) => {
  if ("forget" in m) {
    drop(m.forget);
    return;
  }
  for (const f of m.files) files.set(f.key, f);
  // A section of a file not known (any more) is one the thread stopped reading, or was told to forget.
  for (const j of m.jobs) if (files.has(j.file) && !jobs.has(j.key)) jobs.set(j.key, j);
  try {
    for (const key of m.order) {
      const j = jobs.get(key);
      if (j === undefined) continue;
      try {
        const only = m.blocks?.[key];
        if (only) readBlocks(j, only);
        else readSection(j);
      } catch (e) {
        if (!(e instanceof Stop)) throw e;
        drop(e.file);
      }
    }
  } catch {
    // Not a file's fault (out of memory, say): the command's thread reads what is left.
    files.clear();
    jobs.clear();
  } finally {
    for (const fd of open.values()) closeSync(fd);
    open = new Map();
  }
});

function shiftOf(j: SectionJob): number {
  return BLOCK_SHIFT - Math.log2(j.array.BYTES_PER_ELEMENT);
}

/** Reads every block of section j that no thread has claimed. */
function readSection(j: SectionJob): void {
  const blocks = blockCount(j.array.byteLength);
  const closed = files.get(j.file)?.closed;
  let b = 0;
  while (b < blocks) {
    if (closed === undefined || Atomics.load(closed, 0) !== 0) return; // closed by the command's thread
    let end = b;
    while (end < blocks && end - b < RUN_BLOCKS && Atomics.compareExchange(j.states, end, NOT_READ, READING) === NOT_READ) end++;
    if (end === b) {
      b++; // read or being read by the command's thread
      continue;
    }
    readClaimed(j, b, end);
    b = end;
  }
}

/** Reads the blocks `list` (increasing) of section j that no thread has claimed, consecutive ones together. */
function readBlocks(j: SectionJob, list: Uint32Array): void {
  const closed = files.get(j.file)?.closed;
  const blocks = blockCount(j.array.byteLength);
  let i = 0;
  while (i < list.length) {
    if (closed === undefined || Atomics.load(closed, 0) !== 0) return; // closed by the command's thread
    const b = list[i]!;
    let end = b;
    let k = i;
    while (
      k < list.length &&
      list[k] === end &&
      end < blocks &&
      end - b < RUN_BLOCKS &&
      Atomics.compareExchange(j.states, end, NOT_READ, READING) === NOT_READ
    ) {
      end++;
      k++;
    }
    if (end === b) {
      i++; // read or being read by the command's thread (or past the end: not a block of it)
      continue;
    }
    readClaimed(j, b, end);
    i = k;
  }
}

/** Makes block b of section j READ: reads it when no thread has, waits when the other thread is reading it. */
function ensure(j: SectionJob, b: number): void {
  for (;;) {
    const state = Atomics.load(j.states, b);
    if (state === READ) return;
    if (state === NOT_READ) {
      if (Atomics.compareExchange(j.states, b, NOT_READ, READING) === NOT_READ) {
        readClaimed(j, b, b + 1);
        return;
      }
      continue;
    }
    Atomics.wait(j.states, b, READING, WAIT_MS);
  }
}

/** Reads and checks the claimed blocks `[b, end)` of section j; on failure gives them back and stops. */
function readClaimed(j: SectionJob, b: number, end: number): void {
  try {
    const fd = fdOf(j.file);
    const crcs = files.get(j.file)!.crcs;
    const bytes = bytesOf(j.array);
    const from = b * BLOCK;
    const to = Math.min(bytes.length, end * BLOCK);
    for (let off = from; off < to;) {
      const n = readSync(fd, bytes, off, to - off, j.position + off);
      if (n === 0) throw new Stop(j.file, "truncated");
      off += n;
    }
    for (let k = b; k < end; k++) {
      if (crc32(bytes.subarray(k * BLOCK, Math.min(bytes.length, (k + 1) * BLOCK))) !== crcs[j.crcBase + k])
        throw new Stop(j.file, "checksum");
    }
    if (j.check !== null) {
      const shift = shiftOf(j);
      const first = b << shift;
      const last = Math.min(j.array.length, end << shift);
      let context = {};
      if (j.check.kind === "first-edge" && first > 0) ensure(j, (first - 1) >>> shift);
      if (j.uses !== null) {
        const types = jobs.get(j.uses);
        if (types === undefined) throw new Stop(j.file, "forgotten");
        // Read only when the check needs them (see checkValues).
        context = {
          edgeTypes: () => {
            const ts = shiftOf(types);
            for (let k = first >>> ts; k <= (last - 1) >>> ts; k++) ensure(types, k);
            return types.array;
          },
        };
      }
      if (checkValues(j.check, j.array, first, last, context) !== null) throw new Stop(j.file, "values");
    }
  } catch (e) {
    for (let k = b; k < end; k++) Atomics.store(j.states, k, NOT_READ);
    for (let k = b; k < end; k++) Atomics.notify(j.states, k);
    throw e instanceof Stop ? e : new Stop(j.file, "cannot read it");
  }
  for (let k = b; k < end; k++) Atomics.store(j.states, k, READ);
  for (let k = b; k < end; k++) Atomics.notify(j.states, k);
}
