/**
 * Fewer boxes for a picture that cannot be laid out within a screen: objects are taken out of an
 * already built retainer subgraph, breadth first, and each one taken out is counted in the "N more"
 * box of the object it held, so the picture still says what it leaves out.
 *
 * What is never taken out: the targets, everything on a shortest retaining path (which includes the
 * root each path starts from). What goes first: objects of the level with the most boxes (what makes
 * a picture wide), where taking them out does not add "more" boxes; an object goes together with
 * the retainers that would then hold nothing drawn, so every object left still leads to a target.
 *
 * Pure data in, data out: the result is a new {@link Subgraph}; `sub` is not changed. Same input,
 * same output.
 */
import type { LimitsReached, PlaceholderGroup, Subgraph, SubgraphEdge, SubgraphNode, SubgraphPlaceholder } from "./types.js";
import { MAX_BREAKDOWN_GROUPS } from "./backrefs.js";

/** Boxes a picture draws: objects and "N more" boxes. */
export function boxCount(sub: Subgraph): number {
  return sub.nodes.length + sub.placeholders.length;
}

/**
 * `sub` with objects taken out until it draws at most `maxBoxes` boxes (or nothing more may be
 * taken out), or null when nothing may be taken out at all. Grouped pictures are returned as null:
 * every box of theirs is on a retaining pattern.
 *
 * @example
 * const smaller = shrinkSubgraph(sub, 40);
 * if (smaller) smaller.limitsReached.droppedToFit; // objects taken out
 */
export function shrinkSubgraph(sub: Subgraph, maxBoxes: number): Subgraph | null {
  if (sub.grouped) return null;
  const byId = new Map<number, SubgraphNode>(sub.nodes.map((n) => [n.id, n]));
  const kept = new Set<number>(sub.nodes.map((n) => n.id));
  const keep = (n: SubgraphNode) => n.isTarget || n.onPath;
  let edges: SubgraphEdge[] = sub.edges.slice();
  // The retainer ("N more") placeholder of each object; "path" gaps are separate and stay.
  const more = new Map<number, SubgraphPlaceholder>();
  const others: SubgraphPlaceholder[] = [];
  for (const p of sub.placeholders) {
    if (p.reason === "path" || p.reason === "patterns" || more.has(p.of)) others.push(p);
    else more.set(p.of, { ...p, breakdown: p.breakdown?.map((g) => ({ ...g })) });
  }
  const limits = { ...sub.limitsReached };
  let dropped = 0;
  const boxes = () => kept.size + more.size + others.length;

  /** Takes out the objects of `gone` at once, counting them in the boxes of what they held. */
  const drop = (gone: Set<number>): void => {
    for (const e of edges) {
      if (!gone.has(e.from) || gone.has(e.to)) continue;
      let p = more.get(e.to);
      if (!p) {
        p = { of: e.to, count: 0, reason: "max-nodes", breakdown: [] };
        more.set(e.to, p);
      } else if (p.reason !== "max-nodes") {
        // The box now also stands for objects cut for room, not only for its first reason.
        if (p.reason === "depth") limits.depth--;
        else if (p.reason === "too-many") limits.tooMany--;
        limits.maxNodes += p.count;
        p.reason = "max-nodes";
      }
      p.count++;
      limits.maxNodes++;
      if (p.breakdown) p.breakdown = addToBreakdown(p.breakdown, byId.get(e.from)!, e);
    }
    edges = edges.filter((e) => !gone.has(e.from) && !gone.has(e.to));
    for (const id of gone) {
      kept.delete(id);
      const p = more.get(id);
      if (p) {
        more.delete(id);
        uncount(limits, p);
      }
      dropped++;
    }
  };

  while (boxes() > maxBoxes) {
    const next = cheapestCut(
      [...kept].map((id) => byId.get(id)!),
      edges,
      more,
      keep,
    );
    if (!next) break;
    drop(next);
  }
  if (dropped === 0) return null;
  const placeholders = [...others, ...more.values()].filter((p) => kept.has(p.of) && p.count > 0);
  limits.droppedToFit = (sub.limitsReached.droppedToFit ?? 0) + dropped;
  return {
    ...sub,
    nodes: sub.nodes.filter((n) => kept.has(n.id)),
    edges,
    placeholders,
    limitsReached: limits,
  };
}

/**
 * `sub` drawing only its first `count` targets (the order of `sub.targets`: the ones chosen first),
 * with their shortest retaining paths, for a picture whose paths alone are too wide for a screen; or
 * null when it already draws no more than `count` (or is grouped). A target left out is counted in
 * `limitsReached.targetsDroppedToFit`; the objects drawn only for the targets left out go with them
 * (none of them holds anything still drawn, so no "more" box counts them). A target that lies on a
 * kept target's shortest path stays a target. Objects still drawn keep every retainer they had,
 * drawn or counted.
 *
 * @example
 * const fewer = keepFirstTargets(sub, 4);
 * if (fewer) fewer.limitsReached.targetsDroppedToFit; // targets no longer drawn
 */
