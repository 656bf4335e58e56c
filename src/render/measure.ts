/**
 * How big a laid-out picture is, and how big its smallest text comes out: what "fits a screen and
 * stays legible" is checked against (the picture fitting, the tests and `bench/picture-shape.mjs`).
 *
 * Graphviz's SVG gives `width`/`height` in pt and draws inside `<g id="graph0" transform="scale(s s)
 * …">`, with every `font-size` in the same user units as the coordinates. A rasteriser at zoom `z`
 * draws 1 pt as 4/3 × z px (96 dpi), so text of font size f comes out f × s × 4/3 × z px high
 * (the em size; capitals are about 0.73 em in DejaVu Sans).
 */

export interface PictureSize {
  /** Picture size in pt, as the SVG's width/height say. */
  widthPt: number;
  heightPt: number;
  /** The smallest font size used by any text, in pt after Graphviz's own scaling (0 when no text). */
  minFontPt: number;
}

/** CSS pixels per pt. */
export const PX_PER_PT = 4 / 3;

/** The PNG zoom drawn at by default (png.ts) and preferred by the picture fitting (fit.ts). */
export const DEFAULT_PNG_SCALE = 1.5;

/** An SVG root element's size in pt and its viewBox (user units), as Graphviz writes them. */
export interface SvgFrame {
  widthPt: number;
  heightPt: number;
  /** The viewBox, or null when the root gives none. */
  viewBox: { x: number; y: number; width: number; height: number } | null;
}

/**
 * The size in pt and the viewBox of an SVG's root element, or null when the root does not say its
 * size in pt (not Graphviz's output) or says it wrong (not positive). A viewBox that is not four
 * numbers with a positive width and height counts as none.
 */
export function svgFrame(svg: string): SvgFrame | null {
  const head = /<svg\b[^>]*>/.exec(svg);
  if (!head) return null;
  const width = /\swidth="([\d.]+)pt"/.exec(head[0]);
  const height = /\sheight="([\d.]+)pt"/.exec(head[0]);
  if (!width || !height) return null;
  const widthPt = Number(width[1]);
  const heightPt = Number(height[1]);
  if (!(widthPt > 0 && heightPt > 0 && Number.isFinite(widthPt) && Number.isFinite(heightPt))) return null;
  const v = /\sviewBox="\s*(-?[\d.]+)[\s,]+(-?[\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)\s*"/.exec(head[0]);
  let viewBox: SvgFrame["viewBox"] = null;
  if (v) {
    const box = { x: Number(v[1]), y: Number(v[2]), width: Number(v[3]), height: Number(v[4]) };
    if (box.width > 0 && box.height > 0 && Object.values(box).every(Number.isFinite)) viewBox = box;
  }
  return { widthPt, heightPt, viewBox };
}

/**
 * Reads the size and smallest font size of a Graphviz SVG, or null when the SVG does not say its
 * size in pt (not Graphviz's output).
 *
 * @example
 * const m = measureSvg(svg)!;
 * const widthPx = Math.ceil(m.widthPt * PX_PER_PT * 1.5);
 */
export function measureSvg(svg: string): PictureSize | null {
  const frame = svgFrame(svg);
  if (!frame) return null;
  const { widthPt, heightPt, viewBox } = frame;
  // The viewBox maps user units to the pt size; graph0's transform scales the drawing inside it.
  let unit = viewBox ? widthPt / viewBox.width : 1;
  const graph0 = /<g\b[^>]*\bid="graph0"[^>]*\btransform="scale\(([\d.]+)/.exec(svg);
  if (graph0 && Number(graph0[1]) > 0) unit *= Number(graph0[1]);
  let minFont = Infinity;
  for (const m of svg.matchAll(/\sfont-size="([\d.]+)"/g)) minFont = Math.min(minFont, Number(m[1]));
  return { widthPt, heightPt, minFontPt: Number.isFinite(minFont) ? minFont * unit : 0 };
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
