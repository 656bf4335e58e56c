/**
 * Parts a cache entry gains after it was written (src/cache/entry.ts, LatePart): a command that
 * computes what the entry lacks adds it in a file of its own beside the entry, never rewriting the
 * entry; a reader uses such a file only when it was made for the entry in place, is whole and
 * undamaged, and a damaged, truncated, stale or foreign one is never trusted. Every test has its
 * own temporary cache directory.
 */
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  realpathSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { accessSync, constants } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { SnapshotCache, RACY_MS, type CacheKey } from "../../src/cache/store.js";
import { CacheFormatError, latePartPath, type EntryContent, type LatePart } from "../../src/cache/entry.js";
import { CacheDamagedError } from "../../src/errors.js";
import { CacheSession, PART_NAMES, type CacheEvent } from "../../src/cache/session.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { SnapshotIds } from "../../src/query/id-trust.js";
import { packIdSample, unpackIdSample } from "../../src/graph/id-sample.js";
import { dataOf } from "../helpers/cache-entries.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = resolve(import.meta.dirname, "../../samples/leak.heapsnapshot.gz");
const work = tempDir("backrefs-late-");
let dirCount = 0;
const freshDir = (): string => join(work, `cache-${dirCount++}`);
const snap = join(work, "sample.heapsnapshot.gz");
const other = join(work, "other.heapsnapshot.gz");

