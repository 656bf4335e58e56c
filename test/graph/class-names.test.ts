import { describe, expect, it } from "vitest";
import { formatPropertyName, objectDisplayName, type InterfaceDefinition } from "../../src/graph/class-names.js";
import { defaultBackrefsOptions, retainerSubgraph, walkContext } from "../../src/query/backrefs.js";
import { retainingPaths } from "../../src/query/paths.js";
import { toDot } from "../../src/render/dot.js";
import { formatPathsText } from "../../src/render/paths-text.js";
import { sameNaming, type HeapGraph } from "../../src/graph/heap-graph.js";
import { diffSnapshots } from "../../src/query/growth.js";
import { selectNodes } from "../../src/query/select.js";
import { classTable } from "../../src/query/summary.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";

/** A plain object with the given property names (in edge order), each pointing at a string. */
function plain(b: SnapshotBuilder, props: string[], opts: { extraEdges?: boolean } = {}): number {
  const o = b.node("object", "Object");
  b.edge(b.gcRoots, o, "element", b.edges.length);
  if (opts.extraEdges) {
    const map = b.node("object shape", "system / Map");
    b.edge(o, map, "internal", "map");
  }
  for (const p of props) b.edge(o, b.node("string", `value of ${p}`), "property", p);
  return o;
}

/** Class name → number of nodes, for the classes of the given nodes. */
function counts(g: HeapGraph, nodes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of nodes) out[g.className(n)] = (out[g.className(n)] ?? 0) + 1;
  return out;
}

