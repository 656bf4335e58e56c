// heap-snapshot-toolkit (Chrome DevTools' heap snapshot worker, packaged for
// Node): load the snapshot the way DevTools does when it opens the file:
// stream-parse nodes/edges into typed arrays, JSON.parse the strings section,
// then JSHeapSnapshot.initialize() (edge indexes, retainers, DOM state, flags,
// dominator tree, shallow + retained sizes, distances, class names,
// statistics). DevTools cannot skip the analysis, so this script serves both
// the `info` and the `analysis` tasks.
import fs from "node:fs";
import { parse } from "heap-snapshot-toolkit";
import { argFile, report } from "./common.mjs";

const file = argFile();
const t0 = performance.now();
const snapshot = await parse(fs.createReadStream(file, { encoding: "utf-8", highWaterMark: 1 << 20 }));
const loadMs = performance.now() - t0;
const stats = snapshot.getStatistics();
report({
  tool: "heap-snapshot-toolkit",
  nodeCount: snapshot.nodeCount,
  totalSize: snapshot.totalSize,
  rootRetainedSize: snapshot.retainedSizes[snapshot.rootNode().ordinal()],
  statsTotal: stats.total,
  loadMs: Math.round(loadMs),
});
