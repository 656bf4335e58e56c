/**
 * The distance tree in a cache entry (each node's tree edge, and its list bit: where the grouped
 * picture's list heads can begin), checked against the edges on a sample of nodes before the list
 * bits are used, so that values with matching checksums but not the snapshot's (a writer with a
 * bug, a foreign file) are not used; and the grouped walk, which keys on the edges themselves.
 * Every test has its own cache directory.
 */
import { copyFileSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS, type CacheKey } from "../../src/cache/store.js";
import type { EntryContent, ReadContent } from "../../src/cache/entry.js";
import { treeSampleRuns, TREE_SAMPLE_RUN_NODES } from "../../src/cache/tree-sample.js";
import { CacheDamagedError } from "../../src/errors.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { manyNodesSnapshot } from "../helpers/many-nodes.js";
import { groupRetainingPaths } from "../../src/query/group.js";
import { walkContext } from "../../src/query/backrefs.js";
import { selectNodes } from "../../src/query/select.js";
import { resealEntry, sampledNodes } from "../helpers/cache-entries.js";
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

/** A generated snapshot of this many nodes: the sample's runs lie far apart. */
const BIG_NODES = 270_000;

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

/** The entry of `file`, begun and finished as a command on a miss writes it (every section in the background). */
async function written(file: string, content: EntryContent): Promise<string> {
  const cache = new SnapshotCache({ dir: freshDir(), parallel: true });
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

/** The list bits of an entry, as the grouped picture takes them (after the sample's check). */
const listBitsOf = (c: ReadContent): Uint8Array => c.analysis!.treeList;

const bytes = (v: ArrayBufferView): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Node n's list bit in `list`. */
const bitOf = (list: Uint8Array, n: number): number => (list[n >>> 3]! >>> (n & 7)) & 1;

describe("the distance tree is checked against the edges before its list bits are used", () => {
  it("entries of real and generated snapshots pass, and give back the list bits the distances set", async () => {
    for (const file of Object.values(files)) {
      const { content } = await analysed(file);
      const c = await hit(file, await written(file, content));
      expect(bytes(listBitsOf(c)).equals(bytes(content.analysis!.treeList)), file).toBe(true);
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
    const { content } = await analysed(files.big);
    const a = content.analysis!;
    const N = a.parentEdge.length;
    const nodes = sampledNodes(N);
    const withTree = nodes.filter((n) => a.parentEdge[n] !== 0);
    const listHead = nodes.find((n) => bitOf(a.treeList, n) === 1)!;
    const notListHead = withTree.find((n) => bitOf(a.treeList, n) === 0)!;
    for (const n of [listHead, notListHead]) expect(n).toBeGreaterThanOrEqual(0);
    const cases: [string, (s: { list: Uint8Array; parentEdge: Uint32Array }) => void, RegExp][] = [
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
        "list bits a byte off (every byte moved to the next node's)",
        (s) => s.list.copyWithin(1, 0, s.list.length - 1),
        /node \d+ is (not )?marked as a possible list head but is (one|none)/,
      ],
      ["the root marked as a list head", (s) => (s.list[0]! |= 1), /node 0 is marked as a possible list head but has no tree edge/],
    ];
    for (const [what, spoil, reason] of cases) {
      const entry = await written(files.big, content);
      resealEntry(entry, (sections) => {
        spoil({
          list: sections.get("analysis.treeList") as Uint8Array,
          parentEdge: sections.get("analysis.parentEdge") as Uint32Array,
        });
      });
      const c = await hit(files.big, entry);
      expect(() => listBitsOf(c), what).toThrow(CacheDamagedError);
      expect(() => listBitsOf(c), what).toThrow(reason);
      expect(() => listBitsOf(c), what).toThrow(/the stored distance tree does not match the edges: /);
      expectRemoved(entry, what);
    }
  });

  it("the same values resealed unchanged pass (the test's resealing changes nothing else)", async () => {
    const { content } = await analysed(files.big);
    const entry = await written(files.big, content);
    resealEntry(entry, () => {});
    const c = await hit(files.big, entry);
    expect(() => listBitsOf(c)).not.toThrow();
  });
});

describe("the grouped walk keys on the edges themselves", () => {
  /** The grouped report of a class (OrderService unless told) from an entry of the grouped-leak sample. */
  const reportFrom = (c: ReadContent, type = "OrderService"): unknown => {
    const graph = new HeapGraph(c.raw);
    return reportOf(graph, walkContext(graph, { retained: false, analysis: HeapAnalysis.fromParts(graph, c.analysis!) }), type);
  };
  /** The grouped report of a class, made with `ctx` (its own analysis, or one read from an entry). */
  const reportOf = (graph: HeapGraph, ctx: ReturnType<typeof walkContext>, type: string): unknown =>
    groupRetainingPaths(graph, ctx, selectNodes(graph, { types: [type] }).ordinals).report();

  it("an entry gives the report made without it; list bits wrongly set outside the sample, checksums made to match, change nothing (the walk reads such a node's edges)", async () => {
    const file = files.grouped;
    const { content, graph: fresh } = await analysed(file);
    const a = content.analysis!;
    const expected = reportOf(fresh, walkContext(fresh, { retained: false }), "OrderService");
    expect(reportFrom(await hit(file, await written(file, content)))).toEqual(expected);
    // Every node outside the sample's runs marked as a possible list head.
    const sampled = new Set(sampledNodes(a.parentEdge.length));
    const entry = await written(file, content);
    let set = 0;
    resealEntry(entry, (sections) => {
      const list = sections.get("analysis.treeList") as Uint8Array;
      for (let n = 0; n < a.parentEdge.length; n++) {
        if (sampled.has(n) || bitOf(list, n) === 1) continue;
        list[n >>> 3]! |= 1 << (n & 7);
        set++;
      }
    });
    expect(set).toBeGreaterThan(1000);
    const c = await hit(file, entry);
    expect(() => listBitsOf(c)).not.toThrow();
    expect(reportFrom(c)).toEqual(expected);
  });

  it("list bits wrongly clear outside the sample, all of them or one, checksums made to match: the sample passes them, the grouped walk finds the first one it relies on, and the entry is removed", async () => {
    const file = files.grouped;
    const { content, graph: fresh } = await analysed(file);
    const a = content.analysis!;
    const expected = reportOf(fresh, walkContext(fresh, { retained: false }), "Timeout");
    // Every list bit outside the sample's runs cleared (a writer that lost them).
    const sampled = new Set(sampledNodes(a.parentEdge.length));
    const cleared: number[] = [];
    const entry = await written(file, content);
    resealEntry(entry, (sections) => {
      const list = sections.get("analysis.treeList") as Uint8Array;
      for (let n = 0; n < a.parentEdge.length; n++) {
        if (sampled.has(n) || bitOf(list, n) === 0) continue;
        list[n >>> 3]! &= ~(1 << (n & 7));
        cleared.push(n);
      }
    });
    expect(cleared.length).toBeGreaterThan(0);
    const c = await hit(file, entry);
    expect(() => listBitsOf(c)).not.toThrow();
    const graph = new HeapGraph(c.raw);
    const ctx = walkContext(graph, { retained: false, analysis: HeapAnalysis.fromParts(graph, c.analysis!) });
    const group = (): unknown => groupRetainingPaths(graph, ctx, selectNodes(graph, { types: ["Timeout"] }).ordinals);
    expect(group).toThrow(CacheDamagedError);
    const found = /the stored distance tree does not match the edges: node (\d+) is not marked as a possible list head but is one/.exec(
      (() => {
        try {
          group();
        } catch (e) {
          return (e as Error).message;
        }
        return "";
      })(),
    );
    expect(found).not.toBeNull();
    const head = Number(found![1]);
    expect(cleared).toContain(head);
    expectRemoved(entry, "list bits cleared");
    // That one bit alone cleared: found the same way.
    const one = await written(file, content);
    resealEntry(one, (sections) => ((sections.get("analysis.treeList") as Uint8Array)[head >>> 3]! &= ~(1 << (head & 7))));
    const c1 = await hit(file, one);
    expect(() => listBitsOf(c1)).not.toThrow();
    expect(() => reportFrom(c1, "Timeout")).toThrow(
      new RegExp(`the stored distance tree does not match the edges: node ${head} is not marked as a possible list head but is one`),
    );
    expectRemoved(one, "one list bit cleared");
    // A good entry gives the report made without it.
    expect(reportFrom(await hit(file, await written(file, content)), "Timeout")).toEqual(expected);
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
