/**
 * DOT → SVG with Graphviz compiled to WASM, under a time limit.
 *
 * Graphviz's `layout()` is synchronous and cannot be interrupted, and big or unlucky graphs can take
 * minutes. So it runs in a `worker_threads` Worker that we `terminate()` when time is up (that stops
 * it within milliseconds). One worker, loaded once, serves the whole process; jobs run one at a time,
 * in the order asked, unless {@link addLayoutWorker} started a second one (then two at a time).
 * Workers are `unref()`ed while idle, so they never keep the process alive; call
 * {@link closeLayoutWorker} to free them early.
 */
import type { Worker } from "node:worker_threads";
import { AbortedError, RenderError } from "../errors.js";
import { sanitizeText, truncateText } from "./format.js";
import type { AheadJob, LayoutJob, LayoutReply, LayoutWorkerData, WarmUpJob } from "./layout-worker.js";
import { startWorker } from "../threads.js";
import { finishSvg } from "./svg-finish.js";
import { secureSvg } from "./svg-safety.js";
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
  /** Layouts run on this slot's current worker (recycled after {@link LAYOUTS_PER_WORKER}). */
  layouts: number;
  /** A job is running on it (or, for a second worker, Graphviz is still loading). */
  busy: boolean;
}

/** A layout waiting for a free worker. */
interface Pending {
  dot: string;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  resolve: (svg: string) => void;
  reject: (error: unknown) => void;
}

const slots: Slot[] = [{ worker: undefined, layouts: 0, busy: false }];
/** Jobs wait here, in the order asked, until a worker is free. */
const waiting: Pending[] = [];
let nextJobId = 1;
/** The most workers {@link addLayoutWorker} runs. */
const MAX_LAYOUT_WORKERS = 2;

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
  const timeoutMs = opts.timeoutMs ?? DEFAULT_LAYOUT_TIMEOUT_MS;
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
    throw new RenderError(`invalid layout time limit: ${timeoutMs} ms`, "use a positive number of milliseconds");
  }
  if (opts.signal?.aborted) throw new AbortedError();
  return new Promise<string>((resolve, reject) => {
    waiting.push({ dot, timeoutMs, signal: opts.signal, resolve, reject });
    dispatch();
  });
}

/** Hands waiting jobs to free workers, first job to the first free slot. */
function dispatch(): void {
  for (const slot of slots) {
    if (waiting.length === 0) return;
    if (slot.busy) continue;
    const job = waiting.shift()!;
    slot.busy = true;
    layoutInWorker(slot, job.dot, job.timeoutMs, job.signal)
      .then(job.resolve, job.reject)
      .finally(() => {
        slot.busy = false;
        dispatch();
      });
  }
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
  const slot: Slot = { worker: undefined, layouts: 0, busy: true };
  slots.push(slot);
  // A one-node layout loads Graphviz; the slot takes real jobs once it is answered.
  return layoutInWorker(slot, "digraph {}", DEFAULT_LAYOUT_TIMEOUT_MS, undefined).then(
    () => {
      slot.busy = false;
      dispatch();
    },
    () => {
      const i = slots.indexOf(slot);
      if (i > 0) slots.splice(i, 1);
      slot.busy = false;
    },
  );
}

/**
 * Tells the layout worker, when there is one, the DOT most likely asked for next (by
 * {@link layoutSvg}, after the layouts asked for so far): it lays it out once it is done with
 * those, and answers the request for it from what it made. Nothing waits for it, and nothing
 * changes in any layout; a graph never asked for costs the worker's time only. For the fitter,
 * whose second layout is nearly always asked for right after the first. Only while one worker
 * runs (with two, the caller asks for the next layout outright: {@link addLayoutWorker}).
 */
export function layOutAhead(dot: string): void {
  const slot = slots[0]!;
  const w = slot.worker;
  // With two workers the next job may go to the other one, which would lay it out again.
  if (!w || slots.length > 1) return;
  slot.layouts++;
  w.postMessage({ ahead: dot } satisfies AheadJob);
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
 * are unref'ed — but frees their memory (~20 MB each) early.
 *
 * @example
 * await closeLayoutWorker();
 */
export async function closeLayoutWorker(): Promise<void> {
  const workers = slots.map((s) => s.worker);
  for (const s of slots) s.worker = undefined;
  // Back to one worker; a second one still loading drops out when its start-up job fails.
  slots.length = 1;
  await Promise.all(workers.map((w) => w?.terminate()));
}

function getWorker(slot: Slot): Worker {
  if (slot.worker) return slot.worker;
  const workerData: LayoutWorkerData = { keepProgramIn };
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

function layoutInWorker(slot: Slot, dot: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const w = getWorker(slot);
    const id = nextJobId++;
    let settled = false;

    const discard = () => {
      if (slot.worker === w) slot.worker = undefined;
      void w.terminate();
    };
    const settle = (action: () => void) => {
      if (settled) return;
      settled = true;
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
        settle(() => resolve(reply.svg));
        if (++slot.layouts >= LAYOUTS_PER_WORKER) discard();
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
      settle(() => reject(new RenderError(`the layout worker crashed: ${cleanMessage(error.message)}`, TOO_SLOW_HINT)));
    };
    const onExit = (code: number) => {
      settle(() => reject(new RenderError(`the layout worker stopped unexpectedly (exit code ${code})`, TOO_SLOW_HINT)));
    };
    const onAbort = () => {
      discard();
      settle(() => reject(new AbortedError()));
    };
    const timer = setTimeout(() => {
      discard();
      settle(() => reject(new RenderError(`the graph layout took longer than ${timeoutMs} ms`, TOO_SLOW_HINT)));
    }, timeoutMs);

    w.on("message", onMessage);
    w.on("error", onError);
    w.on("exit", onExit);
    signal?.addEventListener("abort", onAbort, { once: true });
    w.ref();
    w.postMessage({ id, dot } satisfies LayoutJob);
  });
}

/** Graphviz messages end with a newline and may quote the input: keep them to one printable line. */
function cleanMessage(message: string): string {
  return truncateText(sanitizeText(message.trim().replace(/\s*\n\s*/g, " ")), 300);
}
