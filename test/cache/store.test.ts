/**
 * The snapshot cache as a library: what an entry holds, when one is used, and that a damaged,
 * truncated, foreign or other-build entry is never trusted. Every test has its own temporary
 * cache directory.
 */
import { copyFileSync, readFileSync, readdirSync, renameSync, statSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS, buildId, type CacheKey } from "../../src/cache/store.js";
import { CACHE_FORMAT, CacheFormatError, writeEntry, type EntryContent } from "../../src/cache/entry.js";
import { BLOCK, blockCrcs } from "../../src/cache/lazy.js";
import { CacheDamagedError } from "../../src/errors.js";
import { CacheSession, type CacheEvent } from "../../src/cache/session.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph, namedClassTable } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { summarize } from "../../src/query/summary.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = resolve(import.meta.dirname, "../../samples/leak.heapsnapshot.gz");
const work = tempDir("backrefs-cache-");
let dirCount = 0;
const freshDir = (): string => join(work, `cache-${dirCount++}`);

/** A small snapshot whose one class name can be swapped for another of the same length. */
function builtSnapshot(marker: string): string {
  const b = new SnapshotBuilder();
  const holder = b.node("object", "Holder", { selfSize: 40 });
  b.edge(b.gcRoots, holder, "element", 1);
  for (let i = 0; i < 5; i++) {
    const leak = b.node("object", marker, { selfSize: 24 + i });
    b.edge(holder, leak, "property", `item${i}`);
    const s = b.node("string", `text "quoted" \u00e9 ${i}\n`, { selfSize: 16 });
    b.edge(leak, s, "property", "label");
  }
  return b.serialize();
}

/** Files given a modification time well in the past (whole seconds, so it can be restored exactly). */
/** Typed arrays with the same elements (compared as bytes: element by element is slow on big arrays). */
function expectSameArray(a: ArrayBufferView | null, b: ArrayBufferView | null, what = ""): void {
  expect(a === null, what).toBe(b === null);
  if (a === null || b === null) return;
  expect(a.constructor, what).toBe(b.constructor);
  expect(a.byteLength, what).toBe(b.byteLength);
  const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  expect(bytes(a).equals(bytes(b)), what).toBe(true);
}

const OLD = Math.floor(Date.now() / 1000) - 3600;
const files = {
  sample: join(work, "sample.heapsnapshot.gz"),
  built: join(work, "built.heapsnapshot"),
  a: join(work, "a.heapsnapshot"),
  b: join(work, "b.heapsnapshot"),
  c: join(work, "c.heapsnapshot"),
};

beforeAll(async () => {
  copyFileSync(SAMPLE, files.sample);
  writeFileSync(files.built, builtSnapshot("MarkerAAAA"));
  for (const [i, f] of [files.a, files.b, files.c].entries()) writeFileSync(f, builtSnapshot(`Other${i}`));
  for (const f of Object.values(files)) utimesSync(f, OLD, OLD);
  // Entries are only written for files whose last change is RACY_MS old (see store.ts).
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

/** Reads and analyses a file the long way, as a command does on a miss (`classes`: with the class index in the entry). */
async function analysed(file: string, classes = false): Promise<{ content: EntryContent; graph: HeapGraph; analysis: HeapAnalysis }> {
  const raw = await readSnapshotRaw(file);
  const graph = new HeapGraph(raw);
  const analysis = new HeapAnalysis(graph);
  await analysis.prepare({ retained: true });
  analysis.classRetainedSizes();
  return { content: { raw, analysis: analysis.savedParts(), classes: classes ? graph.classParts() : null }, graph, analysis };
}

/**
 * Reads every part of an entry read from the cache (its parts are read on first use), as a command
 * that needs all of it would: the columns, the strings, the analysis and the whole dominator tree.
 */
/** The entry of `file` in `cache`, read whole, after checking it is a hit holding `content`'s columns. */
async function hitWithColumnsOf(cache: SnapshotCache, file: string, content: EntryContent): Promise<EntryContent> {
  const look = await cache.lookup(file);
  expect(look.kind).toBe("hit");
  if (look.kind !== "hit") throw new Error("not a hit");
  readWhole(look.content);
  for (const k of ["type", "name", "id", "selfSize", "firstEdge"] as const)
    expectSameArray(look.content.raw.nodes[k], content.raw.nodes[k], k);
  for (const k of ["type", "name", "to"] as const) expectSameArray(look.content.raw.edges[k], content.raw.edges[k], k);
  return look.content;
}

function readWhole(c: EntryContent): void {
  for (const col of Object.values(c.raw.lazy ?? {})) (col as { whole(): unknown } | null)?.whole();
  c.raw.strings.parts();
  const a = c.analysis;
  if (!a) return;
  void [a.shallow, a.distance, a.parentEdge, a.userRoots, a.treeList, a.refused, a.classRetained];
  if (a.tree) {
    // Each node's dominator looked up alone, as a picture does, then the whole tree.
    for (let n = 0; n < c.raw.meta.nodeCount; n++) a.tree.dominatorOf?.(n);
    void [a.tree.preorder, a.tree.idomIndex, a.tree.idom, a.tree.retained];
  }
}

async function missKey(cache: SnapshotCache, file: string): Promise<CacheKey> {
  const look = await cache.lookup(file);
  if (look.kind !== "miss") throw new Error(`expected a miss, got ${look.kind}`);
  return look.key;
}

/** Caches `file` in a fresh directory; returns the cache and the entry path. */
async function cached(file: string, dir = freshDir(), classes = false): Promise<{ cache: SnapshotCache; entry: string }> {
  const cache = new SnapshotCache({ dir });
  const key = await missKey(cache, file);
  const saved = cache.save(key, (await analysed(file, classes)).content);
  if (saved.kind !== "written") throw new Error(`not written: ${saved.reason}`);
  return { cache, entry: saved.entry };
}

async function expectMiss(cache: SnapshotCache, file: string, reason: RegExp): Promise<void> {
  const look = await cache.lookup(file);
  expect(look.kind).toBe("miss");
  if (look.kind === "miss") expect(look.reason).toMatch(reason);
}

describe("snapshot cache: hits", () => {
  it("an entry gives back every column, every string and the whole analysis", async () => {
    const { cache } = await cached(files.sample);
    const look = await cache.lookup(files.sample);
    expect(look.kind).toBe("hit");
    if (look.kind !== "hit") return;
    const fresh = await analysed(files.sample);
    const raw = fresh.content.raw;
    const back = look.content.raw;
    // Read on first use: the columns say so.
    expect(back.lazy).toBeDefined();
    readWhole(look.content);
    // Every field of what the reader produces survives (a field added to RawSnapshot shows here);
    // an entry adds how it is read (its columns on first use, and ahead on request).
    expect(
      Object.keys(back)
        .filter((k) => k !== "lazy" && k !== "readAhead")
        .sort(),
    ).toEqual(Object.keys(raw).sort());
    expect(back.meta).toEqual(raw.meta);
    expect(back.header).toEqual(raw.header);
    expect(Object.keys(back.nodes).sort()).toEqual(Object.keys(raw.nodes).sort());
    for (const k of ["type", "name", "id", "selfSize", "detachedness", "firstEdge"] as const) {
      expectSameArray(back.nodes[k], raw.nodes[k], k);
    }
    expect(Object.keys(back.edges).sort()).toEqual(Object.keys(raw.edges).sort());
    for (const k of ["type", "name", "to"] as const) expectSameArray(back.edges[k], raw.edges[k], k);
    expect(back.strings.length).toBe(raw.strings.length);
    const all = (t: typeof raw.strings): string[] => Array.from({ length: t.length }, (_, i) => t.get(i));
    expect(all(back.strings)).toEqual(all(raw.strings));
    expect(raw.locations!.length).toBeGreaterThan(0);
    expectSameArray(back.locations ?? null, raw.locations ?? null, "locations");

    const graph = new HeapGraph(back);
    // Class names made from the locations and the plain-object shapes come back the same.
    expectSameArray(graph.classes().nodeClass, fresh.graph.classes().nodeClass, "classes");
    expect(graph.classes().extraNames).toEqual(fresh.graph.classes().extraNames);
    const a = HeapAnalysis.fromParts(graph, look.content.analysis!);
    const b = fresh.analysis;
    expectSameArray(a.retainedSizes(), b.retainedSizes());
    expectSameArray(a.shallowSizes(), b.shallowSizes());
    expectSameArray(a.distances().distance, b.distances().distance);
    expectSameArray(a.distances().parentEdge, b.distances().parentEdge);
    expectSameArray(a.distances().treeList, b.distances().treeList);
    expectSameArray(a.dominators().idom, b.dominators().idom);
    expectSameArray(a.classRetainedSizes(), b.classRetainedSizes());
    // What is not saved (the essential edges) is computed again from what is.
    expectSameArray(a.essentialEdges(), b.essentialEdges());
    expect(JSON.stringify(summarize(graph, { top: 20, analysis: a }))).toBe(
      JSON.stringify(summarize(fresh.graph, { top: 20, analysis: b })),
    );
  });

  it("escaped strings and a snapshot without analysis round-trip", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir });
    const key = await missKey(cache, files.built);
    const raw = await readSnapshotRaw(files.built);
    expect(cache.save(key, { raw, analysis: null }).kind).toBe("written");
    const look = await cache.lookup(files.built);
    expect(look.kind).toBe("hit");
    if (look.kind !== "hit") return;
    expect(look.content.analysis).toBeNull();
    const names = Array.from({ length: raw.strings.length }, (_, i) => raw.strings.get(i));
    expect(names).toContain('text "quoted" \u00e9 3\n');
    expect(Array.from({ length: look.content.raw.strings.length }, (_, i) => look.content.raw.strings.get(i))).toEqual(names);
  });
});

