/**
 * `types`, `diff`, `leaks`, `check` and `--new-since`, through the CLI run in this process (`main`).
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../helpers/cli.js";
import { writeGrowthSnapshots } from "../helpers/real-snapshot.js";
import { tempDir } from "../helpers/temp-dir.js";

const tmp = tempDir("backrefs-growth-");
let s1: string, s2: string, s3: string;
/** The same program in another process, and in one whose heap profiler was reset after its first snapshot. */
let o1: string, o2: string, r1: string, r2: string, r3: string;

beforeAll(() => {
  [s1, s2, s3] = writeGrowthSnapshots("cli-growth");
  [o1, o2] = writeGrowthSnapshots("cli-growth-other");
  [r1, r2, r3] = writeGrowthSnapshots("cli-growth-reset", { resetAfterFirst: true });
});

/** Exit 1, one line naming the cause (and both possible reasons, never just one), no output. */
function expectIdsRefused(r: { code: number; stdout: string; stderr: string }): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(
    /^backrefs: the object ids of .* and .* cannot be matched: .* — the snapshots come from different processes, or from one process whose heap profiler was reset/,
  );
}

function run(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: tmp });
}

describe("backrefs types / diff / leaks", () => {
  it("types: the class table, sortable, as text and JSON", async () => {
    const text = await run(["types", s2, "--top", "100"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/class\s+count\s+self size\s+retained size\s+distance/);
    expect(text.stdout).toMatch(/\n\s+Keep\s+35\s/);
    const j = JSON.parse((await run(["types", s2, "--json", "--sort", "count", "--top", "500"])).stdout);
    expect(j.find((c: { className: string }) => c.className === "Temp").count).toBe(40);
    for (let i = 1; i < j.length; i++) expect(j[i - 1].count).toBeGreaterThanOrEqual(j[i].count);
  });

  it("diff: new, deleted and deltas per class, what grew most first", async () => {
    const r = await run(["diff", s1, s2, "--top", "500"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/class\s+before\s+after\s+new\s+deleted\s+delta\s+size delta\s+retained delta/);
    expect(r.stdout).toMatch(/\n\s+Keep\s+10\s+35\s+25\s+0\s+\+25\s/);
    expect(r.stdout).toMatch(/\n\s+Drop\s+20\s+15\s+0\s+5\s+-5\s/);
    const j = JSON.parse((await run(["diff", s1, s2, "--json", "--no-retained"])).stdout);
    expect(j.sameProcess).toBe(true);
    expect(j.classes[0].delta).toBeGreaterThanOrEqual(j.classes[1].delta);
  });

  it("diff: engine internals hidden unless --all, shrinking listed as well as growth", async () => {
    const r = await run(["diff", s1, s2, "--top", "500", "--no-retained"]);
    expect(r.code, r.stderr).toBe(0);
    const [grew, shrank] = r.stdout.split(/\n\nShrank/);
    expect(grew).toMatch(/^Grew \(by object count\):\n/);
    expect(grew).toMatch(/\n\s+Keep\s+10\s+35\s/);
    expect(grew).not.toMatch(/Drop/);
    expect(shrank).toMatch(/\n\s+Drop\s+20\s+15\s+0\s+5\s+-5\s/);
    expect(r.stdout).not.toMatch(/\(compiled code\)|\(system\)|\(object shape\)/);
    expect(r.stdout).toMatch(/engine internals left out \(--all shows them\)/);
    const all = await run(["diff", s1, s2, "--top", "500", "--no-retained", "--all"]);
    expect(all.stdout).toMatch(/\(compiled code\)|\(system\)/);
    // --top cuts each list, and says how many it left out
    const top = await run(["diff", s1, s2, "--top", "1", "--no-retained"]);
    expect(top.stdout).toMatch(/^Grew \(by object count\) — top 1 of \d+:\n.*\n\s+Temp\s/);
    expect(top.stdout).toMatch(/\d+ more classes changed but are not listed/);
  });

  it("diff --sort: by new objects (deleted for what shrank), self size, retained size and its growth", async () => {
    const byNew = await run(["diff", s1, s2, "--sort", "new", "--no-retained"]);
    expect(byNew.code, byNew.stderr).toBe(0);
    expect(byNew.stdout).toMatch(/^New objects[^\n]*\n[^\n]*\n\s+Temp\s+0\s+40\s+40\s/);
    expect(byNew.stdout).toMatch(/Deleted objects[^\n]*\n[^\n]*\n(\s+.*\n)*\s+Drop\s+20\s+15\s+0\s+5\s/);
    const sorted = async (key: string, field: (c: Record<string, number>) => number): Promise<void> => {
      const j = JSON.parse((await run(["diff", s1, s2, "--sort", key, "--json"])).stdout);
      expect(j.sort).toBe(key);
      const byName = new Map(j.classes.map((c: { className: string }) => [c.className, c]));
      const values = j.grew.map((n: string) => field(byName.get(n) as Record<string, number>));
      expect(values.length).toBeGreaterThan(1);
      for (let i = 1; i < values.length; i++) expect(values[i - 1]).toBeGreaterThanOrEqual(values[i]);
      expect(values.every((v: number) => v > 0)).toBe(true);
    };
    await sorted("self", (c) => c.selfSizeDelta!);
    await sorted("retained-growth", (c) => c.retainedSizeDelta!);
    await sorted("retained", (c) => c.retainedSizeAfter!);
    await sorted("new", (c) => c.new!);
    // retained sorts need retained sizes
    expect((await run(["diff", s1, s2, "--sort", "retained", "--no-retained"])).code).toBe(2);
    expect((await run(["diff", s1, s2, "--sort", "size"])).code).toBe(2);
  });

  it("diff --json lists every changed class, or says how many it left out", async () => {
    const j = JSON.parse((await run(["diff", s1, s2, "--json", "--no-retained"])).stdout);
    const names = j.classes.map((c: { className: string }) => c.className);
    expect(names).toEqual(expect.arrayContaining(["Keep", "Temp", "Drop"]));
    expect(new Set(names).size).toBe(names.length);
    expect(j.classesOmitted).toBe(0);
    expect(j.classes.length).toBeGreaterThan(20); // more than the text's default --top
    for (const c of j.classes) expect(c.delta !== 0 || c.new > 0 || c.deleted > 0 || c.selfSizeDelta !== 0).toBe(true);
    expect(j.unchangedClasses).toBeGreaterThan(0);
    const cut = JSON.parse((await run(["diff", s1, s2, "--json", "--no-retained", "--top", "1"])).stdout);
    expect(cut.grew).toEqual(["Temp"]);
    expect(cut.shrank).toHaveLength(1);
    expect(cut.classes).toHaveLength(2);
    expect(cut.classesOmitted).toBe(j.classes.length - 2);
  });

  it("leaks: MemLab's three-snapshot method", async () => {
    const r = await run(["leaks", s1, s2, s3, "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const keep = j.groups.find((g: { className: string }) => g.className === "Keep");
    expect(keep.count).toBe(25);
    expect(j.groups.find((g: { className: string }) => g.className === "Temp")).toBeUndefined();
    const text = await run(["leaks", s1, s2, s3]);
    expect(text.stderr).toMatch(/why is it alive: backrefs why .* --id @\d+/);
    // Why they are alive: the 25 new Keeps grouped by path, cut where the old array holds new objects.
    expect(text.stdout).toMatch(/\n {2}25 × Keep \(retained [^)]+\) ← \[\*\] ✂ cut here ← Array ← \.kept ← global\n/);
  });

  it("leaks explains the program's own class first, and its `why` hint names one of its objects", async () => {
    // Arrays and object literals (named by their properties) leaked more bytes than Keep.
    const [a, b, c] = writeGrowthSnapshots("cli-growth-arrays", { arrays: true });
    const j = JSON.parse((await run(["leaks", a, b, c, "--json"])).stdout);
    expect(j.groups.slice(0, 2).map((g: { className: string }) => g.className)).toEqual(["Array", "{list}"]);
    const keep = j.groups.find((g: { className: string }) => g.className === "Keep");
    const text = await run(["leaks", a, b, c]);
    expect(text.stdout.split("Why they are alive")[1]).toMatch(/^[^]*?\n25 × Keep /);
    const hint = /why is it alive: backrefs why .* --id @(\d+)/.exec(text.stderr);
    expect(keep.exampleIds).toContain(Number(hint![1]));
  });

  it("leaks explains the script's own classes before Node's, and names those it does not explain with the flag that does", async () => {
    const [a, b, c] = writeGrowthSnapshots("cli-growth-timers", { timers: true });
    const text = await run(["leaks", a, b, c, "--explain", "1"]);
    expect(text.code, text.stderr).toBe(0);
    const why = text.stdout.split("Why they are alive")[1]!;
    expect(why).toMatch(/\n25 × Keep /);
    expect(why).not.toMatch(/\n12 × Watcher /);
    // Watcher first, then Node's own (the Timeouts and their list), largest first.
    expect(why).toMatch(/\nNot explained: Watcher, [^\n]*\bTimeout\b[^\n]* \(--explain (\d+) explains them too\)\n/);
    const more = /--explain (\d+) explains them too/.exec(why)![1]!;
    const all = await run(["leaks", a, b, c, "--explain", more]);
    expect(all.stdout).toMatch(/\n12 × Watcher [^\n]*\n\n {2}12 × Watcher /);
    expect(all.stdout).not.toMatch(/Not explained/);
    const j = JSON.parse((await run(["leaks", a, b, c, "--json"])).stdout);
    expect(j.groups.find((g: { className: string }) => g.className === "Timeout").script).toBe("node:internal/timers");
  });

  it("--new-since draws only objects allocated after the baseline, and marks what is new", async () => {
    const r = await run([s2, "--type", "Keep", "--new-since", s1, "--format", "json", "-o", "-", "--max-targets", "30"]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.targets).toHaveLength(25);
    const targets = j.nodes.filter((n: { isTarget: boolean }) => n.isTarget);
    expect(targets.every((n: { isNew: boolean }) => n.isNew)).toBe(true);
    expect(j.nodes.some((n: { isNew: boolean }) => !n.isNew)).toBe(true); // the old array holding them
    const svg = join(tmp, "new-keep.svg");
    expect((await run([s2, "--type", "Keep", "--new-since", s1, "-o", svg])).code).toBe(0);
    expect(readFileSync(svg, "utf8")).toMatch(/NEW since baseline/);
    const none = await run([s2, "--type", "Drop", "--new-since", s1]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/none of the 15 matching objects is new since the baseline/);
  });
});

describe("snapshots whose ids cannot be matched", () => {
  it("leaks refuses a baseline from another process or from before a profiler reset, and a foreign final snapshot", async () => {
    expectIdsRefused(await run(["leaks", o1, s2, s3]));
    expectIdsRefused(await run(["leaks", r1, r2, r3]));
    expectIdsRefused(await run(["leaks", s1, o2, o2]));
    expectIdsRefused(await run(["leaks", s1, s2, o2, "--json"]));
  });

  it("--new-since refuses them instead of drawing old objects as new", async () => {
    expectIdsRefused(await run([s2, "--type", "Keep", "--new-since", o1, "--format", "json", "-o", "-"]));
    const out = join(tmp, "reset-new.svg");
    expectIdsRefused(await run([r2, "--type", "Keep", "--new-since", r1, "-o", out]));
    expect(existsSync(out)).toBe(false);
  });

  it("check --baseline refuses them rather than pass (or fail) on ids that mean other objects", async () => {
    expectIdsRefused(await run(["check", s2, "--baseline", o1, "--max-growth", "Keep=100"]));
    expectIdsRefused(await run(["check", r2, "--baseline", r1, "--max-growth", "Keep=100"]));
    expectIdsRefused(await run(["check", r2, "--baseline", r1, "--max-count", "Keep=100"]));
  });

  it("diff falls back to counts per class, and says why without claiming which cause", async () => {
    const r = await run(["diff", r1, r2, "--top", "500"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^Objects cannot be matched by id: .*name the same object.*\. The snapshots come from different\nprocesses, or from one process whose heap profiler was reset/,
    );
    expect(r.stdout).toMatch(/class\s+before\s+after\s+delta/);
    expect(r.stdout).not.toMatch(/\bnew\s+deleted\b/);
    const j = JSON.parse((await run(["diff", s1, o2, "--json", "--no-retained"])).stdout);
    expect(j).toMatchObject({ sameProcess: false, idsComparable: false });
    expect(j.idsMismatch).toMatch(/name the same object/);
    expect(j.classes.find((c: { className: string }) => c.className === "Keep")).toMatchObject({
      countBefore: 10,
      countAfter: 35,
      new: null,
      deleted: null,
    });
  });
});

describe("backrefs check (CI gate)", () => {
  it("passes within the limits (exit 0)", async () => {
    const r = await run(["check", s2, "--max-count", "Keep=35", "--max-retained", "Keep=10MB"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/passed \(2 limits\)/);
    const one = await run(["check", s2, "--max-count", "Keep=35"]);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stderr).toMatch(/passed \(1 limit\)\n/);
  });

  it("fails with exit 3, says why, and writes the retainer picture next to the message", async () => {
    // The picture folder is made, with its parents, when it does not exist yet (a CI artifact folder).
    const dir = join(mkdtempSync(join(tmp, "pics-")), "ci", "artifacts");
    const r = await run(["check", s2, "--max-count", "Keep=30", "--picture-dir", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/FAIL Keep count 35 > 30 — what retains it: .*backrefs-Keep\.svg/);
    expect(existsSync(join(dir, "backrefs-Keep.svg"))).toBe(true);
    const growth = await run([
      "check",
      s2,
      "--baseline",
      s1,
      "--max-growth",
      "Keep=20",
      "--max-growth",
      "Drop=0",
      "--picture-dir",
      dir,
      "--json",
    ]);
    expect(growth.code).toBe(3);
    const verdict = JSON.parse(growth.stdout);
    expect(verdict.passed).toBe(false);
    expect(verdict.violations).toHaveLength(1);
    expect(verdict.violations[0]).toMatchObject({ className: "Keep", what: "growth", actual: 25, limit: 20 });
    const picture = readFileSync(join(dir, "backrefs-Keep.svg"), "utf8");
    expect(picture).toMatch(/NEW since baseline/);
    // 25 new objects, more than one picture draws one by one: the grouped picture, cut where they attach.
    expect(picture).toMatch(/25 matching objects, 1 retaining pattern/);
    expect(picture).toMatch(/cut here/);
  });

  it("a limit on a class no snapshot has is a usage error with the closest names, unless --allow-absent", async () => {
    const typo = await run(["check", s2, "--baseline", s1, "--max-growth", "Kep=0"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(
      /^backrefs: --max-growth Kep: no class 'Kep' in either snapshot, so this limit could never fail; did you mean Keep \(35\)/,
    );
    const count = await run(["check", s2, "--max-count", "Keep=100", "--max-count", "Tmep=0"]);
    expect(count.code).toBe(2);
    expect(count.stderr).toMatch(/--max-count Tmep: no class 'Tmep' in the snapshot.*did you mean Temp \(40\)/);
    // Temp is gone from s3 but was in s2: a growth limit on it is fine
    expect((await run(["check", s3, "--baseline", s2, "--max-growth", "Temp=0"])).code).toBe(0);
    const allowed = await run(["check", s2, "--max-count", "DetachedWindow=0", "--allow-absent"]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stderr).toMatch(/passed/);
  });

  it("usage errors exit 2", async () => {
    expect((await run(["check", s2])).code).toBe(2);
    expect((await run(["check", s2, "--max-growth", "Keep=1"])).code).toBe(2);
    expect((await run(["check", s2, "--max-count", "Keep"])).code).toBe(2);
    expect((await run(["check", s2, "--max-retained", "Keep=lots"])).code).toBe(2);
  });
});
