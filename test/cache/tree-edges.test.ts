/**
 * The distance tree's edges by node in a cache entry (each node's tree-edge name and type, and its
 * list bit): written a piece at a time when an entry is completed, and checked against the edges
 * on a sample of nodes before they are used, so that values with matching checksums but not the
 * snapshot's (a writer with a bug, a foreign file) are never used. Every test has its own cache
 * directory.
 */
import { copyFileSync, readFileSync, readdirSync, truncateSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS, type CacheKey } from "../../src/cache/store.js";
import { FILL_PIECE_BLOCKS, type EntryContent, type ReadContent } from "../../src/cache/entry.js";
import { BLOCK } from "../../src/cache/lazy.js";
import { treeSampleRuns, TREE_SAMPLE_RUN_NODES } from "../../src/cache/tree-sample.js";
import { CacheDamagedError } from "../../src/errors.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis, type AnalysisParts } from "../../src/graph/analysis.js";
import { manyNodesSnapshot } from "../helpers/many-nodes.js";
import { groupRetainingPaths } from "../../src/query/group.js";
import { walkContext } from "../../src/query/backrefs.js";
import { selectNodes } from "../../src/query/select.js";
import { resealEntry, sampledChildren, sampledNodes, sectionIn } from "../helpers/cache-entries.js";
import { tempDir } from "../helpers/temp-dir.js";

const ROOT = resolve(import.meta.dirname, "../..");
// The generated snapshot and its entries take 50 to 140 MB: removed after the tests (temp-dir.ts).
const work = tempDir("backrefs-tree-edges-");
let dirCount = 0;
const freshDir = (): string => join(work, `cache-${dirCount++}`);

/** No entry is left in the folder of `entry` (a damaged one is removed when found). */
const expectRemoved = (entry: string, what: string): void =>
  expect(
    readdirSync(join(entry, "..")).filter((n) => n.endsWith(".brc")),
    what,
  ).toEqual([]);

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

/**
 * The entry of `file`, begun and finished as a command on a miss writes it (its tree edges a piece
 * at a time). `ahead`: with every section in the background, as a big snapshot's, and that many
 * pieces of the tree edges written ahead of the finish, in `aheadCalls` calls of `fillAhead`
 * (each told to stop after its share), as a command does while the helper thread is busy.
 */
