/**
 * The layout queue of svg.ts with stand-in workers: when each job is handed to a worker, when its
 * time limit starts, what a worker that dies or is closed leaves behind. The workers are started
 * through src/threads.ts, replaced here by {@link FakeWorker}s that answer only when told to, so
 * every order of events is played out on purpose (real layouts: svg.test.ts).
 */
import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AbortedError, RenderError } from "../../src/errors.js";
import type { LayoutReply } from "../../src/render/layout-worker.js";

/** What a {@link FakeWorker} answers for `dot`. */
const svgOf = (dot: string): string => `<svg>${dot}</svg>`;

/**
 * A layout worker that lays out nothing until the test says so: messages wait in its inbox, in the
 * order posted, and {@link finish} does the oldest one (as the real worker, one at a time), or
 * each is done as it arrives when {@link FakeWorker.answerAtOnce} is set.
 */
class FakeWorker extends EventEmitter {
  static answerAtOnce = false;
  /** Every message posted to it, in order. */
  readonly received: unknown[] = [];
  private readonly inbox: unknown[] = [];
  exited = false;

  /** The DOT of each layout job posted to it, in order. */
  get dots(): string[] {
    return this.received.flatMap((m) => (isJob(m) ? [m.dot] : []));
  }

  postMessage(message: unknown): void {
    if (this.exited) return;
    this.received.push(message);
    if (typeof message === "object" && message !== null && "warmUp" in message) return; // only loads Graphviz
    this.inbox.push(message);
    if (FakeWorker.answerAtOnce) queueMicrotask(() => this.finish());
  }

  /** Does the oldest message not done: a job is answered with {@link svgOf} its DOT (or `problem`). */
  finish(problem?: string): void {
    if (this.exited) throw new Error("this worker has exited");
    const message = this.inbox.shift();
    if (message === undefined) throw new Error("nothing to finish");
    if (!isJob(message)) return;
    const reply: LayoutReply =
      problem === undefined ? { id: message.id, ok: true, svg: svgOf(message.dot) } : { id: message.id, ok: false, message: problem };
    this.emit("message", reply);
  }

  /** Dies as a worker thread does on an uncaught error: 'error', then 'exit'. */
  crash(): void {
    this.exited = true;
    this.emit("error", new Error("out of memory"));
    this.emit("exit", 1);
  }

  terminate(): Promise<number> {
    if (this.exited) return Promise.resolve(1);
    this.exited = true;
    // As a real worker: the 'exit' event comes later, then the promise settles.
    return Promise.resolve().then(() => {
      this.emit("exit", 1);
      return 1;
    });
  }

  ref(): void {}
  unref(): void {}
}

function isJob(message: unknown): message is { id: number; dot: string } {
  return typeof message === "object" && message !== null && "id" in message && "dot" in message;
}

const workers: FakeWorker[] = [];
vi.mock("../../src/threads.js", async (importOriginal) => {
  const real = await importOriginal<typeof import("../../src/threads.js")>();
  return {
    ...real,
    startWorker: () => {
      const w = new FakeWorker();
      workers.push(w);
      return w;
    },
  };
});

const { addLayoutWorker, closeLayoutWorker, layOutAhead, layoutSvg, layoutWorkers } = await import("../../src/render/svg.js");

/** Lets every message, exit and promise callback pending run (setImmediate is never faked here). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How `promise` has settled so far, without awaiting it. */
function track<T>(promise: Promise<T>): { status: "pending" | "fulfilled" | "rejected"; value?: T; error?: unknown } {
  const state: { status: "pending" | "fulfilled" | "rejected"; value?: T; error?: unknown } = { status: "pending" };
  promise.then(
    (value) => Object.assign(state, { status: "fulfilled", value }),
    (error: unknown) => Object.assign(state, { status: "rejected", error }),
  );
  return state;
}

