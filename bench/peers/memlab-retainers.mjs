// @memlab/core: load (parse, as memlab-load.mjs), find one LeakyRequest, list
// its direct referrers (skipping weak edges) and the retainer path memlab
// reports for it (`memlab trace`-style: TraceFinder.annotateShortestPaths()
// then getPathToGCRoots()).  Dominators/retained sizes are not computed: they
// are not needed to list retainers.
import memlab from "@memlab/core";
import { argFile, report, TARGET_CLASS } from "./common.mjs";

const { config, utils, ErrorHandling, TraceFinder } = memlab;
const file = argFile();
config.muteConsole = true;
config.errorHandling = ErrorHandling.Throw;

try {
  const t0 = performance.now();
  const heap = await utils.getSnapshotFromFile(file, { buildNodeIdIndex: true });
  const parseMs = performance.now() - t0;
  const target = heap.getAnyObjectWithClassName(TARGET_CLASS);
  if (!target) throw new Error(`no instance of ${TARGET_CLASS}`);
  const retainers = target.referrers
    .filter((e) => e.type !== "weak")
    .map((e) => ({ edge: e.name_or_index, type: e.type, from: e.fromNode.name, id: e.fromNode.id }));
  const finder = new TraceFinder();
  finder.annotateShortestPaths(heap);
  const pathToRoot = [];
  for (let p = finder.getPathToGCRoots(heap, target); p && p.next; p = p.next) {
    pathToRoot.push(`${p.node.name}@${p.node.id} --${p.edge.name_or_index}-->`);
  }
  report({
    tool: "@memlab/core",
    target: `${TARGET_CLASS}@${target.id}`,
    retainerCount: retainers.length,
    retainers: retainers.slice(0, 10),
    pathToRoot: pathToRoot.reverse(),
    parseMs: Math.round(parseMs),
    totalMs: Math.round(performance.now() - t0),
  });
} catch (err) {
  console.error(`${err?.name ?? "Error"}: ${err?.message ?? err}`);
  process.exitCode = 1;
}
