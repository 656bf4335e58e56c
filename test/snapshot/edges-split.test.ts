/**
 * Reading the edges array in two parts (edges-split.ts): the worker's head part up to a ',' and the
 * main thread's end part after it, joined, must give exactly what one reader of the whole array
 * gives — the same columns, or the same error at the same offset — wherever the ',' is and however
 * the array is written. And the fast paths of the number reader (whole rows at once) must read
 * exactly what the byte-by-byte loop reads.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SnapshotFormatError } from "../../src/errors.js";
import { readMeta, type SnapshotMeta } from "../../src/snapshot/meta.js";
import { NumberColumnsReader, NumberSection } from "../../src/snapshot/number-columns.js";
import {
  commaAtOrAfter,
  findEdgesEnd,
  findEdgesStart,
  joinEdges,
  probeBlock,
  readTailGuess,
  type ReadAt,
} from "../../src/snapshot/edges-split.js";
import type { EdgeColumns } from "../../src/snapshot/columns.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import type { WorkerReport } from "../../src/threads.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

const NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"];
const EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];

function meta(nodes: number, edges: number): SnapshotMeta {
  return readMeta(
    {
      meta: {
        node_fields: NODE_FIELDS,
        node_types: [["hidden", "object", "synthetic"], "string", "number"],
        edge_fields: ["type", "name_or_index", "to_node"],
        edge_types: [EDGE_TYPES, "string_or_number", "node"],
      },
      node_count: nodes,
      edge_count: edges,
    },
    0,
  );
}

/** A small pseudo-random generator, so that every run tests the same arrays. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** `rows` edge rows (type, name, to_node offset) among `nodes` nodes of 7 fields. */
function edgeRows(rows: number, nodes: number, seed: number): number[][] {
  const r = random(seed);
  const out: number[][] = [];
  for (let k = 0; k < rows; k++) {
    const big = r() < 0.1;
    out.push([Math.floor(r() * 7), big ? Math.floor(r() * 4294967295) : Math.floor(r() * 1000), Math.floor(r() * nodes) * 7]);
  }
  return out;
}

/** Ways of writing the array's text (after its '['). */
const WRITERS: Record<string, (rows: number[][]) => string> = {
  v8: (rows) => rows.map((x) => x.join(",")).join("\n,") + "]",
  "comma-newline": (rows) => rows.map((x) => x.join(",")).join(",\n") + "]",
  "one line": (rows) => rows.map((x) => x.join(",")).join(",") + "]",
  spaced: (rows) => rows.map((x) => x.join(" ,  ")).join(" , \r\n\t ") + " ]",
};

type Outcome = { type: number[]; name: number[]; to: number[]; maxStringRef: number } | { error: string; offset: number };

function outcome(run: () => EdgeColumns | Promise<EdgeColumns>): Promise<Outcome> {
  return Promise.resolve()
    .then(run)
    .then(
      (c) => ({ type: Array.from(c.type), name: Array.from(c.name), to: Array.from(c.to), maxStringRef: c.maxStringRef }),
      (e: unknown) => {
        expect(e).toBeInstanceOf(SnapshotFormatError);
        return { error: (e as SnapshotFormatError).problem, offset: (e as SnapshotFormatError).offset };
      },
    );
}

/** One reader, the whole text (which starts just after the '[' at offset `open`) in chunks of `size`. */
function oneReader(m: SnapshotMeta, data: Buffer, open: number, size: number): EdgeColumns {
  const r = new NumberColumnsReader(NumberSection.Edges, m, 1 << 30, open);
  for (let at = 0; at < data.length && !r.done; at += size) r.scan(data.subarray(at, at + size), 0, open + 1 + at);
  if (!r.done) throw new SnapshotFormatError("the file ends too early (truncated?)", open + 1 + data.length, "edges");
  return r.edges!;
}