describe("plain-object class names", () => {
  it("names shapes shared by two or more objects after their properties", () => {
    const b = new SnapshotBuilder();
    const ab = [plain(b, ["a", "b"]), plain(b, ["a", "b"]), plain(b, ["a", "b"], { extraEdges: true })];
    const c = [plain(b, ["c"]), plain(b, ["c"])];
    const lone = plain(b, ["d"]);
    const empty = plain(b, []);
    const g = graphOf(b);
    expect(counts(g, ab)).toEqual({ "{a, b}": 3 });
    expect(counts(g, c)).toEqual({ "{c}": 2 });
    expect(g.className(lone)).toBe("Object");
    expect(g.className(empty)).toBe("Object");
    expect(g.interfaceDefinitions()).toEqual([
      { name: "{a, b}", properties: ["a", "b"] },
      { name: "{c}", properties: ["c"] },
    ]);
  });

  it("names only object nodes named Object by shape: a native node of that name, and other objects among them, keep their names", () => {
    const b = new SnapshotBuilder();
    const first = plain(b, ["a", "b"]);
    const nativeObject = b.node("native", "Object");
    b.edge(b.gcRoots, nativeObject, "element", b.edges.length);
    b.edge(nativeObject, b.node("string", "x"), "property", "a");
    b.edge(nativeObject, b.node("string", "y"), "property", "b");
    const user = b.node("object", "User");
    b.edge(b.gcRoots, user, "element", b.edges.length);
    const second = plain(b, ["a", "b"]);
    const nativeAgain = b.node("native", "Object");
    b.edge(b.gcRoots, nativeAgain, "element", b.edges.length);
    const third = plain(b, ["b", "a", "c"]);
    const g = graphOf(b);
    expect(counts(g, [first, second, third])).toEqual({ "{a, b}": 3 });
    expect([g.className(nativeObject), g.className(nativeAgain), g.className(user)]).toEqual(["Object", "Object", "User"]);
    // The class table counts each by its class: the two native nodes under `Object`.
    const t = classTable(g);
    const row = (name: string): number => t.count[[...t.classIds].findIndex((id) => g.classNameOf(id) === name)] ?? 0;
    expect([row("{a, b}"), row("Object"), row("User")]).toEqual([3, 2, 1]);
  });

  it("leaves out __proto__ and edges that are not properties", () => {
    const b = new SnapshotBuilder();
    const objs = [0, 1].map(() => {
      const o = plain(b, ["x"]);
      b.edge(o, b.node("object", "Object"), "property", "__proto__");
      b.edge(o, b.node("array", ""), "internal", "elements");
      b.edge(o, b.node("string", "e"), "element", 0);
      return o;
    });
    const g = graphOf(b);
    expect(counts(g, objs)).toEqual({ "{x}": 2 });
  });

  it("only renames objects named Object of type object", () => {
    const b = new SnapshotBuilder();
    const foo = [0, 1].map(() => {
      const o = b.node("object", "Foo");
      b.edge(o, b.node("string", "v"), "property", "a");
      return o;
    });
    const native = [0, 1].map(() => {
      const o = b.node("native", "Object");
      b.edge(o, b.node("string", "v"), "property", "a");
      return o;
    });
    const g = graphOf(b);
    expect(counts(g, foo)).toEqual({ Foo: 2 });
    expect(counts(g, native)).toEqual({ Object: 2 });
  });

  it("gives an object the definition with the most properties it has, the more common one on a tie", () => {
    const b = new SnapshotBuilder();
    // {a, b} x3 and {b, a} x2: both are definitions, {a, b} first; all five have a and b.
    const ab = [0, 1, 2].map(() => plain(b, ["a", "b"]));
    const ba = [0, 1].map(() => plain(b, ["b", "a"]));
    // {a} x4 is the most common definition, but an object with a, b and c has more in common
    // with {a, b}; and {a, b, c} seen once is no definition.
    const a = [0, 1, 2, 3].map(() => plain(b, ["a"]));
    const abc = plain(b, ["c", "a", "b"]);
    // {x, y} x3 before {z, w} x2: an object with all four takes the earlier one.
    const xy = [0, 1, 2].map(() => plain(b, ["x", "y"]));
    const zw = [0, 1].map(() => plain(b, ["z", "w"]));
    const xyzw = plain(b, ["z", "w", "x", "y"]);
    const g = graphOf(b);
    expect(g.interfaceDefinitions().map((d) => d.name)).toEqual(["{a}", "{a, b}", "{x, y}", "{b, a}", "{z, w}"]);
    expect(counts(g, [...xy, xyzw])).toEqual({ "{x, y}": 4 });
    expect(counts(g, zw)).toEqual({ "{z, w}": 2 });
    expect(counts(g, [...ab, ...ba, abc])).toEqual({ "{a, b}": 6 });
    expect(counts(g, a)).toEqual({ "{a}": 4 });
    expect(classTable(g).classIds.some((c) => g.classNameOf(c) === "{b, a}")).toBe(false);
  });

  it("stops adding properties once the name would pass 120 characters, but always takes the first", () => {
    const b = new SnapshotBuilder();
    const p = (c: string): string => c.repeat(50);
    // "{" + 50 = 51; + ", " + 50 = 103; a third would make 155 > 120.
    const objs = [plain(b, [p("a"), p("b"), p("c")]), plain(b, [p("a"), p("b"), p("d")])];
    const long = "x".repeat(300);
    const longObjs = [plain(b, [long, "y"]), plain(b, [long, "y"])];
    const g = graphOf(b);
    expect(counts(g, objs)).toEqual({ [`{${p("a")}, ${p("b")}}`]: 2 });
    expect(counts(g, longObjs)).toEqual({ [`{${long}}`]: 2 });
    // the bound: at most 120 characters plus ", " and "}" once past the first property
    for (const d of g.interfaceDefinitions()) {
      const firstLength = formatPropertyName(d.properties[0]!).length;
      expect(d.name.length).toBeLessThanOrEqual(Math.max(123, firstLength + 2));
    }
  });

  it("quotes property names holding commas, quotes or braces", () => {
    expect(formatPropertyName("plain name")).toBe("plain name");
    expect(formatPropertyName("a,b")).toBe('"a,b"');
    expect(formatPropertyName('say "hi"')).toBe('"say \\"hi\\""');
    expect(formatPropertyName("{x}")).toBe('"{x}"');
    const b = new SnapshotBuilder();
    const objs = [0, 1].map(() => plain(b, ["a,b", "</script>", "c"]));
    const g = graphOf(b);
    expect(counts(g, objs)).toEqual({ '{"a,b", </script>, c}': 2 });
  });

  it("keeps shapes covering less than 1 in 1,000 plain objects as Object", () => {
    const b = new SnapshotBuilder();
    const many = Array.from({ length: 4000 }, () => plain(b, ["k"]));
    const rare = [0, 1, 2].map(() => plain(b, ["r"]));
    const enough = [0, 1, 2, 3, 4].map(() => plain(b, ["e"]));
    const g = graphOf(b);
    // 4,008 plain objects: a shape needs 4.008, so 5 objects
    expect(counts(g, many)).toEqual({ "{k}": 4000 });
    expect(counts(g, rare)).toEqual({ Object: 3 });
    expect(counts(g, enough)).toEqual({ "{e}": 5 });
  });

  it("is selected with --type by its name", () => {
    const b = new SnapshotBuilder();
    const objs = [plain(b, ["ruleId", "message", "messageId"]), plain(b, ["ruleId", "message", "messageId"])];
    const other = plain(b, ["z"]);
    const g = graphOf(b);
    expect(selectNodes(g, { types: ["{ruleId, message, messageId}"] }).ordinals).toEqual(objs);
    expect(selectNodes(g, { types: ["Object"] }).ordinals).toEqual([other]);
  });

  it("names plain objects by another snapshot's definitions when told to", () => {
    const b = new SnapshotBuilder();
    const objs = [plain(b, ["a", "b"]), plain(b, ["a", "b"]), plain(b, ["a"])];
    const g = graphOf(b);
    expect(counts(g, objs)).toEqual({ "{a, b}": 2, Object: 1 });
    const given: InterfaceDefinition[] = [{ name: "{a}", properties: ["a"] }];
    g.useInterfaceDefinitions(given);
    expect(counts(g, objs)).toEqual({ "{a}": 3 });
    expect(g.interfaceDefinitions()).toEqual(given);
    g.useInterfaceDefinitions(null);
    expect(counts(g, objs)).toEqual({ "{a, b}": 2, Object: 1 });
  });
});

