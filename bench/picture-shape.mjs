// What the default picture of a class looks like on a snapshot: drawn nodes, edges and "N more"
// boxes, the PNG's width × height and aspect, and the height of its smallest text in PNG pixels,
// plus layout and rasterising time. Uses the built library (`npm run build` first), the same calls
// as `backrefs <snapshot> --type <class> -o x.png` with no other option.
//
//   node bench/picture-shape.mjs <snapshot> <class> [<class>…] [--max-targets N] [--out dir]
//
// With --out, writes <class>.png (and .svg) there to look at.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  chooseTargets, closeLayoutWorker, defaultBackrefsOptions, layoutToFit, loadHeapGraph, renderPng,
  retainerSubgraph, selectNodes, walkContext,
} from "../dist/index.js";
import { measureSvg, pngSize, PX_PER_PT } from "../dist/render/measure.js";

const args = process.argv.slice(2);
let maxTargets = 10;
let out;
const classes = [];
let file;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--max-targets") maxTargets = Number(args[++i]);
  else if (args[i] === "--out") out = args[++i];
  else if (file === undefined) file = args[i];
  else classes.push(args[i]);
}
if (!file || classes.length === 0) {
  console.error("usage: node bench/picture-shape.mjs <snapshot> <class> [<class>…] [--max-targets N] [--out dir]");
  process.exit(2);
}
const graph = await loadHeapGraph(file);
const ctx = walkContext(graph);
if (out) mkdirSync(out, { recursive: true });
for (const cls of classes) {
  const { ordinals } = selectNodes(graph, { types: [cls] });
  if (ordinals.length === 0) {
    console.log(`${cls}: no objects`);
    continue;
  }
  const { drawn, omitted } = chooseTargets(graph, ctx, ordinals, maxTargets);
  const sub = retainerSubgraph(graph, ctx, drawn, defaultBackrefsOptions, omitted);
  let t = performance.now();
  const fitted = await layoutToFit(sub);
  const svg = fitted.svg;
  const layoutMs = performance.now() - t;
  t = performance.now();
  const png = await renderPng(svg, { scale: fitted.zoom, maxPixels: 20_000_000 }); // as the CLI does
  const rasterMs = performance.now() - t;
  const { width, height } = pngSize(png);
  const m = measureSvg(svg);
  // The zoom the PNG was drawn at (lowered from 1.5 for huge pictures).
  const zoom = m ? width / (m.widthPt * PX_PER_PT) : NaN;
  const fontPx = m ? m.minFontPt * PX_PER_PT * zoom : NaN;
  const aspect = Math.max(width, height) / Math.min(width, height);
  console.log(
    `${cls}: ${drawn.length} targets, ${sub.nodes.length} nodes + ${sub.placeholders.length} placeholders, ${sub.edges.length} edges; ` +
      `PNG ${width}×${height} px, aspect ${aspect.toFixed(2)}:1 (${width >= height ? "wide" : "tall"}), smallest text ${fontPx.toFixed(1)} px; ` +
      `layout ${fitted.layout.rankdir}${fitted.layout.stagger > 1 ? ` stagger ${fitted.layout.stagger}` : ""}${fitted.fits ? "" : " (OUT OF BOUNDS)"} ${layoutMs.toFixed(0)} ms, rasterise ${rasterMs.toFixed(0)} ms`,
  );
  if (out) {
    const base = join(out, cls.replace(/[^\w.-]+/g, "_"));
    writeFileSync(base + ".png", png);
    writeFileSync(base + ".svg", svg);
  }
}
await closeLayoutWorker();
