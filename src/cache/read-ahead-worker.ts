/**
 * The read-ahead thread (see read-ahead.ts): reads the sections it is asked for, in order, into
 * their shared memory, claiming each run of blocks first and marking each block READ only once
 * its CRC-32 and values have passed the checks the command's thread makes (lazy.ts, checks.ts).
 * A block that fails, or a file that is not the one the command opened any more, stops the thread: what it claimed
 * is given back, and the command's thread reads it and reports the damage.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { crc32 } from "node:zlib";
import { checkValues } from "./checks.js";
import { BLOCK, BLOCK_SHIFT, NOT_READ, READ, READING, blockCount, bytesOf, type FileIdentity, type SectionJob } from "./lazy.js";
import type { ReadAheadRequest } from "./read-ahead.js";

/** Blocks claimed and read at a time (4 MB): small enough that both threads share a section they both want. */
const RUN_BLOCKS = 64;
/** How long a dependency claimed by the command's thread is waited for, at most, per try. */
const WAIT_MS = 1000;

const files = new Map<string, FileIdentity>();
const jobs = new Map<string, SectionJob>();
let stopped = false;

/** Thrown to stop: a file changed, or a block failed. */
class Stop extends Error {}

/** The files opened for one request, by key: each checked to be the one the command opened. */
let open = new Map<string, number>();

function fdOf(key: string): number {
  let fd = open.get(key);
  if (fd === undefined) {
    const f = files.get(key)!;
    fd = openSync(f.path, "r");
    open.set(key, fd);
    const st = fstatSync(fd, { bigint: true });
    if (String(st.ino) !== f.ino || String(st.dev) !== f.dev) throw new Stop("another file");
  }
  return fd;
}

parentPort!.on("message", (m: ReadAheadRequest) => {
  for (const f of m.files) files.set(f.key, f);
  for (const j of m.jobs) if (!jobs.has(j.key)) jobs.set(j.key, j);
  if (stopped) return;
  try {
    for (const key of m.order) readSection(jobs.get(key)!);
  } catch {
    stopped = true;
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
  let b = 0;
  while (b < blocks) {
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
      if (n === 0) throw new Stop("truncated");
      off += n;
    }
    for (let k = b; k < end; k++) {
      if (crc32(bytes.subarray(k * BLOCK, Math.min(bytes.length, (k + 1) * BLOCK))) !== crcs[j.crcBase + k]) throw new Stop("checksum");
    }
    if (j.check !== null) {
      const shift = shiftOf(j);
      const first = b << shift;
      const last = Math.min(j.array.length, end << shift);
      let context = {};
      if (j.check.kind === "first-edge" && first > 0) ensure(j, (first - 1) >>> shift);
      if (j.uses !== null) {
        const types = jobs.get(j.uses)!;
        const ts = shiftOf(types);
        for (let k = first >>> ts; k <= (last - 1) >>> ts; k++) ensure(types, k);
        context = { edgeTypes: types.array };
      }
      if (checkValues(j.check, j.array, first, last, context) !== null) throw new Stop("values");
    }
  } catch (e) {
    for (let k = b; k < end; k++) Atomics.store(j.states, k, NOT_READ);
    for (let k = b; k < end; k++) Atomics.notify(j.states, k);
    throw e;
  }
  for (let k = b; k < end; k++) Atomics.store(j.states, k, READ);
  for (let k = b; k < end; k++) Atomics.notify(j.states, k);
}