describe("snapshot cache: the file changed", () => {
  it("same size, different content, mtime restored: a miss", async () => {
    const file = join(work, "changed.heapsnapshot");
    writeFileSync(file, builtSnapshot("MarkerAAAA"));
    utimesSync(file, OLD, OLD);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const { cache } = await cached(file);
    expect((await cache.lookup(file)).kind).toBe("hit");
    const before = statSync(file, { bigint: true });
    writeFileSync(file, builtSnapshot("MarkerBBBB"));
    utimesSync(file, OLD, OLD);
    const after = statSync(file, { bigint: true });
    expect(after.size).toBe(before.size);
    expect(after.mtimeNs).toBe(before.mtimeNs);
    await expectMiss(cache, file, /another version of the file/);
    // And a command would not write an entry for it yet: it changed a moment ago.
    const key = await missKey(cache, file);
    const saved = cache.save(key, (await analysed(file)).content);
    expect(saved.kind).toBe("not-written");
    if (saved.kind === "not-written") expect(saved.reason).toMatch(/changed less than/);
  });

  it("the same content with a touched mtime: a miss", async () => {
    const file = join(work, "touched.heapsnapshot");
    copyFileSync(files.built, file);
    utimesSync(file, OLD, OLD);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const { cache } = await cached(file);
    expect((await cache.lookup(file)).kind).toBe("hit");
    utimesSync(file, OLD + 10, OLD + 10);
    await expectMiss(cache, file, /another version of the file \((mtimeNs|ctimeNs) differs\)/);
  });

  it("a file changed while it was read gets no entry", async () => {
    const file = join(work, "moving.heapsnapshot");
    copyFileSync(files.built, file);
    utimesSync(file, OLD, OLD);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const cache = new SnapshotCache({ dir: freshDir() });
    const key = await missKey(cache, file);
    const content = (await analysed(file)).content;
    writeFileSync(file, builtSnapshot("MarkerCCCC"));
    utimesSync(file, OLD, OLD);
    const saved = cache.save(key, content);
    expect(saved.kind).toBe("not-written");
    if (saved.kind === "not-written") expect(saved.reason).toMatch(/changed while it was read/);
  });
});

/** Rewrites an entry's header (and its checksum), keeping its sections. */
function rewriteHeader(entry: string, edit: (h: Record<string, unknown>) => void): void {
  const buf = readFileSync(entry);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as Record<string, unknown>;
  const data = buf.subarray((16 + len + 7) & ~7);
  edit(header);
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc((16 + json.length + 7) & ~7);
  buf.copy(prefix, 0, 0, 8);
  prefix.writeUInt32LE(json.length, 8);
  prefix.writeUInt32LE(crc32(json), 12);
  json.copy(prefix, 16);
  writeFileSync(entry, Buffer.concat([prefix, data]));
}

