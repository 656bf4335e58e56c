/**
 * How V8 compiles the WebAssembly a picture runs (Graphviz's layout, resvg's rasteriser), for the
 * command line only: `bin/backrefs.js` chooses it at start, and the flag is set only while one of
 * those modules is instantiated (src/render/tiering.ts), then V8's own value is set again. V8's
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
import { useWasmTiering, type WasmTiering } from "../render/tiering.js";

/**
 * V8 major versions known to have the flag set here: an unknown flag is not an error but a
 * message on stderr, which a newer engine without it must not print on every command. (Node 20
 * has V8 11, Node 24 has V8 13.)
 */
const TUNED_V8_MAJORS = [11, 12, 13];

/** Whether `v8Version` (as in `process.versions.v8`) is one of {@link TUNED_V8_MAJORS}. */
function isTunedV8(v8Version: string): boolean {
  return TUNED_V8_MAJORS.includes(v8Major(v8Version));
}

/** The major version of `v8Version` (as in `process.versions.v8`), NaN when it has none. */
function v8Major(v8Version: string): number {
  return Number(/^(\d+)\./.exec(v8Version)?.[1]);
}

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
 * V8's own tiering budget, by major version, where known (V8 11 is Node 20's): what is set again
 * once the picture's modules are instantiated. While any V8 flag differs from its default, Node
 * compiles its own JavaScript from source in every worker thread started (~30 ms more CPU each on
 * Node 20). Where the default is not listed, the raised budget stays set, as it did before.
 */
const V8_DEFAULT_BUDGET: Readonly<Record<number, number>> = { 11: 1_800_000 };

/** The tiering the command line holds around instantiations, or null to leave V8 alone (see {@link wasmTieringFlag}). */
export function cliWasmTiering(execArgv: readonly string[], v8Version: string): WasmTiering | null {
  const flag = wasmTieringFlag(execArgv, v8Version);
  if (!flag) return null;
  const budget = V8_DEFAULT_BUDGET[v8Major(v8Version)];
  return { flag, restore: budget === undefined ? null : `--wasm-tiering-budget=${budget}`, active: new SharedArrayBuffer(4) };
}

/**
 * Has the picture's WebAssembly instantiated with {@link wasmTieringFlag} for the rest of the
 * process; called before any WebAssembly is compiled (the budget is read when a module is
 * instantiated).
 */
export function tuneWasmTiering(): void {
  useWasmTiering(cliWasmTiering(process.execArgv, process.versions.v8));
}
