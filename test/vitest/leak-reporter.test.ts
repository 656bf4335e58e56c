/**
 * The vitest integration run on the sample project (samples/vitest-leaky) as a user runs it: its
 * own vitest config (setup file + reporter), in a child process, in both pools and both isolate
 * modes. Needs `tsc` to have built dist/ (`npm test` does): the sample imports `backrefs/vitest/*`.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { LeakReportFile } from "../../src/vitest/reporter.js";
import { tempDir } from "../helpers/temp-dir.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SAMPLE = join(ROOT, "samples/vitest-leaky");
const VITEST = join(ROOT, "node_modules/vitest/vitest.mjs");

interface Run {
  code: number;
  stdout: string;
  report: LeakReportFile;
  dir: string;
}

function runSample(args: string[]): Promise<Run> {
  const dir = tempDir("backrefs-vitest-");
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [VITEST, "run", ...args], {
      cwd: SAMPLE,
      env: {
        ...process.env,
        LEAK_REPORT_DIR: dir,
        NO_COLOR: "1",
        FORCE_COLOR: "0",
        VITEST: undefined,
        VITEST_POOL_ID: undefined,
        VITEST_WORKER_ID: undefined,
        NODE_OPTIONS: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => {
      const file = join(dir, "report.json");
      if (!existsSync(file)) return fail(new Error(`no report.json (exit ${code})\n${stdout}\n${stderr}`));
      done({ code: code ?? -1, stdout, report: JSON.parse(readFileSync(file, "utf8")) as LeakReportFile, dir });
    });
  });
}

function count(run: Run, file: string, cls: string): number | undefined {
  return run.report.leaks.find((l) => l.name === file)?.classes.find((c) => c.className === cls)?.count;
}

describe("vitest leak reporter on samples/vitest-leaky", () => {
  // Both runs at once: each spends most of its time in snapshots of its own workers.
  const forks = runSample(["--pool", "forks"]);
  const threads = runSample(["--pool", "threads", "--no-isolate", "test/poller.test.ts", "test/invoice.test.ts", "test/session.test.ts"]);

  // Minutes, not seconds, on a loaded 2-core machine: two vitest runs, two snapshots per test file.
  const TIMEOUT = 300_000;

  it(
    "forks, isolated: names the three leaking files, worst first, with exact counts, not the clean one",
    async () => {
      const r = await forks;
      expect(r.code).toBe(0);
      expect(r.report.files).toBe(4);
      expect(r.report.leaks.map((l) => l.name)).toEqual(["test/users.test.ts", "test/session.test.ts", "test/poller.test.ts"]);
      expect(count(r, "test/users.test.ts", "CachedUser")).toBe(120);
      expect(count(r, "test/session.test.ts", "Session")).toBe(5);
      expect(count(r, "test/poller.test.ts", "StatusPoller")).toBe(2);
      expect(count(r, "test/poller.test.ts", "Timeout")).toBe(2);
      // The clean file's objects, and vitest's per-test bookkeeping, are not there.
      const classes = r.report.leaks.flatMap((l) => l.classes.map((c) => c.className));
      expect(classes).not.toContain("Invoice");
      expect(classes).not.toContain("Listener");
      expect(classes).not.toContain("Promise");
      // Why: the grouped path of the cached users goes through the module's cache.
      const users = r.report.leaks[0]!.classes.find((c) => c.className === "CachedUser")!;
      expect(users.paths[0]).toMatchObject({ count: 120 });
      expect(users.paths[0]!.path).toMatch(/^module src\/users\.ts .*Map .*CachedUser$/);
      const session = r.report.leaks[1]!.classes.find((c) => c.className === "Session")!;
      expect(session.paths[0]!.path).toMatch(/EventEmitter \._events → Object \.reload → .* ->this → Session$/);
      // A picture per leaking file, and the text names them.
      for (const l of r.report.leaks) {
        expect(l.picture).toBe(join(r.dir, l.name.replace(/\//g, "_") + ".svg"));
        expect(readFileSync(l.picture!, "utf8")).toMatch(/^<\?xml|^<svg/);
      }
      // The module the users' path starts at is named from the project's folder on, as in the text.
      const usersPicture = readFileSync(r.report.leaks[0]!.picture!, "utf8");
      expect(usersPicture).toContain(">module src/users.ts<");
      expect(existsSync(join(r.dir, "test_invoice.test.ts.svg"))).toBe(false);
      expect(r.stdout).toMatch(/backrefs: 3 of 4 test files left objects alive after a GC, worst first \(snapshots took [\d.]+ s/);
      expect(r.stdout).toMatch(/test\/users\.test\.ts: left [\d,]+ objects alive/);
      expect(r.stdout).not.toMatch(/test\/invoice\.test\.ts: left/);
      // Snapshots are deleted once read.
      expect(existsSync(join(r.dir, "snapshots"))).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "threads, one worker for all files (isolate off): each file is charged only with what it left",
    async () => {
      const r = await threads;
      expect(r.code).toBe(0);
      expect(r.report.files).toBe(3);
      expect(r.report.leaks.map((l) => l.name)).toEqual(["test/session.test.ts", "test/poller.test.ts"]);
      expect(count(r, "test/session.test.ts", "Session")).toBe(5);
      expect(count(r, "test/poller.test.ts", "StatusPoller")).toBe(2);
      expect(r.report.leaks.find((l) => l.name === "test/session.test.ts")!.classes.map((c) => c.className)).not.toContain("StatusPoller");
      for (const l of r.report.leaks) expect(existsSync(l.picture!)).toBe(true);
    },
    TIMEOUT,
  );
});
