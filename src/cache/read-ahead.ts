/**
 * Reading a cache entry's sections ahead, on a second thread, while the command's own thread works
 * on what it has: a command that will read a section whole (or nearly) says so up front
 * ({@link ReadAhead.read}), and the sections are read in that order into their shared memory, each
 * block checked there exactly as this thread checks it (its CRC-32, then its values: checks.ts).
 * Both threads claim blocks before reading them (lazy.ts), so a block is read once, by whichever
 * thread comes first; this thread waits only for a block the other one is reading at that moment.
 *
 * The read-ahead thread only ever speeds things up. It opens the entry's files itself (and stops
 * reading one that is no longer the file this thread checked); a block that fails its checks there
 * is given back unread and the thread reads nothing more of that file, so that this thread reads
 * the block itself and says the entry is damaged as it always does. A thread that cannot start
 * changes nothing.
 *
 * Each opening of an entry file has its own key (lazy.ts, EntryFile): when the file is closed
 * (its sections all read, the entry found damaged, or its sections collected) the thread is told to
 * forget it, stops reading it and drops its sections, so their memory goes with the graph.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads.js";
import { BLOCK, whenFileClosed, type FileIdentity, type LazySection, type SectionJob, type Typed } from "./lazy.js";

/**
 * One request: the files and sections to know (with what their checks read), and the order to read
 * them in; `blocks` lists, for a section read in part, the blocks to read (increasing).
 */
export interface ReadAheadRequest {
  files: FileIdentity[];
  jobs: SectionJob[];
  order: string[];
  blocks?: Record<string, Uint32Array>;
}

/** A file closed: the thread reads no more of it and drops it and its sections. */
export interface ForgetRequest {
  forget: string;
}

/** Below this many bytes to read, a thread is not worth starting (unless `parallel: true`). */
export const READ_AHEAD_MIN_BYTES = 24 << 20;
/** Entries of this many bytes and more start the thread at their first request, whatever its size. */
export const BIG_ENTRY_BYTES = 128 << 20;

/** The one read-ahead thread of the process, started on first use. */
let shared: Worker | null = null;
let sharedDead = false;
/** Files the thread has been told of and not told to forget (by key), with the sections asked for in each. */
const asked = new Map<string, Set<string>>();

/** A file closed: forgotten here and by the thread. */
function forget(key: string): void {
  if (!asked.delete(key)) return;
  try {
    shared?.postMessage({ forget: key } satisfies ForgetRequest);
  } catch {
    sharedDead = true;
  }
}

whenFileClosed(forget);

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

/**
 * Starts the read-ahead thread now, before any entry is open (the command line, for a command
 * that will read much of a big entry: a thread takes 0.1-0.3 s of CPU time to start, which then
 * overlaps the loading of the command's modules instead of its first reads). Nothing when it runs
 * already or cannot start.
 */
export function prestartReadAhead(): void {
  thread();
}

/** Whether the read-ahead thread has been started (and has not failed). */
export function readAheadStarted(): boolean {
  return shared !== null && !sharedDead;
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
    const todo = sections.filter(wanted);
    if (todo.length === 0) return;
    const bytes = todo.reduce((n, s) => n + s.bytesLeft, 0);
    if (!this.worthIt(bytes)) return;
    post(todo, true);
  }

  /**
   * Reads blocks `blocks` (increasing) of `section` ahead, after what was asked before: the blocks
   * a command will look up element by element (left out when the whole section was asked for).
   */
  readBlocks(section: LazySection<Typed>, blocks: Uint32Array): void {
    if (sharedDead || this.parallel === false || blocks.length === 0 || !wanted(section)) return;
    if (!this.worthIt(blocks.length * BLOCK)) return;
    post([section], false, { [section.job().key]: blocks });
  }

  /** Whether reading `bytes` ahead is worth a thread (one started already always is). */
  private worthIt(bytes: number): boolean {
    return shared !== null || this.parallel === true || this.big || bytes >= READ_AHEAD_MIN_BYTES;
  }
}

/** Whether `s` may be read ahead: not read, its file open, not asked for whole before. */
function wanted(s: LazySection<Typed>): boolean {
  const f = s.fileIdentity;
  return !s.complete && Atomics.load(f.closed, 0) === 0 && asked.get(f.key)?.has(s.job().key) !== true;
}

/**
 * Asks the thread to read `sections` (with the sections their checks read), in this order: whole
 * (`whole`: each is then noted as asked for), or the blocks `blocks` lists.
 */
function post(sections: LazySection<Typed>[], whole: boolean, blocks?: Record<string, Uint32Array>): void {
  const jobs = [...sections, ...sections.flatMap((s) => (s.uses !== null ? [s.uses] : []))].map((s) => s.job());
  const files: FileIdentity[] = [];
  for (const s of sections) {
    for (const f of [s.fileIdentity, ...(s.uses !== null ? [s.uses.fileIdentity] : [])]) {
      if (!asked.has(f.key)) {
        asked.set(f.key, new Set());
        files.push(f);
      }
    }
    if (whole) asked.get(s.fileIdentity.key)!.add(s.job().key);
  }
  const request: ReadAheadRequest = { files, jobs, order: sections.map((s) => s.job().key) };
  if (blocks) request.blocks = blocks;
  try {
    thread()?.postMessage(request);
  } catch {
    sharedDead = true;
  }
}