export function keepFirstTargets(sub: Subgraph, count: number): Subgraph | null {
  if (sub.grouped || count < 1 || sub.targets.length <= count) return null;
  const byId = new Map<number, SubgraphNode>(sub.nodes.map((n) => [n.id, n]));
  // Ways up: every edge, and each path gap from the object below it to the one above.
  const up = new Map<number, number[]>();
  const pathUp = new Map<number, number[]>();
  const link = (m: Map<number, number[]>, to: number, from: number) => (m.get(to) ?? m.set(to, []).get(to)!).push(from);
  for (const e of sub.edges) {
    link(up, e.to, e.from);
    if (e.onPath) link(pathUp, e.to, e.from);
  }
  for (const p of sub.placeholders) {
    if (p.reason === "path" && p.after !== undefined) {
      link(up, p.of, p.after);
      link(pathUp, p.of, p.after);
    }
  }
  const climb = (from: number[], ways: Map<number, number[]>): Set<number> => {
    const seen = new Set<number>(from.filter((id) => byId.has(id)));
    const stack = [...seen];
    while (stack.length > 0) {
      for (const w of ways.get(stack.pop()!) ?? []) {
        if (!seen.has(w) && byId.has(w)) {
          seen.add(w);
          stack.push(w);
        }
      }
    }
    return seen;
  };
  const first = sub.targets.slice(0, count);
  // The kept targets' shortest paths (up their thick arrows), and what leads to a kept target.
  const paths = climb(first, pathUp);
  const targets = sub.targets.filter((t, i) => i < count || paths.has(t));
  const leads = climb(targets, up);
  const limits = { ...sub.limitsReached };
  limits.targetsDroppedToFit = (sub.limitsReached.targetsDroppedToFit ?? 0) + sub.targets.length - targets.length;
  const kept = new Set(targets);
  for (const t of sub.targets) {
    const n = byId.get(t);
    // A target without a strong path that is no longer drawn is no longer a target without one.
    if (n && !kept.has(t) && !n.onPath) limits.noPath--;
  }
  const placeholders = sub.placeholders.filter((p) => {
    if (leads.has(p.of) && (p.reason !== "path" || p.after === undefined || leads.has(p.after))) return true;
    uncount(limits, p);
    return false;
  });
  return {
    ...sub,
    targets,
    nodes: sub.nodes
      .filter((n) => leads.has(n.id))
      .map((n) => ({ ...n, isTarget: n.isTarget && kept.has(n.id), onPath: n.onPath && paths.has(n.id) })),
    edges: sub.edges
      .filter((e) => leads.has(e.from) && leads.has(e.to))
      .map((e) => (e.onPath && !(paths.has(e.from) && paths.has(e.to)) ? { ...e, onPath: false } : e)),
    placeholders,
    limitsReached: limits,
  };
}

/** Takes a placeholder that is no longer drawn out of the limits it was counted in. */
function uncount(limits: LimitsReached, p: SubgraphPlaceholder): void {
  if (p.reason === "depth") limits.depth--;
  else if (p.reason === "too-many") limits.tooMany--;
  else if (p.reason === "max-nodes") limits.maxNodes -= p.count;
  else if (p.reason === "path") limits.pathHops -= p.count;
}

/** Unreached objects count as farthest from a root. */
function distanceKey(n: SubgraphNode): number {
  return n.distance ?? 0x7fffffff;
}

/** Boxes per level: the objects at each depth, and the "N more" boxes above the objects one lower. */
function levelWidths(nodes: SubgraphNode[], more: Map<number, SubgraphPlaceholder>): Map<number, number> {
  const width = new Map<number, number>();
  const depthOf = new Map<number, number>();
  for (const n of nodes) {
    depthOf.set(n.id, n.depth);
    width.set(n.depth, (width.get(n.depth) ?? 0) + 1);
  }
  for (const p of more.values()) {
    const d = depthOf.get(p.of);
    if (d !== undefined) width.set(d + 1, (width.get(d + 1) ?? 0) + 1);
  }
  return width;
}

/**
 * The next objects to take out, or null when every object left is kept for good. Each candidate is
 * one object not kept for good, together with the objects that would retain nothing drawn once it
 * is gone (they go with it). Preferred, in order:
 * 1. a cut that does not add boxes (the "more" boxes it needs are not more than the boxes it frees);
 * 2. from the level with the most boxes (objects at that depth, and "more" boxes over the level
 *    below), which is what makes a picture wide;
 * 3. the cut that frees the most boxes;
 * 4. farthest from the targets, farthest from a root, the highest id.
 */
