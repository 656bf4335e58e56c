import { describe, expect, it } from "vitest";
import { closestNames } from "../../src/query/select.js";

describe("closestNames (did you mean)", () => {
  const counts = new Map([
    ["OrderService", 201],
    ["LeakyRequest", 200],
    ["(string)", 10_887],
    ["(compiled code)", 11_634],
    ["Temp", 40],
  ]);

  it("finds typos: a letter missing, two letters swapped, another case", () => {
    expect(closestNames(["OrderServce"], counts)).toEqual(["OrderService (201)"]);
    expect(closestNames(["Tmep"], counts)).toEqual(["Temp (40)"]);
    expect(closestNames(["leakyrequest"], counts)[0]).toBe("LeakyRequest (200)");
  });

  it("never suggests unrelated names, however common", () => {
    expect(closestNames(["LeakyRqeuest"], counts)).toEqual(["LeakyRequest (200)"]);
    expect(closestNames(["Zebra"], counts)).toEqual([]);
  });
});

describe("selectNodes by id", () => {
  it("finds every id asked for, among ids that share their low bits, and names the missing ones", async () => {
    const { selectNodes } = await import("../../src/query/select.js");
    const { SnapshotBuilder } = await import("../helpers/snapshot-builder.js");
    const { graphOf } = await import("../helpers/load.js");
    const b = new SnapshotBuilder();
    // Ids 65536 apart have the same low 16 bits.
    const nodes = Array.from({ length: 40 }, (_, i) => b.node("object", `N${i}`, { id: 101 + 2 * (i % 4) + 65536 * Math.floor(i / 4) }));
    const g = graphOf(b);
    const asked = [nodes[5]!, nodes[9]!, nodes[13]!, nodes[38]!];
    expect(selectNodes(g, { ids: asked.map((n) => g.nodeId(n)) }).ordinals).toEqual(asked);
    // Same low bits as node 5's id, but no such object.
    expect(() => selectNodes(g, { ids: [g.nodeId(nodes[5]!), g.nodeId(nodes[5]!) + 65536 * 100] })).toThrow(
      new RegExp(`no object with id @${g.nodeId(nodes[5]!) + 65536 * 100}`),
    );
  });
});

describe("selectNodes by class", () => {
  it("finds the same objects, in node order, as a test of every node's class name: one class, several, repeated, many", async () => {
    const { selectNodes, nodesOfClasses, classIdsNamed } = await import("../../src/query/select.js");
    const { SnapshotBuilder } = await import("../helpers/snapshot-builder.js");
    const { graphOf } = await import("../helpers/load.js");
    const b = new SnapshotBuilder();
    const names = ["Foo", "Bar", "Baz", "Qux", "Quux", "Corge", "Object"];
    for (let i = 0; i < 300; i++) {
      const n = b.node(i % 11 === 0 ? "closure" : "object", names[(i * 7) % names.length]!);
      b.edge(b.gcRoots, n, "element", i);
    }
    const g = graphOf(b);
    const naive = (types: string[]): number[] =>
      Array.from({ length: g.nodeCount }, (_, n) => n).filter((n) => types.includes(g.className(n)));
    for (const types of [["Foo"], ["Baz", "Foo"], ["Foo", "Foo"], ["Function"], names.slice(0, 6), ["Bar", "Function", "Qux"]]) {
      const want = naive(types);
      expect(want.length, types.join()).toBeGreaterThan(0);
      expect(selectNodes(g, { types }).ordinals, types.join()).toEqual(want);
      // The class column searched id by id: the same as the general loop's answer.
      expect(Array.from(nodesOfClasses(g.classes().nodeClass, classIdsNamed(g, types))), types.join()).toEqual(want);
    }
  });

  it("a class of thousands of objects (searched past the first matches by a loop): the same objects as the general loop", async () => {
    const { selectNodes, nodesOfClasses, classIdsNamed } = await import("../../src/query/select.js");
    const { SnapshotBuilder } = await import("../helpers/snapshot-builder.js");
    const { graphOf } = await import("../helpers/load.js");
    const b = new SnapshotBuilder();
    for (let i = 0; i < 7000; i++) b.edge(b.gcRoots, b.node("object", i % 3 === 1 ? "Rare" : i % 5 === 0 ? "Other" : "Many"), "element", i);
    const g = graphOf(b);
    const naive = (types: string[]): number[] =>
      Array.from({ length: g.nodeCount }, (_, n) => n).filter((n) => types.includes(g.className(n)));
    for (const types of [["Many"], ["Many", "Rare"], ["Other", "Many"]]) {
      const want = naive(types);
      expect(want.length).toBeGreaterThan(2500);
      expect(selectNodes(g, { types }).ordinals, types.join()).toEqual(want);
      expect(Array.from(nodesOfClasses(g.classes().nodeClass, classIdsNamed(g, types))), types.join()).toEqual(want);
    }
  });
});

