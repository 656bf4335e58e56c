/**
 * The Graphviz layout worker, started by svg.ts with `startWorker` (src/threads.ts), like every
 * worker of backrefs. Graphviz is loaded on the first job, one instance per worker.
 *
 * Protocol: the parent posts `{ id, dot }`; the worker answers `{ id, ok: true, svg }` or
 * `{ id, ok: false, message }`. The parent terminates the worker on timeout, abort, or any layout
 * error (a failed layout can leave the WASM instance in a bad state), and recycles it after many
 * layouts (upstream reports crashes after many layouts in one instance).
 */
import { parentPort } from "node:worker_threads";

/** A job from the parent. */
export interface LayoutJob {
  id: number;
  dot: string;
}

/** A message from the worker. */
export type LayoutReply = { id: number; ok: true; svg: string } | { id: number; ok: false; message: string };

interface Layout {
  layout(dot: string, format: "svg", engine: "dot"): string;
}

const port = parentPort;
if (port) {
  let graphviz: Promise<Layout> | undefined;
  port.on("message", async (job: LayoutJob) => {
    try {
      graphviz ??= import("@hpcc-js/wasm-graphviz").then((m) => m.Graphviz.load());
      const gv = await graphviz;
      const svg = gv.layout(job.dot, "svg", "dot");
      port.postMessage({ id: job.id, ok: true, svg } satisfies LayoutReply);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      port.postMessage({ id: job.id, ok: false, message } satisfies LayoutReply);
    }
  });
}
