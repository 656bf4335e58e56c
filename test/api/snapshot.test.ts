/**
 * The library object: `openSnapshot()` answers with heap ids, with the CLI's options and defaults.
 * Each answer is checked against the CLI run in-process on the same file (same bytes for JSON),
 * or against the lower-level functions it stands for.
 */
import { createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../helpers/cli.js";
import { CacheSession, type CacheEvent } from "../../src/cache/session.js";
import { RACY_MS, SnapshotCache } from "../../src/cache/store.js";
import { IdMismatchError, IdsResetError, LimitError, QueryError } from "../../src/errors.js";
import { openSnapshot, startedWithExposeGc, type Snapshot } from "../../src/api/snapshot.js";
import { LEAK_CLASSES_EXPLAINED } from "../../src/query/growth.js";
import { closeLayoutWorker } from "../../src/render/svg.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { writeGrowthSnapshots } from "../helpers/real-snapshot.js";
import { tempDir } from "../helpers/temp-dir.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SAMPLE = join(ROOT, "samples/leak.heapsnapshot.gz");
const tmp = tempDir("backrefs-api-");

/** Runs the CLI in this process; returns its exit code and what it printed. */
const cli = (args: string[]): Promise<CliResult> => runCli(args);

let snap: Snapshot;
beforeAll(async () => {
  snap = await openSnapshot(SAMPLE);
});
afterAll(async () => {
  await closeLayoutWorker();
});

describe("openSnapshot: the CLI's answers, by heap id", () => {
  it("retainers() gives the CLI's JSON byte for byte, defaults and options alike", async () => {
    const cliDefault = await cli([SAMPLE, "--type", "LeakyRequest", "-f", "json", "-q"]);
    expect(cliDefault.code).toBe(0);
    const g = await snap.retainers({ type: "LeakyRequest" });
    expect(g.toJson()).toBe(cliDefault.stdout);
    expect(g.matched).toBe(200);
    expect(g.grouped).toBe(true); // 200 matches > maxTargets: one picture per cause

    const cliEach = await cli([SAMPLE, "--type", "LeakyRequest", "--each", "-f", "json", "-q"]);
    const each = await snap.retainers({ type: "LeakyRequest" }, { each: true });
    expect(each.toJson()).toBe(cliEach.stdout);
    expect(each.grouped).toBe(false);
    expect(each.targets.length).toBe(10);

    const cliOpts = await cli([
      SAMPLE,
      "--type",
      "LeakyRequest",
      "--max-targets",
      "2",
      "--each",
      "--depth",
      "1",
      "--too-many",
      "3",
      "--weak",
      "-f",
      "json",
      "-q",
    ]);
    const opts = await snap.toJson({ type: "LeakyRequest" }, { maxTargets: 2, each: true, depth: 1, tooMany: 3, weak: true });
    expect(opts).toBe(cliOpts.stdout);
    expect(opts).not.toBe(cliDefault.stdout);
  });

  it("ids come back as heap ids and select the same object; '@id' strings work too", async () => {
    const ids = snap.select({ type: "LeakyRequest" });
    expect(ids).toHaveLength(200);
    const one = ids[17]!;
    const g = await snap.retainers(`@${one}`);
    expect(g.targets).toEqual([one]);
    const info = await snap.object(one);
    expect(info).toMatchObject({ id: one, className: "LeakyRequest" });
    expect(snap.has(one)).toBe(true);
    // An ordinal is not an id: the sample's ids are odd, V8 style.
    expect(snap.has(2)).toBe(false);
    await expect(snap.retainers(2)).rejects.toThrow(QueryError);
    expect(() => snap.select("@abc" as never)).toThrow(/heap id/);
  });

  it("why() is the CLI's `why --json`; whyText() its text", async () => {
    const id = snap.select({ type: "LeakyRequest" })[0]!;
    const r = await cli(["why", SAMPLE, "--id", String(id), "--paths", "2", "--json", "-q"]);
    expect(r.code).toBe(0);
    expect(JSON.stringify(await snap.why(id, { paths: 2 }), null, 2) + "\n").toBe(r.stdout);
    const t = await cli(["why", SAMPLE, "--id", String(id), "-q"]);
    expect(await snap.whyText(id)).toBe(t.stdout);
  });

  it("types() is the CLI's `types --json`", async () => {
    const r = await cli(["types", SAMPLE, "--json", "--top", "7", "-q"]);
    expect(JSON.stringify(await snap.types({ top: 7 }), null, 2) + "\n").toBe(r.stdout);
    const c = await cli(["types", SAMPLE, "--json", "--sort", "count", "--no-retained", "-q"]);
    expect(JSON.stringify(await snap.types({ sort: "count", retained: false }), null, 2) + "\n").toBe(c.stdout);
  });

  it("the text answer is the CLI's text, grouped or per object", async () => {
    const r = await cli([SAMPLE, "--type", "LeakyRequest", "--max-targets", "2", "-q"]);
    expect((await snap.retainers({ type: "LeakyRequest" }, { maxTargets: 2 })).toText()).toBe(r.stdout);
    expect(r.stdout).toMatch(/200 × LeakyRequest/);
    const e = await cli([SAMPLE, "--type", "LeakyRequest", "--max-targets", "2", "--each", "-q"]);
    expect((await snap.retainers({ type: "LeakyRequest" }, { maxTargets: 2, each: true })).toText()).toBe(e.stdout);
    expect(e.stdout).toMatch(/direct retainer/);
  });

  it("renders SVG and PNG, and save() picks the format by extension, atomically", async () => {
    const g = await snap.retainers({ type: "LeakyRequest" }, { maxTargets: 1 });
    const svg = await g.toSvg();
    expect(svg).toMatch(/^<\?xml|^<svg/);
    expect(svg).toContain("LeakyRequest");
    const png = await g.toPng({ scale: 0.5 });
    expect(Buffer.from(png.subarray(0, 8)).toString("latin1")).toBe("\x89PNG\r\n\x1a\n");
    const dir = mkdtempSync(join(tmp, "save-"));
    await g.save(join(dir, "a.svg"));
    await g.save(join(dir, "a.dot"));
    await g.save(join(dir, "a.json"));
    await g.save(join(dir, "a.txt"));
    expect(readFileSync(join(dir, "a.svg"), "utf8")).toBe(svg);
    // The DOT of the layout drawn (as the CLI's -o x.dot), not the unfitted toDot().
    expect(readFileSync(join(dir, "a.dot"), "utf8")).toBe((await g.fit()).dot);
    expect(readFileSync(join(dir, "a.json"), "utf8")).toBe(g.toJson());
    expect(readFileSync(join(dir, "a.txt"), "utf8")).toBe(g.toText());
    await expect(g.save(join(dir, "a.bmp"))).rejects.toThrow(QueryError);
    expect(readdirSync(dir).sort()).toEqual(["a.dot", "a.json", "a.svg", "a.txt"]);
  });

  it("reads a stream as well as a path", async () => {
    const s = await openSnapshot(createReadStream(SAMPLE));
    expect(s.nodeCount).toBe(snap.nodeCount);
    expect(s.select({ type: "LeakyRequest" })).toEqual(snap.select({ type: "LeakyRequest" }));
  });

  it("a mistyped class is a QueryError with a suggestion", async () => {
    await expect(snap.retainers({ type: "leakyrequest" })).rejects.toThrow(/did you mean LeakyRequest/);
  });
});

describe("diff and newSince between snapshots of one process", () => {
  let files: [string, string, string];
  beforeAll(() => {
    files = writeGrowthSnapshots("api-growth");
  });

  it("diff() is the CLI's `diff --json`, with its defaults", async () => {
    const [a, b] = await Promise.all([openSnapshot(files[0]), openSnapshot(files[1])]);
    const d = await b.diff(a);
    const keep = d.classes.find((c) => c.className === "Keep")!;
    expect(keep).toMatchObject({ countBefore: 10, countAfter: 35, new: 25, deleted: 0, delta: 25 });
    expect(d.classes.find((c) => c.className === "Temp")).toMatchObject({ new: 40, delta: 40 });
    expect(d.classes.find((c) => c.className === "Drop")).toMatchObject({ deleted: 5, delta: -5 });
    expect(d.idsReset).toBeUndefined();
    // The CLI's defaults: by count, engine internals left out, what grew apart from what shrank.
    expect(d.sort).toBe("count");
    expect(d.internalsHidden).toBe(true);
    expect(d.grew[0]).toBe("Temp");
    expect(d.grew).toContain("Keep");
    expect(d.shrank).toContain("Drop");
    expect(d.grew).not.toContain("Drop");
    expect(d.classes.map((c) => c.className)).not.toContain("(compiled code)");
    // Every changed class is listed once (no --top), and the byte-for-byte JSON of the CLI.
    const project = (x: typeof d): unknown => {
      const { grewTotal: _g, shrankTotal: _s, idsReset: _r, classes, sort, grew, shrank, classesOmitted, unchangedClasses, ...head } = x;
      return { ...head, sort, grew, shrank, classes, classesOmitted, unchangedClasses };
    };
    for (const [args, options] of [
      [[], {}],
      [["--top", "3"], { top: 3 }],
      [["--sort", "new", "--all"], { sort: "new", all: true }],
      [["--sort", "retained-growth", "--top", "5"], { sort: "retained-growth", top: 5 }],
      [["--no-retained", "--sort", "self"], { retained: false, sort: "self" }],
    ] as const) {
      const r = await cli(["diff", files[0], files[1], "--json", "-q", ...args]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.stringify(project(await b.diff(a, options)), null, 2) + "\n", args.join(" ")).toBe(r.stdout);
    }
    const cut = await b.diff(a, { top: 1 });
    expect(cut.grew).toEqual(["Temp"]);
    expect(cut.grewTotal).toBe(d.grew.length);
    expect(cut.classesOmitted).toBe(d.classes.length - cut.classes.length);
    await expect(b.diff(a, { sort: "retained", retained: false })).rejects.toThrow(QueryError);
  });

  it("check() is the CLI's gate: the same verdict, by the same rules", async () => {
    const [a, b] = await Promise.all([openSnapshot(files[0]), openSnapshot(files[1])]);
    const pass = await b.check({ maxCount: { Keep: 35 }, maxRetained: [{ className: "Keep", value: 10e6 }] });
    expect(pass).toMatchObject({ passed: true, limits: 2, violations: [] });
    const fail = await b.check({ maxCount: { Keep: 30, Temp: 100 }, maxGrowth: { Keep: 20, Drop: 0 }, baseline: a });
    expect(fail.passed).toBe(false);
    expect(fail.violations).toEqual([
      { className: "Keep", what: "count", actual: 35, limit: 30, bytes: false },
      { className: "Keep", what: "growth", actual: 25, limit: 20, bytes: false },
    ]);
    expect(fail.counts).toMatchObject({ Keep: 35, Temp: 40, Drop: 15 });
    // The CLI prints the same violations (with the picture it drew for each).
    const dir = mkdtempSync(join(tmp, "check-"));
    const r = await cli([
      "check",
      files[1],
      "--max-count",
      "Keep=30",
      "--max-count",
      "Temp=100",
      "--baseline",
      files[0],
      "--max-growth",
      "Keep=20",
      "--max-growth",
      "Drop=0",
      "--json",
      "-q",
      "--picture-dir",
      dir,
    ]);
    expect(r.code).toBe(3);
    const j = JSON.parse(r.stdout) as { passed: boolean; violations: Array<Record<string, unknown>> };
    expect(j.passed).toBe(false);
    expect(j.violations.map(({ picture: _p, ...v }) => v)).toEqual(fail.violations);
    // Growth limits need a baseline.
    await expect(b.check({ maxGrowth: { Keep: 0 } })).rejects.toThrow(/need a baseline/);
    // A class no snapshot has: a LimitError naming the closest classes, unless allowAbsent.
    const typo = await b.check({ maxCount: { Kep: 0 } }).catch((e: unknown) => e);
    expect(typo).toBeInstanceOf(LimitError);
    expect((typo as LimitError).kind).toBe("maxCount");
    expect((typo as LimitError).suggestions[0]).toBe("Keep (35)");
    expect(await b.check({ maxCount: { Kep: 0 }, allowAbsent: true })).toMatchObject({ passed: true, counts: { Kep: 0 } });
    // Retained limits use retained sizes per class name (needs the dominators).
    const retained = await b.check({ maxRetained: { Keep: 1 } });
    expect(retained.violations[0]).toMatchObject({ className: "Keep", what: "retained size", bytes: true, limit: 1 });
    expect(retained.violations[0]!.actual).toBeGreaterThan(1);
  });

  it("leaks() is the CLI's `leaks --json`, with the grouped paths of the largest classes", async () => {
    const [a, b, c] = await Promise.all(files.map((f) => openSnapshot(f)));
    const r = await cli(["leaks", ...files, "--json", "-q"]);
    expect(r.code, r.stderr).toBe(0);
    const report = await c!.leaks(a!, b!);
    expect(JSON.stringify({ leakedObjects: report.leakedObjects, groups: report.groups }, null, 2) + "\n").toBe(r.stdout);
    expect(report.groups.find((g) => g.className === "Keep")!.count).toBe(25);
    expect(report.explained.length).toBeGreaterThan(0);
    expect(report.explained.length).toBeLessThanOrEqual(LEAK_CLASSES_EXPLAINED);
  });

  it("leaks() explains the classes the program defines before Node's own, and says where each is defined", async () => {
    const files = writeGrowthSnapshots("api-timers", { timers: true });
    const [a, b, c] = await Promise.all(files.map((f) => openSnapshot(f)));
    const report = await c!.leaks(a!, b!, { explain: 2 });
    const byName = new Map(report.groups.map((g) => [g.className, g]));
    expect(byName.get("Watcher")).toMatchObject({ count: 12, script: expect.stringMatching(/api-timers\.cjs$/) });
    expect(byName.get("Timeout")).toMatchObject({ count: 12, script: "node:internal/timers" });
    expect(byName.get("Keep")!.script).toMatch(/api-timers\.cjs$/);
    // The Timeouts retain more than the Watchers; the Watchers are the program's.
    expect(report.groups.indexOf(byName.get("Timeout")!)).toBeLessThan(report.groups.indexOf(byName.get("Watcher")!));
    expect(report.explained.map((e) => e.targetGroups[0]!.className)).toEqual(["Keep", "Watcher"]);
    // By default both, and Node's Timeouts after them: the twelve in one timer list, one pattern
    // past the list's two ends whichever end reaches them.
    const all = await c!.leaks(a!, b!);
    const names = all.explained.map((e) => e.targetGroups[0]!.className);
    expect(names.slice(0, 2)).toEqual(["Keep", "Watcher"]);
    expect(names).toContain("Timeout");
    const timeouts = all.explained[names.indexOf("Timeout")]!;
    expect(timeouts.patterns.reduce((n, p) => n + p.targets, 0) + timeouts.patternsOmitted).toBe(12);
    for (const p of timeouts.patterns) {
      const into = p.steps[1]!.edge!;
      if (into.name === "_idleNext" || into.name === "_idlePrev") expect(into.otherName).toBeDefined();
    }
  });

  it("leaks() explains the program's own classes before generic ones that leaked more", async () => {
    const [a, b, c] = await Promise.all(writeGrowthSnapshots("api-arrays", { arrays: true }).map((f) => openSnapshot(f)));
    const report = await c!.leaks(a!, b!);
    // Object literals (named by their properties) and arrays leaked more bytes than Keep; Keep is
    // explained first, they after it.
    expect(report.groups.slice(0, 2).map((g) => g.className)).toEqual(["Array", "{list}"]);
    expect(report.groups.find((g) => g.className === "Keep")!.count).toBe(25);
    const explained = report.explained.map((e) => e.targetGroups[0]!.className);
    expect(explained.slice(0, 3)).toEqual(["Keep", "Array", "{list}"]);
    expect(report.explained[0]!.targets).toBe(25);
  });

  it("summary() is the CLI's `info --json` without the file's name and size", async () => {
    const s = await openSnapshot(files[1]);
    const r = await cli(["info", files[1], "--json", "--top", "4", "-q"]);
    const { file: _f, fileSize: _s, ...summary } = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(JSON.parse(JSON.stringify(await s.summary({ top: 4 })))).toEqual(summary);
  });

  it("newSince keeps only objects absent from the baseline and marks new nodes", async () => {
    const [a, b] = await Promise.all([openSnapshot(files[0]), openSnapshot(files[1])]);
    const all = b.select({ type: "Keep" });
    const g = await b.retainers({ type: "Keep", newSince: a }, { maxTargets: 100 });
    expect(g.matched).toBe(25);
    for (const t of g.targets) expect(a.has(t)).toBe(false);
    expect(all.filter((id) => !a.has(id))).toHaveLength(25);
    expect(g.nodes.filter((n) => n.isTarget).every((n) => n.isNew === true)).toBe(true);
    await expect(b.retainers({ type: "Drop", newSince: a })).rejects.toThrow(/none of the 15 matching objects is new/);
  });
});

describe("the helper thread's share begun while the matches are found", () => {
  it("a selection that matches nothing fails as before, and the next one gets the same answer", async () => {
    const two = await openSnapshot(SAMPLE, { parallel: true });
    await expect(two.retainers({ type: "NoSuchClassAnywhere" })).rejects.toThrow(QueryError);
    const g = await two.retainers({ type: "LeakyRequest" });
    expect(g.toJson()).toBe((await snap.retainers({ type: "LeakyRequest" })).toJson());
  });

  it("with a cache session, the analysis begun is the one the entry keeps", async () => {
    const file = join(tmp, "begun.heapsnapshot.gz");
    writeFileSync(file, readFileSync(SAMPLE));
    const old = Date.now() / 1000 - 3600;
    utimesSync(file, old, old);
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const dir = join(tmp, "cache-begun");
    const events: CacheEvent[] = [];
    const first = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const a = await openSnapshot(file, { cache: first, parallel: true });
    const json = (await a.retainers({ type: "LeakyRequest" })).toJson();
    expect(json).toBe((await snap.retainers({ type: "LeakyRequest" })).toJson());
    await first.flush();
    expect(events.map((e) => e.kind)).toEqual(["written"]);
    events.length = 0;
    const second = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const b = await openSnapshot(file, { cache: second, parallel: true });
    // The entry held the dominators (nothing begun, nothing new to write).
    expect((await b.retainers({ type: "LeakyRequest" })).toJson()).toBe(json);
    await second.flush();
    expect(events.map((e) => e.kind)).toEqual(["used"]);
  });
});

describe("the snapshot cache, through the library", () => {
  it("a CacheSession loads from the entry and keeps the analysis in it; nothing is written before flush()", async () => {
    const file = join(tmp, "cached.heapsnapshot.gz");
    writeFileSync(file, readFileSync(SAMPLE));
    const old = Date.now() / 1000 - 3600;
    utimesSync(file, old, old);
    // Entries are made only for files that stopped changing RACY_MS before they were read.
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const dir = join(tmp, "cache");
    const events: CacheEvent[] = [];
    const first = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const a = await openSnapshot(file, { cache: first });
    const types = await a.types({ top: 5 });
    expect(existsSync(dir) ? readdirSync(dir).filter((n) => n.endsWith(".brc")) : []).toEqual([]);
    await first.flush();
    expect(events.map((e) => (e.kind === "not-written" ? e.reason : e.kind))).toEqual(["written"]);
    events.length = 0;
    const second = new CacheSession(new SnapshotCache({ dir }), (e) => events.push(e));
    const b = await openSnapshot(file, { cache: second });
    expect(events.map((e) => e.kind)).toEqual(["used"]);
    // The entry held the dominators: the same answer, and nothing new to write.
    expect(await b.types({ top: 5 })).toEqual(types);
    expect(JSON.stringify(await b.retainers({ type: "LeakyRequest" }).then((g) => g.subgraph))).toBe(
      JSON.stringify((await snap.retainers({ type: "LeakyRequest" })).subgraph),
    );
    await second.flush();
    expect(events.map((e) => e.kind)).toEqual(["used"]);
  });
});

describe("built snapshots", () => {
  it("an id selection in a tiny snapshot", async () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global", { selfSize: 10 });
    const cache = b.node("object", "Map", { selfSize: 20 });
    const foo = b.node("object", "Foo", { selfSize: 30 });
    b.edge(b.root, global, "shortcut", "global");
    b.edge(b.gcRoots, global, "element", 1);
    b.edge(global, cache, "property", "cache");
    b.edge(cache, foo, "internal", "table");
    const file = join(tmp, "tiny.heapsnapshot");
    writeFileSync(file, b.serialize());
    const s = await openSnapshot(file);
    const fooId = s.select({ type: "Foo" })[0]!;
    const why = await s.why(fooId);
    expect(why[0]!.paths[0]!.map((h) => h.edgeName)).toEqual(["cache", "table"]);
    expect(why[0]!.dominators!.map((d) => d.className)).toContain("Map");
  });

  it("a stream that is not a snapshot is a one-line format error", async () => {
    const p = new PassThrough();
    p.end("not json");
    await expect(openSnapshot(p)).rejects.toThrow(/./);
    expect(existsSync(tmp)).toBe(true);
  });
});

