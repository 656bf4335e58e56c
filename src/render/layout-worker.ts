/**
 * The code of the Graphviz layout worker, as source text for `new Worker(code, { eval: true })`.
 *
 * Why source text and not a file resolved with `new URL("./layout-worker.js", import.meta.url)`:
 * a worker file must be JavaScript that Node can load by itself. From the compiled `dist/render/`
 * that works, but the test suite and any tool that runs our TypeScript sources directly (vitest,
 * tsx) only has `layout-worker.ts` next to `svg.ts`, which a Node 20 worker cannot load; the worker
 * would then silently depend on a (possibly stale) `dist/`. Source text behaves identically in both
 * cases. Graphviz itself is still loaded by an ordinary `import()` of the installed package, whose
 * absolute URL the parent resolves and passes in `workerData.graphvizUrl`.
 *
 * Protocol: the parent posts `{ id, dot }`; the worker answers `{ id, ok: true, svg }` or
 * `{ id, ok: false, message }`. One Graphviz instance per worker, loaded on the first job. The
 * parent terminates the worker on timeout, abort, or any layout error (a failed layout can leave
 * the WASM instance in a bad state), and recycles it after many layouts (upstream reports crashes
 * after many layouts in one instance).
 */
export const LAYOUT_WORKER_SOURCE = `
"use strict";
const { parentPort, workerData } = require("node:worker_threads");
let graphviz;
parentPort.on("message", async (job) => {
  try {
    graphviz ??= import(workerData.graphvizUrl).then((m) => m.Graphviz.load());
    const gv = await graphviz;
    const svg = gv.layout(job.dot, "svg", "dot");
    parentPort.postMessage({ id: job.id, ok: true, svg });
  } catch (error) {
    const message = error && typeof error.message === "string" ? error.message : String(error);
    parentPort.postMessage({ id: job.id, ok: false, message });
  }
});
`;

/** A message from the worker. */
export type LayoutReply = { id: number; ok: true; svg: string } | { id: number; ok: false; message: string };