beforeAll(async () => {
  copyFileSync(SAMPLE, snap);
  copyFileSync(SAMPLE, other);
  const old = Math.floor(Date.now() / 1000) - 3600;
  for (const f of [snap, other]) utimesSync(f, old, old);
  // Entries are only written for files whose last change is RACY_MS old (see store.ts).
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

function expectSameArray(a: ArrayBufferView | null | undefined, b: ArrayBufferView | null | undefined, what = ""): void {
  expect(a == null, what).toBe(b == null);
  if (a == null || b == null) return;
  expect(a.constructor, what).toBe(b.constructor);
  const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  expect(bytes(a).equals(bytes(b)), what).toBe(true);
}

/** The whole analysis and class index of the sample, computed the long way (what every read-back is compared with). */
let fresh: { graph: HeapGraph; analysis: HeapAnalysis } | null = null;
async function truth(): Promise<{ graph: HeapGraph; analysis: HeapAnalysis }> {
  if (fresh) return fresh;
  const graph = new HeapGraph(await readSnapshotRaw(snap));
  const analysis = new HeapAnalysis(graph);
  await analysis.prepare({ retained: true });
  analysis.classRetainedSizes();
  graph.classes();
  return (fresh = { graph, analysis });
}

/** What a first look left in the entry: nothing of the analysis, the analysis without the tree, or without the per-class sizes. */
type Held = "columns" | "no tree" | "no per-class";

/** Writes the entry of `file` holding what `held` says (never the class index); returns the cache and the entry path. */
async function entryHolding(held: Held, dir = freshDir(), file = snap): Promise<{ cache: SnapshotCache; entry: string }> {
  const cache = new SnapshotCache({ dir });
  const look = await cache.lookup(file);
  if (look.kind === "uncacheable") throw new Error(look.reason);
  const raw = await readSnapshotRaw(file);
  const analysis = new HeapAnalysis(new HeapGraph(raw));
  await analysis.prepare({ retained: held !== "no tree" });
  const parts = held === "columns" ? null : analysis.savedParts();
  const content: EntryContent = { raw, analysis: parts && { ...parts, classRetained: null }, classes: null };
  const saved = cache.save(look.key as CacheKey, content);
  if (saved.kind !== "written") throw new Error(`not written: ${saved.reason}`);
  return { cache, entry: saved.entry };
}

/** A command on the entry: loads through a session, computes the whole analysis (and the classes), flushes. */
async function command(
  dir: string,
  cache = new SnapshotCache({ dir }),
): Promise<{ events: CacheEvent[]; graph: HeapGraph; analysis: HeapAnalysis }> {
  const events: CacheEvent[] = [];
  const session = new CacheSession(cache, (e) => events.push(e));
  const graph = await session.load(snap);
  const analysis = await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
  analysis.classRetainedSizes();
  graph.classes();
  await session.flush();
  return { events, graph, analysis };
}

/** Reads every part of an entry's analysis and class index, and compares it with the long way's. */
async function expectWhole(cache: SnapshotCache, what: string): Promise<void> {
  const { graph, analysis } = await truth();
  const look = await cache.lookup(snap);
  expect(look.kind, what).toBe("hit");
  if (look.kind !== "hit") return;
  expect(look.content.holds, what).toEqual({ analysis: true, tree: true, classRetained: true, classes: true });
  const a = look.content.analysis!;
  const want = analysis.savedParts()!;
  expectSameArray(a.shallow, want.shallow, `${what}: shallow`);
  expectSameArray(a.distance, want.distance, `${what}: distance`);
  expectSameArray(a.parentEdge, want.parentEdge, `${what}: parentEdge`);
  expectSameArray(a.userRoots, want.userRoots, `${what}: userRoots`);
  expectSameArray(a.refused, want.refused, `${what}: refused`);
  for (let n = 0; n < graph.nodeCount; n += 7) expect(a.tree!.dominatorOf!(n), `${what}: dominator of ${n}`).toBe(analysis.dominator(n));
  expectSameArray(a.tree!.preorder, want.tree!.preorder, `${what}: preorder`);
  expectSameArray(a.tree!.idomIndex, want.tree!.idomIndex, `${what}: idomIndex`);
  expectSameArray(a.tree!.retained, want.tree!.retained, `${what}: retained`);
  expectSameArray(a.tree!.idom, analysis.dominators().idom, `${what}: idom`);
  expectSameArray(a.classRetained, want.classRetained, `${what}: classRetained`);
  expectSameArray(look.content.later.classes!().nodeClass, graph.classes().nodeClass, `${what}: classes`);
}

const written = (events: CacheEvent[]): Extract<CacheEvent, { kind: "written" }> | undefined =>
  events.find((e): e is Extract<CacheEvent, { kind: "written" }> => e.kind === "written");

/** Where a section of a late part's file starts, from its header. */
function lateSectionAt(file: string, name: string): number {
  const buf = readFileSync(file);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as { sections: { name: string; offset: number }[] };
  const s = header.sections.find((r) => r.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return ((16 + len + 7) & ~7) + s.offset;
}

/** A late part's file spoiled every way the tests try: cut at several lengths, a header bit, a block-table bit, bytes added. */
function spoiledCopies(good: Buffer): [string, Buffer][] {
  const spoiled: [string, Buffer][] = [0, 7, 16, 40, Math.floor(good.length / 2), good.length - 4, good.length - 1].map((n) => [
    `cut at ${n}`,
    good.subarray(0, n),
  ]);
  const header = Buffer.from(good);
  header[20]! ^= 0x01;
  spoiled.push(["header", header]);
  const table = Buffer.from(good);
  table[table.length - 8]! ^= 0x01;
  spoiled.push(["block table", table]);
  spoiled.push(["longer", Buffer.concat([good, Buffer.alloc(8)])]);
  return spoiled;
}

describe("late parts: added beside the entry, never rewriting it", () => {
  const cases: [Held, LatePart[]][] = [
    ["columns", ["analysis", "tree", "class-retained", "classes"]],
    ["no tree", ["tree", "class-retained", "classes"]],
    ["no per-class", ["class-retained", "classes"]],
  ];
  for (const [held, parts] of cases) {
    it(`an entry with ${held === "columns" ? "the columns only" : held === "no tree" ? "no dominator tree" : "no per-class retained sizes"} gains ${parts.join(", ")}: read back as computed`, async () => {
      const dir = freshDir();
      const { cache, entry } = await entryHolding(held, dir);
      const before = readFileSync(entry);
      const inode = statSync(entry).ino;
      const first = await command(dir);
      expect(first.events.map((e) => e.kind)).toEqual(["used", "written"]);
      const w = written(first.events)!;
      expect(w.result.added).toEqual(parts);
      expect(w.result.entry).toBe(entry);
      // What was written is the parts' files, and only them.
      const sizes = parts.map((p) => statSync(latePartPath(entry, p)).size);
      expect(w.result.bytes).toBe(sizes.reduce((a, b) => a + b, 0));
      expect(readFileSync(entry).equals(before)).toBe(true);
      expect(statSync(entry).ino).toBe(inode);
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
      // The listing counts them with their entry.
      const l = cache.list();
      expect(l.entries).toHaveLength(1);
      expect(l.entries[0]!.bytes).toBe(before.length + w.result.bytes);
      expect(l.totalBytes).toBe(before.length + w.result.bytes);
      expect(w.result.totalBytes).toBe(l.totalBytes);
      await expectWhole(cache, held);
      // The next command has everything: nothing is added again.
      const again = await command(dir);
      expect(again.events.map((e) => e.kind)).toEqual(["used"]);
      const { analysis } = await truth();
      expectSameArray(again.analysis.classRetainedSizes(), analysis.classRetainedSizes(), "per class, again");
    });
  }

  it("an entry written again takes its late parts away; one put back is stale: ignored and removed", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("no per-class", dir);
    await command(dir);
    const late = latePartPath(entry, "class-retained");
    const kept = readFileSync(late);
    // The snapshot's entry written anew (as after a damaged block): the parts go with the old one.
    await entryHolding("no per-class", dir);
    expect(existsSync(late)).toBe(false);
    writeFileSync(late, kept);
    const look = await new SnapshotCache({ dir }).lookup(snap);
    expect(look.kind).toBe("hit");
    if (look.kind !== "hit") return;
    expect(look.content.holds.classRetained).toBe(false);
    expect(look.content.ignored).toEqual([]);
    expect(existsSync(late)).toBe(false);
  });

  it("a stale part of what the entry now holds itself (renamed in just after the entry was written again) is removed by the next reader", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("columns", dir);
    await command(dir);
    const kept = new Map((["analysis", "tree"] as LatePart[]).map((p) => [p, readFileSync(latePartPath(entry, p))]));
    // Written anew holding the analysis and its tree; the old entry's parts put back beside it.
    await entryHolding("no per-class", dir);
    for (const [p, bytes] of kept) writeFileSync(latePartPath(entry, p), bytes);
    const look = await new SnapshotCache({ dir }).lookup(snap);
    expect(look.kind).toBe("hit");
    if (look.kind !== "hit") return;
    expect(look.content.stamp.late).toEqual([]);
    expect(look.content.ignored).toEqual([]);
    for (const p of kept.keys()) expect(existsSync(latePartPath(entry, p)), p).toBe(false);
  });

  it("a late part of another entry (another snapshot's, renamed into place) is not used", async () => {
    const dir = freshDir();
    const mine = await entryHolding("no per-class", dir);
    const theirs = await entryHolding("no per-class", dir, other);
    // The other snapshot's entry gains its per-class sizes.
    const events: CacheEvent[] = [];
    const session = new CacheSession(theirs.cache, (e) => events.push(e));
    const g = await session.load(other);
    (await session.analysis(g, true, {}, (a) => a.prepare({ retained: true }))).classRetainedSizes();
    await session.flush();
    expect(written(events)?.result.added).toEqual(["class-retained", "classes"]);
    copyFileSync(latePartPath(theirs.entry, "class-retained"), latePartPath(mine.entry, "class-retained"));
    const look = await mine.cache.lookup(snap);
    expect(look.kind === "hit" && look.content.holds.classRetained).toBe(false);
  });

  it("the entry replaced between reading it and adding to it: nothing is added", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("no per-class", dir);
    const events: CacheEvent[] = [];
    const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const graph = await session.load(snap);
    (await session.analysis(graph, true, {}, async () => {})).classRetainedSizes();
    await entryHolding("no per-class", dir); // another process writes the entry again
    await session.flush();
    expect(events.map((e) => e.kind)).toEqual(["used", "not-written"]);
    const nw = events[1];
    if (nw?.kind === "not-written") expect(nw.reason).toMatch(/replaced or removed meanwhile/);
    expect(existsSync(latePartPath(entry, "class-retained"))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("two sessions adding the same parts at once both succeed, and leave whole parts", async () => {
    const dir = freshDir();
    await entryHolding("columns", dir);
    const load = async (): Promise<{ events: CacheEvent[]; session: CacheSession }> => {
      const events: CacheEvent[] = [];
      const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
      const graph = await session.load(snap);
      (await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }))).classRetainedSizes();
      graph.classes();
      return { events, session };
    };
    // Both read the entry before either adds to it.
    const [a, b] = [await load(), await load()];
    await Promise.all([a.session.flush(), b.session.flush()]);
    for (const s of [a, b]) expect(s.events.map((e) => e.kind)).toEqual(["used", "written"]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    await expectWhole(new SnapshotCache({ dir }), "after two writers");
  });

  it("a part that cannot be written (its place taken, or a read-only directory): said, no error, the entry still served", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("no per-class", dir);
    let reason: RegExp;
    chmodSync(dir, 0o555);
    let writable = true;
    try {
      accessSync(dir, constants.W_OK);
    } catch {
      writable = false;
    }
    if (writable) {
      // As root, permission bits do not bind: a directory in the part's place stands in.
      chmodSync(dir, 0o755);
      mkdirSync(join(latePartPath(entry, "class-retained"), "x"), { recursive: true });
      reason = /cannot write it|not writable/;
    } else {
      reason = /not writable/;
    }
    try {
      const { events } = await command(dir);
      const nw = events.find((e) => e.kind === "not-written");
      expect(nw?.kind).toBe("not-written");
      if (nw?.kind === "not-written") expect(nw.reason).toMatch(reason);
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
      const look = await new SnapshotCache({ dir }).lookup(snap);
      expect(look.kind).toBe("hit");
    } finally {
      chmodSync(dir, 0o755);
    }
  });

  it("a part that would take the cache past its limit is not added", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("no per-class", dir);
    const cache = new SnapshotCache({ dir, maxBytes: statSync(entry).size + 100 });
    const { events } = await command(dir, cache);
    const nw = events.find((e) => e.kind === "not-written");
    if (nw?.kind !== "not-written") throw new Error("expected not-written");
    expect(nw.reason).toMatch(/larger than the cache's limit/);
    expect(existsSync(latePartPath(entry, "class-retained"))).toBe(false);
  });

  it("parts left without their entry are removed before the size limit is counted (they never cost a live entry)", async () => {
    const dir = freshDir();
    const { entry: b } = await entryHolding("columns", dir, other);
    const { entry: a } = await entryHolding("no per-class", dir);
    await command(dir);
    const orphans = readdirSync(dir).filter((n) => n.endsWith(".brl"));
    expect(orphans).toHaveLength(2);
    const { unlinkSync } = await import("node:fs");
    unlinkSync(a);
    const { entry: alone } = await entryHolding("columns", freshDir());
    const small = new SnapshotCache({ dir, maxBytes: statSync(b).size + statSync(alone).size + 10 });
    const look = await small.lookup(snap);
    if (look.kind !== "miss") throw new Error("expected a miss");
    const r = small.save(look.key, { raw: await readSnapshotRaw(snap), analysis: null });
    expect(r.kind === "written" && r.dropped).toBe(0);
    expect(existsSync(b)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith(".brl"))).toEqual([]);
  });

  it("list, clear and the size limit count an entry's late parts; parts left without their entry are removed", async () => {
    const dir = freshDir();
    const { cache, entry } = await entryHolding("no per-class", dir);
    await command(dir);
    const total = cache.list().totalBytes;
    const lateBytes = ["class-retained", "classes"].reduce((n, p) => n + statSync(latePartPath(entry, p as LatePart)).size, 0);
    expect(total).toBe(statSync(entry).size + lateBytes);
    // Another snapshot's entry that needs the room drops this one, with its parts.
    const small = new SnapshotCache({ dir, maxBytes: total + 10 });
    const look = await small.lookup(other);
    if (look.kind !== "miss") throw new Error("expected a miss");
    const raw = await readSnapshotRaw(other);
    expect(small.save(look.key, { raw, analysis: null }).kind).toBe("written");
    expect(readdirSync(dir).filter((n) => n.endsWith(".brl"))).toEqual([]);
    // Parts whose entry is gone are removed by the next write.
    const again = await entryHolding("no per-class", dir);
    await command(dir);
    const parts = readdirSync(dir).filter((n) => n.endsWith(".brl"));
    expect(parts).toHaveLength(2);
    const { unlinkSync } = await import("node:fs");
    unlinkSync(again.entry);
    await entryHolding("columns", dir, other);
    expect(readdirSync(dir).filter((n) => n.endsWith(".brl"))).toEqual([]);
    // clear removes parts too, and counts their bytes.
    const third = await entryHolding("no per-class", dir);
    await command(dir);
    const before = cache.list().totalBytes;
    expect(cache.clear().bytes).toBe(before);
    expect(readdirSync(dir)).toEqual([]);
    void third;
  });
});

