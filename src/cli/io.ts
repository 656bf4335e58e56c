/**
 * The CLI's contact with the outside world: the progress bar, opening snapshots the CLI's way,
 * atomic output files cleaned up on Ctrl-C. Only `src/cli/` touches process, the console and files.
 */
import type { ReadProgress } from "../snapshot/read.js";
import { openSnapshot, type Snapshot } from "../api/snapshot.js";
import type { Phase } from "../graph/analysis.js";
import { writeFileAtomic } from "../api/files.js";
import { cacheSession } from "./cache.js";
import { SnapshotIds } from "../query/id-trust.js";
import { mark, timingMarks } from "./timing.js";

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
  if (timingMarks()) return markingProgress(io);
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

/** Timing marks (timing.ts) in place of the progress bar: one per phase. */
function markingProgress(io: Streams): Progress {
  let read = false;
  return {
    onProgress: (p) => {
      if (!read && p.bytesRead > 0) mark(io, "reading");
      read = true;
    },
    phase: (label) => mark(io, label),
    done: () => mark(io, "answer computed"),
  };
}

/** `BACKREFS_PARALLEL=1` forces the second thread (edges reader, analysis helper) even for small inputs, `0` turns it off: tests use it to cover both paths. */
function parallelSetting(): boolean | undefined {
  const env = process.env["BACKREFS_PARALLEL"];
  return env === "1" ? true : env === "0" ? false : undefined;
}

/**
 * Opens a snapshot the CLI's way: a progress bar (analysis phases prefixed with `label`), the
 * command's cache session (see cache.ts), a garbage collection after the dominator pass (big typed
 * arrays are only given back by one, and V8 starts it late when the JavaScript heap is small), and
 * BACKREFS_PARALLEL. Call `progress.done()` once the answer is computed.
 */
export async function openForCli(
  file: string,
  io: Streams,
  quiet: boolean,
  label = "",
  analysis = true,
  onPhase?: (phase: Phase) => void,
): Promise<{ snap: Snapshot; progress: Progress; read: boolean }> {
  const progress = progressBar(io, quiet);
  mark(io, `opening ${label}snapshot`);
  // Whether the file itself was read (not a snapshot cache's entry): then the analysis is still to come.
  let read = false;
  const snap = await openSnapshot(file, {
    analysis,
    onProgress: (p) => {
      if (p.bytesRead > 0) read = true;
      progress.onProgress?.(p);
    },
    onPhase: (p) => {
      progress.phase(label + p);
      onPhase?.(p);
    },
    parallel: parallelSetting(),
    cache: cacheSession(),
    collectGarbage: true,
  });
  mark(io, `${label}snapshot read`);
  return { snap, progress, read };
}

/**
 * A snapshot opened for its object ids alone (no analysis); `read`: whether the file itself was
 * read (not a snapshot cache's entry). Nothing of it is asked to be read ahead: this thread reads
 * its ids at once, and the read-ahead thread would hold on to what it read of the snapshot for as
 * long as the snapshot's entry file stays open (until the graph is collected).
 */
export async function openForIds(file: string, io: Streams, quiet: boolean): Promise<{ snap: Snapshot; read: boolean }> {
  const { snap, progress, read } = await openForCli(file, io, quiet, "", false);
  progress.done();
  return { snap, read };
}

/** The object ids of a snapshot (its graph is dropped): what comparing by id needs of a baseline. */
export async function loadIds(file: string, io: Streams, quiet: boolean): Promise<SnapshotIds> {
  return SnapshotIds.of((await openForIds(file, io, quiet)).snap.graph);
}

/** Writes an output file atomically; Ctrl-C while it is written leaves no temporary file behind. */
export function writeOutput(path: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(path, data, { removeOnSignal: true });
}
