// What naming classes costs in the full analysis: reads one snapshot, then times, in one process,
// the class index (every node's DevTools class name: plain objects named by their properties,
// constructors split per script, DOM and system names) apart from the rest of the full analysis
// (distances, dominators, retained sizes, per-class retained sizes).
//
//   npm run build && node bench/class-name-cost.mjs bench/data/large.heapsnapshot [runs]
//
// Each run is a fresh process (the class index is computed once per graph and then kept).
// Prints one line per run and the share of the class index in read + analysis.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const [file, runsArg, child] = process.argv.slice(2);
if (!file) {
  console.error("usage: node bench/class-name-cost.mjs <file.heapsnapshot> [runs]");
  process.exit(2);
}

if (child === "--child") {
  const { loadHeapGraph, HeapAnalysis } = await import("../dist/internals.js");
  const ms = () => performance.now();
  const t0 = ms();
  const graph = await loadHeapGraph(file);
  const t1 = ms();
  graph.classes();
  const t2 = ms();
  const analysis = new HeapAnalysis(graph);
  await analysis.prepare({ retained: true });
  analysis.classRetainedSizes();
  const t3 = ms();
  process.stdout.write(JSON.stringify({ read: t1 - t0, classes: t2 - t1, analysis: t3 - t2 }) + "\n");
} else {
  const runs = Number(runsArg ?? 3);
  const rows = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), file, "1", "--child"], { encoding: "utf8" });
    if (r.status !== 0) {
      console.error(r.stderr.trim());
      process.exit(1);
    }
    const row = JSON.parse(r.stdout);
    rows.push(row);
    const total = row.read + row.classes + row.analysis;
    console.log(
      `run ${i + 1}: read ${(row.read / 1e3).toFixed(2)} s, class names ${(row.classes / 1e3).toFixed(2)} s, ` +
        `rest of the analysis ${(row.analysis / 1e3).toFixed(2)} s: class names = ${((100 * row.classes) / total).toFixed(1)}% of ${(total / 1e3).toFixed(2)} s`,
    );
  }
  const best = (k) => Math.min(...rows.map((r) => r[k]));
  const total = best("read") + best("classes") + best("analysis");
  console.log(
    `best of ${runs}: class names ${(best("classes") / 1e3).toFixed(2)} s = ${((100 * best("classes")) / total).toFixed(1)}% of read + full analysis (${(total / 1e3).toFixed(2)} s)`,
  );
}
