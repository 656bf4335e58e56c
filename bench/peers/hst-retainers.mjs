// heap-snapshot-toolkit: load (as hst-load.mjs), then do what a DevTools user
// does to ask "what retains a LeakyRequest": Summary view -> class
// LeakyRequest -> first instance -> Retainers pane (sorted by distance).
// Lists the direct retainers of that one instance, and follows the
// closest retainer upward to build one retaining path to a root.
import fs from "node:fs";
import { parse, DevToolsAPI } from "heap-snapshot-toolkit";
import { argFile, report, TARGET_CLASS } from "./common.mjs";

const { HeapSnapshotModel } = DevToolsAPI;
const file = argFile();
const t0 = performance.now();
const snapshot = await parse(fs.createReadStream(file, { encoding: "utf-8", highWaterMark: 1 << 20 }));
const loadMs = performance.now() - t0;

const aggregates = snapshot.aggregatesWithFilter(new HeapSnapshotModel.NodeFilter());
const entry = Object.values(aggregates).find((a) => a.name === TARGET_CLASS);
if (!entry) throw new Error(`no instance of ${TARGET_CLASS}`);
const byDistance = new HeapSnapshotModel.ComparatorConfig("!edgeDistance", true, "!edgeName", true);

function retainersOf(nodeIndex, limit = 100) {
  const provider = snapshot.createRetainingEdgesProvider(nodeIndex);
  provider.sortAndRewind(byDistance);
  return provider.serializeItemsRange(0, limit);
}

const targetIndex = entry.idxs[0];
const target = snapshot.createNode(targetIndex);
const range = retainersOf(targetIndex);
const retainers = range.items.map((e) => ({
  edge: e.name,
  type: e.type,
  from: e.node.name,
  id: e.node.id,
  distance: e.node.distance,
}));
// One path to the root: repeatedly step to the closest retainer (smallest
// DevTools distance), skipping weak edges, as the Retainers pane's first row.
const pathToRoot = [];
const node = snapshot.createNode(targetIndex);
for (let hop = 0; hop < 100; hop++) {
  let best = null;
  let bestDistance = Infinity;
  for (let it = node.retainers(); it.hasNext(); it.next()) {
    const e = it.item();
    if (e.type() === "weak") continue;
    const d = snapshot.nodeDistances[e.nodeIndex() / snapshot.nodeFieldCount];
    if (d >= 0 && d < bestDistance) {
      bestDistance = d;
      best = { nodeIndex: e.nodeIndex(), label: `${e.node().name()}@${e.node().id()} --${e.name()}-->` };
    }
  }
  if (!best || best.nodeIndex === snapshot.rootNodeIndex) break;
  pathToRoot.push(best.label);
  if (bestDistance <= 1) break;
  node.nodeIndex = best.nodeIndex;
}
report({
  tool: "heap-snapshot-toolkit",
  target: `${TARGET_CLASS}@${target.id()}`,
  instances: entry.count,
  retainerCount: range.totalLength,
  retainers: retainers.slice(0, 10),
  pathToRoot,
  loadMs: Math.round(loadMs),
});
