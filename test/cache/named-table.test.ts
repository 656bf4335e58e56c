import { copyFileSync, utimesSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SnapshotCache, RACY_MS, type CacheKey } from "../../src/cache/store.js";
import type { EntryContent } from "../../src/cache/entry.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { selectNodes } from "../../src/query/select.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = resolve(import.meta.dirname, "../../samples/leak.heapsnapshot.gz");
const work = tempDir("backrefs-named-table-");
let k = 0;
const freshDir = (): string => join(work, `cache-${k++}`);
const file = join(work, "sample.heapsnapshot.gz");
beforeAll(async () => {
  copyFileSync(SAMPLE, file);
  const old = Math.floor(Date.now() / 1000) - 3600;
  utimesSync(file, old, old);
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

async function analysed(): Promise<{ content: EntryContent; graph: HeapGraph }> {
  const raw = await readSnapshotRaw(file);
  const graph = new HeapGraph(raw);
  const analysis = new HeapAnalysis(graph);
  await analysis.prepare({ retained: true });
  analysis.classRetainedSizes();
  return { content: { raw, analysis: analysis.savedParts(), classes: graph.classParts() }, graph };
}

const select = (g: HeapGraph, t: string): number[] | string => {
  try {
    return selectNodes(g, { types: [t] }).ordinals;
  } catch (e) {
    return (e as Error).message;
  }
};

describe("a cache entry's class name table", () => {
  for (const how of ["one pair left out", "one hash changed"]) {
    it(`with ${how} (checksums right) hides no class from --type`, async () => {
      const { content, graph: fresh } = await analysed();
      const named = content.classes!.named!;
      // The most common class id below S.
      const S = fresh.strings.length;
      const counts = new Map<number, number>();
      for (const c of fresh.classes().nodeClass) if (c < S) counts.set(c, (counts.get(c) ?? 0) + 1);
      const [victim] = [...counts].sort((p, q) => q[1] - p[1])[0]!;
      const name = fresh.strings.get(victim);
      const pairs: [number, number][] = [];
      for (let i = 0; i < named.length; i += 2) pairs.push([named[i]!, named[i + 1]!]);
      const spoiled =
        how === "one pair left out"
          ? pairs.filter(([, id]) => id !== victim)
          : pairs
              .map(([h, id]) => (id === victim ? ([(h ^ 1) >>> 0, id] as [number, number]) : ([h, id] as [number, number])))
              .sort((p, q) => p[0] - q[0] || p[1] - q[1]);
      const cache = new SnapshotCache({ dir: freshDir() });
      const look0 = await cache.lookup(file);
      if (look0.kind !== "miss") throw new Error("expected miss");
      const key: CacheKey = look0.key;
      const saved = cache.save(key, { ...content, classes: { ...content.classes!, named: Uint32Array.from(spoiled.flat()) } });
      expect(saved.kind).toBe("written");
      const look = await cache.lookup(file);
      if (look.kind !== "hit") throw new Error("expected hit");
      // The reader does not refuse it (its checks do not compare hashes with names).
      const parts = look.content.later.classes!();
      const g = new HeapGraph(look.content.raw);
      g.useStoredIndexes({ classes: () => parts });
      expect(Array.isArray(select(fresh, name))).toBe(true);
      expect(select(g, name)).toEqual(select(fresh, name));
    });
  }
});

describe("a stored class name table after plain objects are named by other shapes", () => {
  it("--type Object under given shapes selects the same with a stored class index as without", () => {
    const b = new SnapshotBuilder();
    const plain = (props: string[]): number => {
      const o = b.node("object", "Object");
      b.edge(b.gcRoots, o, "element", 1);
      for (const p of props) b.edge(o, b.node("number", "heap number"), "property", p);
      return o;
    };
    for (let i = 0; i < 3; i++) plain(["a", "b"]);
    const own = graphOf(b);
    own.classes();
    const parts = own.classParts()!;
    const stored = graphOf(b);
    stored.useStoredIndexes({ classes: () => parts });
    const plainGraph = graphOf(b);
    for (const g of [stored, plainGraph]) {
      g.classes();
      g.useInterfaceDefinitions([{ name: "{zz}", properties: ["zz"] }]);
    }
    expect(select(plainGraph, "Object")).toHaveLength(3);
    expect(select(stored, "Object")).toEqual(select(plainGraph, "Object"));
  });
});
