/**
 * WeakMap entry edges. V8 writes each WeakMap entry as two `internal` edges, from the key and from
 * the table, into the value, both named `N / part of key (K @k) -> value (V @v) pair in WeakMap
 * (table @t)`. DevTools reads that name twice: the distances reach the value only through the
 * second of the two edges, and the table→value edge is not essential (it does not keep the value
 * alive on its own). See docs/devtools-rules.md.
 */
import type { HeapGraph } from "./heap-graph.js";
import { mappedBuffer } from "../memory.js";

/** DevTools' WeakMap entry edge name; `pair` is the part both edges of one entry share. */
export const WEAKMAP_EDGE = /^\d+(?<pair> \/ part of key \(.*? @\d+\) -> value \(.*? @\d+\) pair in WeakMap \(table @(?<table>\d+)\))$/;

/**
 * By string index: the table's heap id when the string has the form of a WeakMap entry edge name,
 * NaN otherwise. Whether an edge uses it as an `internal` edge's name is not looked at: the
 * distances and the essential edges read the table only for `internal` edges, so one pass over
 * the strings (only those long enough and starting with a digit are matched) replaces a pass over
 * every edge. In shared memory: the analysis helper thread reads it (essential edges).
 */
export function weakMapTables(g: HeapGraph): Float64Array {
  const S = g.strings.length;
  const tables = new Float64Array(mappedBuffer(S * 8, true), 0, S).fill(NaN);
  for (const s of g.strings.indicesStartingWithDigit(50)) {
    const m = WEAKMAP_EDGE.exec(g.strings.get(s));
    if (m) tables[s] = Number(m.groups!["table"]);
  }
  return tables;
}
