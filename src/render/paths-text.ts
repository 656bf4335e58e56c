/**
 * Retaining paths as readable text for a terminal: from a root down to each target, one hop per
 * line, with the edge that holds the next object.
 */
import type { PathObject, RetainingPath } from "../query/paths.js";
import { edgeLabel, formatBytes, sanitizeText, truncateText } from "./format.js";

function objectText(o: PathObject): string {
  const cls = sanitizeText(truncateText(o.className, 60));
  let preview = "";
  if (o.type === "string" || o.type === "concatenated string" || o.type === "sliced string") {
    preview = ` ${JSON.stringify(truncateText(o.name, 40))}`;
  } else if (o.name !== "" && o.name !== o.className) {
    preview = ` ${truncateText(o.name, 40)}`;
  }
  const root = cls === "(synthetic)" && o.name === "" ? "(root)" : cls;
  return `${root}${sanitizeText(preview)} @${o.id} ${formatBytes(o.selfSize)}`;
}

/**
 * @example
 * formatPathsText(paths)
 * // LeakyRequest @40123 (64 B): 3 direct retainers; shortest path from a root:
 * //   (Global handles) @29
 * //   └─{internal}→ (system) @5001 ...
 */
export function formatPathsText(paths: RetainingPath[]): string {
  const out: string[] = [];
  for (const p of paths) {
    const n = p.directRetainers;
    out.push(`${objectText(p.target)} — ${n} direct retainer${n === 1 ? "" : "s"}`);
    if (!p.hops) {
      out.push("  no strong path from a root: only weak references hold it (it will be collected)");
      out.push("");
      continue;
    }
    const first = p.hops[0];
    out.push(`  ${first ? objectText(first.from) : objectText(p.target)}`);
    p.hops.forEach((h, i) => {
      const next = p.hops![i + 1]?.from ?? p.target;
      const label = sanitizeText(truncateText(edgeLabel(h.edgeType, h.edgeName), 60));
      out.push(`  ${"  ".repeat(i)}└─ ${label} → ${objectText(next)}`);
    });
    out.push("");
  }
  return out.join("\n") + (out.length ? "\n" : "");
}
