import { expect, it } from "vitest";
import { Invoice, formatInvoice } from "../src/format.js";

// Does not leak: everything made here is garbage once each test returns.
it("formats an invoice", () => {
  const invoices = Array.from({ length: 200 }, (_, i) => new Invoice([{ item: `item ${i}`, cents: i * 100 }]));
  expect(formatInvoice(invoices[3]!)).toBe("item 3: 3.00\ntotal 300");
});

it("adds the lines", () => {
  expect(new Invoice([{ item: "a", cents: 1 }, { item: "b", cents: 2 }]).total()).toBe(3);
});
