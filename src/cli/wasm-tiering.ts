/**
 * How V8 compiles the WebAssembly a picture runs (Graphviz's layout, resvg's rasteriser), for the
 * command line only: `bin/backrefs.js` sets it at start, before any WebAssembly is compiled. V8's
 * flags belong to the whole process, so a program that uses the library, or calls `main()`
 * itself, keeps its own.
 *
 * V8 first compiles each WebAssembly function with its quick baseline compiler (Liftoff), then
 * recompiles a function with its optimising compiler (TurboFan) once the function has run about
 * `--wasm-tiering-budget` bytes of code (1.8 million by default in Node 20). Graphviz and resvg are
 * large, and one command runs each of them only a few times, so with the default budget V8 spends
 * more time optimising them than the optimised code saves: rasterising a 4000 × 2228 px picture
 * for the first time took 3.2–4.5 s, 0.8–1.1 s with this budget; the 54-box picture of the
 * 20 MB benchmark snapshot as PNG took half the CPU time (6.2 → 3.4 s, whole command) and peaked
 * 90 MB lower. A budget 555 times larger leaves the few layouts and the one rasterising of a
 * picture of the default size to the baseline code, while the functions that run for seconds (a
 * layout of hundreds of boxes, which a user asks for with `--max-nodes`) still get optimised: a
 * 789-box layout stays within 6% of its time with V8's default, where never optimising
 * (`--liftoff-only`) made it 28% slower (bench/README.md, "The picture's fixed costs"). The
 * output is the same either way: the compilers change the speed, not the result.
 */
import { setFlagsFromString } from "node:v8";
import { isTunedV8 } from "./v8-tuning.js";

/** The tiering budget the command line sets: see above. */
export const CLI_WASM_TIERING_BUDGET = 1_000_000_000;

/**
 * The V8 flag the command line sets, or null to leave V8's defaults: when the user started Node
 * with flags of their own about WebAssembly or Liftoff (`node --liftoff-only backrefs ...`), or on
 * a V8 version not known to have the flag.
 */
export function wasmTieringFlag(execArgv: readonly string[], v8Version: string): string | null {
  if (execArgv.some((a) => /^--(no-)?(wasm|liftoff)/.test(a))) return null;
  if (!isTunedV8(v8Version)) return null;
  return `--wasm-tiering-budget=${CLI_WASM_TIERING_BUDGET}`;
}

/**
 * Sets {@link wasmTieringFlag} for the rest of the process; called before any WebAssembly is
 * compiled (the budget is read when a module is instantiated).
 */
export function tuneWasmTiering(): void {
  const flag = wasmTieringFlag(process.execArgv, process.versions.v8);
  if (flag) setFlagsFromString(flag);
}
