/**
 * Lay a picture out so that it fits a screen: at most `maxSidePx` on each side as a PNG, an aspect
 * ratio no worse than `maxAspect`:1, and its smallest text at least `minTextPx` high.
 *
 * Graphviz's `dot` makes one rank per level; a level with many objects makes a strip. Graphviz
 * offers two means that help, and this module tries them in a fixed order, keeping the first
 * layout that fits at the preferred zoom, else the better of the first two when one of them fits
 * (the one drawn larger), else the one closest to fitting:
 * 1. top to bottom (`rankdir=TB`), as before;
 * 2. left to right (`rankdir=LR`): a level becomes a column of boxes, which are about 4× wider than
 *    tall, so a wide level takes a quarter of the room;
 * 3. either direction with wide levels folded over 2, then 3 ranks (`minlen` on the edges of every
 *    other object of a wide level, and of every other "N more" box: see `ToDotOptions.stagger`).
 * 4. if the best of those is legible and small enough but too long and thin, the same layout with
 *    Graphviz's `ratio`, which spreads the short side (more room between boxes, text unchanged).
 * Then the PNG zoom is lowered from the preferred one as far as the longest side needs, but never
 * below the zoom at which the smallest text is `minTextPx` high.
 *
 * When no layout of all the boxes fits (a heap that is wide everywhere), the picture draws fewer:
 * objects are taken out, breadth first and never a target or a shortest retaining path, each one
 * counted in the "N more" box of the object it held (`src/query/shrink.ts`), and the layouts are
 * tried again, until one fits. When only targets and their shortest paths are left and those alone
 * are too wide, the picture draws its first targets only, with their paths, and says how many
 * targets it does not draw (`limitsReached.targetsDroppedToFit`). Every step is deterministic, so the same subgraph gives the same
 * DOT, SVG and PNG. Layouts are measured on Graphviz's own SVG (what {@link finishLayout} changes
 * does not touch sizes), and only the one kept is finished and checked.
 */
import { boxCount, keepFirstTargets, shrinkSubgraph } from "../query/shrink.js";
import type { Subgraph } from "../query/types.js";
import { toDot, type ToDotOptions } from "./dot.js";
import { DEFAULT_PNG_SCALE, measureSvg, PX_PER_PT } from "./measure.js";
import { addLayoutWorker, finishLayout, layOutAhead, layoutSvg, layoutWorkers, type RenderSvgOptions } from "./svg.js";

export interface FitOptions extends Omit<ToDotOptions, "rankdir" | "stagger" | "ratio">, RenderSvgOptions {
  /** Longest side of the PNG, in pixels (default 4,000). */
  maxSidePx?: number;
  /** Worst aspect ratio, long side : short side (default 3). */
  maxAspect?: number;
  /** Smallest text height in the PNG, in pixels (default 11). */
  minTextPx?: number;
  /** Preferred PNG zoom, lowered when the picture needs it (default 1.5, as renderPng's). */
  zoom?: number;
  /**
   * Pictures with more boxes than this get only the first layout (each try costs a full layout,
   * seconds for thousands of boxes). Default 400.
   */
  maxBoxesToTry?: number;
  /**
   * When no layout of the whole subgraph fits, take objects out of the picture until one does:
   * breadth first, never a target or a shortest retaining path ({@link shrinkSubgraph}); each one
   * taken out is counted in the "N more" box of the object it held. Default `true`; `false` when
   * the user asked for a big picture (an explicit node budget).
   */
  shrink?: boolean;
}

export interface FittedPicture {
  dot: string;
  svg: string;
  /** The PNG zoom to draw it at: the preferred one, or lower for a big picture. */
  zoom: number;
  /** PNG size at that zoom. */
  widthPx: number;
  heightPx: number;
  /** Smallest text height at that zoom, in PNG pixels. */
  minTextPx: number;
  /** Whether all the bounds hold. */
  fits: boolean;
  /** Which layout was kept. */
  layout: { rankdir: "TB" | "LR"; stagger: number };
  /**
   * What the picture draws: `sub` itself, or, when no layout of all of it fit, `sub` with objects
   * taken out ({@link shrinkSubgraph}; `limitsReached.droppedToFit` says how many), or with its
   * first targets only when their paths alone did not fit (`limitsReached.targetsDroppedToFit`).
   */
  subgraph: Subgraph;
}

/** The layouts tried, in order. */
const LAYOUTS: ReadonlyArray<{ rankdir: "TB" | "LR"; stagger: number }> = [
  { rankdir: "TB", stagger: 1 },
  { rankdir: "LR", stagger: 1 },
  { rankdir: "TB", stagger: 2 },
  { rankdir: "LR", stagger: 2 },
  { rankdir: "TB", stagger: 3 },
  { rankdir: "LR", stagger: 3 },
];