async function written(
  file: string,
  content: EntryContent,
  options: { pieceBlocks?: number; dir?: string; ahead?: number; aheadCalls?: number } = {},
): Promise<string> {
  const cache = new SnapshotCache({
    dir: options.dir ?? freshDir(),
    ...(options.pieceBlocks ? { pieceBlocks: options.pieceBlocks } : {}),
    ...(options.ahead !== undefined ? { parallel: true } : {}),
  });
  const pending = cache.begin(await missKey(cache, file), content.raw);
  if ("kind" in pending) throw new Error(pending.reason);
  if (options.ahead !== undefined) {
    const calls = options.aheadCalls ?? 1;
    for (let c = 0; c < calls; c++) {
      let left = Math.ceil(options.ahead / calls);
      pending.fillAhead(content, () => left-- > 0);
    }
  }
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

  it("written partly or wholly ahead of the finish, in one call or several: the same bytes as an entry written at once", async () => {
    const { content } = await analysed(files.big);
    const N = content.raw.meta.nodeCount;
    const cache = new SnapshotCache({ dir: freshDir() });
    const once = cache.save(await missKey(cache, files.big), content);
    if (once.kind !== "written") throw new Error(once.reason);
    const reference = sectionBytes(once.entry);
    // Pieces of one block: the types take ceil(N / 65,536) pieces, the names four times as many.
    const typePieces = Math.ceil(N / BLOCK);
    const all = typePieces + Math.ceil((4 * N) / BLOCK);
    const cases = [
      { ahead: 0, aheadCalls: 1 },
      { ahead: 1, aheadCalls: 1 },
      // Stopped inside the names, then on again from there.
      { ahead: typePieces + 2, aheadCalls: 2 },
      { ahead: all, aheadCalls: 3 },
      // Asked for more than there is: nothing is written twice or past the section.
      { ahead: all + 5, aheadCalls: 1 },
    ];
    for (const c of cases) {
      const what = `${c.ahead} of ${all} pieces ahead in ${c.aheadCalls} call(s)`;
      // Every node's tree edge is made once for each of the two sections: what was written ahead
      // is not made again.
      const made = { names: 0, types: 0 };
      const fill = content.analysis!.fillTreeEdges!;
      const counting: EntryContent = {
        ...content,
        analysis: {
          ...content.analysis!,
          fillTreeEdges: (from, to, names, types) => {
            if (names) made.names += to - from;
            if (types) made.types += to - from;
            fill(from, to, names, types);
          },
        },
      };
      const entry = await written(files.big, counting, { pieceBlocks: 1, ...c });
      expect(made, what).toEqual({ names: N, types: N });
      const got = sectionBytes(entry);
      expect([...got.keys()], what).toEqual([...reference.keys()]);
      for (const [name, b] of reference) expect(got.get(name)!.equals(b), `${what}: ${name}`).toBe(true);
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
      expectRemoved(entry, what);
    }
    // Cut inside a piece: the layout says the file is too short, and the entry is not used.
    writeFileSync(entry, good);
    truncateSync(entry, names.at + 3 * BLOCK + 100);
    const look = await new SnapshotCache({ dir: join(entry, "..") }).lookup(files.big);
    expect(look.kind).toBe("miss");
    if (look.kind === "miss") expect(look.reason).toMatch(/truncated|past the end/);
  });

  it("pieces made from the wrong nodes, with checksums that match, are found before they are used", async () => {
    const { content } = await analysed(files.big);
    const a = content.analysis!;
    const fill = a.fillTreeEdges!;
    // A writer that forgets where each piece starts: every piece holds the first nodes' values.
    const wrong: AnalysisParts = { ...a, fillTreeEdges: (from, to, names, types) => fill(0, to - from, names, types) };
    const entry = await written(files.big, { raw: content.raw, analysis: wrong });
    const c = await hit(files.big, entry);
    expect(() => treeEdgesOf(c)).toThrow(CacheDamagedError);
    expect(() => treeEdgesOf(c)).toThrow(
      /the tree edges stored by node do not match the edges: node \d+'s tree edge has another name or type/,
    );
    expectRemoved(entry, "a writer that fills every piece from node 0");
  });
});

/** Node n's list bit in `list`. */
const bitOf = (list: Uint8Array, n: number): number => (list[n >>> 3]! >>> (n & 7)) & 1;