describe("per-class retained sizes of big snapshots, computed when the entry is first written", () => {
  /** A first look that computes the tree and the classes but not the per-class sizes (as a picture does). */
  async function firstLook(cache: SnapshotCache): Promise<CacheEvent[]> {
    const events: CacheEvent[] = [];
    const session = new CacheSession(cache, (e) => events.push(e));
    const graph = await session.load(snap);
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    graph.classes();
    await session.flush();
    return events;
  }

  it("at or above the size: in the entry, and the next command computes and adds nothing", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir, classRetainedEarlyNodes: 1 });
    expect((await firstLook(cache)).map((e) => e.kind)).toEqual(["written"]);
    const look = await cache.lookup(snap);
    if (look.kind !== "hit") throw new Error("expected a hit");
    expect(look.content.holds.classRetained).toBe(true);
    expect(look.content.stamp.late).toEqual([]);
    const { analysis } = await truth();
    expectSameArray(look.content.analysis!.classRetained, analysis.classRetainedSizes(), "per class");
    const next = await command(dir, cache);
    expect(next.events.map((e) => e.kind)).toEqual(["used"]);
  });

  it("when computing them fails (out of memory), the entry is written without them and flush does not throw", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir, classRetainedEarlyNodes: 1 });
    const spy = vi.spyOn(HeapAnalysis.prototype, "classRetainedSizes").mockImplementation(() => {
      throw new RangeError("Array buffer allocation failed");
    });
    let events: CacheEvent[];
    try {
      events = await firstLook(cache);
    } finally {
      spy.mockRestore();
    }
    expect(events.map((e) => e.kind)).toEqual(["written"]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const look = await cache.lookup(snap);
    if (look.kind !== "hit") throw new Error("expected a hit");
    expect(look.content.holds).toMatchObject({ tree: true, classRetained: false });
  });

  it("an entry that fails at the end is said and removed; the others are still written, and flush does not throw", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir, parallel: true });
    const events: CacheEvent[] = [];
    const session = new CacheSession(cache, (e) => events.push(e));
    for (const file of [snap, other]) {
      const graph = await session.load(file);
      await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    }
    // The first entry's last step fails as no cache problem would (a bug, or memory).
    const spy = vi.spyOn(HeapGraph.prototype, "classParts").mockImplementationOnce(() => {
      throw new RangeError("Invalid array length");
    });
    try {
      await session.flush();
    } finally {
      spy.mockRestore();
    }
    expect(events.map((e) => e.kind)).toEqual(["not-written", "written"]);
    const nw = events[0]!;
    if (nw.kind !== "not-written") throw new Error("expected not-written");
    expect(nw.file).toBe(snap);
    expect(nw.reason).toMatch(/Invalid array length/);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect((await cache.lookup(snap)).kind).toBe("miss");
    expect((await cache.lookup(other)).kind).toBe("hit");
  });

  it("at or above the size, when a command adds the tree to an entry without one: added with it", async () => {
    const dir = freshDir();
    await entryHolding("no tree", dir);
    const cache = new SnapshotCache({ dir, classRetainedEarlyNodes: 1 });
    // A picture: the tree and the classes, not the per-class sizes.
    const events = await firstLook(cache);
    expect(written(events)?.result.added).toEqual(expect.arrayContaining(["tree", "class-retained"]));
    const look = await cache.lookup(snap);
    if (look.kind !== "hit") throw new Error("expected a hit");
    expect(look.content.holds.classRetained).toBe(true);
    const { analysis } = await truth();
    expectSameArray(look.content.analysis!.classRetained, analysis.classRetainedSizes(), "per class");
  });

  it("below it: not computed (a later command that needs them adds them)", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir });
    expect((await truth()).graph.nodeCount).toBeLessThan(cache.classRetainedEarlyNodes);
    await firstLook(cache);
    const look = await cache.lookup(snap);
    expect(look.kind === "hit" && look.content.holds.classRetained).toBe(false);
    const next = await command(dir, cache);
    expect(written(next.events)?.result.added).toEqual(["class-retained"]);
  });
});

