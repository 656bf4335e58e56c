/**
 * The classes every JavaScript program has — arrays, closures, contexts, strings, plain objects,
 * the built-in collections — as opposed to a program's own (`CachedUser`, `Session`) or the
 * runtime's (`Timeout`). A leak is told by the program's own classes; the generic ones are what
 * they hold.
 */
const GENERIC_CLASSES = new Set([
  "Object",
  "Array",
  "Function",
  "system / Context",
  "(string)",
  "(concatenated string)",
  "(sliced string)",
  "(array)",
  "(system)",
  "(number)",
  "Map",
  "Set",
  "Promise",
  "ArrayBuffer",
  "Uint8Array",
  "Error",
  "Buffer",
  "Date",
  "RegExp",
  "WeakMap",
  "WeakSet",
]);

/**
 * Whether a class is one every program has, not the program's own: one of the list, a plain object
 * named by its properties (`{k, list}`: DevTools names most object literals so), or the engine's own
 * (`(object shape)`, `system / Map`).
 */
export function isGeneric(className: string): boolean {
  return GENERIC_CLASSES.has(className) || className.startsWith("{") || className.startsWith("(") || className.startsWith("system / ");
}

/**
 * Whether a script is the runtime's own, not the program's: Node's built-in modules
 * (`node:internal/timers`, `node:events`).
 */
export function isRuntimeScript(script: string): boolean {
  return script.startsWith("node:");
}

/**
 * Whether a script is one of the program's dependencies: a file under a `node_modules` folder.
 */
export function isPackageScript(script: string): boolean {
  return /[\\/]node_modules[\\/]/.test(script);
}

/**
 * How well a class tells a leak, best first: 0 the program's own (its constructor is defined in one
 * of the program's files), 1 defined in one of its dependencies (a file under `node_modules`: rxjs'
 * `Subscriber` that holds the program's `Widget`), 2 not generic but with no script known (a native
 * or built-in constructor, or a snapshot that does not say), 3 defined in the runtime's own scripts
 * (Node's `Timeout`, held by what the program did), 4 generic.
 */
export function classRank(className: string, script?: string | null): number {
  if (isGeneric(className)) return 4;
  if (script === undefined || script === null) return 2;
  if (isRuntimeScript(script)) return 3;
  return isPackageScript(script) ? 1 : 0;
}

/**
 * The classes in their order within each rank ({@link classRank}): the program's own ones first,
 * then its dependencies', the others that are not generic, those defined in the runtime's scripts,
 * the generic ones.
 */
export function programFirst<T extends { className: string; script?: string; scripts?: readonly string[] }>(classes: readonly T[]): T[] {
  // A class of several scripts ranks by the best of them: one of the program's is the program's.
  const rankOf = (c: T): number =>
    c.scripts && c.scripts.length > 0 ? Math.min(...c.scripts.map((s) => classRank(c.className, s))) : classRank(c.className, c.script);
  const ranked = classes.map((c, i) => ({ c, i, rank: rankOf(c) }));
  ranked.sort((a, b) => a.rank - b.rank || a.i - b.i);
  return ranked.map((r) => r.c);
}
