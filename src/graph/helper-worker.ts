/**
 * The analysis helper's thread (see helper.ts): runs the tasks it is sent, one at a time.
 */
import { parentPort } from "node:worker_threads";
import { fillPredecessors, type FillInput } from "./dominators.js";
import { markEssential, type EssentialInput } from "./essential.js";
import { computeShallowSizes, type ShallowInput } from "./shallow.js";

export type HelperTask =
  | { task: "shallow"; input: ShallowInput }
  | { task: "fill-predecessors"; input: FillInput }
  | { task: "mark-essential"; input: EssentialInput; from: number; to: number };

export type HelperRequest = HelperTask & { id: number };

export type HelperResponse =
  | { id: number; ok: true; task: "shallow"; result: Float64Array }
  | { id: number; ok: true; task: "fill-predecessors"; result: true }
  | { id: number; ok: true; task: "mark-essential"; result: true }
  | { id: number; ok: false; error: string };

const port = parentPort!;
port.on("message", (m: HelperRequest) => {
  try {
    switch (m.task) {
      case "shallow": {
        const result = computeShallowSizes(m.input);
        port.postMessage({ id: m.id, ok: true, task: "shallow", result } satisfies HelperResponse, [result.buffer as ArrayBuffer]);
        return;
      }
      case "fill-predecessors":
        // Writes into the shared lists; the answer only says it is done.
        fillPredecessors(m.input);
        port.postMessage({ id: m.id, ok: true, task: "fill-predecessors", result: true } satisfies HelperResponse);
        return;
      case "mark-essential":
        markEssential(m.input, m.from, m.to);
        port.postMessage({ id: m.id, ok: true, task: "mark-essential", result: true } satisfies HelperResponse);
        return;
    }
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: (e as Error).message } satisfies HelperResponse);
  }
});