describe("plain-object names in a comparison", () => {
  it("names the earlier snapshot's objects by the later one's shapes", () => {
    const build = (k: number): HeapGraph => {
      const b = new SnapshotBuilder();
      for (let i = 0; i < 3; i++) plain(b, ["other"]);
      for (let i = 0; i < k; i++) plain(b, ["a", "b"]);
      return graphOf(b);
    };
    const before = build(1);
    const after = build(3);
    expect(before.className(before.nodeCount - 3)).toBe("Object"); // one {a, b} alone is no shape
    const diff = diffSnapshots({ graph: before }, { graph: after });
    const row = (name: string) => diff.classes.find((c) => c.className === name);
    expect(row("{a, b}")).toMatchObject({ countBefore: 1, countAfter: 3, delta: 2 });
    expect(row("Object")).toBeUndefined();
    // and the earlier graph keeps its own names afterwards
    expect(before.className(before.nodeCount - 3)).toBe("Object");
  });

  it("keeps the earlier snapshot's class index when the later one's shapes name every object alike", () => {
    // Shapes of different lengths in another order (their counts swapped): the same names.
    let both = -1;
    const build = (ab: number, xyz: number): HeapGraph => {
      const b = new SnapshotBuilder();
      for (let i = 0; i < ab; i++) plain(b, ["a", "b"]);
      for (let i = 0; i < xyz; i++) plain(b, ["x", "y", "z"]);
      both = plain(b, ["a", "b", "x", "y", "z"]);
      return graphOf(b);
    };
    const before = build(3, 4);
    const last = both;
    const after = build(5, 2);
    expect(before.interfaceDefinitions().map((d) => d.name)).toEqual(["{x, y, z}", "{a, b}"]);
    expect(after.interfaceDefinitions().map((d) => d.name)).toEqual(["{a, b}", "{x, y, z}"]);
    const index = before.classes();
    let inside: ReturnType<HeapGraph["classes"]> | null = null;
    before.withInterfaceDefinitions(after.interfaceDefinitions(), () => (inside = before.classes()));
    expect(inside).toBe(index);
    // The object holding both shapes takes the longer one either way.
    expect(before.className(last)).toBe("{x, y, z}");
  });

  it("names the earlier snapshot's objects again when the order of shapes of one length differs", () => {
    // {a, b} and {x, y} both fit the last object: the earlier one in the list names it.
    let both = -1;
    const build = (ab: number, xy: number): HeapGraph => {
      const b = new SnapshotBuilder();
      for (let i = 0; i < ab; i++) plain(b, ["a", "b"]);
      for (let i = 0; i < xy; i++) plain(b, ["x", "y"]);
      both = plain(b, ["a", "b", "x", "y"]);
      return graphOf(b);
    };
    const before = build(3, 4);
    const last = both;
    const after = build(5, 2);
    expect(before.className(last)).toBe("{x, y}");
    const named = before.withInterfaceDefinitions(after.interfaceDefinitions(), () => before.className(last));
    expect(named).toBe("{a, b}");
    expect(sameNaming(before.interfaceDefinitions(), after.interfaceDefinitions())).toBe(false);
  });
});

