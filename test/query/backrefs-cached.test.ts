/**
 * The per-object picture on a graph read back from a real cache entry, where the analysis' arrays
 * are read a block at a time: choosing the targets by the retained sizes of the matches alone when
 * they lie in few blocks (all of them when they are spread), and the walk past an object held by
 * thousands (whose edge names are read ahead) — the same targets and the same picture as on the
 * computed graph, and as a plain sort of every match — and the shortest-path tree and user-root
 * marks read only where the walk climbs.
 */
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { RACY_MS, SnapshotCache } from "../../src/cache/store.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import {
  chooseTargets,
  chooseTargetsReadsAllSizes,
  defaultBackrefsOptions,
  retainerSubgraph,
  walkContext,
  walkReadAhead,
} from "../../src/query/backrefs.js";
import { openSnapshot } from "../../src/api/snapshot.js";
import type { ReadAheadPart } from "../../src/snapshot/columns.js";
import { selectNodes } from "../../src/query/select.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { sumCounts, walk, withGlobal } from "../helpers/subgraphs.js";
import type { Subgraph } from "../../src/query/types.js";
import { tempDir } from "../helpers/temp-dir.js";
import { recordBlocksRead } from "../helpers/cache-entries.js";

const dir = tempDir("backrefs-cached-walk-");
const file = join(dir, "t.heapsnapshot");
let computed: HeapAnalysis;

/**
 *   global ─.shared→ Shared ─.bucket→ Bucket ─[i]→ Leak ×600 (made one after another)
 *   Filler ×150,000 ─.shared→ Shared (every 500th a Spread instead)
 * Leak objects lie in one or two blocks of 8,192 nodes; Spread objects in every block.
 */
function heap(): string {
  const { b, global } = withGlobal();
  const shared = b.node("object", "Shared");
  const bucket = b.node("object", "Bucket");
  b.edge(global, shared, "property", "shared").edge(shared, bucket, "property", "bucket");
  let x = 7;
  const next = (m: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % m;
  };
  for (let i = 0; i < 150_000; i++) {
    if (i === 70_000) {
      for (let k = 0; k < 600; k++) {
        const leak = b.node("object", "Leak", { selfSize: 16 + next(40) });
        b.edge(bucket, leak, "element", k);
        // Some hold more than themselves: retained sizes differ, with ties.
        if (k % 7 === 0) b.edge(leak, b.node("array", "", { selfSize: 8 * next(30) }), "internal", "elements");
      }
    }
    const filler = b.node("object", i % 500 === 0 ? "Spread" : "Filler", { selfSize: 8 + next(20) });
    b.edge(filler, shared, "property", i % 3 === 0 ? "owner" : "shared");
    if (i % 500 === 0) b.edge(global, filler, "property", `s${i}`);
  }
  return b.serialize();
}

beforeAll(async () => {
  writeFileSync(file, heap());
  const old = Math.floor(Date.now() / 1000) - 3600;
  utimesSync(file, old, old);
  const waited = new Promise((r) => setTimeout(r, RACY_MS + 200));
  const raw = await readSnapshotRaw(file);
  computed = new HeapAnalysis(new HeapGraph(raw));
  await computed.prepare({ retained: true });
  await waited;
  const cache = new SnapshotCache({ dir: join(dir, "cache") });
  const miss = await cache.lookup(file);
  if (miss.kind !== "miss") throw new Error(miss.kind);
  if (cache.save(miss.key, { raw, analysis: computed.savedParts() }).kind !== "written") throw new Error("not written");
}, 60_000);

/** The graph and analysis read back from the entry (`parallel`: with the read-ahead thread or never). */
async function fromEntry(parallel: boolean): Promise<HeapAnalysis> {
  const hit = await new SnapshotCache({ dir: join(dir, "cache"), parallel }).lookup(file);
  if (hit.kind !== "hit") throw new Error(hit.kind);
  return HeapAnalysis.fromParts(new HeapGraph(hit.content.raw), hit.content.analysis!);
}

/** The first `max` matches by retained size (largest first), then id (newest first): every match sorted. */
function plainChoice(a: HeapAnalysis, ordinals: number[], max: number): number[] {
  const sizes = a.retainedSizes();
  return [...ordinals].sort((p, q) => sizes[q]! - sizes[p]! || a.graph.nodeId(q) - a.graph.nodeId(p)).slice(0, max);
}

