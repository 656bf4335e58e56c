/**
 * backrefs for vitest: which test file leaks, and tests that fail with the picture.
 * - `setupFiles: ["backrefs/vitest/setup"]` + `reporters: ["default", "backrefs/vitest/reporter"]`:
 *   what each test file left alive after a GC, worst first, with paths and pictures.
 * - `expectNoLeaks(fn, { runs, types })`: fails a test when `fn` leaves objects behind (named after
 *   the running test).
 * Re-exports only.
 */
export { default as LeakReporter, type LeakReporterOptions, type LeakReportFile } from "./reporter.js";
export type { SnapshotManifest } from "./setup.js";
export type { LeftoverReport, ClassLeftovers, GroupedPath } from "../testing/leak-report.js";
export { expectNoLeaks } from "./expect-no-leaks.js";
export type { ExpectNoLeaksOptions, NoLeaksResult } from "../testing/expect-no-leaks.js";
