/**
 * The snapshot cache from the command line (in this process through `main`; the real binary,
 * which `npm test` builds, where two processes or standard input are what is tested):
 * the same answers with and without it, what it says on stderr, the switches that turn it off,
 * `backrefs cache`, a cache directory that cannot be written, and two processes writing one entry
 * at once. Every run has its own temporary cache directory (vitest.config.ts turns the cache off
 * for every other test).
 */
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync, chmodSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT, runCli, spawnCli } from "../helpers/cli.js";
import { RACY_MS } from "../../src/cache/store.js";
import { CACHE_FORMAT } from "../../src/cache/entry.js";
import { resealEntry, sampledNodes } from "../helpers/cache-entries.js";
import { tempDir } from "../helpers/temp-dir.js";

const tmp = tempDir("backrefs-cli-cache-");
const SNAP = join(tmp, "leak.heapsnapshot.gz");
let dirs = 0;
const freshDir = (): string => join(tmp, `cache-${dirs++}`);

/**
 * A copy of a sample (the leak sample unless `from` is given) under another name (the same objects
 * and ids, as a later snapshot of one process that freed and made nothing), changed long enough ago
 * to be cached.
 */
async function laterCopy(name: string, from = SNAP): Promise<string> {
  const later = join(tmp, name);
  copyFileSync(from, later);
  const old = Date.now() / 1000 - 3600;
  utimesSync(later, old, old);
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
  return later;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

function env(dir: string | null, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", DEBUG: "", BACKREFS_CACHE: dir === null ? "0" : "1", BACKREFS_CACHE_DIR: dir ?? "", ...extra };
}

/** The CLI in this process (`main`), with the cache in `dir` (null: off). */
function run(args: string[], dir: string | null, extra: Record<string, string> = {}): Promise<Run> {
  return runCli(args, { cwd: tmp, env: { BACKREFS_CACHE: dir === null ? "0" : "1", BACKREFS_CACHE_DIR: dir ?? "", ...extra } });
}

function runAsync(args: string[], dir: string): Promise<Run> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env: env(dir) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    p.stdout.on("data", (b: Buffer) => out.push(b));
    p.stderr.on("data", (b: Buffer) => err.push(b));
    p.on("close", (code) => {
      const raw = Buffer.concat(out);
      done({ code: code ?? -1, stdout: raw.toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), raw });
    });
  });
}

/** These tests spawn the binary many times: on a loaded 2-core machine that takes minutes. */
const SLOW = 300_000;

const entries = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith(".brc"));

/** The file position of a section of an entry, from its header. */
function sectionAt(entry: string, section: string): number {
  const buf = readFileSync(entry);
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as { sections: { name: string; offset: number }[] };
  const s = header.sections.find((r) => r.name === section);
  if (!s) throw new Error(`no section ${section}`);
  return ((16 + len + 7) & ~7) + s.offset;
}

beforeAll(async () => {
  copyFileSync(join(ROOT, "samples/leak.heapsnapshot.gz"), SNAP);
  const old = Date.now() / 1000 - 3600;
  utimesSync(SNAP, old, old);
  // Entries are written only for files whose last change is RACY_MS old.
  await new Promise((r) => setTimeout(r, RACY_MS + 200));
});

/** Every command that reads a snapshot, with output that must not depend on the cache. */
const COMMANDS: string[][] = [
  ["info", SNAP, "--json"],
  ["info", SNAP, "--no-retained"],
  ["types", SNAP, "--json", "--top", "15"],
  ["why", SNAP, "--type", "LeakyRequest", "--json"],
  [SNAP, "--type", "LeakyRequest", "-o", "-", "--format", "dot"],
  [SNAP, "--type", "LeakyRequest", "-o", "-", "--format", "json", "--no-retained"],
  [SNAP, "--type", "LeakyRequest"],
  ["check", SNAP, "--max-count", "LeakyRequest=100000", "--json"],
];

