/**
 * DOT → SVG with Graphviz compiled to WASM, under a time limit.
 *
 * Graphviz's `layout()` is synchronous and cannot be interrupted, and big or unlucky graphs can take
 * minutes. So it runs in a `worker_threads` Worker that we `terminate()` when time is up (that stops
 * it within milliseconds). One worker, loaded once, serves the whole process; jobs run one at a time,
 * in the order asked, unless {@link addLayoutWorker} started a second one (then two at a time). A
 * job's time limit counts from when its worker starts on it, never while it waits for another.
 * Workers are `unref()`ed while idle, so they never keep the process alive; call
 * {@link closeLayoutWorker} to free them early.
 */
import type { Worker } from "node:worker_threads";
import { AbortedError, RenderError } from "../errors.js";
import { sanitizeText, truncateText } from "./format.js";
import type { LayoutJob, LayoutReply, LayoutWorkerData, WarmUpJob } from "./layout-worker.js";
import { startWorker } from "../threads.js";
import { finishSvg } from "./svg-finish.js";
import { secureSvg } from "./svg-safety.js";
import { wasmTiering } from "./tiering.js";
import { warmUpDot } from "./warm-up.js";

export interface RenderSvgOptions {
  /** Give up on the layout after this many milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Stop the layout (the worker is terminated) and reject with `AbortedError`. */
  signal?: AbortSignal;
}

/** Default layout time limit. A 2000-node graph with edge labels takes ~4 s on a small machine. */
export const DEFAULT_LAYOUT_TIMEOUT_MS = 30_000;
/** Start a fresh worker after this many layouts (upstream: crashes after many layouts in one instance). */
const LAYOUTS_PER_WORKER = 200;
/**
 * Warm-up layouts {@link prepareLayout} runs by default (see warm-up.ts): none. On a 2-core machine
 * the reading and the analysis keep both cores busy, so the warm-up's CPU was taken from them: with
 * two rounds, pictures of the benchmark snapshots took 0.1–0.2 s longer and 0.2–0.4 s more CPU than
 * with the worker only loading Graphviz early (bench/README.md, 2026-11-29). Since the command line
 * raised V8's WebAssembly tiering budget (src/cli/wasm-tiering.ts) a warm-up has no optimising to
 * do early, and one round saved no measurable time (bench/README.md, 2026-11-30).
 */
const WARM_UP_ROUNDS = 0;
/**
 * The layout worker's young generation (V8's nursery for short-lived JavaScript objects). Its work is
 * in WebAssembly; its JavaScript makes a few strings per layout, so V8's default nursery (16 MB per
 * half) only adds resident memory: 2 MB took 6–8 MB off a picture's peak at no measurable CPU cost.
 */
const LAYOUT_YOUNG_GENERATION_MB = 2;
const TOO_SLOW_HINT = "draw fewer objects: lower --max-nodes or --depth (or raise the time limit)";

/**
 * The layout workers: the first, started by {@link prepareLayout} or the first layout, and a second
 * one only when {@link addLayoutWorker} asks for it (a picture that takes many layouts: the fitter
 * lays out two at a time then). A slot whose worker was terminated (time limit, error, recycling)
 * starts a new one for its next job.
 */
interface Slot {
  worker: Worker | undefined;
  /** Layouts answered by this slot's current worker (recycled after {@link LAYOUTS_PER_WORKER}). */
  layouts: number;
  /**
   * Settles once the last job handed to this slot's worker is done (answered, failed or stopped):
   * the job running, or one made ahead behind it ({@link layOutAhead}); for a second worker, its
   * start-up job until Graphviz is loaded. Undefined while the slot is free.
   */
  last: Promise<void> | undefined;
}

/** A layout waiting for a free worker. */
interface Pending {
  dot: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  resolve: (svg: string) => void;
  reject: (error: unknown) => void;
  /** Takes the job out of the queue when its signal fires. */
  onAbort: () => void;
}

