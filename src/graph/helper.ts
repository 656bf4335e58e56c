/**
 * The analysis helper: a second thread that computes a phase of the analysis while the main
 * thread computes another (the machines this runs on have at least two cores, and every phase is
 * bound by memory latency, not bandwidth). It reads the graph's columns where they are, in shared
 * memory (see snapshot/columns.ts); nothing big is copied.
 *
 * A helper that fails (no worker support, a crash, out of memory, arrays outside shared memory)
 * answers `null`: the caller then computes the phase itself. Nothing waits on it synchronously, so a dead helper cannot hang.
 */
import { Worker } from "node:worker_threads";
import { runTask, type HelperRequest, type HelperResponse, type HelperTask } from "./helper-tasks.js";

/** The compiled worker (under a TypeScript test runner only the .ts source exists: no helper). */
const WORKER_URL = new URL("./helper-worker.js", import.meta.url);
const CAN_USE_WORKER = import.meta.url.endsWith(".js");

/** What each task answers. */
interface Results {
  shallow: Float64Array;
  "fill-predecessors": true;
  "mark-essential": true;
}

/** What the analysis asks of a helper. */
export interface Helper {
  /** Runs one task; null when it failed (compute it here instead). */
  run<T extends HelperTask["task"]>(task: Extract<HelperTask, { task: T }>): Promise<Results[T] | null>;
  close(): Promise<void>;
}

export class AnalysisHelper implements Helper {
  private nextId = 0;
  private readonly pending = new Map<number, (r: HelperResponse | null) => void>();
  private dead = false;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: HelperResponse) => {
      const resolve = this.pending.get(m.id);
      this.pending.delete(m.id);
      resolve?.(m);
    });
    const fail = (): void => {
      this.dead = true;
      for (const resolve of this.pending.values()) resolve(null);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
  }

  /** A started helper thread, or null where threads are not available. */
  static start(): AnalysisHelper | null {
    if (!CAN_USE_WORKER) return null;
    try {
      return new AnalysisHelper(new Worker(WORKER_URL));
    } catch {
      return null;
    }
  }

  /**
   * A helper that runs its tasks on this thread, one after the other: the same split of the work,
   * without the second core. For tests (a TypeScript test runner cannot start the compiled
   * worker), so that the split itself is checked.
   */
  static inProcess(): Helper {
    let id = 0;
    return {
      run: async <T extends HelperTask["task"]>(task: Extract<HelperTask, { task: T }>): Promise<Results[T] | null> => {
        const { response } = runTask({ id: id++, ...task } as HelperRequest);
        return response.ok ? (response.result as Results[T]) : null;
      },
      close: async () => {},
    };
  }

  run<T extends HelperTask["task"]>(task: Extract<HelperTask, { task: T }>): Promise<Results[T] | null> {
    // Arrays outside shared memory would be copied to the thread: big, and what it writes into
    // them would be lost. The caller computes such a task itself.
    if (this.dead || !inSharedMemory(task.input)) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, (r) => resolve(r && r.ok ? (r.result as Results[T]) : null));
      this.worker.postMessage({ id, ...task } satisfies HelperRequest);
    });
  }

  async close(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
  }
}

/** Whether every typed array among a task input's fields lives in shared memory. */
function inSharedMemory(input: object): boolean {
  return Object.values(input).every((v) => !ArrayBuffer.isView(v) || v.buffer instanceof SharedArrayBuffer);
}
