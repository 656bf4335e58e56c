/**
 * How backrefs starts its worker threads — the same way for each of them (the edges reader in
 * snapshot/, the analysis helper in graph/, the Graphviz layout in render/): the worker is a module
 * next to the code that starts it, with the same extension as that code. In the compiled package
 * that is `edges-worker.js` beside `read.js`; when the TypeScript sources run directly, it is
 * `edges-worker.ts`, which Node loads only through module hooks that understand TypeScript (the
 * test suite registers them in every test process, and worker threads inherit them:
 * test/helpers/ts-hooks.mjs). So the tests run the very worker code they test, never a possibly
 * stale build, and a worker that cannot start fails the same way everywhere: an `error` event,
 * after which the caller does the work on its own thread.
 *
 * Whether a worker did the work it was started for is reported through {@link WorkerReport}, so
 * that a test (or a curious user) can tell a real second thread from the fallback.
 */
import { createRequire } from "node:module";
import type { Worker, WorkerOptions } from "node:worker_threads";

// Node's worker module is loaded when the first worker starts, not with this module: a command
// that starts none (`info` of a small snapshot) does not load it (~1.5 MB and a few milliseconds).
const require = createRequire(import.meta.url);

/**
 * Start the worker module `name` (without extension) that sits next to the module `from`
 * (pass `import.meta.url`).
 *
 * @example
 * const worker = startWorker("edges-worker", import.meta.url, { workerData });
 */
export function startWorker(name: string, from: string, options?: WorkerOptions): Worker {
  const extension = from.endsWith(".ts") ? ".ts" : ".js";
  const { Worker } = require("node:worker_threads") as typeof import("node:worker_threads");
  const url = new URL(`./${name}${extension}`, from);
  const execArgv = workerExecArgv(process.execArgv);
  if (execArgv === null || options?.execArgv !== undefined) return new Worker(url, options);
  try {
    return new Worker(url, { ...options, execArgv });
  } catch (e) {
    // Options given explicitly are checked, inherited ones are not: a process started with V8's
    // own (`--max-old-space-size`…) gets its worker as Node starts it by itself.
    if ((e as NodeJS.ErrnoException).code !== "ERR_WORKER_INVALID_EXEC_ARGV") throw e;
    return new Worker(url, options);
  }
}

/** Node's options that say what the main script is: code given on the command line, and its kind. */
const SCRIPT_OPTIONS = /^(?:-e|--eval|-p|--print|-pe|--input-type)(?:=|$)/;

/**
 * The Node options for a worker thread when the ones it would inherit from the process stop it
 * from starting, else null (it inherits them). A worker given `--input-type` with its module file
 * refuses to start, so a program run as `node --input-type=module -e '…'` could draw no picture:
 * then the process's options but those that say what the main script is (`--input-type`,
 * `-e`/`--eval`, `-p`/`--print`, with their values).
 *
 * @example
 * workerExecArgv(["--input-type=module", "-e", "code", "--import", "hooks.mjs"]) // ["--import", "hooks.mjs"]
 * workerExecArgv(["-e", "code"]) // null
 */
export function workerExecArgv(execArgv: readonly string[]): string[] | null {
  if (!execArgv.some((a) => /^--input-type(?:=|$)/.test(a))) return null;
  const kept: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i]!;
    if (!SCRIPT_OPTIONS.test(a)) kept.push(a);
    // `-e code`, `--input-type module`: the value is the next argument, unless given with `=`.
    else if (!a.includes("=")) i++;
  }
  return kept;
}

/** What a worker thread did with one job it was given. */
export interface WorkerReport {
  /** Which worker: the edges reader or the analysis helper. */
  worker: "edges" | "analysis helper";
  /** The job: `edges`, or the helper's task name (`page-owned`, `shallow`, `mark-essential`, `number`, `translate`, `finish-tree`). */
  task: string;
  /** True when the worker's result was used; false when this thread did the job instead. */
  done: boolean;
  /** Why not, when `done` is false. */
  problem?: string;
  /**
   * The edges worker, when this thread read the end part of the edges array: from which byte, and
   * whether its rows were placed as read (`rows`) or read again on from the worker's state (`reread`).
   */
  split?: { from: number; join: "rows" | "reread" };
  /** The edges worker: this thread skipped over the edges array to where the worker guessed it ends, unread. */
  skippedToEnd?: boolean;
}