const newSlot = (): Slot => ({ worker: undefined, layouts: 0, last: undefined });
const slots: Slot[] = [newSlot()];
/** Jobs wait here, in the order asked, until a worker is free. */
const waiting: Pending[] = [];
let nextJobId = 1;
/** The most workers {@link addLayoutWorker} runs. */
const MAX_LAYOUT_WORKERS = 2;
/** The last layout made ahead and not yet asked for ({@link layOutAhead}). */
interface Ahead {
  dot: string;
  /** Its SVG once made. */
  svg: Promise<string>;
  /** Its time limit. */
  timeoutMs: number;
  /** Milliseconds it ran (from when its worker started on it to its answer), once answered. */
  ran: () => number | undefined;
  /** Stops it (terminating its worker) once its worker is on it; false before. */
  stop: () => boolean;
}
let ahead: Ahead | null = null;
/** Jobs posted to layout workers so far: made-ahead ones and a second worker's start-up included. */
let postedJobs = 0;
/** Errors of layouts stopped by their time limit. */
const timedOut = new WeakSet<object>();
/** Errors of layouts whose worker crashed or exited: the same layout on a fresh worker may succeed. */
const workerLost = new WeakSet<object>();
/** Workers {@link closeLayoutWorker} terminated: their jobs fail saying so. */
const closedWorkers = new WeakSet<Worker>();
const noop = (): void => {};

/**
 * Lay out a DOT graph with the `dot` engine and return the SVG, finished by {@link finishSvg} (a
 * font list that degrades well, `role="img"`, `<title>` and `<desc>`) and checked and tidied by
 * {@link secureSvg} (well-formed XML, nothing a browser would execute).
 *
 * @throws {RenderError} on a DOT syntax error, a layout slower than `timeoutMs` (hint: lower
 *   `--max-nodes`/`--depth`), a crashed worker, or an unsafe/malformed SVG.
 * @throws {AbortedError} when `signal` fires.
 * @example
 * const svg = await renderSvg(toDot(subgraph), { timeoutMs: 10_000 });
 */
export async function renderSvg(dot: string, opts: RenderSvgOptions = {}): Promise<string> {
  return finishLayout(await layoutSvg(dot, opts));
}

/**
 * Graphviz's own SVG for `dot`, as {@link renderSvg} lays it out but not yet finished nor checked:
 * for measuring layouts that may be thrown away ({@link layoutToFit}). Whatever is written or shown
 * goes through {@link finishLayout} first.
 *
 * @throws {RenderError}, {@link AbortedError} as renderSvg does (except the SVG checks).
 */
export async function layoutSvg(dot: string, opts: RenderSvgOptions = {}): Promise<string> {
  const timeoutMs = checkedTimeout(opts.timeoutMs);
  const signal = opts.signal;
  if (signal?.aborted) throw new AbortedError();
  let limit = timeoutMs;
  if (ahead !== null && ahead.dot === dot) {
    const made = ahead;
    ahead = null;
    try {
      return await whenMade(made, signal);
    } catch (error) {
      // The time limit holds once, across the layout made ahead and a retry: a layout stopped by its
      // limit is not laid out again unless this job's limit is longer (then for what is left of it).
      // Graphviz's errors and a close are the answer as they are. A crashed worker is the one case
      // worth a fresh worker: laid out again, for what is left of the limit.
      if (!(error instanceof Error) || error instanceof AbortedError) throw error;
      const ran = timedOut.has(error) ? made.timeoutMs : workerLost.has(error) ? (made.ran() ?? 0) : undefined;
      if (ran === undefined || timeoutMs - ran <= 0) throw error;
      limit = timeoutMs - ran;
    }
  }
  return queueLayout(dot, limit, signal);
}

/** A layout waiting for a worker, in the order asked ({@link dispatch}). */
function queueLayout(dot: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const job: Pending = { dot, timeoutMs, signal, resolve, reject, onAbort: noop };
    job.onAbort = () => {
      const i = waiting.indexOf(job);
      if (i < 0) return;
      waiting.splice(i, 1);
      reject(new AbortedError());
    };
    signal?.addEventListener("abort", job.onAbort, { once: true });
    waiting.push(job);
    dispatch();
  });
}

function checkedTimeout(ms: number | undefined): number {
  const timeoutMs = ms ?? DEFAULT_LAYOUT_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RenderError(`invalid layout time limit: ${timeoutMs} ms`, "use a positive number of milliseconds");
  }
  return timeoutMs;
}

/**
 * The answer of a layout made ahead; rejects at once when `signal` fires, and then stops the layout
 * when its worker is on it (nothing else waits for it: it was taken out of {@link ahead}).
 */
