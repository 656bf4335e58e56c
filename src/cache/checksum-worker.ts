/**
 * The checksum thread (see checksums.ts): sums the blocks of each section it is sent, in order.
 */
import { parentPort } from "node:worker_threads";
import { blockCrcs } from "./lazy.js";
import type { ChecksumRequest, ChecksumResponse } from "./checksums.js";

const port = parentPort!;
port.on("message", (m: ChecksumRequest) => {
  const sums = blockCrcs(m.bytes);
  const response: ChecksumResponse = { id: m.id, sums };
  port.postMessage(response, [sums.buffer as ArrayBuffer]);
});
