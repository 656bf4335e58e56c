/**
 * backrefs as a library. One way in — `openSnapshot(pathOrStream)` for a file, `liveSnapshot()`
 * for the process you are in — returning a {@link Snapshot} that takes heap ids and answers
 * `types()`, `diff()`, `retainers()` and `why()`; objgraph's calls for the running process
 * (`showGrowth`, `byType`, `showBackrefs`, `whyAlive`) and LeakCanary's `watch()`.
 * Lower-level pieces: `backrefs/internals`. Re-exports only.
 */
export * from "./errors.js";
export {
  openSnapshot,
  Snapshot,
  RetainerGraph,
  parseId,
  type HeapId,
  type Selection,
  type RetainersOptions,
  type WhyOptions,
  type TypesOptions,
  type DiffOptions,
  type SnapshotComparison,
  type CheckOptions,
  type LeaksOptions,
  type LeaksReport,
  type WhyReport,
  type OpenOptions,
  type PngOptions,
  type SaveOptions,
} from "./api/snapshot.js";
export type { OutputFormat } from "./api/files.js";
export type { ClassStat, ClassSort } from "./query/summary.js";
export type { SnapshotDiff, ClassDiff, DiffSort, LeakGroup } from "./query/growth.js";
export type { CheckVerdict, CheckViolation, Limit, Limits, LimitList } from "./query/check.js";
export type { GroupedPathsReport } from "./query/group.js";
export type { SnapshotSummary, TypeStat } from "./query/summary.js";
export type { WhyAlive, RetainingPath, PathHop, PathObject } from "./query/paths.js";
export type * from "./query/types.js";
export type { ToDotOptions } from "./render/dot.js";
export type { RenderSvgOptions } from "./render/svg.js";
export type { ReadOptions, ReadProgress } from "./snapshot/read.js";
export {
  liveSnapshot,
  LiveSnapshot,
  showGrowth,
  byType,
  showBackrefs,
  whyAlive,
  watch,
  clearWatched,
  watchedCount,
  findRetained,
  assertNoLeaks,
  retainedText,
  type LiveSnapshotOptions,
  type GrowthRow,
  type ShowGrowthOptions,
  type ByTypeOptions,
  type ShowBackrefsOptions,
  type LivePhase,
  type RetainedObject,
  type RetainedGroup,
  type RetainedReport,
  type AssertNoLeaksOptions,
} from "./api/live.js";
