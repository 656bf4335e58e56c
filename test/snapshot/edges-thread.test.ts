/**
 * The edges of a file too small for an edges worker of its own, read on a thread given by the
 * caller (ReadOptions.edgesThread: the analysis helper's, in openSnapshot): whatever that thread
 * does — answers at once, answers only after this thread has passed the array (it is then seen in
 * shared memory), stops, or is not there — the columns are exactly those one thread reads.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEdgesJob, type EdgesJobData, type EdgesJobMessage } from "../../src/snapshot/edges-job.js";
import { SplitControl } from "../../src/snapshot/edges-split.js";
import { readSnapshotRaw, type EdgesThread } from "../../src/snapshot/read.js";
import type { RawSnapshot } from "../../src/snapshot/parser.js";
import type { WorkerReport } from "../../src/threads.js";
import { AnalysisHelper } from "../../src/graph/helper.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

/** A snapshot file whose edges start well after the first chunk a reader takes. */
function snapshotFile(): string {
  const b = new SnapshotBuilder();
  const nodes = [b.gcRoots];
  for (let k = 0; k < 120000; k++) nodes.push(b.node("object", `C${k % 50}`, { selfSize: 16 + (k % 7) }));
  let s = 7;
  const r = (): number => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  for (let k = 0; k < 150000; k++) {
    const from = nodes[Math.floor(r() * nodes.length)]!;
    const to = nodes[Math.floor(r() * nodes.length)]!;
    if (k % 3 === 0) b.edge(from, to, "element", k);
    else b.edge(from, to, "property", `p${k % 97}`);
  }
  const file = join(tempDir("backrefs-edges-thread-"), "s.heapsnapshot");
  writeFileSync(file, b.serialize());
  return file;
}

function expectSameColumns(two: RawSnapshot, one: RawSnapshot): void {
  expect(Array.from(two.edges.type)).toEqual(Array.from(one.edges.type));
  expect(Array.from(two.edges.name)).toEqual(Array.from(one.edges.name));
  expect(Array.from(two.edges.to)).toEqual(Array.from(one.edges.to));
  expect(two.edges.maxStringRef).toBe(one.edges.maxStringRef);
  expect(Array.from(two.nodes.firstEdge)).toEqual(Array.from(one.nodes.firstEdge));
  expect(Array.from(two.nodes.id)).toEqual(Array.from(one.nodes.id));
  expect(two.strings.length).toBe(one.strings.length);
}

/**
 * A thread on this one: the job runs when the event loop next turns (as a message to another
 * thread would be taken up), and its messages are delivered when `deliver` settles.
 */
function laterThread(deliver: () => Promise<void>, ran: { jobs: number }): EdgesThread {
  return {
    run(data, onMessage) {
      ran.jobs++;
      const queued: EdgesJobMessage[] = [];
      setImmediate(() => {
        readEdgesJob(data, (m) => queued.push(m));
        void deliver().then(() => {
          for (const m of queued) onMessage(m);
        });
      });
    },
  };
}