describe("the per-object picture on a graph read back from the cache", () => {
  it("chooses the same targets as a plain sort, reading the retained sizes of clustered matches only", async () => {
    const read = await fromEntry(false);
    const g = read.graph;
    const leaks = selectNodes(g, { types: ["Leak"] }).ordinals;
    const spread = selectNodes(g, { types: ["Spread"] }).ordinals;
    expect(leaks).toHaveLength(600);
    expect(chooseTargetsReadsAllSizes(g, leaks)).toBe(false);
    expect(chooseTargetsReadsAllSizes(g, spread)).toBe(true);
    const { read: blocksRead, spy } = recordBlocksRead();
    try {
      const ctx = walkContext(g, { analysis: read });
      for (const max of [1, 10, 64, 65, 600]) {
        expect(chooseTargets(g, ctx, leaks, max).drawn, `max ${max}`).toEqual(plainChoice(computed, leaks, max));
      }
      // Only the blocks of the matches' sizes: 600 neighbours lie in at most two of the 19.
      const total = Math.ceil(g.nodeCount / 8192);
      expect(total).toBeGreaterThan(16);
      expect(new Set(blocksRead.get("analysis.retained")).size).toBeLessThanOrEqual(2);
      expect(chooseTargets(g, ctx, spread, 10).drawn).toEqual(plainChoice(computed, spread, 10));
      expect(new Set(blocksRead.get("analysis.retained")).size).toBe(total);
    } finally {
      spy.mockRestore();
    }
  });

  it("draws the same picture as on the computed graph, past an object 150,000 others hold", async () => {
    const pick = (a: HeapAnalysis): number[] =>
      chooseTargets(a.graph, walkContext(a.graph, { analysis: a }), selectNodes(a.graph, { types: ["Leak"] }).ordinals, 10).drawn;
    const want = JSON.stringify(walk(computed.graph, pick(computed)));
    const shared = (JSON.parse(want) as Subgraph).placeholders.find((p) => p.count >= 140_000)!;
    // The breakdown names the edges of the 150,000 holders (read ahead from the entry): by class and name.
    const groups = shared.breakdown!.map((g) => `${g.className} ${g.edgeType} ${g.edgeName}`).sort();
    expect(groups).toEqual(["Filler property owner", "Filler property shared", "Spread property owner", "Spread property shared"]);
    expect(sumCounts(shared.breakdown)).toBe(shared.count);
    for (const parallel of [true, false]) {
      const read = await fromEntry(parallel);
      const got = JSON.stringify(walk(read.graph, pick(read)));
      expect(got, `parallel ${parallel}`).toBe(want);
    }
  });

  it("reads the shortest-path tree and the user-root marks only along the paths it climbs", async () => {
    const read = await fromEntry(false);
    const g = read.graph;
    const { read: blocksRead, spy } = recordBlocksRead();
    try {
      const ctx = walkContext(g, { analysis: read });
      const targets = chooseTargets(g, ctx, selectNodes(g, { types: ["Leak"] }).ordinals, 10).drawn;
      const got = JSON.stringify(retainerSubgraph(g, ctx, targets, defaultBackrefsOptions));
      expect(got).toBe(JSON.stringify(walk(computed.graph, targets)));
    } finally {
      spy.mockRestore();
    }
    // 4-byte tree edges, 16,384 to a block (10 blocks); 1-byte marks, 65,536 to a block (3): the
    // paths of the Leaks (ordinals ~70,000) up to the Bucket, Shared and global (the first few).
    expect(Math.ceil(g.nodeCount / 16384)).toBe(10);
    expect(new Set(blocksRead.get("analysis.parentEdge")).size).toBe(2);
    expect(Math.ceil(g.nodeCount / 65536)).toBe(3);
    expect(new Set(blocksRead.get("analysis.userRoots")).size).toBe(2);
    // The distances, by which the retainers of Shared (150,000 of them) are sorted, are read whole.
    expect(new Set(blocksRead.get("analysis.distance")).size).toBe(10);
  });

  it("why reads ahead what the per-object walk reads, and every retained size only for matches spread widely", async () => {
    const asked: ReadAheadPart[][] = [];
    const spy = vi.spyOn(HeapGraph.prototype, "readAhead").mockImplementation(function (this: HeapGraph, parts) {
      asked.push([...parts]);
    });
    try {
      const snap = await openSnapshot(file);
      const all = (): ReadAheadPart[] => asked.flat();
      for (const selection of [
        { type: "Leak" },
        { id: computed.graph.nodeId(selectNodes(computed.graph, { types: ["Leak"] }).ordinals[0]!) },
      ]) {
        asked.length = 0;
        await snap.why(selection);
        for (const part of walkReadAhead()) expect(all(), JSON.stringify(selection)).toContain(part);
        expect(all()).not.toContain("retained");
      }
      asked.length = 0;
      await snap.why({ type: "Spread" });
      expect(all()).toContain("retained");
    } finally {
      spy.mockRestore();
    }
  });
});