describe("sameNaming", () => {
  const d = (...properties: string[]): InterfaceDefinition => ({ name: `{${properties.join(", ")}}`, properties });
  it("tells lists that name every object alike", () => {
    expect(sameNaming([d("a"), d("b", "c")], [d("b", "c"), d("a")])).toBe(true);
    expect(sameNaming([d("a"), d("b", "c"), d("d")], [d("b", "c"), d("a"), d("d")])).toBe(true);
    expect(sameNaming([], [])).toBe(true);
  });
  it("tells lists that may name an object differently", () => {
    expect(sameNaming([d("a"), d("d")], [d("d"), d("a")])).toBe(false); // one length, other order
    expect(sameNaming([d("a"), d("b", "c")], [d("a")])).toBe(false);
    expect(sameNaming([d("a"), d("b", "c")], [d("a"), d("c", "b")])).toBe(false);
    expect(sameNaming([d("a")], [{ name: "{A}", properties: ["a"] }])).toBe(false);
  });
});

describe("DOM class names", () => {
  it("shortens `Detached <tag …>` names as DevTools does", () => {
    const b = new SnapshotBuilder();
    const raw = b.node("native", 'Detached <div class="x">');
    const attached = b.node("native", '<li id="a">', { detachedness: 1 });
    const detached = b.node("native", '<li id="b">', { detachedness: 2 });
    const text = b.node("native", "Text", { detachedness: 2 });
    const date = b.node("object", "Date");
    const plainDiv = b.node("native", "<div>");
    const attrDiv = b.node("native", '<div id="z">');
    const g = graphOf(b);
    expect(g.classes().nodeClass[plainDiv]).toBe(g.classes().nodeClass[attrDiv]);
    expect(g.className(plainDiv)).toBe("<div>");
    expect(selectNodes(g, { types: ["<div>"] }).ordinals).toEqual([plainDiv, attrDiv]);
    expect(g.className(raw)).toBe("Detached <div>");
    expect(g.className(attached)).toBe("<li>");
    expect(g.className(detached)).toBe("Detached <li>");
    expect(g.className(text)).toBe("Detached Text");
    expect(g.className(date)).toBe("Date");
  });
});

// ------------------------------------------------------------------ against a plain reimplementation

/**
 * DevTools' rules written the obvious way, with strings: a name per object, a count per name, and
 * for each object a scan of every definition.
 */
function referenceNames(objects: string[][]): string[] {
  const candidates = new Map<string, { properties: string[]; count: number; order: number }>();
  for (const props of objects) {
    let name = "{";
    const used: string[] = [];
    for (const p of props) {
      if (p === "__proto__") continue;
      const f = formatPropertyName(p);
      if (name.length > 1 && name.length + f.length > 120) break;
      if (name.length !== 1) name += ", ";
      name += f;
      used.push(p);
    }
    if (used.length === 0) continue;
    name += "}";
    const c = candidates.get(name);
    if (c) c.count++;
    else candidates.set(name, { properties: used, count: 1, order: candidates.size });
  }
  const min = Math.max(2, objects.length / 1000);
  const defs = [...candidates].filter(([, c]) => c.count >= min).sort((x, y) => y[1].count - x[1].count || x[1].order - y[1].order);
  return objects.map((props) => {
    const have = new Set(props);
    let best = "Object";
    let bestCount = 0;
    for (const [name, c] of defs) {
      const need = new Set(c.properties);
      if ([...need].every((p) => have.has(p)) && need.size > bestCount) {
        best = name;
        bestCount = need.size;
      }
    }
    return best;
  });
}

describe("plain-object names against a plain reimplementation", () => {
  it("agree on random heaps", () => {
    let seed = 12345;
    const rand = (k: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % k;
    };
    const vocabulary = ["a", "b", "c", "d", "e", "id", "name", "x,y", "__proto__", "q".repeat(45), "w".repeat(70), ""];
    for (let round = 0; round < 30; round++) {
      const b = new SnapshotBuilder();
      const shapes = Array.from({ length: 1 + rand(6) }, () => {
        const props: string[] = [];
        const k = rand(5);
        for (let i = 0; i < k; i++) {
          const p = vocabulary[rand(vocabulary.length)]!;
          if (!props.includes(p)) props.push(p);
        }
        return props;
      });
      const objects: string[][] = [];
      const ordinals: number[] = [];
      const total = 1 + rand(40);
      for (let i = 0; i < total; i++) {
        let props = shapes[rand(shapes.length)]!;
        // now and then an object with two shapes' properties (two definitions may tie on it)
        if (rand(4) === 0) props = [...new Set([...props, ...shapes[rand(shapes.length)]!])];
        objects.push(props);
        ordinals.push(plain(b, props));
      }
      const g = graphOf(b);
      expect(
        ordinals.map((n) => g.className(n)),
        `round ${round}: ${JSON.stringify(shapes)}`,
      ).toEqual(referenceNames(objects));
    }
  });
});

