/**
 * The analysis helper's thread (see helper.ts): runs the tasks it is sent, one at a time, and
 * before them, when asked, the snapshot's edges job. Only the edges job is loaded before the first
 * message: the thread is started while the snapshot is read, and the sooner it can take the edges,
 * the more of them it reads. The tasks' modules load meanwhile, and the tasks wait for them (in
 * the order they came: the chained ones rely on it).
 */
import { parentPort } from "node:worker_threads";
import { readEdgesJob } from "../snapshot/edges-job.js";
import type { EdgesRequest, HelperRequest } from "./helper-tasks.js";

const port = parentPort!;
const tasks = import("./helper-tasks.js");
// A failure is answered task by task (below); none is left unhandled before the first task.
tasks.catch(() => {});
port.on("message", (m: HelperRequest | EdgesRequest) => {
  if ("edges" in m) {
    // The snapshot's edges, while the main thread reads the rest (see AnalysisHelper.edgesThread).
    readEdgesJob(m.edges, (answer) => m.port.postMessage(answer));
    m.port.close();
    return;
  }
  void tasks.then(
    ({ runTask }) => {
      const { response, transfer } = runTask(m);
      port.postMessage(response, transfer);
    },
    (e: unknown) => port.postMessage({ id: m.id, ok: false, error: `the helper's tasks could not be loaded (${(e as Error).message})` }),
  );
});
