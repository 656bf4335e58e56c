/** Presentation: labels and colours, DOT, SVG, PNG. Re-exports only. */
export { toDot, type ToDotOptions } from "./dot.js";
export { renderSvg, closeLayoutWorker, DEFAULT_LAYOUT_TIMEOUT_MS, type RenderSvgOptions } from "./svg.js";
export { renderPng, DEFAULT_PNG_SCALE, type RenderPngOptions } from "./png.js";
export { formatBytes, formatCount, edgeLabel, sanitizeText, truncateText } from "./format.js";
export { secureSvg, tokenizeXml, XmlSyntaxError, type XmlToken, type XmlAttr } from "./svg-safety.js";
export { layoutToFit, type FitOptions, type FittedPicture } from "./fit.js";
export { measureSvg, pngSize, PX_PER_PT, type PictureSize } from "./measure.js";
export { describeSubgraph, type PictureText } from "./describe.js";