describe("same-named constructors from different places", () => {
  it("are kept apart by the location of their constructor, as DevTools keys its classes", () => {
    const b = new SnapshotBuilder();
    const a = [0, 1, 2].map(() => b.location(b.node("object", "Item", { selfSize: 10 }), 7, 3, 8).nodes.length - 1);
    const c = [0, 1].map(() => b.location(b.node("object", "Item", { selfSize: 20 }), 9, 0, 0).nodes.length - 1);
    const bare = b.node("object", "Item", { selfSize: 30 });
    const fn = b.location(b.node("closure", "run"), 7, 10, 2).nodes.length - 1;
    const g = graphOf(b);
    const ids = (list: number[]): Set<number> => new Set(list.map((n) => g.classes().nodeClass[n]!));
    expect(ids(a).size).toBe(1);
    expect(ids(c).size).toBe(1);
    const [ia] = ids(a);
    const [ic] = ids(c);
    const ib = g.classes().nodeClass[bare]!;
    expect(new Set([ia, ic, ib]).size).toBe(3);
    for (const n of [...a, ...c, bare]) expect(g.className(n)).toBe("Item");
    expect(g.classLocation(ia!)).toEqual({ scriptId: 7, line: 3, column: 8 });
    expect(g.classLocation(ic!)).toEqual({ scriptId: 9, line: 0, column: 0 });
    expect(g.classLocation(ib)).toBeNull();
    // functions are not split (DevTools: one class per function would be one object each)
    expect(g.className(fn)).toBe("Function");
    expect(g.classLocation(g.classes().nodeClass[fn]!)).toBeNull();
    // one name for --type, three rows in the class table, one group per name
    expect(selectNodes(g, { types: ["Item"] }).ordinals).toEqual([...a, ...c, bare]);
    const t = classTable(g);
    const rows = [...t.classIds].map((id, i) => [g.classNameOf(id), t.count[i], g.classLocation(id)?.scriptId ?? null]);
    expect(rows.filter((r) => r[0] === "Item")).toEqual(
      expect.arrayContaining([
        ["Item", 3, 7],
        ["Item", 2, 9],
        ["Item", 1, null],
      ]),
    );
    const groups = g.classNameGroups();
    expect(groups[ia!]).toBe(ib);
    expect(groups[ic!]).toBe(ib);
  });

  it("are kept apart at a negative column too (code compiled with a negative column offset)", () => {
    const b = new SnapshotBuilder();
    const x = b.location(b.node("object", "Item"), 236, 0, -196).nodes.length - 1;
    const y = b.location(b.node("object", "Item"), 236, 0, 196).nodes.length - 1;
    const z = b.location(b.node("object", "Item"), 236, -1, -196).nodes.length - 1;
    const g = graphOf(b);
    const ids = [x, y, z].map((n) => g.classes().nodeClass[n]!);
    expect(new Set(ids).size).toBe(3);
    expect(ids.map((c) => g.classLocation(c))).toEqual([
      { scriptId: 236, line: 0, column: -196 },
      { scriptId: 236, line: 0, column: 196 },
      { scriptId: 236, line: -1, column: -196 },
    ]);
  });

  it("use a node's last location, and ignore rows that name no node", () => {
    const b = new SnapshotBuilder();
    const x = b.node("object", "X");
    const y = b.node("object", "X");
    b.location(x, 1, 1, 1).location(x, 2, 2, 2).location(y, 2, 2, 2);
    b.locations.push([1000, 5, 5, 5]); // past the last node
    const g = graphOf(b);
    expect(g.classes().nodeClass[x]).toBe(g.classes().nodeClass[y]);
    expect(g.classLocation(g.classes().nodeClass[x]!)).toEqual({ scriptId: 2, line: 2, column: 2 });
  });

  it("are totalled per name without counting an object twice", async () => {
    const { HeapAnalysis } = await import("../../src/graph/analysis.js");
    const b = new SnapshotBuilder();
    // (GC roots) → Item@A → Item@B: A dominates B
    const outer = b.location(b.node("object", "Item", { selfSize: 100 }), 1, 0, 0).nodes.length - 1;
    const inner = b.location(b.node("object", "Item", { selfSize: 10 }), 2, 0, 0).nodes.length - 1;
    b.edge(b.gcRoots, outer, "element", 1).edge(outer, inner, "property", "next");
    const g = graphOf(b);
    const analysis = new HeapAnalysis(g);
    const perClass = analysis.classRetainedSizes();
    const { nodeClass } = g.classes();
    expect(perClass[nodeClass[outer]!]).toBe(110);
    expect(perClass[nodeClass[inner]!]).toBe(10);
    const groups = g.classNameGroups();
    const perName = analysis.classRetainedSizes(undefined, groups);
    expect(perName[groups[nodeClass[outer]!]!]).toBe(110);
  });
});

