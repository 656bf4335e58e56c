/**
 * What the vitest setup file (in the workers) and the reporter (in the main process) share: where
 * the snapshots go, and how vitest's own state is told from the tests'.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Environment variables through which the reporter tells the workers where to write. */
export const ENV_DIR = "BACKREFS_LEAKS_DIR";
export const ENV_PER_TEST = "BACKREFS_LEAKS_PER_TEST";

/**
 * Where a test file that imported `expectNoLeaks` from "backrefs/vitest" leaves what the setup file
 * awaits before the file's first snapshot: loading the snapshot reader, which `expectNoLeaks` would
 * otherwise load as it first runs — its modules and Node's loader's records of them new in the
 * file, charged to it by the reporter.
 */
export const PREPARE_KEY = Symbol.for("backrefs.vitest.prepare");

/** The report directory when none is given. */
export const DEFAULT_DIR = "backrefs-leaks";

/** Snapshots and their manifests live here, under the report directory, until analysed. */
export const SNAPSHOT_SUBDIR = "snapshots";

/**
 * Global properties that hold vitest's state (the worker's state and RPC, the expect and mock
 * registries, its console that buffers output per test): not followed, except the module graph
 * through which user modules' state is reached.
 */
export const VITEST_GLOBALS: readonly string[] = [
  "__vitest_worker__.evaluatedModules",
  "__vitest*",
  "__VITEST*",
  "console",
  "<symbol matchers-object>",
  "<symbol expect-global>",
  "<symbol asymmetric-matchers-object>",
  "<symbol $$jest-matchers-object>",
  "<symbol secret:mocks>",
  "<symbol VITEST*",
];

/** The packages vitest runs on: their code's variables are the runner's state. */
const RUNNER_PACKAGES =
  /[\\/]node_modules[\\/](?:vitest|@vitest[\\/][^\\/]+|vite|vite-node|tinypool|tinyspy|birpc|chai|tinyrainbow|expect-type|magic-string|pathe|std-env|tinybench|@jridgewell[\\/][^\\/]+|es-module-lexer|obug|debug)[\\/]/;

/** backrefs' own compiled code (this package's `dist/`). */
const OWN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Whether a script (a path or a file URL) is vitest's or backrefs' own code. */
export function isRunnerScript(script: string): boolean {
  const path = script.startsWith("file://") ? safePath(script) : script;
  return RUNNER_PACKAGES.test(path) || path.startsWith(OWN_DIR + "/") || path.startsWith(OWN_DIR + "\\");
}

function safePath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    return url;
  }
}
