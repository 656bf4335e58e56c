import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
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

  it("gives arrays their own size where glibc's threshold was fixed at 128 KiB or less as the process started", () => {
    const memory = pathToFileURL(resolve(import.meta.dirname, "../dist/memory.js")).href;
    const script = `const { mappedBuffer } = await import(${JSON.stringify(memory)});
console.log([1 << 20, 128 << 10, 40 << 20].map((n) => mappedBuffer(n).byteLength).join(" "));`;
    const lengths = (threshold: string | undefined) => {
      const env = { ...process.env, MALLOC_MMAP_THRESHOLD_: threshold };
      if (threshold === undefined) delete env.MALLOC_MMAP_THRESHOLD_;
      return spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" }).stdout.trim();
    };
    const big = (32 << 20) + 4096;
    const enlarged = process.platform === "linux" ? `${big} ${big} ${40 << 20}` : `${1 << 20} ${128 << 10} ${40 << 20}`;
    expect(lengths("131072")).toBe(`${1 << 20} ${128 << 10} ${40 << 20}`);
    expect(lengths("0")).toBe(`${1 << 20} ${128 << 10} ${40 << 20}`);
    // A threshold above 128 KiB: arrays below it are enlarged to just above it.
    const mib = (1 << 20) + 4096;
    expect(lengths("1048576")).toBe(process.platform === "linux" ? `${mib} ${mib} ${40 << 20}` : `${1 << 20} ${128 << 10} ${40 << 20}`);
    // A value glibc would not read leaves arrays enlarged as without one.
    expect(lengths("lots")).toBe(enlarged);
    expect(lengths(undefined)).toBe(enlarged);
  });
});