describe("an object's own name, as DevTools lists it", () => {
  it("names a plain object by its own properties, whatever its class, __proto__ and other edges left out", () => {
    const b = new SnapshotBuilder();
    const lone = plain(b, ["requestCache", "configBus", "logger"]);
    const odd = b.node("object", "Object");
    b.edge(b.gcRoots, odd, "element", 99);
    b.edge(odd, b.node("object", "Object"), "property", "__proto__");
    b.edge(odd, b.node("string", "x"), "property", "a");
    b.edge(odd, b.node("object shape", "system / Map"), "internal", "map");
    b.edge(odd, b.node("string", "y"), "property", "b,c");
    const shaped = [plain(b, ["left", "right"]), plain(b, ["left", "right"]), plain(b, ["left", "right", "extra"])];
    const empty = plain(b, []);
    const notPlain = b.node("object", "Item");
    b.edge(notPlain, b.node("string", "z"), "property", "a");
    const g = graphOf(b);
    expect(g.className(lone)).toBe("Object");
    expect(objectDisplayName(g, lone)).toBe("{requestCache, configBus, logger}");
    expect(objectDisplayName(g, odd)).toBe('{a, "b,c"}');
    // Objects of a {…} class keep their own full list.
    expect(shaped.map((n) => g.className(n))).toEqual(["{left, right}", "{left, right}", "{left, right}"]);
    expect(objectDisplayName(g, shaped[2]!)).toBe("{left, right, extra}");
    expect(objectDisplayName(g, empty)).toBe("{}");
    expect(objectDisplayName(g, notPlain)).toBeUndefined();
  });

  it("keeps the first and the last properties of a long list and leaves out the middle, at about 100 characters", () => {
    const b = new SnapshotBuilder();
    const names = Array.from({ length: 20 }, (_, i) => `prop${String(i).padStart(6, "0")}`);
    const o = plain(b, names);
    const one = plain(b, ["x".repeat(150)]);
    const g = graphOf(b);
    // Taken in turn from each end while the name stays within 100 characters: four from each.
    const expected = `{${names.slice(0, 4).join(", ")}, ..., ${names.slice(16).join(", ")}}`;
    expect(objectDisplayName(g, o)).toBe(expected);
    expect(expected.length).toBeLessThanOrEqual(110);
    // The first property always goes in, however long.
    expect(objectDisplayName(g, one)).toBe(`{${"x".repeat(150)}}`);
  });

  it("rebuilds a concatenated string's text from its parts", () => {
    const b = new SnapshotBuilder();
    const inner = b.node("concatenated string", "(concatenated string)");
    b.edge(inner, b.node("string", "wor"), "internal", "first").edge(inner, b.node("string", "ld"), "internal", "second");
    const outer = b.node("concatenated string", "(concatenated string)");
    b.edge(b.gcRoots, outer, "element", 7);
    b.edge(outer, b.node("string", "Hello, "), "internal", "first").edge(outer, inner, "internal", "second");
    const g = graphOf(b);
    expect(objectDisplayName(g, outer)).toBe("Hello, world");
  });

  it("shows in pictures and retaining paths where the class says only Object", () => {
    const b = new SnapshotBuilder();
    const global = b.node("object", "global");
    b.edge(b.root, global, "shortcut", "global");
    const holder = b.node("object", "Object");
    b.edge(global, holder, "property", "app");
    const target = b.node("object", "Leaky");
    b.edge(holder, target, "property", "requestCache").edge(holder, b.node("string", "bus"), "property", "configBus");
    const g = graphOf(b);
    const ctx = walkContext(g);
    const sub = retainerSubgraph(g, ctx, [target], defaultBackrefsOptions);
    const node = sub.nodes.find((n) => n.id === g.nodeId(holder))!;
    expect(node.className).toBe("Object");
    expect(node.name).toBe("Object");
    expect(node.displayName).toBe("{requestCache, configBus}");
    expect(toDot(sub)).toContain("{requestCache, configBus}");
    const text = formatPathsText(retainingPaths(g, ctx, [target]));
    expect(text).toContain(`Object {requestCache, configBus} @${g.nodeId(holder)}`);
  });
});

