import { describe, expect, it } from "vitest";
import { inflateSync } from "node:zlib";
import { RenderError } from "../../src/errors.js";
import { combineAdler32, PngWriter } from "../../src/render/png-encode.js";

/** Adler-32 as its definition says, one byte at a time. */
function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const x of bytes) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Deterministic bytes that are not all alike. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** The chunks of a PNG file: type and data, each CRC checked by the caller's inflate only for IDAT. */
function chunks(png: Uint8Array): { type: string; data: Buffer }[] {
  const buf = Buffer.from(png);
  expect([...buf.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < buf.length;) {
    const n = buf.readUInt32BE(at);
    out.push({ type: buf.toString("latin1", at + 4, at + 8), data: buf.subarray(at + 8, at + 8 + n) });
    at += 12 + n;
  }
  return out;
}

/** The IDAT stream inflates (inflateSync checks its Adler-32 trailer) to `rgba`'s rows, each behind filter byte 0. */
function expectRows(idat: Buffer, rgba: Uint8Array, width: number, height: number): void {
  const raw = inflateSync(idat);
  expect(raw.length).toBe((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * (width * 4 + 1), (y + 1) * (width * 4 + 1));
    expect(row[0]).toBe(0);
    expect(Buffer.compare(row.subarray(1), Buffer.from(rgba.subarray(y * width * 4, (y + 1) * width * 4)))).toBe(0);
  }
}

describe("combineAdler32", () => {
  it("gives the checksum of the concatenation, from the parts' checksums and the second's length", () => {
    const whole = bytes(200_000, 7);
    // Cuts that make parts of 0 bytes, of 1 byte, and longer than 65521 (the modulus).
    for (const cut of [0, 1, 5552, 65521, 70_000, 199_999, 200_000]) {
      const a = whole.subarray(0, cut);
      const b = whole.subarray(cut);
      expect(combineAdler32(adler32(a), adler32(b), b.length)).toBe(adler32(whole));
    }
    // Bytes of 255 push both sums to their largest values.
    const high = new Uint8Array(100_000).fill(255);
    expect(combineAdler32(adler32(high), adler32(high), high.length)).toBe(adler32(new Uint8Array(200_000).fill(255)));
  });
});

describe("PngWriter", () => {
  const width = 37;
  const height = 50;
  const pixels = bytes(width * height * 4, 3);

  async function written(bands: number[]): Promise<Uint8Array> {
    const png = new PngWriter(width, height);
    let top = 0;
    for (const rows of bands) {
      await png.add(pixels.subarray(top * width * 4, (top + rows) * width * 4), rows);
      top += rows;
    }
    return png.finish();
  }

  it("writes the rows given band by band as one valid zlib stream", async () => {
    for (const bands of [[50], [1, 49], [20, 20, 10], [10, 10, 10, 10, 9, 1]]) {
      const png = await written(bands);
      const list = chunks(png);
      expect(list.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
      expect(list[0]!.data.readUInt32BE(0)).toBe(width);
      expect(list[0]!.data.readUInt32BE(4)).toBe(height);
      expectRows(list[1]!.data, pixels, width, height);
    }
  });

  it("has copied a band's pixels once add resolves: the caller may draw the next band into them", async () => {
    // One buffer drawn into again and again, as a renderer that reuses its canvas would.
    const canvas = new Uint8Array(10 * width * 4);
    const png = new PngWriter(width, height);
    for (let top = 0; top < height; top += 10) {
      canvas.set(pixels.subarray(top * width * 4, (top + 10) * width * 4));
      await png.add(canvas, 10);
      canvas.fill(0xee);
    }
    expect(Buffer.from(await png.finish()).equals(Buffer.from(await written([10, 10, 10, 10, 10])))).toBe(true);
  });

  it("writes many bands of pixels that compress slowly (bands wait for a spare buffer) as one valid stream", async () => {
    // Noise deflates slowly: the bands come faster than their pieces are compressed, so later
    // bands wait for the buffers of earlier ones.
    const w = 500;
    const rowsPerBand = 100;
    const bands = 12;
    const noise = bytes(w * rowsPerBand * bands * 4, 11);
    const png = new PngWriter(w, rowsPerBand * bands);
    for (let b = 0; b < bands; b++) {
      await png.add(noise.subarray(b * w * rowsPerBand * 4, (b + 1) * w * rowsPerBand * 4), rowsPerBand);
    }
    expectRows(chunks(await png.finish())[1]!.data, noise, w, rowsPerBand * bands);
  });

  it("gives the same bytes for the same pixels and bands", async () => {
    expect(Buffer.from(await written([20, 30])).equals(Buffer.from(await written([20, 30])))).toBe(true);
  });

  it("refuses bands that do not add up to the picture", async () => {
    const png = new PngWriter(width, height);
    await expect(png.add(pixels, height + 1)).rejects.toThrow(RenderError);
    await png.add(pixels, 10);
    await expect(png.finish()).rejects.toThrow(/10 of the picture's 50 rows/);
  });
});
