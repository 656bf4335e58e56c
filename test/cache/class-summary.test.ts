/**
 * The per-class totals of `info` (src/graph/class-summary.ts) as a late part of a cache entry: kept
 * by the first command that computes them, read by the next instead of passing over every node,
 * with the same answer; a damaged one, or one whose values cannot be this snapshot's, is never used.
 */
import { copyFileSync, existsSync, readFileSync, realpathSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS } from "../../src/cache/store.js";
import { latePartPath } from "../../src/cache/entry.js";
import { CacheSession, type CacheEvent } from "../../src/cache/session.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { packClassSummary, unpackClassSummary } from "../../src/graph/class-summary.js";
import { classTable, summarize, type SnapshotSummary } from "../../src/query/summary.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = resolve(import.meta.dirname, "../../samples/leak.heapsnapshot.gz");
const work = tempDir("backrefs-summary-");
let dirCount = 0;
const freshDir = (): string => join(work, `cache-${dirCount++}`);
const snap = join(work, "sample.heapsnapshot.gz");

beforeAll(async () => {
  copyFileSync(SAMPLE, snap);
  const old = Math.floor(Date.now() / 1000) - 3600;
  utimesSync(snap, old, old);
  // Entries are only written for files whose last change is RACY_MS old (see store.ts).
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

/** `info` computed the long way, without any cache. */
let truth: SnapshotSummary | null = null;
async function expected(): Promise<SnapshotSummary> {
  if (truth) return truth;
  const graph = new HeapGraph(await readSnapshotRaw(snap));
  const analysis = new HeapAnalysis(graph);
  await analysis.prepare({ retained: true });
  return (truth = summarize(graph, { top: 1000, analysis }));
}

/** `info` through a cache session on `dir`: its answer, the session's events and the graph. */
async function info(dir: string): Promise<{ summary: SnapshotSummary; events: CacheEvent[]; graph: HeapGraph; analysis: HeapAnalysis }> {
  const events: CacheEvent[] = [];
  const session = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
  const graph = await session.load(snap);
  const analysis = await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
  const summary = summarize(graph, { top: 1000, analysis });
  await session.flush();
  return { summary, events, graph, analysis };
}

const added = (events: CacheEvent[]): unknown[] => events.flatMap((e) => (e.kind === "written" ? [e.result.added ?? "entry"] : []));

describe("info's per-class totals as a late part of the entry", () => {
  it("are added with a new entry; the next command reads them, computes nothing, and answers the same", async () => {
    const dir = freshDir();
    const first = await info(dir);
    expect(first.events.map((e) => e.kind)).toEqual(["written"]);
    expect(first.summary).toEqual(await expected());
    const entry = new SnapshotCache({ dir }).entryPath(realpathSync(snap));
    expect(existsSync(latePartPath(entry, "summary"))).toBe(true);

    const again = await info(dir);
    expect(again.events.map((e) => e.kind)).toEqual(["used"]);
    expect(again.graph.classSummaryParts()).toBeNull(); // read, not computed
    expect(again.graph.classSummary()).not.toBeNull();
    expect(again.summary).toEqual(await expected());
    // What `types` and `check` count from (no node types) is the table computed the long way.
    const graph = new HeapGraph(await readSnapshotRaw(snap));
    const analysis = new HeapAnalysis(graph);
    await analysis.prepare({ retained: true });
    expect(classTable(again.graph, again.analysis)).toEqual(classTable(graph, analysis));
  });

  it("an entry without them (written by a command that did not count) gains them from the next info", async () => {
    const dir = freshDir();
    const session = new CacheSession(new SnapshotCache({ dir }));
    const graph = await session.load(snap);
    await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    graph.classes();
    await session.flush();
    const first = await info(dir);
    expect(added(first.events)).toEqual([["class-retained", "summary"]]);
    expect(first.graph.classSummaryParts()).not.toBeNull();
    const again = await info(dir);
    expect(again.events.map((e) => e.kind)).toEqual(["used"]);
    expect(again.summary).toEqual(await expected());
  });

  it("a flipped byte in them: ignored (said so), computed again, added again as they were", async () => {
    const dir = freshDir();
    await info(dir);
    const file = latePartPath(new SnapshotCache({ dir }).entryPath(realpathSync(snap)), "summary");
    const good = readFileSync(file);
    const buf = Buffer.from(good);
    buf[buf.length - 40]! ^= 0x10; // in the values' last block, before the block table
    writeFileSync(file, buf);
    const { events, summary } = await info(dir);
    expect(events.map((e) => e.kind)).toEqual(["used", "ignored-part", "written"]);
    const ig = events[1];
    expect(ig?.kind === "ignored-part" && ig.part).toBe("per-class totals");
    expect(added(events)).toEqual([["summary"]]);
    expect(summary).toEqual(await expected());
    expect(readFileSync(file).equals(good)).toBe(true);
  });

  it("ones whose checksums hold but whose values cannot be this snapshot's are not used: computed again and added again", async () => {
    const dir0 = freshDir();
    const { graph } = await info(dir0);
    const good = readFileSync(latePartPath(new SnapshotCache({ dir: dir0 }).entryPath(realpathSync(snap)), "summary"));
    expect(good.length).toBeGreaterThan(0);
    const stored = graph.classSummary() ?? unpackClassSummary(graph.classSummaryParts()!, graph.nodeTypes.length, graph.nodeCount)!;
    const k = stored.classIds.length;
    const pastClasses = { ...stored, classIds: Uint32Array.from(stored.classIds, (id, i) => (i === k - 1 ? graph.classIdLimit + 5 : id)) };
    const moreNodes = { ...stored, typeCount: Float64Array.from(stored.typeCount, (c, t) => (t === 0 ? c + 1 : c)) };
    for (const [what, s] of [
      ["a class id past the snapshot's classes", pastClasses],
      ["type counts adding up to more than the nodes", moreNodes],
    ] as const) {
      const dir = freshDir();
      await info(dir);
      const cache = new SnapshotCache({ dir });
      const look = await cache.lookup(snap);
      if (look.kind !== "hit") throw new Error("expected a hit");
      expect(cache.addParts(look.content.stamp, { classSummary: packClassSummary(s) }, ["summary"]).kind, what).toBe("written");
      const { events, summary, graph: g } = await info(dir);
      expect(g.classSummaryParts(), what).not.toBeNull(); // computed
      expect(added(events), what).toEqual([["summary"]]);
      expect(summary, what).toEqual(await expected());
      const again = await info(dir);
      expect(
        again.events.map((e) => e.kind),
        what,
      ).toEqual(["used"]);
      expect(again.graph.classSummaryParts(), what).toBeNull();
    }
  });

  it("are neither used nor kept when plain objects are named by other shapes", async () => {
    const dir = freshDir();
    await info(dir);
    const session = new CacheSession(new SnapshotCache({ dir }));
    const graph = await session.load(snap);
    const analysis = await session.analysis(graph, true, {}, (a) => a.prepare({ retained: true }));
    graph.useInterfaceDefinitions([{ name: "{x}", properties: ["x"] }]);
    const table = classTable(graph, analysis);
    expect(graph.classSummary()).toBeNull();
    expect(graph.classSummaryParts()).toBeNull();
    // Counted from the nodes under those shapes, as a fresh graph counts them.
    const fresh = new HeapGraph(await readSnapshotRaw(snap));
    const freshAnalysis = new HeapAnalysis(fresh);
    await freshAnalysis.prepare({ retained: true });
    fresh.useInterfaceDefinitions([{ name: "{x}", properties: ["x"] }]);
    expect(table).toEqual(classTable(fresh, freshAnalysis));
  });
});