describe("same-named constructors in comparisons", () => {
  /**
   * One process's heap: `outer` Items made by one script (each holding one inner Item made by
   * another), and `bare` Items without a location; ids are kept from snapshot to snapshot.
   */
  function heap(outer: number, bare: number): SnapshotBuilder {
    const b = new SnapshotBuilder();
    for (let i = 0; i < outer; i++) {
      const o = b.node("object", "Item", { id: 1001 + 4 * i, selfSize: 100 });
      const inner = b.node("object", "Item", { id: 1003 + 4 * i, selfSize: 10 });
      b.location(o, 7, 3, 8).location(inner, 9, 0, 4);
      b.edge(b.gcRoots, o, "element", i).edge(o, inner, "property", "inner");
    }
    for (let i = 0; i < bare; i++) b.edge(b.gcRoots, b.node("object", "Item", { id: 5001 + 2 * i, selfSize: 30 }), "element", 1000 + i);
    return b;
  }

  it("diff and leaks key them apart as types does; check's limits total them per name", async () => {
    const { HeapAnalysis } = await import("../../src/graph/analysis.js");
    const { findLeaks } = await import("../../src/query/growth.js");
    const { checkLimits } = await import("../../src/query/check.js");
    const { SnapshotIds } = await import("../../src/query/id-trust.js");
    const g1 = graphOf(heap(2, 1));
    const g2 = graphOf(heap(5, 1));
    const side = (g: HeapGraph) => ({ graph: g, analysis: new HeapAnalysis(g) });
    const d = diffSnapshots(side(g1), side(g2));
    const items = d.classes.filter((c) => c.className === "Item");
    const at = (script: number | null) => items.find((c) => (c.location?.scriptId ?? null) === script)!;
    expect(items).toHaveLength(3);
    expect(at(7)).toMatchObject({ location: { scriptId: 7, line: 3, column: 8 }, countBefore: 2, countAfter: 5, new: 3, delta: 3 });
    expect(at(9)).toMatchObject({ location: { scriptId: 9, line: 0, column: 4 }, countBefore: 2, countAfter: 5, new: 3 });
    expect(at(null)).toMatchObject({ countBefore: 1, countAfter: 1, delta: 0 });
    expect(at(null).location).toBeUndefined();
    // Retained per row: an outer Item retains its inner one (110 bytes each), the inner ones 10.
    expect(at(7).retainedSizeAfter).toBe(5 * 110);
    expect(at(9).retainedSizeAfter).toBe(5 * 10);
    // Per name (as a check limit names a class): one row, the outer Items' retained size counted once.
    const byName = diffSnapshots(side(g1), side(g2), { byName: true }).classes.filter((c) => c.className === "Item");
    expect(byName).toHaveLength(1);
    expect(byName[0]).toMatchObject({ countBefore: 5, countAfter: 11, delta: 6, retainedSizeAfter: 5 * 110 + 30 });
    const verdict = checkLimits(side(g2), { maxGrowth: { Item: 5 } }, { baseline: { ...side(g1), ids: SnapshotIds.of(g1) } });
    expect(verdict.violations).toEqual([expect.objectContaining({ className: "Item", what: "growth", actual: 6, limit: 5 })]);
    // The three-snapshot method: the leaked Items of each script are a group of their own.
    const leaks = findLeaks(SnapshotIds.of(g1), SnapshotIds.of(g2), side(g2));
    const leaked = leaks.groups.filter((g) => g.className === "Item");
    expect(leaked.map((g) => [g.location?.scriptId, g.count, g.retainedSize])).toEqual([
      [7, 3, 3 * 110],
      [9, 3, 3 * 10],
    ]);
  });
});
