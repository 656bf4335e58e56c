/**
 * The totals `backrefs info` (and `types`, `check`) show per class and per node type, packed into
 * one array of numbers so that the snapshot cache can keep them: a later command then reads a few
 * kilobytes instead of going through every node's type, self sizes and distance (about 690 MB of a
 * 3.2 GB snapshot's entry; it still reads the class index, for the classes' names).
 *
 * Layout, all float64 (every value is an integer or a sum of integers below 2^53, so exact):
 * `[T, k, typeCount × T, typeSize × T, (classId, count, selfSize, distance) × k]` — per node type
 * (by type code) every node's count and self size as written; per class with at least one object
 * of a nonzero self size after DevTools' shallow-size reassignment, in increasing class id order:
 * that count, those sizes' sum, and the smallest distance below the system range (-1: none).
 */

/** The totals unpacked; the arrays share no memory with the packed array. */
export interface ClassSummary {
  typeCount: Float64Array;
  typeSize: Float64Array;
  classIds: Uint32Array;
  count: Uint32Array;
  selfSize: Float64Array;
  distance: Int32Array;
}

/** Packs `s` (see the layout above). */
export function packClassSummary(s: ClassSummary): Float64Array {
  const T = s.typeCount.length;
  const k = s.classIds.length;
  const out = new Float64Array(2 + 2 * T + 4 * k);
  out[0] = T;
  out[1] = k;
  out.set(s.typeCount, 2);
  out.set(s.typeSize, 2 + T);
  for (let i = 0, o = 2 + 2 * T; i < k; i++, o += 4) {
    out[o] = s.classIds[i]!;
    out[o + 1] = s.count[i]!;
    out[o + 2] = s.selfSize[i]!;
    out[o + 3] = s.distance[i]!;
  }
  return out;
}

/**
 * Unpacks what {@link packClassSummary} made, for a snapshot of `nodeCount` nodes and `nodeTypes`
 * type codes, or null when it cannot be such totals: its length not the one its two first words
 * give, a count not a whole number (or, per class, not at least 1), a size negative or not finite,
 * the per-type counts not adding up to the node count, the class ids not increasing or not below
 * `classIdLimit` (when given), a distance below -1.
 */
export function unpackClassSummary(
  packed: Float64Array,
  nodeTypes: number,
  nodeCount: number,
  classIdLimit: number = 0xffffffff,
): ClassSummary | null {
  if (packed.length < 2) return null;
  const T = packed[0]!;
  const k = packed[1]!;
  if (T !== nodeTypes || !isWhole(k) || packed.length !== 2 + 2 * T + 4 * k) return null;
  const typeCount = packed.slice(2, 2 + T);
  const typeSize = packed.slice(2 + T, 2 + 2 * T);
  let nodes = 0;
  for (let t = 0; t < T; t++) {
    if (!isWhole(typeCount[t]!) || !isSize(typeSize[t]!)) return null;
    nodes += typeCount[t]!;
  }
  if (nodes !== nodeCount) return null;
  const classIds = new Uint32Array(k);
  const count = new Uint32Array(k);
  const selfSize = new Float64Array(k);
  const distance = new Int32Array(k);
  let previous = -1;
  for (let i = 0, o = 2 + 2 * T; i < k; i++, o += 4) {
    const id = packed[o]!;
    const c = packed[o + 1]!;
    const size = packed[o + 2]!;
    const d = packed[o + 3]!;
    if (!isWhole(id) || id <= previous || id >= classIdLimit) return null;
    if (!isWhole(c) || c < 1 || c > nodeCount || !isSize(size)) return null;
    if (!Number.isInteger(d) || d < -1 || d > 0x7fffffff) return null;
    previous = id;
    classIds[i] = id;
    count[i] = c;
    selfSize[i] = size;
    distance[i] = d;
  }
  return { typeCount, typeSize, classIds, count, selfSize, distance };
}

function isWhole(x: number): boolean {
  return Number.isSafeInteger(x) && x >= 0;
}

function isSize(x: number): boolean {
  return Number.isFinite(x) && x >= 0;
}
