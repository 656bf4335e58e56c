/**
 * The classes every JavaScript program has — arrays, closures, contexts, strings, plain objects,
 * the built-in collections — as opposed to a program's own (`CachedUser`, `Session`, `Timeout`).
 * A leak is told by the program's own classes; the generic ones are what they hold.
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

/** The classes in their order, the program's own ones before the generic ones. */
export function programFirst<T extends { className: string }>(classes: readonly T[]): T[] {
  return [...classes.filter((c) => !isGeneric(c.className)), ...classes.filter((c) => isGeneric(c.className))];
}
