/**
 * V8 settings of the command-line process. `bin/backrefs.js` applies them before it loads the
 * CLI; a program that uses backrefs as a library, or calls `main()` itself, keeps its own.
 */
import { setFlagsFromString } from "node:v8";

/**
 * V8 major versions known to have the flags the command line sets (here and in wasm-tiering.ts):
 * an unknown flag is not an error but a message on stderr, which a newer engine without it must
 * not print on every command. (Node 20 has V8 11, Node 24 has V8 13.)
 */
const TUNED_V8_MAJORS = [11, 12, 13];

/** Whether `v8Version` (as in `process.versions.v8`) is one of {@link TUNED_V8_MAJORS}. */
export function isTunedV8(v8Version: string): boolean {
  return TUNED_V8_MAJORS.includes(v8Major(v8Version));
}

/** The major version of `v8Version` (as in `process.versions.v8`), NaN when it has none. */
export function v8Major(v8Version: string): number {
  return Number(/^(\d+)\./.exec(v8Version)?.[1]);
}

/**
 * Stops V8 from doubling its young generation (the nursery for short-lived JavaScript objects)
 * each time a command allocates quickly: V8 grows it from 1 MB up to 32 MB, and each megabyte it
 * grows to stays resident. backrefs keeps its data in typed arrays outside the JavaScript heap;
 * what passes through the nursery (the snapshot's strings, a picture's objects) gains little from
 * a big one. With this setting the nursery of `info` on the sample snapshot ends at 2 MB instead
 * of 8 MB; measured with bench/ab.sh (bench/README.md): 0–11 MB less peak resident memory at 20
 * and 200 MB, CPU time of whole commands within the noise. It may have a price at start-up: the
 * modules' objects, which stay, are copied once more each by the smaller nursery (30–70 ms more CPU
 * time before a missing file is reported in two series on a busy machine, none in a third). Set
 * later, once the modules are loaded, it saved no memory (the nursery had grown by then).
 *
 * Returns whether the setting was applied: not on other V8 versions, nor when Node was started
 * with flags of its own about the young generation (on its command line or in NODE_OPTIONS).
 */
export function tuneV8ForCli(
  v8Version: string = process.versions.v8,
  nodeFlags: string = [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].join(" "),
): boolean {
  if (!isTunedV8(v8Version)) return false;
  // A user who sized the young generation (`node --max-semi-space-size=64 ...`) keeps it.
  if (/semi[-_]space/.test(nodeFlags)) return false;
  // The flag is read each time V8 considers growing the young generation, so setting it after
  // start-up works (unlike the young generation's maximum, fixed when the heap is made).
  setFlagsFromString("--semi-space-growth-factor=1");
  return true;
}
