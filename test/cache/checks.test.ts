/**
 * The value checks of a cache entry's sections (src/cache/checks.ts) run over whole ranges at once
 * (four bytes per word, a maximum, one sign bit): the first problem they report, and whether they
 * report one, is what a plain loop over the elements finds, for any values, ranges and offsets.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { anyByteAtLeast, checkValues, firstAtLeast as firstAtLeastFast, type ValueCheck } from "../../src/cache/checks.js";

/** The first element of `[from, to)` at or past `limit`, element by element; or -1. */
function firstAtLeast(a: ArrayLike<number>, from: number, to: number, limit: number): number {
  for (let i = from; i < to; i++) if (a[i]! >= limit) return i;
  return -1;
}

/** What the first-edge check must say, found node by node. */
function firstEdgeProblem(a: ArrayLike<number>, from: number, to: number, N: number, E: number): string | null {
  if (from === 0 && a[0] !== 0) return "the first-edge index does not start at 0";
  if (to === N + 1 && a[N] !== E) return "the first-edge index does not end at the edge count";
  let previous = from > 0 ? a[from - 1]! : 0;
  for (let n = Math.max(1, from); n < to; n++) {
    if (a[n]! < previous || a[n]! > E) return `the first-edge index decreases at node ${n - 1}`;
    previous = a[n]!;
  }
  return null;
}

/** A range `[from, to)` of an array of `length` elements. */
const range = (length: number) =>
  fc.tuple(fc.nat(length), fc.nat(length)).map(([x, y]) => (x <= y ? { from: x, to: y } : { from: y, to: x }));

