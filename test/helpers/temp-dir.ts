/**
 * Temporary folders for tests: each one made here is removed once the tests of the file that made it
 * are done (by the `afterAll` of test/helpers/remove-temp-dirs.ts, a setup file of every test file:
 * vitest.config.ts). Made anywhere — at the top of a file, in a hook, in a test — and never left
 * behind in the system's temporary folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** A new, empty folder in the system's temporary folder, its name starting with `prefix`. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every folder {@link tempDir} made so far, with what it holds. */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
