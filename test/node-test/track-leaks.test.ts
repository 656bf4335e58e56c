/**
 * The node:test variant on samples/node-test-leaky, run as a user runs it (`node --test`), each
 * file in its own process. Needs `tsc` to have built dist/ (`npm test` does).
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import type { LeftoverReport } from "../../src/testing/leak-report.js";
import { tempDir } from "../helpers/temp-dir.js";

const SAMPLE = resolve(import.meta.dirname, "../../samples/node-test-leaky");

it("names the file that leaks with exact counts and a picture, and not the clean one", async () => {
  const dir = tempDir("backrefs-nodetest-");
  const { code, stdout } = await new Promise<{ code: number; stdout: string }>((done, fail) => {
    const child = spawn(process.execPath, ["--test", "--test-reporter=tap", "users.test.mjs", "clean.test.mjs"], {
      cwd: SAMPLE,
      env: { ...process.env, LEAK_REPORT_DIR: dir, NODE_OPTIONS: "", NODE_TEST_CONTEXT: undefined },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", fail);
    child.on("close", (c) => done({ code: c ?? -1, stdout: out }));
  });
  expect(code).toBe(0);
  expect(readdirSync(dir).sort()).toEqual(["users.test.mjs.json", "users.test.mjs.svg"]);
  const report = JSON.parse(readFileSync(join(dir, "users.test.mjs.json"), "utf8")) as LeftoverReport;
  expect(report.name).toBe("users.test.mjs");
  const users = report.classes.find((c) => c.className === "CachedUser")!;
  expect(users.count).toBe(120);
  expect(users.paths[0]).toMatchObject({ count: 120 });
  expect(users.paths[0]!.path).toMatch(/ ->userCache → Map .* → CachedUser$/);
  // node:test's own objects (tests, hooks, its reporter's streams) are not there.
  expect(report.classes.map((c) => c.className)).not.toContain("Test");
  expect(report.classes.map((c) => c.className)).not.toContain("TestHook");
  expect(readFileSync(join(dir, "users.test.mjs.svg"), "utf8")).toMatch(/CachedUser/);
  // The report reaches the user as test diagnostics.
  expect(stdout).toMatch(/# backrefs: users\.test\.mjs left objects alive after a GC \(snapshots took [\d.]+ s/);
  expect(stdout).toMatch(/# {3}CachedUser +\+120 /);
  expect(stdout).toMatch(/# backrefs: clean\.test\.mjs left no objects alive after a GC/);
  expect(existsSync(join(dir, "clean.test.mjs.svg"))).toBe(false);
}, 300_000);
