import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classRetainedSizes, retainedSizes } from "../../src/graph/retained-sizes.js";
import type { DominatorTree } from "../../src/graph/dominators.js";

/**
 * A random dominator tree over n nodes: node 0 the root, the rest in a shuffled preorder, each
 * dominated by a node earlier in it; random classes and sizes (some 0).
 */
const arbTree = fc.integer({ min: 1, max: 40 }).chain((n) =>
  fc.record({
    parents: fc.array(fc.nat(), { minLength: n, maxLength: n }),
    order: fc.shuffledSubarray(
      Array.from({ length: n - 1 }, (_, i) => i + 1),
      { minLength: n - 1, maxLength: n - 1 },
    ),
    classes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }),
    sizes: fc.array(fc.constantFrom(0, 1, 10, 2 ** 32), { minLength: n, maxLength: n }),
    filter: fc.array(fc.constantFrom(0, 1, 1), { minLength: n, maxLength: n }),
  }),
);

type Case = { parents: number[]; order: number[]; classes: number[]; sizes: number[]; filter: number[] };

function treeOf({ parents, order }: Case): DominatorTree {
  const preorder = Uint32Array.from([0, ...order]);
  const N = preorder.length;
  const idomIndex = new Uint32Array(N);
  const idom = new Uint32Array(N);
  for (let k = 1; k < N; k++) {
    idomIndex[k] = parents[k]! % k;
    idom[preorder[k]!] = preorder[idomIndex[k]!]!;
  }
  return { idom, preorder, idomIndex };
}

/** The dominators above n, nearest first, the root last (none for the root). */
function ancestors(tree: DominatorTree, n: number): number[] {
  const out: number[] = [];
  for (let a = n; a !== 0;) out.push((a = tree.idom[a]!));
  return out;
}

describe("retainedSizes", () => {
  it("is each node's size plus everything below it in the dominator tree", () => {
    fc.assert(
      fc.property(arbTree, (c) => {
        const tree = treeOf(c);
        const want = c.sizes.slice();
        for (let n = 1; n < c.sizes.length; n++) for (const a of ancestors(tree, n)) want[a] += c.sizes[n]!;
        expect(Array.from(retainedSizes(tree, (n) => c.sizes[n]!))).toEqual(want);
        // The sizes given as an array: the same.
        expect(Array.from(retainedSizes(tree, Float64Array.from(c.sizes)))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });

  it("fills the tree's spare memory, whatever it held, once: a second call allocates its own", () => {
    fc.assert(
      fc.property(arbTree, fc.double({ noNaN: true }), (c, junk) => {
        const plain = retainedSizes(treeOf(c), Float64Array.from(c.sizes));
        const tree = treeOf(c);
        const spare = new Float64Array(c.sizes.length).fill(junk);
        tree.spare = spare;
        const first = retainedSizes(tree, Float64Array.from(c.sizes));
        expect(first).toBe(spare);
        expect(tree.spare).toBeUndefined();
        expect(Array.from(first)).toEqual(Array.from(plain));
        const second = retainedSizes(tree, (n) => c.sizes[n]!);
        expect(second).not.toBe(spare);
        expect(Array.from(second)).toEqual(Array.from(plain));
      }),
      { numRuns: 100 },
    );
  });

  it("leaves spare memory of another length alone", () => {
    const c: Case = { parents: [0, 0, 1], order: [2, 1], classes: [0, 0, 0], sizes: [1, 2, 3], filter: [1, 1, 1] };
    const tree = treeOf(c);
    const spare = new Float64Array(2);
    tree.spare = spare;
    const out = retainedSizes(tree, Float64Array.from(c.sizes));
    expect(out).not.toBe(spare);
    expect(Array.from(out)).toEqual(Array.from(retainedSizes(treeOf(c), Float64Array.from(c.sizes))));
  });
});

describe("classRetainedSizes", () => {
  it("counts an object unless a dominator above it (not the root) of the same class or group counts; size 0 and filtered-out objects neither count nor block", () => {
    fc.assert(
      fc.property(arbTree, fc.boolean(), fc.boolean(), (c, useFilter, useGroups) => {
        const tree = treeOf(c);
        const retained = retainedSizes(tree, (n) => c.sizes[n]!);
        const filter = useFilter ? Uint8Array.from(c.filter) : undefined;
        const groups = useGroups ? Uint32Array.from([0, 0, 1, 3]) : undefined; // classes 0 and 1 together
        const key = (n: number): number => (groups ? groups[c.classes[n]!]! : c.classes[n]!);
        const eligible = (n: number): boolean => n !== 0 && c.sizes[n] !== 0 && (!filter || filter[n] === 1);
        const want = new Array<number>(4).fill(0);
        for (let n = 1; n < c.sizes.length; n++) {
          if (!eligible(n)) continue;
          if (ancestors(tree, n).some((a) => eligible(a) && key(a) === key(n))) continue;
          want[key(n)] += retained[n]!;
        }
        const input = { nodeClass: Uint32Array.from(c.classes), classIdLimit: 4, tree, retained, shallow: Float64Array.from(c.sizes) };
        expect(Array.from(classRetainedSizes(input, filter, groups))).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});
