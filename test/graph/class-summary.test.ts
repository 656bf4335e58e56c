import { describe, expect, it } from "vitest";
import { packClassSummary, unpackClassSummary, type ClassSummary } from "../../src/graph/class-summary.js";

/** Totals for a snapshot of 10 nodes and 3 node types. */
function sample(): ClassSummary {
  return {
    typeCount: Float64Array.from([6, 0, 4]),
    typeSize: Float64Array.from([120, 0, 2 ** 40]),
    classIds: Uint32Array.from([3, 17, 4_000_000]),
    count: Uint32Array.from([1, 5, 2]),
    selfSize: Float64Array.from([16, 0.5 * 2 ** 45, 24]),
    distance: Int32Array.from([2, -1, 0x7fffffff]),
  };
}

describe("the per-class totals, packed", () => {
  it("unpack gives back what was packed", () => {
    const s = sample();
    const packed = packClassSummary(s);
    expect(packed.length).toBe(2 + 2 * 3 + 4 * 3);
    expect(unpackClassSummary(packed, 3, 10)).toEqual(s);
    const none = {
      ...s,
      classIds: new Uint32Array(0),
      count: new Uint32Array(0),
      selfSize: new Float64Array(0),
      distance: new Int32Array(0),
    };
    expect(unpackClassSummary(packClassSummary(none), 3, 10)).toEqual(none);
  });

  it("refuses what cannot be the totals of that snapshot", () => {
    const good = packClassSummary(sample());
    const at = (k: number, v: number): Float64Array => {
      const p = Float64Array.from(good);
      p[k] = v;
      return p;
    };
    const firstClass = 2 + 2 * 3;
    const spoiled: [string, Float64Array, number?][] = [
      ["empty", new Float64Array(0)],
      ["another type count", at(0, 4)],
      ["a class more than the values", at(1, 4)],
      ["one value cut", good.slice(0, good.length - 1)],
      ["a type count not whole", at(2, 5.5)],
      ["a type size negative", at(5, -1)],
      ["type counts not adding up to the nodes", at(2, 7)],
      ["class ids not increasing", at(firstClass + 4, 3)],
      ["a class id not whole", at(firstClass, 3.5)],
      ["a count of 0", at(firstClass + 1, 0)],
      ["a count past the nodes", at(firstClass + 1, 11)],
      ["a self size not finite", at(firstClass + 2, Infinity)],
      ["a distance below -1", at(firstClass + 3, -2)],
      ["a distance not whole", at(firstClass + 3, 1.5)],
      ["a class id past the classes", good, 4_000_000],
    ];
    for (const [what, packed, limit] of spoiled) expect(unpackClassSummary(packed, 3, 10, limit), what).toBeNull();
    expect(unpackClassSummary(good, 3, 10, 4_000_001)).not.toBeNull();
    expect(unpackClassSummary(good, 3, 11)).toBeNull();
  });
});