describe("backrefs with the snapshot cache", { timeout: SLOW }, () => {
  it("answers byte for byte as without it, first look and second look, and says so on stderr", async () => {
    const dir = freshDir();
    const without: Run[] = [];
    for (const args of COMMANDS) without.push(await run(args, null));
    for (const r of without) {
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/cache:/);
    }
    // The first command writes the entry; the ones after use it (and add what they compute).
    const first = await run(COMMANDS[0]!, dir);
    expect(first.stderr).toMatch(/^cache: wrote .*\.brc \([\d.]+ [kM]B in [\d.]+ s; the cache holds [\d.]+ [kM]B of 4\.0 GB\)$/m);
    expect(first.raw.equals(without[0]!.raw)).toBe(true);
    expect(entries(dir)).toHaveLength(1);
    for (const [i, args] of COMMANDS.entries()) {
      const r = await run(args, dir);
      expect(r.code, args.join(" ")).toBe(without[i]!.code);
      expect(r.raw.equals(without[i]!.raw), args.join(" ")).toBe(true);
      expect(r.stderr, args.join(" ")).toMatch(/^cache: used .*\.brc \([\d.]+ [kM]B, read in [\d.]+ s\)$/m);
      expect(r.stderr).not.toMatch(/cache: wrote/);
      expect(r.stderr.replace(/^cache: .*\n/gm, "")).toBe(without[i]!.stderr);
    }
  });

  it("a block found damaged while the command runs: the command runs again from the snapshot, said so, and the entry is rewritten", async () => {
    const dir = freshDir();
    // One object at a time: the picture walks the retainers (a grouped picture follows the distance
    // tree and need not read the edges' targets at all).
    const svg = (name: string): string[] => [SNAP, "--type", "LeakyRequest", "--each", "-o", join(tmp, name)];
    const expected = await run(svg("plain.svg"), null);
    await run(["info", SNAP, "--json"], dir);
    // The edges' targets are read when the picture walks the retainers, long after the entry was opened.
    const [name] = entries(dir);
    const path = join(dir, name!);
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[sectionAt(path, "edge.to") + 5]! ^= 0x10;
    writeFileSync(path, bad);
    const d = await run(svg("damaged.svg"), dir);
    expect(d.code).toBe(0);
    expect(d.stderr).toMatch(/^cache: used .*\.brc/m);
    expect(d.stderr).toMatch(/^cache: ignored .*\.brc \(section edge\.to is damaged \(checksum of block 0\)\); reading the snapshot$/m);
    expect(d.stderr).toMatch(/cache: wrote/);
    expect(readFileSync(join(tmp, "damaged.svg")).equals(readFileSync(join(tmp, "plain.svg")))).toBe(true);
    expect(d.stderr.replace(/^cache: .*\n/gm, "").replace("damaged.svg", "plain.svg")).toBe(expected.stderr);
    // Rewritten: the next command uses it.
    const again = await run(svg("again.svg"), dir);
    expect(again.stderr).toMatch(/cache: used/);
    expect(again.stderr).not.toMatch(/cache: (ignored|wrote)/);
    expect(readFileSync(join(tmp, "again.svg")).equals(readFileSync(join(tmp, "plain.svg")))).toBe(true);
    // Truncated: found when the entry is opened (its layout says how long it must be).
    writeFileSync(path, good.subarray(0, sectionAt(path, "edge.to") + 100));
    const t = await run(svg("truncated.svg"), dir);
    expect(t.stderr).toMatch(/cache: ignored .*(truncated|past the end)/);
    expect(readFileSync(join(tmp, "truncated.svg")).equals(readFileSync(join(tmp, "plain.svg")))).toBe(true);
  });

  it("list bits that are not the distances', with checksums that match: the entry is ignored, said so, and rewritten; the picture is the one without the cache", async () => {
    const dir = freshDir();
    const svg = (name: string): string[] => [SNAP, "--type", "LeakyRequest", "-o", join(tmp, name)];
    const expected = await run(svg("tree-plain.svg"), null);
    await run(["info", SNAP, "--json"], dir);
    const [name] = entries(dir);
    const path = join(dir, name!);
    // Every node marked as a possible list head (as a writer with a bug could leave them: every
    // checksum right).
    resealEntry(path, (sections) => (sections.get("analysis.treeList") as Uint8Array).fill(0xff));
    const d = await run(svg("tree-damaged.svg"), dir);
    expect(d.code).toBe(0);
    expect(d.stderr).toMatch(
      /^cache: ignored .*\.brc \(the stored distance tree does not match the edges: node \d+ is marked as a possible list head but (is none|has no tree edge)\); reading the snapshot$/m,
    );
    expect(d.stderr).toMatch(/cache: wrote/);
    expect(readFileSync(join(tmp, "tree-damaged.svg")).equals(readFileSync(join(tmp, "tree-plain.svg")))).toBe(true);
    expect(d.stderr.replace(/^cache: .*\n/gm, "").replace("tree-damaged.svg", "tree-plain.svg")).toBe(expected.stderr);
    // Rewritten: the next picture uses it, and draws the same.
    const again = await run(svg("tree-again.svg"), dir);
    expect(again.stderr).toMatch(/cache: used/);
    expect(again.stderr).not.toMatch(/cache: (ignored|wrote)/);
    expect(readFileSync(join(tmp, "tree-again.svg")).equals(readFileSync(join(tmp, "tree-plain.svg")))).toBe(true);
  });

  it("an entry of the previous cache format (which stored the tree edges' names and types by node): ignored, said so, and written again; the grouped answer is the one without the cache", async () => {
    const dir = freshDir();
    const snap = await laterCopy("grouped-leak.heapsnapshot.gz", join(ROOT, "samples/grouped-leak.heapsnapshot.gz"));
    const args = [snap, "--type", "OrderService"];
    const expected = await run(args, null);
    await run(["info", snap], dir);
    const [name] = entries(dir);
    // An entry from an older build (format number one less): ignored, said so, and written again.
    resealEntry(
      join(dir, name!),
      () => {},
      (h) => (h["format"] = CACHE_FORMAT - 1),
    );
    const old = await run(args, dir);
    expect(old.code).toBe(0);
    expect(old.stderr).toMatch(
      new RegExp(
        `^cache: ignored .*\\.brc \\(written in cache format ${CACHE_FORMAT - 1}, this build reads ${CACHE_FORMAT}\\); reading the snapshot$`,
        "m",
      ),
    );
    expect(old.stderr).toMatch(/cache: wrote/);
    expect(old.stdout).toBe(expected.stdout);
    const used = await run(args, dir);
    expect(used.stderr).toMatch(/cache: used/);
    expect(used.stdout).toBe(expected.stdout);
  });

  it("list bits wrongly clear outside the sampled runs, checksums made to match: the grouped answer is the one without the cache, and the entry is ignored, said so", async () => {
    const dir = freshDir();
    const snap = await laterCopy("grouped-leak-2.heapsnapshot.gz", join(ROOT, "samples/grouped-leak.heapsnapshot.gz"));
    const args = [snap, "--type", "Timeout"];
    const expected = await run(args, null);
    await run(["info", snap], dir);
    const [name] = entries(dir);
    // Every list bit outside the sample's runs cleared: the two ends of the timers' list are then
    // no list heads, and a picture drawn from them would show 5 patterns instead of 2.
    resealEntry(join(dir, name!), (sections) => {
      const list = sections.get("analysis.treeList") as Uint8Array;
      const sampled = new Set(sampledNodes((sections.get("analysis.parentEdge") as Uint32Array).length));
      for (let n = 0; n < list.length * 8; n++) if (!sampled.has(n)) list[n >>> 3]! &= ~(1 << (n & 7));
    });
    const d = await run(args, dir);
    expect(d.code).toBe(0);
    expect(d.stderr).toMatch(
      /^cache: ignored .*\.brc \(the stored distance tree does not match the edges: node \d+ is not marked as a possible list head but is one\); reading the snapshot$/m,
    );
    expect(d.stdout).toBe(expected.stdout);
    expect(expected.stdout).toMatch(/2 retaining patterns/);
  });

  it("a picture drawn from the cache is the same file", async () => {
    const dir = freshDir();
    const a = await run([SNAP, "--type", "LeakyRequest", "-o", join(tmp, "a.svg")], null);
    await run(["info", SNAP], dir);
    const b = await run([SNAP, "--type", "LeakyRequest", "-o", join(tmp, "b.svg")], dir);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/cache: used/);
    expect(readFileSync(join(tmp, "b.svg")).equals(readFileSync(join(tmp, "a.svg")))).toBe(true);
  });

  it("an entry without the dominators gains them when a command computes them", async () => {
    const dir = freshDir();
    const fast = await run(["info", SNAP, "--no-retained"], dir);
    expect(fast.stderr).toMatch(/cache: wrote/);
    const full = await run(["info", SNAP, "--json"], dir);
    expect(full.stderr).toMatch(/cache: used/);
    // Now with the analysis: added beside the entry, which is not written again.
    expect(full.stderr).toMatch(
      /^cache: added the distances, dominator tree, per-class retained sizes and per-class totals to .*\.brc \([\d.]+ [kM]B in [\d.]+ s; the cache holds [\d.]+ [kM]B of 4\.0 GB\)$/m,
    );
    expect(full.stderr).not.toMatch(/cache: wrote/);
    const again = await run(["info", SNAP, "--json"], dir);
    expect(again.stderr).toMatch(/cache: used/);
    expect(again.stderr).not.toMatch(/cache: wrote/);
    expect(again.raw.equals(full.raw)).toBe(true);
    expect(entries(dir)).toHaveLength(1);
  });

  it("a picture, then info: the per-class retained sizes and totals are added beside the entry, which is not written again", async () => {
    const dir = freshDir();
    const expected = (await run(["info", SNAP, "--json"], null)).raw;
    const pic = await run([SNAP, "--type", "LeakyRequest", "--each", "-o", join(tmp, "first.svg")], dir);
    expect(pic.stderr).toMatch(/cache: wrote/);
    const [name] = entries(dir);
    const entry = join(dir, name!);
    const before = readFileSync(entry);
    const info = await run(["info", SNAP, "--json"], dir);
    expect(info.code).toBe(0);
    expect(info.raw.equals(expected)).toBe(true);
    expect(info.stderr).toMatch(/^cache: used .*\.brc/m);
    expect(info.stderr).toMatch(
      /^cache: added the per-class retained sizes and per-class totals to .*\.brc \([\d.]+ [kM]B in [\d.]+ s; the cache holds [\d.]+ [kM]B of 4\.0 GB\)$/m,
    );
    expect(info.stderr).not.toMatch(/cache: wrote/);
    expect(readFileSync(entry).equals(before)).toBe(true);
    expect(
      readdirSync(dir)
        .filter((n) => n.endsWith(".brl"))
        .sort(),
    ).toEqual([name!.replace(/\.brc$/, ".class-retained.brl"), name!.replace(/\.brc$/, ".summary.brl")]);
    const again = await run(["info", SNAP, "--json"], dir);
    expect(again.raw.equals(expected)).toBe(true);
    expect(again.stderr).not.toMatch(/cache: (wrote|added)/);
    // `backrefs cache` counts the part with its entry.
    const listed = await run(["cache", "--json"], dir);
    const l = JSON.parse(listed.stdout) as { totalBytes: number; entries: { bytes: number }[] };
    const onDisk = readdirSync(dir)
      .filter((n) => n.endsWith(".brc") || n.endsWith(".brl"))
      .reduce((t, n) => t + readFileSync(join(dir, n)).length, 0);
    expect(l.totalBytes).toBe(onDisk);
    expect(l.entries[0]!.bytes).toBe(onDisk);
  });

  it("info, then diff, then diff again: the id samples are added beside the entries, then read; the answers are the ones without the cache", async () => {
    const dir = freshDir();
    const later = await laterCopy("leak-later.heapsnapshot.gz");
    const args = ["diff", SNAP, later, "--json"];
    const expected = (await run(args, null)).raw;
    // First looks that do not compare (of a small snapshot: no id sample kept with the entry).
    for (const f of [SNAP, later]) expect((await run(["info", f], dir)).stderr).toMatch(/^cache: wrote /m);
    expect(readdirSync(dir).filter((n) => n.endsWith(".ids.brl"))).toHaveLength(0);
    const second = await run(args, dir);
    expect(second.raw.equals(expected)).toBe(true);
    expect(second.stderr.match(/^cache: added the id sample to .*\.brc \([\d.]+ [kM]B in [\d.]+ s; /gm)).toHaveLength(2);
    expect(readdirSync(dir).filter((n) => n.endsWith(".ids.brl"))).toHaveLength(2);
    const third = await run(args, dir);
    expect(third.raw.equals(expected)).toBe(true);
    expect(third.stderr).not.toMatch(/cache: (wrote|added)/);
    // leaks reads them too (the copy's ids are the sample's: nothing leaked, the same answer)
    const leaks = ["leaks", SNAP, later, SNAP, "--json"];
    const leaked = await run(leaks, dir);
    expect(leaked.raw.equals((await run(leaks, null)).raw)).toBe(true);
    expect(leaked.stderr).not.toMatch(/cache: (wrote|added)/);
  });

  it("a first diff keeps the id samples it computed with the entries it writes: the next diff reads them and adds nothing", async () => {
    const dir = freshDir();
    const later = await laterCopy("leak-later-2.heapsnapshot.gz");
    const args = ["diff", SNAP, later, "--json"];
    const expected = (await run(args, null)).raw;
    const first = await run(args, dir);
    expect(first.raw.equals(expected)).toBe(true);
    expect(first.stderr.match(/^cache: wrote /gm)).toHaveLength(2);
    expect(readdirSync(dir).filter((n) => n.endsWith(".ids.brl"))).toHaveLength(2);
    const second = await run(args, dir);
    expect(second.raw.equals(expected)).toBe(true);
    expect(second.stderr).not.toMatch(/cache: (wrote|added)/);
  });

  it("a damaged part added later is found when read: the command runs again from the snapshot, said so", async () => {
    const dir = freshDir();
    const dot = [SNAP, "--type", "LeakyRequest", "-o", "-", "--format", "dot"];
    const expected = (await run(dot, null)).raw;
    await run(["info", SNAP, "--no-retained"], dir);
    const added = await run(["info", SNAP, "--json"], dir);
    expect(added.stderr).toMatch(/cache: added the distances, dominator tree/);
    const [name] = entries(dir);
    const tree = join(dir, name!.replace(/\.brc$/, ".tree.brl"));
    // A flipped byte in every block of every section of the dominator tree's file.
    const buf = readFileSync(tree);
    const len = buf.readUInt32LE(8);
    const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as {
      sections: { name: string; offset: number; length: number; type: string }[];
    };
    for (const s of header.sections) {
      const bytes = s.length * (s.type === "f64" ? 8 : 4);
      for (let off = 0; off < bytes; off += 65536) buf[((16 + len + 7) & ~7) + s.offset + off]! ^= 0x40;
    }
    writeFileSync(tree, buf);
    const r = await run(dot, dir);
    expect(r.code).toBe(0);
    expect(r.raw.equals(expected)).toBe(true);
    expect(r.stderr).toMatch(
      /^cache: ignored .*\.brc \(section analysis\.\w+ is damaged \(checksum of block \d+\)\); reading the snapshot$/m,
    );
    expect(r.stderr).toMatch(/cache: wrote/);
    // The entry written again has everything in itself: its old parts are gone.
    expect(readdirSync(dir).filter((n) => n.endsWith(".brl"))).toEqual([]);
    const again = await run(dot, dir);
    expect(again.raw.equals(expected)).toBe(true);
    expect(again.stderr).not.toMatch(/cache: (ignored|wrote|added)/);
  });

  it("two processes adding the same parts at once both answer, and leave one whole file of each", async () => {
    const dir = freshDir();
    const expected = (await run(["info", SNAP, "--json"], null)).raw;
    // The binary's entry (an in-process run is another build: src/, not dist/).
    const pic = spawnCli([SNAP, "--type", "LeakyRequest", "--each", "-o", join(tmp, "two.svg")], {
      cwd: tmp,
      env: { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: dir },
    });
    expect(pic.stderr).toMatch(/cache: wrote/);
    const [a, b] = await Promise.all([runAsync(["info", SNAP, "--json"], dir), runAsync(["info", SNAP, "--json"], dir)]);
    for (const r of [a, b]) {
      expect(r.code).toBe(0);
      expect(r.raw.equals(expected)).toBe(true);
      expect(r.stderr).toMatch(/cache: used/);
    }
    // Both add the part, unless one finished before the other read the entry.
    const adding = [a, b].filter((r) => /cache: added the per-class retained sizes/.test(r.stderr));
    expect(adding.length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(
      readdirSync(dir)
        .filter((n) => n.endsWith(".brl"))
        .map((n) => n.replace(/^.*\.(.*)\.brl$/, "$1"))
        .sort(),
    ).toEqual(["class-retained", "summary"]);
    const c = spawnCli(["info", SNAP, "--json"], { cwd: tmp, env: { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: dir } });
    expect(c.stderr).toMatch(/cache: used/);
    expect(c.stderr).not.toMatch(/cache: (ignored|wrote|added)/);
    expect(c.raw.equals(expected)).toBe(true);
  });

  it("--no-cache and BACKREFS_CACHE=0 neither read nor write it", async () => {
    const dir = freshDir();
    const a = await run(["info", SNAP, "--no-cache"], dir);
    expect(a.code).toBe(0);
    expect(a.stderr).not.toMatch(/cache:/);
    expect(readdirSafe(dir)).toEqual([]);
    const b = await run(["info", SNAP], dir, { BACKREFS_CACHE: "0" });
    expect(b.stderr).not.toMatch(/cache:/);
    expect(readdirSafe(dir)).toEqual([]);
    await run(["info", SNAP], dir);
    expect(entries(dir)).toHaveLength(1);
    const c = await run(["info", SNAP, "--no-cache"], dir);
    expect(c.stderr).not.toMatch(/cache:/);
    for (const cmd of [
      ["types", SNAP, "--no-cache"],
      ["why", SNAP, "--type", "LeakyRequest", "--no-cache"],
      [SNAP, "--type", "LeakyRequest", "--no-cache"],
    ]) {
      const r = await run(cmd, dir);
      expect(r.code, cmd.join(" ")).toBe(0);
      expect(r.stderr, cmd.join(" ")).not.toMatch(/cache:/);
    }
  });

  it("the cache directory comes from BACKREFS_CACHE_DIR, else XDG_CACHE_HOME", async () => {
    const xdg = freshDir();
    const r = await run(["info", SNAP], null, { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: "", XDG_CACHE_HOME: xdg });
    expect(r.stderr).toMatch(/cache: wrote/);
    expect(entries(join(xdg, "backrefs"))).toHaveLength(1);
  });

  it("a damaged entry is ignored, said so, and rewritten", async () => {
    const dir = freshDir();
    await run(["info", SNAP, "--json"], dir);
    const [name] = entries(dir);
    const path = join(dir, name!);
    const good = readFileSync(path);
    // A section `info` does not read (the dominator tree): the entry is used, the answer right.
    const unread = Buffer.from(good);
    unread[sectionAt(path, "analysis.idom") + 100]! ^= 0xff;
    writeFileSync(path, unread);
    const u = await run(["info", SNAP, "--json"], dir);
    expect(u.stderr).toMatch(/cache: used/);
    expect(u.stderr).not.toMatch(/cache: ignored/);
    expect(u.raw.equals((await run(["info", SNAP, "--json"], null)).raw)).toBe(true);
    // One it reads (the per-class retained sizes of its class table).
    const buf = Buffer.from(good);
    buf[sectionAt(path, "analysis.classRetained") + 100]! ^= 0xff;
    writeFileSync(path, buf);
    const r = await run(["info", SNAP, "--json"], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^cache: ignored .*\.brc \(section .* is damaged \(checksum of block \d+\)\); reading the snapshot$/m);
    expect(r.stderr).toMatch(/cache: wrote/);
    expect(r.raw.equals((await run(["info", SNAP, "--json"], null)).raw)).toBe(true);
    expect((await run(["info", SNAP, "--json"], dir)).stderr).toMatch(/cache: used/);
  });

  it("a damaged class index: the rest of the entry is used, the classes computed again, said so, and added beside the entry", async () => {
    const dir = freshDir();
    const expected = (await run(["types", SNAP, "--json", "--top", "15"], null)).raw;
    await run(["info", SNAP, "--json"], dir);
    const [name] = entries(dir);
    const path = join(dir, name!);
    const buf = readFileSync(path);
    buf[sectionAt(path, "classes.nodeClass") + 9]! ^= 0x04;
    writeFileSync(path, buf);
    const r = await run(["types", SNAP, "--json", "--top", "15"], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^cache: used .*\.brc/m);
    expect(r.stderr).toMatch(
      /^cache: ignored the class index of .*\.brc \(section classes\.nodeClass is damaged \(checksum of block 0\)\); computing it again$/m,
    );
    expect(r.stderr).toMatch(/^cache: added the class index to .*\.brc/m);
    expect(r.raw.equals(expected)).toBe(true);
    const again = await run(["types", SNAP, "--json", "--top", "15"], dir);
    expect(again.stderr).toMatch(/cache: used/);
    expect(again.stderr).not.toMatch(/cache: (ignored|wrote|added)/);
    expect(again.raw.equals(expected)).toBe(true);
  });

  it("a cache directory that cannot be written: the answer, exit 0, and a note", async () => {
    const ro = freshDir();
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    let writable = true;
    try {
      accessSync(ro, constants.W_OK);
    } catch {
      writable = false;
    }
    // As root, permission bits do not bind: a directory path running through a file stands in.
    const dir = writable ? join(SNAP, "cache") : ro;
    const r = await run(["info", SNAP, "--json"], dir);
    expect(r.code).toBe(0);
    expect(r.raw.equals((await run(["info", SNAP, "--json"], null)).raw)).toBe(true);
    expect(r.stderr).toMatch(
      /^cache: not written for .* \((the cache directory is not writable|the cache directory's path runs through a file)/m,
    );
  });

  it("two processes writing the same entry at once both answer, and leave one whole entry", async () => {
    const dir = freshDir();
    const [a, b] = await Promise.all([runAsync(["info", SNAP, "--json"], dir), runAsync(["info", SNAP, "--json"], dir)]);
    const expected = (await run(["info", SNAP, "--json"], null)).raw;
    for (const r of [a, b]) {
      expect(r.code).toBe(0);
      expect(r.raw.equals(expected)).toBe(true);
      // Both write the entry, unless one finished before the other looked for it (a loaded machine).
      expect(r.stderr).toMatch(/cache: (wrote|used)/);
    }
    expect([a, b].filter((r) => /cache: wrote/.test(r.stderr)).length).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(entries(dir)).toHaveLength(1);
    // The binary's entry, read by the binary (an in-process run is another build: src/, not dist/).
    const c = spawnCli(["info", SNAP, "--json"], { cwd: tmp, env: { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: dir } });
    expect(c.stderr).toMatch(/cache: used/);
    expect(c.raw.equals(expected)).toBe(true);
  });

  it("a snapshot read from standard input is not cached", async () => {
    const dir = freshDir();
    const r = spawnSync(process.execPath, [BIN, "info", "-", "--json"], { cwd: tmp, env: env(dir), input: readFileSync(SNAP) });
    expect(r.status).toBe(0);
    expect(r.stderr.toString()).not.toMatch(/cache:/);
    expect(readdirSafe(dir)).toEqual([]);
  });

  it("backrefs cache lists the entries; --clear empties it", async () => {
    const dir = freshDir();
    await run(["info", SNAP], dir);
    const list = await run(["cache"], dir);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(dir);
    expect(list.stdout).toMatch(/1 entry, [\d.]+ [kM]B of 4\.0 GB/);
    // The snapshot's path, cut at its start when long (a long temporary folder): its file name stays.
    expect(list.stdout).toMatch(/^ +(\/|\u2026).*\/leak\.heapsnapshot\.gz +\d/m);
    if (SNAP.length <= 60) expect(list.stdout).toContain(SNAP);
    const json = JSON.parse((await run(["cache", "--json"], dir, { BACKREFS_CACHE_MAX: "2GB" })).stdout) as {
      dir: string;
      maxBytes: number;
      entries: { source: string; bytes: number }[];
    };
    expect(json.dir).toBe(dir);
    expect(json.maxBytes).toBe(2e9);
    expect(json.entries.map((e) => e.source)).toEqual([SNAP]);
    const cleared = await run(["cache", "--clear"], dir);
    expect(cleared.stdout).toMatch(/^removed 1 entry \([\d.]+ [kM]B\) from /);
    expect(entries(dir)).toEqual([]);
    expect((await run(["cache"], dir)).stdout).toMatch(/0 entries, 0 B of 4\.0 GB/);
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
