import { describe, expect, it } from "vitest";
import { SnapshotFormatError } from "../../src/errors.js";
import { SnapshotParser } from "../../src/snapshot/parser.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";

function parse(text: string, chunk = text.length, sizeHint = 0): ReturnType<SnapshotParser["end"]> {
  const p = new SnapshotParser({ sizeHint });
  const data = Buffer.from(text);
  for (let i = 0; i < data.length; i += chunk) p.write(data.subarray(i, i + chunk));
  return p.end();
}

describe("the locations section", () => {
  const b = new SnapshotBuilder();
  const foo = b.node("object", "Foo");
  const bar = b.node("object", "Bar");
  b.location(foo, 3, 12, 4).location(bar, 4294967295, 0, 70000);
  const text = b.serialize();
  const nf = 7;

  it("is kept as one column of numbers, in any chunking", () => {
    const want = [foo * nf, 3, 12, 4, bar * nf, 4294967295, 0, 70000];
    expect(Array.from(parse(text).locations!)).toEqual(want);
    for (const size of [1, 3, 7]) expect(Array.from(parse(text, size).locations!)).toEqual(want);
  });

  it("is the same column when the file's size is known (sized up front, cut to its length)", () => {
    const want = [foo * nf, 3, 12, 4, bar * nf, 4294967295, 0, 70000];
    for (const size of [text.length, 1, 7]) expect(Array.from(parse(text, size, text.length).locations!)).toEqual(want);
    // More rows than nodes (beyond the size it starts at): the column grows as without a size.
    const many = new SnapshotBuilder();
    const only = many.node("object", "Only");
    const rows: number[] = [];
    for (let k = 0; k < 3000; k++) {
      many.location(only, k, k + 1, k + 2);
      rows.push(only * nf, k, k + 1, k + 2);
    }
    const t = many.serialize();
    for (const size of [t.length, 4096, 5]) {
      const got = parse(t, size, t.length).locations!;
      expect(got.length).toBe(rows.length);
      expect(Array.from(got)).toEqual(rows);
    }
  });

  it("is null when the file has none, and empty when it is empty", () => {
    expect(parse(text.replace(/"locations":\[[^\]]*\],\n/, "")).locations).toBeNull();
    expect(parse(new SnapshotBuilder().serialize()).locations!.length).toBe(0);
  });

  it("keeps a negative line or column as its 32-bit two's complement, in any chunking", () => {
    // Node 24 writes them for functions of code compiled with a negative column offset (vitest's
    // module wrapper): `[object_index, 236, 0, -196]`.
    const neg = new SnapshotBuilder();
    const f = neg.node("closure", "");
    const o = neg.node("object", "Baz");
    neg.location(f, 236, 0, -196).location(o, 7, -1, -2147483648);
    const t = neg.serialize();
    expect(t).toContain("236,0,-196");
    const want = [f * nf, 236, 0, -196, o * nf, 7, -1, -2147483648];
    for (const size of [t.length, 1, 3, 7]) expect(Array.from(parse(t, size).locations!, (v, k) => (k % 4 >= 2 ? v | 0 : v))).toEqual(want);
  });

  it("rejects anything but whole numbers (negative ones below 2^31), in one line", () => {
    for (const bad of [
      "[1,-]",
      "[1,- 2]",
      "[1,--2]",
      "[1,2-]",
      "[-]",
      "[-2147483649]",
      "[1.5]",
      "[1,,2]",
      "[1,]",
      '["a"]',
      "{}",
      "[4294967296]",
      "[[1]]",
    ]) {
      const t = text.replace(/"locations":\[[^\]]*\]/, `"locations":${bad}`);
      expect(() => parse(t), bad).toThrow(SnapshotFormatError);
      try {
        parse(t);
      } catch (e) {
        expect((e as Error).message).not.toContain("\n");
      }
    }
  });
});
