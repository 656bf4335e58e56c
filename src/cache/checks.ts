/**
 * The checks of the values in a cache entry's sections, as data: each section that holds indices
 * names its check ({@link ValueCheck}), and {@link checkValues} runs it over a range of elements
 * just read (after their CRC-32). The same check runs on the thread that reads ahead
 * (read-ahead-worker.ts) and on the command's own thread, so a block is handed out only once it
 * has passed the very same test wherever it was read. See docs/cache.md.
 */

/** How the values of one section are checked; every limit is exclusive. */
export type ValueCheck =
  | { kind: "node-type"; limit: number }
  | { kind: "node-name"; limit: number }
  /** From 0 to `edges`, never decreasing; `nodes` + 1 elements. */
  | { kind: "first-edge"; nodes: number; edges: number }
  | { kind: "edge-type"; limit: number }
  | { kind: "edge-to"; limit: number }
  /** String indices except for element and hidden edges (their types: the edge.type section). */
  | { kind: "edge-name"; limit: number; element: number; hidden: number }
  /** 1 + an edge number, or 0: at most the edge count. */
  | { kind: "parent-edge"; edges: number }
  | { kind: "refused"; limit: number }
  /** Node numbers or places below `nodes`, the first one 0 (the root). */
  | { kind: "rooted"; nodes: number; message: string }
  /** Each place's dominator place before it, the first one 0. */
  | { kind: "idom-index"; nodes: number };

/**
 * The first problem among elements `[from, to)` of `a`, or null. `context` gives what a check
 * reads besides the range: the element before it (`first-edge`, when `from` > 0; the caller makes
 * it readable first) and the edge types of the same edges (`edge-name`).
 */
export function checkValues(
  check: ValueCheck,
  a: ArrayLike<number>,
  from: number,
  to: number,
  context: { edgeTypes?: ArrayLike<number> } = {},
): string | null {
  // Each kind in a function of its own, with its limits in locals: the loops stay tight.
  switch (check.kind) {
    case "node-type":
      return belowInBytes(a, from, to, check.limit, (n) => `node ${n} has an unknown type`);
    case "node-name":
      return below(a, from, to, check.limit, (n) => `node ${n} names a string past the last`);
    case "first-edge":
      return firstEdges(a, from, to, check.nodes, check.edges);
    case "edge-type":
      return belowInBytes(a, from, to, check.limit, (e) => `edge ${e} has an unknown type`);
    case "edge-to":
      return below(a, from, to, check.limit, (e) => `edge ${e} points past the last node`);
    case "edge-name":
      return edgeNames(a, from, to, check.limit, context.edgeTypes!, check.element, check.hidden);
    case "parent-edge":
      return below(a, from, to, check.edges + 1, () => "a distance record names an edge past the last");
    case "refused":
      return below(a, from, to, check.limit, () => "a refused-edge record names a node past the last");
    case "rooted":
      if (from === 0 && check.nodes > 0 && a[0] !== 0) return "the dominator tree does not start at the root";
      return below(a, from, to, check.nodes, () => (check as { message: string }).message);
    case "idom-index":
      if (from === 0 && check.nodes > 0 && a[0] !== 0) return "the dominator tree does not start at the root";
      return beforeOwnPlace(a, from, to);
  }
}

/** The first element of `[from, to)` at or past `limit`, described by `say`; or null. For 32-bit sections. */
function below(a: ArrayLike<number>, from: number, to: number, limit: number, say: (i: number) => string): string | null {
  for (let i = from; i < to; i++) if (a[i]! >= limit) return say(i);
  return null;
}

/** {@link below} for the byte sections (a copy: a loop that sees one kind of array stays twice as fast). */
function belowInBytes(a: ArrayLike<number>, from: number, to: number, limit: number, say: (i: number) => string): string | null {
  for (let i = from; i < to; i++) if (a[i]! >= limit) return say(i);
  return null;
}

function firstEdges(a: ArrayLike<number>, from: number, to: number, N: number, E: number): string | null {
  if (from === 0 && a[0] !== 0) return "the first-edge index does not start at 0";
  if (to === N + 1 && a[N] !== E) return "the first-edge index does not end at the edge count";
  let previous = from > 0 ? a[from - 1]! : 0;
  for (let n = Math.max(1, from); n < to; n++) {
    const x = a[n]!;
    if (x < previous || x > E) return `the first-edge index decreases at node ${n - 1}`;
    previous = x;
  }
  return null;
}

function edgeNames(
  a: ArrayLike<number>,
  from: number,
  to: number,
  limit: number,
  t: ArrayLike<number>,
  element: number,
  hidden: number,
): string | null {
  for (let e = from; e < to; e++)
    if (a[e]! >= limit && t[e] !== element && t[e] !== hidden) return `edge ${e} names a string past the last`;
  return null;
}

function beforeOwnPlace(a: ArrayLike<number>, from: number, to: number): string | null {
  for (let k = Math.max(1, from); k < to; k++) if (a[k]! >= k) return "the dominator tree has a node before its dominator";
  return null;
}
