/**
 * What `npm pack` would put in the tarball, read from npm itself (`npm pack --dry-run --json`, with
 * scripts off so the build in `dist/` is not touched): everything the installed package needs at run
 * time is in it, nothing it names is missing, and its runtime dependencies are exactly the packages
 * its code imports. The full round trip (pack, install in an empty project, draw a PNG with
 * `npx backrefs`) needs the npm registry and is `scripts/check-package.sh`.
 *
 * Reads the compiled `dist/` (`npm test` builds it first).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

let files: Set<string>;

beforeAll(() => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: ROOT,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [report] = JSON.parse(out) as Array<{ files: Array<{ path: string }> }>;
  files = new Set(report!.files.map((f) => f.path));
}, 60_000);

/** `import … from "x"`, `export … from "x"` (at the start of a line), `import("x")`, `require("x")`, `require.resolve("x")`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const re =
    /^\s*(?:import|export)\b[^;]*?\bfrom\s*"([^"]+)"|\bimport\s*\(\s*"([^"]+)"\s*\)|^\s*import\s+"([^"]+)"|\brequire(?:\.resolve)?\(\s*"([^"]+)"\s*\)/gm;
  for (const m of source.matchAll(re)) found.push((m[1] ?? m[2] ?? m[3] ?? m[4])!);
  return found;
}

function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

const BUILTINS = new Set(builtinModules);
const isBuiltin = (s: string) => s.startsWith("node:") || BUILTINS.has(s.split("/")[0]!);

describe("the packed package", () => {
  it("holds the licence, the entry points and the fonts used for PNG, and no sources or tests", () => {
    for (const f of ["LICENSE", "README.md", "package.json", "fonts/DejaVuSans.ttf", "fonts/DejaVuSans-Bold.ttf", "fonts/LICENSE"]) {
      expect(files, f).toContain(f);
    }
    for (const target of [manifest.main, manifest.types, ...Object.values(manifest.bin)]) {
      expect(files, target).toContain(normalize(target));
    }
    const exportTargets = Object.values(manifest.exports).flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)));
    for (const target of exportTargets) expect(files, target).toContain(normalize(target));
    expect([...files].filter((f) => /^(src|test|bench|samples)\//.test(f))).toEqual([]);
    // Only the two faces the rasteriser loads (src/render/png.ts), not the whole DejaVu family.
    expect([...files].filter((f) => f.endsWith(".ttf")).sort()).toEqual(["fonts/DejaVuSans-Bold.ttf", "fonts/DejaVuSans.ttf"]);
    const png = readFileSync(join(ROOT, "dist/render/png.js"), "utf8");
    expect(png).toContain('"DejaVuSans.ttf"');
    expect(png).toContain('"DejaVuSans-Bold.ttf"');
  });

  it("ships no source map that names a file it does not ship", () => {
    const maps = [...files].filter((f) => f.endsWith(".map"));
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(ROOT, map), "utf8")) as { sources: string[] };
      for (const source of sources) expect(files, `${map} names ${source}`).toContain(normalize(join(dirname(map), source)));
    }
  });

  it("imports only Node's modules, its own shipped files and its runtime dependencies — and uses every one of those", () => {
    const runtime = new Set(Object.keys(manifest.dependencies));
    const meta = (manifest as { peerDependenciesMeta?: Record<string, { optional?: boolean }> }).peerDependenciesMeta ?? {};
    const optionalPeers = new Set(Object.keys(meta).filter((name) => meta[name]!.optional));
    const used = new Set<string>();
    const code = [...files].filter((f) => /\.(c|m)?js$/.test(f));
    expect(code.length).toBeGreaterThan(10);
    for (const file of code) {
      for (const spec of specifiers(readFileSync(join(ROOT, file), "utf8"))) {
        if (isBuiltin(spec) || spec === manifest.name) continue;
        if (spec.startsWith(".")) {
          expect(files, `${file} imports ${spec}`).toContain(normalize(join(dirname(file), spec)));
          continue;
        }
        const name = packageName(spec);
        // An optional peer (vitest) may be imported only by the entry point that exists for it.
        if (optionalPeers.has(name) && file.startsWith(`dist/${name}/`)) continue;
        expect(runtime, `${file} imports ${spec}, which must be a runtime dependency`).toContain(name);
        used.add(name);
      }
    }
    expect(
      [...runtime].filter((d) => !used.has(d)),
      "runtime dependencies nothing imports",
    ).toEqual([]);
  });
});

describe("require() from CommonJS", () => {
  /** Run a CommonJS snippet from the repository root, where `require("backrefs")` is a self-reference. */
  function runCjs(code: string, nodeFlags: string[] = []) {
    return spawnSync(process.execPath, [...nodeFlags, "--input-type=commonjs", "-e", code], { cwd: ROOT, encoding: "utf8" });
  }

  it("gives the same module as import() on a Node that can require ES modules", () => {
    const r = runCjs(
      'const b = require("backrefs"); import("backrefs").then((m) => console.log(m === b, typeof b.openSnapshot, typeof b.liveSnapshot));',
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("true function function");
  });

  it("fails with one sentence saying backrefs is ESM-only where Node cannot", () => {
    const r = runCjs('try { require("backrefs") } catch (e) { console.log(e.message) }', ["--no-experimental-require-module"]);
    expect(r.stdout.trim()).toBe(
      'backrefs is an ES module (ESM-only) and this Node cannot require() it: use `const backrefs = await import("backrefs")`, ' +
        "or run Node 20.19 or later, which loads ES modules from require().",
    );
  });
});
