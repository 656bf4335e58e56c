/**
 * The analysis helper: a second thread that computes a phase of the analysis while the main
 * thread computes another (the machines this runs on have at least two cores, and every phase is
 * bound by memory latency, not bandwidth). It reads the graph's columns where they are, in shared
 * memory (see snapshot/columns.ts); nothing big is copied.
 *
 * A helper that fails (no worker support, a crash, out of memory, arrays outside shared memory)
 * answers `null`: the caller then computes the phase itself. Nothing waits on it synchronously, so a dead helper cannot hang.
 */
import type { Worker } from "node:worker_threads";
import { startWorker, type WorkerReport } from "../threads.js";
import type { EdgesThread } from "../snapshot/read.js";
import type { EdgesJobMessage } from "../snapshot/edges-job.js";
import { runTask, type EdgesRequest, type HelperRequest, type HelperResponse, type HelperTask } from "./helper-tasks.js";

/**
 * Snapshot files from this size on start the analysis' helper thread as their reading begins (see
 * `openSnapshot`): they usually hold `PARALLEL_MIN_NODES` nodes or more (a snapshot takes about 75
 * bytes a node). A file this big has an edges worker of its own; the helper reads the edges of a
 * smaller one only when a caller gives it one to read (`ReadOptions.edgesThread`, `parallel: true`
 * aside, for files under 64 MB).
 */
export const EARLY_HELPER_MIN_BYTES = 80 << 20;

/** What each task answers. */
interface Results {
  shallow: Float64Array;
  number: number;
  translate: true;
  "page-owned": true;
  "mark-essential": true;
  "finish-tree": true;
}

/** What the analysis asks of a helper. */
export interface Helper {
  /** Runs one task; null when it failed (compute it here instead). */
  run<T extends HelperTask["task"]>(task: Extract<HelperTask, { task: T }>): Promise<Results[T] | null>;
  close(): Promise<void>;
  /** Why the last task that answered null failed (a thread that could not start, crashed...). */
  readonly problem?: string;
  /** True when the tasks run on this thread (no helper thread). */
  readonly onThisThread?: boolean;
}

export class AnalysisHelper implements Helper {
  private nextId = 0;
  private readonly pending = new Map<number, (r: HelperResponse | null) => void>();
  private dead = false;
  problem: string | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on("message", (m: HelperResponse) => {
      const resolve = this.pending.get(m.id);
      this.pending.delete(m.id);
      resolve?.(m);
    });
    const fail = (e?: Error | number): void => {
      this.problem ??= e instanceof Error ? `the helper thread failed (${e.message})` : "the helper thread stopped";
      this.dead = true;
      for (const resolve of this.pending.values()) resolve(null);
      this.pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", fail);
  }

  /** A started helper thread, or null where threads are not available. */
  static start(): AnalysisHelper | null {
    const early = AnalysisHelper.early;
    if (early) {
      AnalysisHelper.early = null;
      AnalysisHelper.unowned = false;
      early.ref();
      return new AnalysisHelper(early);
    }
    try {
      return new AnalysisHelper(startWorker("helper-worker", import.meta.url));
    } catch {
      return null;
    }
  }

  /** A thread {@link startEarly} started, until {@link start} takes it; null when it stopped. */
  private static early: Worker | null = null;

  /**
   * Starts a helper thread now, for the next {@link start} to take: a thread takes about 0.1 s
   * to start, which the analysis would otherwise wait for. For a caller that knows an analysis
   * with a helper is coming (the snapshot is being read). Until taken, it does not keep the
   * process alive. Returns whether it started one (not when one already waits, or none could
   * start): only the caller that started the thread should {@link stopEarly} it.
   */
  static startEarly(): boolean {
    if (AnalysisHelper.early) {
      // One started by prestart() belongs to the first caller that asks.
      const adopted = AnalysisHelper.unowned;
      AnalysisHelper.unowned = false;
      return adopted;
    }
    let w: Worker;
    try {
      w = startWorker("helper-worker", import.meta.url);
    } catch {
      return false;
    }
    w.unref();
    // One that failed before it was taken is not handed out.
    const gone = (): void => {
      if (AnalysisHelper.early !== w) return;
      AnalysisHelper.early = null;
      AnalysisHelper.unowned = false;
    };
    w.on("error", gone);
    w.on("exit", gone);
    AnalysisHelper.early = w;
    return true;
  }

