/**
 * What a command loads before it starts, and the timing marks (BACKREFS_TIMING=1) that show where
 * its time and memory go. Runs the real binary over `dist/` (built by `npm test`), with a module
 * hook that lists every module the process loads.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { BIN, ROOT } from "../helpers/cli.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = join(ROOT, "samples/leak.heapsnapshot.gz");
/**
 * What reads snapshots, analyses them, caches and draws: no command needs it before it runs (but
 * render/tiering.js, a few lines that the command line configures at start, loads only node:v8).
 */
const HEAVY = /^dist\/(snapshot\/|graph\/(?!id-set|id-sample)|render\/(?!tiering\.js)|cache\/|api\/snapshot)|^@/;
const tmp = tempDir("backrefs-startup-");
const hooks = join(tmp, "hooks.mjs");
const register = join(tmp, "register.mjs");
// Every module loaded is written to stderr as `loaded: <url>`.
writeFileSync(
  hooks,
  `export async function load(url, context, next) { process._rawDebug("loaded: " + url); return next(url, context); }\n`,
);
writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Modules of this package (`dist/...`) and of its dependencies (`node_modules/<name>`) loaded. */
  loaded: string[];
}

function run(args: string[], env: Record<string, string> = {}, listModules = true): Run {
  const r = spawnSync(process.execPath, [...(listModules ? ["--import", register] : []), BIN, ...args], {
    cwd: tmp,
    env: { ...process.env, BACKREFS_CACHE: "0", DEBUG: "", ...env },
    encoding: "utf8",
  });
  const loaded: string[] = [];
  const stderr: string[] = [];
  for (const line of r.stderr.split("\n")) {
    const m = /^loaded: (.*)$/.exec(line);
    if (!m) {
      stderr.push(line);
      continue;
    }
    const url = m[1]!;
    const dist = /\/dist\/(.*)$/.exec(url);
    const dep = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (dep) loaded.push(dep[1]!);
    else if (dist && url.startsWith(pathToFileURL(ROOT).href)) loaded.push(`dist/${dist[1]}`);
  }
  return { status: r.status, stdout: r.stdout, stderr: stderr.join("\n"), loaded };
}

