/**
 * The distance tree's edges by node in a cache entry (each node's tree-edge name and type, and its
 * list bit): written a piece at a time when an entry is completed, and checked against the edges
 * on a sample of nodes before they are used, so that values with matching checksums but not the
 * snapshot's (a writer with a bug, a foreign file) are never used. Every test has its own cache
 * directory.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS, type CacheKey } from "../../src/cache/store.js";
import { FILL_PIECE_BLOCKS, type EntryContent, type ReadContent } from "../../src/cache/entry.js";
import { BLOCK } from "../../src/cache/lazy.js";
import { CacheDamagedError } from "../../src/errors.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { manyNodesSnapshot } from "../helpers/many-nodes.js";
import { sectionIn } from "../helpers/cache-entries.js";

const ROOT = resolve(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "backrefs-tree-edges-"));
let dirCount = 0;
const freshDir = (): string => join(work, `cache-${dirCount++}`);

/** More nodes than one piece of tree-edge names holds at the default piece size. */
const BIG_NODES = 270_000;
const PIECE_NAMES = (FILL_PIECE_BLOCKS * BLOCK) / 4;

const files = {
  big: join(work, "many.heapsnapshot"),
  leak: join(work, "leak.heapsnapshot.gz"),
  grouped: join(work, "grouped-leak.heapsnapshot.gz"),
  dom: join(work, "detached-dom.heapsnapshot.gz"),
};

interface Analysed {
  content: EntryContent;
  graph: HeapGraph;
}
const analysedOnce = new Map<string, Analysed>();

