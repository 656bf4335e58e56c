/**
 * `backrefs/internals`: the lower-level pieces under the library object — the reader, the graph,
 * the analysis, the queries (which take node ordinals), the renderers. For tools built on
 * backrefs; most code wants `openSnapshot()` from `backrefs`. Re-exports only.
 */
export * from "./errors.js";
export { readSnapshotRaw, type ReadOptions, type ReadProgress } from "./snapshot/read.js";
export type { WorkerReport } from "./threads.js";
export { SnapshotParser, type RawSnapshot } from "./snapshot/parser.js";
export { HeapGraph, syntheticClassName, domClassName, objectClassName, type ClassLocation } from "./graph/heap-graph.js";
export { formatPropertyName, type InterfaceDefinition } from "./graph/class-names.js";
export { loadHeapGraph, type LoadOptions } from "./graph/load.js";
export { CacheSession, type CacheEvent } from "./cache/session.js";
export { checkLimits, limitList, type CheckLimitsOptions } from "./query/check.js";
export { SnapshotCache, DEFAULT_CACHE_MAX_BYTES, type CacheOptions, type CacheLookup, type CacheKey, type SaveResult, type CacheListing } from "./cache/store.js";
export { HeapAnalysis, NO_DISTANCE, BASE_SYSTEM_DISTANCE, type Phase, type AnalysisParts } from "./graph/analysis.js";
export { dominatorTree, type DominatorTree } from "./graph/dominators.js";
export { retainedSizes } from "./graph/retained-sizes.js";
export { summarize, classTable, classStat, topIndices, type SnapshotSummary, type ClassStat, type ClassTable, type ClassSort } from "./query/summary.js";
export { selectNodes, type Selector, type Selection } from "./query/select.js";
export {
  retainerSubgraph,
  walkContext,
  chooseTargets,
  shortestPath,
  defaultBackrefsOptions,
  type BackrefsOptions,
  type WalkContext,
} from "./query/backrefs.js";
export {
  groupRetainingPaths,
  PathGroups,
  DEFAULT_GROUP_NODES,
  type GroupOptions,
  type GroupedPathsReport,
  type GroupPattern,
  type GroupStep,
} from "./query/group.js";
export { foldChains, MIN_FOLDED_CHAIN } from "./query/fold.js";
export { retainingPaths, whyAlive, kShortestPaths, type RetainingPath, type WhyAlive, type PathHop, type PathObject } from "./query/paths.js";
export { diffSnapshots, findLeaks, type SnapshotDiff, type ClassDiff, type LeakReport, type LeakGroup } from "./query/growth.js";
export { IdSet } from "./graph/id-set.js";
export { idTrust, assertComparableIds, SnapshotIds, type IdTrust } from "./query/id-trust.js";
export type * from "./query/types.js";
export { toDot, renderSvg, renderPng, closeLayoutWorker, formatBytes, edgeLabel, layoutToFit, measureSvg, pngSize, type FittedPicture, type FitOptions } from "./render/index.js";
export { formatPathsText, formatWhyText } from "./render/paths-text.js";
export { describeSubgraph, type PictureText } from "./render/describe.js";
export { formatGroupedText } from "./render/grouped-text.js";
export { ownedObjects, OWNED_CLASS_NAMES } from "./api/own.js";
