// Cross-checks backrefs' analysis against Chrome DevTools' own code (heap-snapshot-toolkit) on one
// snapshot, node by node: DevTools self size (after shallow-size reassignment), distance, immediate
// dominator and retained size; then every class, by DevTools' class key (name, and script location
// where DevTools splits a name): count, self size, retained size (not double counted).
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
      if (examples.length < 10)
        examples.push(`${what} of @${graph.nodeId(n)} (${graph.className(n)}): DevTools ${devtools}, backrefs ${ours}`);
    }
  }
}

// Per class, as DevTools' Summary: count and self size skip objects of size 0; retained size is
// not double counted. Every class is compared, by DevTools' own class key: the name, plus the
// script location for the same-named constructors it keeps apart; plain-object shapes (`{a, b}`)
// and `Object` included.
const ours = new Map();
const { nodeClass } = graph.classes();
const classRetained = a.classRetainedSizes();
const keyOf = new Map();
const classKey = (id) => {
  let k = keyOf.get(id);
  if (k === undefined) {
    const loc = graph.classLocation(id);
    k = `${loc ? `${loc.scriptId},${loc.line},${loc.column}` : ""},${graph.classNameOf(id)}`;
    keyOf.set(id, k);
  }
  return k;
};
for (let n = 0; n < N; n++) {
  if (shallow[n] === 0) continue;
  const key = classKey(nodeClass[n]);
  const c = ours.get(key) ?? { count: 0, self: 0, retained: 0, ids: new Set() };
  c.count++;
  c.self += shallow[n];
  if (!c.ids.has(nodeClass[n])) {
    c.ids.add(nodeClass[n]);
    c.retained += classRetained[nodeClass[n]];
  }
  ours.set(key, c);
}
const aggregates = hst.aggregatesWithFilter({
  minNodeId: undefined,
  maxNodeId: undefined,
  allocationNodeId: undefined,
  filterName: undefined,
  equals() {
    return false;
  },
});
let classMismatch = 0;
let classes = 0;
let shapes = 0;
let split = 0;
const names = new Map();
for (const [key, d] of Object.entries(aggregates)) {
  classes++;
  if (d.name.startsWith("{")) shapes++;
  names.set(d.name, (names.get(d.name) ?? 0) + 1);
  const o = ours.get(key);
  if (!o || o.count !== d.count || o.self !== d.self || o.retained !== d.maxRet) {
    classMismatch++;
    if (examples.length < 20)
      examples.push(
        `class ${key}: DevTools ${d.count}/${d.self}/${d.maxRet}, backrefs ${o ? `${o.count}/${o.self}/${o.retained}` : "missing"}`,
      );
  }
}
for (const c of names.values()) if (c > 1) split++;
for (const [key, o] of ours) {
  if (key in aggregates) continue;
  classMismatch++;
  if (examples.length < 20) examples.push(`class ${key}: DevTools missing, backrefs ${o.count}/${o.self}/${o.retained}`);
}
console.log(
  `${file}: ${N} nodes; mismatches ${JSON.stringify(mismatches)}; classes ${classes} (${shapes} named {…}, ${split} names split by script), class mismatches ${classMismatch}`,
);
for (const e of examples) console.log("  " + e);
process.exit(Object.values(mismatches).some((v) => v > 0) || classMismatch > 0 ? 1 : 0);
