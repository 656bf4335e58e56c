/**
 * What a retainer picture shows, in words: the SVG's `<title>` and `<desc>` (read by screen
 * readers, shown by browsers on hover, and kept when the picture is pasted into someone's docs).
 * Class names come from the heap: they are sanitised and cut short here, and escaped by whoever
 * writes them out.
 */
import type { Subgraph, SubgraphNode } from "../query/types.js";
import { formatCount, sanitizeText, truncateText } from "./format.js";

export interface PictureText {
  /** One line: what the picture is about, e.g. `What retains 4 LeakyRequest objects`. */
  title: string;
  /** A few sentences: the targets (count and ids), how many matched, the roots they are held from, what is drawn. */
  description: string;
}

const NAME_MAX = 60;
const LISTED_MAX = 5;

/**
 * The title and description of a retainer picture.
 *
 * @example
 * describeSubgraph(sub).title // "What retains 4 LeakyRequest objects"
 */
export function describeSubgraph(sub: Subgraph): PictureText {
  const byId = new Map<number, SubgraphNode>();
  for (const node of sub.nodes) if (!byId.has(node.id)) byId.set(node.id, node);
  const targets = [...new Set(sub.targets)].map((id) => byId.get(id)).filter((n): n is SubgraphNode => n !== undefined);
  const name = (n: SubgraphNode) => truncateText(sanitizeText(n.className === "" ? `(${n.type || "object"})` : n.className), NAME_MAX);
  // A node of a grouped picture stands for `count` objects, and its id is not a heap id.
  const objectCount = (n: SubgraphNode) => (n.isGroup ? (n.count ?? 1) : 1);
  const heapIds = (n: SubgraphNode) => (n.isGroup ? (n.objectIds ?? []) : [n.id]);
  const ref = (n: SubgraphNode) =>
    !n.isGroup ? `@${n.id}` : objectCount(n) === 1 && n.objectIds?.length ? `@${n.objectIds[0]}` : `(${objects(objectCount(n))})`;
  const objects = (n: number) => `${formatCount(n)} ${n === 1 ? "object" : "objects"}`;

  // Targets by class, largest class first (then by name, for a stable order).
  const classes = new Map<string, SubgraphNode[]>();
  for (const t of targets) {
    const list = classes.get(name(t)) ?? [];
    list.push(t);
    classes.set(name(t), list);
  }
  const total = (list: SubgraphNode[]) => list.reduce((sum, n) => sum + objectCount(n), 0);
  const groups = [...classes].sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const targetCount = total(targets);

  let title: string;
  if (targets.length === 0) title = "What retains the chosen objects (none drawn)";
  else if (targetCount === 1) title = `What retains ${name(targets[0]!)} ${ref(targets[0]!)}`;
  else if (groups.length === 1) title = `What retains ${formatCount(targetCount)} ${groups[0]![0]} objects`;
  else {
    const listed = groups.slice(0, 3).map(([cls, list]) => `${formatCount(total(list))} ${cls}`);
    if (groups.length > 3) listed.push("…");
    title = `What retains ${objects(targetCount)} (${listed.join(", ")})`;
  }

  const sentences: string[] = [];
  const ids = (list: SubgraphNode[]) => {
    const all = list.flatMap(heapIds);
    const count = total(list);
    const shown = all.slice(0, LISTED_MAX);
    return (
      shown.map((id) => `@${id}`).join(", ") +
      (count > shown.length ? `${shown.length > 0 ? ", and " : ""}${formatCount(count - shown.length)} more` : "")
    );
  };
  const omitted = (sub.limitsReached?.targetsOmitted ?? 0) + (sub.limitsReached?.targetsDroppedToFit ?? 0);
  if (targets.length > 0) {
    const parts = groups.map(([cls, list]) => `${cls} ${ids(list)}`);
    let s = `Retainer graph of ${objects(targetCount)}: ${parts.join("; ")}`;
    if (sub.grouped)
      s += `, grouped by retaining path (${formatCount(sub.grouped.patterns)} ${sub.grouped.patterns === 1 ? "pattern" : "patterns"}, ${formatCount(sub.grouped.patternsDrawn)} drawn)`;
    if (omitted > 0) s += ` (${formatCount(targetCount + omitted)} matched; ${formatCount(omitted)} not drawn)`;
    sentences.push(s + ".");
  }

  // Roots: those on a shortest retaining path when there are any, else every root drawn.
  const roots = [...byId.values()].filter((n) => n.isRoot);
  const onPath = roots.filter((n) => n.onPath);
  const shownRoots = (onPath.length > 0 ? onPath : roots).sort((a, b) => a.id - b.id);
  if (shownRoots.length > 0) {
    const list = shownRoots.slice(0, LISTED_MAX).map((n) => `${name(n)} ${ref(n)}`);
    if (shownRoots.length > LISTED_MAX) list.push(`${formatCount(shownRoots.length - LISTED_MAX)} more`);
    sentences.push(`Held from the ${shownRoots.length === 1 ? "root" : "roots"} ${list.join(", ")}.`);
  } else {
    sentences.push("No root is drawn: the retaining paths were cut before reaching one.");
  }
  const noPath = sub.limitsReached?.noPath ?? 0;
  if (noPath > 0)
    sentences.push(`${formatCount(noPath)} of the targets ${noPath === 1 ? "has" : "have"} no strong retaining path from a GC root.`);

  const edges = new Set(sub.edges.map((e) => `${e.from} ${e.to} ${e.type} ${e.name}`)).size;
  sentences.push(
    `${formatCount(byId.size)} ${byId.size === 1 ? "box" : "boxes"} and ${formatCount(edges)} ${edges === 1 ? "reference" : "references"} drawn; ` +
      "arrows point from the retainer to the object it retains, thick arrows are shortest retaining paths from a root.",
  );
  return { title, description: sentences.join(" ") };
}
