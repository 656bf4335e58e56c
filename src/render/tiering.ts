/**
 * A V8 flag held only while the picture's WebAssembly (Graphviz in a layout worker, resvg in the
 * calling thread) is instantiated, then given back: the command line's way to raise V8's
 * WebAssembly tiering budget for those two modules alone (src/cli/wasm-tiering.ts says why).
 *
 * V8 reads the budget when a module is instantiated, so the flag need not stay set afterwards; and
 * while any V8 flag differs from its default, every worker thread started (the edges reader, the
 * analysis helper, the cache's threads) and every built-in module Node loads compiles Node's own
 * JavaScript from source instead of taking its built-in code cache: ~30 ms more CPU per worker on
 * Node 20, for commands that draw nothing. By default (the library) nothing is set.
 */
import { setFlagsFromString } from "node:v8";

export interface WasmTiering {
  /** Set before an instantiation, e.g. `--wasm-tiering-budget=1000000000`. */
  flag: string;
  /** Set once no instantiation is under way, V8's own value (null when not known: the flag then stays). */
  restore: string | null;
  /** One Int32: instantiations under way in every thread of the process (shared with the layout workers). */
  active: SharedArrayBuffer;
}

let current: WasmTiering | null = null;

/** Holds `tiering` around the instantiations started from now on, in this thread and in layout workers started later; null: none. */
export function useWasmTiering(tiering: WasmTiering | null): void {
  current = tiering;
}

/** What {@link useWasmTiering} set (layout workers are started with it). */
export function wasmTiering(): WasmTiering | null {
  return current;
}

/**
 * Runs `instantiate` with `tiering`'s flag set, and restores V8's value when the last instantiation
 * under way in the process ends. Two threads racing at the edges (one ending as another begins) can
 * leave one instantiation with V8's own budget: slower code, never different output.
 */
export async function whileInstantiating<T>(tiering: WasmTiering | null | undefined, instantiate: () => Promise<T>): Promise<T> {
  if (!tiering) return instantiate();
  const active = new Int32Array(tiering.active);
  if (Atomics.add(active, 0, 1) === 0) setFlagsFromString(tiering.flag);
  try {
    return await instantiate();
  } finally {
    if (Atomics.sub(active, 0, 1) === 1 && tiering.restore) setFlagsFromString(tiering.restore);
  }
}