/**
 * Pictures of at most this many boxes get their second layout made ahead ({@link layOutAhead}):
 * the default per-object picture has up to 60 boxes and its "N more" boxes.
 */
const AHEAD_MAX_BOXES = 100;

/** Below this many pixels on the longer side, a picture is small enough whatever its aspect. */
const SMALL_SIDE_PX = 1500;

/**
 * Lays `sub` out in the first of {@link LAYOUTS} that fits the bounds, and says at which PNG zoom
 * to draw it.
 *
 * @throws {RenderError} as `renderSvg` does.
 * @example
 * const fitted = await layoutToFit(sub);
 * const png = await renderPng(fitted.svg, { scale: fitted.zoom });
 */
export async function layoutToFit(sub: Subgraph, opts: FitOptions = {}): Promise<FittedPicture> {
  let current = sub;
  let picture = await layoutOnce(current, opts);
  if (opts.shrink === false) return finish(picture, current);
  // No layout of every box fits: draw fewer boxes (breadth first; never a target or a shortest
  // path), each round as many fewer as the overshoot suggests, until one fits or nothing more may go.
  for (let round = 0; !picture.fits && round < MAX_SHRINK_ROUNDS; round++) {
    const over = Number.isFinite(picture.overshoot) ? Math.max(picture.overshoot, 1) : 2;
    // At least one fewer, at most as many fewer as the overshoot suggests (and never none).
    const fewer = (n: number): number => Math.max(1, Math.min(n - 1, Math.floor(n / (over * 1.05))));
    // Nothing more may go but the targets' shortest paths, and those alone are too wide: draw the
    // first targets only (with their paths).
    const smaller = shrinkSubgraph(current, fewer(boxCount(current))) ?? keepFirstTargets(current, fewer(current.targets.length));
    if (!smaller) break;
    current = smaller;
    picture = await layoutOnce(current, opts);
  }
  return finish(picture, current);
}

function finish(picture: Laid, subgraph: Subgraph): FittedPicture {
  const { overshoot: _overshoot, ...fitted } = picture;
  return { ...fitted, svg: finishLayout(fitted.svg), subgraph };
}

/** Shrinking rounds before the fitter settles for the closest picture. */
const MAX_SHRINK_ROUNDS = 8;

/** A layout of one subgraph; `overshoot` (≥ 1 when it does not fit) says by how much it misses. */
type Laid = Omit<FittedPicture, "subgraph"> & { overshoot: number };

