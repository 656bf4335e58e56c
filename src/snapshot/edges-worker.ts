/**
 * A worker thread that parses the `edges` array of a snapshot file while the main thread reads
 * the rest: on a 1 GB file the edges are ~60% of the bytes. It finds the array after the header,
 * says where it starts (the main thread then skips it), parses it with the same parser, and hands
 * the columns back without copying (they are in shared memory). See readSnapshotRaw.
 */
import { createReadStream } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { SnapshotFormatError } from "../errors.js";
import type { SnapshotMeta } from "./meta.js";
import { SnapshotParser } from "./parser.js";

export interface EdgesWorkerData {
  path: string;
  /** Where the header ended: the search for the edges array starts here. */
  from: number;
  meta: SnapshotMeta;
  sizeHint: number;
}

export type EdgesWorkerMessage =
  | { type: "found"; at: number }
  | { type: "done"; edgeType: Uint8Array; edgeName: Uint32Array; edgeTo: Uint32Array; maxStringRef: number }
  | { type: "error"; problem: string; offset: number; hint: string | undefined }
  | { type: "not-found" };

const KEY = Buffer.from('"edges"');

async function run(data: EdgesWorkerData): Promise<void> {
  const port = parentPort!;
  let parser: SnapshotParser | null = null;
  let carry = Buffer.alloc(0);
  let carryAt = data.from;
  for await (const chunk of createReadStream(data.path, { start: data.from, highWaterMark: 4 << 20 }) as AsyncIterable<Buffer>) {
    if (parser) {
      parser.write(chunk);
      if (parser.sectionDone) break;
      continue;
    }
    // Searching: keep a few bytes from the previous chunk so a key split in two is still found.
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const bufAt = carryAt;
    let at = -1;
    for (let k = buf.indexOf(KEY); k >= 0; k = buf.indexOf(KEY, k + 1)) {
      let j = k + KEY.length;
      while (j < buf.length && (buf[j] === 32 || buf[j] === 10 || buf[j] === 13 || buf[j] === 9)) j++;
      if (j >= buf.length) break; // undecided: look again with the next chunk
      if (buf[j] !== 58) continue;
      j++;
      while (j < buf.length && (buf[j] === 32 || buf[j] === 10 || buf[j] === 13 || buf[j] === 9)) j++;
      if (j >= buf.length) break;
      if (buf[j] !== 91) continue;
      at = j;
      break;
    }
    if (at < 0) {
      const keep = Math.min(buf.length, 64);
      carry = Buffer.from(buf.subarray(buf.length - keep));
      carryAt = bufAt + buf.length - keep;
      continue;
    }
    port.postMessage({ type: "found", at: bufAt + at } satisfies EdgesWorkerMessage);
    parser = SnapshotParser.forEdgesSection(data.meta, bufAt + at, data.sizeHint);
    parser.write(buf.subarray(at));
    if (parser.sectionDone) break;
  }
  if (!parser) {
    port.postMessage({ type: "not-found" } satisfies EdgesWorkerMessage);
    return;
  }
  const edges = parser.takeEdges();
  // The columns are in shared memory (see columns.ts): posting them shares them, no copy.
  port.postMessage({
    type: "done",
    edgeType: edges.type,
    edgeName: edges.name,
    edgeTo: edges.to,
    maxStringRef: edges.maxStringRef,
  } satisfies EdgesWorkerMessage);
}

run(workerData as EdgesWorkerData).catch((e: unknown) => {
  const message: EdgesWorkerMessage =
    e instanceof SnapshotFormatError
      ? { type: "error", problem: e.problem, offset: e.offset, hint: e.hint }
      : { type: "error", problem: `cannot read the edges (${(e as Error).message})`, offset: 0, hint: undefined };
  parentPort!.postMessage(message);
});
