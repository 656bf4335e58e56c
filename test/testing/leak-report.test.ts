import { describe, expect, it } from "vitest";
import { reachPath, findLeftovers } from "../../src/query/leftovers.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { analyseLeftovers, formatLeftoverReports, pathText } from "../../src/testing/leak-report.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";
import { scriptClass, timerList } from "../helpers/timers.js";

/**
 * A heap whose new objects are `timers` Timeouts in one linked list (`_idleNext`) under a timer
 * list the program's global holds, each holding a Poller; and a Job held by two plain steps
 * through objects of one class but different edges (never a run).
 */
function heap(timers: number) {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global", { selfSize: 100 });
  b.edge(b.root, global, "shortcut", "global");
  const list = b.node("object", "TimersList", { selfSize: 40 });
  const outer = b.node("object", "Holder");
  const inner = b.node("object", "Holder");
  b.edge(global, list, "property", "timers").edge(global, outer, "property", "jobs").edge(outer, inner, "property", "inner");
  const since = b.nodes[b.nodes.length - 1]!.id;
  let prev = list;
  for (let i = 0; i < timers; i++) {
    const t = b.node("object", "Timeout", { selfSize: 120 });
    b.edge(prev, t, "property", "_idleNext").edge(t, b.node("object", "Poller", { selfSize: 48 }), "property", "_onTimeout");
    prev = t;
  }
  b.edge(inner, b.node("object", "Job", { selfSize: 16 }), "property", "job");
  return { g: graphOf(b), since };
}

