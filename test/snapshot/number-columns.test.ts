import { describe, expect, it } from "vitest";
import { SnapshotFormatError } from "../../src/errors.js";
import { readMeta, type SnapshotMeta } from "../../src/snapshot/meta.js";
import { NumberColumnsReader, NumberSection } from "../../src/snapshot/number-columns.js";

/** A header with Node 20's seven node fields and three edge fields, for `nodes` nodes and `edges` edges. */
function meta(nodes: number, edges: number): SnapshotMeta {
  return readMeta(
    {
      meta: {
        node_fields: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
        node_types: [["hidden", "object", "synthetic"], "string", "number"],
        edge_fields: ["type", "name_or_index", "to_node"],
        edge_types: [["context", "element", "property", "internal", "hidden", "shortcut", "weak"], "string_or_number", "node"],
        location_fields: ["object_index", "script_id", "line", "column"],
      },
      node_count: nodes,
      edge_count: edges,
    },
    0,
  );
}

/** Feeds `text` (what follows the array's '[') in chunks of `size`; returns where the reader stopped. */
function feed(r: NumberColumnsReader, text: string, size: number): number {
  const data = Buffer.from(text);
  let stop = -1;
  for (let at = 0; at < data.length && stop < 0; at += size) {
    const chunk = data.subarray(at, at + size);
    const end = r.scan(chunk, 0, at);
    if (r.done) stop = at + end;
    else expect(end).toBe(chunk.length);
  }
  return stop;
}

function formatError(fn: () => unknown): SnapshotFormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SnapshotFormatError);
    return e as SnapshotFormatError;
  }
  throw new Error("expected a SnapshotFormatError");
}

// Three nodes: the root (2 edges), an object (1 edge), a string (none).
const NODES = "2,0,1,0,2,0,0, 1,1,3,40,1,0,1,\n 1,2,5,4294967295,0,0,300]";
// root -shortcut "x"(3)-> node 1; root -element 7-> node 2; node 1 -property "y"(4)-> node 2
const EDGES = "5,3,7,1,7,14,2,4,14]";

describe("NumberColumnsReader", () => {
  it("reads nodes into columns, in any chunking and with or without a size hint", () => {
    for (const size of [1, 2, 3, 7, 1000]) {
      for (const sizeHint of [0, 1 << 20]) {
        const r = new NumberColumnsReader(NumberSection.Nodes, meta(3, 3), sizeHint, 0);
        expect(feed(r, NODES + " tail", size)).toBe(NODES.length);
        const c = r.nodes!;
        expect(Array.from(c.type)).toEqual([2, 1, 1]);
        expect(Array.from(c.name)).toEqual([0, 1, 2]);
        expect(Array.from(c.id)).toEqual([1, 3, 5]);
        expect(Array.from(c.selfSize!)).toEqual([0, 40, 4294967295]);
        expect(Array.from(c.firstEdge)).toEqual([0, 2, 3, 3]);
        expect(Array.from(c.detachedness!)).toEqual([0, 1, 255]); // clamped to a byte
        expect(c.maxStringRef).toBe(2);
      }
    }
  });

  it("reads edges with to_node offsets turned into ordinals; element and hidden names are not string references", () => {
    for (const size of [1, 4, 1000]) {
      const r = new NumberColumnsReader(NumberSection.Edges, meta(3, 3), 0, 0);
      expect(feed(r, EDGES, size)).toBe(EDGES.length);
      const c = r.edges!;
      expect(Array.from(c.type)).toEqual([5, 1, 2]);
      expect(Array.from(c.name)).toEqual([3, 7, 4]);
      expect(Array.from(c.to)).toEqual([1, 2, 2]);
      expect(c.maxStringRef).toBe(4); // 7 is an element index
    }
  });

  it("keeps locations as one flat column, growing past its first allocation", () => {
    const values = Array.from({ length: 3000 }, (_, i) => (i * 7919) % 100003);
    for (const size of [5, 4096]) {
      const r = new NumberColumnsReader(NumberSection.Locations, null, 0, 0);
      feed(r, values.join(",") + "]", size);
      expect(Array.from(r.locations!)).toEqual(values);
    }
    const empty = new NumberColumnsReader(NumberSection.Locations, null, 0, 0);
    feed(empty, " ]", 1);
    expect(empty.locations!.length).toBe(0);
  });

  it("checks the header's counts before allocating", () => {
    expect(formatError(() => new NumberColumnsReader(NumberSection.Nodes, meta(2 ** 32, 0), 0, 9)).message).toMatch(/too large to hold/);
    const e = formatError(() => new NumberColumnsReader(NumberSection.Edges, meta(1, 2 ** 31), 0, 9));
    expect([e.section, e.offset]).toEqual(["edges", 9]);
  });

  it("rejects what does not fit the header or is not a whole number below 2^32, at the offending byte", () => {
    const cases: Array<[NumberSection, string, RegExp]> = [
      [NumberSection.Nodes, NODES.replace("]", ",0]"), /more values than the header announces/],
      [NumberSection.Nodes, "2,0,1,0,2,0,0]", /found 7 values but the header announces node_count × 7 = 21/],
      [NumberSection.Nodes, NODES.replace("2,0,1,0,2,", "2,0,1,0,9,"), /edge counts add up to more than edge_count 3/],
      [NumberSection.Nodes, NODES.replace("2,0,1,0,2,", "2,0,1,0,1,"), /edge counts add up to 2 but the header says edge_count is 3/],
      [NumberSection.Nodes, NODES.replace("2,0,1", "3,0,1"), /node type 3 is not in meta.node_types/],
      [NumberSection.Edges, EDGES.replace("5,3,7", "5,3,8"), /to_node 8 is not a multiple of the node field count 7/],
      [NumberSection.Edges, EDGES.replace("5,3,7", "5,3,21"), /to_node 21 points past the last node \(3 nodes\)/],
      [NumberSection.Edges, EDGES.replace("5,3,7", "7,3,7"), /edge type 7 is not in meta.edge_types/],
      [NumberSection.Edges, EDGES.replace("5,3", "5,-3"), /only whole non-negative numbers/],
      [NumberSection.Edges, EDGES.replace("5,3", "5,3.5"), /only whole non-negative numbers/],
      [NumberSection.Edges, EDGES.replace("5,3", "5,4294967296"), /number 4294967296 is too large/],
      [NumberSection.Edges, EDGES.replace("5,3", "5,,3"), /unexpected ','/],
      [NumberSection.Edges, EDGES.replace("5,3", "5 3"), /expected ',' between numbers/],
      [NumberSection.Edges, EDGES.replace("]", ",]"), /unexpected '\]' after ','/],
      [NumberSection.Locations, '1,"a"]', /unexpected '"' in a list of numbers/],
      [NumberSection.Nodes, NODES.replace("2,0,1", "2,0,-1"), /only whole non-negative numbers/],
      [NumberSection.Locations, "1,-\n2]", /a '-' with no digits after it/],
      [NumberSection.Locations, "1,-]", /unexpected .\]. after .,./],
      [NumberSection.Locations, "1,-2147483649]", /number -2147483649 is too large/],
    ];
    for (const [section, text, want] of cases) {
      for (const size of [1, 1000]) {
        const r = new NumberColumnsReader(section, meta(3, 3), 0, 100);
        const e = formatError(() => feed(r, text, size));
        expect(e.message, text).toMatch(want);
        expect(e.section).toBe(["nodes", "edges", "locations"][section]);
        expect(e.offset).toBeLessThan(text.length);
      }
    }
  });
});
