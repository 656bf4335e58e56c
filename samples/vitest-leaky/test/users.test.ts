import { describe, expect, it } from "vitest";
import { loadUser } from "../src/users.js";

// Leaks: every user loaded here stays in the module-level cache (3 tests × 40 users = 120).
describe("users", () => {
  for (const start of [0, 100, 200]) {
    it(`loads users ${start}..${start + 39}`, () => {
      for (let id = start; id < start + 40; id++) expect(loadUser(id).name).toBe(`user-${id}`);
    });
  }
});