function whenMade(made: Ahead, signal: AbortSignal | undefined): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const onAbort = () => {
      made.stop();
      reject(new AbortedError());
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    made.svg.then(resolve, reject).finally(() => signal?.removeEventListener("abort", onAbort));
  });
}

/** Hands waiting jobs to free workers, first job to the first free slot. */
function dispatch(): void {
  for (const slot of slots) {
    if (waiting.length === 0) return;
    if (slot.last) continue;
    const job = waiting.shift()!;
    job.signal?.removeEventListener("abort", job.onAbort);
    handOver(slot, job.dot, job.timeoutMs, job.signal).svg.then(job.resolve, job.reject);
  }
}

/**
 * Posts `dot` to the slot's worker now, behind the job it has (if any): the worker lays it out once
 * that one is done, and its time limit starts then. The slot takes no other job until it is done.
 */
function handOver(slot: Slot, dot: string, timeoutMs: number, signal: AbortSignal | undefined): Posted {
  const posted = layoutInWorker(slot, dot, timeoutMs, signal, slot.last);
  const job = posted.svg;
  const last = job.then(noop, noop);
  slot.last = last;
  void last.then(() => {
    if (slot.last !== last) return;
    slot.last = undefined;
    dispatch();
  });
  return posted;
}

/**
 * How many layouts run at once: 1, or 2 once {@link addLayoutWorker} started a second worker
 * (until {@link closeLayoutWorker}).
 */
export function layoutWorkers(): number {
  return slots.length;
}

/**
 * Starts a second layout worker, so that two layouts run at once, each on its own thread: for a
 * caller about to ask for many layouts whose results it needs one after another (the fitter's
 * tries, when a picture fits neither way at first). Pays off only where a core is free: starting
 * a worker and loading Graphviz cost ~0.1–0.2 s of CPU (docs/rendering.md). The worker takes jobs
 * once Graphviz is loaded (until then the first worker takes them all); the promise says when
 * (it never rejects: a worker that cannot start takes no jobs, the first does them all). No-op
 * when it runs already. {@link closeLayoutWorker} goes back to one worker.
 */
export function addLayoutWorker(): Promise<void> {
  if (slots.length >= MAX_LAYOUT_WORKERS) return Promise.resolve();
  const slot = newSlot();
  slots.push(slot);
  // A one-node layout loads Graphviz; the slot takes real jobs once it is answered.
  const started = layoutInWorker(slot, "digraph {}", DEFAULT_LAYOUT_TIMEOUT_MS, undefined, undefined).svg;
  const loading = started.then(noop, noop);
  slot.last = loading;
  return started.then(
    () => {
      if (slot.last === loading) slot.last = undefined;
      dispatch();
    },
    () => {
      const i = slots.indexOf(slot);
      if (i > 0) slots.splice(i, 1);
      if (slot.last === loading) slot.last = undefined;
    },
  );
}

/**
 * Tells the layout worker, when there is one, the DOT most likely asked for next (by
 * {@link layoutSvg}, after the layouts asked for so far): it is posted to the worker now, which lays
 * it out as soon as it is done with the job it has, and the next layoutSvg of that very DOT is
 * answered with what it made: the SVG, or its error (laid out again only when its worker was lost,
 * or its time limit was shorter than the job's: for what is left of the job's limit). For the
 * fitter, whose second layout is nearly always asked for right after the first. Nothing changes in
 * any layout.
 *
 * It is a job of its own: its time limit (`opts.timeoutMs`) starts when the worker starts on it,
 * and a job for another graph waits for it, as for any job before it (a graph never asked for costs
 * one layout of the worker's time). A layoutSvg answered from it waits for it within that limit
 * (its signal still stops the waiting at once, and this layout too once the worker is on it).
 * Only while one worker runs and no job is waiting
 * (with two, the caller asks for the next layout outright: {@link addLayoutWorker}).
 */