describe("class ids by name through a stored class index", () => {
  it("selects what the search through every string selects, and checks each id the name's hash finds", async () => {
    const { selectNodes } = await import("../../src/query/select.js");
    const { SnapshotBuilder } = await import("../helpers/snapshot-builder.js");
    const { graphOf } = await import("../helpers/load.js");
    const { classNameHash, namedClassTable } = await import("../../src/graph/heap-graph.js");
    const b = new SnapshotBuilder();
    const names = ["Foo", "Bar", "Baz", "(object elements)", "Ünïcode ☃", "Foo2"];
    const holder = b.node("object", "Holder");
    b.edge(b.gcRoots, holder, "element", 1);
    for (let i = 0; i < 60; i++) {
      const n = b.node(i % 7 === 0 ? "array" : "object", names[i % names.length]!);
      // "Quux" and "Bar2" are strings (edge names) but no object's class.
      b.edge(holder, n, "property", i % 2 === 0 ? "Quux" : "Bar2");
    }
    b.node("closure", "Foo"); // a closure named Foo: its class is Function, not Foo
    const fresh = graphOf(b);
    fresh.classes();
    const parts = fresh.classParts()!;
    const S = fresh.strings.length;
    // The table against a plain computation: every id below S that a node has, by hash then id.
    const ids = [...new Set(fresh.classes().nodeClass)].filter((c) => c < S);
    const plain = ids.map((id) => [classNameHash(fresh.strings.get(id)), id] as const).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    expect([...parts.named!]).toEqual(plain.flat());
    expect([...namedClassTable(fresh.classes().nodeClass, S, (id) => fresh.strings.get(id))]).toEqual(plain.flat());

    const select = (g: typeof fresh, t: string): number[] | string => {
      try {
        return selectNodes(g, { types: [t] }).ordinals;
      } catch (e) {
        return (e as Error).message;
      }
    };
    const asked = [...names, "Holder", "Function", "Quux", "Bar2", "Nothing", ""];
    const stored = graphOf(b);
    stored.useStoredIndexes({ classes: () => parts });
    for (const t of asked) expect(select(stored, t), t).toEqual(select(graphOf(b), t));
    expect((select(stored, "Foo") as number[]).length).toBe(8); // 10 named Foo, of which 2 arrays

    // A pair whose hash is Foo's but whose string is another class's name: checked, not taken.
    const bar = stored.classIdsOfName("Bar")[0]!;
    const forged = [...plain, [classNameHash("Foo"), bar] as const].sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    const collided = graphOf(b);
    collided.useStoredIndexes({ classes: () => ({ ...parts, named: Uint32Array.from(forged.flat()) }) });
    expect(collided.classIdsOfName("Foo")).toEqual(stored.classIdsOfName("Foo"));
    for (const t of asked) expect(select(collided, t), t).toEqual(select(graphOf(b), t));
  });
});

describe("classes split by where their constructor is defined, through a stored class index", () => {
  it("selects what a fresh graph selects, in node order, whether the name table finds the name or not", async () => {
    const { selectNodes, nodesOfClasses, nodesOfClassesOrNamed, classIdsNamed, classIdsByTable } =
      await import("../../src/query/select.js");
    const { SnapshotBuilder } = await import("../helpers/snapshot-builder.js");
    const { graphOf } = await import("../helpers/load.js");
    const b = new SnapshotBuilder();
    const holder = b.node("object", "Holder");
    b.edge(b.gcRoots, holder, "element", 1);
    for (let i = 0; i < 90; i++) {
      // "Split" objects all have a location (no node's class is the string "Split"); "Item"s have
      // one, another or none; "Plain"s have none.
      const name = i % 3 === 0 ? "Split" : i % 3 === 1 ? "Item" : "Plain";
      const n = b.node("object", name);
      b.edge(holder, n, "element", i);
      if (name === "Split") b.location(n, 7 + (i % 2), 3, 8);
      if (name === "Item" && i % 4 !== 1) b.location(n, 9, i % 4, 0);
    }
    const fresh = graphOf(b);
    fresh.classes();
    const parts = fresh.classParts()!;
    const S = fresh.strings.length;
    const naive = (types: string[]): number[] =>
      Array.from({ length: fresh.nodeCount }, (_, n) => n).filter((n) => types.includes(fresh.className(n)));
    const stored = graphOf(b);
    stored.useStoredIndexes({ classes: () => parts });
    // The name table has no pair for "Split": only the class column can tell.
    expect(classIdsByTable(stored, ["Split"]).unresolved).toEqual(["Split"]);
    expect(classIdsByTable(stored, ["Item"]).unresolved).toEqual([]);
    for (const types of [["Split"], ["Item"], ["Split", "Item"], ["Split", "Plain", "Holder"], ["Split", "Nothing"]]) {
      const want = naive(types);
      expect(want.length, types.join()).toBeGreaterThan(0);
      expect(selectNodes(stored, { types }).ordinals, types.join()).toEqual(want);
      const { ids, unresolved } = classIdsByTable(stored, types);
      expect(nodesOfClassesOrNamed(stored, ids, unresolved), types.join()).toEqual(want);
      expect(Array.from(nodesOfClasses(stored.classes().nodeClass, classIdsNamed(stored, types))), types.join()).toEqual(want);
    }
    // With ids as well: the matches and the id's object, once each, in node order.
    const extra = naive(["Plain"])[3]!;
    const split = naive(["Split"]);
    expect(selectNodes(stored, { types: ["Split"], ids: [stored.nodeId(split[2]!), stored.nodeId(extra)] }).ordinals).toEqual(
      [...split, extra].sort((x, y) => x - y),
    );

    // A table that lacks the pair of a class some nodes have (the "Item"s without a location):
    // the name is looked for in the class column, and those objects are still found.
    const itemId = fresh.strings.indicesOf("Item").find((id) => fresh.classes().nodeClass.includes(id))!;
    const pairs: number[] = [];
    for (let k = 0; k < parts.named!.length; k += 2) if (parts.named![k + 1] !== itemId) pairs.push(parts.named![k]!, parts.named![k + 1]!);
    expect(pairs.length).toBe(parts.named!.length - 2);
    const lacking = graphOf(b);
    lacking.useStoredIndexes({ classes: () => ({ ...parts, named: Uint32Array.from(pairs) }) });
    expect(classIdsByTable(lacking, ["Item"]).unresolved).toEqual(["Item"]);
    expect(itemId).toBeLessThan(S);
    for (const types of [["Item"], ["Item", "Split"]]) expect(selectNodes(lacking, { types }).ordinals, types.join()).toEqual(naive(types));
  });
});