/** The worker's part up to the ',' at `x` and this thread's after it, joined. */
async function twoParts(m: SnapshotMeta, data: Buffer, open: number, x: number): Promise<{ edges: EdgeColumns; join: string }> {
  // Offsets are the file's: the text starts at open + 1.
  const readAt: ReadAt = async (buf, length, position) => {
    const from = position - (open + 1);
    const part = data.subarray(from, from + length);
    buf.set(part);
    return part.length;
  };
  const end = open + 1 + data.indexOf(93);
  const head = new NumberColumnsReader(NumberSection.Edges, m, 1 << 30, open);
  const upTo = x - (open + 1) + 1;
  for (let at = 0; at < upTo; at += 1000) head.scan(data.subarray(at, Math.min(upTo, at + 1000)), 0, open + 1 + at);
  const guess = await readTailGuess(m, x, end, readAt);
  return joinEdges(m, { columns: head.edgeColumns!, state: head.state() }, guess, x, end, readAt);
}

describe("the edges array read in two parts", () => {
  for (const [name, write] of Object.entries(WRITERS)) {
    it(`gives one reader's columns wherever the split is (${name})`, async () => {
      const m = meta(50, 40);
      const data = Buffer.from(write(edgeRows(40, 50, 7)));
      const open = 1000;
      const one = await outcome(() => oneReader(m, data, open, data.length));
      expect(one).not.toHaveProperty("error");
      const joins = new Set<string>();
      for (let k = 0; k < data.length; k++) {
        if (data[k] !== 44) continue;
        const x = open + 1 + k;
        const two = await outcome(async () => {
          const r = await twoParts(m, data, open, x);
          joins.add(r.join);
          return r.edges;
        });
        expect(two, `split at the ',' at ${x}`).toEqual(one);
      }
      // Rows placed as guessed where the ',' starts a row; read again where it does not.
      expect(joins).toEqual(new Set(["rows", "reread"]));
    });
  }

  it("gives one reader's error, at the same offset, wherever the split is", async () => {
    const more = edgeRows(31, 50, 11).map((x) => x.join(","));
    const rows = more.slice(0, 30);
    const cases: Array<[string, string]> = [
      ["more edges than the header says", more.join("\n,") + "]"],
      ["fewer edges", rows.slice(0, 28).join("\n,") + "]"],
      ["a value missing", rows.join("\n,").replace(/,\d+$/, "") + "]"],
      ["a number too large", rows.slice(0, 20).join("\n,") + "\n,2,4294967296,7\n," + rows.slice(21).join("\n,") + "]"],
      ["leading zeros beyond 10 digits", rows.slice(0, 20).join("\n,") + "\n,2,00000000001,7\n," + rows.slice(21).join("\n,") + "]"],
      ["an edge type not in the header", rows.slice(0, 25).join("\n,") + "\n,7,1,7\n," + rows.slice(26).join("\n,") + "]"],
      ["a to_node that is no node's offset", rows.slice(0, 5).join("\n,") + "\n,2,1,8\n," + rows.slice(6).join("\n,") + "]"],
      ["a to_node past the last node", rows.slice(0, 5).join("\n,") + "\n,2,1,350\n," + rows.slice(6).join("\n,") + "]"],
      ["two commas", rows.slice(0, 10).join("\n,") + ",\n," + rows.slice(10).join("\n,") + "]"],
      ["a comma before the ']'", rows.join("\n,") + ",]"],
      ["a minus sign", rows.slice(0, 10).join("\n,") + "\n,2,-1,7\n," + rows.slice(11).join("\n,") + "]"],
    ];
    for (const [what, text] of cases) {
      const m = meta(50, 30);
      const data = Buffer.from(text);
      const open = 500;
      const one = await outcome(() => oneReader(m, data, open, 3));
      expect(one, what).toHaveProperty("error");
      for (let k = 0; k < data.length; k++) {
        if (data[k] !== 44) continue;
        const two = await outcome(async () => (await twoParts(m, data, open, open + 1 + k)).edges);
        expect(two, `${what}, split at ${open + 1 + k}`).toEqual(one);
      }
    }
  });

  it("joins tiny arrays: one edge, and the split at the last ','", async () => {
    const m = meta(3, 1);
    const data = Buffer.from("2,5,14]");
    const one = await outcome(() => oneReader(m, data, 0, 1));
    for (const k of [1, 3]) expect(await outcome(async () => (await twoParts(m, data, 0, 1 + k)).edges)).toEqual(one);
    expect(one).toEqual({ type: [2], name: [5], to: [2], maxStringRef: 5 });
  });

  it("takes the split at a ',' next to a line break when there is one", () => {
    const w = Buffer.from("12,3\n,4,5");
    expect(commaAtOrAfter(w, w.length, 100)).toBe(105);
    const v = Buffer.from("12,3,\n4,5");
    expect(commaAtOrAfter(v, v.length, 100)).toBe(104);
    const one = Buffer.from("12,3,4");
    expect(commaAtOrAfter(one, one.length, 100)).toBe(102);
    const none = Buffer.from("  \n 123");
    expect(commaAtOrAfter(none, none.length, 100)).toBe(-1);
  });
});

