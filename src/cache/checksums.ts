/**
 * Block checksums of a new cache entry's big sections, summed on a second thread while this one
 * goes on with the command (a 1 GB snapshot's columns take ~0.4 s of CRC-32). Only sections in
 * shared memory go there (the snapshot's node and edge columns): anything else would be copied to
 * the thread, and is summed here. A thread that cannot start or fails leaves its sections to this
 * thread: the sums are the same either way, and nothing waits on a dead thread.
 */
import type { Worker } from "node:worker_threads";
import { startWorker } from "../threads.js";
import { blockCrcs } from "./lazy.js";

/** A section's bytes to sum (a view of shared memory: not copied). */
export interface ChecksumRequest {
  id: number;
  bytes: Uint8Array;
}

/** The CRC-32 of every block of the section of request `id`. */
export interface ChecksumResponse {
  id: number;
  sums: Uint32Array;
}

export class BackgroundChecksums {
  #worker: Worker | null = null;
  #failed = false;
  /** How many sections the second thread summed (for tests: a thread that never works is a bug). */
  summedThere = 0;
  #nextId = 0;
  readonly #pending = new Map<number, { bytes: Uint8Array; resolve: (sums: Uint32Array) => void }>();

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
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, { bytes, resolve });
      // Kept alive only while it owes an answer (an idle thread must not keep the process).
      worker.ref();
      worker.postMessage({ id, bytes } satisfies ChecksumRequest);
    });
  }

  /** Stops the thread; sums still owed are computed here. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#failed = true;
    this.#sumHere();
    if (worker) await worker.terminate();
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
        p.resolve(m.sums);
      });
      const fail = (): void => {
        this.#failed = true;
        this.#worker = null;
        this.#sumHere();
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

  /** Sums every section still owed, on this thread. */
  #sumHere(): void {
    const owed = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of owed) p.resolve(blockCrcs(p.bytes));
  }
}
