/**
 * Reading a cache entry's sections ahead, on a second thread, while the command's own thread works
 * on what it has: a command that will read a section whole (or nearly) says so up front
 * ({@link ReadAhead.read}), and the sections are read in that order into their shared memory, each
 * block checked there exactly as this thread checks it (its CRC-32, then its values: checks.ts).
 * Both threads claim blocks before reading them (lazy.ts), so a block is read once, by whichever
 * thread comes first; this thread waits only for a block the other one is reading at that moment.
 *
 * The read-ahead thread only ever speeds things up. It opens the entry's file itself (and stops
 * when that is no longer the file this thread checked); a block that fails its checks there is
 * given back unread and the thread stops, so that this thread reads the block itself and says the
 * entry is damaged as it always does. A thread that cannot start changes nothing.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads.js";
import type { LazySection, SectionJob, Typed } from "./lazy.js";

/** What the read-ahead thread is started with. */
export interface ReadAheadStart {
  path: string;
  /** The entry file's inode and device (decimal strings), as this thread opened it. */
  ino: string;
  dev: string;
  /** The entry's block table. */
  crcs: Uint32Array;
}

/** One request: sections to know (with what their checks read) and the order to read them in. */
export interface ReadAheadRequest {
  jobs: SectionJob[];
  order: string[];
}

/** Below this many bytes to read, a thread is not worth starting (unless `parallel: true`). */
export const READ_AHEAD_MIN_BYTES = 24 << 20;
/** Entries of this many bytes and more start the thread as soon as they are opened (see {@link ReadAhead.warm}). */
export const WARM_MIN_BYTES = 128 << 20;

export class ReadAhead {
  private worker: Worker | null = null;
  private dead = false;
  private readonly asked = new Set<string>();

  constructor(
    private readonly start: ReadAheadStart,
    /** `parallel` as the reading options give it: false never starts a thread, true always does. */
    private readonly parallel: boolean | undefined,
  ) {}

  /**
   * Starts the thread now, before anything is asked of it (a thread takes a tenth of a second to
   * start): for a big entry, whose commands mostly ask.
   */
  warm(): void {
    if (this.parallel !== false) this.thread();
  }

  /** Reads `sections` ahead, in this order (those read or asked for already are left out). */
  read(sections: LazySection<Typed>[]): void {
    if (this.dead || this.parallel === false) return;
    const todo = sections.filter((s) => !s.complete && !this.asked.has(s.name));
    if (todo.length === 0) return;
    const bytes = todo.reduce((n, s) => n + s.bytesLeft, 0);
    if (this.worker === null && this.parallel !== true && bytes < READ_AHEAD_MIN_BYTES) return;
    for (const s of todo) this.asked.add(s.name);
    const jobs = todo.map((s) => s.job());
    for (const s of todo) if (s.uses !== null) jobs.push(s.uses.job());
    try {
      this.thread()?.postMessage({ jobs, order: todo.map((s) => s.name) } satisfies ReadAheadRequest);
    } catch {
      this.dead = true;
    }
  }

  /** The thread, started on first use; null when it cannot start. */
  private thread(): Worker | null {
    if (this.worker !== null || this.dead) return this.worker;
    try {
      const worker = startWorker("read-ahead-worker", import.meta.url, { workerData: this.start });
      // Never what keeps the process alive: its work only ever saves this thread some.
      worker.unref();
      worker.on("error", () => {
        this.dead = true;
      });
      return (this.worker = worker);
    } catch {
      this.dead = true;
      return null;
    }
  }
}
