/**
 * A worker thread that reads part of a cache entry while the main thread reads the rest: it fills
 * the arrays it is given (in shared memory, allocated by the main thread), computes their CRC-32s,
 * and checks the edge columns' values (type codes, targets) when it has them. See entry.ts.
 */
import { openSync, readSync, closeSync } from "node:fs";
import { crc32 } from "node:zlib";
import { parentPort, workerData } from "node:worker_threads";

export interface ReadJob {
  path: string;
  sections: { name: string; view: Uint8Array; position: number }[];
  /** For the edge checks: node count, edge type count and the element/hidden edge type codes. */
  nodeCount: number;
  edgeTypeCount: number;
  element: number;
  hidden: number;
}

export type ReadReply = { ok: true; crcs: number[]; maxEdgeName: number; problem: string | null } | { ok: false; message: string };

/** Reads and checksums the job's sections; checks the edges when they are among them. */
export function runReadJob(job: ReadJob): ReadReply {
  const fd = openSync(job.path, "r");
  const crcs: number[] = [];
  try {
    for (const s of job.sections) {
      let crc = 0;
      const PIECE = 16 << 20;
      for (let off = 0; off < s.view.length;) {
        const piece = s.view.subarray(off, Math.min(s.view.length, off + PIECE));
        let got = 0;
        while (got < piece.length) {
          const n = readSync(fd, piece, got, piece.length - got, s.position + off + got);
          if (n === 0) return { ok: false, message: "the file ends too early (truncated)" };
          got += n;
        }
        crc = crc32(piece, crc);
        off += piece.length;
      }
      crcs.push(crc);
    }
  } finally {
    closeSync(fd);
  }
  return checkEdges(job, crcs);
}

/** The edge columns' values, when they are among the job's sections: type codes and targets in range. */
export function checkEdges(job: ReadJob, crcs: number[]): ReadReply {
  const get = (name: string): Uint8Array | undefined => job.sections.find((s) => s.name === name)?.view;
  const type = get("edge.type");
  const toBytes = get("edge.to");
  const nameBytes = get("edge.name");
  let maxEdgeName = 0;
  let problem: string | null = null;
  if (type && toBytes && nameBytes) {
    const to = new Uint32Array(toBytes.buffer, toBytes.byteOffset, toBytes.byteLength / 4);
    const names = new Uint32Array(nameBytes.buffer, nameBytes.byteOffset, nameBytes.byteLength / 4);
    const { nodeCount: N, edgeTypeCount: et, element, hidden } = job;
    for (let e = 0; e < type.length; e++) {
      const t = type[e]!;
      if (t >= et) {
        problem = `edge ${e} has an unknown type`;
        break;
      }
      if (to[e]! >= N) {
        problem = `edge ${e} points past the last node`;
        break;
      }
      if (t !== element && t !== hidden && names[e]! > maxEdgeName) maxEdgeName = names[e]!;
    }
  }
  return { ok: true, crcs, maxEdgeName, problem };
}

if (parentPort && workerData && (workerData as { cacheReadJob?: ReadJob }).cacheReadJob) {
  const job = (workerData as { cacheReadJob: ReadJob }).cacheReadJob;
  let reply: ReadReply;
  try {
    reply = runReadJob(job);
  } catch (e) {
    reply = { ok: false, message: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  parentPort.postMessage(reply);
}
