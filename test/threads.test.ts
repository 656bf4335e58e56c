/**
 * The worker threads really do their work — from the TypeScript sources (loaded through the test
 * suite's module hooks, test/helpers/ts-hooks.mjs) and from the compiled package in `dist/` (what
 * users run; `npm test` builds it first). Each worker reports, job by job, whether its result was
 * used; a worker that fails to load, crashes or answers nothing makes these tests fail, even though
 * backrefs itself quietly does the work on one thread then.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as Library from "../src/internals.js";
import { workerExecArgv, type WorkerReport } from "../src/threads.js";
import { tempDir } from "./helpers/temp-dir.js";

const ROOT = resolve(import.meta.dirname, "..");
let plain: string;

beforeAll(() => {
  // The edges worker reads plain files only (not gzip, not standard input).
  plain = join(tempDir("backrefs-threads-"), "leak.heapsnapshot");
  writeFileSync(plain, gunzipSync(readFileSync(join(ROOT, "samples/leak.heapsnapshot.gz"))));
});

const builds: Array<[string, () => Promise<typeof Library>]> = [
  ["the TypeScript sources", () => import("../src/internals.js")],
  // A computed path: the type checker must not need dist/ to exist.
  ["the compiled package (dist/)", () => import(pathToFileURL(join(ROOT, "dist", "internals.js")).href) as Promise<typeof Library>],
];

for (const [name, load] of builds) {
  describe(`worker threads of ${name}`, () => {
    let lib: typeof Library;
    beforeAll(async () => {
      lib = await load();
    });
    afterAll(async () => {
      await lib?.closeLayoutWorker();
    });

    it("the edges worker reads the edges array, giving the same columns as one thread", async () => {
      const reports: WorkerReport[] = [];
      const two = await lib.readSnapshotRaw(plain, { parallel: true, onWorker: (r) => reports.push(r) });
      // (The main thread may or may not jump over the array, by where its chunks end: `skippedToEnd`.)
      expect(reports).toEqual([expect.objectContaining({ worker: "edges", task: "edges", done: true })]);
      expect(reports[0]!.problem).toBeUndefined();
      const one = await lib.readSnapshotRaw(plain, { parallel: false, onWorker: (r) => reports.push(r) });
      expect(reports).toHaveLength(1); // no worker on one thread
      expect(two.edges.to).toEqual(one.edges.to);
      expect(two.edges.type).toEqual(one.edges.type);
      expect(two.edges.name).toEqual(one.edges.name);
      expect(two.meta.edgeCount).toBeGreaterThan(100_000);
    });

    it("the analysis helper does its five tasks, giving the same numbers as one thread", async () => {
      const graph = await lib.loadHeapGraph(plain, { parallel: false });
      const reports: WorkerReport[] = [];
      const two = new lib.HeapAnalysis(graph);
      await two.prepare({ parallel: true, onWorker: (r) => reports.push(r) });
      expect(reports.filter((r) => !r.done)).toEqual([]);
      expect(new Set(reports.map((r) => r.task))).toEqual(new Set(["page-owned", "shallow", "mark-essential", "number", "translate"]));
      expect(reports.every((r) => r.worker === "analysis helper")).toBe(true);

      const one = new lib.HeapAnalysis(graph);
      await one.prepare({ parallel: false, onWorker: (r) => reports.push(r) });
      expect(reports).toHaveLength(5);
      expect(Array.from(two.retainedSizes())).toEqual(Array.from(one.retainedSizes()));
      expect(Array.from(two.shallowSizes())).toEqual(Array.from(one.shallowSizes()));
      expect(Array.from(two.dominators().idom)).toEqual(Array.from(one.dominators().idom));

      // Given work to do alongside, the helper thread finishes the dominator tree too, and says
      // when it has, without this thread waiting for its answer: work alongside that goes on
      // while the helper is busy sees it finish.
      const finishing: WorkerReport[] = [];
      const three = new lib.HeapAnalysis(graph);
      const seen: boolean[] = [];
      await three.prepare({
        parallel: true,
        onWorker: (r) => finishing.push(r),
        alongside: (helperBusy) => {
          seen.push(helperBusy());
          // Bounded, so that a helper that never says so fails the test instead of hanging it.
          const until = Date.now() + 60_000;
          while (helperBusy() && Date.now() < until);
          seen.push(helperBusy());
        },
      });
      expect(seen).toHaveLength(2);
      expect(seen[1]).toBe(false);
      expect(finishing.filter((r) => !r.done)).toEqual([]);
      expect(finishing.map((r) => r.task)).toContain("finish-tree");
      expect(Array.from(three.dominators().idom)).toEqual(Array.from(one.dominators().idom));
      expect(Array.from(three.retainedSizes())).toEqual(Array.from(one.retainedSizes()));
    });

    it("the layout worker draws the SVG", async () => {
      const graph = await lib.loadHeapGraph(plain);
      const ctx = lib.walkContext(graph);
      const { ordinals } = lib.selectNodes(graph, { types: ["LeakyRequest"] });
      const { drawn } = lib.chooseTargets(graph, ctx, ordinals, 1);
      const svg = await lib.renderSvg(lib.toDot(lib.retainerSubgraph(graph, ctx, drawn, lib.defaultBackrefsOptions)));
      expect(svg).toMatch(/<svg[^>]* role="img"/);
      expect(svg).toContain("LeakyRequest");
    });
  });
}

describe("the analysis helper started early (compiled package)", () => {
  it("does not keep a process alive when nothing takes it", () => {
    const helper = pathToFileURL(join(ROOT, "dist", "graph", "helper.js")).href;
    const code = `import(${JSON.stringify(helper)}).then(({ AnalysisHelper }) => { AnalysisHelper.startEarly(); console.log(AnalysisHelper.waiting); })`;
    // A thread that held the process would end this child only at the kill.
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8", timeout: 60_000 });
    expect(r.signal).toBe(null);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("true");
  });
});

describe("the Node options a worker thread inherits", () => {
  it("are the process's own unless they stop a worker from starting: then all but those that say what the main script is", () => {
    expect(workerExecArgv([])).toBeNull();
    expect(workerExecArgv(["-e", "code", "--expose-gc"])).toBeNull();
    expect(workerExecArgv(["--input-type=module", "-e", "code"])).toEqual([]);
    expect(workerExecArgv(["--input-type", "module", "--eval", "code", "--expose-gc"])).toEqual(["--expose-gc"]);
    expect(workerExecArgv(["--import", "hooks.mjs", "--input-type=commonjs", "-p", "1 + 1"])).toEqual(["--import", "hooks.mjs"]);
    expect(workerExecArgv(["--input-type=module", "--eval=code", "--enable-source-maps"])).toEqual(["--enable-source-maps"]);
  });

  it("let a program run as `node --input-type=module -e …` draw (compiled package)", () => {
    const svg = pathToFileURL(join(ROOT, "dist", "render", "svg.js")).href;
    const code = `const { renderSvg, closeLayoutWorker } = await import(${JSON.stringify(svg)});
console.log((await renderSvg("digraph { a -> b }")).includes("<svg"));
await closeLayoutWorker();`;
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe("true");
    // V8's own options, which a worker may not be given explicitly, leave the workers as they were:
    // inherited, never an error from the worker's start.
    const cli = spawnSync(
      process.execPath,
      [
        "--max-old-space-size=4000",
        "--expose-gc",
        join(ROOT, "bin", "backrefs.js"),
        plain,
        "--type",
        "LeakyRequest",
        "--max-targets",
        "1",
        "-o",
        "-",
        "--format",
        "svg",
        "--no-cache",
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(cli.status).toBe(0);
    expect(cli.stdout).toContain("<svg");
  });
});
