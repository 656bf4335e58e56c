import { describe, expect, it } from "vitest";
import { SnapshotFormatError } from "../../src/errors.js";
import { JsonValueSkipper } from "../../src/snapshot/json-skip.js";
import { describeByte, isScalarByte } from "../../src/snapshot/json-bytes.js";

/** Scans `text` in chunks of `size`; returns where the value ended and the kept text. */
function skip(text: string, size: number, keepUpTo = 1 << 20): { end: number; kept: string } {
  const s = new JsonValueSkipper("trace_tree", { upTo: keepUpTo, tooLarge: "kept too much" });
  const data = Buffer.from(text);
  for (let at = 0; at < data.length; at += size) {
    const chunk = data.subarray(at, at + size);
    const end = s.scan(chunk, 0, at);
    if (s.done) return { end: at + end, kept: s.text() };
    expect(end).toBe(chunk.length);
  }
  return { end: -1, kept: s.text() };
}

describe("JsonValueSkipper", () => {
  // Each value, followed by what comes after it in the file (never read).
  const values = [
    '{"a": [1, 2, {"b": "]}\\"["}], "c": null}',
    '[[], {}, "x", -1.5e+3, true]',
    '"a string with } and ] and \\\\"',
    "[" + "[".repeat(100) + "]".repeat(100) + "]",
    "  {}",
  ];

  it("finds where a value of any shape ends, in any chunking, and keeps exactly its bytes", () => {
    for (const v of values) {
      for (const size of [1, 2, 7, 1000]) {
        const { end, kept } = skip(v + ', "next": [1]}', size);
        expect(end, v).toBe(Buffer.byteLength(v));
        expect(kept).toBe(v);
      }
    }
  });

  it("ends a bare scalar at its delimiter, which it leaves unread", () => {
    for (const [v, rest] of [
      ["12345", ","],
      ["true", "}"],
      ["null", " "],
      ["-0.5", "]"],
    ]) {
      for (const size of [1, 3, 100]) expect(skip(v + rest, size).end).toBe(v.length);
    }
  });

  it("keeps nothing when not asked to", () => {
    const s = new JsonValueSkipper("samples");
    expect(s.scan(Buffer.from("[1,2]"), 0, 0)).toBe(5);
    expect([s.done, s.text()]).toEqual([true, ""]);
  });

  it("rejects junk: too deep, unbalanced, control characters, bare punctuation, too large to keep", () => {
    const cases: Array<[string, RegExp, number?]> = [
      ["[".repeat(513), /nested too deeply/],
      ["}", /unexpected '}'/],
      ['["a\u0001"]', /control character inside a string/],
      [":", /expected a value but found ':'/],
      ["[@]", /unexpected '@'/],
      ["12x!", /unexpected '!'/],
      ["[" + "1,".repeat(100) + "1]", /kept too much/, 50],
    ];
    for (const [bad, want, keep] of cases) {
      let err: unknown;
      try {
        skip(bad, 3, keep);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(SnapshotFormatError);
      expect((err as SnapshotFormatError).message).toMatch(want);
      expect((err as SnapshotFormatError).section).toBe("trace_tree");
    }
  });
});

describe("JSON byte classes", () => {
  it("describes printable bytes as themselves and others by code", () => {
    expect([describeByte(0x7b), describeByte(0x0a), describeByte(0xff)]).toEqual(["'{'", "byte 0x0a", "byte 0xff"]);
  });

  it("lets exactly the bytes of numbers and literals into a bare scalar", () => {
    const allowed = Array.from({ length: 256 }, (_, c) => c).filter(isScalarByte);
    expect(String.fromCharCode(...allowed)).toBe("+-.0123456789Eabcdefghijklmnopqrstuvwxyz");
  });
});
