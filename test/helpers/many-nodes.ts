/**
 * A generated snapshot of at least a given number of nodes, for tests that need a big graph (the
 * cache entry's tree edges by node are written in pieces of 262,144 nodes): objects hung one under
 * another at random (a seeded generator, so the same count gives the same snapshot) in shapes a
 * heap has — linked lists (`next`), arrays of elements, hash tables with numbered internal slots,
 * objects with properties and strings, closures with contexts — plus edges back to objects made
 * before, some of them weak.
 */
import { SnapshotBuilder } from "./snapshot-builder.js";

export function manyNodesSnapshot(count: number, seed = 7): string {
  const b = new SnapshotBuilder();
  let state = seed >>> 0 || 1;
  /** A whole number in [0, k). */
  const rand = (k: number): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % k;
  };
  const global = b.node("object", "Global", { selfSize: 64 });
  b.edge(b.root, global, "shortcut", "global");
  const holders = [global];
  const pick = (): number => holders[rand(holders.length)]!;
  let made = 0;
  while (b.nodes.length < count) {
    const parent = pick();
    const kind = rand(5);
    made++;
    if (kind === 0) {
      // A linked list: head, then `next` from each item to the one after.
      let prev = b.node("object", "Item", { selfSize: 24 });
      b.edge(parent, prev, "property", "head");
      for (let k = rand(20); k > 0; k--) {
        const item = b.node("object", "Item", { selfSize: 24 });
        b.edge(prev, item, "property", "next");
        prev = item;
      }
      holders.push(prev);
    } else if (kind === 1) {
      const array = b.node("array", "(object elements)", { selfSize: 16 });
      b.edge(parent, array, "internal", "elements");
      for (let k = rand(30); k >= 0; k--) {
        const entry = b.node("object", `Entry${rand(4)}`, { selfSize: 32 });
        b.edge(array, entry, "element", k);
        if (rand(4) === 0) holders.push(entry);
      }
    } else if (kind === 2) {
      const table = b.node("array", "(object properties)", { selfSize: 48 });
      b.edge(parent, table, "internal", "table");
      for (let k = rand(12); k >= 0; k--) {
        const value = b.node("object", `Value${rand(3)}`, { selfSize: 20 });
        b.edge(table, value, "internal", `${rand(1000)}`);
        if (rand(3) === 0) b.edge(value, table, "hidden", rand(4));
      }
    } else if (kind === 3) {
      const obj = b.node("object", `Record${rand(6)}`, { selfSize: 40 });
      b.edge(parent, obj, "property", `field${rand(9)}`);
      for (let k = rand(4); k >= 0; k--) {
        const text = b.node("string", `text ${made} ${k}`, { selfSize: 16 });
        b.edge(obj, text, "property", `p${k}`);
      }
      holders.push(obj);
    } else {
      const closure = b.node("closure", `handler${rand(5)}`, { selfSize: 32 });
      const context = b.node("hidden", "system / Context", { selfSize: 24 });
      b.edge(parent, closure, "property", `on${rand(3)}`);
      b.edge(closure, context, "internal", "context");
      b.edge(context, pick(), "context", `captured${rand(3)}`);
    }
    // An edge back to an object made before, now and then weak.
    if (rand(3) === 0) b.edge(pick(), pick(), rand(5) === 0 ? "weak" : "property", `back${rand(4)}`);
  }
  return b.serialize();
}
