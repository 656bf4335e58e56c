/**
 * Retaining paths as readable text for a terminal: from a root down to each target, one hop per
 * line, with the edge that holds the next object.
 */
import type { PathHop, PathObject, RetainingPath, WhyAlive } from "../query/paths.js";
import { edgeLabel, formatBytes, formatCount, sanitizeText, scriptText, truncateText } from "./format.js";

/** `Class "preview" @id 64 B (retained 2.1 kB)` — one object on one line, made printable. */
export function objectText(o: PathObject): string {
  const cls = truncateText(o.className, 60);
  let preview = "";
  if (o.type === "string" || o.type === "concatenated string" || o.type === "sliced string") {
    preview = ` ${JSON.stringify(truncateText(o.displayName ?? o.name, 40))}`;
  } else if (o.displayName !== undefined) {
    // DevTools' own name for the object: a plain object's properties.
    if (o.displayName !== o.className) preview = ` ${truncateText(o.displayName, 60)}`;
  } else if (o.name !== "" && o.name !== o.className) {
    preview = ` ${truncateText(o.name, 40)}`;
  }
  const label = o.type === "synthetic" && o.name !== "" ? o.name : o.type === "synthetic" ? "(root)" : cls + preview;
  const sizes =
    o.retainedSize === undefined ? formatBytes(o.selfSize) : `${formatBytes(o.selfSize)} (retained ${formatBytes(o.retainedSize)})`;
  // A function: where its code is.
  const where = o.script === undefined ? "" : ` in ${scriptText(o.script, 80)}`;
  return sanitizeText(`${label} @${o.id} ${sizes}${where}`);
}

/** Paths longer than this print their first and last PATH_END hops only. */
const MAX_PATH_LINES = 40;
const PATH_END = 15;
/** Dominator chains longer than this print their first lines and the last. */
const MAX_DOMINATOR_LINES = 12;
/** The staircase stops stepping right here, so deep paths stay on screen. */
const MAX_INDENT = 24;

/** Runs of this many same-class objects linked by one edge name, or more, print as one line. */
const MIN_FOLDED_RUN = 3;

/**
 * A path as an indented staircase, root first, ending at `target`. A run of objects of one class
 * that hold each other through the same edge (a linked list) prints as one line:
 * `Timeout ×37 via ._idleNext @101 … @173`.
 */
function pathLines(hops: PathHop[], target: PathObject, indent: string): string[] {
  const out: string[] = [];
  out.push(`${indent}${hops[0] ? objectText(hops[0].from) : objectText(target)}`);
  const label = (h: PathHop) => sanitizeText(truncateText(edgeLabel(h.edgeType, h.edgeName), 60));
  const steps: string[] = [];
  for (let i = 0; i < hops.length; i++) {
    const h = hops[i]!;
    // The run of objects that starts with the one this hop leads to.
    let j = i + 1;
    if (j < hops.length) {
      const first = hops[j]!;
      while (
        j + 1 < hops.length &&
        hops[j + 1]!.from.className === first.from.className &&
        hops[j]!.edgeType === first.edgeType &&
        hops[j]!.edgeName === first.edgeName
      )
        j++;
    }
    const runLength = j - i;
    if (runLength >= MIN_FOLDED_RUN) {
      const first = hops[i + 1]!;
      const last = hops[j]!.from;
      const text = `${truncateText(first.from.className, 60)} \u00d7${formatCount(runLength)} via ${label(first)} @${first.from.id} … @${last.id}`;
      steps.push(`└─ ${label(h)} → ${sanitizeText(text)}`);
      i = j - 1; // the next line is the edge out of the run's last object
      continue;
    }
    const next = hops[i + 1]?.from ?? target;
    steps.push(`└─ ${label(h)} → ${objectText(next)}`);
  }
  const long = steps.length > MAX_PATH_LINES;
  steps.forEach((line, i) => {
    if (long && i >= PATH_END && i < steps.length - PATH_END) {
      if (i === PATH_END) out.push(`${indent}${"  ".repeat(Math.min(i, MAX_INDENT))}… ${steps.length - 2 * PATH_END} more hops …`);
      return;
    }
    out.push(`${indent}${"  ".repeat(Math.min(i, MAX_INDENT))}${line}`);
  });
  return out;
}

/**
 * @example
 * formatPathsText(paths)
 * // LeakyRequest @40123 64 B — 2 direct retainers
 * //   global @6047 8.4 kB
 * //   └─ .server → Object @6153 40 B ...
 */
export function formatPathsText(paths: RetainingPath[]): string {
  const out: string[] = [];
  for (const p of paths) {
    const n = p.directRetainers;
    out.push(`${objectText(p.target)} — ${n} direct retainer${n === 1 ? "" : "s"}`);
    if (!p.hops) out.push("  no strong path from a root: only weak references hold it (it will be collected)");
    else out.push(...pathLines(p.hops, p.target, "  "));
    out.push("");
  }
  return out.join("\n") + (out.length ? "\n" : "");
}

/**
 * `backrefs why` as text: the object with its numbers, its retaining paths, its dominator chain.
 */
export function formatWhyText(entries: WhyAlive[]): string {
  const out: string[] = [];
  for (const w of entries) {
    const n = w.directRetainers;
    const dist = w.distance === undefined ? "unreachable" : `distance ${w.distance}`;
    out.push(`${objectText(w)} — ${dist}, ${n} direct retainer${n === 1 ? "" : "s"}`);
    if (w.paths.length === 0) out.push("  no strong path from a root: only weak references hold it (it will be collected)");
    w.paths.forEach((hops, i) => {
      // "of N" only when these are all the paths there are.
      out.push(w.morePaths ? `  path ${i + 1}:` : `  path ${i + 1} of ${w.paths.length}:`);
      out.push(...pathLines(hops, w, "    "));
    });
    if (w.morePaths) {
      const next = w.paths.length + 1;
      if (w.heldInCycle) {
        const n = w.heldInCycle;
        out.push(
          `  more paths may exist: ${formatCount(n)} other ${n === 1 ? "object holds" : "objects hold"} it directly, reached through it on the shortest way (a cycle, e.g. a list's other end); a longer path to ${n === 1 ? "it" : "them"} may keep it alive too`,
        );
      } else out.push(`  more paths: another object holds it too (--paths ${next} shows ${next === 2 ? "both" : `${next}`})`);
    }
    if (w.dominators) {
      const chain = w.dominators.map((d) => objectText(d));
      out.push("  dominated by (if any of these is freed, so is it):");
      const shown = chain.length > MAX_DOMINATOR_LINES ? chain.slice(0, MAX_DOMINATOR_LINES - 2) : chain;
      shown.forEach((c) => out.push(`    ${c}`));
      if (shown.length < chain.length || w.dominatorsTruncated) {
        out.push(`    … ${w.dominatorsTruncated ? "more" : formatCount(chain.length - shown.length - 1)} dominators …`);
        out.push(`    ${chain[chain.length - 1]}`);
      }
    }
    out.push("");
  }
  return out.join("\n") + (out.length ? "\n" : "");
}
