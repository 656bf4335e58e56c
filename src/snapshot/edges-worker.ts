/**
 * A worker thread that runs the edges job (edges-job.ts) once, on the data it was started with,
 * while the main thread reads the rest of the file. See readSnapshotRaw.
 */
import { parentPort, workerData } from "node:worker_threads";
import { readEdgesJob, type EdgesJobData, type EdgesJobMessage } from "./edges-job.js";

/** What the worker is started with (`workerData`). */
export type EdgesWorkerData = EdgesJobData;
/** What the worker posts. */
export type EdgesWorkerMessage = EdgesJobMessage;

readEdgesJob(workerData as EdgesWorkerData, (m) => parentPort!.postMessage(m));
