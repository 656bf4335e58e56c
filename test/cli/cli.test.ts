/**
 * The command line: in this process through `main(argv, streams)`, and as the real binary where a
 * process is what is tested (needs `tsc` to have built dist/: `npm test` does).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileError } from "../../src/snapshot/read.js";
import { describe, expect, it } from "vitest";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { BIN, ROOT, runCli, spawnCli, type CliResult } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = join(ROOT, "samples/leak.heapsnapshot.gz");
const tmp = tempDir("backrefs-cli-");

/**
 * The CLI in this process; with `input` (standard input), the real binary. The binary itself (the
 * shim, exit status, a real process' stdin) is covered below and in interrupt/hygiene tests.
 */
async function run(args: string[], input?: string | Buffer, env: Record<string, string> = {}): Promise<CliResult> {
  return input === undefined ? runCli(args, { cwd: tmp, env }) : spawnCli(args, { cwd: tmp, input, env });
}

function expectOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^backrefs: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe("backrefs CLI: usage", () => {
  it("--help and <command> --help show usage with an example", async () => {
    const top = await run(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: backrefs/);
    const info = await run(["info", "--help"]);
    expect(info.code).toBe(0);
    expect(info.stdout).toMatch(/Examples:\n\s+backrefs info /);
    const draw = await run(["draw", "--help"]);
    expect(draw.stdout).toMatch(/--type <class>/);
    expect(draw.stdout).toMatch(/backrefs app.heapsnapshot --type LeakyRequest -o leak.svg/);
  });

  it("--version prints the package version", async () => {
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("a usage error exits 2 with a one-line message and a hint", async () => {
    const r = await run(["info", "x.heapsnapshot", "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^backrefs: unknown option '--bogus'\n\(run 'backrefs --help' for usage\)\n$/);
    expect((await run(["info"])).code).toBe(2);
    expect((await run([SAMPLE, "--type", "X", "--depth", "abc"])).code).toBe(2);
  });
});

describe("the real binary (bin/backrefs.js over dist/)", () => {
  it("is the same program: its version, its answers, and exit codes 1, 2 and 3 from a real process", async () => {
    expect(spawnCli(["--version"]).stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
    const args = [SAMPLE, "--type", "LeakyRequest", "--max-targets", "1", "--each"];
    const spawned = spawnCli(args, { cwd: tmp });
    const inProcess = await run(args);
    expect(spawned.code, spawned.stderr).toBe(0);
    expect(spawned.stdout).toBe(inProcess.stdout);
    expect(spawned.stderr).toBe(inProcess.stderr);
    expectOneLineError(spawnCli(["info", join(tmp, "nope.heapsnapshot")], { cwd: tmp }), 1, /no such file/);
    expect(spawnCli(["info", SAMPLE, "--bogus"], { cwd: tmp }).code).toBe(2);
    const gate = spawnCli(["check", SAMPLE, "--max-count", "LeakyRequest=1", "--picture-dir", tmp, "-q"], { cwd: tmp });
    expect(gate.code, gate.stderr).toBe(3);
    expect(gate.stderr).toMatch(/FAIL LeakyRequest count 200 > 1/);
  });
});

describe("backrefs info", () => {
  it("summarises the sample snapshot", async () => {
    const r = await run(["info", SAMPLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/nodes, .* edges/);
    expect(r.stdout).toMatch(/Top 10 classes by count:/);
    expect(r.stdout).toMatch(/node fields: type, name, id, self_size, edge_count/);
  });

  it("--json has the documented keys, and reads standard input", async () => {
    const r = await run(["info", SAMPLE, "--json", "--top", "3"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    for (const key of ["nodeCount", "edgeCount", "totalSelfSize", "nodeFields", "topClasses"]) expect(j).toHaveProperty(key);
    expect(j.topClasses).toHaveLength(3);
    expect(Object.keys(j.topClasses[0])).toEqual(expect.arrayContaining(["className", "count", "selfSize", "retainedSize"]));
    expect(j.topClassesByRetainedSize[0].className).toBe("global");
    const counts = JSON.parse((await run(["info", SAMPLE, "--json", "--no-retained"])).stdout);
    expect(Object.keys(counts.topClasses[0]).sort()).toEqual(["className", "count", "selfSize"]);
    const fromStdin = await run(["info", "-", "--json"], readFileSync(SAMPLE));
    expect(JSON.parse(fromStdin.stdout).nodeCount).toBe(j.nodeCount);
  });

  it("a file without read permission is one line and exit 1", async () => {
    const dir = tempDir("backrefs-perm-");
    chmodSync(dir, 0o755);
    const locked = join(dir, "locked.heapsnapshot");
    writeFileSync(locked, readFileSync(SAMPLE));
    chmodSync(locked, 0o000);
    // root reads anything: then run as "nobody" — who must be able to reach the program itself,
    // and node
    const root = process.getuid?.() === 0;
    const reachable = (d: string): boolean => (statSync(d).mode & 0o005) === 0o005 && (dirname(d) === d || reachable(dirname(d)));
    if (!root || (reachable(ROOT) && reachable(dirname(process.execPath)))) {
      const asUser = root ? { uid: 65534, gid: 65534 } : {};
      const r = spawnSync(process.execPath, [BIN, "info", locked], { ...asUser, cwd: dir, env: { ...process.env, NO_COLOR: "1" } });
      expect(r.status).toBe(1);
      expect(r.stderr.toString()).toMatch(/^backrefs: .*locked\.heapsnapshot: permission denied — check the file's read permission\n$/);
    }
    // (the message itself, whoever runs the tests)
    expect(fileError(locked, Object.assign(new Error("x"), { code: "EACCES" })).message).toBe(`${locked}: permission denied`);
  });

  it("a bad, missing or directory input is one line and exit 1", async () => {
    expectOneLineError(await run(["info", join(tmp, "nope.heapsnapshot")]), 1, /no such file/);
    expectOneLineError(await run(["info", tmp]), 1, /is a directory/);
    const notJson = join(tmp, "notjson.heapsnapshot");
    writeFileSync(notJson, "hello");
    expectOneLineError(await run(["info", notJson]), 1, /not JSON.*at byte 0/);
    const truncated = join(tmp, "truncated.heapsnapshot");
    writeFileSync(truncated, new SnapshotBuilder().serialize().slice(0, 300));
    expectOneLineError(await run(["info", truncated]), 1, /ends too early.*at byte 300/);
  });
});

describe("backrefs <snapshot> --type (the main job)", () => {
  it("prints the retaining paths as text without -o, with a hint to draw them", async () => {
    const r = await run([SAMPLE, "--type", "LeakyRequest", "--max-targets", "1", "--each"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^LeakyRequest @\d+ /);
    expect(r.stdout).toMatch(/└─ \.requestCache → Map @\d+/);
    expect(r.stderr).toMatch(/200 objects matched; drew the 1 with the largest retained sizes/);
    expect(r.stderr).toMatch(/draw it: backrefs .* --type LeakyRequest -o retainers.svg/);
  });

  it("writes DOT, SVG, PNG and JSON by extension, byte-identical on a second run", async () => {
    for (const ext of ["dot", "svg", "png", "json"]) {
      const out = join(tmp, `leak.${ext}`);
      const r = await run([SAMPLE, "--type", "LeakyRequest", "--each", "-o", out]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`10 targets, \\d+ nodes, \\d+ edges.*→ .*leak\\.${ext} \\(${ext}\\)\\n$`));
      const first = readFileSync(out);
      await run([SAMPLE, "--type", "LeakyRequest", "--each", "-o", out]);
      expect(readFileSync(out).equals(first)).toBe(true);
    }
    expect(readFileSync(join(tmp, "leak.png")).subarray(1, 4).toString()).toBe("PNG");
    expect(readFileSync(join(tmp, "leak.svg"), "utf8")).toMatch(/^<\?xml|^<svg/);
    expect(readFileSync(join(tmp, "leak.dot"), "utf8")).toMatch(/^digraph/);
    const j = JSON.parse(readFileSync(join(tmp, "leak.json"), "utf8"));
    expect(j.targets).toHaveLength(10);
    expect(Object.keys(j.nodes[0])).toEqual(expect.arrayContaining(["id", "className", "type", "name", "selfSize", "isTarget", "isRoot"]));
    expect(Object.keys(j.edges[0])).toEqual(expect.arrayContaining(["from", "to", "type", "name"]));
    expect(j.limitsReached.targetsOmitted).toBe(190);
    // every edge's ends are nodes of the graph, and the retainer is "from"
    const ids = new Set(j.nodes.map((n: { id: number }) => n.id));
    for (const e of j.edges) expect(ids.has(e.from) && ids.has(e.to)).toBe(true);
  }, 300_000); // eight runs of the binary: over a minute on a busy 2-core machine

  it("--format overrides the extension and -o - writes to stdout", async () => {
    const r = await run([SAMPLE, "--id", "@1", "--format", "json", "-o", "-", "--path-only"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).targets).toEqual([1]);
  });

  it("no match: exit 1, a suggestion, and no output file", async () => {
    const out = join(tmp, "none.svg");
    const r = await run([SAMPLE, "--type", "LeakyReq", "-o", out]);
    expectOneLineError(r, 1, /no objects of class 'LeakyReq'; did you mean LeakyRequest \(200\)/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("backrefs why", () => {
  it("explains an object: paths, distance, dominator chain; --json with the documented keys", async () => {
    const r = await run(["why", SAMPLE, "--type", "LeakyRequest", "--paths", "2", "--max-targets", "1"]);
    expect(r.code, r.stderr).toBe(0);
    // 200 match, one is explained: every match is first printed grouped by retaining path.
    expect(r.stdout).toMatch(/^200 × LeakyRequest \(retained [^)]+\) — 1 retaining pattern/);
    expect(r.stdout).toMatch(/\nLeakyRequest @\d+ 64 B \(retained \d+ B\) — distance \d+, 2 direct retainers/);
    expect(r.stdout).toMatch(/path 1 of 2:[\s\S]*\.requestCache → Map/);
    expect(r.stdout).toMatch(/path 2 of 2:[\s\S]*->req → LeakyRequest/);
    expect(r.stdout).toMatch(/dominated by/);
    const j = JSON.parse((await run(["why", SAMPLE, "--type", "LeakyRequest", "--json", "--max-targets", "2"])).stdout);
    expect(j).toHaveLength(2);
    for (const key of ["id", "className", "selfSize", "retainedSize", "distance", "dominatorId", "paths"]) expect(j[0]).toHaveProperty(key);
    const byId = JSON.parse((await run(["why", SAMPLE, "--id", `@${j[0].id}`, "--id", String(j[1].id), "--json"])).stdout);
    expect(byId.map((e: { id: number }) => e.id).sort()).toEqual([j[0].id, j[1].id].sort());
  });

  it("needs objects, and says what is wrong in one line", async () => {
    expectOneLineError(await run(["why", SAMPLE]), 2, /why needs objects/); // a usage error
    expectOneLineError(await run(["why", SAMPLE, "--id", "@999999999"]), 1, /no object with id @999999999/);
  });

  it("the JSON graph gains retained size, distance, dominator and the dominator edge", async () => {
    const j = JSON.parse((await run([SAMPLE, "--type", "LeakyRequest", "--each", "--format", "json", "-o", "-"])).stdout);
    const target = j.nodes.find((n: { isTarget: boolean }) => n.isTarget);
    expect(target.retainedSize).toBeGreaterThanOrEqual(target.selfSize);
    expect(typeof target.distance).toBe("number");
    expect(typeof target.dominatorId).toBe("number");
    expect(j.edges.some((e: { isDominatorEdge?: boolean }) => e.isDominatorEdge)).toBe(true);
    const fast = JSON.parse(
      (await run([SAMPLE, "--type", "LeakyRequest", "--each", "--format", "json", "-o", "-", "--no-retained"])).stdout,
    );
    expect(fast.nodes[0].retainedSize).toBeUndefined();
  });
});

describe("the edges worker (files of 64 MB and more, or BACKREFS_PARALLEL=1)", () => {
  const plain = join(tmp, "leak.heapsnapshot");
  writeFileSync(plain, gunzipSync(readFileSync(SAMPLE)));

  it("gives exactly what one thread gives", async () => {
    const one = await run(["info", plain, "--json"], undefined, { BACKREFS_PARALLEL: "0" });
    const two = await run(["info", plain, "--json"], undefined, { BACKREFS_PARALLEL: "1" });
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const drawOne = await run([plain, "--type", "LeakyRequest", "--format", "json", "-o", "-"], undefined, { BACKREFS_PARALLEL: "0" });
    const drawTwo = await run([plain, "--type", "LeakyRequest", "--format", "json", "-o", "-"], undefined, { BACKREFS_PARALLEL: "1" });
    expect(drawTwo.stdout).toBe(drawOne.stdout);
  });

  it('is not fooled by an earlier "edges" key, and reports truncation the same way', async () => {
    const text = readFileSync(plain, "latin1");
    const decoy = join(tmp, "decoy.heapsnapshot");
    const header = text.indexOf('"nodes":[');
    writeFileSync(decoy, Buffer.from(text.slice(0, header) + '"decoy":{"edges":[1,2,3]},' + text.slice(header), "latin1"));
    const one = await run(["info", decoy, "--json", "--no-retained"], undefined, { BACKREFS_PARALLEL: "0" });
    const two = await run(["info", decoy, "--json", "--no-retained"], undefined, { BACKREFS_PARALLEL: "1" });
    expect(two.code, two.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const cut = join(tmp, "cut-in-edges.heapsnapshot");
    writeFileSync(cut, Buffer.from(text.slice(0, text.indexOf('"edges":[') + 5000), "latin1"));
    const a = await run(["info", cut], undefined, { BACKREFS_PARALLEL: "0" });
    const b = await run(["info", cut], undefined, { BACKREFS_PARALLEL: "1" });
    expectOneLineError(b, 1, /ends too early/);
    expect(b.stderr).toBe(a.stderr);
  });

  it("reports a broken edges section the same way, with its byte offset", async () => {
    const text = readFileSync(plain, "latin1");
    const at = text.indexOf('"edges":[') + 9 + 200;
    const broken = join(tmp, "broken-edges.heapsnapshot");
    writeFileSync(broken, Buffer.from(text.slice(0, at) + "x" + text.slice(at + 1), "latin1"));
    const one = await run(["info", broken], undefined, { BACKREFS_PARALLEL: "0" });
    const two = await run(["info", broken], undefined, { BACKREFS_PARALLEL: "1" });
    expectOneLineError(two, 1, /in "edges" at byte \d+/);
    expect(two.stderr).toBe(one.stderr);
  });
});
