/**
 * The tasks the analysis helper runs (see helper.ts), as one function: the helper's thread calls
 * it for each message, and an in-process helper (tests, or no thread support) calls it directly.
 */
import { finishInPlace, numberFromRoot, type FinishInput, type NumberingInput } from "./dominators.js";
import { markEssential, type EssentialInput } from "./essential.js";
import { computeShallowSizes, type ShallowInput } from "./shallow.js";

export type HelperTask =
  | { task: "shallow"; input: ShallowInput }
  | { task: "number"; input: NumberingInput }
  | { task: "mark-essential"; input: EssentialInput; from: number; to: number }
  | { task: "finish-tree"; input: FinishInput };

export type HelperRequest = HelperTask & { id: number };

export type HelperResponse =
  | { id: number; ok: true; task: "shallow"; result: Float64Array }
  | { id: number; ok: true; task: "number"; result: number }
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
      case "number": {
        // Writes the numbering into the shared arrays it was given; answers how many nodes the
        // DFS from the root reached.
        const result = numberFromRoot(m.input);
        return { response: { id: m.id, ok: true, task: "number", result }, transfer: [] };
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
