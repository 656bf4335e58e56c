import { afterAll, beforeAll, describe, it, expect } from "vitest";
import { RenderError } from "../../src/errors.js";
import { toDot } from "../../src/render/dot.js";
import { renderPng } from "../../src/render/png.js";
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
});
