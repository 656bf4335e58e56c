// A node:test file that does not leak: what it makes is garbage once each test returns.
import { test } from "node:test";
import assert from "node:assert/strict";
import { trackLeaks } from "backrefs/node-test";

trackLeaks({ dir: process.env.LEAK_REPORT_DIR });

class Invoice {
  constructor(cents) {
    this.cents = cents;
  }
}

test("adds invoices", () => {
  const invoices = Array.from({ length: 100 }, (_, i) => new Invoice(i));
  assert.equal(invoices.reduce((s, x) => s + x.cents, 0), 4950);
});
