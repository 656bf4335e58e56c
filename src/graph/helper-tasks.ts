/**
 * The tasks the analysis helper runs (see helper.ts), as one function: the helper's thread calls
 * it for each message, and an in-process helper (tests, or no thread support) calls it directly.
 */
import { buildPredecessors, finishInPlace, type FinishInput, type PredecessorInput } from "./dominators.js";
import { markEssential, type EssentialInput } from "./essential.js";
import { computeShallowSizes, type ShallowInput } from "./shallow.js";

export type HelperTask =
  | { task: "shallow"; input: ShallowInput }
  | { task: "predecessors"; input: PredecessorInput }
  | { task: "mark-essential"; input: EssentialInput; from: number; to: number }
  | { task: "finish-tree"; input: FinishInput };

export type HelperRequest = HelperTask & { id: number };

export type HelperResponse =
  | { id: number; ok: true; task: "shallow"; result: Float64Array }
  | { id: number; ok: true; task: "predecessors"; result: Uint32Array }
  | { id: number; ok: true; task: "mark-essential"; result: true }
  | { id: number; ok: true; task: "finish-tree"; result: true }
  | { id: number; ok: false; error: string };

/** Runs one task; `transfer` lists the buffers to move (not copy) with the answer. */
export function runTask(m: HelperRequest): { response: HelperResponse; transfer: ArrayBuffer[] } {
  try {
    switch (m.task) {
      case "shallow": {
        const result = computeShallowSizes(m.input);
        return { response: { id: m.id, ok: true, task: "shallow", result }, transfer: [result.buffer as ArrayBuffer] };
      }
      case "predecessors": {
        // The lists are in shared memory (the answer shares them, nothing is copied); the starts
        // and flags are written into the input's shared arrays.
        const result = buildPredecessors(m.input);
        return { response: { id: m.id, ok: true, task: "predecessors", result }, transfer: [] };
      }
      case "mark-essential":
        markEssential(m.input, m.from, m.to);
        return { response: { id: m.id, ok: true, task: "mark-essential", result: true }, transfer: [] };
      case "finish-tree":
        // Writes the tree into the shared arrays it was given.
        finishInPlace(m.input);
        return { response: { id: m.id, ok: true, task: "finish-tree", result: true }, transfer: [] };
    }
  } catch (e) {
    return { response: { id: m.id, ok: false, error: (e as Error).message }, transfer: [] };
  }
}