describe("start-up", () => {
  it("--version loads no command: no snapshot reader, analysis, cache or drawing", () => {
    const r = run(["--version"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.loaded).toContain("dist/cli/main.js");
    expect(r.loaded.filter((m) => HEAVY.test(m))).toEqual([]);
    expect(r.loaded).not.toContain("dist/query/growth.js");
  });

  it("a usage error loads no command either", () => {
    const r = run(["info"]);
    expect(r.status).toBe(2);
    expect(r.loaded.filter((m) => HEAVY.test(m))).toEqual([]);
  });

  it("info loads the reader and the analysis but nothing that lays out or rasterises pictures", () => {
    const r = run(["info", SAMPLE, "--json", "-q"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.loaded).toContain("dist/snapshot/read.js");
    expect(r.loaded).toContain("dist/graph/dominators.js");
    for (const m of ["dist/render/svg.js", "dist/render/fit.js", "dist/render/png.js", "dist/render/warm-up.js"]) {
      expect(r.loaded).not.toContain(m);
    }
    // Nor what answers questions about particular objects or compares snapshots.
    for (const m of [
      "dist/query/backrefs.js",
      "dist/query/group.js",
      "dist/query/paths.js",
      "dist/query/growth.js",
      "dist/render/dot.js",
    ]) {
      expect(r.loaded).not.toContain(m);
    }
    expect(r.loaded).not.toContain("@hpcc-js/wasm-graphviz");
    expect(r.loaded).not.toContain("@resvg/resvg-wasm");
  });

  it("diff, and a check that draws nothing, load nothing that draws pictures", () => {
    const drawing = ["dist/cli/draw.js", "dist/render/svg.js", "dist/render/png.js", "dist/render/warm-up.js"];
    const diff = run(["diff", SAMPLE, SAMPLE, "--json", "-q"]);
    expect(diff.status, diff.stderr).toBe(0);
    expect(diff.loaded).toContain("dist/query/growth.js");
    const check = run(["check", SAMPLE, "--max-count", "LeakyRequest=1000000", "-q"]);
    expect(check.status, check.stderr).toBe(0);
    expect(check.loaded).toContain("dist/query/check.js");
    for (const m of drawing) {
      expect(diff.loaded).not.toContain(m);
      expect(check.loaded).not.toContain(m);
    }
    // A check that fails draws what retains the class, with what draws loaded then.
    const failed = run(["check", SAMPLE, "--max-count", "LeakyRequest=0", "-q"]);
    expect(failed.status, failed.stderr).toBe(3);
    expect(failed.loaded).toContain("dist/render/svg.js");
  });

  it("a command answered from the snapshot cache loads no snapshot reader", () => {
    const env = { BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: tempDir("backrefs-startup-cache-") };
    const first = run(["info", SAMPLE, "--json", "-q"], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.loaded).toContain("dist/snapshot/parser.js");
    const second = run(["info", SAMPLE, "--json", "-q"], env);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^cache: used /m);
    expect(second.stdout).toBe(first.stdout);
    for (const m of ["dist/snapshot/read.js", "dist/snapshot/parser.js", "dist/snapshot/number-columns.js"]) {
      expect(second.loaded).not.toContain(m);
    }
  });

  it("a picture loads the layout and, for a PNG only, the rasteriser", () => {
    const svg = run([SAMPLE, "--type", "LeakyRequest", "-o", "x.svg", "-q"]);
    expect(svg.status, svg.stderr).toBe(0);
    expect(svg.loaded).toContain("dist/render/fit.js");
    expect(svg.loaded).toContain("@hpcc-js/wasm-graphviz");
    // The layout worker starts as soon as the command line is read, before the cache's modules load.
    expect(svg.loaded.indexOf("dist/render/svg.js")).toBeGreaterThanOrEqual(0);
    expect(svg.loaded.indexOf("dist/render/svg.js")).toBeLessThan(svg.loaded.indexOf("dist/cli/cache.js"));
    expect(svg.loaded).not.toContain("@resvg/resvg-wasm");
    expect(svg.loaded).not.toContain("dist/render/png.js");
    expect(svg.loaded).not.toContain("dist/render/png-encode.js");
    const png = run([SAMPLE, "--type", "LeakyRequest", "-o", "x.png", "-q"]);
    expect(png.status, png.stderr).toBe(0);
    expect(png.loaded).toContain("@resvg/resvg-wasm");
  });

  it("--version and info of a small snapshot load none of Node's worker threads, performance timers or CommonJS export scanner", () => {
    // Node's own list of its modules when the process ends (what an ES import and a require load alike).
    const probe = join(tmp, "builtins.mjs");
    writeFileSync(
      probe,
      `process.on("exit", () => process._rawDebug("builtins: " + process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13)).join(" ")));\n`,
    );
    const builtins = (args: string[], env: Record<string, string> = {}): string[] => {
      const r = spawnSync(process.execPath, ["--import", probe, BIN, ...args], {
        cwd: tmp,
        env: { ...process.env, BACKREFS_CACHE: "1", BACKREFS_CACHE_DIR: tempDir("backrefs-startup-builtins-"), DEBUG: "", ...env },
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const line = /^builtins: (.*)$/m.exec(r.stderr);
      expect(line, r.stderr).not.toBeNull();
      return line![1]!.split(" ");
    };
    // A thread, performance.now() and an ES import of a CommonJS package (commander) each load these.
    const notNeeded = ["worker_threads", "perf_hooks", "internal/deps/cjs-module-lexer/lexer"];
    const version = builtins(["--version"]);
    const info = builtins(["info", SAMPLE, "--json", "-q"]);
    expect(info).toContain("zlib"); // the list is read: the entry's checksums load zlib
    for (const m of notNeeded) {
      expect(version).not.toContain(m);
      expect(info).not.toContain(m);
    }
    // A picture's layout runs on a worker thread: Node's worker module is loaded then, and still
    // not the performance timers.
    const picture = builtins([SAMPLE, "--type", "LeakyRequest", "-o", "x.svg", "-q"]);
    expect(picture).toContain("worker_threads");
    expect(picture).not.toContain("perf_hooks");
    // With timing marks (which read performance.now()), the timers are loaded.
    expect(builtins(["info", SAMPLE, "--json", "-q"], { BACKREFS_TIMING: "1" })).toContain("perf_hooks");
  });

  it("retaining paths as text start no layout worker", () => {
    const r = run([SAMPLE, "--type", "LeakyRequest", "-o", "x.txt", "-q"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.loaded).not.toContain("dist/render/layout-worker.js");
    expect(r.loaded).not.toContain("@hpcc-js/wasm-graphviz");
  });
});

describe("BACKREFS_TIMING=1", () => {
  it("marks each step on stderr (time, memory), in order, and leaves the answer unchanged", () => {
    const plain = run(["info", SAMPLE, "--json", "-q"], {}, false);
    const timed = run(["info", SAMPLE, "--json", "-q"], { BACKREFS_TIMING: "1" }, false);
    expect(timed.status, timed.stderr).toBe(0);
    expect(timed.stdout).toBe(plain.stdout);
    expect(plain.stderr).not.toMatch(/timing:/);
    const marks = timed.stderr
      .split("\n")
      .filter((l) => l.startsWith("timing:"))
      .map((l) => /^timing: +(\d+) ms \(CPU +(\d+) ms\) +(\d+) MB \(JS heap +\d+, array buffers +\d+\) +(.+)$/.exec(l));
    expect(
      marks.every((m) => m !== null),
      timed.stderr,
    ).toBe(true);
    const labels = marks.map((m) => m![4]);
    const order = ["command line read", "opening snapshot", "snapshot read", "dominators", "answer computed", "answer written"];
    const at = order.map((l) => labels.indexOf(l));
    expect(
      at.every((i) => i >= 0),
      labels.join(" | "),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const ms = marks.map((m) => Number(m![1]));
    expect([...ms].sort((a, b) => a - b)).toEqual(ms);
    // CPU time only grows, and the analysis takes some.
    const cpu = marks.map((m) => Number(m![2]));
    expect([...cpu].sort((a, b) => a - b)).toEqual(cpu);
    expect(cpu.at(-1)!).toBeGreaterThan(cpu[0]!);
    expect(marks.every((m) => Number(m![3]) > 0)).toBe(true);
  });

  it("marks the drawing of a picture", () => {
    const r = run([SAMPLE, "--type", "LeakyRequest", "-o", "t.svg", "-q"], { BACKREFS_TIMING: "1" }, false);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/timing: .* picture drawn\n/);
  });
});

describe("the binary's V8 flags", () => {
  // V8's tag for compiled code (it changes with any flag set) when the process starts and when it
  // ends, and whether a context made at the end gets a `gc` function; printed by a module loaded first.
  const probe = join(tmp, "flags.mjs");
  writeFileSync(
    probe,
    `import { cachedDataVersionTag } from "node:v8";\nimport { runInNewContext } from "node:vm";\nimport { isMainThread } from "node:worker_threads";\n` +
      `const start = cachedDataVersionTag();\n` +
      `if (isMainThread) process.on("exit", () => process._rawDebug("flags: " + start + " " + cachedDataVersionTag() + " " + runInNewContext("typeof gc")));\n`,
  );
  const flagsAtExit = (nodeFlags: string[], args: string[]): { same: boolean; gc: string } => {
    const r = spawnSync(process.execPath, [...nodeFlags, "--import", probe, BIN, ...args], {
      cwd: tmp,
      env: { ...process.env, BACKREFS_CACHE: "0", BACKREFS_HUGE_PAGES: "0" },
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const m = /^flags: (\d+) (\d+) (\w+)$/m.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    return { same: m![1] === m![2], gc: m![3]! };
  };

  // While any flag differs from V8's default, Node compiles its own modules from source in this
  // thread and in every worker started: the commands set flags only for a moment.
  it("leaves V8's flags as they were once a command has collected garbage and drawn a picture", async () => {
    expect(flagsAtExit([], ["info", SAMPLE, "--json", "-q"])).toEqual({ same: true, gc: "undefined" });
    // The WebAssembly budget held while a picture's modules are instantiated is given back where
    // V8's own value is known (src/cli/wasm-tiering.ts), and stays set elsewhere.
    const { cliWasmTiering } = await import("../../src/cli/wasm-tiering.js");
    const restored = cliWasmTiering([], process.versions.v8)?.restore !== null;
    expect(flagsAtExit([], [SAMPLE, "--type", "LeakyRequest", "-o", "flags.png", "-q"])).toEqual({ same: restored, gc: "undefined" });
  });

  it("keeps --expose-gc when Node was started with it", () => {
    expect(flagsAtExit(["--expose-gc"], ["info", SAMPLE, "--json", "-q"])).toEqual({ same: true, gc: "function" });
  });
});
