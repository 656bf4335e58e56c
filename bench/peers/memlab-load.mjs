// @memlab/core: load a snapshot from a file.
//
//   node memlab-load.mjs <file>          parse only: utils.getSnapshotFromFile()
//                                        (nodes/edges/locations into typed
//                                        arrays, the rest JSON.parse'd, a
//                                        node-id index) = memlab's "minimal
//                                        heap".  Used by the `info` task.
//   node memlab-load.mjs <file> --full   + analysis.preparePathFinder(): shortest
//                                        paths from the roots (distances),
//                                        dominators and retained sizes, Fiber
//                                        marking = exactly what
//                                        @memlab/heap-analysis'
//                                        getFullHeapFromFile() does (that
//                                        package is not a dependency; this is its
//                                        3-line body).  Used by `analysis`.
//
// @memlab/core 2.0.5 has no file-size check of its own (no 900 MB refusal in
// this code path); the limits it hits are V8's (string length, heap size).
import memlab from "@memlab/core";
import { argFile, report } from "./common.mjs";

const { config, utils, analysis, ErrorHandling } = memlab;
const file = argFile();
const full = process.argv.includes("--full");
config.muteConsole = true; // no progress spinner on stdout
config.errorHandling = ErrorHandling.Throw; // surface the real error, do not process.exit(1)

try {
  const t0 = performance.now();
  const heap = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
  const parseMs = performance.now() - t0;
  let rootRetainedSize;
  if (full) {
    analysis.preparePathFinder(heap);
    rootRetainedSize = heap.nodes.get(0).retainedSize;
  }
  report({
    tool: "@memlab/core",
    mode: full ? "full" : "parse",
    nodeCount: heap.nodes.length,
    edgeCount: heap.edges.length,
    rootRetainedSize,
    parseMs: Math.round(parseMs),
    totalMs: Math.round(performance.now() - t0),
  });
} catch (err) {
  console.error(`${err?.name ?? "Error"}: ${err?.message ?? err}`);
  process.exitCode = 1;
}
