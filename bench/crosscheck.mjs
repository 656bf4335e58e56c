// Cross-checks backrefs' analysis against Chrome DevTools' own code (heap-snapshot-toolkit) on one
// snapshot, node by node: DevTools self size (after shallow-size reassignment), distance, immediate
// dominator and retained size; then per class, every class by name (plain-object shapes `{a, b}`
// included): count, self size, retained size (not double counted).
//
//   node bench/crosscheck.mjs <file.heapsnapshot>
//
// Needs `npm run build` at the top and `cd bench && npm ci`. Exit code 1 on any mismatch.
import fs from "node:fs";
import { parse } from "heap-snapshot-toolkit";
import { loadHeapGraph } from "../dist/graph/load.js";
import { HeapAnalysis } from "../dist/graph/analysis.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/crosscheck.mjs <file.heapsnapshot>");
  process.exit(2);
}
const hst = await parse(fs.createReadStream(file, { encoding: "utf-8", highWaterMark: 1 << 20 }));
const graph = await loadHeapGraph(file);
const a = new HeapAnalysis(graph);
// The way the CLI computes it: with the helper thread (self sizes, half the essential marks and
// predecessor lists), so that path is the one checked.
await a.prepare({ parallel: true });
const N = graph.nodeCount;
const nfc = hst.nodeFieldCount;
const sizeOffset = hst.nodeSelfSizeOffset;
const shallow = a.shallowSizes();
const { distance } = a.distances();
const { idom } = a.dominators();
const retained = a.retainedSizes();

const mismatches = { selfSize: 0, distance: 0, dominator: 0, retainedSize: 0 };
const examples = [];
for (let n = 0; n < N; n++) {
  const checks = [
    ["selfSize", hst.nodes[n * nfc + sizeOffset], shallow[n]],
    ["distance", hst.nodeDistances[n], distance[n]],
    ["dominator", hst.dominatorsTree[n], idom[n]],
    ["retainedSize", hst.retainedSizes[n], retained[n]],
  ];
  for (const [what, devtools, ours] of checks) {
    if (devtools !== ours) {
      mismatches[what]++;
      if (examples.length < 10) examples.push(`${what} of @${graph.nodeId(n)} (${graph.className(n)}): DevTools ${devtools}, backrefs ${ours}`);
    }
  }
}

// Per class, as DevTools' Summary: count and self size skip objects of size 0; retained size is
// not double counted. Every class is compared, plain-object shapes (`{a, b}`) and `Object` too.
const ours = new Map();
const { nodeClass } = graph.classes();
const classRetained = a.classRetainedSizes();
for (let n = 0; n < N; n++) {
  if (shallow[n] === 0) continue;
  const name = graph.classNameOf(nodeClass[n]);
  const c = ours.get(name) ?? { count: 0, self: 0, retained: 0, parts: 0, ids: new Set() };
  c.count++;
  c.self += shallow[n];
  if (!c.ids.has(nodeClass[n])) {
    c.ids.add(nodeClass[n]);
    c.parts++;
    c.retained += classRetained[nodeClass[n]];
  }
  ours.set(name, c);
}
const aggregates = hst.aggregatesWithFilter({ minNodeId: undefined, maxNodeId: undefined, allocationNodeId: undefined, filterName: undefined, equals() { return false; } });
// DevTools keeps same-named constructors from different scripts apart (its class key holds the
// script location); those names are compared summed, and their retained size only when neither
// side splits the name.
const byName = new Map();
for (const agg of Object.values(aggregates)) {
  const d = byName.get(agg.name) ?? { count: 0, self: 0, retained: 0, parts: 0 };
  d.count += agg.count;
  d.self += agg.self;
  d.retained += agg.maxRet;
  d.parts++;
  byName.set(agg.name, d);
}
let classMismatch = 0;
let classes = 0;
let shapes = 0;
for (const [name, d] of byName) {
  classes++;
  if (name.startsWith("{")) shapes++;
  const o = ours.get(name);
  const sameRetained = d.parts > 1 || (o && o.parts > 1) || (o && o.retained === d.retained);
  if (!o || o.count !== d.count || o.self !== d.self || !sameRetained) {
    classMismatch++;
    if (examples.length < 20) examples.push(`class ${name}: DevTools ${d.count}/${d.self}/${d.retained}, backrefs ${o ? `${o.count}/${o.self}/${o.retained}` : "missing"}`);
  }
}
for (const [name, o] of ours) {
  if (byName.has(name)) continue;
  classMismatch++;
  if (examples.length < 20) examples.push(`class ${name}: DevTools missing, backrefs ${o.count}/${o.self}/${o.retained}`);
}
console.log(`${file}: ${N} nodes; mismatches ${JSON.stringify(mismatches)}; classes ${classes} (${shapes} named {…}), class mismatches ${classMismatch}`);
for (const e of examples) console.log("  " + e);
process.exit(Object.values(mismatches).some((v) => v > 0) || classMismatch > 0 ? 1 : 0);
