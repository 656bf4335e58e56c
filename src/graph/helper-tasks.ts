/**
 * The tasks the analysis helper runs (see helper.ts), as one function: the helper's thread calls
 * it for each message, and an in-process helper (tests, or no thread support) calls it directly.
 */
import {
  finishInPlace,
  numberFromRoot,
  translatePredecessors,
  type FinishInput,
  type NumberingInput,
  type TranslateInput,
} from "./dominators.js";
import { markEssential, type EssentialInput } from "./essential.js";
import { walkPageOwned, walkPageOwnedMarking, type PageInput } from "./page-owned.js";
import { computeShallowSizes, type ShallowInput } from "./shallow.js";
import type { MessagePort } from "node:worker_threads";
import type { EdgesJobData } from "../snapshot/edges-job.js";

/**
 * Tasks that build on each other's results, sent together: each runs only if the one before it
 * succeeded (`stage[0] === after`, set by that task), and sets `stage[0]` to `after + 1` when it
 * succeeds. So a task whose input an earlier task failed to write writes nothing, and the caller
 * can redo the work alone. `stage` must be in shared memory.
 */
export interface Chain {
  stage: Int32Array;
  after: number;
}

export type HelperTask = (
  | { task: "shallow"; input: ShallowInput }
  | { task: "page-owned"; input: PageInput; essential?: EssentialInput }
  | { task: "number"; input: NumberingInput }
  | { task: "translate"; input: TranslateInput }
  | { task: "mark-essential"; input: EssentialInput; from: number; to: number; outsidePage?: boolean }
  | { task: "finish-tree"; input: FinishInput }
) & { chain?: Chain };

export type HelperRequest = HelperTask & { id: number };

/**
 * Sent to the helper's thread before any task, while the snapshot is read: it parses the edges
 * (snapshot/edges-job.ts) and answers through `port`, which it then closes.
 */
export interface EdgesRequest {
  edges: EdgesJobData;
  port: MessagePort;
}

export type HelperResponse =
  | { id: number; ok: true; task: "shallow"; result: Float64Array }
  | { id: number; ok: true; task: "number"; result: number }
  | { id: number; ok: true; task: "translate"; result: true }
  | { id: number; ok: true; task: "page-owned"; result: true }
  | { id: number; ok: true; task: "mark-essential"; result: true }
  | { id: number; ok: true; task: "finish-tree"; result: true }
  | { id: number; ok: false; error: string };

/** Runs one task; `transfer` lists the buffers to move (not copy) with the answer. */
export function runTask(m: HelperRequest): { response: HelperResponse; transfer: ArrayBuffer[] } {
  try {
    if (m.chain && Atomics.load(m.chain.stage, 0) !== m.chain.after) throw new Error("the task it builds on failed");
    const answer = run(m);
    if (m.chain) Atomics.store(m.chain.stage, 0, m.chain.after + 1);
    return answer;
  } catch (e) {
    return { response: { id: m.id, ok: false, error: (e as Error).message }, transfer: [] };
  }
}

function run(m: HelperRequest): { response: HelperResponse; transfer: ArrayBuffer[] } {
  switch (m.task) {
    case "shallow": {
      const result = computeShallowSizes(m.input);
      return { response: { id: m.id, ok: true, task: "shallow", result }, transfer: [result.buffer as ArrayBuffer] };
    }
    case "page-owned":
      // Writes the flags into the shared array it was given (and, given `essential`, the page's
      // essential edges into its mask).
      if (m.essential) walkPageOwnedMarking(m.input, m.essential);
      else walkPageOwned(m.input);
      return { response: { id: m.id, ok: true, task: "page-owned", result: true }, transfer: [] };
    case "translate":
      translatePredecessors(m.input);
      return { response: { id: m.id, ok: true, task: "translate", result: true }, transfer: [] };
    case "number": {
      // Writes the numbering into the shared arrays it was given; answers how many nodes the
      // DFS from the root reached.
      const result = numberFromRoot(m.input);
      return { response: { id: m.id, ok: true, task: "number", result }, transfer: [] };
    }
    case "mark-essential":
      markEssential(m.input, m.from, m.to, m.outsidePage);
      return { response: { id: m.id, ok: true, task: "mark-essential", result: true }, transfer: [] };
    case "finish-tree":
      // Writes the tree into the shared arrays it was given.
      finishInPlace(m.input);
      return { response: { id: m.id, ok: true, task: "finish-tree", result: true }, transfer: [] };
  }
}