beforeEach(async () => {
  FakeWorker.answerAtOnce = false;
  await closeLayoutWorker();
  await flush();
  workers.length = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe("a layout made ahead (layOutAhead)", () => {
  it("is handed to the worker at once, and the next job's time limit starts only once it is done", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const a = layoutSvg("A", { timeoutMs: 1000 });
    await flush();
    layOutAhead("B");
    const w = workers[0]!;
    // The worker has B to lay out right after A, without waiting for this thread to read A.
    expect(w.dots).toEqual(["A", "B"]);
    w.finish();
    await expect(a).resolves.toBe(svgOf("A"));

    // C waits for B, laid out for nothing: its own limit must not be spent on B.
    const c = track(layoutSvg("C", { timeoutMs: 1000 }));
    await vi.advanceTimersByTimeAsync(5000);
    expect(c.status).toBe("pending");
    expect(w.dots).toEqual(["A", "B"]);
    w.finish(); // B
    await flush();
    expect(w.dots).toEqual(["A", "B", "C"]);
    w.finish();
    await flush();
    expect(c).toMatchObject({ status: "fulfilled", value: svgOf("C") });
    expect(workers).toHaveLength(1);
  });

  it("answers the job for it without laying it out again", async () => {
    const a = layoutSvg("A");
    await flush();
    layOutAhead("B");
    const w = workers[0]!;
    w.finish();
    w.finish();
    await a;
    await expect(layoutSvg("B")).resolves.toBe(svgOf("B"));
    expect(w.dots).toEqual(["A", "B"]);
    // Used once: asked again, it is laid out again.
    const again = layoutSvg("B");
    await flush();
    w.finish();
    await expect(again).resolves.toBe(svgOf("B"));
    expect(w.dots).toEqual(["A", "B", "B"]);
  });

  it("counts once towards the worker's recycling (a fresh worker after 200 layouts)", async () => {
    FakeWorker.answerAtOnce = true;
    for (let round = 0; round < 100; round++) {
      const first = layoutSvg(`A${round}`);
      await flush();
      layOutAhead(`B${round}`);
      await first;
      await expect(layoutSvg(`B${round}`)).resolves.toBe(svgOf(`B${round}`));
    }
    expect(workers).toHaveLength(1);
    expect(workers[0]!.dots).toHaveLength(200);
    expect(new Set(workers[0]!.dots).size).toBe(200); // each laid out once
    await layoutSvg("C");
    expect(workers).toHaveLength(2);
    expect(workers[0]!.exited).toBe(true);
    expect(workers[1]!.dots).toEqual(["C"]);
  });

  it("that never ends is stopped at its own time limit, started once the job before it is done", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const a = layoutSvg("A", { timeoutMs: 5000 });
    await flush();
    layOutAhead("B", { timeoutMs: 1000 });
    const w = workers[0]!;
    await vi.advanceTimersByTimeAsync(3000); // A is slow: B has not started
    expect(w.exited).toBe(false);
    w.finish();
    await expect(a).resolves.toBe(svgOf("A"));
    const c = track(layoutSvg("C", { timeoutMs: 60_000 }));
    await vi.advanceTimersByTimeAsync(1000); // B never ends
    expect(w.exited).toBe(true);
    await flush();
    expect(workers).toHaveLength(2);
    expect(workers[1]!.dots).toEqual(["C"]);
    workers[1]!.finish();
    await flush();
    expect(c).toMatchObject({ status: "fulfilled", value: svgOf("C") });
    // B was not made: asked for, it is laid out afresh.
    const b = layoutSvg("B");
    await flush();
    workers[1]!.finish();
    await expect(b).resolves.toBe(svgOf("B"));
    expect(workers[1]!.dots).toEqual(["C", "B"]);
  });

  it("that fails answers the job for it with its error, without laying it out again; the next job runs on a new worker", async () => {
    const a = layoutSvg("A");
    await flush();
    layOutAhead("B");
    const w = workers[0]!;
    w.finish();
    await a;
    w.finish("syntax error");
    await expect(layoutSvg("B")).rejects.toThrow(/Graphviz could not lay out the graph: syntax error/);
    expect(workers).toHaveLength(1);
    const c = layoutSvg("C");
    await flush();
    expect(workers).toHaveLength(2);
    workers[1]!.finish();
    await expect(c).resolves.toBe(svgOf("C"));
    expect(workers[1]!.dots).toEqual(["C"]);
  });

  it("that hit its time limit is not laid out again; a job with a longer limit lays it out for what is left of it", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const a = layoutSvg("A", { timeoutMs: 1000 });
    await flush();
    layOutAhead("B", { timeoutMs: 1000 });
    workers[0]!.finish();
    await a;
    const b = track(layoutSvg("B", { timeoutMs: 1000 }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(b.status).toBe("rejected");
    expect(String(b.error)).toMatch(/longer than 1000 ms/);
    await flush();
    expect(workers).toHaveLength(1);

    const a2 = layoutSvg("A", { timeoutMs: 1000 });
    await flush();
    layOutAhead("B", { timeoutMs: 1000 });
    workers[1]!.finish();
    await a2;
    const b2 = track(layoutSvg("B", { timeoutMs: 1500 }));
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    // Laid out again on a new worker, with the 500 ms left.
    expect(workers).toHaveLength(3);
    expect(workers[2]!.dots).toEqual(["B"]);
    await vi.advanceTimersByTimeAsync(499);
    expect(b2.status).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(b2.status).toBe("rejected");
    expect(String(b2.error)).toMatch(/longer than 500 ms/);
  });

  it("the job waiting for it can be aborted at once", async () => {
    const a = layoutSvg("A");
    await flush();
    layOutAhead("B");
    workers[0]!.finish();
    await a;
    const controller = new AbortController();
    const b = track(layoutSvg("B", { signal: controller.signal }));
    await flush();
    controller.abort();
    await flush();
    expect(b.status).toBe("rejected");
    expect(b.error).toBeInstanceOf(AbortedError);
    // The worker was on it, and nothing else waits for it: stopped too.
    expect(workers[0]!.exited).toBe(true);
  });
});

describe("a worker that stops mid-job", () => {
  it("fails its job and the one made ahead of it; each asked again runs on a new worker", async () => {
    const a = track(layoutSvg("A"));
    await flush();
    layOutAhead("B");
    workers[0]!.crash();
    await flush();
    expect(a.status).toBe("rejected");
    expect(a.error).toBeInstanceOf(RenderError);
    const b = layoutSvg("B");
    const c = layoutSvg("C");
    await flush();
    expect(workers).toHaveLength(2);
    workers[1]!.finish();
    await flush();
    workers[1]!.finish();
    await expect(b).resolves.toBe(svgOf("B"));
    await expect(c).resolves.toBe(svgOf("C"));
    expect([...workers[1]!.dots].sort()).toEqual(["B", "C"]);
  });
});

describe("jobs waiting for a worker", () => {
  it("a waiting job fails as soon as its signal fires, and is never laid out", async () => {
    const a = layoutSvg("A");
    await flush();
    const controller = new AbortController();
    const b = track(layoutSvg("B", { signal: controller.signal }));
    controller.abort();
    await flush();
    expect(b.status).toBe("rejected");
    expect(b.error).toBeInstanceOf(AbortedError);
    workers[0]!.finish();
    await expect(a).resolves.toBe(svgOf("A"));
    await flush();
    expect(workers[0]!.dots).toEqual(["A"]);
  });

  it("closeLayoutWorker while a second worker loads: every job not answered fails, and none is laid out later", async () => {
    const a = track(layoutSvg("A"));
    await flush();
    const second = addLayoutWorker();
    const b = track(layoutSvg("B"));
    await flush();
    expect(workers).toHaveLength(2);
    expect(workers[0]!.dots).toEqual(["A"]);
    expect(workers[1]!.dots).toEqual(["digraph {}"]); // loading Graphviz
    await closeLayoutWorker();
    await second; // never rejects
    await flush();
    expect(a.status).toBe("rejected");
    expect(b.status).toBe("rejected");
    expect(b.error).toBeInstanceOf(RenderError);
    expect(String(b.error)).toMatch(/closed/);
    expect(workers).toHaveLength(2); // no worker started for what was asked before the close
    expect(layoutWorkers()).toBe(1);
    const c = layoutSvg("C");
    await flush();
    expect(workers).toHaveLength(3);
    expect(workers[2]!.dots).toEqual(["C"]);
    workers[2]!.finish();
    await expect(c).resolves.toBe(svgOf("C"));
  });
});
