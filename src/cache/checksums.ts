/**
 * Block checksums of a new cache entry's big sections, summed on a second thread while this one
 * goes on with the command (a 1 GB snapshot's columns take ~0.4 s of CRC-32). Only sections in
 * shared memory go there (the snapshot's node and edge columns): anything else would be copied to
 * the thread, and is summed here. A thread that cannot start or fails leaves its sections to this
 * thread: the sums are the same either way, and nothing waits on a dead thread.
 *
 * The same thread also chooses the id-trust check's sample from the columns (see
 * graph/id-sample.ts), once it has summed what it was given before: a big snapshot's entry gets
 * that sample, and the thread is idle by then while this one computes the command's answer.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads.js";
import { chooseIdSample, type ChosenIds, type IdSampleColumns } from "../graph/id-sample.js";
import { blockCrcs } from "./lazy.js";

/** A section's bytes to sum (a view of shared memory: not copied), or columns to choose the id sample from. */
export type ChecksumRequest = { id: number; bytes: Uint8Array } | { id: number; idSample: IdSampleColumns };

/**
 * The CRC-32 of every block of the section of request `id`, or the id sample chosen, its sketches
 * in one array (`refs` empty; sketch i is `refs[ends[i-1] .. ends[i]]`): one array to pass between
 * threads, not one per sampled object.
 */
export type ChecksumResponse = { id: number; sums: Uint32Array } | { id: number; chosen: ChosenIds; refs: Uint32Array; ends: Uint32Array };

/** `chosen` as the checksum thread answers it (see {@link ChecksumResponse}). */
export function packChosen(chosen: ChosenIds): { chosen: ChosenIds; refs: Uint32Array; ends: Uint32Array } {
  const ends = new Uint32Array(chosen.refs.length);
  let end = 0;
  chosen.refs.forEach((r, i) => (ends[i] = end += r.length));
  const refs = new Uint32Array(end);
  chosen.refs.forEach((r, i) => refs.set(r, ends[i]! - r.length));
  return { chosen: { ...chosen, refs: [] }, refs, ends };
}

function unpackChosen(m: { chosen: ChosenIds; refs: Uint32Array; ends: Uint32Array }): ChosenIds {
  const refs = Array.from(m.ends, (end, i) => m.refs.subarray(i === 0 ? 0 : m.ends[i - 1]!, end));
  return { ...m.chosen, refs };
}

interface Owed {
  /** The same work on this thread. */
  here: () => unknown;
  resolve: (result: unknown) => void;
}

export class BackgroundChecksums {
  #worker: Worker | null = null;
  #failed = false;
  /** How many requests the second thread answered (for tests: a thread that never works is a bug). */
  summedThere = 0;
  #nextId = 0;
  readonly #pending = new Map<number, Owed>();

  /**
   * Starts the thread now, ahead of the first sections: a thread starts by loading its modules,
   * which Node reads through libuv's thread pool, and the entry's writes, once queued there, keep
   * every thread of that pool busy until they are all done, so a thread started with them would
   * begin summing only then. Idle, the thread does not keep the process alive.
   */
  start(): void {
    const worker = this.#start();
    if (worker && this.#pending.size === 0) worker.unref();
  }

  /** The CRC-32 of every block of `bytes`, which must not change until this settles. Never rejects. */
  sum(bytes: Uint8Array): Promise<Uint32Array> {
    const worker = bytes.buffer instanceof SharedArrayBuffer ? this.#start() : null;
    if (worker === null) return Promise.resolve(blockCrcs(bytes));
    return this.#ask(worker, { bytes }, () => blockCrcs(bytes));
  }

  /**
   * The id sample chosen from `columns` (which must not change until this settles) on the second
   * thread, after what it was given before; null when they are not all in shared memory or the
   * thread cannot run (the caller then chooses it itself, when it needs it). Never rejects.
   */
  chooseIdSample(columns: IdSampleColumns): Promise<ChosenIds> | null {
    const { nodeId, nodeType, firstEdge, edgeTo } = columns;
    const shared = [nodeId, nodeType, firstEdge, edgeTo].every((a) => a.buffer instanceof SharedArrayBuffer);
    const worker = shared ? this.#start() : null;
    if (worker === null) return null;
    return this.#ask(worker, { idSample: columns }, () => chooseIdSample(columns));
  }

  /** Stops the thread; what it still owes is computed here. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#failed = true;
    this.#doHere();
    if (worker) await worker.terminate();
  }

  #ask<T>(worker: Worker, request: { bytes: Uint8Array } | { idSample: IdSampleColumns }, here: () => T): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, { here, resolve: resolve as (r: unknown) => void });
      // Kept alive only while it owes an answer (an idle thread must not keep the process).
      worker.ref();
      worker.postMessage({ id, ...request } satisfies ChecksumRequest);
    });
  }

  #start(): Worker | null {
    if (this.#worker !== null || this.#failed) return this.#worker;
    try {
      const worker = startWorker("checksum-worker", import.meta.url);
      worker.on("message", (m: ChecksumResponse) => {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (this.#pending.size === 0) worker.unref();
        if (!p) return;
        this.summedThere++;
        p.resolve("sums" in m ? m.sums : unpackChosen(m));
      });
      const fail = (): void => {
        this.#failed = true;
        this.#worker = null;
        this.#doHere();
      };
      worker.on("error", fail);
      worker.on("exit", fail);
      this.#worker = worker;
      return worker;
    } catch {
      this.#failed = true;
      return null;
    }
  }

  /** Does everything still owed on this thread. */
  #doHere(): void {
    const owed = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of owed) p.resolve(p.here());
  }
}