describe("the number reader's fast paths", () => {
  /** Reads `text` (after the '[') one byte at a time (never the fast path) and all at once. */
  async function both(section: NumberSection, m: SnapshotMeta, text: string): Promise<[unknown, unknown]> {
    const read = (size: number): unknown => {
      try {
        const r = new NumberColumnsReader(section, m, 1 << 30, 0);
        const data = Buffer.from(text);
        for (let at = 0; at < data.length && !r.done; at += size) r.scan(data.subarray(at, at + size), 0, 1 + at);
        return section === NumberSection.Edges ? r.edges : section === NumberSection.Nodes ? r.nodes : r.locations;
      } catch (e) {
        return { error: (e as Error).message, offset: (e as SnapshotFormatError).offset };
      }
    };
    return [read(1), read(text.length)];
  }

  /** Every variant (an array's text after its '[') reads the same all at once as byte by byte. */
  async function expectFastAsSlow(section: NumberSection, m: SnapshotMeta, variants: string[]): Promise<void> {
    for (const [k, v] of variants.entries()) {
      const [slow, fast] = await both(section, m, v + "]");
      expect(fast, `variant ${k}`).toEqual(slow);
    }
  }

  it("read edge rows exactly as the byte-by-byte loop does, hostile values included", async () => {
    const rows = edgeRows(400, 100, 3).map((x) => x.join(","));
    const variants = [
      rows.join("\n,"),
      rows.join(",\n"),
      rows.join(","),
      rows.slice(0, 200).join("\n,") + "\n,1,2,\n7\n," + rows.slice(200).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,1,99999999999,7\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,01,000000000002,7\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,9,2,7\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,1,2,000000000007\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,000000000001,2,7\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,1,2,3\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,1,2,700\n," + rows.slice(201).join("\n,"),
      rows.slice(0, 200).join("\n,") + "\n,1,2," + "7".repeat(300),
    ];
    await expectFastAsSlow(NumberSection.Edges, meta(100, 400), variants);
  });

  it("read locations exactly as the byte-by-byte loop does, hostile values included", async () => {
    const rows = Array.from({ length: 300 }, (_, k) => `${k * 7},${k % 5},${k * 3},${k % 80}`);
    const variants = [
      rows.join("\n,"),
      rows.join(",\n"),
      rows.slice(0, 100).join("\n,") + "\n,4294967296" + rows.slice(100).join("\n,"),
      rows.slice(0, 100).join("\n,") + "\n,00000000001\n," + rows.slice(100).join("\n,"),
      rows.slice(0, 100).join("\n,") + "\n,,1" + rows.slice(100).join("\n,"),
      rows.slice(0, 100).join("\n,") + "\n,5,1,0,-196\n," + rows.slice(100).join("\n,"),
      rows.slice(0, 100).join("\n,") + "\n,5,1,-\n,3" + rows.slice(100).join("\n,"),
    ];
    await expectFastAsSlow(NumberSection.Locations, meta(300, 400), variants);
  });

  it("read node rows exactly as the byte-by-byte loop does, hostile values included", async () => {
    const r = random(5);
    const rows: string[] = [];
    for (let k = 0; k < 300; k++) {
      rows.push(
        [Math.floor(r() * 3), Math.floor(r() * 100), k * 2 + 1, Math.floor(r() * 1e6), k < 200 ? 2 : 0, 0, Math.floor(r() * 400)].join(","),
      );
    }
    const variants = [
      rows.join("\n,"),
      rows.join(",\n"),
      rows.slice(0, 100).join("\n,") + "\n,3,1,1,1,0,0,0\n," + rows.slice(101).join("\n,"),
      rows.slice(0, 100).join("\n,") + "\n,1,1,1,1,9999,0,0\n," + rows.slice(101).join("\n,"),
      rows.slice(0, 100).join("\n,") + "\n,1,1,1,4294967296,0,0,0\n," + rows.slice(101).join("\n,"),
      rows.slice(0, 100).join("\n, ") + "\n,1,1,1,1,0,0\n," + rows.slice(101).join("\n,"),
    ];
    await expectFastAsSlow(NumberSection.Nodes, meta(300, 400), variants);
  });
});

