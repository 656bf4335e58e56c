/**
 * Reading a cache entry's sections ahead on a second thread (src/cache/read-ahead.ts): the same
 * bytes as reading them on the command's thread, a block read once by whichever thread claims it,
 * and damage found there reported exactly as on the command's thread.
 */
import { readFileSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS } from "../../src/cache/store.js";
import { EntryFile, NOT_READ, READ, type LazySection, type Typed } from "../../src/cache/lazy.js";
import { CacheDamagedError } from "../../src/errors.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import type { RawSnapshot } from "../../src/snapshot/parser.js";
import type { ReadAheadPart } from "../../src/snapshot/columns.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { recordBlocksRead } from "../helpers/cache-entries.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

const work = tempDir("backrefs-read-ahead-");
const file = join(work, "big.heapsnapshot");
let dirs = 0;

/** Enough nodes and edges that every column spans several 64 KB blocks. */
function bigSnapshot(): string {
  const b = new SnapshotBuilder();
  const holder = b.node("object", "Holder", { selfSize: 40 });
  b.edge(b.gcRoots, holder, "element", 1);
  let previous = holder;
  for (let i = 0; i < 40_000; i++) {
    const n = b.node("object", i % 3 === 0 ? "Leak" : `Thing${i % 50}`, { selfSize: 16 + (i % 9) });
    b.edge(i % 5 === 0 ? holder : previous, n, i % 2 === 0 ? "element" : "property", i % 2 === 0 ? i : `p${i % 13}`);
    previous = n;
  }
  return b.serialize();
}

