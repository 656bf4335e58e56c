/**
 * The last touches to Graphviz's SVG so it reads well in other people's pages (docs/rendering.md,
 * "Pictures in other people's pages"):
 *
 * - **Fonts.** Graphviz sized every label for DejaVu Sans, and writes `font-family="DejaVu Sans"`
 *   with no fallback, so a viewer without that font picks its default (often a serif) and the text
 *   no longer matches its box. The family becomes a list: DejaVu Sans, then Bitstream Vera Sans
 *   (DejaVu's parent, the same widths), Verdana (within a few percent of DejaVu's widths; on every
 *   Windows and macOS machine), then Arial and the viewer's sans-serif (Liberation Sans, Helvetica…),
 *   narrower, so the text stays inside its box (labels are centred, or start at a fixed point). The
 *   list costs about 5 kB on a 34 kB picture (0.3 kB gzipped). resvg, which draws our PNGs, takes
 *   the first family it has, DejaVu Sans, so PNGs do not change.
 * - **Title and description.** `toDot` names the graph after what it shows (Graphviz writes that
 *   name as the graph's `<title>`) and puts a longer description in the graph's `comment` behind a
 *   marker. Here they become the SVG's first children, `<title>` and `<desc>`, with `role="img"`, so
 *   screen readers and browsers announce the picture by what it shows.
 *
 * Graphviz has already XML-escaped the title and the comment (heap text inside them included; it
 * writes `-` in comments and ids as `&#45;`), so they are moved as they are, never unescaped.
 */

/** The family list written in place of Graphviz's bare `DejaVu Sans`. */
export const SVG_FONT_FAMILY = "DejaVu Sans,Bitstream Vera Sans,Verdana,Arial,sans-serif";

/** Starts the graph `comment` that carries the picture's description (written by `toDot`). */
export const DESCRIPTION_MARKER = "backrefs description: ";

/**
 * Apply the font fallback and the title/description to an SVG written by Graphviz. An SVG that does
 * not carry our description marker still gets the font list and `role="img"` (with Graphviz's graph
 * title as its title).
 *
 * @example
 * const svg = finishSvg(graphvizSvg);
 */
export function finishSvg(svg: string): string {
  let out = svg.replace(/ font-family="DejaVu Sans"/g, ` font-family="${SVG_FONT_FAMILY}"`);

  let description: string | undefined;
  const marker = `<!-- ${DESCRIPTION_MARKER}`;
  const at = out.indexOf(marker);
  if (at !== -1) {
    const end = out.indexOf(" -->", at);
    if (end !== -1) {
      description = out.slice(at + marker.length, end);
      out = out.slice(0, at) + out.slice(end + " -->".length).replace(/^\n/, "");
    }
  }

  const open = /<svg\b[^>]*>/.exec(out);
  if (!open) return out;
  const graph = /<g id="([^"]*)" class="graph"[^>]*>\s*<title>([^<]*)<\/title>/.exec(out);
  const id = graph?.[1] || "graph0";
  const title = graph?.[2];
  const children: string[] = [];
  let attrs = ' role="img"';
  if (title !== undefined) {
    children.push(`<title id="${id}_title">${title}</title>`);
    attrs += ` aria-labelledby="${id}_title"`;
  }
  if (description !== undefined) {
    children.push(`<desc id="${id}_desc">${description}</desc>`);
    attrs += ` aria-describedby="${id}_desc"`;
  }
  const tag = open[0].slice(0, -1) + attrs + ">";
  const end = open.index + open[0].length;
  return out.slice(0, open.index) + tag + children.map((c) => "\n" + c).join("") + out.slice(end);
}
