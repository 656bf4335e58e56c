/**
 * The checksum thread (see checksums.ts): sums the blocks of each section it is sent, and chooses
 * the id sample from the columns it is sent, in order.
 */
import { parentPort } from "node:worker_threads";
import { chooseIdSample } from "../graph/id-sample.js";
import { blockCrcs } from "./lazy.js";
import { packChosen, type ChecksumRequest, type ChecksumResponse } from "./checksums.js";

const port = parentPort!;
port.on("message", (m: ChecksumRequest) => {
  if ("idSample" in m) {
    const response: ChecksumResponse = { id: m.id, ...packChosen(chooseIdSample(m.idSample)) };
    port.postMessage(response, [
      response.refs.buffer as ArrayBuffer,
      response.ends.buffer as ArrayBuffer,
      response.chosen.chosen.buffer as ArrayBuffer,
    ]);
    return;
  }
  const sums = blockCrcs(m.bytes);
  const response: ChecksumResponse = { id: m.id, sums };
  port.postMessage(response, [sums.buffer as ArrayBuffer]);
});
