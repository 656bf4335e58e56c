/**
 * SVG → PNG with resvg compiled to WASM, drawing text with the two DejaVu Sans faces shipped in this
 * package's `fonts/` folder (never system fonts: the picture must be the same on every machine, and
 * Graphviz sized the boxes for DejaVu Sans). Only the regular and bold faces are used, so only those
 * two files are shipped (1.4 MB, with their licence), not the whole DejaVu family.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { RenderError } from "../errors.js";
import { DEFAULT_PNG_SCALE, PX_PER_PT, svgFrame, type SvgFrame } from "./measure.js";
import { PngWriter } from "./png-encode.js";
import { wasmTiering, whileInstantiating } from "./tiering.js";

export interface RenderPngOptions {
  /**
   * Zoom factor over the SVG's CSS pixel size (Graphviz sizes are in pt; resvg uses 96 dpi, so
   * 1 pt = 1.33 px at scale 1). Default 1.5: small labels stay legible on screens and in docs.
   */
  scale?: number;
  /** Lower the zoom so the picture has at most this many pixels (for a default, not a user's --scale). */
  maxPixels?: number;
}

/** The zoom a PNG is drawn at by default (kept in measure.ts, which the picture fitting loads without the rasteriser). */
export { DEFAULT_PNG_SCALE };
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

/** resvg's font options: the two faces shipped, DejaVu Sans for every family Graphviz's SVG names. */
function fontOptions(fonts: Uint8Array[]) {
  return { fontBuffers: fonts, defaultFontFamily: "DejaVu Sans", sansSerifFamily: "DejaVu Sans" };
}

