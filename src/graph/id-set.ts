/**
 * A set of heap object ids in one typed array (open addressing, linear probing): what comparing
 * snapshots by id needs, past the 2^24-entry limit of a JS `Set` and at 8 bytes per id.
 * V8 keeps an object's id the same in every snapshot of one process.
 */
import type { HeapGraph } from "./heap-graph.js";

export class IdSet {
  private readonly table: Uint32Array;
  private readonly mask: number;
  private hasZero = false;
  private count = 0;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.table = new Uint32Array(size);
    this.mask = size - 1;
  }

  /** Every node id of a graph. */
  static fromGraph(graph: HeapGraph): IdSet {
    const set = new IdSet(graph.nodeCount);
    const ids = graph.columns.nodeId;
    for (let n = 0; n < graph.nodeCount; n++) set.add(ids[n]!);
    return set;
  }

  get size(): number {
    return this.count;
  }

  add(id: number): void {
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
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  /** How many ids of this set `other` holds too. */
  countIn(other: IdSet): number {
    let n = this.hasZero && other.has(0) ? 1 : 0;
    for (const v of this.table) if (v !== 0 && other.has(v)) n++;
    return n;
  }

  has(id: number): boolean {
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

/** A 32-bit integer mix (ids are sequential odd numbers: spread them). */
function hash(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) >>> 0;
}
