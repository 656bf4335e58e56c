// Times the picture alone, cold, as the main job does it: layout (WASM Graphviz in its worker,
// including starting it) and rasterising (resvg-wasm, including loading fonts), on a DOT file
// written by `backrefs <snapshot> --type X -o picture.dot`.
//
//   node bench/render-time.mjs picture.dot
import { readFileSync } from "node:fs";
import { closeLayoutWorker, renderPng, renderSvg } from "../dist/render/index.js";

const dot = readFileSync(process.argv[2], "utf8");
let t = performance.now();
const svg = await renderSvg(dot);
const layout = performance.now() - t;
t = performance.now();
const png = await renderPng(svg, { maxPixels: 20_000_000 }); // what the CLI does without --scale
const raster = performance.now() - t;
await closeLayoutWorker();
const nodes = (dot.match(/^\s+n\d+ \[/gm) ?? []).length;
console.log(
  `${nodes} nodes: layout ${layout.toFixed(0)} ms, rasterise ${raster.toFixed(0)} ms, total ${(layout + raster).toFixed(0)} ms (${png.length} bytes of PNG)`,
);
