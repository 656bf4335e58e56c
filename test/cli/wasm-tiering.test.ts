/**
 * The command line's WebAssembly tiering (src/cli/wasm-tiering.ts): which flag it sets, when it
 * leaves V8 alone, and that the pictures do not depend on it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI_WASM_TIERING_BUDGET, cliWasmTiering, wasmTieringFlag } from "../../src/cli/wasm-tiering.js";
import { BIN, ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("wasmTieringFlag", () => {
  it("raises the tiering budget on the V8 versions of Node 20 to 24", () => {
    for (const v8 of ["11.3.244.8-node.38", "12.4.254.21-node.33", "13.6.233.10-node.18"]) {
      expect(wasmTieringFlag([], v8)).toBe(`--wasm-tiering-budget=${CLI_WASM_TIERING_BUDGET}`);
    }
    expect(CLI_WASM_TIERING_BUDGET).toBeGreaterThan(1_800_000); // V8's default
    expect(CLI_WASM_TIERING_BUDGET).toBeLessThan(2 ** 31); // an int flag
  });

  it("leaves V8 alone when the user gave WebAssembly flags of their own", () => {
    for (const own of [
      ["--liftoff-only"],
      ["--no-liftoff"],
      ["--wasm-tiering-budget=5"],
      ["--max-old-space-size=4096", "--no-wasm-tier-up"],
    ]) {
      expect(wasmTieringFlag(own, "11.3.244.8-node.38")).toBeNull();
    }
    // Flags about other things do not count.
    expect(wasmTieringFlag(["--max-old-space-size=4096", "--enable-source-maps"], "11.3.244.8-node.38")).not.toBeNull();
  });

  it("leaves V8 alone on a version not known to have the flag (V8 prints an error for unknown flags)", () => {
    expect(wasmTieringFlag([], "10.2.154.26-node.22")).toBeNull();
    expect(wasmTieringFlag([], "14.1.146.11-node.14")).toBeNull();
    expect(wasmTieringFlag([], "")).toBeNull();
  });
});

describe("cliWasmTiering", () => {
  it("gives V8 its own budget back after instantiating where that budget is known (Node 20's V8 11)", () => {
    const t = cliWasmTiering([], "11.3.244.8-node.38");
    expect(t?.flag).toBe(`--wasm-tiering-budget=${CLI_WASM_TIERING_BUDGET}`);
    expect(t?.restore).toBe("--wasm-tiering-budget=1800000");
    expect(t?.active.byteLength).toBe(4);
  });

  it("keeps the raised budget where V8's own is not known, and sets nothing where the flag is not", () => {
    const t = cliWasmTiering([], "13.6.233.10-node.18");
    expect(t?.flag).toBe(`--wasm-tiering-budget=${CLI_WASM_TIERING_BUDGET}`);
    expect(t?.restore).toBeNull();
    expect(cliWasmTiering(["--liftoff-only"], "11.3.244.8-node.38")).toBeNull();
    expect(cliWasmTiering([], "10.2.154.26-node.22")).toBeNull();
  });

  it.skipIf(!process.versions.v8.startsWith("11."))("the budget restored is the running V8's default (V8 11)", () => {
    const options = spawnSync(process.execPath, ["--v8-options"], { encoding: "utf8" }).stdout;
    const own = /default: --wasm-tiering-budget=(\d+)/.exec(options)?.[1];
    expect(cliWasmTiering([], process.versions.v8)?.restore).toBe(`--wasm-tiering-budget=${own}`);
  });
});

describe("the picture does not depend on V8's tiering", () => {
  it("writes the same SVG and PNG bytes with the command line's budget, V8's default and no optimising compiler", () => {
    const tmp = tempDir("backrefs-tiering-");
    const sample = join(ROOT, "samples/leak.heapsnapshot.gz");
    const outputs = (nodeFlags: string[], name: string): Buffer[] => {
      const svg = join(tmp, `${name}.svg`);
      const png = join(tmp, `${name}.png`);
      const r = spawnSync(process.execPath, [...nodeFlags, BIN, sample, "--type", "LeakyRequest", "-o", svg, "-o", png, "-q"], {
        env: { ...process.env, BACKREFS_CACHE: "0" },
        encoding: "utf8",
      });
      expect(r.stderr).not.toMatch(/unrecognized flag|Error/);
      expect(r.status).toBe(0);
      return [readFileSync(svg), readFileSync(png)];
    };
    const tuned = outputs([], "tuned");
    // A flag of the user's own about WebAssembly: the command line leaves V8's choice alone.
    const v8Default = outputs(["--wasm-tiering-budget=1800000"], "default");
    const baselineOnly = outputs(["--liftoff-only"], "liftoff");
    expect(tuned[1]!.subarray(1, 4).toString()).toBe("PNG");
    expect(v8Default[0]!.equals(tuned[0]!)).toBe(true);
    expect(v8Default[1]!.equals(tuned[1]!)).toBe(true);
    expect(baselineOnly[0]!.equals(tuned[0]!)).toBe(true);
    expect(baselineOnly[1]!.equals(tuned[1]!)).toBe(true);
  }, 60_000);
});
