/**
 * expectNoLeaks in this very process: real objects kept (or not) by this test file's own state.
 */
import { AssertionError } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectNoLeaks } from "../../src/testing/expect-no-leaks.js";
import { tempDir } from "../helpers/temp-dir.js";

class LeakyThing {
  constructor(readonly n: number) {}
}
class OtherThing {}
class PassingThing {
  constructor(readonly n: number) {}
}

// The leak: a module-level list that only grows.
const kept: LeakyThing[] = [];
const others: OtherThing[] = [];
const dir = tempDir("backrefs-enl-");

// Three snapshots of this worker per call: seconds each on a loaded machine.
const TIMEOUT = 180_000;

describe("expectNoLeaks", () => {
  it(
    "fails when objects keep growing across runs, with the grouped path and the picture",
    async () => {
      let n = 0;
      const fn = (): void => {
        kept.push(new LeakyThing(n++));
        others.push(new OtherThing()); // leaks too, but is not asked about
      };
      const err = await expectNoLeaks(fn, { runs: 4, types: ["LeakyThing"], dir, name: "keeps things" }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AssertionError);
      const message = (err as Error).message;
      // 4 measured runs, one LeakyThing each (the warm-up's is older than the first snapshot).
      expect(message).toMatch(/^keeps things: objects kept growing over 4 runs \(after 1 warm-up\): LeakyThing \+4 /);
      expect(message).toMatch(/\n {6}4× global .* → Array \[…\] → LeakyThing\n/);
      expect(message).not.toMatch(/OtherThing/);
      expect(message).toMatch(/\(snapshots took [\d.]+ s, analysis [\d.]+ s\)$/);
      const picture = join(dir, "keeps_things.svg");
      expect(message).toContain(picture);
      expect(readFileSync(picture, "utf8")).toMatch(/LeakyThing/);
    },
    TIMEOUT,
  );

  it(
    "passes on code that makes objects and lets them go",
    async () => {
      let last: PassingThing | null = null;
      const r = await expectNoLeaks(
        () => {
          last = new PassingThing(1); // the latest one only: replaced each run, no growth
          return Array.from({ length: 50 }, (_, i) => new PassingThing(i)).length;
        },
        { runs: 4, dir, name: "lets go" },
      );
      expect(last).not.toBeNull();
      expect(r.report.classes).toEqual([]);
      expect(r.seconds.snapshots).toBeGreaterThan(0);
      expect(existsSync(join(dir, "lets_go.svg"))).toBe(false);
    },
    TIMEOUT,
  );
});
