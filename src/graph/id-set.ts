/**
 * A set of heap object ids in typed arrays: what comparing snapshots by id needs, past the
 * 2^24-entry limit of a JS `Set`. V8 keeps an object's id the same in every snapshot of one
 * process.
 *
 * Made from a graph ({@link IdSet.fromGraph}), the ids below a limit are bits of a bitmap and only
 * the others go into a hash table (open addressing, linear probing). V8 numbers a process's
 * objects in steps of 2 from 1, so a snapshot's object ids mostly lie below about twice its node
 * count (the embedder's nodes, whose ids are addresses, are the few above, in the table): the
 * bitmap is under a MB at 2.6 million nodes and mostly in the processor's caches, and since a snapshot lists
 * objects mostly in id order, looking every node of another snapshot up walks it nearly in order.
 * A lookup in a hash table of tens of MB misses the caches nearly every time. The bitmap covers at
 * most {@link BITS_PER_NODE} ids per node (8 bytes a node, what the hash table takes), so ids
 * spread far wider (a long-running process) fall back to the table.
 */
import type { HeapGraph } from "./heap-graph.js";

/** The most bitmap bits per node of the graph (8 bytes a node). */
const BITS_PER_NODE = 64;

export class IdSet {
  private table: Uint32Array;
  private mask: number;
  /** Ids in {@link table}: it is made twice as big before it is half full, so a probe always ends. */
  private inTable = 0;
  private hasZero = false;
  private count = 0;
  /** Ids below `limit` are bits here (bit `id & 7` of byte `id >>> 3`), not in `table`. */
  private bits: Uint8Array | null = null;
  private limit = 0;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.table = new Uint32Array(size);
    this.mask = size - 1;
  }

  /** Every node id of a graph. */
  static fromGraph(graph: HeapGraph): IdSet {
    return IdSet.fromIds(graph.columns.nodeId, graph.nodeCount);
  }

  /** The ids `ids[0 … count-1]`: a bitmap below a limit chosen from them, a hash table above it. */
  static fromIds(ids: Uint32Array, count: number): IdSet {
    // The limit: the lowest multiple of 2^20 above which at most 1 id in 256 lies (those go to the
    // hash table), but at most BITS_PER_NODE bits a node.
    const perMega = new Uint32Array(1 << 12);
    for (let n = 0; n < count; n += STRETCH) histogram(ids, n, Math.min(count, n + STRETCH), perMega);
    let top = perMega.length;
    let rest = 0;
    while (top > 0 && rest + perMega[top - 1]! <= count >>> 8) rest += perMega[--top]!;
    let limit = top * (1 << 20);
    let above = rest;
    if (limit > BITS_PER_NODE * Math.max(count, 1024)) {
      limit = BITS_PER_NODE * Math.max(count, 1024);
      above = 0;
      for (let n = 0; n < count; n++) if (ids[n]! >= limit) above++;
    }
    const set = new IdSet(above);
    const bits = new Uint8Array(bitmapBytes(limit));
    set.bits = bits;
    set.limit = limit;
    let inBits = 0;
    for (let n = 0; n < count; n += STRETCH) inBits += set.addBelowLimit(ids, n, Math.min(count, n + STRETCH));
    set.count += inBits;
    return set;
  }

  /**
   * Adds `ids[from … to-1]`: those below the limit as bits (returns how many bits it set, for the
   * caller to count), the others into the table. One stretch of {@link fromIds}' pass: V8
   * optimises a short function called many times sooner, and better, than one long loop run once.
   */
  private addBelowLimit(ids: Uint32Array, from: number, to: number): number {
    const bits = this.bits!;
    const limit = this.limit;
    let inBits = 0;
    for (let n = from; n < to; n++) {
      const id = ids[n]!;
      if (id >= limit) {
        this.add(id);
        continue;
      }
      const bit = 1 << (id & 7);
      if ((bits[id >>> 3]! & bit) === 0) {
        bits[id >>> 3]! |= bit;
        inBits++;
      }
    }
    return inBits;
  }

  get size(): number {
    return this.count;
  }

  add(id: number): void {
    if (id < this.limit) {
      const bit = 1 << (id & 7);
      if ((this.bits![id >>> 3]! & bit) === 0) {
        this.bits![id >>> 3]! |= bit;
        this.count++;
      }
      return;
    }
    if (id === 0) {
      if (!this.hasZero) this.count++;
      this.hasZero = true;
      return;
    }
    const t = this.table;
    let i = hash(id) & this.mask;
    for (;;) {
      const v = t[i]!;
      if (v === id) return;
      if (v === 0) {
        t[i] = id;
        this.count++;
        if (++this.inTable * 2 > t.length) this.grow();
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** The table made twice as big, its ids placed again. */
  private grow(): void {
    const old = this.table;
    const t = new Uint32Array(old.length * 2);
    const mask = t.length - 1;
    for (const v of old) {
      if (v === 0) continue;
      let i = hash(v) & mask;
      while (t[i] !== 0) i = (i + 1) & mask;
      t[i] = v;
    }
    this.table = t;
    this.mask = mask;
  }

  /** How many ids of this set `other` holds too. */
  countIn(other: IdSet): number {
    let n = this.hasZero && other.has(0) ? 1 : 0;
    const bits = this.bits;
    if (bits) {
      // Bytes both bitmaps cover whole: the bits both have set, counted by a table.
      const theirs = other.bits;
      const common = theirs ? Math.min(bits.length, theirs.length - 1, other.limit >>> 3) : 0;
      for (let i = 0; i < common; i++) n += BIT_COUNT[bits[i]! & theirs![i]!]!;
      for (let i = Math.max(common, 0); i < bits.length; i++) {
        const b = bits[i]!;
        if (b === 0) continue;
        for (let k = 0; k < 8; k++) if ((b & (1 << k)) !== 0 && other.has(i * 8 + k)) n++;
      }
    }
    for (const v of this.table) if (v !== 0 && other.has(v)) n++;
    return n;
  }

  has(id: number): boolean {
    if (id < this.limit) return (this.bits![id >>> 3]! & (1 << (id & 7))) !== 0;
    if (id === 0) return this.hasZero;
    const t = this.table;
    let i = hash(id) & this.mask;
    for (;;) {
      const v = t[i]!;
      if (v === id) return true;
      if (v === 0) return false;
      i = (i + 1) & this.mask;
    }
  }
}

/** Ids per call of the stretch functions below. */
const STRETCH = 1 << 15;

/** Counts `ids[from … to-1]` per MB of id range (`perMega[id >>> 20]`). */
function histogram(ids: Uint32Array, from: number, to: number, perMega: Uint32Array): void {
  for (let n = from; n < to; n++) perMega[ids[n]! >>> 20]++;
}

/** The bytes of a bitmap of the ids below `limit` (up to 2^32: a shift would wrap there). */
export function bitmapBytes(limit: number): number {
  return Math.ceil(limit / 8);
}

/** The number of bits set in each byte value. */
const BIT_COUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let c = 0;
  for (let x = b; x !== 0; x >>>= 1) c += x & 1;
  return c;
});

/** A 32-bit integer mix (ids are sequential odd numbers: spread them). */
function hash(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}
