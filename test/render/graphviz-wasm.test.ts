/**
 * Graphviz's WebAssembly program kept decoded in a directory (src/render/graphviz-wasm.ts): the
 * installed package is a build listed as keepable, the program is written after a first load and
 * used by the next, a damaged, truncated or foreign file is never run but replaced, a directory
 * that cannot be written is no error, and every way of loading lays out the same SVG.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  KNOWN_GRAPHVIZ,
  keptProgramPath,
  loadGraphviz,
  removeKeptPrograms,
  withoutProgramText,
  type KnownGraphviz,
} from "../../src/render/graphviz-wasm.js";
import { toDot } from "../../src/render/dot.js";
import { warmUpSubgraph } from "../../src/render/warm-up.js";
import { tempDir } from "../helpers/temp-dir.js";

const tmp = tempDir("backrefs-graphviz-wasm-");
let dirs = 0;
const freshDir = (): string => join(tmp, `keep-${dirs++}`);
const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

const source = readFileSync(createRequire(import.meta.url).resolve("@hpcc-js/wasm-graphviz"), "utf8");
const build: KnownGraphviz | undefined = KNOWN_GRAPHVIZ[sha256(source)];
const DOT = toDot(warmUpSubgraph());
/** The layout of the package loaded as it is: what every other way must give. */
let expected: string;

beforeAll(async () => {
  const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
  expected = (await Graphviz.load()).layout(DOT, "svg", "dot");
});

describe("Graphviz's program kept in a directory", () => {
  it("the installed package is a build whose program can be kept", () => {
    const entry = createRequire(import.meta.url).resolve("@hpcc-js/wasm-graphviz");
    const version = (JSON.parse(readFileSync(join(entry, "../../package.json"), "utf8")) as { version: string }).version;
    // A new version of the package: list it in KNOWN_GRAPHVIZ, with the name of the module-level
    // variable its `Graphviz.load()` keeps the decoded program in, that program's SHA-256 and size
    // (the test below checks them against what the package decodes), and where its module text
    // holds the encoded program (the quoted literal; a test below checks it).
    expect(build, `add "${sha256(source)}" (version ${version}) to KNOWN_GRAPHVIZ`).toBeDefined();
    expect(build!.version).toBe(version);
  });

  it("a first load writes the program, exactly the one listed; the next one uses it; both lay out as the package does", async () => {
    const dir = freshDir();
    const first = await loadGraphviz(dir);
    expect(first.program).toEqual({ from: "decoded", written: true });
    const kept = readFileSync(keptProgramPath(dir, build!));
    expect(kept.length).toBe(build!.wasmBytes);
    expect(sha256(kept)).toBe(build!.wasmSha256);
    expect(readdirSync(dir)).toEqual([keptProgramPath(dir, build!).slice(dir.length + 1)]);
    expect(first.graphviz.layout(DOT, "svg", "dot")).toBe(expected);

    const second = await loadGraphviz(dir);
    expect(second.program).toEqual({ from: "kept" });
    expect(second.graphviz.layout(DOT, "svg", "dot")).toBe(expected);
  });

  for (const [what, damage] of [
    ["a flipped byte", (b: Buffer) => ((b[b.length >> 1] ^= 0x10), b)],
    ["a truncated file", (b: Buffer) => b.subarray(0, b.length - 1000)],
    ["an empty file", () => Buffer.alloc(0)],
    ["another program of the same size", (b: Buffer) => Buffer.alloc(b.length, 7)],
  ] as const) {
    it(`${what} is not run: the program is decoded again and the file replaced`, async () => {
      const dir = freshDir();
      await loadGraphviz(dir);
      const file = keptProgramPath(dir, build!);
      writeFileSync(file, damage(readFileSync(file)));
      const again = await loadGraphviz(dir);
      expect(again.program).toEqual({ from: "decoded", written: true });
      expect(again.graphviz.layout(DOT, "svg", "dot")).toBe(expected);
      expect(sha256(readFileSync(file))).toBe(build!.wasmSha256);
      expect((await loadGraphviz(dir)).program).toEqual({ from: "kept" });
    });
  }

  it("a directory that cannot be written: Graphviz loads, nothing is written, the reason is given", async () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "not a directory");
    // A path through a file cannot be created, even by root.
    const r = await loadGraphviz(join(file, "keep"));
    expect(r.program.from).toBe("decoded");
    expect(r.program).toMatchObject({ written: false, problem: expect.stringMatching(/^cannot write .* \(ENOTDIR\)$/) });
    expect(r.graphviz.layout(DOT, "svg", "dot")).toBe(expected);
  });

  it("a build not listed, or no directory: the package is imported as it is, and nothing written", async () => {
    const dir = freshDir();
    const unlisted = await loadGraphviz(dir, {});
    expect(unlisted.program).toEqual({ from: "package", problem: "not a build whose program can be kept" });
    expect(unlisted.graphviz.layout(DOT, "svg", "dot")).toBe(expected);
    const none = await loadGraphviz(null);
    expect(none.program).toEqual({ from: "package" });
    expect(readdirSync(tmp)).not.toContain(dir.slice(tmp.length + 1));
  });

  it("with the program kept, the module text is evaluated without its encoded program (one quoted literal)", async () => {
    const { start, end } = build!.programText;
    const stripped = withoutProgramText(source, build!);
    expect(stripped.length).toBe(source.length - (end - start) + 2);
    expect(stripped.slice(0, start)).toBe(source.slice(0, start));
    expect(stripped.slice(start, start + 2)).toBe("''");
    expect(stripped.slice(start + 2)).toBe(source.slice(end));
    // Most of the module's text (a new package build lists where its literal is).
    expect(end - start).toBeGreaterThan(source.length / 2);
    // A place that is not one literal: the text as it is.
    for (const wrong of [
      { start: 0, end: 10 },
      { start, end: end - 1 },
      { start: start + 1, end },
    ]) {
      expect(withoutProgramText(source, { ...build!, programText: wrong })).toBe(source);
    }
    const dir = freshDir();
    await loadGraphviz(dir);
    const misplaced = { [sha256(source)]: { ...build!, programText: { start: 0, end: 10 } } };
    const r = await loadGraphviz(dir, misplaced);
    expect(r.program).toEqual({ from: "kept" });
    expect(r.graphviz.layout(DOT, "svg", "dot")).toBe(expected);
  });

  it("a listed build whose program does not match the list is used, but not kept", async () => {
    const dir = freshDir();
    const wrong = { [sha256(source)]: { ...build!, wasmSha256: "0".repeat(64) } };
    const r = await loadGraphviz(dir, wrong);
    expect(r.program).toEqual({ from: "decoded", written: false, problem: "the package decoded another program than the one listed" });
    expect(r.graphviz.layout(DOT, "svg", "dot")).toBe(expected);
    expect(readdirSync(tmp)).not.toContain(dir.slice(tmp.length + 1));
  });

  it("removeKeptPrograms removes the program and leftover temporary files, nothing else", async () => {
    const dir = freshDir();
    await loadGraphviz(dir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".graphviz.99999999.abc.tmp"), "x");
    writeFileSync(join(dir, "entry.brc"), "y");
    expect(removeKeptPrograms(dir)).toBe(build!.wasmBytes);
    expect(readdirSync(dir)).toEqual(["entry.brc"]);
    expect(removeKeptPrograms(join(tmp, "missing"))).toBe(0);
  });
});