describe("snapshot cache: damaged, truncated, foreign and other-build entries are not used", () => {
  it("a flipped byte in a section fails its checksum when the section is read, and the entry is removed", async () => {
    const { cache, entry } = await cached(files.sample);
    const good = readFileSync(entry);
    // The first section (node types) and the last (per-class retained sizes, 8-byte values).
    for (const section of ["node.type", "analysis.classRetained"]) {
      const { at, length } = sectionAt(entry, section);
      const buf = Buffer.from(good);
      buf[at + length - 1]! ^= 0x40;
      writeFileSync(entry, buf);
      const look = await cache.lookup(files.sample);
      expect(look.kind, section).toBe("hit");
      if (look.kind !== "hit") continue;
      expect(() => readWhole(look.content), section).toThrow(CacheDamagedError);
      expect(() => readWhole(look.content), section).toThrow(
        new RegExp(`section ${section.replace(".", "\\.")} is damaged \\(checksum of block 0\\)`),
      );
      // Removed, so that the next command reads the snapshot and writes a good entry.
      expect((await cache.lookup(files.sample)).kind).toBe("miss");
      expect(readdirSync(cache.dir)).toEqual([]);
      writeFileSync(entry, good);
    }
  });

  it("a flipped byte in a block read on demand is caught when that block is used, and nothing after", async () => {
    const dir = freshDir();
    const { cache, entry } = await cached(files.sample, dir);
    const fresh = new HeapGraph(await readSnapshotRaw(files.sample));
    // Edge names: 4 bytes an edge, so edges of the second block and of the first are told apart.
    const perBlock = BLOCK / 4;
    expect(fresh.edgeCount).toBeGreaterThan(2 * perBlock);
    const { at } = sectionAt(entry, "edge.name");
    const buf = readFileSync(entry);
    buf[at + BLOCK + 5]! ^= 0x01;
    writeFileSync(entry, buf);
    const look = await cache.lookup(files.sample);
    if (look.kind !== "hit") throw new Error("expected a hit");
    const graph = new HeapGraph(look.content.raw);
    // Blocks not damaged give the right answers...
    for (const e of [0, 7, perBlock - 1, 2 * perBlock + 3]) expect(graph.edgeName(e)).toEqual(fresh.edgeName(e));
    // ...the damaged one is an error when used, never a wrong answer, and so is every later read.
    expect(() => graph.edgeName(perBlock + 1)).toThrow(/section edge\.name is damaged \(checksum of block 1\)/);
    expect(() => graph.edgeName(perBlock + 1)).toThrow(CacheDamagedError);
    expect(() => graph.nodeId(fresh.nodeCount - 1)).toThrow(CacheDamagedError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a flipped byte in any section is caught: when the entry is read, or when a part read later is", async () => {
    const dir = freshDir();
    const { entry } = await cached(files.sample, dir, true);
    const cache = new SnapshotCache({ dir });
    const good = readFileSync(entry);
    const len = good.readUInt32LE(8);
    const header = JSON.parse(good.subarray(16, 16 + len).toString("utf8")) as {
      sections: { name: string; type: string; length: number }[];
    };
    const names = header.sections.filter((s) => s.length > 0).map((s) => s.name);
    expect(names).toContain("locations");
    expect(names).toContain("classes.nodeClass");
    for (const name of names) {
      writeFileSync(entry, good);
      const { at, length } = sectionAt(entry, name);
      const width = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 }[header.sections.find((s) => s.name === name)!.type]!;
      // The first, a middle and the last byte of the section.
      for (const offset of [0, Math.floor((length * width) / 2), length * width - 1]) {
        const buf = Buffer.from(good);
        buf[at + offset]! ^= 0x10;
        // (A damaged entry is removed when found: each case writes it again.)
        writeFileSync(entry, buf);
        const what = `${name} byte ${offset}`;
        const damaged = `section ${name} is damaged (checksum of block ${Math.floor(offset / BLOCK)})`;
        // Every section is read on first use: the entry opens, and the damage is found when the
        // section is read.
        const look = await cache.lookup(files.sample);
        expect(look.kind, what).toBe("hit");
        if (look.kind !== "hit") continue;
        if (name.startsWith("classes.")) {
          // The class index can be done without: the rest of the entry is good.
          expect(() => look.content.later.classes!(), what).toThrow(damaged);
          expect(() => readWhole(look.content), what).not.toThrow();
        } else {
          expect(() => readWhole(look.content), what).toThrow(damaged);
        }
      }
    }
    writeFileSync(entry, good);
    expect((await cache.lookup(files.sample)).kind).toBe("hit");
  });

  it("a flipped byte in the header fails the header's checksum", async () => {
    const { cache, entry } = await cached(files.sample);
    const buf = readFileSync(entry);
    buf[40]! ^= 0x01;
    writeFileSync(entry, buf);
    await expectMiss(cache, files.sample, /header's checksum/);
  });

  it("a truncated entry, at any length", async () => {
    const { cache, entry } = await cached(files.sample);
    const full = readFileSync(entry);
    for (const keep of [0, 7, 15, 100, Math.floor(full.length / 2), full.length - 1]) {
      writeFileSync(entry, full.subarray(0, keep));
      await expectMiss(cache, files.sample, /short|truncated|does not fit|past the end/);
    }
    truncateSync(entry, 0);
    await expectMiss(cache, files.sample, /short/);
  });

  it("a foreign file in the entry's place", async () => {
    const { cache, entry } = await cached(files.sample);
    writeFileSync(entry, Buffer.from('{"snapshot":{}} not a cache file at all'));
    await expectMiss(cache, files.sample, /not a backrefs cache file/);
  });

  it("an entry of the previous format is not read, and is written again", async () => {
    const { cache, entry } = await cached(files.sample);
    rewriteHeader(entry, (h) => (h["format"] = CACHE_FORMAT - 1));
    await expectMiss(cache, files.sample, new RegExp(`cache format ${CACHE_FORMAT - 1}, this build reads ${CACHE_FORMAT}`));
    const again = cache.save(await missKey(cache, files.sample), (await analysed(files.sample)).content);
    expect(again.kind).toBe("written");
    if (again.kind === "written") expect(again.entry).toBe(entry);
    expect((await cache.lookup(files.sample)).kind).toBe("hit");
  });

  it("an entry written by another build, or in another format", async () => {
    const { cache, entry } = await cached(files.sample);
    const good = readFileSync(entry);
    rewriteHeader(entry, (h) => (h["build"] = "0123456789abcdef0123456789abcdef"));
    await expectMiss(cache, files.sample, /another build/);
    writeFileSync(entry, good);
    rewriteHeader(entry, (h) => (h["format"] = 999));
    await expectMiss(cache, files.sample, /cache format 999/);
    writeFileSync(entry, good);
    expect((await cache.lookup(files.sample)).kind).toBe("hit");
  });

  it("an entry of another file at this file's entry path", async () => {
    const { cache, entry } = await cached(files.a);
    const other = await cached(files.b);
    copyFileSync(other.entry, entry);
    await expectMiss(cache, files.a, /another version of the file \(path differs\)/);
  });

  it("checksums that match do not make values trusted: indices are checked like the reader checks a snapshot", async () => {
    const cases: [string, (c: EntryContent) => void, RegExp][] = [
      ["an edge target past the last node", (c) => (c.raw.edges.to[3] = c.raw.meta.nodeCount + 7), /points past the last node/],
      ["an unknown node type", (c) => (c.raw.nodes.type[2] = 200), /unknown type/],
      ["first-edge sums that go down", (c) => (c.raw.nodes.firstEdge[5] = c.raw.nodes.firstEdge[4]! + 100000), /first-edge index/],
      ["a string index past the strings", (c) => (c.raw.nodes.name[4] = c.raw.strings.length + 3), /names a string past the last/],
      [
        "a dominator after its node",
        (c) => {
          const { preorder, idom } = c.analysis!.tree!;
          idom![preorder[10]!] = preorder[20]!;
        },
        /before its dominator/,
      ],
      ["a dominator's place after its node's", (c) => (c.analysis!.tree!.idomIndex[10] = 20), /before its dominator/],
      [
        "a preorder that is not a permutation",
        (c) => {
          const { preorder } = c.analysis!.tree!;
          preorder[7] = preorder[8]!;
        },
        // (the places computed from it put some node before its dominator: found first)
        /not a permutation|before its dominator/,
      ],
      ["a dominator past the last node", (c) => (c.analysis!.tree!.idom![5] = c.raw.meta.nodeCount), /past the last/],
      ["a parent edge past the last edge", (c) => (c.analysis!.parentEdge[6] = c.raw.meta.edgeCount + 9), /past the last/],
      [
        "an edge name past the strings",
        (c) => {
          const { type, name } = c.raw.edges;
          const e = type.findIndex((t) => c.raw.meta.edgeTypes[t] === "property");
          name[e] = c.raw.strings.length + 1;
        },
        /names a string past the last/,
      ],
    ];
    for (const [what, spoil, reason] of cases) {
      const cache = new SnapshotCache({ dir: freshDir() });
      const key = await missKey(cache, files.sample);
      const { content } = await analysed(files.sample);
      spoil(content);
      expect(cache.save(key, content).kind, what).toBe("written");
      // The values are checked when read: the entry opens, and reading it fails.
      const look = await cache.lookup(files.sample);
      expect(look.kind, what).toBe("hit");
      if (look.kind !== "hit") continue;
      expect(() => readWhole(look.content), what).toThrow(CacheDamagedError);
      expect(() => readWhole(look.content), what).toThrow(reason);
    }
  });
});

describe("snapshot cache: the directory", () => {
  it("keeps under its size limit by dropping the least recently used entry", async () => {
    const dir = freshDir();
    const probe = await cached(files.a, dir);
    const one = statSync(probe.entry).size;
    const cache = new SnapshotCache({ dir, maxBytes: Math.floor(one * 2.5) });
    // An entry's last use is its file's modification time, which the kernel keeps with a coarse
    // clock (a few milliseconds): entries written closer together than that tie.
    const apart = (): Promise<unknown> => new Promise((r) => setTimeout(r, 50));
    await apart();
    for (const f of [files.b, files.c]) {
      const saved = cache.save(await missKey(cache, f), (await analysed(f)).content);
      expect(saved.kind).toBe("written");
      await apart();
    }
    // a (oldest use) went when c came.
    const left = cache.list();
    expect(left.entries.map((e) => e.source).sort()).toEqual([files.b, files.c].sort());
    expect(left.totalBytes).toBeLessThanOrEqual(cache.maxBytes);
    // Using b makes c the oldest: the next entry drops c.
    expect((await cache.lookup(files.b)).kind).toBe("hit");
    await apart();
    expect(cache.save(await missKey(cache, files.a), (await analysed(files.a)).content).kind).toBe("written");
    expect(
      cache
        .list()
        .entries.map((e) => e.source)
        .sort(),
    ).toEqual([files.a, files.b].sort());
  });

  it("an entry larger than the whole limit is not written", async () => {
    const cache = new SnapshotCache({ dir: freshDir(), maxBytes: 1000 });
    const saved = cache.save(await missKey(cache, files.sample), (await analysed(files.sample)).content);
    expect(saved.kind).toBe("not-written");
    if (saved.kind === "not-written") expect(saved.reason).toMatch(/larger than the cache's limit/);
  });

  it("a cache directory that cannot be written: nothing written, no error", async () => {
    const blocker = join(work, "a-file");
    writeFileSync(blocker, "x");
    const cache = new SnapshotCache({ dir: join(blocker, "cache") });
    const saved = cache.save(await missKey(cache, files.sample), (await analysed(files.sample)).content);
    expect(saved.kind).toBe("not-written");
    if (saved.kind === "not-written") expect(saved.reason).toMatch(/runs through a file/);
  });

  it("list and clear", async () => {
    const dir = freshDir();
    await cached(files.a, dir);
    await cached(files.b, dir);
    writeFileSync(join(dir, "junk.brc"), "junk");
    const cache = new SnapshotCache({ dir });
    const l = cache.list();
    expect(l.entries).toHaveLength(3);
    expect(l.entries.find((e) => e.entry.endsWith("junk.brc"))?.problem).toMatch(/too short|not a backrefs cache/);
    expect(l.totalBytes).toBe(l.entries.reduce((n, e) => n + e.bytes, 0));
    expect(cache.clear().entries).toBe(3);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("the build id is stable within a build", () => {
    expect(buildId()).toMatch(/^[0-9a-f]{32}$/);
    expect(buildId()).toBe(buildId());
  });
});

describe("snapshot cache: an entry begun while the command runs", () => {
  /** A cache that writes big sections in the background (forced: the test files are small). */
  const backgroundCache = (dir = freshDir()): SnapshotCache => new SnapshotCache({ dir, parallel: true });

  it("begun after reading, handed the analysis, finished at the end: the same entry as written at once", async () => {
    for (const parallel of [true, false]) {
      const dir = freshDir();
      const cache = new SnapshotCache({ dir, parallel });
      const key = await missKey(cache, files.sample);
      const { content, graph } = await analysed(files.sample);
      const pending = cache.begin(key, content.raw);
      if ("kind" in pending) throw new Error(pending.reason);
      expect(pending.background).toBe(parallel);
      pending.hand({ raw: content.raw, analysis: { ...content.analysis!, classRetained: null } });
      const saved = await pending.finish(content);
      expect(saved.kind).toBe("written");
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
      const entry = await hitWithColumnsOf(cache, files.sample, content);
      const a = entry.analysis!;
      const b = content.analysis!;
      for (const k of ["shallow", "distance", "parentEdge", "userRoots", "refused", "classRetained"] as const)
        expectSameArray(a[k], b[k], k);
      for (const k of ["preorder", "idomIndex", "retained"] as const) expectSameArray(a.tree![k], b.tree![k], k);
      const back = new HeapGraph(entry.raw);
      expect(JSON.stringify(summarize(back, { top: 20, analysis: HeapAnalysis.fromParts(back, a) }))).toBe(
        JSON.stringify(summarize(graph, { top: 20, analysis: HeapAnalysis.fromParts(graph, b) })),
      );
    }
  });

  it("two writers of one entry, both begun before either finishes: both written, one whole entry, no temporary file", async () => {
    for (const parallel of [true, false]) {
      const dir = freshDir();
      const [one, two] = [new SnapshotCache({ dir, parallel }), new SnapshotCache({ dir, parallel })];
      const { content } = await analysed(files.sample);
      const a = one.begin(await missKey(one, files.sample), content.raw);
      const b = two.begin(await missKey(two, files.sample), content.raw);
      if ("kind" in a) throw new Error(a.reason);
      if ("kind" in b) throw new Error(b.reason);
      const [ra, rb] = await Promise.all([a.finish(content), b.finish(content)]);
      expect([ra.kind, rb.kind]).toEqual(["written", "written"]);
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
      expect(one.list().entries).toHaveLength(1);
      await hitWithColumnsOf(one, files.sample, content);
    }
  });

  it("a section handed over and then replaced, or left out, is written as it is at the end", async () => {
    const cache = backgroundCache();
    const key = await missKey(cache, files.sample);
    const { content } = await analysed(files.sample);
    const pending = cache.begin(key, content.raw);
    if ("kind" in pending) throw new Error(pending.reason);
    // Handed over: other retained sizes, and a longer refused list (which moves what follows it).
    const wrong = {
      ...content.analysis!,
      refused: new Uint32Array(content.analysis!.refused.length + 5),
      tree: { ...content.analysis!.tree!, retained: new Float64Array(content.raw.meta.nodeCount).fill(7) },
    };
    pending.hand({ raw: content.raw, analysis: wrong });
    // Finished without the dominator tree.
    const final = { raw: content.raw, analysis: { ...content.analysis!, tree: null, classRetained: null } };
    expect((await pending.finish(final)).kind).toBe("written");
    const look = await cache.lookup(files.sample);
    expect(look.kind).toBe("hit");
    if (look.kind !== "hit") return;
    expect(look.content.analysis!.tree).toBeNull();
    readWhole(look.content);
    expectSameArray(look.content.analysis!.refused, content.analysis!.refused);
    expectSameArray(look.content.analysis!.shallow, content.analysis!.shallow);
    expectSameArray(look.content.raw.edges.to, content.raw.edges.to);
  });

  it("begun before the edges are read, handed them once read: the same file as one begun after reading", async () => {
    const { content } = await analysed(files.sample);
    const bodies: Buffer[] = [];
    for (const early of [false, true]) {
      const dir = freshDir();
      const cache = backgroundCache(dir);
      const key = await missKey(cache, files.sample);
      const edges = { type: new Uint8Array(0), name: new Uint32Array(0), to: new Uint32Array(0), maxStringRef: 0 };
      const pending = early ? cache.begin(key, { ...content.raw, edges }, null, true) : cache.begin(key, content.raw);
      if ("kind" in pending) throw new Error(pending.reason);
      // Never finished without its edges.
      if (early)
        await expect(pending.finish({ ...content, raw: { ...content.raw, edges }, edgesToCome: true })).resolves.toMatchObject({
          kind: "not-written",
        });
      else expect((await pending.finish(content)).kind).toBe("written");
      if (early) {
        const again = cache.begin(await missKey(cache, files.sample), { ...content.raw, edges }, null, true);
        if ("kind" in again) throw new Error(again.reason);
        again.hand({ raw: content.raw, analysis: null });
        expect((await again.finish(content)).kind).toBe("written");
      }
      await hitWithColumnsOf(cache, files.sample, content);
      const file = readFileSync(cache.list().entries[0]!.entry);
      const headerEnd = (16 + file.readUInt32LE(8) + 7) & ~7;
      bodies.push(file.subarray(headerEnd));
      expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    }
    expect(bodies[1]!.equals(bodies[0]!)).toBe(true);
  });

  it("a session begins a big snapshot's entry while another thread reads its edges: the same entry as one begun after reading", async () => {
    const b = new SnapshotBuilder();
    // Nodes enough for the edges to start past the first chunk a reader takes: another thread reads them.
    const nodes = Array.from({ length: 60000 }, (_, k) => b.node("object", `C${k % 50}`, { selfSize: 8 + (k % 5) }));
    for (let k = 1; k < nodes.length; k++) b.edge(nodes[k - 1]!, nodes[k]!, "property", `p${k % 7}`);
    b.edge(b.gcRoots, nodes[0]!, "element", 1);
    const file = join(work, "edges-apart.heapsnapshot");
    writeFileSync(file, b.serialize());
    utimesSync(file, OLD, OLD);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const bodies: Buffer[] = [];
    for (const parallel of [false, true]) {
      const dir = freshDir();
      const events: CacheEvent[] = [];
      const session = new CacheSession(backgroundCache(dir), (e) => events.push(e));
      let early = 0;
      const graph = await session.load(file, { parallel, alongsideEdges: () => early++ });
      expect(early).toBe(parallel ? 1 : 0);
      const total = summarize(graph);
      await session.flush();
      expect(events.map((e) => e.kind)).toEqual(["written"]);
      const entry = readdirSync(dir).find((n) => n.endsWith(".brc"))!;
      const bytes = readFileSync(join(dir, entry));
      bodies.push(bytes.subarray((16 + bytes.readUInt32LE(8) + 7) & ~7));
      const back = await new CacheSession(backgroundCache(dir)).load(file);
      expect(summarize(back)).toEqual(total);
    }
    expect(bodies[1]!.equals(bodies[0]!)).toBe(true);
  });

  it("a read that fails after the entry was begun early leaves nothing in the directory", async () => {
    const b = new SnapshotBuilder();
    const nodes = Array.from({ length: 60000 }, (_, k) => b.node("object", `C${k % 50}`));
    for (let k = 1; k < nodes.length; k++) b.edge(nodes[k - 1]!, nodes[k]!, "property", `p${k % 7}`);
    // A node names a string the table does not have: the graph refuses it once read.
    const text = b
      .serialize()
      .replace(/"strings":\["/, '"strings":["')
      .replace(/"nodes":\[(\d+),(\d+),/, (_m, t: string) => `"nodes":[${t},999999,`);
    const file = join(work, "bad-name.heapsnapshot");
    writeFileSync(file, text);
    utimesSync(file, OLD, OLD);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const dir = freshDir();
    const session = new CacheSession(backgroundCache(dir));
    let early = 0;
    await expect(session.load(file, { parallel: true, alongsideEdges: () => early++ })).rejects.toThrow(/string/);
    expect(early).toBe(1);
    await session.drop();
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("given up (the command failed): nothing is left in the directory", async () => {
    const dir = freshDir();
    const cache = backgroundCache(dir);
    const key = await missKey(cache, files.sample);
    const { content } = await analysed(files.sample);
    const pending = cache.begin(key, content.raw);
    if ("kind" in pending) throw new Error(pending.reason);
    pending.hand(content);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toHaveLength(1);
    await pending.abandon();
    expect(readdirSync(dir)).toEqual([]);
    expect((await pending.finish(content)).kind).toBe("not-written");
  });

  it("the file changed while the command ran: no entry, nothing left", async () => {
    const file = join(work, "moving-begun.heapsnapshot");
    copyFileSync(files.built, file);
    utimesSync(file, OLD, OLD);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const dir = freshDir();
    const cache = backgroundCache(dir);
    const key = await missKey(cache, file);
    const { content } = await analysed(file);
    const pending = cache.begin(key, content.raw);
    if ("kind" in pending) throw new Error(pending.reason);
    writeFileSync(file, builtSnapshot("MarkerDDDD"));
    utimesSync(file, OLD, OLD);
    const saved = await pending.finish(content);
    expect(saved.kind).toBe("not-written");
    if (saved.kind === "not-written") expect(saved.reason).toMatch(/changed while it was read/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a file changed just before it was read, or a directory that cannot be written: not begun", async () => {
    const cache = backgroundCache();
    const key = await missKey(cache, files.sample);
    const { content } = await analysed(files.sample);
    const racy = cache.begin({ ...key, lookedAt: Number(BigInt(key.source.ctimeNs) / 1_000_000n) + 10 }, content.raw);
    expect("kind" in racy && racy.reason).toMatch(/changed less than/);
    const blocker = join(work, "another-file");
    writeFileSync(blocker, "x");
    const blocked = new SnapshotCache({ dir: join(blocker, "cache"), parallel: true }).begin(key, content.raw);
    expect("kind" in blocked && blocked.reason).toMatch(/runs through a file/);
  });

  it("the checksum thread started before the read sums the entry's sections, and is stopped by the entry's end", async () => {
    const key = await missKey(backgroundCache(), files.sample);
    expect(new SnapshotCache({ dir: freshDir(), parallel: false }).checksumsFor(key)).toBeNull();
    const shared = new Uint8Array(new SharedArrayBuffer(3 * BLOCK));
    const { content } = await analysed(files.sample);
    for (const end of ["finish", "abandon", "not begun"] as const) {
      const cache = backgroundCache();
      const checksums = cache.checksumsFor(key);
      if (checksums === null) throw new Error("no checksum thread for an entry written in the background");
      const at = end === "not begun" ? { ...key, lookedAt: Number(BigInt(key.source.ctimeNs) / 1_000_000n) + 10 } : key;
      const pending = cache.begin(at, content.raw, checksums);
      if (end === "not begun") {
        expect("kind" in pending).toBe(true);
      } else {
        if ("kind" in pending) throw new Error(pending.reason);
        pending.hand(content);
        if (end === "finish") {
          expect((await pending.finish(content)).kind).toBe("written");
          // The snapshot's columns (shared memory) were summed there, not by a thread of the writer's own.
          expect(checksums.summedThere).toBeGreaterThan(0);
        } else await pending.abandon();
      }
      // Stopped: what it is given now is summed on this thread.
      const before = checksums.summedThere;
      expect([...(await checksums.sum(shared))]).toEqual([...blockCrcs(shared)]);
      expect(checksums.summedThere).toBe(before);
    }
  });

  it("a temporary file left by a writer that is gone is removed by the next write", async () => {
    const dir = freshDir();
    await cached(files.a, dir);
    // No process has a number this high (Linux caps them at 2^22).
    const orphan = join(dir, `.0123456789abcdef.brc.${2 ** 30}.abc123.tmp`);
    const ours = join(dir, `.0123456789abcdef.brc.${process.pid}.def456.tmp`);
    writeFileSync(orphan, "half an entry");
    writeFileSync(ours, "being written");
    await cached(files.b, dir);
    const left = readdirSync(dir);
    expect(left).not.toContain(basename(orphan));
    expect(left).toContain(basename(ours));
  });
});

describe("snapshot cache: entries written with writeEntry directly", () => {
  it("an entry for other source details is refused", async () => {
    const dir = freshDir();
    const cache = new SnapshotCache({ dir });
    const key = await missKey(cache, files.a);
    const { content } = await analysed(files.a);
    const entry = cache.entryPath(key.source.path);
    // Written as if the file had been 1 byte longer.
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir, { recursive: true });
    writeEntry(entry, content, buildId(), { ...key.source, size: key.source.size + 1 });
    await expectMiss(cache, files.a, /size differs/);
  });
});

describe("loadHeapGraph's cache option", () => {
  it("with a cache: the first load writes the columns, the second reads them; without: nothing is written", async () => {
    const { loadHeapGraph } = await import("../../src/graph/load.js");
    const dir = freshDir();
    const plain = await loadHeapGraph(files.sample, { cache: false });
    expect(readdirSafe(dir)).toEqual([]);
    const cache = new SnapshotCache({ dir });
    const first = await loadHeapGraph(files.sample, { cache });
    expect(cache.list().entries).toHaveLength(1);
    const look = await cache.lookup(files.sample);
    expect(look.kind).toBe("hit");
    const second = await loadHeapGraph(files.sample, { cache });
    for (const g of [first, second]) {
      expect(g.nodeCount).toBe(plain.nodeCount);
      expectSameArray(g.columns.edgeTo, plain.columns.edgeTo);
      expect(g.className(g.nodeCount - 1)).toBe(plain.className(plain.nodeCount - 1));
    }
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Where a section of an entry starts, from its header. */
function sectionAt(entry: string, name: string): { at: number; length: number } {
  const buf = readFileSync(entry);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as {
    sections: { name: string; offset: number; length: number }[];
  };
  const s = header.sections.find((r) => r.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return { at: ((16 + len + 7) & ~7) + s.offset, length: s.length };
}

/** A graph loaded through a cache session, with what the session said. */
async function sessionLoad(dir: string, file: string): Promise<{ graph: HeapGraph; events: CacheEvent[]; session: CacheSession }> {
  const events: CacheEvent[] = [];
  const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
  const graph = await session.load(file);
  return { graph, events, session };
}

describe("snapshot cache: the class index", () => {
  it("is saved, read only when the classes are first needed, and names every node as computing does", async () => {
    const { cache } = await cached(files.sample, freshDir(), true);
    const look = await cache.lookup(files.sample);
    expect(look.kind).toBe("hit");
    if (look.kind !== "hit") return;
    const load = look.content.later.classes;
    expect(load).not.toBeNull();
    let calls = 0;
    const graph = new HeapGraph(look.content.raw);
    graph.useStoredIndexes({
      classes: () => {
        calls++;
        return load!();
      },
    });
    expect(calls).toBe(0);
    const fresh = new HeapGraph(await readSnapshotRaw(files.sample));
    expectSameArray(graph.classes().nodeClass, fresh.classes().nodeClass, "nodeClass");
    expect(calls).toBe(1);
    expect(graph.classes().extraNames).toEqual(fresh.classes().extraNames);
    expect(graph.interfaceDefinitions()).toEqual(fresh.interfaceDefinitions());
    expectSameArray(graph.classNameGroups(), fresh.classNameGroups(), "name groups");
    // The sample's classes split by script come back with their places.
    const limit = fresh.classIdLimit;
    const placed = Array.from({ length: limit }, (_, c) => fresh.classLocation(c)).filter((l) => l !== null);
    expect(placed.length).toBeGreaterThan(0);
    for (let c = 0; c < limit; c++) expect(graph.classLocation(c)).toEqual(fresh.classLocation(c));
    expect(calls).toBe(1);
    // Named by another snapshot's shapes and back: computed, then the snapshot's own again.
    graph.useInterfaceDefinitions([{ name: "{zz}", properties: ["zz"] }]);
    expect(graph.classParts()).toBeNull();
    graph.useInterfaceDefinitions(null);
    expectSameArray(graph.classes().nodeClass, fresh.classes().nodeClass, "nodeClass again");
    expect(calls).toBe(1);
  });

  it("an entry without a class index: the graph computes the classes, and the next write saves them", async () => {
    const dir = freshDir();
    await cached(files.sample, dir, false);
    const { graph, events, session } = await sessionLoad(dir, files.sample);
    expect(events.map((e) => e.kind)).toEqual(["used"]);
    await session.analysis(graph, true, {}, async () => {});
    graph.classes();
    await session.flush();
    expect(events.map((e) => e.kind)).toEqual(["used", "written"]);
    const look = await new SnapshotCache({ dir }).lookup(files.sample);
    expect(look.kind === "hit" && look.content.later.classes !== null).toBe(true);
    // Used again without anything new: not rewritten.
    const again = await sessionLoad(dir, files.sample);
    await again.session.analysis(again.graph, true, {}, async () => {});
    again.graph.classes();
    await again.session.flush();
    expect(again.events.map((e) => e.kind)).toEqual(["used"]);
  });

  it("a damaged class index: the rest of the entry is used, the classes are computed again (said so), and the entry rewritten", async () => {
    for (const section of ["classes.nodeClass", "classes.names"]) {
      const dir = freshDir();
      const { entry } = await cached(files.sample, dir, true);
      const buf = readFileSync(entry);
      buf[sectionAt(entry, section).at + 2]! ^= 0x20;
      writeFileSync(entry, buf);
      const { graph, events, session } = await sessionLoad(dir, files.sample);
      expect(
        events.map((e) => e.kind),
        section,
      ).toEqual(["used"]);
      const fresh = new HeapGraph(await readSnapshotRaw(files.sample));
      expectSameArray(graph.classes().nodeClass, fresh.classes().nodeClass, section);
      expect(graph.classes().extraNames).toEqual(fresh.classes().extraNames);
      const ignored = events[1];
      expect(ignored?.kind).toBe("ignored-part");
      if (ignored?.kind === "ignored-part") {
        expect(ignored.part).toBe("class index");
        expect(ignored.reason).toBe(`section ${section} is damaged (checksum of block 0)`);
      }
      await session.flush();
      expect(events.map((e) => e.kind)).toEqual(["used", "ignored-part", "written"]);
      const look = await new SnapshotCache({ dir }).lookup(files.sample);
      if (look.kind !== "hit") throw new Error("expected a hit");
      expectSameArray(look.content.later.classes!().nodeClass, fresh.classes().nodeClass, "rewritten");
    }
  });

  it("a stored class index carries its class name table: the one the graph makes, found by the name's hash", async () => {
    const { cache } = await cached(files.sample, freshDir(), true);
    const look = await cache.lookup(files.sample);
    if (look.kind !== "hit") throw new Error("expected a hit");
    const stored = look.content.later.classes!();
    const fresh = new HeapGraph(await readSnapshotRaw(files.sample));
    const S = fresh.strings.length;
    expectSameArray(
      stored.named!,
      namedClassTable(fresh.classes().nodeClass, S, (id) => fresh.strings.get(id)),
    );
    expect(stored.named!.length).toBeGreaterThan(20);
    const graph = new HeapGraph(look.content.raw);
    graph.useStoredIndexes({ classes: () => stored });
    for (const name of ["Object", "Array", "Map", "system / Context", "NoSuchClass"]) {
      const want = fresh.strings.indicesOf(name).filter((id) => fresh.classes().nodeClass.includes(id));
      expect(graph.classIdsOfName(name), name).toEqual(want);
    }
  });

  it("checksums that match do not make the class index trusted: every id and name is checked", async () => {
    const S = (c: EntryContent): number => c.raw.strings.length;
    const cases: [string, (c: EntryContent) => EntryContent, RegExp][] = [
      [
        "a node's class past the last",
        (c) => {
          const nodeClass = Uint32Array.from(c.classes!.nodeClass);
          nodeClass[7] = S(c) + c.classes!.extraNames.length;
          return { ...c, classes: { ...c.classes!, nodeClass } };
        },
        /node 7 has a class past the last/,
      ],
      [
        "a split class outside the extra names",
        (c) => ({ ...c, classes: { ...c.classes!, split: [{ id: 3, base: 0, location: { scriptId: 1, line: 2, column: 3 } }] } }),
        /split class names a class past the last/,
      ],
      [
        "a split class given twice",
        (c) => {
          const id = S(c);
          const one = { id, base: 0, location: { scriptId: 1, line: 2, column: 3 } };
          return { ...c, classes: { ...c.classes!, split: [one, one] } };
        },
        /split class is given twice/,
      ],
      [
        "a split class at a column below -2^31",
        (c) => ({
          ...c,
          classes: { ...c.classes!, split: [{ id: S(c), base: 0, location: { scriptId: 1, line: 0, column: -(2 ** 31) - 1 } }] },
        }),
        /split class is not valid/,
      ],
      [
        "an extra name that is not a string",
        (c) => ({ ...c, classes: { ...c.classes!, extraNames: [...c.classes!.extraNames, 42 as unknown as string] } }),
        /class names are not valid/,
      ],
      [
        "a class name table naming a class past the strings",
        (c) => ({ ...c, classes: { ...c.classes!, named: Uint32Array.of(7, S(c)) } }),
        /class name table is not valid/,
      ],
      [
        "a class name table out of order",
        (c) => ({ ...c, classes: { ...c.classes!, named: Uint32Array.of(9, 1, 5, 2) } }),
        /class name table is not valid/,
      ],
      [
        "a class name table with one class twice",
        (c) => ({ ...c, classes: { ...c.classes!, named: Uint32Array.of(5, 1, 5, 1) } }),
        /class name table is not valid/,
      ],
      [
        "a shape without its properties",
        (c) => ({ ...c, classes: { ...c.classes!, definitions: [{ name: "{a}" } as unknown as { name: string; properties: string[] }] } }),
        /plain-object shapes are not valid/,
      ],
    ];
    for (const [what, spoil, reason] of cases) {
      const cache = new SnapshotCache({ dir: freshDir() });
      const key = await missKey(cache, files.sample);
      const { content } = await analysed(files.sample, true);
      expect(cache.save(key, spoil(content)).kind, what).toBe("written");
      const look = await cache.lookup(files.sample);
      expect(look.kind, what).toBe("hit");
      if (look.kind !== "hit") continue;
      expect(() => look.content.later.classes!(), what).toThrow(CacheFormatError);
      expect(() => look.content.later.classes!(), what).toThrow(reason);
    }
  });

  it("a split class at a negative line and column (code compiled with a negative offset) comes back", async () => {
    const cache = new SnapshotCache({ dir: freshDir() });
    const key = await missKey(cache, files.sample);
    const { content } = await analysed(files.sample, true);
    const split = [{ id: content.raw.strings.length, base: 0, location: { scriptId: 236, line: -1, column: -196 } }];
    expect(cache.save(key, { ...content, classes: { ...content.classes!, split } }).kind).toBe("written");
    const look = await cache.lookup(files.sample);
    if (look.kind !== "hit") throw new Error("expected a hit");
    expect(look.content.later.classes!().split).toEqual(split);
  });

  it("an entry replaced after it was opened: what is read later comes from the file that was opened", async () => {
    const dir = freshDir();
    const { cache, entry } = await cached(files.sample, dir, true);
    const look = await cache.lookup(files.sample);
    if (look.kind !== "hit") throw new Error("expected a hit");
    // Another process renames another entry (here: of another snapshot) over this one.
    const other = await cached(files.a);
    const copy = entry + ".copy";
    copyFileSync(other.entry, copy);
    renameSync(copy, entry);
    const fresh = new HeapGraph(await readSnapshotRaw(files.sample));
    expectSameArray(look.content.later.classes!().nodeClass, fresh.classes().nodeClass);
    const graph = new HeapGraph(look.content.raw);
    expect(graph.nodeName(fresh.nodeCount - 1)).toBe(fresh.nodeName(fresh.nodeCount - 1));
    expectSameArray(graph.columns.edgeTo, fresh.columns.edgeTo);
  });

  it("a truncated class index: the rest of the entry is not even read", async () => {
    const { cache, entry } = await cached(files.sample, freshDir(), true);
    const full = readFileSync(entry);
    writeFileSync(entry, full.subarray(0, sectionAt(entry, "classes.names").at + 3));
    await expectMiss(cache, files.sample, /past the end|truncated/);
  });
});
