/**
 * backrefs/vitest's expectNoLeaks in this very process: named after the running test.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pictureName as pictureFile } from "../../src/testing/leak-report.js";
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
    const picture = join(dir, pictureFile(name));
    expect(pictureFile(name)).toMatch(/^vitest_s_expectNoLeaks_names_the_message_and_the_picture_after_the_running_test-[0-9a-f]{8}\.svg$/);
    expect(err?.message).toContain(picture);
    expect(existsSync(picture)).toBe(true);
  }, 180_000);
});

describe("pictureFile", () => {
  it("keeps a plain name as it is, and tells apart names alike once made safe or cut", () => {
    expect(pictureFile("closing a session frees it")).toBe("closing_a_session_frees_it.svg");
    const [a, b] = [pictureFile("утечка сессии"), pictureFile("утечка кэша")];
    expect(a).not.toBe(b);
    expect(a).toMatch(/^_-[0-9a-f]{8}\.svg$/);
    const long = "x".repeat(130);
    expect(pictureFile(long + "a")).not.toBe(pictureFile(long + "b"));
    expect(pictureFile(long + "a").length).toBe(120 + 1 + 8 + 4);
  });
});
