import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { RenderError } from "../../src/errors.js";
import { toDot } from "../../src/render/dot.js";
import { inflateSync } from "node:zlib";
import { rasterise, renderPng, withoutPageFill } from "../../src/render/png.js";
import { closeLayoutWorker, renderSvg } from "../../src/render/svg.js";
import { sampleSubgraph } from "./sample-subgraph.js";

afterAll(closeLayoutWorker);

let svg = "";
beforeAll(async () => {
  svg = await renderSvg(toDot(sampleSubgraph()));
});

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from the IHDR chunk, which must come first. */
function pngSize(png: Uint8Array): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  expect(String.fromCharCode(...png.subarray(12, 16))).toBe("IHDR");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

describe("renderPng", () => {
  it("writes a PNG whose size follows the scale", async () => {
    const one = pngSize(await renderPng(svg, { scale: 1 }));
    const two = pngSize(await renderPng(svg, { scale: 2 }));
    expect(one.width).toBeGreaterThan(100);
    expect(one.height).toBeGreaterThan(100);
    expect(Math.abs(two.width - 2 * one.width)).toBeLessThanOrEqual(2);
    expect(Math.abs(two.height - 2 * one.height)).toBeLessThanOrEqual(2);
    // Graphviz sizes are in pt; resvg draws at 96 dpi.
    const widthPt = Number(/<svg width="([\d.]+)pt"/.exec(svg)![1]);
    expect(Math.abs(one.width - (widthPt * 96) / 72)).toBeLessThanOrEqual(2);
  });

  it("is deterministic", async () => {
    const a = await renderPng(svg);
    const b = await renderPng(svg);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it("draws the text (the fonts are loaded)", async () => {
    const noText = svg.replace(/(<text[^>]*>)[^<]*(<\/text>)/g, "$1$2");
    expect(noText).not.toBe(svg);
    const withText = await renderPng(svg, { scale: 1 });
    const without = await renderPng(noText, { scale: 1 });
    expect(pngSize(without)).toEqual(pngSize(withText));
    expect(Buffer.from(withText).equals(Buffer.from(without))).toBe(false);
    // Text is a lot of detail: the compressed image is clearly bigger with it.
    expect(withText.length).toBeGreaterThan(without.length * 1.3);
  });

  it("refuses bad scales and pictures too large to rasterise", async () => {
    await expect(renderPng(svg, { scale: 0 })).rejects.toThrow(RenderError);
    await expect(renderPng(svg, { scale: Number.NaN })).rejects.toThrow(RenderError);
    const huge = `<svg xmlns="http://www.w3.org/2000/svg" width="100000pt" height="100000pt" viewBox="0 0 10 10"/>`;
    await expect(renderPng(huge)).rejects.toThrow(/too large/);
    await expect(renderPng("<svg")).rejects.toThrow(RenderError);
  });

  it("leaves Graphviz's white page out of the drawing, which changes no pixel", async () => {
    const page = /<polygon fill="#ffffff" stroke="none" points="[^"]*"\/>/.exec(svg)?.[0];
    expect(page).toBeDefined();
    expect(withoutPageFill(svg)).toBe(svg.replace(page!, ""));
    // The same page with its attributes in another order is not recognised, so it is drawn.
    const drawn = svg.replace(page!, page!.replace('fill="#ffffff" stroke="none"', 'stroke="none" fill="#ffffff"'));
    expect(withoutPageFill(drawn)).toBe(drawn);
    expect(Buffer.from(await renderPng(drawn, { scale: 1.5 })).equals(Buffer.from(await renderPng(svg, { scale: 1.5 })))).toBe(true);
    // A white polygon drawn over something else is not the page: it stays.
    const later = svg.replace(page!, "").replace("</g>", `${page!}</g>`);
    expect(withoutPageFill(later)).toBe(later);
  });

  it("draws an SVG whose viewBox is unlike Graphviz's whole", async () => {
    // Red above, blue below; user units of every size, and a viewBox far from the origin (which
    // bands could not be placed in: resvg keeps a box in 32-bit floats).
    for (const [w, h, y] of [
      [0.001, 0.002, 0],
      [1e7, 2e7, 0],
      [100, 200, 1e9],
    ] as const) {
      const halves = `<rect x="0" y="${y}" width="${w}" height="${h / 2}" fill="#c00"/><rect x="0" y="${y + h / 2}" width="${w}" height="${h / 2}" fill="#00c"/>`;
      const odd = `<svg xmlns="http://www.w3.org/2000/svg" width="100pt" height="200pt" viewBox="0 ${y} ${w} ${h}">${halves}</svg>`;
      const { width, height, rgba } = pixelsOf(await rasterise(odd, { scale: 1 }, 1_000));
      expect(Math.abs(width - 133)).toBeLessThanOrEqual(1);
      expect(Math.abs(height - 267)).toBeLessThanOrEqual(1);
      const at = (row: number): number[] => [...rgba.subarray((row * width + (width >> 1)) * 4, (row * width + (width >> 1)) * 4 + 4)];
      expect(at(Math.floor(height / 4))).toEqual([0xcc, 0, 0, 255]);
      expect(at(Math.floor((height * 3) / 4))).toEqual([0, 0, 0xcc, 255]);
    }
  });

  it("draws an SVG that draws nothing at the zoom asked", async () => {
    // Graphviz's page alone, which is not drawn: resvg then has no bounds to cut bands from.
    const empty = `<svg width="144pt" height="72pt" viewBox="0.00 0.00 144.00 72.00" xmlns="http://www.w3.org/2000/svg">
<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 68)">
<title>%3</title>
<polygon fill="#ffffff" stroke="none" points="-4,4 -4,-68 140,-68 140,4 -4,4"/>
</g>
</svg>`;
    expect(withoutPageFill(empty)).not.toContain("<polygon");
    const { width, height, rgba } = pixelsOf(await renderPng(empty, { scale: 1.5 }));
    expect({ width, height }).toEqual({ width: 288, height: 144 });
    expect(rgba.every((b) => b === 255)).toBe(true);
  });

  it("draws a picture in bands as it draws it whole, without seams", async () => {
    for (const scale of [1, 2, 2.7]) {
      const whole = pixelsOf(await rasterise(svg, { scale }, Infinity));
      // Bands of at most 20,000 pixels: the most bands a picture is cut into.
      const banded = pixelsOf(await rasterise(svg, { scale }, 20_000));
      expect({ width: banded.width, height: banded.height }).toEqual({ width: whole.width, height: whole.height });
      // Each band is drawn from its own origin, so an edge may fall a hair differently on the
      // pixel grid and its anti-aliasing differ slightly; a band drawn a row off, or with another
      // scale, would move every edge in it.
      let differing = 0;
      let largest = 0;
      for (let i = 0; i < whole.rgba.length; i++) {
        const d = Math.abs(whole.rgba[i]! - banded.rgba[i]!);
        if (d > 0) differing++;
        largest = Math.max(largest, d);
      }
      expect(differing / whole.rgba.length).toBeLessThan(0.002);
      expect(largest).toBeLessThan(128);
    }
  });
});

/** The RGBA pixels of a PNG written by renderPng (one IDAT chunk, every row with filter 0). */
function pixelsOf(png: Uint8Array): { width: number; height: number; rgba: Buffer } {
  const { width, height } = pngSize(png);
  const buf = Buffer.from(png);
  let at = 8;
  while (buf.toString("latin1", at + 4, at + 8) !== "IDAT") at += 12 + buf.readUInt32BE(at);
  const raw = inflateSync(buf.subarray(at + 8, at + 8 + buf.readUInt32BE(at)));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (stride + 1)]).toBe(0);
    raw.copy(rgba, y * stride, y * (stride + 1) + 1, (y + 1) * (stride + 1));
  }
  return { width, height, rgba };
}
