import { describe, expect, it } from "vitest";
import { reachPath, findLeftovers } from "../../src/query/leftovers.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { analyseLeftovers, pathText } from "../../src/testing/leak-report.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

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
    expect(byClass.get("Timeout")).toEqual([
      { count: 38, path: `${head} → Timeout ._idleNext ×2–39 → Timeout` },
      { count: 1, path: `${head} → Timeout` },
      { count: 1, path: `${head} → Timeout ._idleNext → Timeout` },
    ]);
    expect(byClass.get("Poller")![0]).toEqual({ count: 38, path: `${head} → Timeout ._idleNext ×2–39 → Timeout ._onTimeout → Poller` });
    // Every Timeout and Poller is in one of the shapes counted.
    expect(byClass.get("Timeout")!.reduce((s, p) => s + p.count, 0)).toBe(40);
  });
});
