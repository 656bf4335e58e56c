/**
 * The read-ahead thread (see read-ahead.ts): reads the sections it is asked for, in order, into
 * their shared memory, claiming each run of blocks first and marking each block READ only once
 * its CRC-32 and values have passed the checks the command's thread makes (lazy.ts, checks.ts).
 * A block that fails, or a file that is not the entry any more, stops the thread: what it claimed
 * is given back, and the command's thread reads it and reports the damage.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { crc32 } from "node:zlib";
import { checkValues } from "./checks.js";
import { BLOCK, BLOCK_SHIFT, NOT_READ, READ, READING, blockCount, bytesOf, type SectionJob } from "./lazy.js";
import type { ReadAheadRequest, ReadAheadStart } from "./read-ahead.js";

/** Blocks claimed and read at a time (4 MB): small enough that both threads share a section they both want. */
const RUN_BLOCKS = 64;
/** How long a dependency claimed by the command's thread is waited for, at most, per try. */
const WAIT_MS = 1000;

const start = workerData as ReadAheadStart;
const jobs = new Map<string, SectionJob>();
let stopped = false;

/** Thrown to stop: the file changed, or a block failed. */
class Stop extends Error {}

parentPort!.on("message", (m: ReadAheadRequest) => {
  for (const j of m.jobs) if (!jobs.has(j.name)) jobs.set(j.name, j);
  if (stopped) return;
  let fd: number | null = null;
  try {
    fd = openSync(start.path, "r");
    const st = fstatSync(fd, { bigint: true });
    if (String(st.ino) !== start.ino || String(st.dev) !== start.dev) throw new Stop("another file");
    for (const name of m.order) readSection(fd, jobs.get(name)!);
  } catch {
    stopped = true;
  } finally {
    if (fd !== null) closeSync(fd);
  }
});

function shiftOf(j: SectionJob): number {
  return BLOCK_SHIFT - Math.log2(j.array.BYTES_PER_ELEMENT);
}

/** Reads every block of section j that no thread has claimed. */
function readSection(fd: number, j: SectionJob): void {
  const blocks = blockCount(j.array.byteLength);
  let b = 0;
  while (b < blocks) {
    let end = b;
    while (end < blocks && end - b < RUN_BLOCKS && Atomics.compareExchange(j.states, end, NOT_READ, READING) === NOT_READ) end++;
    if (end === b) {
      b++; // read or being read by the command's thread
      continue;
    }
    readClaimed(fd, j, b, end);
    b = end;
  }
}

/** Makes block b of section j READ: reads it when no thread has, waits when the other thread is reading it. */
function ensure(fd: number, j: SectionJob, b: number): void {
  for (;;) {
    const state = Atomics.load(j.states, b);
    if (state === READ) return;
    if (state === NOT_READ) {
      if (Atomics.compareExchange(j.states, b, NOT_READ, READING) === NOT_READ) {
        readClaimed(fd, j, b, b + 1);
        return;
      }
      continue;
    }
    Atomics.wait(j.states, b, READING, WAIT_MS);
  }
}

/** Reads and checks the claimed blocks `[b, end)` of section j; on failure gives them back and stops. */
function readClaimed(fd: number, j: SectionJob, b: number, end: number): void {
  try {
    const bytes = bytesOf(j.array);
    const from = b * BLOCK;
    const to = Math.min(bytes.length, end * BLOCK);
    for (let off = from; off < to;) {
      const n = readSync(fd, bytes, off, to - off, j.position + off);
      if (n === 0) throw new Stop("truncated");
      off += n;
    }
    for (let k = b; k < end; k++) {
      if (crc32(bytes.subarray(k * BLOCK, Math.min(bytes.length, (k + 1) * BLOCK))) !== start.crcs[j.crcBase + k])
        throw new Stop("checksum");
    }
    if (j.check !== null) {
      const shift = shiftOf(j);
      const first = b << shift;
      const last = Math.min(j.array.length, end << shift);
      let context = {};
      if (j.check.kind === "first-edge" && first > 0) ensure(fd, j, (first - 1) >>> shift);
      if (j.uses !== null) {
        const types = jobs.get(j.uses)!;
        const ts = shiftOf(types);
        for (let k = first >>> ts; k <= (last - 1) >>> ts; k++) ensure(fd, types, k);
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
