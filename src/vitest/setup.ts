/**
 * The vitest setup file (`setupFiles: ["backrefs/vitest/setup"]`), with the reporter: in each worker, a snapshot
 * when a test file starts (after it was collected: its imports are not what it left) and one when
 * it ends, after a GC; per test too when asked. The reporter (`backrefs/vitest/reporter`) reads
 * them in the main process, so the worker never loads a snapshot.
 *
 * The hooks have no timeout (a snapshot of a big heap takes seconds: about 1 s per 10 MB) and
 * record how long the snapshots took.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { threadId } from "node:worker_threads";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { snapshotToFile } from "../testing/snapshots.js";
import { ENV_DIR, ENV_PER_TEST, PREPARE_KEY, SNAPSHOT_SUBDIR } from "./options.js";

/** What one measured piece (a file or a test) wrote; the reporter reads these. */
export interface SnapshotManifest {
  file: string;
  /** The test's full name, for per-test entries. */
  test?: string;
  start: string;
  end: string;
  /** Seconds the two snapshots took, GC included. */
  seconds: number;
  pid: number;
  threadId: number;
}

// Kept on globalThis so that a counter survives the setup file being run again for each test
// file in one worker (isolate: false). A Symbol key: it is not a snapshot-visible string property.
const KEY = Symbol.for("backrefs.vitest.sequence");
const g = globalThis as unknown as Record<symbol, number>;

// Set by the reporter. Without it (the reporter is not in this run: another reporter was chosen
// on the command line, say) nothing is measured, rather than snapshots no one will read.
const reportDir = process.env[ENV_DIR];
const dir = reportDir ? join(resolve(reportDir), SNAPSHOT_SUBDIR) : "";
const perTest = process.env[ENV_PER_TEST] === "1";

function next(): string {
  g[KEY] = (g[KEY] ?? 0) + 1;
  return `${process.pid}-${threadId}-${g[KEY]}`;
}

interface Open {
  key: string;
  start: string;
  seconds: number;
}

let fileOpen: Open | null = null;
let testOpen: Open | null = null;

function open(): Open {
  mkdirSync(dir, { recursive: true });
  const key = next();
  const start = join(dir, `${key}.start.heapsnapshot`);
  const seconds = snapshotToFile(start);
  return { key, start, seconds };
}

function close(o: Open, file: string, test?: string): void {
  const end = join(dir, `${o.key}.end.heapsnapshot`);
  const seconds = o.seconds + snapshotToFile(end);
  const manifest: SnapshotManifest = { file, ...(test ? { test } : {}), start: o.start, end, seconds, pid: process.pid, threadId };
  writeFileSync(join(dir, `${o.key}.json`), JSON.stringify(manifest));
}

beforeAll(async () => {
  if (!dir) return;
  // A file that uses expectNoLeaks has its snapshot reader loaded before this snapshot (see PREPARE_KEY).
  const prepare = (globalThis as unknown as Record<symbol, (() => Promise<void>) | undefined>)[PREPARE_KEY];
  if (prepare) await prepare();
  fileOpen = open();
}, 0);

// vitest reads the hook's first parameter as a fixture list and requires an object pattern there;
// the suite is the second parameter.
// eslint-disable-next-line no-empty-pattern
afterAll(({}, suite) => {
  const o = fileOpen;
  fileOpen = null;
  if (!o) return;
  const file = "filepath" in suite && typeof suite.filepath === "string" ? suite.filepath : (suite.file?.filepath ?? basename(suite.name));
  close(o, file);
}, 0);

if (dir && perTest) {
  beforeEach(() => {
    testOpen = open();
  }, 0);
  afterEach((ctx) => {
    const o = testOpen;
    testOpen = null;
    if (!o) return;
    close(o, ctx.task.file.filepath, ctx.task.fullName ?? ctx.task.name);
  }, 0);
}
