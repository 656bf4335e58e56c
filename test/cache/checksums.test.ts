/**
 * The block checksums of a new cache entry, summed on a second thread: the same sums as this
 * thread computes, whatever the thread does (works, is stopped part way, never gets the bytes).
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { BackgroundChecksums } from "../../src/cache/checksums.js";
import { BLOCK, blockCrcs } from "../../src/cache/lazy.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { chooseIdSample, computeIdSample, idSampleColumns, nameIdSample } from "../../src/graph/id-sample.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";

const SAMPLE = resolve(import.meta.dirname, "../../samples/leak.heapsnapshot.gz");

/** `length` pseudo-random bytes, in shared memory or not. */
function bytes(length: number, seed: number, shared: boolean): Uint8Array {
  const out = new Uint8Array(shared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("BackgroundChecksums", () => {
  it("sums shared sections on the second thread, block by block, the same as this thread does", async () => {
    const sums = new BackgroundChecksums();
    try {
      const sections = [bytes(3 * BLOCK + 17, 1, true), bytes(BLOCK, 2, true), bytes(5, 3, true), bytes(0, 4, true)];
      // A view that does not start at the buffer's start: only its own bytes are summed.
      const whole = bytes(4 * BLOCK, 5, true);
      sections.push(whole.subarray(BLOCK / 2, 3 * BLOCK + 3));
      const got = await Promise.all(sections.map((s) => sums.sum(s)));
      got.forEach((g, i) => expect([...g]).toEqual([...blockCrcs(sections[i]!)]));
      expect(got[0]!.length).toBe(4);
      expect(got[3]!.length).toBe(0);
      expect(sums.summedThere).toBe(sections.length);
    } finally {
      await sums.close();
    }
  });

  it("started ahead of any section: sums on the second thread once given some", async () => {
    const sums = new BackgroundChecksums();
    try {
      sums.start();
      const section = bytes(2 * BLOCK + 3, 7, true);
      expect([...(await sums.sum(section))]).toEqual([...blockCrcs(section)]);
      expect(sums.summedThere).toBe(1);
    } finally {
      await sums.close();
    }
  });

  it("chooses the id sample on the second thread from columns in shared memory: the same as chosen here", async () => {
    const graph = new HeapGraph(await readSnapshotRaw(SAMPLE));
    const columns = idSampleColumns(graph);
    const sums = new BackgroundChecksums();
    try {
      const there = sums.chooseIdSample(columns);
      if (there === null) throw new Error("the sample's columns are not in shared memory");
      const got = await there;
      expect(sums.summedThere).toBe(1);
      const here = chooseIdSample(columns);
      expect(got.chosen.length).toBeGreaterThan(0);
      expect({ ...got, refs: got.refs.map((r) => [...r]) }).toEqual({ ...here, refs: here.refs.map((r) => [...r]) });
      expect(nameIdSample(graph, got)).toEqual(computeIdSample(graph));
      // Columns outside shared memory would be copied: not sent.
      expect(sums.chooseIdSample({ ...columns, edgeTo: columns.edgeTo.slice() })).toBeNull();
    } finally {
      await sums.close();
    }
  });

  it("sums bytes outside shared memory on this thread (they would be copied to the other)", async () => {
    const sums = new BackgroundChecksums();
    try {
      const plain = bytes(2 * BLOCK + 1, 6, false);
      expect([...(await sums.sum(plain))]).toEqual([...blockCrcs(plain)]);
      expect(sums.summedThere).toBe(0);
    } finally {
      await sums.close();
    }
  });

  it("stopped while sums are owed: they are computed on this thread, and later ones too", async () => {
    const sums = new BackgroundChecksums();
    const sections = Array.from({ length: 6 }, (_, i) => bytes(8 * BLOCK, 10 + i, true));
    const owed = sections.map((s) => sums.sum(s));
    await sums.close();
    const got = await Promise.all(owed);
    got.forEach((g, i) => expect([...g]).toEqual([...blockCrcs(sections[i]!)]));
    const later = bytes(BLOCK + 1, 20, true);
    expect([...(await sums.sum(later))]).toEqual([...blockCrcs(later)]);
  });
});