describe("leftover reports' paths", () => {
  it("write a run of one class holding the next through one edge once, with its length", () => {
    const { g, since } = heap(6);
    const left = findLeftovers(g, new HeapAnalysis(g), { sinceId: since });
    const timeouts = left.ordinals.filter((n) => g.className(n) === "Timeout");
    const texts = timeouts.map((n) => pathText(g, reachPath(g, left.reach, n)));
    const head = "global .timers → TimersList ._idleNext";
    // The first two are held without a run of two equal steps; from the third on, one run.
    expect(texts.sort()).toEqual(
      [
        `${head} → Timeout`,
        `${head} → Timeout ._idleNext → Timeout`,
        `${head} → Timeout ._idleNext ×2 → Timeout`,
        `${head} → Timeout ._idleNext ×3 → Timeout`,
        `${head} → Timeout ._idleNext ×4 → Timeout`,
        `${head} → Timeout ._idleNext ×5 → Timeout`,
      ].sort(),
    );
    // Steps through one class by different edges are no run.
    const job = left.ordinals.find((n) => g.className(n) === "Job")!;
    expect(pathText(g, reachPath(g, left.reach, job))).toBe("global .jobs → Holder .inner → Holder .job → Job");
  });

  it("group paths through lists of different lengths as one shape, saying the shortest and longest run", async () => {
    const { g, since } = heap(40);
    const report = await analyseLeftovers("file", since, g, {});
    const byClass = new Map(report.classes.map((c) => [c.className, c.paths]));
    const head = "global .timers → TimersList ._idleNext";
    // The list's first element is reached through none of its links, the second through one.
    expect(byClass.get("Timeout")).toEqual([{ count: 40, path: `${head} → Timeout ._idleNext ×0–39 → Timeout` }]);
    expect(byClass.get("Poller")).toEqual([{ count: 40, path: `${head} → Timeout ._idleNext ×0–39 → Timeout ._onTimeout → Poller` }]);
    // Every Timeout and Poller is in one of the shapes counted.
    expect(byClass.get("Timeout")!.reduce((s, p) => s + p.count, 0)).toBe(40);
  });

  it("give the program's own classes their paths and the first lines, the generic ones they hold one line after", async () => {
    // Seven generic classes, each larger than the one class of the program's that holds them.
    const b = new SnapshotBuilder();
    const global = b.node("object", "global", { selfSize: 100 });
    b.edge(b.root, global, "shortcut", "global");
    const cache = b.node("object", "Map", { selfSize: 40 });
    b.edge(global, cache, "property", "sessions");
    const since = b.nodes[b.nodes.length - 1]!.id;
    const generic = ["Object", "Array", "Set", "Promise", "Error", "Uint8Array", "ArrayBuffer"];
    for (let i = 0; i < 3; i++) {
      const s = b.node("object", "Session", { selfSize: 8 });
      b.edge(cache, s, "element", String(i));
      generic.forEach((cls, k) => b.edge(s, b.node("object", cls, { selfSize: 1000 + k }), "property", `p${k}`));
    }
    const report = await analyseLeftovers("file", since, graphOf(b), {});
    // By retained size the seven generic classes come before Session, which is still given its path.
    expect(report.classes.findIndex((c) => c.className === "Session")).toBe(0);
    expect(report.classes.map((c) => c.className).slice(1)).toEqual([...generic].reverse());
    expect(report.classes[0]!.paths).toEqual([{ count: 3, path: "global .sessions → Map […] → Session" }]);
    const lines = formatLeftoverReports([report]).trimEnd().split("\n");
    expect(lines[1]).toMatch(/^ {2}Session {2}\+3 /);
    expect(lines[2]).toBe("      3× global .sessions → Map […] → Session");
    expect(lines[3]).toBe("  also left: ArrayBuffer +3, Uint8Array +3, Error +3, Promise +3, Set +3, Array +3, and 1 more classes");
    expect(lines).toHaveLength(4);
  });

  it("list the classes the program defines before Node's own, and give them their paths first", async () => {
    // Intervals never cleared: Node's Timeouts (larger) each holding one of the program's Pollers.
    const b = new SnapshotBuilder();
    const global = b.node("object", "global", { selfSize: 100 });
    b.edge(b.root, global, "shortcut", "global");
    const timeout = scriptClass(b, "Timeout", "node:internal/timers");
    const poller = scriptClass(b, "Poller", "file:///srv/poller.mjs");
    const since = b.nodes[b.nodes.length - 1]!.id;
    timerList(b, global, 4, { timeout: () => timeout({ selfSize: 120 }) }).timeouts.forEach((t) =>
      b.edge(t, poller({ selfSize: 48 }), "property", "_onTimeout"),
    );
    const report = await analyseLeftovers("file", since, graphOf(b), { pathClasses: 1 });
    const byName = new Map(report.classes.map((c) => [c.className, c]));
    expect(byName.get("Timeout")).toMatchObject({ count: 4, script: "node:internal/timers" });
    expect(byName.get("Poller")).toMatchObject({ count: 4, script: "file:///srv/poller.mjs" });
    // By retained size the Timeouts come first; the program's Pollers get the one class's paths.
    expect(report.classes[0]!.className).toBe("Timeout");
    expect(byName.get("Timeout")!.paths).toEqual([]);
    expect(byName.get("Poller")!.paths.reduce((n, p) => n + p.count, 0)).toBe(4);
    const lines = formatLeftoverReports([report]).trimEnd().split("\n");
    expect(lines[1]).toMatch(/^ {2}Poller {3}\+4 /);
    expect(lines.findIndex((l) => /^ {2}Timeout/.test(l))).toBeGreaterThan(1);
  });

  it("write paths that branch at one object as one, the edges side by side, and never paths through different objects", async () => {
    // A timer list holding its first timer by _idleNext and its last by _idlePrev, the timers linked
    // both ways; and Jobs held by different Holders through different edges.
    const b = new SnapshotBuilder();
    const global = b.node("object", "global", { selfSize: 100 });
    b.edge(b.root, global, "shortcut", "global");
    const list = b.node("object", "TimersList", { selfSize: 40 });
    b.edge(global, list, "property", "timers");
    const [h1, h2, h3, h4] = [
      b.node("object", "Holder"),
      b.node("object", "Holder"),
      b.node("object", "Holder"),
      b.node("object", "Holder"),
    ];
    b.edge(global, h1, "property", "a").edge(global, h2, "property", "b");
    const array = b.node("object", "Array");
    b.edge(global, array, "property", "list").edge(array, h3, "element", "0").edge(array, h4, "element", "1");
    const since = b.nodes[b.nodes.length - 1]!.id;
    const timers = Array.from({ length: 6 }, () => b.node("object", "Timeout", { selfSize: 120 }));
    b.edge(list, timers[0]!, "property", "_idleNext").edge(list, timers[5]!, "property", "_idlePrev");
    for (let i = 0; i < 5; i++)
      b.edge(timers[i]!, timers[i + 1]!, "property", "_idleNext").edge(timers[i + 1]!, timers[i]!, "property", "_idlePrev");
    for (const [h, edge] of [
      [h1, "job"],
      [h2, "task"],
      [h3, "job"],
      [h4, "task"],
    ] as const)
      b.edge(h, b.node("object", "Job", { selfSize: 16 }), "property", edge);
    const report = await analyseLeftovers("file", since, graphOf(b), {});
    const byClass = new Map(report.classes.map((c) => [c.className, c.paths]));
    expect(byClass.get("Timeout")).toEqual([
      { count: 6, path: "global .timers → TimersList ._idleNext | ._idlePrev → Timeout ._idleNext | ._idlePrev ×0–2 → Timeout" },
    ]);
    // Two Holders (each the only one in its paths, or two in one array) are never one branch.
    expect(byClass.get("Job")).toEqual([
      { count: 1, path: "global .a → Holder .job → Job" },
      { count: 1, path: "global .b → Holder .task → Job" },
      { count: 1, path: "global .list → Array […] → Holder .job → Job" },
    ]);
    expect(report.classes.find((c) => c.className === "Job")!.count).toBe(4);
  });

  it("write the entries that several dictionaries hold under the same keys as one path", async () => {
    // node-cache's shape: each cache's check-period Timeout (one timer list) holds the cache,
    // whose plain object holds its entries under their keys.
    const b = new SnapshotBuilder();
    const global = b.node("object", "global", { selfSize: 100 });
    b.edge(b.root, global, "shortcut", "global");
    const since = b.nodes[b.nodes.length - 1]!.id;
    const keys = ["sku-0", "sku-1", "sku-2", "sku-3", "sku-4"];
    for (const t of timerList(b, global, 4).timeouts) {
      const cache = b.node("object", "NodeCache");
      const data = b.node("object", "Object");
      b.edge(t, cache, "property", "_onTimeout").edge(cache, data, "property", "data");
      for (const k of keys) b.edge(data, b.node("object", "Quote", { selfSize: 56 }), "property", k);
    }
    const report = await analyseLeftovers("file", since, graphOf(b), {});
    const quotes = report.classes.find((c) => c.className === "Quote")!;
    expect(quotes.paths).toHaveLength(1);
    expect(quotes.paths[0]!.count).toBe(20);
    expect(quotes.paths[0]!.path).toMatch(
      /^global \.timers → TimersList (\._idleNext \| \._idlePrev|\._idlePrev \| \._idleNext) → Timeout (\._idleNext \| \._idlePrev|\._idlePrev \| \._idleNext) ×0–1 → Timeout \._onTimeout → NodeCache \.data → \{sku-0, sku-1, sku-2, sku-3, sku-4\} \["sku-\d"\] \| \["sku-\d"\] \| \["sku-\d"\] \| … \(5 edges\) → Quote$/,
    );
  });

  it("say how many objects are held in ways the text does not show", () => {
    const path = (count: number, edge: string) => ({ count, path: `global .${edge} → Thing` });
    const report = {
      name: "file",
      objects: 10,
      selfSize: 100,
      retainedSize: 100,
      classes: [
        {
          className: "Thing",
          count: 10,
          selfSize: 100,
          retainedSize: 100,
          exampleIds: [],
          paths: [path(5, "a"), path(3, "b"), path(2, "c")],
        },
      ],
      picture: null,
      seconds: { analysis: 0 },
    };
    const text = formatLeftoverReports([report]);
    expect(text).toContain("      5× global .a → Thing\n      3× global .b → Thing\n      2× held in other ways\n");
    expect(formatLeftoverReports([{ ...report, classes: [{ ...report.classes[0]!, count: 8 }] }])).not.toContain("other ways");
  });
});
