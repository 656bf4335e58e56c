/**
 * The fetch globals the command line takes away (src/cli/web-globals.ts): which it deletes, that it
 * never reads one, and that a PNG drawn by the binary then reads none of them while the library,
 * which keeps them, does.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { dropFetchGlobals, FETCH_GLOBALS } from "../../src/cli/web-globals.js";
import { BIN, ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("dropFetchGlobals", () => {
  it("deletes the lazy accessors without reading them and keeps what is already a value", () => {
    const reads: string[] = [];
    const target: Record<string, unknown> = {};
    for (const name of ["Request", "Response", "FormData"]) {
      Object.defineProperty(target, name, { configurable: true, get: () => reads.push(name) });
    }
    // Loaded already (a plain value): it stays. `fetch` is not one of them, whatever it is.
    target["Headers"] = "loaded";
    Object.defineProperty(target, "fetch", { configurable: true, get: () => reads.push("fetch") });
    expect(dropFetchGlobals(target)).toEqual(["Request", "Response", "FormData"]);
    expect(reads).toEqual([]);
    expect(Object.keys(target)).toEqual(["Headers"]);
    expect(Object.getOwnPropertyDescriptor(target, "fetch")?.get).toBeDefined(); // not one of them
    expect(FETCH_GLOBALS).not.toContain("fetch");

    // Fixed in place (not configurable): it stays, unread.
    const fixed: object = {};
    Object.defineProperty(fixed, "Response", { configurable: false, get: () => reads.push("Response") });
    expect(dropFetchGlobals(fixed)).toEqual([]);
    expect(reads).toEqual([]);
  });
});

describe("a PNG from the command line", () => {
  // Preloaded before the binary: each fetch global becomes an accessor, like Node's own lazy ones,
  // that says on stderr when it is read.
  const trap =
    "data:text/javascript," +
    encodeURIComponent(
      `for (const k of ${JSON.stringify(FETCH_GLOBALS)}) Object.defineProperty(globalThis, k, ` +
        `{ configurable: true, get() { process.stderr.write("read global " + k + "\\n"); return undefined; } });`,
    );
  const sample = join(ROOT, "samples/leak.heapsnapshot.gz");

  it("reads no fetch global, so Node's HTTP client is never loaded", () => {
    const png = join(tempDir("backrefs-web-globals-"), "out.png");
    const r = spawnSync(process.execPath, ["--import", trap, BIN, sample, "--type", "LeakyRequest", "-o", png, "-q"], {
      env: { ...process.env, BACKREFS_CACHE: "0" },
      encoding: "utf8",
    });
    expect(r.stderr).not.toMatch(/read global/);
    expect(r.status).toBe(0);
    expect(existsSync(png)).toBe(true);
  }, 60_000);

  it("is drawn by a library that keeps the globals, whose rasteriser reads them", () => {
    const png = pathToFileURL(join(ROOT, "dist/render/png.js")).href;
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5" height="5"/></svg>';
    const program = `const { renderPng } = await import(${JSON.stringify(png)}); const out = await renderPng(${JSON.stringify(svg)}); process.stdout.write(String(out.length));`;
    const r = spawnSync(process.execPath, ["--import", trap, "--input-type=module", "-e", program], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(Number(r.stdout)).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/read global Request/);
  }, 60_000);
});
