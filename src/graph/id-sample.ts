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

import type { HeapGraph } from "./heap-graph.js";

/** Referenced ids kept per sampled object, at most. */
export const MAX_SKETCH = 64;

/** Ids examined per snapshot, at most (about): enough for a tight estimate, cheap to keep. */
const SAMPLE_TARGET = 1 << 14;

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

/**
 * The sample of a graph (one pass over the nodes, the sampled ones' edges and names): the objects
 * whose id {@link sampled} takes at the graph's {@link sampleLevel}, each with a hash of its type
 * and name and a sketch of the ids it references, and the ids of the synthetic root nodes.
 */
export function computeIdSample(graph: HeapGraph): IdSample {
  return nameIdSample(graph, chooseIdSample(idSampleColumns(graph)));
}

/** What {@link chooseIdSample} reads of a graph: plain arrays, which another thread can take. */
export interface IdSampleColumns {
  nodeCount: number;
  nodeId: Uint32Array;
  nodeType: Uint8Array;
  /** As {@link HeapGraph.firstEdge}. */
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  /** The type code of synthetic nodes. */
  synthetic: number;
}

/** The sample without the objects' names (see {@link nameIdSample}). */
export interface ChosenIds {
  objectCount: number;
  level: number;
  syntheticIds: number[];
  /** The sampled objects' node numbers, in node order. */
  chosen: Uint32Array;
  /** Each sampled object's sketch, in the same order. */
  refs: Uint32Array[];
}

/** The columns of `graph` that {@link chooseIdSample} reads. */
export function idSampleColumns(graph: HeapGraph): IdSampleColumns {
  const { nodeId, edgeTo, nodeType } = graph.columns;
  return { nodeCount: graph.nodeCount, nodeId, nodeType, firstEdge: graph.firstEdge, edgeTo, synthetic: graph.types.synthetic };
}

/** The sampled objects and their sketches, from the columns alone (the names are added by {@link nameIdSample}). */
export function chooseIdSample(c: IdSampleColumns): ChosenIds {
  const { nodeCount, nodeId, edgeTo, nodeType, firstEdge: first, synthetic } = c;
  const level = sampleLevel(nodeCount);
  let objectCount = 0;
  const syntheticIds: number[] = [];
  let scratch = new Uint32Array(1024);
  // The sampled objects first, in stretches (V8 optimises a short function called many times
  // sooner than one long loop run once); then each one's references.
  const chosen: number[] = [];
  for (let n = 0; n < nodeCount; n += STRETCH) {
    objectCount += chooseStretch(nodeId, nodeType, synthetic, level, n, Math.min(nodeCount, n + STRETCH), syntheticIds, chosen);
  }
  const refs: Uint32Array[] = [];
  for (const n of chosen) {
    const count = first[n + 1]! - first[n]!;
    if (count > scratch.length) scratch = new Uint32Array(count);
    for (let k = 0; k < count; k++) scratch[k] = mix(nodeId[edgeTo[first[n]! + k]!]!);
    refs.push(sketch(scratch.subarray(0, count)));
  }
  return { objectCount, level, syntheticIds, chosen: Uint32Array.from(chosen), refs };
}

/** The sample of `graph` from what {@link chooseIdSample} chose in its columns: each object's type and name hashed. */
export function nameIdSample(graph: HeapGraph, c: ChosenIds): IdSample {
  const { nodeId } = graph.columns;
  const sample = new Map<number, { what: number; refs: Uint32Array }>();
  c.chosen.forEach((n, i) => {
    sample.set(nodeId[n]!, { what: hashString(`${graph.nodeTypeName(n)}\u0000${graph.nodeName(n)}`), refs: c.refs[i]! });
  });
  return { objectCount: c.objectCount, level: c.level, syntheticIds: c.syntheticIds, sample };
}

/** Nodes per call of {@link chooseStretch}. */
const STRETCH = 1 << 15;

/**
 * Of nodes `from … to-1`: the synthetic roots' ids into `syntheticIds` (node 0 is one), the
 * objects whose id `level` samples into `chosen`; returns how many objects there were.
 */
function chooseStretch(
  nodeId: Uint32Array,
  nodeType: Uint8Array,
  synthetic: number,
  level: number,
  from: number,
  to: number,
  syntheticIds: number[],
  chosen: number[],
): number {
  const shift = 32 - level;
  let objects = 0;
  for (let n = from; n < to; n++) {
    // One of the synthetic root nodes every snapshot has (same ids everywhere).
    if (n === 0 || nodeType[n] === synthetic) {
      syntheticIds.push(nodeId[n]!);
      continue;
    }
    objects++;
    if (level !== 0 && mix(nodeId[n]!) >>> shift !== 0) continue;
    chosen.push(n);
  }
  return objects;
}

/** The sampling level for a graph of `nodeCount` nodes: about {@link SAMPLE_TARGET} ids sampled. */
export function sampleLevel(nodeCount: number): number {
  let level = 0;
  while (level < 31 && nodeCount / 2 ** level > SAMPLE_TARGET) level++;
  return level;
}

/** Whether `level` samples `id`: `mix(id) >>> (32 - level)` is 0 (level 0 samples every id). */
export function sampled(id: number, level: number): boolean {
  return level === 0 || mix(id) >>> (32 - level) === 0;
}

/**
 * The {@link MAX_SKETCH} smallest distinct values of `hashes` (sorted in place), ascending. The
 * hashes are {@link mix}ed ids: `mix` is a bijection, so distinct hashes are distinct ids.
 */
function sketch(hashes: Uint32Array): Uint32Array {
  hashes.sort();
  const out: number[] = [];
  for (let k = 0; k < hashes.length && out.length < MAX_SKETCH; k++) {
    if (k === 0 || hashes[k] !== hashes[k - 1]) out.push(hashes[k]!);
  }
  return Uint32Array.from(out);
}

/** A 32-bit integer mix, a bijection (xor-shifts and odd multipliers): spreads sequential ids. */
export function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
