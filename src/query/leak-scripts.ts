/**
 * Where the constructors of leaked classes are defined (kept apart from ./growth.ts, which the
 * CLI loads at start-up for its flag choices: this reads the graph).
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { isGeneric } from "./generic-classes.js";
import { classKey, keyOf, type LeakGroup } from "./growth.js";
import { mapScript, objectMap } from "./modules.js";

/**
 * Sets each group's {@link LeakGroup.script} (not generic classes': their constructors are the
 * engine's), from its objects among `fresh` (node ordinals, those marked in `exclude` left out): one
 * object of each class id the group holds (a group keyed by name may hold several, of different
 * scripts: it then gets {@link LeakGroup.scripts} instead). A pass over `fresh`, and a few edges
 * read per class id.
 */
export function addLeakScripts(graph: HeapGraph, groups: LeakGroup[], fresh: ArrayLike<number>, exclude?: Uint8Array | null): void {
  const byKey = new Map<string, LeakGroup>();
  for (const g of groups) {
    if (isGeneric(g.className)) continue;
    byKey.set(classKey(g.className, g.location), g);
  }
  if (byKey.size === 0) return;
  const { nodeClass } = graph.classes();
  // Per class id, its group (null: none listed); per hidden class, its constructor's script.
  const groupOf = new Map<number, LeakGroup | null>();
  const scriptOfMap = new Map<number, string>();
  // Per group, the scripts of its objects' constructors ("" where the snapshot does not say): a
  // class the snapshot names alike may hold objects of several constructors.
  const found = new Map<LeakGroup, Set<string>>();
  for (let i = 0; i < fresh.length; i++) {
    const n = fresh[i]!;
    if (exclude?.[n] === 1) continue;
    const c = nodeClass[n]!;
    let g = groupOf.get(c);
    if (g === undefined) groupOf.set(c, (g = byKey.get(keyOf(graph, c, false).key) ?? null));
    if (g === null) continue;
    const map = objectMap(graph, n);
    let script = scriptOfMap.get(map);
    if (script === undefined) scriptOfMap.set(map, (script = mapScript(graph, map) ?? ""));
    let scripts = found.get(g);
    if (!scripts) found.set(g, (scripts = new Set()));
    scripts.add(script);
  }
  for (const [g, scripts] of found) {
    const known = [...scripts].filter((s) => s !== "").sort();
    if (known.length === 1 && scripts.size === 1) g.script = known[0]!;
    else if (known.length > 0) g.scripts = known;
  }
}