describe("guessing where the edges array ends", () => {
  it("finds the ']' of rows of three values, not of the rows of four that follow", () => {
    const edges = edgeRows(5000, 100, 1)
      .map((x) => x.join(","))
      .join("\n,");
    const locations = Array.from({ length: 5000 }, (_, k) => `${k * 7},1,2,3`).join("\n,");
    const text = Buffer.from(`{"nodes":[1,2],\n"edges":[${edges}\n],\n"locations":[${locations}\n],\n"strings":["a]",\n"b"]}`);
    const start = text.indexOf('"edges":[') + 8;
    const read = (buf: Uint8Array, at: number): number => {
      const part = text.subarray(at, at + buf.length);
      buf.set(part);
      return part.length;
    };
    expect(findEdgesEnd(read, start, text.length, 3)).toBe(text.indexOf("]", start));
    // One line, no rows to tell: no guess.
    const flat = Buffer.from(`"edges":[${edgeRows(5000, 100, 1).flat().join(",")}],"strings":[]`);
    const readFlat = (buf: Uint8Array, at: number): number => {
      const part = flat.subarray(at, at + buf.length);
      buf.set(part);
      return part.length;
    };
    expect(findEdgesEnd(readFlat, 8, flat.length, 3)).toBe(-1);
  });

  it("finds the '[' of the edges among rows of nodes, or says it cannot", () => {
    const nodes = Array.from({ length: 20000 }, (_, k) => `3,${k % 90},${k * 2 + 1},16,2,0,0`).join("\n,");
    const edges = edgeRows(40000, 20000, 2)
      .map((x) => x.join(","))
      .join("\n,");
    const text = Buffer.from(`{"snapshot":{},\n"nodes":[${nodes}],\n"edges":[${edges}],\n"strings":["x"]}`);
    const read = (buf: Uint8Array, at: number): number => {
      const part = text.subarray(at, at + buf.length);
      buf.set(part);
      return part.length;
    };
    expect(findEdgesStart(read, 15, text.length, 7, 3)).toBe(text.indexOf('"edges":[') + 8);
    expect(findEdgesStart(read, 15, text.length, 3, 3)).toBe(-1);
    // Rows that tell nothing (one line): no guess.
    const flat = Buffer.from(`{"snapshot":{},"nodes":[${"1,".repeat(50000)}1],"edges":[${"2,".repeat(90000)}2]}`);
    const readFlat = (buf: Uint8Array, at: number): number => {
      const part = flat.subarray(at, at + buf.length);
      buf.set(part);
      return part.length;
    };
    expect(findEdgesStart(readFlat, 15, flat.length, 7, 3)).toBe(-1);
  });

  it("tells rows of the edges from other bytes", () => {
    const probe = (t: string): string => {
      const r = probeBlock(Buffer.from(t), t.length, 3);
      return r.kind === "end" ? `end ${r.at}` : r.kind;
    };
    expect(probe("5\n,1,2,3\n,4,5,6\n,7")).toBe("before");
    expect(probe("5\n,1,2,3\n,4,5,6\n]")).toBe("end 16");
    expect(probe("5\n,1,2,3,4\n,4,5,6,7\n,")).toBe("after");
    expect(probe('5\n,1,2,3\n],"strings"')).toBe("end 9");
    expect(probe('"strings":["a"]')).toBe("after");
    expect(probe("1,2,3")).toBe("unknown");
  });
});

