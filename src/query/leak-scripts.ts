/**
 * Where the constructors of leaked classes are defined (kept apart from ./growth.ts, which the
 * CLI loads at start-up for its flag choices: this reads the graph).
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { isGeneric } from "./generic-classes.js";
import { keyOf, type LeakGroup } from "./growth.js";
import { constructorScript } from "./modules.js";

/**
 * Sets each group's {@link LeakGroup.script} (not generic classes': their constructors are the
 * engine's), from one of its objects among `fresh` (node ordinals, those marked in `exclude` left
 * out): a pass over `fresh`, and a few edges read per group.
 */
export function addLeakScripts(graph: HeapGraph, groups: LeakGroup[], fresh: ArrayLike<number>, exclude?: Uint8Array | null): void {
  const byKey = new Map<string, LeakGroup>();
  for (const g of groups) {
    if (isGeneric(g.className)) continue;
    const l = g.location;
    byKey.set(l ? `${l.scriptId},${l.line},${l.column},${g.className}` : `,${g.className}`, g);
  }
  if (byKey.size === 0) return;
  const { nodeClass } = graph.classes();
  const seen = new Set<number>();
  for (let i = 0; i < fresh.length && byKey.size > 0; i++) {
    const n = fresh[i]!;
    const c = nodeClass[n]!;
    if (seen.has(c) || exclude?.[n] === 1) continue;
    seen.add(c);
    const { key } = keyOf(graph, c, false);
    const g = byKey.get(key);
    if (!g) continue;
    byKey.delete(key);
    const script = constructorScript(graph, n);
    if (script !== undefined) g.script = script;
  }
}