/** One subgraph laid out in the first of {@link LAYOUTS} that fits, else the closest to fitting. */
async function layoutOnce(sub: Subgraph, opts: FitOptions): Promise<Laid> {
  const maxSide = opts.maxSidePx ?? 4000;
  const maxAspect = opts.maxAspect ?? 3;
  const minText = opts.minTextPx ?? 11;
  const preferred = opts.zoom ?? DEFAULT_PNG_SCALE;
  const boxes = sub.nodes.length + sub.placeholders.length;
  const layouts = boxes > (opts.maxBoxesToTry ?? 400) ? LAYOUTS.slice(0, 1) : LAYOUTS;

  let best: { picture: Laid; badness: number } | undefined;
  // The DOT of each layout tried. Folding changes nothing in a picture with no wide level and no
  // "N more" box (a grouped picture's single chain of steps, say): its DOT is then the same as an
  // earlier try's, and so would be its layout (Graphviz is deterministic), which was measured and
  // compared then: the same picture again never replaces `best` (only a better one does), so it is
  // not laid out again. Whether to stop is still decided as after a layout.
  const dots: string[] = [];
  const dotOf = (i: number): string => (dots[i] ??= toDot(sub, { ...opts, rankdir: layouts[i]!.rankdir, stagger: layouts[i]!.stagger }));
  // Each layout asked for, by index (null: its DOT is an earlier one's). With two layout workers
  // the next try is laid out while this one is measured (when this one settles the question, the
  // next was laid out for nothing: one layout of the worker's time, and nothing else changes).
  const jobs: Array<Promise<string> | null> = [];
  const jobOf = (i: number): Promise<string> | null => {
    if (jobs[i] !== undefined) return jobs[i]!;
    for (let j = 0; j < i; j++) dotOf(j);
    const dot = dotOf(i);
    let job: Promise<string> | null = null;
    if (!dots.slice(0, i).includes(dot)) {
      job = layoutSvg(dot, opts);
      job.catch(() => {}); // (awaited when used; one laid out ahead and not used fails unseen)
    }
    jobs[i] = job;
    return job;
  };
  const done = (layout: { rankdir: "TB" | "LR" }): boolean =>
    best !== undefined && best.picture.fits && (best.picture.zoom >= preferred || layout.rankdir === "LR");
  for (let i = 0; i < layouts.length; i++) {
    const layout = layouts[i]!;
    // Neither of the first two fits: the folded ones follow (and most likely pictures with fewer
    // boxes), each needed only after the one before is measured. A second worker lays them out
    // two at a time.
    if (i === 2 && !best?.picture.fits) addLayoutWorker();
    const job = jobOf(i);
    if (layoutWorkers() > 1) {
      if (i + 1 < layouts.length) jobOf(i + 1);
    } else if (i === 0 && layouts.length > 1 && boxes <= AHEAD_MAX_BOXES) {
      // TB and LR are both laid out unless TB fits at the preferred zoom: the worker is told LR's
      // DOT once TB is asked for, and lays LR out as soon as TB is done, instead of once this
      // thread has received and measured TB (on a first look this thread is then busy completing
      // the snapshot's cache entry). For pictures of the default sizes; a big one's LR may be
      // seconds of work for nothing.
      await Promise.resolve(); // (TB's request goes out first)
      layOutAhead(dotOf(1), opts);
    }
    if (job === null) {
      if (done(layout)) break;
      continue;
    }
    const dot = dots[i]!;
    const svg = await job;
    const m = measureSvg(svg);
    if (!m) return { dot, svg, zoom: preferred, widthPx: NaN, heightPx: NaN, minTextPx: NaN, fits: false, layout, overshoot: NaN };
    const longPt = Math.max(m.widthPt, m.heightPt, 1);
    const shortPt = Math.max(Math.min(m.widthPt, m.heightPt), 1);
    // The zoom the longest side allows, and the one the smallest text needs.
    const sideZoom = maxSide / (longPt * PX_PER_PT);
    const textZoom = m.minFontPt > 0 ? minText / (m.minFontPt * PX_PER_PT) : 0;
    const zoom = Math.max(Math.min(preferred, sideZoom), Math.min(preferred, textZoom));
    const aspect = longPt / shortPt;
    const widthPx = Math.ceil(m.widthPt * PX_PER_PT * zoom);
    const heightPx = Math.ceil(m.heightPt * PX_PER_PT * zoom);
    const small = Math.max(widthPx, heightPx) <= SMALL_SIDE_PX;
    const sideOk = sideZoom >= textZoom;
    const aspectOk = small || aspect <= maxAspect;
    const overshoot = Math.max(textZoom / sideZoom, aspectOk ? 1 : aspect / maxAspect);
    const picture: Laid = {
      dot,
      svg,
      zoom,
      widthPx,
      heightPx,
      minTextPx: m.minFontPt * PX_PER_PT * zoom,
      fits: sideOk && aspectOk,
      layout,
      overshoot,
    };
    // Among layouts that fit, the one drawn largest; among the others, the one closest to fitting.
    const badness = picture.fits ? -zoom : overshoot;
    if (!best || (picture.fits ? 0 : 1) < (best.picture.fits ? 0 : 1) || (picture.fits === best.picture.fits && badness < best.badness)) {
      best = { picture, badness };
    }
    // TB and LR are always both tried; the folded layouts only when neither fits.
    if (done(layout)) break;
  }
  // Still too long and thin, though small enough: spread the short side (Graphviz's `ratio`),
  // which adds room between boxes and never shrinks anything.
  const b = best!.picture;
  if (!b.fits && Number.isFinite(b.widthPx) && b.minTextPx >= minText - 1e-9) {
    const wide = b.widthPx >= b.heightPx;
    const ratio = wide ? 1 / (maxAspect * 0.97) : maxAspect * 0.97;
    const dot = toDot(sub, { ...opts, rankdir: b.layout.rankdir, stagger: b.layout.stagger, ratio });
    const svg = await layoutSvg(dot, opts);
    const m = measureSvg(svg);
    if (m) {
      const longPt = Math.max(m.widthPt, m.heightPt, 1);
      const shortPt = Math.max(Math.min(m.widthPt, m.heightPt), 1);
      const sideZoom = maxSide / (longPt * PX_PER_PT);
      const textZoom = m.minFontPt > 0 ? minText / (m.minFontPt * PX_PER_PT) : 0;
      const zoom = Math.max(Math.min(preferred, sideZoom), Math.min(preferred, textZoom));
      const fits = sideZoom >= textZoom && longPt / shortPt <= maxAspect;
      if (fits) {
        return {
          dot,
          svg,
          zoom,
          widthPx: Math.ceil(m.widthPt * PX_PER_PT * zoom),
          heightPx: Math.ceil(m.heightPt * PX_PER_PT * zoom),
          minTextPx: m.minFontPt * PX_PER_PT * zoom,
          fits,
          layout: b.layout,
          overshoot: 1,
        };
      }
    }
  }
  return b;
}
