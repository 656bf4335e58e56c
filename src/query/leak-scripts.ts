/**
 * Where the constructors of leaked classes are defined (kept apart from ./growth.ts, which the
 * CLI loads at start-up for its flag choices: this reads the graph).
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { isGeneric } from "./generic-classes.js";
import { classKey, keyOf, type LeakGroup } from "./growth.js";
import { ConstructorScripts } from "./modules.js";

/**
 * Sets each group's {@link LeakGroup.script} (not generic classes': their constructors are the
 * engine's), from its objects among `fresh` (node ordinals, those marked in `exclude` left out),
 * through {@link ConstructorScripts}: a group whose objects come from constructors of several
 * scripts gets {@link LeakGroup.scripts} instead. A pass over `fresh`, and a few edges read per
 * object and per hidden class.
 */
export function addLeakScripts(graph: HeapGraph, groups: LeakGroup[], fresh: ArrayLike<number>, exclude?: Uint8Array | null): void {
  const byKey = new Map<string, LeakGroup>();
  for (const g of groups) {
    if (isGeneric(g.className)) continue;
    byKey.set(classKey(g.className, g.location), g);
  }
  if (byKey.size === 0) return;
  const { nodeClass } = graph.classes();
  // Per class id, its group (null: none listed).
  const groupOf = new Map<number, LeakGroup | null>();
  const scripts = new ConstructorScripts(graph);
  for (let i = 0; i < fresh.length; i++) {
    const n = fresh[i]!;
    if (exclude?.[n] === 1) continue;
    const c = nodeClass[n]!;
    let g = groupOf.get(c);
    if (g === undefined) groupOf.set(c, (g = byKey.get(keyOf(graph, c, false).key) ?? null));
    if (g === null) continue;
    scripts.add(g, n);
  }
  for (const g of byKey.values()) Object.assign(g, scripts.of(g));
}
