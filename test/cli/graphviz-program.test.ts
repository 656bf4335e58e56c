/**
 * The command line keeps Graphviz's decoded WebAssembly program in its cache directory when the
 * cache is on (src/render/graphviz-wasm.ts): a picture writes it, the next picture reads it and
 * draws the same file, a damaged one is replaced, two processes writing it at once leave one whole
 * file, the cache switched off (or the library, later) writes nothing, and `backrefs cache --clear`
 * removes it.
 */
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { BIN, ROOT, runCli } from "../helpers/cli.js";
import { openSnapshot } from "../../src/api/snapshot.js";
import { closeLayoutWorker } from "../../src/render/svg.js";
import { KNOWN_GRAPHVIZ } from "../../src/render/graphviz-wasm.js";
import { tempDir } from "../helpers/temp-dir.js";

const tmp = tempDir("backrefs-cli-graphviz-");
const SNAP = join(tmp, "leak.heapsnapshot.gz");
let dirs = 0;
const freshDir = (): string => join(tmp, `cache-${dirs++}`);
const programs = (dir: string): string[] => readdirSafe(dir).filter((n) => /^graphviz-[0-9a-f]{16}\.wasm$/.test(n));

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A picture of the sample with the cache in `dir` (null: off); returns the SVG. */
async function picture(dir: string | null, name: string, extra: string[] = []): Promise<Buffer> {
  const out = join(tmp, name);
  const r = await runCli([SNAP, "--type", "LeakyRequest", "-o", out, ...extra], {
    cwd: tmp,
    env: { BACKREFS_CACHE: dir === null ? "0" : "1", BACKREFS_CACHE_DIR: dir ?? "" },
  });
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out);
}

let expected: Buffer;

beforeAll(async () => {
  copyFileSync(join(ROOT, "samples/leak.heapsnapshot.gz"), SNAP);
  expected = await picture(null, "plain.svg");
});

describe("Graphviz's program in the cache directory", { timeout: 300_000 }, () => {
  it("a picture keeps it, the next one uses it, a damaged one is replaced: the same picture every time", async () => {
    const dir = freshDir();
    expect((await picture(dir, "a.svg")).equals(expected)).toBe(true);
    const [name] = programs(dir);
    expect(name).toBeDefined();
    const file = join(dir, name!);
    const program = readFileSync(file);
    expect(program.subarray(0, 4).toString("latin1")).toBe("\0asm");

    expect((await picture(dir, "b.svg")).equals(expected)).toBe(true);
    const damaged = Buffer.from(program);
    damaged[1000] ^= 0xff;
    writeFileSync(file, damaged);
    expect((await picture(dir, "c.svg")).equals(expected)).toBe(true);
    expect(readFileSync(file).equals(program)).toBe(true);
    writeFileSync(file, program.subarray(0, 5000));
    expect((await picture(dir, "d.svg")).equals(expected)).toBe(true);
    expect(readFileSync(file).equals(program)).toBe(true);
    expect(readdirSafe(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("two processes writing it at once both draw the picture, and leave one whole program", async () => {
    const dir = freshDir();
    const draw = (name: string): Promise<number> =>
      new Promise((done) => {
        const p = spawn(process.execPath, [BIN, SNAP, "--type", "LeakyRequest", "-o", join(tmp, name)], {
          cwd: tmp,
          env: { ...process.env, BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: dir },
          stdio: "ignore",
        });
        p.on("close", (code) => done(code ?? -1));
      });
    expect(await Promise.all([draw("p1.svg"), draw("p2.svg")])).toEqual([0, 0]);
    for (const name of ["p1.svg", "p2.svg"]) expect(readFileSync(join(tmp, name)).equals(expected)).toBe(true);
    expect(programs(dir)).toHaveLength(1);
    const sha = createHash("sha256")
      .update(readFileSync(join(dir, programs(dir)[0]!)))
      .digest("hex");
    expect(Object.values(KNOWN_GRAPHVIZ).map((k) => k.wasmSha256)).toContain(sha);
    expect(readdirSafe(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("with the cache off (--no-cache, BACKREFS_CACHE=0) nothing is written", async () => {
    const dir = freshDir();
    expect((await picture(dir, "e.svg", ["--no-cache"])).equals(expected)).toBe(true);
    const off = await runCli([SNAP, "--type", "LeakyRequest", "-o", join(tmp, "f.svg")], {
      cwd: tmp,
      env: { BACKREFS_CACHE: "0", BACKREFS_CACHE_DIR: dir },
    });
    expect(off.code).toBe(0);
    expect(readdirSafe(dir)).toEqual([]);
  });

  it("a picture the library draws later in the same process keeps nothing", async () => {
    const dir = freshDir();
    await picture(dir, "i.svg");
    const [name] = programs(dir);
    rmSync(join(dir, name!));
    const snap = await openSnapshot(SNAP, { cache: false });
    const svg = await (await snap.retainers({ type: ["LeakyRequest"] })).render("svg");
    // The library leaves its worker running; the commands after this one start their own.
    await closeLayoutWorker();
    expect(Buffer.from(svg as string).equals(expected)).toBe(true);
    expect(programs(dir)).toEqual([]);
  });

  it("backrefs cache --clear removes it and says so", async () => {
    const dir = freshDir();
    await picture(dir, "g.svg");
    expect(programs(dir)).toHaveLength(1);
    const env = { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: dir };
    const cleared = await runCli(["cache", "--clear"], { cwd: tmp, env });
    expect(cleared.code).toBe(0);
    expect(cleared.stdout).toMatch(/^removed \d+ entr(y|ies) \([\d.]+ [kM]B\) and Graphviz's kept program \(1\.6 MB\) from /);
    expect(programs(dir)).toEqual([]);
    await picture(dir, "h.svg");
    const json = JSON.parse((await runCli(["cache", "--clear", "--json"], { cwd: tmp, env })).stdout) as { removedProgramBytes: number };
    expect(json.removedProgramBytes).toBeGreaterThan(1_000_000);
    expect(programs(dir)).toEqual([]);
  });
});
