import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { HeapGraph } from "../../src/graph/heap-graph.js";
import { loadHeapGraph } from "../../src/graph/load.js";
import { classTable } from "../../src/query/summary.js";
import { tempDir } from "../helpers/temp-dir.js";

/** The target of `n`'s first edge of the given type and name, or -1. */
function child(g: HeapGraph, n: number, type: string, name: string | number): number {
  for (let e = g.firstEdge[n]!; e < g.firstEdge[n + 1]!; e++) {
    if (g.edgeTypeName(e) === type && g.edgeName(e) === name) return g.edgeTo(e);
  }
  return -1;
}

/** Objects kept by an object literal's allocation site as its boilerplate (V8 copies it). */
function boilerplates(g: HeapGraph): Set<number> {
  const out = new Set<number>();
  for (let n = 0; n < g.nodeCount; n++) {
    if (g.nodeName(n) !== "system / AllocationSite") continue;
    const b = child(g, n, "internal", "transition_info");
    if (b >= 0) out.add(b);
  }
  return out;
}

describe("plain-object class names in a real Node snapshot", () => {
  let g: HeapGraph;
  const script = join(__dirname, "../../samples/make-shapes-snapshot.cjs");
  beforeAll(async () => {
    const file = join(tempDir("backrefs-shapes-"), "shapes.heapsnapshot");
    execFileSync(process.execPath, [script, file], { stdio: "inherit" });
    g = await loadHeapGraph(file);
  }, 60_000);

  it("names the program's objects after their shapes, with exact counts", () => {
    // globalThis.shapes → its elements, in order
    let shapes = -1;
    for (let e = 0; e < g.edgeCount && shapes < 0; e++) {
      if (g.edgeTypeName(e) === "property" && g.edgeName(e) === "shapes" && g.nodeName(g.edgeTo(e)) === "Array") shapes = g.edgeTo(e);
    }
    expect(shapes).toBeGreaterThan(0);
    const items: number[] = [];
    for (let i = 0; i < 472; i++) items.push(child(g, shapes, "element", i));
    expect(items.every((n) => n > 0)).toBe(true);
    const names = items.map((n) => g.className(n));
    const tally = (list: string[]): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const s of list) out[s] = (out[s] ?? 0) + 1;
      return out;
    };
    expect(tally(names.slice(0, 300))).toEqual({ "{ruleId, message, messageId}": 300 });
    expect(tally(names.slice(300, 420))).toEqual({ "{node, antecedent}": 120 });
    expect(tally(items.slice(300, 420).map((n) => g.className(child(g, n, "property", "node"))))).toEqual({ "{syntaxKind}": 120 });
    // {right, left} is a shape of its own (10 objects), but an object with both properties takes
    // the more common {left, right}; so does the one {left, right, extra}
    expect(tally(names.slice(420, 471))).toEqual({ "{left, right}": 51 });
    expect(g.interfaceDefinitions().some((d) => d.name === "{right, left}")).toBe(true);
    expect(names[471]).toBe("Object"); // {lonely}
    expect(child(g, shapes, "element", 472)).toBe(-1);
  });

  it("counts every object of a shape in the class table: the program's and the literals' boilerplates", () => {
    const table = classTable(g);
    const count = (name: string): number => {
      let c = 0;
      for (let i = 0; i < table.classIds.length; i++) if (g.classNameOf(table.classIds[i]!) === name) c += table.count[i]!;
      return c;
    };
    const extra = (name: string): number => [...boilerplates(g)].filter((n) => g.className(n) === name).length;
    expect(count("{ruleId, message, messageId}")).toBe(300 + extra("{ruleId, message, messageId}"));
    expect(count("{node, antecedent}")).toBe(120 + extra("{node, antecedent}"));
    expect(count("{syntaxKind}")).toBe(120 + extra("{syntaxKind}"));
    expect(count("{left, right}")).toBe(51 + extra("{left, right}"));
    expect(count("{right, left}")).toBe(0);
    expect(count("{lonely}")).toBe(0);
  });

  it("keeps the two classes named Item apart, each at the line that defines it", () => {
    const lines = readFileSync(script, "utf8").split("\n");
    const lineOf = (text: string): number => lines.findIndex((l) => l.startsWith(text));
    const table = classTable(g);
    const rows: Array<[number, number]> = [];
    for (let i = 0; i < table.classIds.length; i++) {
      const id = table.classIds[i]!;
      if (g.classNameOf(id) !== "Item") continue;
      rows.push([g.classLocation(id)?.line ?? -1, table.count[i]!]);
    }
    rows.sort((a, b) => a[0] - b[0]);
    expect(rows).toEqual([
      [lineOf("const FirstItem"), 30],
      [lineOf("const SecondItem"), 20],
    ]);
  });
});
