/**
 * A hash map from fixed-length tuples of 32-bit unsigned integers to dense indices 0, 1, 2… in
 * insertion order, kept in typed arrays (open addressing, linear probing). Grouping half a million
 * retaining paths looks up millions of (node, group) pairs and group keys: a JS `Map` with string
 * keys would allocate a string per lookup and stop at 2^24 entries.
 */
export class TupleMap {
  private keys: Uint32Array;
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    readonly arity: number,
    capacity = 64,
  ) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.keys = new Uint32Array(Math.max(16, capacity) * arity);
  }

  /** How many distinct tuples are stored. */
  get size(): number {
    return this.count;
  }

  /** The index of `key` (the first `arity` numbers of `key`), or -1. */
  get(key: ArrayLike<number>): number {
    const k = this.arity;
    for (let i = hash(key, k) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v < 0) return -1;
      if (this.matches(v, key)) return v;
    }
  }

  /** The index of `key`, adding it (with the next index) if absent. `added` tells which happened. */
  intern(key: ArrayLike<number>): number {
    const k = this.arity;
    let i = hash(key, k) & this.mask;
    for (; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v < 0) break;
      if (this.matches(v, key)) {
        this.added = false;
        return v;
      }
    }
    const index = this.count++;
    if ((index + 1) * k > this.keys.length) {
      const grown = new Uint32Array(this.keys.length * 2);
      grown.set(this.keys);
      this.keys = grown;
    }
    for (let j = 0; j < k; j++) this.keys[index * k + j] = key[j]!;
    this.slots[i] = index;
    this.added = true;
    if (this.count * 2 > this.slots.length) this.rehash();
    return index;
  }

  /** Whether the last {@link intern} added its key. */
  added = false;

  /** Whether the tuple stored at `index` is `key` (its first `arity` numbers). */
  keyEquals(index: number, key: ArrayLike<number>): boolean {
    return index >= 0 && index < this.count && this.matches(index, key);
  }

  /** Component `j` of the tuple stored at `index`. */
  keyAt(index: number, j: number): number {
    return this.keys[index * this.arity + j]!;
  }

  private matches(index: number, key: ArrayLike<number>): boolean {
    const k = this.arity;
    const base = index * k;
    for (let j = 0; j < k; j++) if (this.keys[base + j] !== key[j]! >>> 0) return false;
    return true;
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    const slots = new Int32Array(size).fill(-1);
    const mask = size - 1;
    const k = this.arity;
    const tuple = new Uint32Array(k);
    for (let index = 0; index < this.count; index++) {
      for (let j = 0; j < k; j++) tuple[j] = this.keys[index * k + j]!;
      let i = hash(tuple, k) & mask;
      while (slots[i]! >= 0) i = (i + 1) & mask;
      slots[i] = index;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

function hash(key: ArrayLike<number>, k: number): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < k; j++) {
    h = Math.imul(h ^ (key[j]! >>> 0), 0x01000193);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
