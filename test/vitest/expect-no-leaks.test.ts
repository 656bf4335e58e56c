/**
 * backrefs/vitest's expectNoLeaks in this very process: named after the running test.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectNoLeaks } from "../../src/vitest/index.js";
import { tempDir } from "../helpers/temp-dir.js";

class KeptByName {
  constructor(readonly n: number) {}
}
const kept: KeptByName[] = [];
const dir = tempDir("backrefs-enl-vitest-");

describe("vitest's expectNoLeaks", () => {
  it("names the message and the picture after the running test", async () => {
    let n = 0;
    const err = await expectNoLeaks(() => kept.push(new KeptByName(n++)), { runs: 2, types: ["KeptByName"], dir }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    const name = "vitest's expectNoLeaks > names the message and the picture after the running test";
    expect(expect.getState().currentTestName).toBe(name);
    expect(err?.message).toMatch(
      /^vitest's expectNoLeaks > names the message and the picture after the running test: objects kept growing/,
    );
    const picture = join(dir, "vitest_s_expectNoLeaks_names_the_message_and_the_picture_after_the_running_test.svg");
    expect(err?.message).toContain(picture);
    expect(existsSync(picture)).toBe(true);
  }, 180_000);
});