  /**
   * The thread {@link startEarly} started, lent to the read under way to parse the snapshot's
   * edges (see ReadOptions.edgesThread) before {@link start} takes it for the analysis; null when
   * none waits. The job's answers come through a channel of their own; the thread runs the
   * analysis' tasks after it.
   */
  static edgesThread(): EdgesThread | null {
    const w = AnalysisHelper.early;
    if (!w) return null;
    return {
      run(data, onMessage, onGone): void {
        const { port1, port2 } = new MessageChannel();
        let ended = false;
        const end = (): void => {
          ended = true;
          port1.close();
          w.off("exit", gone);
          w.off("error", gone);
        };
        function gone(): void {
          if (ended) return;
          end();
          onGone("the helper thread stopped before it read the edges");
        }
        port1.on("message", (m: EdgesJobMessage) => {
          if (ended) return;
          if (m.type !== "found") end();
          onMessage(m);
        });
        w.on("exit", gone);
        w.on("error", gone);
        w.postMessage({ edges: data, port: port2 } satisfies EdgesRequest, [port2]);
      },
    };
  }

  /** The waiting thread was started by {@link prestart}, and no {@link startEarly} adopted it yet. */
  private static unowned = false;

  /**
   * Starts a helper thread, as {@link startEarly} does, for a caller that does not know yet which
   * snapshot it will open, nor whether it will be read (the command line, before it loads the
   * command's modules): the first {@link startEarly} then adopts it (returns true), and so owns
   * letting it go when the snapshot does not need it. Nothing when one waits already.
   */
  static prestart(): void {
    if (AnalysisHelper.early) return;
    if (AnalysisHelper.startEarly()) AnalysisHelper.unowned = true;
  }

  /** Whether a thread {@link startEarly} started waits for {@link start}. */
  static get waiting(): boolean {
    return AnalysisHelper.early !== null;
  }

  /** Ends the thread {@link startEarly} started, if {@link start} has not taken it. */
  static stopEarly(): void {
    const early = AnalysisHelper.early;
    AnalysisHelper.early = null;
    AnalysisHelper.unowned = false;
    early?.terminate().catch(() => {});
  }

  /**
   * A helper that runs its tasks on this thread, one after the other: the same split of the work,
   * without the second core. Where no thread can be started, and in tests of the split itself.
   */
  static inProcess(): Helper {
    let id = 0;
    return {
      problem: "no helper thread: the task ran on this thread",
      onThisThread: true,
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
    if (this.dead) return Promise.resolve(null);
    const more = "essential" in task ? task.essential : undefined;
    if (!inSharedMemory(task.input) || (task.chain && !inSharedMemory(task.chain)) || (more && !inSharedMemory(more))) {
      this.problem = "the task's arrays are not in shared memory";
      return Promise.resolve(null);
    }
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

/** The same helper, telling `onWorker` after each task whether the thread's result came back. */
export function reportingHelper(helper: Helper, onWorker: (report: WorkerReport) => void): Helper {
  return {
    run: async <T extends HelperTask["task"]>(task: Extract<HelperTask, { task: T }>): Promise<Results[T] | null> => {
      const result = await helper.run(task);
      const done = result !== null && !helper.onThisThread;
      const problem = done ? undefined : (helper.problem ?? "the helper thread failed");
      onWorker({ worker: "analysis helper", task: task.task, done, ...(problem === undefined ? {} : { problem }) });
      return result;
    },
    close: () => helper.close(),
    get problem() {
      return helper.problem;
    },
    get onThisThread() {
      return helper.onThisThread;
    },
  };
}
