/**
 * Growable typed arrays for the passes that collect an unknown number of values. Whole numbers and
 * sizes have a class each: one class over both kinds of array makes every read and write of `data`
 * see two shapes, which V8 compiles to slower code (the grouped walk pushes a few million values).
 */

/** A growable Int32Array: values in `data[0 .. length)`. */
export class IntList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  /** Appends `v`; returns its index. */
  push(v: number): number {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length] = v;
    return this.length++;
  }
}

/** {@link IntList} of doubles. */
export class SizeList {
  data: Float64Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }
  /** Appends `v`; returns its index. */
  push(v: number): number {
    if (this.length === this.data.length) {
      const d = new Float64Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length] = v;
    return this.length++;
  }
}

/** A copy of `a` twice as long (a stack that grows as needed). */
export function grown(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}
