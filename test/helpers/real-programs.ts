/**
 * Snapshots of real programs, for the picture tests: each program in `test/fixtures/programs/` runs
 * in a fresh Node process and writes its own heap snapshot (tens of MB: made per test run, never
 * committed).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

let dir: string | undefined;
const made = new Map<string, string>();

export type RealProgram = "typescript-compile" | "http-cache";

/** Runs the program and returns the path of its snapshot (once per test process). */
export function realProgramSnapshot(program: RealProgram): string {
  const have = made.get(program);
  if (have) return have;
  dir ??= mkdtempSync(join(tmpdir(), "backrefs-programs-"));
  const file = join(dir, `${program}.heapsnapshot`);
  const script = fileURLToPath(new URL(`../fixtures/programs/${program}.cjs`, import.meta.url));
  execFileSync(process.execPath, [script, file], { stdio: "inherit" });
  made.set(program, file);
  return file;
}

/** Removes the snapshots made so far (call from `afterAll`: they are tens of MB each). */
export function removeRealProgramSnapshots(): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  made.clear();
}