describe("ids that cannot be trusted", () => {
  it("newSince with a baseline from another process is refused, as the CLI's --new-since", async () => {
    const other = join(tmp, "other.heapsnapshot");
    const b = new SnapshotBuilder();
    const g = b.node("object", "global", { selfSize: 10 });
    b.edge(b.gcRoots, g, "element", 1);
    for (let i = 0; i < 40; i++) b.edge(g, b.node("object", "Keep", { selfSize: 8 }), "element", i);
    writeFileSync(other, b.serialize());
    const snap2 = await openSnapshot(other);
    // A 40-object snapshot is too small for the id-trust check to judge; it refuses with a QueryError.
    await expect(snap2.retainers({ type: "Keep", newSince: snap })).rejects.toThrow(/IdMismatch|cannot be matched|new since|no objects/i);
    // The live case (ids reset in this process) throws the subclass, IdsResetError: test/api/live.test.ts.
    expect(new IdsResetError("x")).toBeInstanceOf(IdMismatchError);
  });
});

describe("startedWithExposeGc", () => {
  it("finds --expose-gc among Node's flags or in NODE_OPTIONS, in either spelling, and nothing else", () => {
    expect(startedWithExposeGc(["--expose-gc"], undefined)).toBe(true);
    expect(startedWithExposeGc([], "--max-old-space-size=4096 --expose_gc")).toBe(true);
    expect(startedWithExposeGc(["--inspect"], "")).toBe(false);
    expect(startedWithExposeGc([], "--expose-gc-extra --no-expose-gc")).toBe(false);
    expect(startedWithExposeGc([], undefined)).toBe(false);
  });
});
