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
 * it readable first) and the edge types of the same edges (`edge-name`), or a function that makes
 * them readable and gives them: it is called only when a name in the range is past the strings
 * (an element index may be), so that a range of good names needs no types read.
 */
export function checkValues(
  check: ValueCheck,
  a: ArrayLike<number>,
  from: number,
  to: number,
  context: { edgeTypes?: ArrayLike<number> | (() => ArrayLike<number>) } = {},
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
    case "edge-name": {
      // Nearly always every value is below the string count, element indices too: no types needed.
      if (largest(a, from, to) < check.limit) return null;
      const types = context.edgeTypes!;
      return edgeNames(a, from, to, check.limit, typeof types === "function" ? types() : types, check.element, check.hidden);
    }
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

/**
 * The first element of `[from, to)` at or past `limit`, described by `say`; or null. For 32-bit sections.
 * The range is first run through by {@link largest} (no branch per element, twice as fast as this
 * loop on the benchmark machine); only a range that holds a bad value is searched for the first.
 */
function below(a: ArrayLike<number>, from: number, to: number, limit: number, say: (i: number) => string): string | null {
  if (largest(a, from, to) < limit) return null;
  for (let i = from; i < to; i++) if (a[i]! >= limit) return say(i);
  return null;
}

/**
 * The first element of `a` at or past `limit`, or -1: {@link largest} over the whole array, in
 * stretches, and an element loop only in a stretch that holds one.
 */
export function firstAtLeast(a: Uint32Array, limit: number): number {
  for (let from = 0; from < a.length; from += STRETCH) {
    const to = Math.min(a.length, from + STRETCH);
    if (largest(a, from, to) < limit) continue;
    for (let i = from; i < to; i++) if (a[i]! >= limit) return i;
  }
  return -1;
}

/** Elements per call of {@link largest} in {@link firstAtLeast} (a small function called often is optimised sooner). */
const STRETCH = 1 << 16;

/** The largest element of `[from, to)` (0 for an empty range). */
function largest(a: ArrayLike<number>, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) {
    const x = a[i]!;
    m = x > m ? x : m;
  }
  return m;
}

/**
 * {@link below} for the byte sections (the node and edge types: limits of a few dozen). Four
 * bytes are tested at once, as one 32-bit word (below), which is five times faster than a loop
 * over the bytes; only a range that holds a bad value is searched byte by byte for the first.
 */
function belowInBytes(a: ArrayLike<number>, from: number, to: number, limit: number, say: (i: number) => string): string | null {
  if (a instanceof Uint8Array && limit >= 1 && limit <= 128 && !anyByteAtLeast(a, from, to, limit)) return null;
  for (let i = from; i < to; i++) if (a[i]! >= limit) return say(i);
  return null;
}

/**
 * Whether a byte of `bytes[from, to)` is at or past `limit` (1 to 128). The bytes of each aligned
 * 32-bit word are tested together: a byte b has its top bit set in `b | ((b & 0x7f) + 128 - limit)`
 * exactly when b >= limit (b >= 128 sets it in b itself; for b < 128 the sum reaches 128 exactly
 * when b >= limit, and never carries into the next byte, being at most 254). The few bytes before
 * the first word and after the last are tested one by one.
 */
export function anyByteAtLeast(bytes: Uint8Array, from: number, to: number, limit: number): boolean {
  let i = from;
  // Up to the first byte on a 4-byte boundary of the buffer.
  for (; i < to && ((bytes.byteOffset + i) & 3) !== 0; i++) if (bytes[i]! >= limit) return true;
  const words = (to - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    if (wordsHaveByteAtLeast(w, limit)) return true;
    i += words << 2;
  }
  for (; i < to; i++) if (bytes[i]! >= limit) return true;
  return false;
}

function wordsHaveByteAtLeast(w: Uint32Array, limit: number): boolean {
  const add = (128 - limit) * 0x01010101;
  let acc = 0;
  for (let k = 0; k < w.length; k++) {
    const x = w[k]!;
    acc |= x | ((x & 0x7f7f7f7f) + add);
  }
  return (acc & 0x80808080) !== 0;
}

function firstEdges(a: ArrayLike<number>, from: number, to: number, N: number, E: number): string | null {
  if (from === 0 && a[0] !== 0) return "the first-edge index does not start at 0";
  if (to === N + 1 && a[N] !== E) return "the first-edge index does not end at the edge count";
  const start = Math.max(1, from);
  // One pass without a branch per node when the edge count is below 2^31 (every snapshot V8 can
  // write); only a range with a problem is searched for the first one.
  if (E < 2 ** 31 && !firstEdgesBad(a, start, to, from > 0 ? a[from - 1]! : 0, E)) return null;
  let previous = from > 0 ? a[from - 1]! : 0;
  for (let n = start; n < to; n++) {
    const x = a[n]!;
    if (x < previous || x > E) return `the first-edge index decreases at node ${n - 1}`;
    previous = x;
  }
  return null;
}

/**
 * Whether an element of `[from, to)` is below the one before it (`previous` before the first) or
 * past `E` (below 2^31), by one sign bit gathered over the range: an element of 2^31 or more has
 * it set itself; with the elements below 2^31, `E - x` and `x - previous` are exact 32-bit numbers,
 * negative exactly when an element passes E or is below the one before.
 */
function firstEdgesBad(a: ArrayLike<number>, from: number, to: number, previous: number, E: number): boolean {
  let acc = previous | (E - previous);
  let p = previous;
  for (let n = from; n < to; n++) {
    const x = a[n]!;
    acc |= x | (E - x) | (x - p);
    p = x;
  }
  return acc < 0;
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
