/**
 * Output paths and file names as the CLI checks and shows them: what the comparing commands need
 * of the drawing command without loading what draws (draw.ts re-exports these).
 */
import { accessSync, constants as fsConstants, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { BackrefsError } from "../errors.js";
import { sanitizeText } from "../render/format.js";

/**
 * Fails early, before any loading, when an output file could not be written: its folder is
 * missing or not writable, or the path is a folder.
 */
export function checkWritable(path: string): void {
  const full = resolve(path);
  const dir = dirname(full);
  const fail = (what: string, hint: string): never => {
    throw new BackrefsError("E_OUTPUT", `cannot write ${sanitizeText(path)}: ${what}`, hint);
  };
  checkFolder(dir, fail, "create it first, or write somewhere else");
  try {
    if (statSync(full).isDirectory()) fail("it is a folder", "give a file name");
  } catch (e) {
    if (e instanceof BackrefsError) throw e;
    // does not exist yet: fine
  }
}

/**
 * Checks, before any loading, that pictures can be written into `dir` (`check --picture-dir`): the
 * folder, or the nearest of its parents that exists (a CI job's artifact folder usually does not
 * exist yet, and is made with {@link makeDir} when the first picture is written), is a writable folder.
 */
export function checkWritableDir(dir: string): void {
  let existing = resolve(dir);
  for (;;) {
    try {
      statSync(existing);
      break;
    } catch {
      const up = dirname(existing);
      if (up === existing) break;
      existing = up;
    }
  }
  checkFolder(
    existing,
    (what, hint) => {
      throw new BackrefsError("E_OUTPUT", `cannot write pictures into ${sanitizeText(dir)}: ${what}`, hint);
    },
    "write somewhere else",
  );
}

/** Fails (through `fail`) unless `dir` is an existing, writable folder; `missing` is the hint when it does not exist. */
function checkFolder(dir: string, fail: (what: string, hint: string) => never, missing: string): void {
  let st;
  try {
    st = statSync(dir);
  } catch {
    fail(`the folder ${sanitizeText(dir)} does not exist`, missing);
  }
  if (!st!.isDirectory()) fail(`${sanitizeText(dir)} is not a folder`, "write somewhere else");
  try {
    accessSync(dir, fsConstants.W_OK);
  } catch {
    fail(`no permission to write in ${sanitizeText(dir)}`, "write somewhere else, or change the folder's permissions");
  }
}

/** Makes a folder checked by {@link checkWritableDir}, with its parents. */
export function makeDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

/** A file name as messages show it (`-` is standard input). */
export function displayName(file: string): string {
  return file === "-" ? "standard input" : sanitizeText(file);
}
