/**
 * The CLI's contact with the outside world: the progress bar, atomic output files, cleanup on
 * Ctrl-C. Only `src/cli/` touches process, the console and files.
 */
import { promises as fsp, unlinkSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { basename, dirname, join } from "node:path";
import type { ReadProgress } from "../snapshot/read.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import type { HeapAnalysis, Phase } from "../graph/analysis.js";
import { cachedAnalysis, loadGraph } from "./cache.js";
import { SnapshotIds } from "../query/id-trust.js";

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Files large enough that a user waits for them: below this, no progress bar. */
const PROGRESS_MIN_BYTES = 50 << 20;

/**
 * A progress callback drawing one self-overwriting line on stderr, or nothing when stderr is not
 * a terminal, the input is small or unknown in size, or the user asked for `--quiet`.
 */
export interface Progress {
  onProgress?: (p: ReadProgress) => void;
  phase: (label: string) => void;
  done: () => void;
}

export function progressBar(io: Streams, quiet: boolean): Progress {
  if (quiet || !io.stderr.isTTY) return { phase: () => {}, done: () => {} };
  let drawn = false;
  const mb = (n: number): string => (n / 1e6).toFixed(0);
  return {
    onProgress: (p) => {
      if (p.totalBytes < PROGRESS_MIN_BYTES) return;
      const frac = Math.min(1, p.bytesRead / p.totalBytes);
      const width = 30;
      const fill = Math.round(frac * width);
      io.stderr.write(
        `\rreading [${"#".repeat(fill)}${".".repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
          `${mb(p.bytesRead)}/${mb(p.totalBytes)} MB`,
      );
      drawn = true;
    },
    phase: (label) => {
      if (!drawn) return;
      io.stderr.write(`\r\x1b[K${label}…`);
    },
    done: () => {
      if (drawn) io.stderr.write("\r\x1b[K");
      drawn = false;
    },
  };
}

/** `BACKREFS_PARALLEL=1` forces the second thread (edges reader, analysis helper) even for small inputs, `0` turns it off: tests use it to cover both paths. */
function parallelSetting(): boolean | undefined {
  const env = process.env["BACKREFS_PARALLEL"];
  return env === "1" ? true : env === "0" ? false : undefined;
}

/**
 * A function that runs a full garbage collection now, or undefined where that cannot be had.
 * Big typed arrays are only given back to the system by a collection, and V8 starts one late when
 * the JavaScript heap itself is small (it is: the graph lives in typed arrays). Forcing one after
 * the dominator pass cuts the peak memory of the steps that follow.
 */
function forceGc(): (() => void) | undefined {
  if (gcFunction !== null) return gcFunction;
  try {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  } catch {
    gcFunction = undefined;
  }
  return gcFunction;
}
let gcFunction: (() => void) | undefined | null = null;

/** Loads a snapshot with a progress bar, through the snapshot cache when it is on (see cache.ts). */
export async function loadSnapshot(file: string, io: Streams, quiet: boolean): Promise<{ graph: HeapGraph; progress: Progress }> {
  const progress = progressBar(io, quiet);
  const graph = await loadGraph(file, { onProgress: progress.onProgress, parallel: parallelSetting() }, io);
  return { graph, progress };
}

/**
 * The analysis of a loaded graph, computed up front (two threads on big graphs): distances and
 * self sizes, plus dominators and retained sizes unless `retained` is false.
 */
export async function analyse(graph: HeapGraph, progress: Progress, retained: boolean, label = ""): Promise<HeapAnalysis> {
  const options = { onPhase: (p: Phase) => progress.phase(label + p), collectGarbage: forceGc() };
  return cachedAnalysis(graph, retained, options, (analysis) => analysis.prepare({ retained, parallel: parallelSetting() }));
}

/** The object ids of a snapshot (its graph is dropped): what comparing by id needs of a baseline. */
export async function loadIds(file: string, io: Streams, quiet: boolean): Promise<SnapshotIds> {
  const { graph, progress } = await loadSnapshot(file, io, quiet);
  progress.done();
  return SnapshotIds.of(graph);
}

/** Temporary files being written; removed if the process is interrupted. */
const pendingFiles = new Set<string>();

/** Removes every half-written temporary file (called on SIGINT/SIGTERM and on errors). */
export function removePendingFiles(): void {
  for (const f of pendingFiles) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
  pendingFiles.clear();
}

/**
 * Writes `data` to `path` atomically: a temporary file next to it, then a rename. A failure or
 * Ctrl-C never leaves a half-written file at `path`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  pendingFiles.add(tmp);
  // While the temporary file exists, a signal removes it before the process goes.
  const onSignal = (signal: NodeJS.Signals): void => {
    removePendingFiles();
    process.kill(process.pid, signal);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  } finally {
    pendingFiles.delete(tmp);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
