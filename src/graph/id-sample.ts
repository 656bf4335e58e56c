/**
 * What the id-trust check (query/id-trust.ts) reads of one snapshot besides its ids, packed into
 * one array of 32-bit words so that a snapshot cache entry can keep it (a late part, see
 * docs/cache.md): computing it reads every edge target and the first-edge index whole, and the
 * names of the sampled objects, for a few thousand sampled objects.
 *
 * Layout: `objectCount, level, K, S`, then the K ids of the synthetic root nodes, then S records
 * `id, what, n, refs[n]` (a sampled object's id, the hash of its type and name, and its sketch:
 * n ≤ {@link MAX_SKETCH} hashes of the ids it references, ascending and distinct).
 */

/** Referenced ids kept per sampled object, at most. */
export const MAX_SKETCH = 64;

/** The id-trust check's sample of one snapshot (see query/id-trust.ts). */
export interface IdSample {
  objectCount: number;
  level: number;
  syntheticIds: number[];
  sample: Map<number, { what: number; refs: Uint32Array }>;
}

/** The sample as one array (see the layout above). */
export function packIdSample(s: IdSample): Uint32Array {
  let length = 4 + s.syntheticIds.length;
  for (const v of s.sample.values()) length += 3 + v.refs.length;
  const out = new Uint32Array(length);
  out[0] = s.objectCount;
  out[1] = s.level;
  out[2] = s.syntheticIds.length;
  out[3] = s.sample.size;
  let i = 4;
  for (const id of s.syntheticIds) out[i++] = id;
  for (const [id, v] of s.sample) {
    out[i++] = id;
    out[i++] = v.what;
    out[i++] = v.refs.length;
    out.set(v.refs, i);
    i += v.refs.length;
  }
  return out;
}

/**
 * The sample from its array, checked as untrusted input: the counts against a graph of
 * `nodeCount` nodes (every node is a synthetic root or an object), every record inside the array
 * and the array ending with the last, each sketch at most {@link MAX_SKETCH} long, ascending and
 * distinct, no id sampled twice. Returns null when anything is off.
 */
export function unpackIdSample(a: Uint32Array, nodeCount: number): IdSample | null {
  if (a.length < 4) return null;
  const [objectCount, level, K, S] = [a[0]!, a[1]!, a[2]!, a[3]!];
  if (level > 31 || objectCount + K !== nodeCount || S > objectCount || 4 + K > a.length) return null;
  const syntheticIds = Array.from(a.subarray(4, 4 + K));
  const sample = new Map<number, { what: number; refs: Uint32Array }>();
  let i = 4 + K;
  for (let s = 0; s < S; s++) {
    if (i + 3 > a.length) return null;
    const id = a[i]!;
    const what = a[i + 1]!;
    const n = a[i + 2]!;
    i += 3;
    if (n > MAX_SKETCH || i + n > a.length || sample.has(id)) return null;
    const refs = a.slice(i, i + n);
    for (let k = 1; k < n; k++) if (!(refs[k - 1]! < refs[k]!)) return null;
    sample.set(id, { what, refs });
    i += n;
  }
  if (i !== a.length) return null;
  return { objectCount, level, syntheticIds, sample };
}
