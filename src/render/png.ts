/**
 * SVG → PNG with resvg compiled to WASM, drawing text with the two DejaVu Sans faces shipped in this
 * package's `fonts/` folder (never system fonts: the picture must be the same on every machine, and
 * Graphviz sized the boxes for DejaVu Sans). Only the regular and bold faces are used, so only those
 * two files are shipped (1.4 MB, with their licence), not the whole DejaVu family.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { crc32, deflateSync } from "node:zlib";
import { RenderError } from "../errors.js";

export interface RenderPngOptions {
  /**
   * Zoom factor over the SVG's CSS pixel size (Graphviz sizes are in pt; resvg uses 96 dpi, so
   * 1 pt = 1.33 px at scale 1). Default 1.5: small labels stay legible on screens and in docs.
   */
  scale?: number;
  /** Lower the zoom so the picture has at most this many pixels (for a default, not a user's --scale). */
  maxPixels?: number;
}

export const DEFAULT_PNG_SCALE = 1.5;
/** resvg allocates width × height × 4 bytes; refuse pictures that would need more than ~400 MB. */
const MAX_PIXELS = 100_000_000;
const MAX_SIDE = 32_767;

/** `fonts/` at the package root: two levels up from both `src/render/` and `dist/render/`. */
const FONTS_DIR = new URL("../../fonts/", import.meta.url);

interface Engine {
  fonts: Uint8Array[];
  /** resvg's class, from its module: loaded with the engine, so that a picture drawn as SVG alone loads none of resvg. */
  Resvg: typeof import("@resvg/resvg-wasm").Resvg;
}
let engine: Promise<Engine> | undefined;

function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const require = createRequire(import.meta.url);
    const [{ initWasm, Resvg }, wasm, regular, bold] = await Promise.all([
      import("@resvg/resvg-wasm"),
      readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")),
      readFile(new URL("DejaVuSans.ttf", FONTS_DIR)),
      readFile(new URL("DejaVuSans-Bold.ttf", FONTS_DIR)),
    ]);
    await initWasm(wasm);
    return { fonts: [new Uint8Array(regular), new Uint8Array(bold)], Resvg };
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
  let scale = opts.scale ?? DEFAULT_PNG_SCALE;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 20) {
    throw new RenderError(`invalid PNG scale: ${scale}`, "use a number between 0 and 20, e.g. --scale 2");
  }
  const { fonts, Resvg } = await loadEngine();

  if (opts.maxPixels !== undefined) {
    const size = svgPixelSize(svg);
    if (size && size.width * size.height * scale * scale > opts.maxPixels) {
      scale = Math.sqrt(opts.maxPixels / (size.width * size.height));
    }
  }
  let resvg: InstanceType<Engine["Resvg"]>;
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
      return encodePng(image.pixels, image.width, image.height);
    } finally {
      image.free();
    }
  } finally {
    resvg.free();
  }
}

/**
 * Starts what the first PNG of a process needs, without waiting for it: reading and compiling the
 * resvg WASM and the fonts, then one tiny render with text (the first render of a process pays
 * for parsing the fonts and for unoptimised WASM code). Call it early — the CLI does before reading
 * the snapshot — and the first {@link renderPng} finds it done. Failures are left to renderPng.
 */
export function preparePng(): void {
  loadEngine()
    .then(({ fonts, Resvg }) => {
      setImmediate(() => {
        try {
          const r = new Resvg(WARM_UP_SVG, {
            font: { fontBuffers: fonts, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" },
          });
          r.render().free();
          r.free();
        } catch {
          // renderPng reports its own errors
        }
      });
    })
    .catch(() => {});
}

const WARM_UP_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"><text x="2" y="14" font-family="DejaVu Sans" font-size="10">Ab <tspan font-weight="bold">1</tspan></text></svg>';

/** The SVG's size in CSS pixels (Graphviz writes pt: 1 pt = 4/3 px), or null when not given in pt. */
function svgPixelSize(svg: string): { width: number; height: number } | null {
  const m = /<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"/.exec(svg);
  return m ? { width: (Number(m[1]) * 4) / 3, height: (Number(m[2]) * 4) / 3 } : null;
}

/**
 * RGBA pixels → a PNG. Node's own zlib does the compression: several times faster than the
 * encoder compiled into resvg-wasm, and still nothing to install. Rows are copied whole behind
 * their filter byte (filter "none"); deterministic for the same pixels.
 */
export function encodePng(rgba: Uint8Array, width: number, height: number): Uint8Array {
  const row = width * 4;
  const raw = Buffer.alloc((row + 1) * height); // each row starts with filter type 0 (none)
  for (let y = 0; y < height; y++) raw.set(rgba.subarray(y * row, (y + 1) * row), y * (row + 1) + 1);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(raw, { level: 6 })),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}
