import { describe, expect, it } from "vitest";
import { constructorScript } from "../../src/query/modules.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { findLeaks, type LeakReport } from "../../src/query/growth.js";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { addLeakScripts } from "../../src/query/leak-scripts.js";
import { classRank, programFirst } from "../../src/query/generic-classes.js";
import { IdSet } from "../../src/graph/id-set.js";
import { graphOf } from "../helpers/load.js";
import { withGlobal } from "../helpers/subgraphs.js";
import { scriptClass, timerList } from "../helpers/timers.js";

describe("constructorScript", () => {
  it("names the script of an object's constructor, through its map's back pointers; nothing when the snapshot does not say", () => {
    const { b, global } = withGlobal();
    const watcher = scriptClass(b, "Watcher", "file:///srv/app.mjs")();
    // Properties named as the internal edges followed (V8 lists properties first).
    const holder = b.node("object", "Map");
    const mapped = scriptClass(b, "Route", "file:///srv/routes.mjs")({ properties: { map: holder, constructor: holder } });
    const timeout = scriptClass(b, "Timeout", "node:internal/timers")();
    const plain = b.node("object", "Lonely");
    // A map whose constructor is not a function (an API object's template), and one with no constructor.
    const native = b.node("object", "TCP");
    const template = b.node("object shape", "system / Map");
    b.edge(native, template, "internal", "map").edge(
      template,
      b.node("hidden", "system / FunctionTemplateInfo"),
      "internal",
      "constructor",
    );
    for (const n of [watcher, mapped, timeout, plain, native]) b.edge(global, n, "property", `o${n}`);
    const g = graphOf(b);
    expect(constructorScript(g, watcher)).toBe("file:///srv/app.mjs");
    expect(constructorScript(g, mapped)).toBe("file:///srv/routes.mjs");
    expect(constructorScript(g, timeout)).toBe("node:internal/timers");
    expect(constructorScript(g, plain)).toBeUndefined();
    expect(constructorScript(g, native)).toBeUndefined();
  });

  it("follows each map once: back pointers that go round in a circle end the walk", () => {
    const { b, global } = withGlobal();
    const a = b.node("object shape", "system / Map");
    const m = b.node("object shape", "system / Map");
    for (let i = 0; i < 50; i++) b.edge(a, b.node("hidden", "x"), "internal", `slot${i}`);
    b.edge(a, m, "internal", "back_pointer").edge(m, a, "internal", "back_pointer");
    const o = b.node("object", "Session");
    b.edge(o, a, "internal", "map").edge(global, o, "property", "s");
    const g = graphOf(b);
    let reads = 0;
    const counted = new Proxy(g, {
      get(target, key) {
        const v = Reflect.get(target, key, target) as unknown;
        if (key === "edgeName" && typeof v === "function") return (e: number) => (reads++, (v as (e: number) => unknown).call(target, e));
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    expect(constructorScript(counted, o)).toBeUndefined();
    // Each map's edges are read at most twice (its constructor, its back pointer), not ten thousand times.
    expect(reads).toBeLessThan(4 * 60);
  });
});

/** `leaks` of three snapshots, with the scripts of its classes (those objects of s3 not in s1 looked at). */
function leaksWithScripts(s1: HeapGraph, s2: HeapGraph, s3: HeapGraph): LeakReport {
  const report = findLeaks(IdSet.fromGraph(s1), IdSet.fromGraph(s2), { graph: s3, analysis: new HeapAnalysis(s3) });
  const before = IdSet.fromGraph(s1);
  const fresh = Array.from({ length: s3.nodeCount }, (_, n) => n).filter((n) => !before.has(s3.nodeId(n)));
  addLeakScripts(s3, report.groups, fresh);
  return report;
}

describe("the classes a leak is told by", () => {
  it("ranks the program's own classes first, then its dependencies', those of no known script, Node's, generic ones", () => {
    expect(classRank("Watcher", "file:///srv/app.mjs")).toBe(0);
    expect(classRank("LRUCache", "/srv/node_modules/lru-cache/dist/index.js")).toBe(1);
    expect(classRank("Subscriber", "C:\\app\\node_modules\\rxjs\\dist\\cjs\\index.js")).toBe(1);
    expect(classRank("TCP")).toBe(2);
    expect(classRank("Timeout", "node:internal/timers")).toBe(3);
    expect(classRank("Array", "node:internal/timers")).toBe(4);
    expect(classRank("{k, list}")).toBe(4);
    const order = programFirst([
      { className: "Array" },
      { className: "OperatorSubscriber", script: "file:///srv/node_modules/rxjs/dist/esm/index.js" },
      { className: "Timeout", script: "node:internal/timers" },
      { className: "TCP" },
      { className: "Session", script: "file:///srv/app.mjs" },
      { className: "Watcher", script: "file:///srv/app.mjs" },
    ]);
    expect(order.map((c) => c.className)).toEqual(["Session", "Watcher", "OperatorSubscriber", "TCP", "Timeout", "Array"]);
  });

  it("findLeaks' classes get the script of their constructor (Node's Timeout, the program's Watcher), generic ones none", () => {
    // Three snapshots of one process: the timers and their watchers are made after the first.
    const build = (withTimers: boolean) => {
      const { b, global } = withGlobal();
      b.edge(b.gcRoots, global, "element", 1);
      const watcher = scriptClass(b, "Watcher", "file:///srv/app.mjs");
      const timeout = scriptClass(b, "Timeout", "node:internal/timers");
      let next = 10_001;
      if (withTimers) {
        const { timeouts } = timerList(b, global, 6, { timeout: () => timeout({ selfSize: 120 }) });
        for (const t of timeouts) {
          const fn = b.node("closure", "", { id: (next += 2) });
          b.edge(t, fn, "property", "_onTimeout").edge(fn, watcher({ selfSize: 40 }), "context", "w");
        }
      }
      return graphOf(b);
    };
    const [s1, s2, s3] = [build(false), build(true), build(true)];
    const report = leaksWithScripts(s1, s2, s3);
    const byName = new Map(report.groups.map((g) => [g.className, g]));
    expect(byName.get("Timeout")).toMatchObject({ count: 6, script: "node:internal/timers" });
    expect(byName.get("Watcher")).toMatchObject({ count: 6, script: "file:///srv/app.mjs" });
    expect(byName.get("Function")?.script).toBeUndefined();
    // Timeout retains more; Watcher is the program's own and comes first.
    expect(report.groups.findIndex((g) => g.className === "Timeout")).toBeLessThan(
      report.groups.findIndex((g) => g.className === "Watcher"),
    );
    const ranked = programFirst(report.groups).map((g) => g.className);
    expect(ranked[0]).toBe("Watcher");
    expect(ranked.indexOf("Timeout")).toBeGreaterThan(ranked.indexOf("TimersList")); // no script known: before Node's
    expect(ranked.indexOf("Timeout")).toBeLessThan(ranked.indexOf("Function"));
  });

  it("a class whose objects come from several scripts names them all, and ranks as the program's when one is", () => {
    // Same-named Session classes of Node's and of the program (no locations: one group by name),
    // Node's first in node order; a larger Widget of Node's.
    const build = (withLeaks: boolean) => {
      const { b, global } = withGlobal();
      b.edge(b.gcRoots, global, "element", 1);
      const nodeSession = scriptClass(b, "Session", "node:internal/session");
      const appSession = scriptClass(b, "Session", "/srv/app/src/session.js");
      const widget = scriptClass(b, "Widget", "node:internal/widget");
      if (withLeaks) {
        const keep = b.node("object", "Array");
        b.edge(global, keep, "property", "keep");
        let i = 0;
        b.edge(keep, nodeSession({ selfSize: 40 }), "element", i++);
        for (let k = 0; k < 20; k++) b.edge(keep, appSession({ selfSize: 40 }), "element", i++);
        for (let k = 0; k < 5; k++) b.edge(keep, widget({ selfSize: 4000 }), "element", i++);
      }
      return graphOf(b);
    };
    const [s1, s2, s3] = [build(false), build(true), build(true)];
    const report = leaksWithScripts(s1, s2, s3);
    const session = report.groups.find((g) => g.className === "Session")!;
    expect(session.count).toBe(21);
    expect(session.script).toBeUndefined();
    expect(session.scripts).toEqual(["/srv/app/src/session.js", "node:internal/session"]);
    expect(report.groups.find((g) => g.className === "Widget")).toMatchObject({ script: "node:internal/widget" });
    expect(programFirst(report.groups)[0]!.className).toBe("Session");
  });
});
