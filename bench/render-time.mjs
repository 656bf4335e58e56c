// Times the picture alone, cold, as the main job does it: layout (WASM Graphviz in its worker,
// including starting it) and rasterising (resvg-wasm, including loading fonts), on a DOT file
// written by `backrefs <snapshot> --type X -o picture.dot` (the DOT of the layout the command kept).
// The PNG is drawn at the zoom the command would use for that layout: 1.5, lowered so that the
// longest side stays within 4,000 px but never below 11 px text (src/render/fit.ts), and at most
// 20 megapixels.
//
//   node bench/render-time.mjs picture.dot [--layouts N] [--cli-tiering]
//
// --layouts N   lay the same DOT out N times in the one worker (a command lays a picture out 1 to 7
//               times while it looks for a layout that fits); each one's time is printed.
// --cli-tiering set V8's WebAssembly tiering as the command line does (src/cli/wasm-tiering.ts);
//               without it, V8's defaults, as in a program that uses the library — or whatever
//               flags Node was started with, e.g. `node --liftoff-only bench/render-time.mjs ...`.
import { readFileSync } from "node:fs";
import { tuneWasmTiering } from "../dist/cli/wasm-tiering.js";
import { measureSvg, PX_PER_PT } from "../dist/render/measure.js";
import { closeLayoutWorker, renderPng, renderSvg } from "../dist/render/index.js";

const args = process.argv.slice(2);
const layoutsAt = args.indexOf("--layouts");
const rounds = layoutsAt >= 0 ? Number(args[layoutsAt + 1]) : 1;
if (args.includes("--cli-tiering")) tuneWasmTiering();
const dot = readFileSync(args[0], "utf8");

const times = [];
let svg = "";
for (let i = 0; i < rounds; i++) {
  const t = performance.now();
  svg = await renderSvg(dot);
  times.push(performance.now() - t);
}
const m = measureSvg(svg);
const longPx = Math.max(m.widthPt, m.heightPt) * PX_PER_PT;
const textZoom = m.minFontPt > 0 ? 11 / (m.minFontPt * PX_PER_PT) : 0;
const zoom = Math.max(Math.min(1.5, 4000 / longPx), Math.min(1.5, textZoom));
const t = performance.now();
const png = await renderPng(svg, { scale: zoom, maxPixels: 20_000_000 });
const raster = performance.now() - t;
await closeLayoutWorker();
const nodes = (dot.match(/^\s+n\d+ \[/gm) ?? []).length;
const width = png.readUInt32BE(16);
const height = png.readUInt32BE(20);
const cpu = process.cpuUsage();
console.log(
  `${nodes} nodes: layout ${times.map((x) => x.toFixed(0)).join("/")} ms, rasterise ${raster.toFixed(0)} ms ` +
    `(${width}×${height} px, ${(png.length / 1024).toFixed(0)} KB of PNG); process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);