export function layOutAhead(dot: string, opts: Pick<RenderSvgOptions, "timeoutMs"> = {}): void {
  const slot = slots[0]!;
  // With two workers the next job may go to the other one, which would lay it out again.
  if (!slot.worker || slots.length > 1 || waiting.length > 0) return;
  let timeoutMs: number;
  try {
    timeoutMs = checkedTimeout(opts.timeoutMs);
  } catch {
    return; // (the job asked for it reports the time limit)
  }
  const stopper = new AbortController();
  const posted = handOver(slot, dot, timeoutMs, stopper.signal);
  posted.svg.catch(noop); // (a failure is the job's to report, when there is one)
  ahead = {
    dot,
    svg: posted.svg,
    timeoutMs,
    ran: posted.ran,
    stop: () => {
      // Before, its worker is on the job posted before it, which is not this one's to stop.
      if (!posted.started()) return false;
      stopper.abort();
      return true;
    },
  };
}

/**
 * How many layout jobs this process has posted to layout workers: each layout asked for, each made
 * ahead ({@link layOutAhead}) and each second worker's start-up (a one-node graph). For tests and
 * measurements: a layout answered from one made ahead is not posted again.
 */
export function layoutJobsPosted(): number {
  return postedJobs;
}

/**
 * The last steps of {@link renderSvg}: {@link finishSvg} (fonts, title, description), then
 * {@link secureSvg} (well-formed, nothing a browser would execute).
 *
 * @throws {RenderError} on an unsafe or malformed SVG.
 */
export function finishLayout(graphvizSvg: string): string {
  return secureSvg(finishSvg(graphvizSvg));
}

/**
 * Starts the layout worker now, without waiting: it loads Graphviz's WASM and then lays out a
 * made-up picture `rounds` times (warm-up.ts; none by default), stopping as soon as a real layout is
 * asked for. Call it early — the CLI does before reading the snapshot — so the first
 * {@link renderSvg} does not pay for starting the worker and compiling Graphviz. Warm-up rounds
 * also spare it V8's first, unoptimised runs of Graphviz, but only pay where a core is idle while
 * the caller works. Failures are left to renderSvg.
 */
export function prepareLayout(rounds: number = WARM_UP_ROUNDS): void {
  let w: Worker;
  try {
    w = getWorker(slots[0]!);
  } catch {
    return;
  }
  slots[0]!.layouts += rounds;
  // With no rounds the message only makes the worker load Graphviz: no picture to build.
  w.postMessage({ warmUp: rounds > 0 ? warmUpDot() : "", rounds } satisfies WarmUpJob);
}

/** Where layout workers started from now on keep Graphviz's decoded program; null: nowhere. */
let keepProgramIn: string | null = null;

/**
 * Lets layout workers started from now on keep Graphviz's WebAssembly program, decoded, in `dir`
 * (and read it from there), which spares each later process ~0.1 s of CPU decoding it
 * (graphviz-wasm.ts). The command line passes its cache directory when the cache is on; by default
 * (null) nothing is written anywhere.
 */
export function keepGraphvizIn(dir: string | null): void {
  keepProgramIn = dir;
}

/**
 * Terminate the layout workers now (the next {@link renderSvg} starts a new one; one only, until
 * {@link addLayoutWorker} asks for a second). Not needed for the process to exit — idle workers
 * are unref'ed — but frees their memory (~20 MB each) early. Every layout asked for and not yet
 * answered, running or waiting for a worker, fails with a `RenderError` saying so.
 *
 * @example
 * await closeLayoutWorker();
 */
export async function closeLayoutWorker(): Promise<void> {
  // Jobs not yet handed to a worker fail too, rather than start a new one after the close.
  for (const job of waiting.splice(0)) {
    job.signal?.removeEventListener("abort", job.onAbort);
    job.reject(closedError());
  }
  ahead = null;
  const workers = slots.flatMap((s) => (s.worker ? [s.worker] : []));
  for (const w of workers) closedWorkers.add(w);
  // Back to one free slot. The jobs on the old workers fail as they exit; a second worker still
  // loading drops out when its start-up job fails.
  slots.splice(0, slots.length, newSlot());
  await Promise.all(workers.map((w) => w.terminate()));
}

function closedError(): RenderError {
  return new RenderError("the layout workers were closed before this layout was done");
}

