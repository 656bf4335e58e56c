/**
 * Grouped pictures on a real snapshot: samples/grouped-leak.heapsnapshot.gz, written by
 * samples/make-grouped-leak-snapshot.cjs (one class leaked by an EventEmitter listener, a
 * setInterval closure and a module-level Map).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SAMPLE = join(ROOT, "samples/grouped-leak.heapsnapshot.gz");
const tmp = tempDir("backrefs-grouped-");

function run(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: tmp });
}

interface Json {
  targets: number[];
  nodes: Array<{
    id: number;
    className: string;
    isTarget: boolean;
    isRoot: boolean;
    isGroup?: boolean;
    count?: number;
    objectIds?: number[];
    chainLength?: number;
  }>;
  edges: Array<{ from: number; to: number; name: string | number; count?: number }>;
  placeholders: unknown[];
  limitsReached: Record<string, number>;
  grouped?: { targets: number; patterns: number; patternsDrawn: number };
}

describe("grouped pictures of a real leak (three causes)", () => {
  it("draws exactly the three causes with exact counts", async () => {
    const r = await run([SAMPLE, "--type", "OrderService", "--format", "json", "-o", "-", "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.grouped).toMatchObject({ targets: 201, patterns: 3, patternsDrawn: 3 });
    expect(Object.keys(j)).toEqual(expect.arrayContaining(["targets", "nodes", "edges", "limitsReached"]));
    const target = j.nodes.filter((n) => n.isTarget);
    expect(target).toHaveLength(1);
    expect(target[0]).toMatchObject({ className: "OrderService", count: 201, isGroup: true });
    expect(target[0]!.objectIds!.length).toBe(5);
    // The three edges into the target group's ancestors split 120 / 50 / 31 by cause: follow each
    // root edge's count down to the class that names the cause.
    const byId = new Map(j.nodes.map((n) => [n.id, n]));
    const retainersOf = (id: number) => j.edges.filter((e) => e.to === id);
    const emitter = j.nodes.filter((n) => n.className === "EventEmitter");
    const timers = j.nodes.filter((n) => n.className === "Timeout");
    const map = j.nodes.filter((n) => n.className === "Map");
    expect([emitter.length, timers.length, map.length]).toEqual([1, 1, 1]);
    const countOut = (id: number) => j.edges.filter((e) => e.from === id).map((e) => e.count);
    expect(countOut(emitter[0]!.id)).toEqual([120]);
    expect(countOut(timers[0]!.id)).toEqual([50]);
    expect(countOut(map[0]!.id)).toEqual([31]);
    // The timer list is folded: one Timeout node for the 50 timers, entered from the list once.
    expect(timers[0]!.count).toBe(50);
    expect(timers[0]!.chainLength).toBeGreaterThan(1);
    expect(retainersOf(timers[0]!.id)).toHaveLength(1);
    expect(byId.get(retainersOf(timers[0]!.id)[0]!.from)!.className).toBe("TimersList");
    // Every path ends at a root.
    expect(j.nodes.filter((n) => n.isRoot).map((n) => n.className)).toEqual(["global"]);
  });

  it("prints the three patterns as text, largest first", async () => {
    const r = await run([SAMPLE, "--type", "OrderService", "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => /^\s+\d+ × /.test(l));
    expect(lines.map((l) => Number(/^\s+(\d+) ×/.exec(l)![1]))).toEqual([120, 50, 31]);
    expect(lines[0]).toMatch(/^ {2}120 × OrderService .*← \[\*\] ← Array ← \.order ← Object ← \._events ← EventEmitter .* ← global$/);
    expect(lines[1]).toMatch(/← Timeout ×\d+ via \._idle(Prev|Next) \| \._idle(Next|Prev) \(50 objects\) ←/);
    expect(lines[2]).toMatch(/^ {2}31 × OrderService .*← Map ← \.registry ← .* ← global$/);
    expect(r.stderr).toMatch(/--each/);
  });

  it("is byte-identical from run to run (SVG)", async () => {
    const out = join(tmp, "g.svg");
    const a = await run([SAMPLE, "--type", "OrderService", "-o", out, "-q"]);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/201 objects grouped into 3 retaining patterns/);
    const first = readFileSync(out);
    await run([SAMPLE, "--type", "OrderService", "-o", out, "-q"]);
    expect(readFileSync(out).equals(first)).toBe(true);
    expect(first.toString("utf8")).toMatch(/×25 via/);
  });

  it("why --type prints the groups of every match before the objects it explains", async () => {
    const r = await run(["why", SAMPLE, "--type", "OrderService", "-q"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^201 × OrderService \(retained [^)]+\) — 3 retaining patterns/);
    expect(r.stdout.split("\n").filter((l) => /^ {2}\d+ × OrderService/.test(l))).toHaveLength(3);
    expect(r.stdout).toMatch(/\nOrderService @\d+ .* — distance \d+, 1 direct retainer\n/);
  });

  it("--each keeps the per-object picture", async () => {
    const r = await run([SAMPLE, "--type", "OrderService", "--each", "--format", "json", "-o", "-", "-q"]);
    const j = JSON.parse(r.stdout) as Json;
    expect(j.grouped).toBeUndefined();
    expect(j.targets).toHaveLength(10);
    expect(j.nodes.every((n) => n.id > 0 && n.isGroup === undefined)).toBe(true);
  });
});