describe("late parts: damaged, truncated or foreign files are never trusted", () => {
  it("a flipped byte in a late part's section is caught when read: the part's file is removed, the error names the entry", async () => {
    const sections: [LatePart, string][] = [
      ["analysis", "analysis.shallow"],
      ["analysis", "analysis.parentEdge"],
      ["tree", "analysis.idom"],
      ["tree", "analysis.preorder"],
      ["tree", "analysis.retained"],
      ["class-retained", "analysis.classRetained"],
    ];
    for (const [part, section] of sections) {
      const dir = freshDir();
      const { cache, entry } = await entryHolding("columns", dir);
      await command(dir);
      const file = latePartPath(entry, part);
      const buf = readFileSync(file);
      buf[lateSectionAt(file, section) + 1]! ^= 0x10;
      writeFileSync(file, buf);
      const look = await cache.lookup(snap);
      expect(look.kind, section).toBe("hit");
      if (look.kind !== "hit") continue;
      const a = look.content.analysis!;
      const readAll = (): void => {
        void [a.shallow, a.distance, a.parentEdge, a.userRoots, a.refused, a.classRetained];
        void [a.tree!.preorder, a.tree!.idomIndex, a.tree!.retained, a.tree!.idom];
      };
      let caught: unknown = null;
      try {
        readAll();
      } catch (e) {
        caught = e;
      }
      expect(caught, section).toBeInstanceOf(CacheDamagedError);
      expect((caught as CacheDamagedError).entry, section).toBe(entry);
      expect((caught as CacheDamagedError).reason, section).toMatch(new RegExp(`section ${section.replace(".", "\\.")} is damaged`));
      expect(existsSync(file), section).toBe(false);
      expect(existsSync(entry), section).toBe(true);
    }
  });

  it("a flipped byte in a late class index: the classes are computed again (said so) and added again", async () => {
    for (const section of ["classes.nodeClass", "classes.names"]) {
      const dir = freshDir();
      const { entry } = await entryHolding("no per-class", dir);
      await command(dir);
      const file = latePartPath(entry, "classes");
      const buf = readFileSync(file);
      buf[lateSectionAt(file, section) + 2]! ^= 0x20;
      writeFileSync(file, buf);
      const { events, graph } = await command(dir);
      expect(
        events.map((e) => e.kind),
        section,
      ).toEqual(["used", "ignored-part", "written"]);
      const ig = events[1];
      if (ig?.kind === "ignored-part") expect(ig.reason).toBe(`section ${section} is damaged (checksum of block 0)`);
      expect(written(events)!.result.added).toEqual(["classes"]);
      expectSameArray(graph.classes().nodeClass, (await truth()).graph.classes().nodeClass, section);
      await expectWhole(new SnapshotCache({ dir }), section);
    }
  });

  it("a late part truncated at any length, or with a damaged header or block table, is ignored when the entry is opened (said so, removed); the entry is still used", async () => {
    for (const part of ["analysis", "tree", "class-retained", "classes"] as LatePart[]) {
      const dir = freshDir();
      const { entry } = await entryHolding("columns", dir);
      await command(dir);
      const file = latePartPath(entry, part);
      const good = readFileSync(file);
      const spoiled = spoiledCopies(good);
      for (const [what, bytes] of spoiled) {
        writeFileSync(file, bytes);
        const look = await new SnapshotCache({ dir }).lookup(snap);
        expect(look.kind, `${part} ${what}`).toBe("hit");
        if (look.kind !== "hit") continue;
        expect(
          look.content.ignored.map((i) => i.part),
          `${part} ${what}`,
        ).toEqual([part]);
        expect(look.content.ignored[0]!.reason, `${part} ${what}`).toMatch(
          /truncated|too short|past the end|checksum|not a backrefs|after its block table/,
        );
        expect(existsSync(file), `${part} ${what}`).toBe(false);
        // What needs the part is computed again, and added back as it was.
        const { events } = await command(dir);
        expect(
          events.map((e) => e.kind),
          `${part} ${what}`,
        ).toEqual(["used", "written"]);
        expect(readFileSync(file).equals(good), `${part} ${what}`).toBe(true);
      }
      await expectWhole(new SnapshotCache({ dir }), part);
    }
  });

  it("an ignored part is named as an added one is (the analysis part: the distances)", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("columns", dir);
    await command(dir);
    writeFileSync(latePartPath(entry, "analysis"), readFileSync(latePartPath(entry, "analysis")).subarray(0, 40));
    const events: CacheEvent[] = [];
    const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const graph = await session.load(snap);
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    await session.flush();
    const ig = events.find((e) => e.kind === "ignored-part");
    const added = written(events)?.result.added ?? [];
    expect(added).toContain("analysis");
    expect(ig?.kind === "ignored-part" && ig.part).toBe(PART_NAMES.analysis);
    expect(PART_NAMES.analysis).toBe("distances");
  });

  it("a late part whose header claims other lengths or another part is not used", async () => {
    // The class index's file under the tree's name: its header says what it is.
    const dir = freshDir();
    const { entry } = await entryHolding("columns", dir);
    await command(dir);
    copyFileSync(latePartPath(entry, "classes"), latePartPath(entry, "tree"));
    const look = await new SnapshotCache({ dir }).lookup(snap);
    if (look.kind !== "hit") throw new Error("expected a hit");
    expect(look.content.ignored).toEqual([{ part: "tree", reason: "it holds another part than its name says" }]);
    expect(look.content.holds.tree).toBe(false);
    expect(look.content.holds.classRetained).toBe(false);
  });

  it("a class index of a late part that checks out by its checksums is still checked value by value", async () => {
    const dir = freshDir();
    const { cache, entry } = await entryHolding("no per-class", dir);
    // Another snapshot's class index would do: here, one with a class past the last, written as the part.
    const { graph } = await truth();
    const c = graph.classParts()!;
    const nodeClass = Uint32Array.from(c.nodeClass);
    nodeClass[3] = 0xfffffff0;
    const look = await cache.lookup(snap);
    if (look.kind !== "hit") throw new Error("expected a hit");
    expect(cache.addParts(look.content.stamp, { classes: { ...c, nodeClass } }, ["classes"]).kind).toBe("written");
    const again = await cache.lookup(snap);
    if (again.kind !== "hit") throw new Error("expected a hit");
    expect(() => again.content.later.classes!()).toThrow(CacheFormatError);
    expect(() => again.content.later.classes!()).toThrow(/node 3 has a class past the last/);
    void entry;
  });
});