describe("the tree edges by node are checked against the edges before they are used", () => {
  it("entries of real and generated snapshots pass", async () => {
    for (const file of Object.values(files)) {
      const { content } = await analysed(file);
      const c = await hit(file, await written(file, content));
      const back = treeEdgesOf(c);
      const expected = expectedTreeEdges(content);
      expect(bytes(back.treeName).equals(bytes(expected.names)), file).toBe(true);
      expect(bytes(back.treeType).equals(bytes(expected.types)), file).toBe(true);
    }
  });

  it("the sample covers both ends of the node range and a run of every part between", () => {
    expect(treeSampleRuns(0)).toEqual([]);
    expect(treeSampleRuns(5)).toEqual([0]);
    for (const N of [17, 300, 42_179, 8_000_000]) {
      const runs = treeSampleRuns(N);
      expect(runs[0]).toBe(0);
      expect(runs[runs.length - 1]! + Math.min(N, TREE_SAMPLE_RUN_NODES)).toBe(N);
      for (let r = 1; r < runs.length; r++) expect(runs[r]!).toBeGreaterThan(runs[r - 1]!);
    }
  });

  it("values with checksums that match but not the snapshot's: the entry is damaged, said why, and removed", async () => {
    const { content, graph } = await analysed(files.big);
    const a = content.analysis!;
    const N = a.parentEdge.length;
    const { names, types } = expectedTreeEdges(content);
    const codes = graph.edgeTypeCodes;
    const nodes = sampledNodes(N);
    const withTree = nodes.filter((n) => a.parentEdge[n] !== 0);
    const property = sampledChildren(a.parentEdge, content.raw.nodes.firstEdge, content.raw.edges.to).find(
      (n) => types[n] === codes.property,
    )!;
    const listHead = nodes.find((n) => bitOf(a.treeList, n) === 1)!;
    const notListHead = withTree.find((n) => bitOf(a.treeList, n) === 0)!;
    for (const n of [property, listHead, notListHead]) expect(n).toBeGreaterThanOrEqual(0);
    const cases: [string, (s: { names: Uint32Array; types: Uint8Array; list: Uint8Array; parentEdge: Uint32Array }) => void, RegExp][] = [
      [
        "a tree edge's name",
        (s) => (s.names[property] = names[property] === 1 ? 2 : 1),
        /node \d+'s tree edge has another name or type by node/,
      ],
      ["a tree edge's type", (s) => (s.types[property] = codes.internal), /node \d+'s tree edge has another name or type by node/],
      [
        "a list head not marked",
        (s) => (s.list[listHead >>> 3]! &= ~(1 << (listHead & 7))),
        new RegExp(`node ${listHead} is not marked as a possible list head but is one`),
      ],
      [
        "a node marked that heads no list",
        (s) => (s.list[notListHead >>> 3]! |= 1 << (notListHead & 7)),
        new RegExp(`node ${notListHead} is marked as a possible list head but is none`),
      ],
      [
        "tree edges that point at other nodes",
        (s) => {
          // Every node of the sample with a tree edge: the edge from the root to (GC roots) instead.
          for (const n of withTree) if (n !== 1) s.parentEdge[n] = 1;
        },
        /node \d+'s tree edge 0 points at another node/,
      ],
      [
        "a tree edge by node for the root, which has none",
        (s) => (s.types[0] = codes.property),
        /node 0 has a tree edge by node but none in the tree/,
      ],
      ["the root marked as a list head", (s) => (s.list[0]! |= 1), /node 0 is marked as a possible list head but has no tree edge/],
    ];
    for (const [what, spoil, reason] of cases) {
      const entry = await written(files.big, content);
      resealEntry(entry, (sections) => {
        spoil({
          names: sections.get("analysis.treeName") as Uint32Array,
          types: sections.get("analysis.treeType") as Uint8Array,
          list: sections.get("analysis.treeList") as Uint8Array,
          parentEdge: sections.get("analysis.parentEdge") as Uint32Array,
        });
      });
      const c = await hit(files.big, entry);
      expect(() => treeEdgesOf(c), what).toThrow(CacheDamagedError);
      expect(() => treeEdgesOf(c), what).toThrow(reason);
      expectRemoved(entry, what);
    }
  });

  it("the same values resealed unchanged pass (the test's resealing changes nothing else)", async () => {
    const { content } = await analysed(files.big);
    const entry = await written(files.big, content);
    resealEntry(entry, () => {});
    const c = await hit(files.big, entry);
    expect(() => treeEdgesOf(c)).not.toThrow();
  });
});

describe("the tree edge by node of each node the grouped picture keys on is checked against the edge", () => {
  it("one node's tree edge type changed outside the sample, checksums made to match: the sample passes it, the grouped walk finds it, and the entry is removed", async () => {
    const file = files.grouped;
    const { content, graph: fresh } = await analysed(file);
    const a = content.analysis!;
    const { types } = expectedTreeEdges(content);
    const codes = fresh.edgeTypeCodes;
    const expected = groupRetainingPaths(
      fresh,
      walkContext(fresh, { retained: false }),
      selectNodes(fresh, { types: ["OrderService"] }).ordinals,
    ).report();
    // A target whose tree edge is a named one (property or internal) that the sample does not look at.
    const seen = new Set([
      ...sampledNodes(a.parentEdge.length),
      ...sampledChildren(a.parentEdge, content.raw.nodes.firstEdge, content.raw.edges.to),
    ]);
    const targets = selectNodes(fresh, { types: ["OrderService"] }).ordinals;
    const damaged = targets.find((t) => !seen.has(t) && (types[t] === codes.property || types[t] === codes.internal))!;
    expect(damaged).toBeGreaterThanOrEqual(0);
    const entry = await written(file, content);
    resealEntry(entry, (sections) => {
      const stored = sections.get("analysis.treeType") as Uint8Array;
      stored[damaged] = stored[damaged] === codes.property ? codes.internal : codes.property;
    });
    const c = await hit(file, entry);
    // The sample does not reach it.
    expect(() => treeEdgesOf(c)).not.toThrow();
    const graph = new HeapGraph(c.raw);
    const ctx = walkContext(graph, { retained: false, analysis: HeapAnalysis.fromParts(graph, c.analysis!) });
    const group = (): unknown => groupRetainingPaths(graph, ctx, selectNodes(graph, { types: ["OrderService"] }).ordinals);
    expect(group).toThrow(CacheDamagedError);
    expect(group).toThrow(
      new RegExp(`the tree edges stored by node do not match the edges: node ${damaged}'s tree edge has another name or type by node`),
    );
    expectRemoved(entry, "one tree edge by node changed");
    // The same entry unchanged gives the picture made without it.
    const good = await hit(file, await written(file, content));
    const g2 = new HeapGraph(good.raw);
    const ctx2 = walkContext(g2, { retained: false, analysis: HeapAnalysis.fromParts(g2, good.analysis!) });
    expect(groupRetainingPaths(g2, ctx2, selectNodes(g2, { types: ["OrderService"] }).ordinals).report()).toEqual(expected);
  });
});

describe("the user-root marks are checked against the root's edges before they are used", () => {
  it("entries of real and generated snapshots pass, whole and one mark at a time", async () => {
    for (const file of Object.values(files)) {
      const { content } = await analysed(file);
      const N = content.raw.meta.nodeCount;
      const one = (await hit(file, await written(file, content))).analysis!;
      for (let n = 0; n < Math.min(N, 50); n++) expect(one.at!.userRoot(n), file).toBe(content.analysis!.userRoots[n]);
      const whole = (await hit(file, await written(file, content))).analysis!;
      expect(bytes(whole.userRoots).equals(bytes(content.analysis!.userRoots)), file).toBe(true);
    }
  });

  it("marks with checksums that match but not the root's: the entry is damaged, said why, and removed", async () => {
    const { content, graph } = await analysed(files.big);
    const marks = content.analysis!.userRoots;
    const user = marks.indexOf(1);
    expect(graph.nodeName(user)).toBe("Global");
    // (GC roots): held by the root, but synthetic.
    const notUser = 1;
    expect(marks[notUser]).toBe(0);
    const cases: [string, (m: Uint8Array) => void, number, RegExp][] = [
      ["a node marked that is no user root", (m) => (m[notUser] = 1), notUser, new RegExp(`: node ${notUser}\\)`)],
      ["a user root not marked", (m) => (m[user] = 0), user, /a user root the root holds, unmarked/],
      ["a mark of another value", (m) => (m[user] = 2), user, new RegExp(`: node ${user}\\)`)],
    ];
    for (const [what, spoil, n, wholeReason] of cases) {
      for (const how of ["whole", "one"] as const) {
        const entry = await written(files.big, content);
        resealEntry(entry, (sections) => spoil(sections.get("analysis.userRoots") as Uint8Array));
        const a = (await hit(files.big, entry)).analysis!;
        const take = how === "whole" ? () => a.userRoots : () => a.at!.userRoot(n);
        expect(take, `${what}, ${how}`).toThrow(CacheDamagedError);
        expect(take, `${what}, ${how}`).toThrow(
          how === "whole" ? wholeReason : new RegExp(`the user-root marks do not match the root's edges: node ${n}\\)`),
        );
        expectRemoved(entry, what);
      }
    }
  });
});