beforeAll(async () => {
  writeFileSync(file, bigSnapshot());
  const old = Math.floor(Date.now() / 1000) - 3600;
  utimesSync(file, old, old);
  // Entries are only written for files whose last change is RACY_MS old (see store.ts).
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

/** An entry of the snapshot (with its analysis) in a fresh directory. */
async function cachedEntry(): Promise<{ dir: string; entry: string }> {
  const dir = join(work, `cache-${dirs++}`);
  const cache = new SnapshotCache({ dir });
  const look = await cache.lookup(file);
  if (look.kind !== "miss") throw new Error(look.kind);
  const raw = await readSnapshotRaw(file);
  const analysis = new HeapAnalysis(new HeapGraph(raw));
  await analysis.prepare({ retained: true });
  const saved = cache.save(look.key, { raw, analysis: analysis.savedParts() });
  if (saved.kind !== "written") throw new Error(saved.kind);
  return { dir, entry: saved.entry };
}

async function hit(dir: string, parallel: boolean): Promise<RawSnapshot & { analysisParts: unknown }> {
  const look = await new SnapshotCache({ dir, parallel }).lookup(file);
  if (look.kind !== "hit") throw new Error(look.kind);
  return { ...look.content.raw, analysisParts: look.content.analysis };
}

const section = (col: unknown): LazySection<Typed> => col as LazySection<Typed>;

/** Waits (without reading anything on this thread) until every block of `sections` is READ, or 10 seconds pass (a busy machine). */
async function readByTheOtherThread(sections: LazySection<Typed>[]): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (sections.every((s) => s.states.every((st) => st === READ))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

const bytes = (a: Typed): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("reading a cache entry ahead on a second thread", () => {
  it("reads the sections asked for on the other thread, the same bytes as this thread reads", async () => {
    const { dir } = await cachedEntry();
    const ahead = await hit(dir, true);
    const lz = ahead.lazy!;
    const parts: ReadAheadPart[] = ["edgeName", "edgeTo", "nodeName", "firstEdge"];
    const sections = [lz.edgeName, lz.edgeTo, lz.nodeName, lz.firstEdge].map(section);
    expect(sections.every((s) => s.states.length > 2)).toBe(true);
    ahead.readAhead!(parts);
    // Nothing asked of these on this thread: only the other one can have read them.
    expect(await readByTheOtherThread(sections)).toBe(true);
    // The edge names' check reads the edge types: read there too.
    expect(section(lz.edgeType).states.every((st) => st === READ)).toBe(true);
    const here = await hit(dir, false);
    for (const [name, a, b] of [
      ["edge.name", ahead.edges.name, here.lazy!.edgeName.whole()],
      ["edge.to", ahead.edges.to, here.lazy!.edgeTo.whole()],
      ["node.name", ahead.nodes.name, here.lazy!.nodeName.whole()],
      ["node.firstEdge", ahead.nodes.firstEdge, here.lazy!.firstEdge.whole()],
    ] as const) {
      expect(bytes(a as Typed).equals(bytes(b as Typed)), name).toBe(true);
    }
    // Read on this thread after the other one: nothing read again, the same graph.
    expect(section(lz.edgeName).whole()).toBe(ahead.edges.name);
    expect(section(lz.edgeName).complete).toBe(true);
  });

  it("reads only the blocks holding the elements asked for, and the rest when the whole section is asked for later", async () => {
    const { dir } = await cachedEntry();
    const ahead = await hit(dir, true);
    const names = section(ahead.lazy!.edgeName);
    expect(names.states.length).toBeGreaterThan(2);
    const perBlock = 65536 / 4;
    // Edges in the first and the last block, some twice, in no order.
    const last = names.states.length - 1;
    const edges = [last * perBlock + 5, 3, last * perBlock, 17, 3];
    ahead.readAhead!(["edgeName"], edges);
    const isRead = (b: number): boolean => Atomics.load(names.states, b) === READ;
    for (let i = 0; i < 500 && !(isRead(0) && isRead(last)); i++) await new Promise((r) => setTimeout(r, 20));
    expect(isRead(0) && isRead(last)).toBe(true);
    // Nothing else was read, here or there (this thread read nothing).
    for (let b = 1; b < last; b++) expect(names.states[b], `block ${b}`).toBe(NOT_READ);
    const here = await hit(dir, false);
    const want = here.lazy!.edgeName.whole() as Uint32Array;
    for (const e of edges) expect(ahead.edges.name[e]).toBe(want[e]);
    // The whole section asked for afterwards: the other blocks are read there too.
    ahead.readAhead!(["edgeName"]);
    expect(await readByTheOtherThread([names])).toBe(true);
    expect(bytes(names.whole()).equals(bytes(want))).toBe(true);
  });

  it("shares a section both threads want: each block read once, by either, and all of it correct", async () => {
    const { dir } = await cachedEntry();
    const ahead = await hit(dir, true);
    const here = await hit(dir, false);
    const sections = [section(ahead.lazy!.edgeTo), section(ahead.lazy!.edgeName)];
    // The blocks this thread reads, by section.
    const { read: readHere, spy } = recordBlocksRead();
    try {
      ahead.readAhead!(["edgeTo", "edgeName"]);
      // Once the other thread has read a block, this thread reads both sections whole too.
      for (let i = 0; i < 200 && !sections.some((s) => s.states.some((st) => st === READ)); i++)
        await new Promise((r) => setTimeout(r, 10));
      const before = sections.map((s) => Array.from(s.states));
      const a = ahead.lazy!.edgeName.whole() as Uint32Array;
      const b = ahead.lazy!.edgeTo.whole() as Uint32Array;
      spy.mockRestore();
      expect(bytes(a).equals(bytes(here.lazy!.edgeName.whole() as Typed))).toBe(true);
      expect(bytes(b).equals(bytes(here.lazy!.edgeTo.whole() as Typed))).toBe(true);
      const total = sections.reduce((n, s) => n + s.states.length, 0);
      const here2 = [...readHere.values()].flat();
      // The other thread read some blocks; this thread read none twice, and none the other had read.
      expect(before.some((states) => states.includes(READ))).toBe(true);
      expect(here2.length).toBeLessThan(total);
      for (const [k, s] of sections.entries()) {
        const mine = readHere.get(s.name) ?? [];
        expect(new Set(mine).size, s.name).toBe(mine.length);
        for (const blk of mine) expect(before[k]![blk], `${s.name} block ${blk}`).not.toBe(READ);
      }
    } finally {
      spy.mockRestore();
    }
  });

  it("leaves a damaged block to this thread, which reports it as it always does", async () => {
    const { dir, entry } = await cachedEntry();
    const buf = readFileSync(entry);
    const len = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as {
      sections: { name: string; offset: number; length: number }[];
    };
    const to = header.sections.find((s) => s.name === "edge.to")!;
    expect(to.length * 4).toBeGreaterThan(2 * 65536);
    // One byte of the second block of the edge targets.
    const at = ((16 + len + 7) & ~7) + to.offset + 65536 + 1000;
    buf[at] = buf[at]! ^ 0x40;
    writeFileSync(entry, buf);
    const ahead = await hit(dir, true);
    const s = section(ahead.lazy!.edgeTo);
    ahead.readAhead!(["edgeName", "edgeTo"]);
    // The other thread reads the edge names, then fails on the targets: gives them back, stops.
    expect(await readByTheOtherThread([section(ahead.lazy!.edgeName)])).toBe(true);
    // The thread takes requests in order: once it has read a good entry asked for next, it is done with these.
    const good = await hit((await cachedEntry()).dir, true);
    good.readAhead!(["nodeName"]);
    expect(await readByTheOtherThread([section(good.lazy!.nodeName)])).toBe(true);
    expect(s.states.every((st) => st === NOT_READ)).toBe(true);
    // Nothing more of that file is read.
    ahead.readAhead!(["nodeName"]);
    good.readAhead!(["edgeTo"]);
    expect(await readByTheOtherThread([section(good.lazy!.edgeTo)])).toBe(true);
    expect(section(ahead.lazy!.nodeName).states.every((st) => st === NOT_READ)).toBe(true);
    // This thread reads the targets itself, and finds the damage where it is.
    expect(() => s.whole()).toThrow(CacheDamagedError);
    expect(() => s.whole()).toThrow(/section edge\.to is damaged \(checksum of block 1\)/);
    // Nor are the blocks the other thread read before handed out any more: the entry is damaged.
    expect(() => section(ahead.lazy!.edgeName).whole()).toThrow(/section edge\.to is damaged/);
  });

  it("leaves a block whose checksum holds but a value does not to this thread, which reports the value", async () => {
    const { dir, entry } = await cachedEntry();
    const buf = readFileSync(entry);
    const len = buf.readUInt32LE(8);
    const headerText = buf.subarray(16, 16 + len).toString("utf8");
    const header = JSON.parse(headerText) as { sections: { name: string; type: string; offset: number; length: number }[]; blocks: number };
    const dataStart = (16 + len + 7) & ~7;
    const width: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 };
    // The block table follows the last section (each padded to a multiple of 8) and ends the file.
    const tablePlace = dataStart + Math.max(...header.sections.map((s) => s.offset + ((s.length * width[s.type]! + 7) & ~7)));
    const to = header.sections.find((s) => s.name === "edge.to")!;
    const block = dataStart + to.offset + 65536;
    const oldCrc = crc32(buf.subarray(block, block + 65536));
    const tableAt = buf.indexOf(Buffer.from(new Uint32Array([oldCrc]).buffer), tablePlace);
    expect(tableAt).toBeGreaterThanOrEqual(tablePlace);
    // Edge 16384 + 10 points past the last node; the block's checksum, the table's and the header's
    // made to match (the header keeps its length: a table checksum with more digits is tried again).
    const old = `"blocks":${header.blocks}`;
    expect(headerText).toContain(old);
    let header2 = "";
    for (let bad = 1 << 30; header2.length !== len; bad++) {
      buf.writeUInt32LE(bad, block + 40);
      buf.writeUInt32LE(crc32(buf.subarray(block, block + 65536)), tableAt);
      const digits = String(crc32(buf.subarray(tablePlace)));
      header2 = headerText.replace(old, `"blocks":${" ".repeat(Math.max(0, String(header.blocks).length - digits.length))}${digits}`);
    }
    Buffer.from(header2, "utf8").copy(buf, 16);
    buf.writeUInt32LE(crc32(buf.subarray(16, 16 + len)), 12);
    writeFileSync(entry, buf);
    const ahead = await hit(dir, true);
    const s = section(ahead.lazy!.edgeTo);
    ahead.readAhead!(["edgeTo"]);
    // The thread takes requests in order: once it has read a good entry asked for next, it is done with this one.
    const good = await hit((await cachedEntry()).dir, true);
    good.readAhead!(["nodeName"]);
    expect(await readByTheOtherThread([section(good.lazy!.nodeName)])).toBe(true);
    // The other thread's value check failed: nothing marked read, all given back.
    expect(s.states.every((st) => st === NOT_READ)).toBe(true);
    // Found damaged here: the first read says why (later reads of the entry, now closed, say that).
    let thrown: unknown = null;
    try {
      s.whole();
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CacheDamagedError);
    expect((thrown as Error).message).toMatch(/edge 16394 points past the last node/);
  });

  it("never reads ahead with parallel: false, though the thread is running", async () => {
    const { dir } = await cachedEntry();
    // The thread is running and reads for an entry opened with parallel: true ...
    const ahead = await hit(dir, true);
    ahead.readAhead!(["nodeName"]);
    expect(await readByTheOtherThread([section(ahead.lazy!.nodeName)])).toBe(true);
    // ... but not for one opened with parallel: false.
    const raw = await hit(dir, false);
    raw.readAhead!(["edgeTo"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(section(raw.lazy!.edgeTo).states.every((st) => st !== READ)).toBe(true);
  });

  it("gives the same entry opened twice its own read-ahead", async () => {
    const { dir } = await cachedEntry();
    const first = await hit(dir, true);
    const second = await hit(dir, true);
    first.readAhead!(["edgeTo"]);
    expect(await readByTheOtherThread([section(first.lazy!.edgeTo)])).toBe(true);
    second.readAhead!(["edgeTo"]);
    expect(await readByTheOtherThread([section(second.lazy!.edgeTo)])).toBe(true);
  });

  it("stops reading an entry once it is closed, and reads the next one", async () => {
    const { dir } = await cachedEntry();
    const closed = await hit(dir, true);
    const s = section(closed.lazy!.edgeTo);
    (s as unknown as { file: EntryFile }).file.close();
    closed.readAhead!(["edgeTo"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(s.states.every((st) => st === NOT_READ)).toBe(true);
    const next = await hit(dir, true);
    next.readAhead!(["edgeTo"]);
    expect(await readByTheOtherThread([section(next.lazy!.edgeTo)])).toBe(true);
  });

  it("keeps an entry's file open while a section can still read it, though the rest of the snapshot is gone", async () => {
    const { dir } = await cachedEntry();
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const collect = async (): Promise<void> => {
      for (let i = 0; i < 4; i++) {
        gc();
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Only one section is kept: the snapshot object that held it is collected.
    const kept: { s: LazySection<Typed> | null } = { s: section((await hit(dir, false)).lazy!.edgeTo) };
    const closed = kept.s!.fileIdentity.closed;
    await collect();
    expect(Atomics.load(closed, 0)).toBe(0);
    const fresh = await hit(dir, false);
    expect(bytes(kept.s!.whole()).equals(bytes(fresh.lazy!.edgeTo.whole() as Typed))).toBe(true);
    // Once nothing can read the file, it is closed.
    kept.s = null;
    await collect();
    expect(Atomics.load(closed, 0)).toBe(1);
  });

  it("reads nothing ahead from a file renamed over the entry it opened; this thread still reads the one it checked", async () => {
    const { dir, entry } = await cachedEntry();
    const ahead = await hit(dir, true);
    const s = section(ahead.lazy!.edgeTo);
    // Another process puts a new file in the entry's place (the same bytes, another inode).
    writeFileSync(`${entry}.new`, readFileSync(entry));
    renameSync(`${entry}.new`, entry);
    ahead.readAhead!(["edgeTo"]);
    // The thread takes requests in order: once it has read a good entry asked for next, it is done with this one.
    const good = await hit((await cachedEntry()).dir, true);
    good.readAhead!(["nodeName"]);
    expect(await readByTheOtherThread([section(good.lazy!.nodeName)])).toBe(true);
    expect(s.states.every((st) => st === NOT_READ)).toBe(true);
    const fresh = await hit(dir, false);
    expect(bytes(s.whole()).equals(bytes(fresh.lazy!.edgeTo.whole() as Typed))).toBe(true);
  });
});
