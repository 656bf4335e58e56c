/**
 * Reading a cache entry's sections ahead, on a second thread, while the command's own thread works
 * on what it has: a command that will read a section whole (or nearly) says so up front
 * ({@link ReadAhead.read}), and the sections are read in that order into their shared memory, each
 * block checked there exactly as this thread checks it (its CRC-32, then its values: checks.ts).
 * Both threads claim blocks before reading them (lazy.ts), so a block is read once, by whichever
 * thread comes first; this thread waits only for a block the other one is reading at that moment.
 *
 * The read-ahead thread only ever speeds things up. It opens the entry's files itself (and stops
 * when one is no longer the file this thread checked); a block that fails its checks there is
 * given back unread and the thread stops, so that this thread reads the block itself and says the
 * entry is damaged as it always does. A thread that cannot start changes nothing.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads.js";
import type { FileIdentity, LazySection, SectionJob, Typed } from "./lazy.js";

/** One request: the files and sections to know (with what their checks read), and the order to read them in. */
export interface ReadAheadRequest {
  files: FileIdentity[];
  jobs: SectionJob[];
  order: string[];
}

/** Below this many bytes to read, a thread is not worth starting (unless `parallel: true`). */
export const READ_AHEAD_MIN_BYTES = 24 << 20;
/** Entries of this many bytes and more start the thread at their first request, whatever its size. */
export const BIG_ENTRY_BYTES = 128 << 20;

/** The one read-ahead thread of the process, started on first use. */
let shared: Worker | null = null;
let sharedDead = false;
/** Files and sections the thread has been told of (by key). */
const knownFiles = new Set<string>();
const asked = new Set<string>();

/** The thread, started on first use; null when it cannot start. */
function thread(): Worker | null {
  if (shared !== null || sharedDead) return shared;
  try {
    const worker = startWorker("read-ahead-worker", import.meta.url);
    // Never what keeps the process alive: its work only ever saves this thread some.
    worker.unref();
    worker.on("error", () => {
      sharedDead = true;
    });
    return (shared = worker);
  } catch {
    sharedDead = true;
    return null;
  }
}

/** Reading ahead for one entry: its sections go to the process's one read-ahead thread. */
export class ReadAhead {
  constructor(
    /** `parallel` as the reading options give it: false never starts a thread, true always does. */
    private readonly parallel: boolean | undefined,
    /**
     * A big entry (see {@link BIG_ENTRY_BYTES}): the thread is started at the first request, however
     * little it asks, so that it is ready for the next one (a thread takes a tenth of a second to start).
     */
    private readonly big: boolean,
  ) {}

  /** Reads `sections` ahead, in this order (those read or asked for already are left out). */
  read(sections: LazySection<Typed>[]): void {
    if (sharedDead || this.parallel === false) return;
    const todo = sections.filter((s) => !s.complete && !asked.has(s.job().key));
    if (todo.length === 0) return;
    const bytes = todo.reduce((n, s) => n + s.bytesLeft, 0);
    if (shared === null && this.parallel !== true && !this.big && bytes < READ_AHEAD_MIN_BYTES) return;
    const jobs = [...todo, ...todo.flatMap((s) => (s.uses !== null ? [s.uses] : []))].map((s) => s.job());
    for (const s of todo) asked.add(s.job().key);
    const files: FileIdentity[] = [];
    for (const s of todo) {
      for (const f of [s.fileIdentity, ...(s.uses !== null ? [s.uses.fileIdentity] : [])]) {
        if (!knownFiles.has(f.key)) {
          knownFiles.add(f.key);
          files.push(f);
        }
      }
    }
    try {
      thread()?.postMessage({ files, jobs, order: todo.map((s) => s.job().key) } satisfies ReadAheadRequest);
    } catch {
      sharedDead = true;
    }
  }
}