/** The slot's worker, started when it has none, or afresh when it has done its share and nothing runs on it. */
function getWorker(slot: Slot): Worker {
  if (slot.worker && slot.layouts >= LAYOUTS_PER_WORKER && !slot.last) {
    void slot.worker.terminate();
    slot.worker = undefined;
  }
  if (slot.worker) return slot.worker;
  const workerData: LayoutWorkerData = { keepProgramIn, wasmTiering: wasmTiering() };
  const w = startWorker("layout-worker", import.meta.url, {
    workerData,
    resourceLimits: { maxYoungGenerationSizeMb: LAYOUT_YOUNG_GENERATION_MB },
  });
  w.unref();
  // Permanent listeners: an unhandled 'error' event would crash the parent.
  const forget = () => {
    if (slot.worker === w) slot.worker = undefined;
  };
  w.on("error", forget);
  w.on("exit", forget);
  slot.worker = w;
  slot.layouts = 0;
  return w;
}

/** A job posted to a worker: its answer, and how long it ran. */
interface Posted {
  svg: Promise<string>;
  /** Whether its worker has started on it (its time limit runs). */
  started: () => boolean;
  /** Milliseconds from when its worker started on it to its answer; undefined until answered. */
  ran: () => number | undefined;
}

/**
 * Posts a job to the slot's worker and settles with its answer. With `after` (the job posted before
 * it, which the worker does first), its time limit starts once that one is done; the worker failing
 * meanwhile fails it at once.
 */
function layoutInWorker(
  slot: Slot,
  dot: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  after: Promise<void> | undefined,
): Posted {
  // Milliseconds by Date.now(): what `ran` is for (the rest of a time limit after a lost worker)
  // needs no finer clock, and `performance` would load Node's perf_hooks for it.
  let startedAt: number | undefined;
  let ran: number | undefined;
  const svg = new Promise<string>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const w = getWorker(slot);
    const id = nextJobId++;
    postedJobs++;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const discard = () => {
      if (slot.worker === w) slot.worker = undefined;
      void w.terminate();
    };
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
      if (startedAt !== undefined) ran = Date.now() - startedAt;
      clearTimeout(timer);
      w.off("message", onMessage);
      w.off("error", onError);
      w.off("exit", onExit);
      signal?.removeEventListener("abort", onAbort);
      w.unref();
      action();
    };
    const onMessage = (reply: LayoutReply) => {
      if (reply.id !== id) return;
      if (reply.ok) {
        slot.layouts++;
        settle(() => resolve(reply.svg));
      } else {
        // After an error the WASM instance may be unusable: start afresh next time.
        discard();
        settle(() =>
          reject(
            new RenderError(
              `Graphviz could not lay out the graph: ${cleanMessage(reply.message)}`,
              "if the DOT came from backrefs, this is a bug; please report it",
            ),
          ),
        );
      }
    };
    const onError = (error: Error) => {
      discard();
      settle(() => reject(lost(new RenderError(`the layout worker crashed: ${cleanMessage(error.message)}`, TOO_SLOW_HINT))));
    };
    const onExit = (code: number) => {
      settle(() =>
        reject(
          closedWorkers.has(w)
            ? closedError()
            : lost(new RenderError(`the layout worker stopped unexpectedly (exit code ${code})`, TOO_SLOW_HINT)),
        ),
      );
    };
    const onAbort = () => {
      discard();
      settle(() => reject(new AbortedError()));
    };
    // The time limit counts from when the worker starts on this job. (Settled jobs run this too:
    // the timer is cleared by settle, and nothing is armed after it.)
    const start = () => {
      if (settled) return;
      startedAt = Date.now();
      w.ref();
      timer = setTimeout(() => {
        discard();
        const error = new RenderError(`the graph layout took longer than ${timeoutMs} ms`, TOO_SLOW_HINT);
        timedOut.add(error);
        settle(() => reject(error));
      }, timeoutMs);
    };

    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    signal?.addEventListener("abort", onAbort, { once: true });
    w.postMessage({ id, dot } satisfies LayoutJob);
    if (after) void after.then(start);
    else start();
  });
  return { svg, started: () => startedAt !== undefined, ran: () => ran };
}

/** `error`, marked as the loss of its worker ({@link workerLost}). */
function lost(error: RenderError): RenderError {
  workerLost.add(error);
  return error;
}

/** Graphviz messages end with a newline and may quote the input: keep them to one printable line. */
function cleanMessage(message: string): string {
  return truncateText(sanitizeText(message.trim().replace(/\s*\n\s*/g, " ")), 300);
}