describe("value checks", () => {
  it("byte sections: the first byte at or past the limit, at any offset of the buffer and any range", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }).chain((length) =>
          fc.record({
            offset: fc.nat(7),
            limit: fc.integer({ min: 0, max: 255 }),
            // Mostly small values (valid types), a few of any size.
            values: fc.array(fc.oneof({ weight: 9, arbitrary: fc.nat(12) }, { weight: 1, arbitrary: fc.nat(255) }), {
              minLength: length,
              maxLength: length,
            }),
            range: range(length),
          }),
        ),
        ({ offset, limit, values, range: { from, to } }) => {
          const bytes = new Uint8Array(new SharedArrayBuffer(offset + values.length + 8), offset, values.length);
          bytes.set(values);
          const first = firstAtLeast(bytes, from, to, limit);
          const check: ValueCheck = { kind: "edge-type", limit };
          expect(checkValues(check, bytes, from, to)).toBe(first < 0 ? null : `edge ${first} has an unknown type`);
          if (limit >= 1 && limit <= 128) expect(anyByteAtLeast(bytes, from, to, limit)).toBe(first >= 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("finds one bad byte anywhere in a long section (every position of each word and limit)", () => {
    const bytes = new Uint8Array(4096 + 3).subarray(3);
    for (const limit of [1, 7, 13, 100, 128]) {
      for (const bad of [limit, limit + 1, 127, 128, 200, 255]) {
        if (bad < limit) continue;
        for (const at of [0, 1, 2, 3, 1000, 1001, 1002, 1003, 4092]) {
          bytes.fill(limit - 1);
          bytes[at] = bad;
          expect(anyByteAtLeast(bytes, 0, bytes.length, limit)).toBe(true);
          expect(checkValues({ kind: "node-type", limit }, bytes, 0, bytes.length)).toBe(`node ${at} has an unknown type`);
          expect(anyByteAtLeast(bytes, at + 1, bytes.length, limit)).toBe(false);
        }
      }
    }
  });

  it("32-bit sections: the first value at or past the limit, up to 2^32 - 1", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }).chain((length) =>
          fc.record({
            limit: fc.oneof(fc.nat(1000), fc.constantFrom(0, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1)),
            values: fc.array(fc.oneof(fc.nat(1000), fc.constantFrom(0, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1)), {
              minLength: length,
              maxLength: length,
            }),
            range: range(length),
          }),
        ),
        ({ limit, values, range: { from, to } }) => {
          const a = Uint32Array.from(values);
          const first = firstAtLeast(a, from, to, limit);
          expect(checkValues({ kind: "edge-to", limit }, a, from, to)).toBe(first < 0 ? null : `edge ${first} points past the last node`);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("a whole 32-bit column (the class index): the first value at or past the limit, across stretches", () => {
    fc.assert(
      fc.property(
        fc.record({
          // Past one stretch of 65,536 elements, so that a bad value can lie in a later one.
          length: fc.oneof(fc.nat(300), fc.integer({ min: 65_530, max: 200_000 })),
          limit: fc.oneof(fc.nat(1000), fc.constantFrom(2 ** 31, 2 ** 32 - 1)),
          bad: fc.array(fc.tuple(fc.nat(), fc.oneof(fc.nat(2000), fc.constantFrom(2 ** 31, 2 ** 32 - 1))), { maxLength: 3 }),
        }),
        ({ length, limit, bad }) => {
          const a = new Uint32Array(length).fill(limit > 0 ? limit - 1 : 0);
          for (const [at, v] of bad) if (length > 0) a[at % length] = v;
          expect(firstAtLeastFast(a, limit)).toBe(firstAtLeast(a, 0, length, limit));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("edge names: the first string index past the last among edges not named by index, the types read only then", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }).chain((length) =>
          fc.record({
            limit: fc.integer({ min: 1, max: 500 }),
            names: fc.array(
              fc.oneof({ weight: 8, arbitrary: fc.nat(500) }, { weight: 1, arbitrary: fc.constantFrom(2 ** 31, 2 ** 32 - 1) }),
              {
                minLength: length,
                maxLength: length,
              },
            ),
            // 0 element, 1 hidden, 2 property.
            types: fc.array(fc.nat(2), { minLength: length, maxLength: length }),
            range: range(length),
          }),
        ),
        ({ limit, names, types, range: { from, to } }) => {
          const a = Uint32Array.from(names);
          const t = Uint8Array.from(types);
          let want: string | null = null;
          for (let e = from; e < to && want === null; e++)
            if (a[e]! >= limit && t[e] === 2) want = `edge ${e} names a string past the last`;
          const check: ValueCheck = { kind: "edge-name", limit, element: 0, hidden: 1 };
          let asked = 0;
          const got = checkValues(check, a, from, to, {
            edgeTypes: () => {
              asked++;
              return t;
            },
          });
          expect(got).toBe(want);
          expect(checkValues(check, a, from, to, { edgeTypes: t })).toBe(want);
          // The types are looked at only when some value of the range is past the strings.
          const anyPast = Array.from(a.subarray(from, to)).some((v) => v >= limit);
          expect(asked).toBe(anyPast ? 1 : 0);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("first-edge index: what a node-by-node check finds, for sorted, broken and huge values", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }).chain((N) =>
          fc.record({
            N: fc.constant(N),
            E: fc.oneof(fc.nat(500), fc.constantFrom(2 ** 31 - 1)),
            steps: fc.array(fc.nat(20), { minLength: N + 1, maxLength: N + 1 }),
            breaks: fc.array(fc.tuple(fc.nat(N), fc.oneof(fc.nat(600), fc.constantFrom(2 ** 31, 2 ** 32 - 1, 2 ** 31 - 1))), {
              maxLength: 3,
            }),
            range: range(N + 1),
          }),
        ),
        ({ N, E, steps, breaks, range: { from, to } }) => {
          // A valid index scaled into [0, E], then a few elements overwritten.
          const a = new Uint32Array(N + 1);
          const total = steps.reduce((s, x) => s + x, 0) || 1;
          let sum = 0;
          for (let n = 1; n <= N; n++) {
            sum += steps[n]!;
            a[n] = Math.floor((sum / total) * E);
          }
          a[N] = E;
          for (const [at, v] of breaks) a[at] = v;
          const check: ValueCheck = { kind: "first-edge", nodes: N, edges: E };
          expect(checkValues(check, a, from, to)).toBe(firstEdgeProblem(a, from, to, N, E));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
