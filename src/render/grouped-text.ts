/**
 * Grouped retaining paths as text: one line per pattern (one cause), the most objects first,
 * read from the targets up to the root:
 *
 *     120 × OrderService ← ->this ← system / Context (120) ← {context} ← Function onTick (120) ← … ← global
 */
import type { GroupedPathsReport, GroupStep } from "../query/group.js";
import { isRuntimeScript } from "../query/generic-classes.js";
import { edgeLabel, formatBytes, formatCount, moduleText, sanitizeText, scriptText, truncateText } from "./format.js";

const MAX_CLASS = 40;

/** The name a grouped edge has when the references it stands for had more than two names (see `SubgraphEdge`). */
export const MANY_NAMES = "*";

/** An edge of a grouped picture in DevTools' notation; two merged names read `._idleNext | ._idlePrev`, more `.*`. */
export function groupEdgeLabel(e: { type: string; name: string | number; otherName?: string | number }): string {
  // Properties of many names (a dictionary's keys): `.*`, not the quoted `["*"]` of a property so named.
  if (e.name === MANY_NAMES && e.otherName === undefined && (e.type === "property" || e.type === "shortcut")) return ".*";
  const first = edgeLabel(e.type, e.name);
  return e.otherName === undefined ? first : `${first} | ${edgeLabel(e.type, e.otherName)}`;
}

const MAX_EDGE = 40;

/** One group as text: class, a name when all share it, the chain it folds, how many objects. */
export function groupStepText(s: GroupStep): string {
  let text = truncateText(s.className, MAX_CLASS);
  if (s.module !== undefined) return sanitizeText(`${text} ${moduleText(s.module)}`);
  if (s.name !== "" && s.name !== s.className && (s.type === "closure" || s.type === "object" || s.type === "native")) {
    text += ` ${truncateText(s.name, MAX_CLASS)}${s.otherName !== undefined ? ` | ${truncateText(s.otherName, MAX_CLASS)}` : ""}`;
  }
  // A function of the program or of a package: where its code is (Node's own go without).
  if (s.script !== undefined && !isRuntimeScript(s.script)) text += ` (${scriptText(s.script)})`;
  if (s.chainLength !== undefined && s.chainEdge) {
    text += ` \u00d7${formatCount(s.chainLength)} via ${truncateText(groupEdgeLabel(s.chainEdge), MAX_EDGE)}`;
    if (s.count !== s.chainLength) text += ` (${formatCount(s.count)} objects)`;
  }
  return sanitizeText(text);
}

function edgeText(s: GroupStep): string {
  if (!s.edge) return "";
  let text = truncateText(groupEdgeLabel(s.edge), MAX_EDGE);
  if (s.cutCount) text += ` \u2702 cut here${s.cutOf ? ` (${formatCount(s.cutCount)} of ${formatCount(s.cutOf)})` : ""}`;
  return sanitizeText(text);
}

/**
 * @example
 * formatGroupedText(groups.report(20))
 * // 201 × OrderService (retained 1.2 MB) — 3 retaining patterns, the most objects first
 * //
 * //   120 × OrderService ← ->this ← system / Context (120) ← … ← global
 */
export function formatGroupedText(r: GroupedPathsReport): string {
  const out: string[] = [];
  const classes = r.targetGroups.map((g) => {
    const retained = g.retainedSize === undefined ? "" : ` (retained ${formatBytes(g.retainedSize)})`;
    return `${formatCount(g.count)} \u00d7 ${sanitizeText(truncateText(g.className, MAX_CLASS))}${retained}`;
  });
  const n = r.patternCount;
  out.push(
    `${classes.join(", ") || `${formatCount(r.targets)} objects`} — ${formatCount(n)} retaining pattern${n === 1 ? "" : "s"}, the most objects first`,
  );
  out.push("");
  for (const p of r.patterns) {
    const [target, ...up] = p.steps;
    const retained = p.retainedSize === undefined ? "" : ` (retained ${formatBytes(p.retainedSize)})`;
    let line = `  ${formatCount(p.targets)} \u00d7 ${groupStepText(target!)}${retained}`;
    for (const s of up) line += ` \u2190 ${edgeText(s)} \u2190 ${groupStepText(s)}`;
    out.push(line);
  }
  if (r.patternsOmitted > 0) {
    out.push(
      `  … ${formatCount(r.patternsOmitted)} more pattern${r.patternsOmitted === 1 ? "" : "s"} (${formatCount(r.targetsOmitted)} objects)`,
    );
  }
  if (r.noPath > 0)
    out.push(`  ${formatCount(r.noPath)} × no strong path from a root: only weak references hold them (they will be collected)`);
  if (r.rootTargets > 0) out.push(`  ${formatCount(r.rootTargets)} × roots themselves`);
  return out.join("\n") + "\n";
}