function cheapestCut(
  nodes: SubgraphNode[],
  edges: SubgraphEdge[],
  more: Map<number, SubgraphPlaceholder>,
  keep: (n: SubgraphNode) => boolean,
): Set<number> | null {
  const down = new Map<number, number[]>();
  const up = new Map<number, number[]>();
  for (const e of edges) {
    (down.get(e.from) ?? down.set(e.from, []).get(e.from)!).push(e.to);
    (up.get(e.to) ?? up.set(e.to, []).get(e.to)!).push(e.from);
  }
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const width = levelWidths(nodes, more);
  let best: { gone: Set<number>; grows: boolean; width: number; saves: number; node: SubgraphNode } | null = null;
  for (const x of nodes) {
    if (keep(x)) continue;
    // x and, transitively, every retainer left holding nothing drawn.
    const gone = new Set<number>([x.id]);
    const stack = [x.id];
    while (stack.length > 0) {
      const u = stack.pop()!;
      for (const w of up.get(u) ?? []) {
        if (gone.has(w) || keep(byId.get(w)!)) continue;
        if ((down.get(w) ?? []).every((t) => gone.has(t))) {
          gone.add(w);
          stack.push(w);
        }
      }
    }
    let freed = gone.size;
    for (const id of gone) if (more.has(id)) freed++;
    const needed = new Set<number>();
    for (const id of gone) for (const t of down.get(id) ?? []) if (!gone.has(t) && !more.has(t)) needed.add(t);
    const saves = freed - needed.size;
    const cand = { gone, grows: saves < 0, width: width.get(x.depth) ?? 0, saves, node: x };
    if (!best || better(cand, best)) best = cand;
  }
  return best ? best.gone : null;
}

function better(
  a: { grows: boolean; width: number; saves: number; node: SubgraphNode },
  b: { grows: boolean; width: number; saves: number; node: SubgraphNode },
): boolean {
  if (a.grows !== b.grows) return !a.grows;
  if (a.width !== b.width) return a.width > b.width;
  if (a.saves !== b.saves) return a.saves > b.saves;
  if (a.node.depth !== b.node.depth) return a.node.depth > b.node.depth;
  if (distanceKey(a.node) !== distanceKey(b.node)) return distanceKey(a.node) > distanceKey(b.node);
  return a.node.id > b.node.id;
}

/** An edge name that is an index (elements, numbered slots) groups with every other index. */
function isIndexName(name: string | number): boolean {
  return typeof name === "number" || /^\d+$/.test(name);
}

function groupKey(g: PlaceholderGroup): string {
  const name = g.edgeName;
  return name === undefined ? `${g.className}\u0000${g.edgeType}` : `${g.className}\u0000${g.edgeType}\u0000${typeof name}\u0000${name}`;
}

/**
 * The breakdown with one more object of `from`'s class, held through `edge`: its group counted
 * up, or a new group; largest first, past {@link MAX_BREAKDOWN_GROUPS} the smallest gathered into
 * the rest, as the walk itself lists them.
 */
function addToBreakdown(breakdown: PlaceholderGroup[], from: SubgraphNode, edge: SubgraphEdge): PlaceholderGroup[] {
  const added: PlaceholderGroup = { count: 1, className: from.className, edgeType: edge.type };
  if (!isIndexName(edge.name)) added.edgeName = edge.name;
  const key = groupKey(added);
  let rest = 0;
  const groups: PlaceholderGroup[] = [];
  let found = false;
  for (const g of breakdown) {
    if (g.rest) rest += g.count;
    else if (!found && groupKey(g) === key) {
      groups.push({ ...g, count: g.count + 1 });
      found = true;
    } else groups.push(g);
  }
  if (!found) {
    // With a "rest" group, the new object may belong to a class and edge gathered there: it
    // joins the rest rather than claiming a group that would undercount.
    if (rest > 0) rest++;
    else groups.push(added);
  }
  groups.sort((a, b) => b.count - a.count || (groupKey(a) < groupKey(b) ? -1 : groupKey(a) > groupKey(b) ? 1 : 0));
  if (groups.length + (rest > 0 ? 1 : 0) <= MAX_BREAKDOWN_GROUPS) return rest > 0 ? [...groups, { count: rest, rest: true }] : groups;
  const listed = groups.slice(0, MAX_BREAKDOWN_GROUPS - 1);
  const gathered = groups.slice(MAX_BREAKDOWN_GROUPS - 1).reduce((s, g) => s + g.count, rest);
  return [...listed, { count: gathered, rest: true }];
}