describe("reading the edges on a thread given", () => {
  const file = snapshotFile();

  it("gives the one-thread columns when the thread answers while the file is read", async () => {
    const one = await readSnapshotRaw(file, { parallel: false });
    const reports: WorkerReport[] = [];
    const ran = { jobs: 0 };
    const two = await readSnapshotRaw(file, {
      edgesThread: () => laterThread(() => Promise.resolve(), ran),
      onWorker: (x) => reports.push(x),
    });
    expect(ran.jobs).toBe(1);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.done).toBe(true);
    expectSameColumns(two, one);
  });

  it("skips the array it found even when its message comes only after this thread passed it (seen in shared memory)", async () => {
    const one = await readSnapshotRaw(file, { parallel: false });
    const reports: WorkerReport[] = [];
    // The job's messages are held until this thread has read the whole file (it then lets a
    // holding job go: SplitControl.release, which clears the hold word, the second int32).
    const holding: EdgesThread = {
      run(data, onMessage) {
        setImmediate(() => {
          const queued: EdgesJobMessage[] = [];
          readEdgesJob(data, (m) => queued.push(m));
          const hold = new Int32Array(data.control!, 0, 2);
          Atomics.store(hold, 1, 1);
          const poll = setInterval(() => {
            if (Atomics.load(hold, 1) !== 0) return;
            clearInterval(poll);
            for (const m of queued) onMessage(m);
          }, 2);
        });
      },
    };
    const two = await readSnapshotRaw(file, { edgesThread: () => holding, onWorker: (x) => reports.push(x) });
    expect(reports.map((x) => [x.done, x.problem])).toEqual([[true, undefined]]);
    expectSameColumns(two, one);
  });

  it("a job cancelled before it runs (this thread reached the array first) says only that it found nothing", async () => {
    let data: EdgesJobData | null = null;
    // The job is kept, not run: this thread then reads the edges itself and cancels the job.
    const keeping: EdgesThread = { run: (d) => void (data = d) };
    await readSnapshotRaw(file, { edgesThread: () => keeping });
    expect(data).not.toBeNull();
    const job = data!;
    expect(new SplitControl(job.control!).cancelled()).toBe(true);
    const posted: EdgesJobMessage[] = [];
    readEdgesJob(job, (m) => posted.push(m));
    expect(posted.map((m) => m.type)).toEqual(["not-found"]);
    // Not cancelled, the same job finds the array and reads it.
    const fresh = SplitControl.create();
    const read: EdgesJobMessage[] = [];
    readEdgesJob({ ...job, control: fresh.buffer }, (m) => read.push(m));
    expect(read.map((m) => m.type)).toEqual(["found", "done"]);
  });

  it("reads the file again on one thread when the thread stops after it found the array", async () => {
    const one = await readSnapshotRaw(file, { parallel: false });
    const reports: WorkerReport[] = [];
    const dying: EdgesThread = {
      run(data, onMessage, onGone) {
        setImmediate(() => {
          readEdgesJob(data, (m) => {
            if (m.type === "found") onMessage(m);
          });
          onGone("gone");
        });
      },
    };
    const two = await readSnapshotRaw(file, { edgesThread: () => dying, onWorker: (x) => reports.push(x) });
    expect(reports.at(-1)?.problem).toBe("the thread reading the edges stopped: read again on one thread");
    expectSameColumns(two, one);
  });

  it("reads the edges itself when no thread is there, or when told to read on one thread", async () => {
    const one = await readSnapshotRaw(file, { parallel: false });
    const reports: WorkerReport[] = [];
    const two = await readSnapshotRaw(file, { edgesThread: () => null, onWorker: (x) => reports.push(x) });
    expect(reports.map((x) => [x.done, x.problem])).toEqual([[false, "no thread to read the edges on"]]);
    expectSameColumns(two, one);
    const ran = { jobs: 0 };
    const three = await readSnapshotRaw(file, { parallel: false, edgesThread: () => laterThread(() => Promise.resolve(), ran) });
    expect(ran.jobs).toBe(0);
    expectSameColumns(three, one);
  });

  it("reads them on the analysis helper's thread, which then does the analysis' tasks", async () => {
    const one = await readSnapshotRaw(file, { parallel: false });
    AnalysisHelper.startEarly();
    const thread = AnalysisHelper.edgesThread();
    expect(thread).not.toBeNull();
    // This thread waits, when it gives the job, until the helper's thread has found the array: it
    // then reads the edges whatever the load of the machine (given the job, this thread would
    // otherwise race it to the array, and on a small file often win).
    const waiting: EdgesThread = {
      run(data, onMessage, onGone) {
        thread!.run(data, onMessage, onGone);
        const control = new SplitControl(data.control!);
        const pause = new Int32Array(new SharedArrayBuffer(4));
        for (let waited = 0; control.located() === null && waited < 120_000; waited += 5) Atomics.wait(pause, 0, 0, 5);
      },
    };
    const reports: WorkerReport[] = [];
    const two = await readSnapshotRaw(file, { edgesThread: () => waiting, onWorker: (x) => reports.push(x) });
    expectSameColumns(two, one);
    expect(reports.map((x) => [x.done, x.problem])).toEqual([[true, undefined]]);
    // The thread is free for the analysis afterwards.
    const helper = AnalysisHelper.start()!;
    const pred = new Uint32Array(new SharedArrayBuffer(8));
    pred.set([1, 0]);
    const dn = new Uint32Array(new SharedArrayBuffer(8));
    dn.set([5, 6]);
    expect(await helper.run({ task: "translate", input: { pred, dn, from: 0, to: 2 } })).toBe(true);
    expect(Array.from(pred)).toEqual([6, 5]);
    await helper.close();
  });
});
