// What the default per-object picture of a class looks like on a snapshot: drawn nodes, edges and
// "N more" boxes, the PNG's width × height and aspect, and the height of its smallest text in PNG
// pixels, plus layout and rasterising time (cold: the first picture includes starting Graphviz and
// resvg). Uses a built library (`npm run build` first) the way `backrefs <snapshot> --type <class>
// --each -o x.png` does with no other option.
//
//   node bench/picture-shape.mjs <snapshot> <class> [<class>…] [--max-targets N] [--grouped] [--out dir] [--dist dir]
//
// --grouped measures the grouped picture of all the matches instead (what the CLI draws when more
// objects match than --max-targets).
// --out writes <class>.png and .svg there to look at. --dist times another build (its dist/
// folder), e.g. the main branch checked out next to this one, for before/after figures: builds
// without the fitted layout draw as they did (top to bottom, PNG under 20 megapixels).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
let maxTargets = 10;
let grouped = false;
let out;
let dist = new URL("../dist/", import.meta.url).href;
const classes = [];
let file;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--max-targets") maxTargets = Number(args[++i]);
  else if (args[i] === "--grouped") grouped = true;
  else if (args[i] === "--out") out = args[++i];
  else if (args[i] === "--dist") dist = pathToFileURL(resolve(args[++i]) + "/").href;
  else if (file === undefined) file = args[i];
  else classes.push(args[i]);
}
if (!file || classes.length === 0) {
  console.error("usage: node bench/picture-shape.mjs <snapshot> <class> [<class>…] [--max-targets N] [--out dir] [--dist dir]");
  process.exit(2);
}
// The low-level pieces are in internals.js (index.js before the library API had one way in).
const lib = await import(new URL("internals.js", dist).href).catch(() => import(new URL("index.js", dist).href));
const { measureSvg, pngSize, PX_PER_PT } = await import(
  new URL("render/measure.js", import.meta.url.replace(/bench\/picture-shape\.mjs$/, "dist/")).href
);
const {
  chooseTargets,
  closeLayoutWorker,
  defaultBackrefsOptions,
  loadHeapGraph,
  renderPng,
  renderSvg,
  retainerSubgraph,
  selectNodes,
  toDot,
  walkContext,
} = lib;

let t = performance.now();
const graph = await loadHeapGraph(file);
const ctx = walkContext(graph);
console.log(`${file}: loaded in ${((performance.now() - t) / 1000).toFixed(1)} s (build: ${dist})`);
if (out) mkdirSync(out, { recursive: true });
for (const cls of classes) {
  const { ordinals } = selectNodes(graph, { types: [cls] });
  const { drawn, omitted } = chooseTargets(graph, ctx, ordinals, maxTargets);
  t = performance.now();
  const sub = grouped
    ? lib.groupRetainingPaths(graph, ctx, ordinals).toSubgraph({ maxNodes: lib.DEFAULT_GROUP_NODES })
    : retainerSubgraph(graph, ctx, drawn, defaultBackrefsOptions, omitted);
  const walkMs = performance.now() - t;
  // Layout and rasterising, twice: the first run is what one CLI run pays (cold: Graphviz and resvg
  // start, V8 tiers the WASM up), the second is warm.
  const draw = async () => {
    let t0 = performance.now();
    let svg, zoom, layout;
    if (lib.layoutToFit) {
      const fitted = await lib.layoutToFit(sub);
      ({ svg, zoom } = fitted);
      const dropped = fitted.subgraph?.limitsReached.droppedToFit;
      layout =
        `${fitted.layout.rankdir}${fitted.layout.stagger > 1 ? ` stagger ${fitted.layout.stagger}` : ""}` +
        `${dropped ? ` (${dropped} objects left out to fit)` : ""}${fitted.fits ? "" : " (OUT OF BOUNDS)"}`;
    } else {
      svg = await renderSvg(toDot(sub));
      layout = "TB (before fitting)";
    }
    const layoutMs = performance.now() - t0;
    t0 = performance.now();
    // As the CLI does without --scale.
    const png = await renderPng(svg, zoom === undefined ? { maxPixels: 20_000_000 } : { scale: zoom, maxPixels: 20_000_000 });
    return { svg, png, layout, layoutMs, rasterMs: performance.now() - t0 };
  };
  const cold = await draw();
  const { svg, png, layout, layoutMs, rasterMs } = await draw();
  const { width, height } = pngSize(png);
  const m = measureSvg(svg);
  const fontPx = m ? m.minFontPt * PX_PER_PT * (width / (m.widthPt * PX_PER_PT)) : NaN;
  const aspect = Math.max(width, height) / Math.min(width, height);
  console.log(
    `${cls}${grouped ? " (grouped)" : ""}: ${grouped ? ordinals.length : drawn.length} targets, ${sub.nodes.length} nodes + ${sub.placeholders.length} placeholders, ${sub.edges.length} edges; ` +
      `PNG ${width}×${height} px, aspect ${aspect.toFixed(2)}:1, smallest text ${fontPx.toFixed(1)} px; ` +
      `walk ${walkMs.toFixed(0)} ms, layout ${layout} ${cold.layoutMs.toFixed(0)} ms cold / ${layoutMs.toFixed(0)} ms warm, ` +
      `rasterise ${cold.rasterMs.toFixed(0)} ms cold / ${rasterMs.toFixed(0)} ms warm`,
  );
  if (out) {
    const base = join(out, cls.replace(/[^\w.-]+/g, "_"));
    writeFileSync(base + ".png", png);
    writeFileSync(base + ".svg", svg);
  }
}
await closeLayoutWorker();
