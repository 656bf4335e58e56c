// A node:test file that leaks: every user it loads stays in a module-level cache (3 × 40 = 120).
import { test } from "node:test";
import assert from "node:assert/strict";
import { trackLeaks } from "backrefs/node-test";
import { loadUser } from "./users.mjs";

trackLeaks({ dir: process.env.LEAK_REPORT_DIR });

for (const start of [0, 100, 200]) {
  test(`loads users ${start}..${start + 39}`, () => {
    for (let id = start; id < start + 40; id++) assert.equal(loadUser(id).name, `user-${id}`);
  });
}