beforeAll(async () => {
  writeFileSync(files.big, manyNodesSnapshot(BIG_NODES));
  copyFileSync(join(ROOT, "samples/leak.heapsnapshot.gz"), files.leak);
  copyFileSync(join(ROOT, "samples/grouped-leak.heapsnapshot.gz"), files.grouped);
  copyFileSync(join(ROOT, "samples/detached-dom.heapsnapshot.gz"), files.dom);
  const old = Math.floor(Date.now() / 1000) - 3600;
  for (const f of Object.values(files)) utimesSync(f, old, old);
  // Entries are only written for files whose last change is RACY_MS old (see store.ts).
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

/** Reads and analyses a file the long way, as a command does on a miss (once per file: nothing here changes it). */
async function analysed(file: string): Promise<Analysed> {
  let a = analysedOnce.get(file);
  if (!a) {
    const raw = await readSnapshotRaw(file);
    const graph = new HeapGraph(raw);
    const analysis = new HeapAnalysis(graph);
    await analysis.prepare({ retained: false });
    a = { content: { raw, analysis: analysis.savedParts() }, graph };
    analysedOnce.set(file, a);
  }
  return a;
}

async function missKey(cache: SnapshotCache, file: string): Promise<CacheKey> {
  const look = await cache.lookup(file);
  if (look.kind !== "miss") throw new Error(`expected a miss, got ${look.kind}`);
  return look.key;
}

/** The entry of `file`, begun and finished as a command on a miss writes it (its tree edges a piece at a time). */
async function written(file: string, content: EntryContent, options: { pieceBlocks?: number; dir?: string } = {}): Promise<string> {
  const cache = new SnapshotCache({ dir: options.dir ?? freshDir(), ...(options.pieceBlocks ? { pieceBlocks: options.pieceBlocks } : {}) });
  const pending = cache.begin(await missKey(cache, file), content.raw);
  if ("kind" in pending) throw new Error(pending.reason);
  const r = await pending.finish(content);
  if (r.kind !== "written") throw new Error(r.reason);
  return r.entry;
}

async function hit(file: string, entry: string): Promise<ReadContent> {
  const look = await new SnapshotCache({ dir: join(entry, "..") }).lookup(file);
  if (look.kind !== "hit") throw new Error(`expected a hit, got ${look.kind}`);
  return look.content;
}

/** The tree edges by node of an entry, as the grouped picture takes them. */
function treeEdgesOf(c: ReadContent): { treeName: Uint32Array; treeType: Uint8Array; treeList: Uint8Array } {
  const a = c.analysis!;
  return { treeName: a.treeName!, treeType: a.treeType!, treeList: a.treeList };
}

/** The names and types of the tree edges by node, made from the edges of a fresh read. */
function expectedTreeEdges(c: EntryContent): { names: Uint32Array; types: Uint8Array } {
  const a = c.analysis!;
  const N = a.parentEdge.length;
  const names = new Uint32Array(N);
  const types = new Uint8Array(N);
  const { name, type } = c.raw.edges;
  for (let n = 0; n < N; n++) {
    const pe = a.parentEdge[n]!;
    names[n] = pe === 0 ? 0 : name[pe - 1]!;
    types[n] = pe === 0 ? 0 : type[pe - 1]!;
  }
  return { names, types };
}

const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** The bytes of every section of an entry file, and of its block table (what follows the last section). */
function sectionBytes(entry: string): Map<string, Buffer> {
  const buf = readFileSync(entry);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as { sections: { name: string }[] };
  const out = new Map<string, Buffer>();
  let end = 0;
  for (const s of header.sections) {
    const { at, length, width } = sectionIn(entry, s.name);
    out.set(s.name, buf.subarray(at, at + length * width));
    end = at + length * width;
  }
  out.set("(block table)", buf.subarray((end + 7) & ~7));
  return out;
}

describe("the tree edges by node, written a piece at a time", () => {
  it("a snapshot of more than one piece: the entry holds the edges' names and types by node, the same bytes as an entry written at once", async () => {
    const { content } = await analysed(files.big);
    const N = content.raw.meta.nodeCount;
    expect(N).toBeGreaterThan(PIECE_NAMES);
    const expected = expectedTreeEdges(content);
    // Written at once (the arrays made whole), for comparison.
    const cache = new SnapshotCache({ dir: freshDir() });
    const once = cache.save(await missKey(cache, files.big), content);
    if (once.kind !== "written") throw new Error(once.reason);
    const reference = sectionBytes(once.entry);
    // The default piece, one block (many pieces of names and of types), and three (a last piece cut short).
    for (const pieceBlocks of [undefined, 1, 3]) {
      const what = `pieces of ${pieceBlocks ?? FILL_PIECE_BLOCKS} blocks`;
      const entry = await written(files.big, content, pieceBlocks ? { pieceBlocks } : {});
      const got = sectionBytes(entry);
      expect([...got.keys()], what).toEqual([...reference.keys()]);
      for (const [name, b] of reference) expect(got.get(name)!.equals(b), `${what}: ${name}`).toBe(true);
      const back = treeEdgesOf(await hit(files.big, entry));
      expect(bytes(back.treeName).equals(bytes(expected.names)), what).toBe(true);
      expect(bytes(back.treeType).equals(bytes(expected.types)), what).toBe(true);
      expect(bytes(back.treeList).equals(bytes(content.analysis!.treeList)), what).toBe(true);
    }
  });

  it("a piece damaged after it was written is found when it is read: a flipped byte, a piece never written, a file cut inside a piece", async () => {
    const { content } = await analysed(files.big);
    const entry = await written(files.big, content, { pieceBlocks: 1 });
    const good = readFileSync(entry);
    const names = sectionIn(entry, "analysis.treeName");
    const types = sectionIn(entry, "analysis.treeType");
    const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
      [
        "a flipped byte in the sixth piece of names",
        (b) => {
          b[names.at + 5 * BLOCK + 17]! ^= 0x08;
          return b;
        },
        /section analysis\.treeName is damaged \(checksum of block 5\)/,
      ],
      [
        "the third piece of types never written (zeros)",
        (b) => b.fill(0, types.at + 2 * BLOCK, types.at + 3 * BLOCK),
        /section analysis\.treeType is damaged \(checksum of block 2\)/,
      ],
    ];
    for (const [what, spoil, reason] of cases) {
      writeFileSync(entry, spoil(Buffer.from(good)));
      const c = await hit(files.big, entry);
      expect(() => treeEdgesOf(c), what).toThrow(CacheDamagedError);
      expect(() => treeEdgesOf(c), what).toThrow(reason);
      // Removed, so that the next command reads the snapshot and writes a good entry.
      expect(
        readdirSync(join(entry, "..")).filter((n) => n.endsWith(".brc")),
        what,
      ).toEqual([]);
    }
    // Cut inside a piece: the layout says the file is too short, and the entry is not used.
    writeFileSync(entry, good);
    truncateSync(entry, names.at + 3 * BLOCK + 100);
    const look = await new SnapshotCache({ dir: join(entry, "..") }).lookup(files.big);
    expect(look.kind).toBe("miss");
    if (look.kind === "miss") expect(look.reason).toMatch(/truncated|past the end/);
  });
});
