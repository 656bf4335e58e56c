/**
 * The Graphviz layout worker, started by svg.ts with `startWorker` (src/threads.ts), like every
 * worker of backrefs. Graphviz is loaded on the first job, one instance per worker.
 *
 * The worker is started with {@link LayoutWorkerData}: where to keep Graphviz's decoded program
 * (graphviz-wasm.ts), if anywhere, and the V8 flag to hold while Graphviz is instantiated, if any.
 *
 * Protocol: the parent posts `{ id, dot }`; the worker answers `{ id, ok: true, svg }` or
 * `{ id, ok: false, message }`. The parent may also post `{ warmUp: dot, rounds }` (no answer): the
 * worker loads Graphviz and lays that graph out up to `rounds` times, stopping as soon as a real
 * job arrives, so that the real layouts find Graphviz loaded and its code compiled (warm-up.ts).
 * Jobs are done one at a time, in the order posted: the parent may post a job before the one
 * running is answered (a layout made ahead, svg.ts). The parent terminates the worker on timeout,
 * abort, or any layout error (a failed layout can leave the WASM instance in a bad state), and
 * recycles it after many layouts (upstream reports crashes after many layouts in one instance).
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Layout } from "./graphviz-wasm.js";
import { whileInstantiating, type WasmTiering } from "./tiering.js";

/** What the worker is started with. */
export interface LayoutWorkerData {
  /** The directory to keep Graphviz's decoded program in; null: load Graphviz as the package does. */
  keepProgramIn: string | null;
  /** Held while Graphviz is instantiated (tiering.ts); null: V8's flags are left alone. */
  wasmTiering: WasmTiering | null;
}

/** A job from the parent. */
export interface LayoutJob {
  id: number;
  dot: string;
}

/** Lay out `warmUp` (discarding the result) up to `rounds` times while no real job is waiting. */
export interface WarmUpJob {
  warmUp: string;
  rounds: number;
}

/** A message from the worker. */
export type LayoutReply = { id: number; ok: true; svg: string } | { id: number; ok: false; message: string };

const port = parentPort;
if (port) {
  let graphviz: Promise<Layout> | undefined;
  const data = workerData as Partial<LayoutWorkerData> | null;
  const keepIn = data?.keepProgramIn;
  const tiering = data?.wasmTiering ?? null;
  const load = (): Promise<Layout> =>
    (graphviz ??=
      typeof keepIn === "string"
        ? import("./graphviz-wasm.js").then((m) => m.loadGraphviz(keepIn, m.KNOWN_GRAPHVIZ, tiering)).then((l) => l.graphviz)
        : import("@hpcc-js/wasm-graphviz").then((m) => whileInstantiating(tiering, () => m.Graphviz.load())));
  /** Real jobs received so far: the warm-up stops at the first. */
  let jobs = 0;
  const warmUp = async ({ warmUp: dot, rounds }: WarmUpJob): Promise<void> => {
    try {
      const gv = await load();
      for (let i = 0; i < rounds && jobs === 0; i++) {
        gv.layout(dot, "svg", "dot");
        // Let a real job in between two rounds.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch {
      // A failed warm-up may have left the instance unusable: the next job loads a fresh one and
      // reports its own errors.
      graphviz = undefined;
    }
  };
  port.on("message", async (job: LayoutJob | WarmUpJob) => {
    if ("warmUp" in job) {
      void warmUp(job);
      return;
    }
    jobs++;
    try {
      const gv = await load();
      const svg = gv.layout(job.dot, "svg", "dot");
      port.postMessage({ id: job.id, ok: true, svg } satisfies LayoutReply);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({ id: job.id, ok: false, message } satisfies LayoutReply);
    }
  });
}
