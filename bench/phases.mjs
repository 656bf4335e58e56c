#!/usr/bin/env node
// CPU time of each phase of the full analysis (`info`'s), on one thread, in one process, for one
// build or two: a way to compare two builds' phases on a shared machine, where the wall time of a
// whole command drifts by tens of percent. Each build reads the file once; then every round runs
// each build's phases on a fresh analysis of its own graph, the builds alternating, and the
// table shows each phase's best (lowest) CPU time over the rounds.
//
//   node --expose-gc bench/phases.mjs bench/data/medium.heapsnapshot . [/path/to/other/build] [--rounds 5]
//   node --expose-gc bench/phases.mjs bench/data/medium.heapsnapshot <base> . --two-threads
//
// --classes: only what follows the analysis' phases with the class index, without the analysis
// (`info --no-retained`'s work after the read: the class index, the tables, the entry's class table
// by name), with each one's best and median over the rounds. On a shared machine the median
// counts as much as the best.
//
// --two-threads: instead, the wall and CPU time of `HeapAnalysis.prepare({ parallel: true })` (the
// helper thread started each time, as a command starts it) followed by the class index and the
// per-class retained sizes, best and mean of the rounds.
//
// A build is a repository checkout with `dist/` built. The phases are those of
// `HeapAnalysis.prepare()` run on one thread (so the sum is not the two-thread wall time), plus
// the class index and the per-class retained sizes that `info` computes next, `info`'s tables
// (without and with the analysis) and the class table by name a first look's cache entry holds.
// Results are checked to be the same across builds (retained sizes, per-class retained sizes,
// the tables and the class table by name).
import { parseArgs } from "node:util";
import path from "node:path";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: "string", default: "5" },
    "two-threads": { type: "boolean", default: false },
    classes: { type: "boolean", default: false },
  },
});
const [file, ...dirs] = positionals;
if (!file || dirs.length === 0) {
  console.error("usage: node --expose-gc bench/phases.mjs <file> <build dir> [<build dir>] [--rounds N]");
  process.exit(2);
}
const rounds = Number(values.rounds);
const cpu = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const builds = [];
for (const dir of dirs) {
  const dist = path.resolve(dir, "dist/graph");
  const load = await import(path.join(dist, "load.js"));
  const analysis = await import(path.join(dist, "analysis.js"));
  const summary = await import(path.resolve(dir, "dist/query/summary.js"));
  const graph = await load.loadHeapGraph(file, { parallel: false });
  builds.push({ dir, graph, HeapAnalysis: analysis.HeapAnalysis, summarize: summary.summarize, best: new Map(), result: null });
}

/** The phases, in the order `info` needs them; each reads what the ones before computed. */
function phases(b) {
  const g = b.graph;
  if (values.classes) {
    return [
      ["class index", () => g.classes()],
      ["counts, --no-retained", () => (b.counts = b.summarize(g))],
      ["entry's class table", () => g.classParts()],
      ["(result)", () => (b.result = [[JSON.stringify(b.counts), ...g.classParts().named]])],
    ];
  }
  const a = new b.HeapAnalysis(g);
  return [
    // (the analysis keeps them: the distances and the essential edges read them)
    ["WeakMap entry names", () => a.weakMapTables()],
    ["distances", () => a.distances()],
    ["self sizes", () => a.shallowSizes()],
    ["essential edges", () => a.essentialEdges()],
    ["dominator tree", () => a.dominators()],
    ["retained sizes", () => a.retainedSizes()],
    ["class index", () => g.classes()],
    ["per-class retained sizes", () => a.classRetainedSizes()],
    // info's tables: without the analysis (--no-retained) and with it, then the class table by
    // name hash that a first look's cache entry holds
    ["counts, --no-retained", () => (b.counts = b.summarize(g))],
    ["counts, with analysis", () => (b.countsWith = b.summarize(g, { analysis: a }))],
    ["entry's class table", () => g.classParts()],
    [
      "(result)",
      () => (b.result = [a.retainedSizes(), a.classRetainedSizes(), [JSON.stringify([b.counts, b.countsWith]), ...g.classParts().named]]),
    ],
  ];
}

if (values["two-threads"]) {
  const runs = builds.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, b] of builds.entries()) {
      b.graph.classIndex = null;
      b.graph.domState = undefined;
      globalThis.gc?.();
      const a = new b.HeapAnalysis(b.graph);
      const t = performance.now();
      const c = cpu();
      await a.prepare({ parallel: true });
      b.graph.classes();
      b.result = [a.retainedSizes(), a.classRetainedSizes()];
      runs[i].push([performance.now() - t, cpu() - c]);
    }
  }
  console.log(`prepare({ parallel: true }) + class index + per-class retained sizes, ${rounds} rounds, ${file}`);
  for (const [i, b] of builds.entries()) {
    const wall = runs[i].map((x) => x[0]);
    const used = runs[i].map((x) => x[1]);
    const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
    console.log(
      `${b.dir}: wall best ${Math.min(...wall).toFixed(0)} ms, mean ${mean(wall).toFixed(0)} ms; ` +
        `CPU (both threads) best ${Math.min(...used).toFixed(0)} ms, mean ${mean(used).toFixed(0)} ms`,
    );
  }
}

for (let r = 0; r < (values["two-threads"] ? 0 : rounds); r++) {
  for (const b of builds) {
    // A fresh class index each round (the graph keeps it once computed).
    b.graph.classIndex = null;
    b.graph.namedClasses = null;
    b.graph.domState = undefined;
    globalThis.gc?.();
    for (const [name, run] of phases(b)) {
      const c = cpu();
      run();
      const t = cpu() - c;
      b.best.set(name, Math.min(b.best.get(name) ?? Infinity, t));
      b.all ??= new Map();
      b.all.set(name, [...(b.all.get(name) ?? []), t]);
    }
  }
}

const [first, ...others] = builds;
const table = !values["two-threads"];
for (const b of others) {
  const same = (x, y) => x.length === y.length && x.every((v, i) => v === y[i]);
  if (!first.result.every((x, i) => same(x, b.result[i]))) {
    console.error(`${b.dir}: the results differ from ${first.dir}'s`);
    process.exitCode = 1;
  }
}
if (!table) process.exit();
const names = [...first.best.keys()].filter((n) => n !== "(result)");
console.log(`best CPU ms of ${rounds} rounds, one thread, ${file}`);
console.log(["phase".padEnd(26), ...builds.map((b) => b.dir.slice(-24).padStart(24))].join(" "));
for (const n of names) console.log([n.padEnd(26), ...builds.map((b) => b.best.get(n).toFixed(0).padStart(24))].join(" "));
const total = (b) => names.reduce((s, n) => s + b.best.get(n), 0);
console.log(["sum".padEnd(26), ...builds.map((b) => total(b).toFixed(0).padStart(24))].join(" "));
if (values.classes) {
  // The median of each round's sum (the rounds' best phases may come from different rounds).
  const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  const sums = (b) => b.all.get(names[0]).map((_, r) => names.reduce((s, n) => s + b.all.get(n)[r], 0));
  console.log(["median sum of a round".padEnd(26), ...builds.map((b) => median(sums(b)).toFixed(0).padStart(24))].join(" "));
}
