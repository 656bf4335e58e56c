/**
 * Pieces of a Node process's heap as V8 writes them, by name, for tests: Node's timer lists, and
 * classes whose constructors are defined in a named script.
 */
import type { SnapshotBuilder } from "./snapshot-builder.js";

/**
 * A `TimersList` that `holder` holds by `edge`, with `count` `Timeout`s in a doubly linked list:
 * the list holds the first by `_idleNext` and the last by `_idlePrev`, each one the next by
 * `_idleNext` and the one before by `_idlePrev`. So the shortest paths reach the first half from
 * the list's head and the second half from its tail. `timeout` makes each Timeout (a plain
 * `Timeout` object by default).
 */
export function timerList(
  b: SnapshotBuilder,
  holder: number,
  count: number,
  opts: { edge?: string; timeout?: () => number } = {},
): { list: number; timeouts: number[] } {
  const list = b.node("object", "TimersList");
  b.edge(holder, list, "property", opts.edge ?? "timers");
  const timeouts = Array.from({ length: count }, () => (opts.timeout ? opts.timeout() : b.node("object", "Timeout")));
  if (count === 0) return { list, timeouts };
  b.edge(list, timeouts[0]!, "property", "_idleNext").edge(list, timeouts[count - 1]!, "property", "_idlePrev");
  for (let i = 0; i < count; i++) {
    b.edge(timeouts[i]!, i < count - 1 ? timeouts[i + 1]! : list, "property", "_idleNext");
    b.edge(timeouts[i]!, i > 0 ? timeouts[i - 1]! : list, "property", "_idlePrev");
  }
  return { list, timeouts };
}

/**
 * A class named `name` whose constructor is defined in `script` (`file:///srv/app.mjs`,
 * `node:internal/timers`), as V8 writes it: each object's map was made from the constructor's
 * first map by adding a property (`back_pointer`), the first map names the constructor
 * (`constructor`), a function whose shared info names its script (`script_or_debug_info`).
 * Returns a maker of its objects (with `properties`: property name → node).
 */
export function scriptClass(
  b: SnapshotBuilder,
  name: string,
  script: string,
): (opts?: { selfSize?: number; properties?: Record<string, number> }) => number {
  const scriptNode = b.node("code", script);
  const shared = b.node("code", name);
  b.edge(shared, scriptNode, "internal", "script_or_debug_info");
  const ctor = b.node("closure", name);
  b.edge(ctor, shared, "internal", "shared");
  const first = b.node("object shape", "system / Map");
  b.edge(first, ctor, "internal", "constructor");
  const map = b.node("object shape", "system / Map");
  b.edge(map, first, "internal", "back_pointer");
  return (opts = {}) => {
    const n = b.node("object", name, { selfSize: opts.selfSize });
    // Properties first, as V8 lists them.
    for (const [key, to] of Object.entries(opts.properties ?? {})) b.edge(n, to, "property", key);
    b.edge(n, map, "internal", "map");
    return n;
  };
}
