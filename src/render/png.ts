/**
 * SVG → PNG with resvg compiled to WASM, drawing text with the DejaVu Sans fonts shipped in
 * `dejavu-fonts-ttf` (never system fonts: the picture must be the same on every machine, and
 * Graphviz sized the boxes for DejaVu Sans).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { initWasm, Resvg } from "@resvg/resvg-wasm";
import { RenderError } from "../errors.js";

export interface RenderPngOptions {
  /**
   * Zoom factor over the SVG's CSS pixel size (Graphviz sizes are in pt; resvg uses 96 dpi, so
   * 1 pt = 1.33 px at scale 1). Default 1.5: small labels stay legible on screens and in docs.
   */
  scale?: number;
}

export const DEFAULT_PNG_SCALE = 1.5;
/** resvg allocates width × height × 4 bytes; refuse pictures that would need more than ~400 MB. */
const MAX_PIXELS = 100_000_000;
const MAX_SIDE = 32_767;

interface Engine {
  fonts: Uint8Array[];
}
let engine: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const require = createRequire(import.meta.url);
    const [wasm, regular, bold] = await Promise.all([
      readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")),
      readFile(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf")),
      readFile(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf")),
    ]);
    await initWasm(wasm);
    return { fonts: [new Uint8Array(regular), new Uint8Array(bold)] };
  })();
  // A failed start may be retried by the next call (initWasm has not run to completion).
  engine.catch(() => {
    engine = undefined;
  });
  return engine;
}

/**
 * Rasterise an SVG (normally from {@link renderSvg}) to PNG bytes on a white background.
 * Deterministic: the same SVG and scale give the same bytes.
 *
 * @throws {RenderError} for an invalid scale, an SVG resvg cannot read, or a picture too large to
 *   rasterise (hint: use SVG, a smaller scale, or fewer nodes).
 * @example
 * const png = await renderPng(await renderSvg(toDot(subgraph)), { scale: 2 });
 * await writeFile("retainers.png", png);
 */
export async function renderPng(svg: string, opts: RenderPngOptions = {}): Promise<Uint8Array> {
  const scale = opts.scale ?? DEFAULT_PNG_SCALE;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 20) {
    throw new RenderError(`invalid PNG scale: ${scale}`, "use a number between 0 and 20, e.g. --scale 2");
  }
  const { fonts } = await loadEngine();

  let resvg: InstanceType<typeof Resvg>;
  try {
    resvg = new Resvg(svg, {
      font: { fontBuffers: fonts, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
      fitTo: { mode: "zoom", value: scale },
      background: "#ffffff",
      shapeRendering: 2,
      textRendering: 1,
    });
  } catch (e) {
    throw new RenderError(`cannot read the SVG for PNG output: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const width = Math.ceil(resvg.width * scale);
    const height = Math.ceil(resvg.height * scale);
    if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
      throw new RenderError(
        `the PNG would be ${width}×${height} pixels, too large to rasterise`,
        "write SVG instead (--format svg), lower --scale, or draw fewer objects with --max-nodes/--depth",
      );
    }
    const image = resvg.render();
    try {
      return image.asPng();
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}