function loadEngine(): Promise<Engine> {
  engine ??= (async () => {
    const require = createRequire(import.meta.url);
    const [{ initWasm, Resvg }, wasm, regular, bold] = await Promise.all([
      import("@resvg/resvg-wasm"),
      readFile(require.resolve("@resvg/resvg-wasm/index_bg.wasm")),
      readFile(new URL("DejaVuSans.ttf", FONTS_DIR)),
      readFile(new URL("DejaVuSans-Bold.ttf", FONTS_DIR)),
    ]);
    await whileInstantiating(wasmTiering(), () => initWasm(wasm));
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
 * A big picture is drawn in horizontal bands, top to bottom, each compressed on Node's thread pool
 * while the next one is drawn (png-encode.ts): the picture's pixels are never all held at once,
 * and the compression adds little to the drawing's time. The bands are cut from the picture's size
 * alone. An SVG that does not give its size in pt and a viewBox (not Graphviz's) is drawn whole.
 *
 * @throws {RenderError} for an invalid scale, an SVG resvg cannot read, or a picture too large to
 *   rasterise (hint: use SVG, a smaller scale, or fewer nodes).
 * @example
 * const png = await renderPng(await renderSvg(toDot(subgraph)), { scale: 2 });
 * await writeFile("retainers.png", png);
 */
export async function renderPng(svg: string, opts: RenderPngOptions = {}): Promise<Uint8Array> {
  return rasterise(svg, opts, BAND_PIXELS);
}

/**
 * Pixels a band holds at most: smaller bands start the compression earlier, but each band walks the
 * whole drawing again (~25 ms for a 38-box picture at 4000 × 2836 px, where 4 bands of 2.8M pixels
 * drew in the time of one).
 */
const BAND_PIXELS = 3_000_000;
/** Bands a picture is cut into at most. */
const MAX_BANDS = 8;

/** {@link renderPng}, with bands of at most `bandPixels` pixels (tests draw a picture whole and in bands). */
export async function rasterise(svg: string, opts: RenderPngOptions, bandPixels: number): Promise<Uint8Array> {
  let scale = opts.scale ?? DEFAULT_PNG_SCALE;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 20) {
    throw new RenderError(`invalid PNG scale: ${scale}`, "use a number between 0 and 20, e.g. --scale 2");
  }
  const { fonts, Resvg } = await loadEngine();
  const frame = svgFrame(svg);
  if (opts.maxPixels !== undefined && frame) {
    const width = frame.widthPt * PX_PER_PT;
    const height = frame.heightPt * PX_PER_PT;
    if (width * height * scale * scale > opts.maxPixels) scale = Math.sqrt(opts.maxPixels / (width * height));
  }
  const grid = frame ? pixelGrid(frame, scale, bandPixels) : null;
  const drawing = withoutPageFill(svg);
  const open = (zoom: number): InstanceType<Engine["Resvg"]> => {
    try {
      return new Resvg(drawing, {
        font: fontOptions(fonts),
        fitTo: { mode: "zoom", value: zoom },
        background: "#ffffff",
        shapeRendering: 2,
        textRendering: 1,
      });
    } catch (e) {
      throw new RenderError(`cannot read the SVG for PNG output: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  // In bands, every band is a crop of the viewBox, drawn at the grid's pixels per user unit.
  const resvg = open(grid ? grid.pxPerUnit : scale);
  try {
    const width = grid ? grid.width : Math.ceil(resvg.width * scale);
    const height = grid ? grid.height : Math.ceil(resvg.height * scale);
    if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS) {
      throw new RenderError(
        `the PNG would be ${width}×${height} pixels, too large to rasterise`,
        "write SVG instead (--format svg), lower --scale, or draw fewer objects with --max-nodes/--depth",
      );
    }
    if (!grid) return await drawWhole(resvg);
    // resvg hands out its box objects only as the bounds of what the SVG draws: none when it
    // draws nothing, and then the picture is drawn whole, at the zoom asked.
    const box = resvg.getBBox();
    if (!box) {
      const whole = open(scale);
      try {
        return await drawWhole(whole);
      } finally {
        whole.free();
      }
    }
    try {
      const png = new PngWriter(grid.width, grid.height);
      for (let top = 0; top < grid.height; top += grid.bandRows) {
        const rows = Math.min(grid.bandRows, grid.height - top);
        box.x = grid.box.x;
        box.width = grid.box.width;
        box.y = grid.box.y + top / grid.pxPerUnit;
        box.height = rows / grid.pxPerUnit;
        resvg.cropByBBox(box);
        const image = resvg.render();
        try {
          if (image.width !== grid.width || image.height !== rows) {
            throw new RenderError(
              `a band of the picture came out ${image.width}×${image.height} pixels, not ${grid.width}×${rows}`,
              "this is a bug; please report it",
            );
          }
          await png.add(image.pixels, rows);
        } finally {
          image.free();
        }
      }
      return await png.finish();
    } finally {
      box.free();
    }
  } finally {
    resvg.free();
  }
}

/** Draws the whole picture at the zoom resvg was given. */
async function drawWhole(resvg: InstanceType<Engine["Resvg"]>): Promise<Uint8Array> {
  const image = resvg.render();
  try {
    const png = new PngWriter(image.width, image.height);
    await png.add(image.pixels, image.height);
    return await png.finish();
  } finally {
    image.free();
  }
}

/**
 * Graphviz paints the page first: a white polygon without a stroke over the whole drawing. On the
 * PNG's white background that changes no pixel (white drawn over white, whatever the coverage), but
 * resvg fills it like any shape, every pixel through its blending: ~10% of a 4000 × 2837 px
 * picture's drawing time. Dropped when it is the graph's first element after its title, as
 * Graphviz writes it; anything else is left to draw.
 */
export function withoutPageFill(svg: string): string {
  return svg.replace(
    /(<g\b[^>]*\bclass="graph"[^>]*>\s*<title>[^<]*<\/title>\s*)<polygon fill="#ffffff" stroke="none" points="[^"]*"\/>/,
    "$1",
  );
}

/**
 * The picture's pixels: its width is the SVG's at the zoom, rounded; one scale of pixels per user
 * unit for both directions (so that every band's width and height come out whole); its height no
 * more than the SVG's height at the zoom, rounded up (what the picture fitting counted on); and
 * rows cut into at most {@link MAX_BANDS} bands of at most `bandPixels`. Null for a frame unlike
 * Graphviz's, whose bands resvg could not place exactly (it keeps a box in 32-bit floats): a
 * viewBox far from the origin, or whose user units are far from a pixel; such an SVG is drawn whole.
 */
function pixelGrid(frame: SvgFrame, zoom: number, bandPixels: number) {
  const box = frame.viewBox;
  if (!box) return null;
  const width = Math.max(1, Math.round(frame.widthPt * PX_PER_PT * zoom));
  const pxPerUnit = width / box.width;
  const plain = Math.max(Math.abs(box.x), Math.abs(box.y), box.width, box.height) <= 1e6 && pxPerUnit >= 1e-2 && pxPerUnit <= 1e2;
  if (!plain) return null;
  const height = Math.max(1, Math.min(Math.round(box.height * pxPerUnit), Math.ceil(frame.heightPt * PX_PER_PT * zoom)));
  const bands = Math.min(MAX_BANDS, Math.max(1, Math.ceil((width * height) / bandPixels)));
  return { box, width, height, pxPerUnit, bandRows: Math.ceil(height / bands) };
}

/**
 * Starts what the first PNG of a process needs, without waiting for it: reading and compiling the
 * resvg WASM and the fonts, then one tiny render with text (the first render of a process pays
 * for parsing the fonts and for unoptimised WASM code). Call it before the picture is ready — the
 * CLI does while the layout worker lays the picture out — and the first {@link renderPng} finds it
 * done, or under way. Failures are left to renderPng.
 */
export function preparePng(): void {
  loadEngine()
    .then(({ fonts, Resvg }) => {
      setImmediate(() => {
        try {
          const r = new Resvg(WARM_UP_SVG, {
            font: fontOptions(fonts),
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
