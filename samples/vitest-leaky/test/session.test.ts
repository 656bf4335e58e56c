import { expect, it } from "vitest";
import { Session } from "../src/bus.js";

// Leaks: each test creates a session whose reload listener is never removed (5 sessions).
for (const name of ["ada", "grace", "linus", "barbara", "ken"]) {
  it(`opens a session for ${name}`, () => {
    const s = new Session(name);
    expect(s.user).toBe(name);
  });
}