describe("the id sample (what comparing snapshots by id checks) as a late part", () => {
  /** A command that compares by id (diff, leaks, --new-since): loads through a session, reads the ids, flushes. */
  async function idCommand(dir: string): Promise<{ events: CacheEvent[]; graph: HeapGraph; ids: SnapshotIds }> {
    const events: CacheEvent[] = [];
    const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const graph = await session.load(snap);
    const ids = SnapshotIds.of(graph);
    await session.flush();
    return { events, graph, ids };
  }

  /** Everything the id-trust check uses of a snapshot's ids, as plain data. */
  const sampleOf = (s: SnapshotIds): unknown => ({
    objectCount: s.objectCount,
    level: s.level,
    syntheticIds: s.syntheticIds,
    sample: [...s.sampledIds()].map((id) => [id, s.signature(id)!.what, [...s.signature(id)!.refs]]),
  });

  let expected: unknown = null;
  async function expectedSample(): Promise<unknown> {
    return (expected ??= sampleOf(SnapshotIds.of((await truth()).graph)));
  }

  it("flushed twice (early, then at the end), a session adds at the end only what is new since", async () => {
    const dir = freshDir();
    await entryHolding("columns", dir);
    const events: CacheEvent[] = [];
    const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const graph = await session.load(snap);
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    graph.classes();
    await session.flush();
    SnapshotIds.of(graph);
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    await session.flush();
    expect(events.filter((e) => e.kind === "written").map((e) => (e.kind === "written" ? e.result.added : null))).toEqual([
      ["analysis", "tree", "classes"],
      ["ids"],
    ]);
  });

  it("a command that compares by id adds it; the next one reads it instead of computing it, and adds nothing", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("no per-class", dir);
    const before = readFileSync(entry);
    const first = await idCommand(dir);
    expect(first.events.map((e) => e.kind)).toEqual(["used", "written"]);
    expect(written(first.events)!.result.added).toEqual(["ids"]);
    expect(sampleOf(first.ids)).toEqual(await expectedSample());
    expect(existsSync(latePartPath(entry, "ids"))).toBe(true);
    expect(readFileSync(entry).equals(before)).toBe(true);
    const again = await idCommand(dir);
    expect(again.events.map((e) => e.kind)).toEqual(["used"]);
    expect(again.graph.idSampleParts()).toBeNull(); // read, not computed
    expect(sampleOf(again.ids)).toEqual(await expectedSample());
    expect(again.ids.ids.size).toBe(first.ids.ids.size);
    // The listing counts it with its entry; --clear removes it.
    const cache = new SnapshotCache({ dir });
    expect(cache.list().entries[0]!.bytes).toBe(before.length + statSync(latePartPath(entry, "ids")).size);
    cache.clear();
    expect(existsSync(latePartPath(entry, "ids"))).toBe(false);
  });

  /** A first look through a session of `cache` (a picture: the tree and the classes, no ids asked). */
  async function pictureFirstLook(cache: SnapshotCache, file = snap): Promise<CacheEvent[]> {
    const events: CacheEvent[] = [];
    const session = new CacheSession(cache, (e) => events.push(e));
    const graph = await session.load(file);
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    graph.classes();
    await session.flush();
    return events;
  }

  it("a snapshot at or above idSampleEarlyNodes gets it with its new entry, unsaid; the first comparison reads it and adds nothing", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir, idSampleEarlyNodes: 1 });
    expect((await pictureFirstLook(cache)).map((e) => e.kind)).toEqual(["written"]);
    const entry = cache.entryPath(realpathSync(snap));
    expect(existsSync(latePartPath(entry, "ids"))).toBe(true);
    const first = await idCommand(dir);
    expect(first.events.map((e) => e.kind)).toEqual(["used"]);
    expect(first.graph.idSampleParts()).toBeNull(); // read, not computed
    expect(sampleOf(first.ids)).toEqual(await expectedSample());
  });

  it("made while the helper thread finishes the tree, or chosen on the checksum thread, the sample and the tree edges by node give the same files as made at the end", async () => {
    const made: { entry: Buffer; ids: Buffer }[] = [];
    for (const [ahead, idSampleThread] of [
      [false, false],
      [true, false],
      [true, true],
    ] as const) {
      // Every section written in the background, as for a big snapshot (else nothing is written ahead).
      const cache = new SnapshotCache({
        dir: freshDir(),
        idSampleEarlyNodes: 1,
        idSampleAlongsideNodes: 1,
        parallel: true,
        idSampleThread,
      });
      const session = new CacheSession(cache);
      const graph = await session.load(snap);
      const alongside = (): void => {
        graph.classes();
        // As if the helper were busy all along: all of it is done now.
        if (ahead) session.alongside(graph, () => true);
      };
      await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true, parallel: true, alongside }));
      // Chosen on the checksum thread, it is not made alongside.
      expect(graph.idSampleParts() !== null, `ahead: ${ahead}`).toBe(ahead && !idSampleThread);
      await session.flush();
      const entry = cache.entryPath(realpathSync(snap));
      made.push({ entry: dataOf(entry), ids: dataOf(latePartPath(entry, "ids")) });
    }
    for (const m of made.slice(1)) {
      expect(m.entry.equals(made[0]!.entry)).toBe(true);
      expect(m.ids.equals(made[0]!.ids)).toBe(true);
    }
  });

  it("below idSampleAlongsideNodes the sample is left for the end: the same files", async () => {
    const cache = new SnapshotCache({ dir: freshDir(), idSampleEarlyNodes: 1, parallel: true, idSampleThread: false });
    expect(cache.idSampleAlongsideNodes).toBeGreaterThan((await truth()).graph.nodeCount);
    const session = new CacheSession(cache);
    const graph = await session.load(snap);
    const alongside = (): void => {
      graph.classes();
      session.alongside(graph, () => true);
    };
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true, parallel: true, alongside }));
    expect(graph.idSampleParts()).toBeNull();
    await session.flush();
    const entry = cache.entryPath(realpathSync(snap));
    const atEnd = new SnapshotCache({ dir: freshDir(), idSampleEarlyNodes: 1, parallel: true });
    await pictureFirstLook(atEnd);
    const other = atEnd.entryPath(realpathSync(snap));
    expect(dataOf(entry).equals(dataOf(other))).toBe(true);
    expect(dataOf(latePartPath(entry, "ids")).equals(dataOf(latePartPath(other, "ids")))).toBe(true);
  });

  it("the sample added with a new entry is counted in what is said of it (its size, the cache's total)", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir, idSampleEarlyNodes: 1 });
    const w = written(await pictureFirstLook(cache))!;
    const entry = cache.entryPath(realpathSync(snap));
    expect(w.result.bytes).toBe(statSync(entry).size + statSync(latePartPath(entry, "ids")).size);
    expect(w.result.totalBytes).toBe(cache.list().totalBytes);
  });

  it("the sample is never added with a new entry at the cost of another entry", async () => {
    // Each entry's size without the sample, each written alone.
    const sizeOf = async (file: string): Promise<number> => {
      const alone = new SnapshotCache({ dir: freshDir(), idSampleEarlyNodes: 1e9 });
      return written(await pictureFirstLook(alone, file))!.result.bytes;
    };
    const [a, b] = [await sizeOf(other), await sizeOf(snap)];
    const dir = freshDir();
    await pictureFirstLook(new SnapshotCache({ dir, idSampleEarlyNodes: 1e9 }), other);
    // Room for both entries, not for the sample too.
    const cache = new SnapshotCache({ dir, idSampleEarlyNodes: 1, maxBytes: a + b + 1000 });
    const w = written(await pictureFirstLook(cache))!;
    expect(w.result.dropped).toBe(0);
    expect(w.result.bytes).toBe(b);
    expect(existsSync(cache.entryPath(realpathSync(other)))).toBe(true);
    expect(existsSync(latePartPath(cache.entryPath(realpathSync(snap)), "ids"))).toBe(false);
    expect(cache.list().entries).toHaveLength(2);
    expect(w.result.totalBytes).toBe(cache.list().totalBytes);
  });

  it("below idSampleEarlyNodes: a new entry gets none (the first comparison computes and adds it)", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir, idSampleEarlyNodes: (await truth()).graph.nodeCount + 1 });
    expect((await pictureFirstLook(cache)).map((e) => e.kind)).toEqual(["written"]);
    expect(existsSync(latePartPath(cache.entryPath(realpathSync(snap)), "ids"))).toBe(false);
    const first = await idCommand(dir);
    expect(written(first.events)!.result.added).toEqual(["ids"]);
  });

  it("a first look that compares by id keeps the sample it computed with its new entry", async () => {
    const dir = freshDir();
    const first = await idCommand(dir);
    expect(first.events.map((e) => e.kind)).toEqual(["written"]);
    expect(first.graph.idSampleParts()).not.toBeNull();
    const again = await idCommand(dir);
    expect(again.events.map((e) => e.kind)).toEqual(["used"]);
    expect(again.graph.idSampleParts()).toBeNull();
    expect(sampleOf(again.ids)).toEqual(await expectedSample());
  });

  it("a flipped byte in it: ignored (said so), computed again, added again as it was", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("columns", dir);
    await idCommand(dir);
    const file = latePartPath(entry, "ids");
    const good = readFileSync(file);
    const buf = Buffer.from(good);
    buf[lateSectionAt(file, "ids.sample") + 5]! ^= 0x04;
    writeFileSync(file, buf);
    const { events, ids } = await idCommand(dir);
    expect(events.map((e) => e.kind)).toEqual(["used", "ignored-part", "written"]);
    const ig = events[1];
    expect(ig?.kind === "ignored-part" && [ig.part, ig.reason]).toEqual([
      "id sample",
      "section ids.sample is damaged (checksum of block 0)",
    ]);
    expect(written(events)!.result.added).toEqual(["ids"]);
    expect(sampleOf(ids)).toEqual(await expectedSample());
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it("truncated at any length, or with a damaged header or block table: ignored when the entry is opened (said so, removed), then added again", async () => {
    const dir = freshDir();
    const { entry } = await entryHolding("columns", dir);
    await idCommand(dir);
    const file = latePartPath(entry, "ids");
    const good = readFileSync(file);
    const spoiled = spoiledCopies(good);
    for (const [what, bytes] of spoiled) {
      writeFileSync(file, bytes);
      const look = await new SnapshotCache({ dir }).lookup(snap);
      expect(look.kind, what).toBe("hit");
      if (look.kind !== "hit") continue;
      expect(
        look.content.ignored.map((i) => i.part),
        what,
      ).toEqual(["ids"]);
      expect(look.content.later.idSample, what).toBeNull();
      expect(existsSync(file), what).toBe(false);
      const { events, ids } = await idCommand(dir);
      expect(
        events.map((e) => e.kind),
        what,
      ).toEqual(["used", "written"]);
      expect(sampleOf(ids), what).toEqual(await expectedSample());
      expect(readFileSync(file).equals(good), what).toBe(true);
    }
  });

  it("another snapshot's (renamed into place) is not used, and removed", async () => {
    const dir = freshDir();
    const mine = await entryHolding("columns", dir);
    const theirs = await entryHolding("columns", dir, other);
    const session = new CacheSession(theirs.cache);
    SnapshotIds.of(await session.load(other));
    await session.flush();
    copyFileSync(latePartPath(theirs.entry, "ids"), latePartPath(mine.entry, "ids"));
    const look = await mine.cache.lookup(snap);
    expect(look.kind === "hit" && look.content.later.idSample).toBeNull();
    expect(existsSync(latePartPath(mine.entry, "ids"))).toBe(false);
  });

  it("one whose checksums hold but whose values do not is not used: computed again and added again", async () => {
    const { graph } = await truth();
    const good = packIdSample(
      (() => {
        const s = SnapshotIds.of(graph);
        const sample = new Map([...s.sampledIds()].map((id) => [id, s.signature(id)!]));
        return { objectCount: s.objectCount, level: s.level, syntheticIds: s.syntheticIds, sample };
      })(),
    );
    const wrongCount = Uint32Array.from(good);
    wrongCount[0]! += 1; // objects and synthetic roots no longer add up to the nodes
    const unsorted = Uint32Array.from(good);
    // The first sampled object's sketch, its first two hashes swapped.
    const first = 4 + unsorted[2]!;
    expect(unsorted[first + 2]!).toBeGreaterThan(1);
    [unsorted[first + 3], unsorted[first + 4]] = [unsorted[first + 4]!, unsorted[first + 3]!];
    const cut = good.slice(0, good.length - 1);
    for (const [what, packed] of [
      ["counts", wrongCount],
      ["sketch order", unsorted],
      ["last record cut", cut],
    ] as const) {
      const dir = freshDir();
      const { cache } = await entryHolding("columns", dir);
      const look = await cache.lookup(snap);
      if (look.kind !== "hit") throw new Error("expected a hit");
      expect(cache.addParts(look.content.stamp, { idSample: packed }, ["ids"]).kind, what).toBe("written");
      const again = await cache.lookup(snap);
      if (again.kind !== "hit") throw new Error("expected a hit");
      expect(() => again.content.later.idSample!(), what).toThrow(/the id sample is not valid/);
      const { events, ids } = await idCommand(dir);
      expect(
        events.map((e) => e.kind),
        what,
      ).toEqual(["used", "ignored-part", "written"]);
      expect(sampleOf(ids), what).toEqual(await expectedSample());
    }
    expect(unpackIdSample(good, graph.nodeCount)).not.toBeNull();
  });
});
