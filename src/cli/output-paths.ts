/**
 * Output paths and file names as the CLI checks and shows them: what the comparing commands need
 * of the drawing command without loading what draws (draw.ts re-exports these).
 */
import { accessSync, constants as fsConstants, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
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
  let st;
  try {
    st = statSync(dir);
  } catch {
    fail(`the folder ${sanitizeText(dir)} does not exist`, "create it first, or write somewhere else");
  }
  if (!st!.isDirectory()) fail(`${sanitizeText(dir)} is not a folder`, "write somewhere else");
  try {
    accessSync(dir, fsConstants.W_OK);
  } catch {
    fail(`no permission to write in ${sanitizeText(dir)}`, "write somewhere else, or change the folder's permissions");
  }
  try {
    if (statSync(full).isDirectory()) fail("it is a folder", "give a file name");
  } catch (e) {
    if (e instanceof BackrefsError) throw e;
    // does not exist yet: fine
  }
}

/**
 * Makes the folder pictures will be written into (`check --picture-dir`, with its parents, as a CI
 * job's artifact folder usually does not exist yet) and checks it.
 */
export function checkWritableDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch {
    // a file in the way, no permission: checkWritable says which
  }
  checkWritable(join(dir, "backrefs-check.svg"));
}

/** A file name as messages show it (`-` is standard input). */
export function displayName(file: string): string {
  return file === "-" ? "standard input" : sanitizeText(file);
}
