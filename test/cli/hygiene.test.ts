/**
 * The CLI as people use CLIs: several outputs from one load, output closed early, outputs that
 * cannot be written, mistyped commands, usage errors (exit 2), binary output and terminals.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, expect, it, vi } from "vitest";
import { outputTargets } from "../../src/cli/draw.js";
import { main } from "../../src/cli/main.js";
import { UsageError } from "../../src/cli/usage.js";
import { LAYOUTS, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { writeFileSync } from "node:fs";
import { BIN, ROOT, runCli, type CliResult } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = join(ROOT, "samples/leak.heapsnapshot.gz");
const tmp = tempDir("backrefs-hygiene-");
const env = { ...process.env, NO_COLOR: "1", DEBUG: "", BACKREFS_CACHE: "0" };

/** The CLI in this process (`main`); output closed early below needs the real binary. */
function run(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: tmp });
}

/** Runs the binary with its standard output closed by the reader before anything is written. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: tmp, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy();
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => done({ code, stderr }));
  });
}

function expectUsage(r: { code: number; stderr: string }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^backrefs: /);
  expect(r.stderr.split("\n")[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe("one load, many answers", () => {
  it("-o repeats: every output written from one load, each the same as when written alone", async () => {
    const outs = ["many.svg", "many.png", "many.json", "many.dot", "many.txt"].map((f) => join(tmp, f));
    const r = await run([SAMPLE, "--type", "LeakyRequest", "--each", ...outs.flatMap((o) => ["-o", o])]);
    expect(r.code, r.stderr).toBe(0);
    for (const o of outs) expect(existsSync(o), o).toBe(true);
    expect(r.stderr).toMatch(
      /→ .*many\.svg \(svg\), .*many\.png \(png\), .*many\.json \(json\), .*many\.dot \(dot\), .*many\.txt \(text\)\n$/,
    );
    expect(readFileSync(outs[1]!).subarray(1, 4).toString()).toBe("PNG");
    expect(readFileSync(outs[4]!, "utf8")).toMatch(/^LeakyRequest @\d+ /);
    const alone = join(tmp, "alone.svg");
    expect((await run([SAMPLE, "--type", "LeakyRequest", "--each", "-o", alone])).code).toBe(0);
    expect(readFileSync(outs[0]!).equals(readFileSync(alone))).toBe(true);
    const aloneText = await run([SAMPLE, "--type", "LeakyRequest", "--each"]);
    expect(readFileSync(outs[4]!, "utf8")).toBe(aloneText.stdout);
  });

  it("-f text -o file writes the file, not the terminal", async () => {
    const out = join(tmp, "paths.out");
    const r = await run([SAMPLE, "--type", "LeakyRequest", "--max-targets", "1", "--each", "-f", "text", "-o", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toMatch(/^LeakyRequest @\d+ .*\n\s+global @\d+/);
  });

  it("--format with several -o, or -o - twice, is a usage error", async () => {
    expectUsage(
      await run([SAMPLE, "--type", "LeakyRequest", "-f", "svg", "-o", "a.svg", "-o", "b.svg"]),
      /--format applies to a single -o/,
    );
    expectUsage(await run([SAMPLE, "--type", "LeakyRequest", "-o", "-", "-o", "-"]), /standard output\) can be given once/);
  });
});

describe("output closed early", () => {
  it("ends quietly: no EPIPE, no stack trace, exit 0", async () => {
    for (const args of [
      ["help", "why"],
      [SAMPLE, "--type", "LeakyRequest", "-o", "-", "-f", "svg"],
      ["types", SAMPLE, "--top", "500"],
    ]) {
      const r = await runWithClosedStdout(args);
      expect(r.stderr, args.join(" ")).not.toMatch(/EPIPE|internal error|\n\s+at /);
      expect(r.code, args.join(" ")).toBe(0);
    }
  });

  it("leaves the process of a program that runs main() with its own streams, when one of them closes", async () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const errors: string[] = [];
    const closed = new Writable({
      write(_chunk, _enc, done) {
        done(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      },
    });
    // The program's own handler: the stream's errors are its to handle.
    closed.on("error", (e: NodeJS.ErrnoException) => errors.push(e.code ?? ""));
    let stderr = "";
    const sink = new Writable({
      write(chunk, _enc, done) {
        stderr += String(chunk);
        done();
      },
    });
    try {
      const code = await main(["types", SAMPLE, "--top", "5"], { stdout: closed, stderr: sink });
      await new Promise((r) => setImmediate(r));
      expect(errors).toContain("EPIPE");
      expect(exit).not.toHaveBeenCalled();
      expect(code).toBe(0);
      expect(stderr).not.toMatch(/internal error|\n\s+at /);
    } finally {
      exit.mockRestore();
    }
  });
});

describe("outputs that cannot be written", () => {
  it("are found before anything is loaded, with what is wrong", async () => {
    // The snapshot does not exist either: the output is checked first.
    const missing = join(tmp, "never-loaded.heapsnapshot");
    const r = await run([missing, "--type", "X", "-o", "/nonexistent/dir/x.svg"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "backrefs: cannot write /nonexistent/dir/x.svg: the folder /nonexistent/dir does not exist — create it first, or write somewhere else\n",
    );
    const folder = join(tmp, "folder.svg");
    mkdirSync(folder, { recursive: true });
    const dir = await run([SAMPLE, "--type", "LeakyRequest", "-o", folder]);
    expect(dir.code).toBe(1);
    expect(dir.stderr).toMatch(/cannot write .*: it is a folder/);
    // A picture folder is made when missing, but not through a file.
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const check = await run(["check", missing, "--max-count", "X=1", "--picture-dir", join(file, "pictures")]);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/^backrefs: cannot write pictures into .*a-file\/pictures: .*a-file is not a folder/);
    // Nothing is made before the snapshot was read and a limit failed.
    const later = join(tmp, "made-later", "pictures");
    expect((await run(["check", missing, "--max-count", "X=1", "--picture-dir", later])).code).toBe(1);
    expect(existsSync(join(tmp, "made-later"))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("usage errors exit 2 everywhere", () => {
  it("a mistyped command says which was meant", async () => {
    expectUsage(await run(["typs", SAMPLE]), /unknown command 'typs' .*did you mean 'backrefs types'\?/);
    expectUsage(await run(["lekas", "a", "b", "c"]), /did you mean 'backrefs leaks'\?/);
    // a snapshot file that happens to be missing is still reported as a missing file
    const r = await run([join(tmp, "gone.heapsnapshot"), "--type", "X"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such file/);
  });

  it("no objects chosen, an unknown output extension, standard input twice", async () => {
    expectUsage(await run([SAMPLE]), /no objects chosen/);
    expectUsage(await run([SAMPLE, "-o", "x.svg"]), /no objects chosen/);
    expectUsage(await run(["why", SAMPLE]), /why needs objects/);
    expectUsage(await run([SAMPLE, "--type", "LeakyRequest", "-o", "out.bmp"]), /cannot tell the format of 'out\.bmp'/);
    expectUsage(await run(["diff", "-", "-"]), /standard input can be read once/);
    expectUsage(await run(["leaks", "-", SAMPLE, "-"]), /standard input can be read once/);
    expectUsage(await run(["check", "-", "--baseline", "-", "--max-growth", "X=1"]), /standard input can be read once/);
    expectUsage(await run(["-", "--new-since", "-", "--type", "X"]), /standard input can be read once/);
  });

  it("--help of the drawing command says which options repeat", async () => {
    const help = (await run(["draw", "--help"])).stdout;
    expect(help).toMatch(/Repeatable: --type, --name, --id, --output/);
    expect(help).toMatch(/-o, --output <file>.*repeatable/s);
  });
});

describe("binary output and terminals", () => {
  it("no PNG to a terminal unless asked with -o -", async () => {
    expect(() => outputTargets(undefined, "png", true)).toThrow(UsageError);
    expect(outputTargets(["-"], "png", true)).toEqual([{ path: "-", format: "png" }]);
    expect(outputTargets(undefined, "png", false)).toEqual([{ path: "-", format: "png" }]);
    expect(outputTargets(undefined, "svg", true)).toEqual([{ path: "-", format: "svg" }]);
    expect(outputTargets(["a.txt", "b.gv"], undefined, true)).toEqual([
      { path: "a.txt", format: "text" },
      { path: "b.gv", format: "dot" },
    ]);
  });
});

describe("snapshots in Chrome DevTools' own test layouts", () => {
  /** DevTools' HeapSnapshot test graph (root → A, B; A → B, C; B → C, D; C → E), plus `extra` more objects of class A. */
  function devtoolsFile(name: string, extra: number): string {
    const b = new SnapshotBuilder(LAYOUTS["devtoolsTwoTypes"]!);
    const [A, B, C, D, E] = ["A", "B", "C", "D", "E"].map((n, i) => b.node("object", n, { id: 2 * (i + 1) + 1, selfSize: 2 + i }));
    b.edge(b.root, A!, "property", "a").edge(b.root, B!, "property", "b");
    b.edge(A!, B!, "element", 1).edge(A!, C!, "property", "ac");
    b.edge(B!, C!, "property", "bc").edge(B!, D!, "property", "bd").edge(C!, E!, "property", "ce");
    for (let i = 0; i < extra; i++) b.edge(D!, b.node("object", "A", { id: 101 + 2 * i, selfSize: 4 }), "element", i);
    const file = join(tmp, name);
    writeFileSync(file, b.serialize());
    return file;
  }

  it("every command answers (no internal error)", async () => {
    const before = devtoolsFile("devtools-1.heapsnapshot", 0);
    const after = devtoolsFile("devtools-2.heapsnapshot", 3);
    const why = await run(["why", after, "--type", "E"]);
    expect(why.code, why.stderr).toBe(0);
    expect(why.stdout).toMatch(/^E @11 6 B \(retained 6 B\) — distance 3/);
    expect(why.stdout).toMatch(/\.ac → C @7 4 B \(retained 10 B\)\n\s+└─ \.ce → E @11/);
    const commands = [
      ["info", after],
      ["types", after],
      ["why", after, "--id", "@1", "--json"],
      [after, "--type", "A", "-o", join(tmp, "devtools.svg"), "-o", join(tmp, "devtools.json")],
      [after, "--type", "A", "--new-since", before, "--each"],
      ["diff", before, after, "--sort", "new"],
      ["leaks", before, after, after],
      ["check", after, "--baseline", before, "--max-growth", "A=10", "--max-count", "E=1"],
    ];
    for (const args of commands) {
      const r = await run(args);
      expect(r.stderr, args.join(" ")).not.toMatch(/internal error/);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
    }
  });
});
