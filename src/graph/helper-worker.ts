/**
 * The analysis helper's thread (see helper.ts): runs the tasks it is sent, one at a time.
 */
import { parentPort } from "node:worker_threads";
import { runTask, type HelperRequest } from "./helper-tasks.js";

const port = parentPort!;
port.on("message", (m: HelperRequest) => {
  const { response, transfer } = runTask(m);
  port.postMessage(response, transfer);
});
