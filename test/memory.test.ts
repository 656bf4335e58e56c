import { describe, expect, it } from "vitest";
import { mappedBuffer, mappedU32, mappedU8 } from "../src/memory.js";
import { sharedU32, sharedU8 } from "../src/snapshot/columns.js";

describe("mappedBuffer", () => {
  it("gives arrays of the length asked, zeroed, whatever size their buffer is", () => {
    for (const n of [0, 1, 1000, 40_000, (1 << 20) + 3, 9_000_000]) {
      for (const a of [mappedU8(n), mappedU32(n), sharedU8(n), sharedU32(n)]) {
        expect(a.length).toBe(n);
        expect(a.byteOffset).toBe(0);
        expect(a.buffer.byteLength).toBeGreaterThanOrEqual(a.byteLength);
        expect(a.every((v) => v === 0)).toBe(true);
      }
    }
    expect(sharedU32(5).buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(mappedU32(5).buffer).toBeInstanceOf(ArrayBuffer);
  });

  it("on Linux, gives arrays between 128 KiB and 32 MiB a buffer above 32 MiB (glibc maps it alone); others their size", () => {
    const big = (32 << 20) + 4096;
    const linux = process.platform === "linux";
    expect(mappedBuffer(1 << 20).byteLength).toBe(linux ? big : 1 << 20);
    expect(mappedBuffer(128 << 10, true).byteLength).toBe(linux ? big : 128 << 10);
    expect(mappedBuffer((128 << 10) - 1).byteLength).toBe((128 << 10) - 1);
    expect(mappedBuffer(big).byteLength).toBe(big);
    expect(mappedBuffer(40 << 20).byteLength).toBe(40 << 20);
  });
});
