/**
 * The id set (src/graph/id-set.ts) against a plain JS Set: membership, size and the count of ids
 * two sets share, for ids in its bitmap, in its hash table and added after it was made.
 */
import { describe, expect, it } from "vitest";
import { bitmapBytes, IdSet } from "../../src/graph/id-set.js";

/** A deterministic stream of 32-bit numbers. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** Ids as a process numbers them (odd, from 1, mostly in order), a few address-like ones high up, some repeated. */
function heapIds(n: number, seed: number): Uint32Array {
  const r = random(seed);
  const ids = new Uint32Array(n);
  let next = 1;
  for (let i = 0; i < n; i++) {
    const k = r() % 100;
    if (k < 2) ids[i] = 0x80000000 + (r() % 0x7fffffff);
    else if (k < 3) ids[i] = ids[r() % Math.max(i, 1)]!;
    else if (k < 4) ids[i] = 0;
    else ids[i] = next += 2 * (1 + (r() % 3));
  }
  return ids;
}

describe("IdSet", () => {
  it("holds exactly the ids it was made from, and counts what two sets share, as a plain Set does", () => {
    for (const seed of [1, 2, 3]) {
      const a = heapIds(20_000, seed);
      const b = heapIds(15_000, seed + 10);
      const setA = IdSet.fromIds(a, a.length);
      const setB = IdSet.fromIds(b, b.length);
      const plainA = new Set(a);
      const plainB = new Set(b);
      expect(setA.size).toBe(plainA.size);
      for (const id of [...a, ...b, 2, 4, 0xffffffff]) expect(setA.has(id), String(id)).toBe(plainA.has(id));
      expect(setA.countIn(setB)).toBe([...plainA].filter((id) => plainB.has(id)).length);
      expect(setB.countIn(setA)).toBe([...plainB].filter((id) => plainA.has(id)).length);
    }
  });

  it("takes any number of ids added after it was made, above its bitmap, without filling its table", () => {
    const ids = Uint32Array.from({ length: 1000 }, (_, i) => 2 * i + 1);
    const set = IdSet.fromIds(ids, ids.length);
    const added = Array.from({ length: 5000 }, (_, i) => 0x90000000 + 7 * i);
    for (const id of added) set.add(id);
    for (const id of added) set.add(id);
    expect(set.size).toBe(1000 + 5000);
    for (const id of added) expect(set.has(id)).toBe(true);
    expect(set.has(0x90000000 + 1)).toBe(false);
    expect(set.has(3)).toBe(true);
  });

  it("sizes a bitmap of ids up to 2^32 (a shift would wrap to nothing there)", () => {
    expect(bitmapBytes(2 ** 32)).toBe(2 ** 29);
    expect(bitmapBytes(2 ** 20)).toBe(2 ** 17);
    expect(bitmapBytes(9)).toBe(2);
    expect(bitmapBytes(0)).toBe(0);
  });
});