describe("readSnapshotRaw with the edges split between two threads", () => {
  it("reads again on one thread when the guessed end of the edges is wrong", async () => {
    const b = new SnapshotBuilder();
    const nodes = [b.gcRoots];
    for (let k = 0; k < 6000; k++) nodes.push(b.node("object", `C${k % 50}`));
    // Edges past the first chunk read (4 MB): this thread skips the rest of them.
    for (let k = 0; k < 320000; k++) b.edge(nodes[k % 6000]!, nodes[(k * 7) % 6000]!, "element", k);
    // A longer section of three numbers a line after the edges: the guess finds its ']'.
    const samples = Array.from({ length: 600000 }, (_, k) => `${k},${k},${k},`).join("\n");
    const text = b.serialize().replace('"samples":[]', `"samples":[${samples}0]`);
    const file = join(tempDir("backrefs-split-"), "s.heapsnapshot");
    writeFileSync(file, text);
    const one = await readSnapshotRaw(file, { parallel: false });
    for (const at of [0.3, 1]) {
      const reports: WorkerReport[] = [];
      const two = await readSnapshotRaw(file, { parallel: true, splitEdgesAt: at, onWorker: (x) => reports.push(x) });
      expect(reports.at(-1)?.problem).toMatch(/read again on one thread/);
      expect(Array.from(two.edges.to)).toEqual(Array.from(one.edges.to));
      expect(Array.from(two.edges.name)).toEqual(Array.from(one.edges.name));
      expect(Array.from(two.nodes.firstEdge)).toEqual(Array.from(one.nodes.firstEdge));
    }
  });

  it("gives the one-thread columns wherever this thread takes over", async () => {
    const b = new SnapshotBuilder();
    const nodes = [b.gcRoots];
    // Enough nodes that the edges start after the first 64 KB: the worker finds them first.
    for (let k = 0; k < 6000; k++) nodes.push(b.node("object", `C${k % 50}`, { selfSize: 16 + (k % 7) }));
    const r = random(9);
    for (let k = 0; k < 12000; k++) {
      const from = nodes[Math.floor(r() * nodes.length)]!;
      const to = nodes[Math.floor(r() * nodes.length)]!;
      if (k % 3 === 0) b.edge(from, to, "element", k);
      else b.edge(from, to, "property", `p${k % 97}`);
    }
    const file = join(tempDir("backrefs-split-"), "s.heapsnapshot");
    writeFileSync(file, b.serialize());
    const one = await readSnapshotRaw(file, { parallel: false });
    for (const at of [0, 0.001, 0.37, 0.5, 0.999, 1]) {
      const reports: WorkerReport[] = [];
      const two = await readSnapshotRaw(file, { parallel: true, splitEdgesAt: at, onWorker: (x) => reports.push(x) });
      expect(reports).toHaveLength(1);
      expect(reports[0]!.problem).toBeUndefined();
      expect(reports[0]!.done).toBe(true);
      if (at < 1) expect(reports[0]!.split?.join).toBe("rows");
      expect(Array.from(two.edges.type)).toEqual(Array.from(one.edges.type));
      expect(Array.from(two.edges.name)).toEqual(Array.from(one.edges.name));
      expect(Array.from(two.edges.to)).toEqual(Array.from(one.edges.to));
      expect(two.edges.maxStringRef).toBe(one.edges.maxStringRef);
      expect(Array.from(two.nodes.firstEdge)).toEqual(Array.from(one.nodes.firstEdge));
    }
  });

  it("says what one thread says when the header and the nodes announce more edges than the file can hold", async () => {
    const b = new SnapshotBuilder();
    const n = b.node("object", "A");
    for (let k = 0; k < 6000; k++) b.node("object", "B");
    for (let k = 0; k < 2000; k++) b.edge(b.gcRoots, n, "element", k);
    const json = JSON.parse(b.serialize()) as {
      snapshot: { meta: { node_fields: string[] }; edge_count: number };
      nodes: number[];
    };
    // The header and (GC roots)' edge count say 10^7 edges: far more than the file's bytes allow,
    // so the reader's columns are capped by the file's size, and the edges array is short of them.
    const fields = json.snapshot.meta.node_fields;
    const extra = 10_000_000 - json.snapshot.edge_count;
    json.snapshot.edge_count += extra;
    json.nodes[b.gcRoots * fields.length + fields.indexOf("edge_count")]! += extra;
    const file = join(tempDir("backrefs-split-"), "s.heapsnapshot");
    writeFileSync(file, JSON.stringify(json));
    const fail = (p: Promise<unknown>): Promise<unknown> =>
      p.then(
        () => {
          throw new Error("expected an error");
        },
        (e: unknown) => e,
      );
    const one = await fail(readSnapshotRaw(file, { parallel: false }));
    expect(one).toBeInstanceOf(SnapshotFormatError);
    for (const at of [0, 0.5, 0.9]) {
      const two = await fail(readSnapshotRaw(file, { parallel: true, splitEdgesAt: at }));
      expect(two).toBeInstanceOf(SnapshotFormatError);
      const [e1, e2] = [one as SnapshotFormatError, two as SnapshotFormatError];
      expect([e2.problem, e2.offset]).toEqual([e1.problem, e1.offset]);
    }
  });

  it("says what one thread says of an edges array shorter than the header says, wherever the split is", async () => {
    const b = new SnapshotBuilder();
    const n = b.node("object", "A");
    for (let k = 0; k < 6000; k++) b.node("object", "B");
    for (let k = 0; k < 2000; k++) b.edge(b.gcRoots, n, "element", k);
    // The last edge row is missing from the edges array (the nodes still count it).
    const full = b.serialize();
    const open = full.indexOf('"edges":[');
    const close = full.indexOf("]", open);
    const text = full.slice(0, full.lastIndexOf(",\n", close)) + full.slice(close);
    const file = join(tempDir("backrefs-split-"), "s.heapsnapshot");
    writeFileSync(file, text);
    const fail = (p: Promise<unknown>): Promise<SnapshotFormatError> =>
      p.then(
        () => {
          throw new Error("expected an error");
        },
        (e: unknown) => e as SnapshotFormatError,
      );
    const one = await fail(readSnapshotRaw(file, { parallel: false }));
    expect(one).toBeInstanceOf(SnapshotFormatError);
    for (const at of [0, 0.5, 0.9]) {
      const reports: WorkerReport[] = [];
      const two = await fail(readSnapshotRaw(file, { parallel: true, splitEdgesAt: at, onWorker: (x) => reports.push(x) }));
      expect(reports.map((x) => x.split?.join)).toEqual(["reread"]);
      expect(two).toBeInstanceOf(SnapshotFormatError);
      expect([two.problem, two.offset]).toEqual([one.problem, one.offset]);
    }
  });
});
