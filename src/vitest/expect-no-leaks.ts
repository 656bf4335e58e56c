/**
 * `expectNoLeaks` inside a vitest test: named after the running test unless a name is given, so
 * that each test's message and picture file are its own (`backrefs-leaks/closing_a_session_frees_it.svg`).
 */
import { loadReader } from "../graph/load.js";
import { expectNoLeaks as expectNoLeaksNamed, type ExpectNoLeaksOptions, type NoLeaksResult } from "../testing/expect-no-leaks.js";
import { PREPARE_KEY } from "./options.js";

(globalThis as unknown as Record<symbol, unknown>)[PREPARE_KEY] = loadReader;

/**
 * Runs `fn` `warmup + runs` times and throws an AssertionError when objects keep growing across
 * the runs (see the library's `expectNoLeaks`); `name` defaults to the running test's full name.
 *
 * @example
 * it("closing a session frees it", async () => {
 *   await expectNoLeaks(() => new Session("x").close(), { runs: 4, types: ["Session"] });
 * }, 60_000);
 */
export async function expectNoLeaks(fn: () => unknown, options: ExpectNoLeaksOptions = {}): Promise<NoLeaksResult> {
  // Loaded when called (in a test), not when this entry is: a config that imports the reporter from
  // "backrefs/vitest" runs outside any test.
  const { expect } = await import("vitest");
  const name = options.name ?? expect.getState().currentTestName;
  return expectNoLeaksNamed(fn, name ? { ...options, name } : options);
}
