import { describe, expect, it } from "vitest";
import { SnapshotParser, type RawSnapshot } from "../../src/snapshot/parser.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { SnapshotFormatError } from "../../src/errors.js";
import { NODE_FIELDS, SnapshotBuilder, chunkedStream, expectedColumns } from "../helpers/snapshot-builder.js";

/** Strings that exercise every JSON escape and multi-byte UTF-8 (split across chunks below). */
const TRICKY = [
  'quote " and backslash \\',
  "new\nline\ttab\r\b\f",
  "slash / and \u0001 control",
  "héllo wörld — ünïcödé",
  "emoji 😀 pair",
  "lone \ud800 high and \udc00 low",
  "<anonymous>",
  "",
];

function tinySnapshot(fields: readonly string[] = NODE_FIELDS.node20): SnapshotBuilder {
  const b = new SnapshotBuilder(fields);
  const global = b.node("object", "global", { selfSize: 40 });
  b.edge(b.root, global, "shortcut", "global");
  const map = b.node("object", "Map", { selfSize: 32 });
  b.edge(global, map, "property", "cache");
  TRICKY.forEach((s, i) => {
    const str = b.node("string", s, { selfSize: 20 + i });
    b.edge(map, str, "element", i);
    b.edge(str, map, "weak", "back ref");
  });
  const fn = b.node("closure", "onRequest");
  b.edge(global, fn, "property", TRICKY[0]!);
  b.edge(fn, map, "context", "cache");
  return b;
}

function parseWhole(text: string | Uint8Array): RawSnapshot {
  const p = new SnapshotParser();
  p.write(typeof text === "string" ? Buffer.from(text) : text);
  return p.end();
}

function parseChunked(data: Uint8Array, size: number): RawSnapshot {
  const p = new SnapshotParser();
  for (let i = 0; i < data.length; i += size) p.write(data.subarray(i, i + size));
  return p.end();
}

/** Every kept column, as plain arrays. */
function columnsOf(raw: RawSnapshot): ReturnType<typeof expectedColumns> {
  return {
    nodeType: Array.from(raw.nodes.type),
    nodeName: Array.from(raw.nodes.name),
    nodeId: Array.from(raw.nodes.id),
    selfSize: raw.nodes.selfSize && Array.from(raw.nodes.selfSize),
    firstEdge: Array.from(raw.nodes.firstEdge),
    edgeType: Array.from(raw.edges.type),
    edgeName: Array.from(raw.edges.name),
    edgeTo: Array.from(raw.edges.to),
  };
}

function allStrings(raw: RawSnapshot): string[] {
  return Array.from({ length: raw.strings.length }, (_, i) => raw.strings.get(i));
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

describe("SnapshotParser", () => {
  it("reads arrays and strings exactly as JSON.parse does", () => {
    const b = tinySnapshot();
    const text = b.serialize();
    const raw = parseWhole(text);
    const j = JSON.parse(text);
    expect(raw.meta.nodeCount).toBe(b.nodes.length);
    expect(raw.meta.edgeCount).toBe(b.edges.length);
    // to_node offsets become ordinals at load; edge counts become first-edge prefix sums
    expect(columnsOf(raw)).toEqual(expectedColumns(j));
    expect(allStrings(raw)).toEqual(j.strings);
  });

  it("gives identical arrays for chunks of every size from 1 byte up", () => {
    const data = Buffer.from(tinySnapshot().serialize());
    const whole = JSON.stringify(columnsOf(parseWhole(data)));
    const wholeStrings = allStrings(parseWhole(data)).join("\u0000");
    for (let size = 1; size <= data.length; size++) {
      const raw = parseChunked(data, size);
      expect(JSON.stringify(columnsOf(raw))).toBe(whole);
      expect(allStrings(raw).join("\u0000")).toBe(wholeStrings);
    }
  });

  it("reads node fields by name: Node 20, Chromium and minimal layouts", () => {
    for (const fields of Object.values(NODE_FIELDS)) {
      const raw = parseWhole(tinySnapshot(fields).serialize());
      expect(raw.meta.nodeFields).toEqual(fields);
      expect(raw.meta.nodeSelfSize).toBe(fields.indexOf("self_size" as never));
      expect(raw.meta.nodeDetachedness).toBe(fields.indexOf("detachedness" as never));
    }
  });

  it("skips unknown sections and header fields, a BOM, CRLF and odd whitespace", () => {
    const text = tinySnapshot().serialize();
    const j = JSON.parse(text);
    j.snapshot.extra_native_bytes = 1234;
    j.snapshot.future = { nested: [1, { deep: "x]}" }] };
    const variant =
      "\ufeff \r\n\t{ " +
      `"scopes" : [[1,2],{"a":"]"}] ,\r\n "snapshot" :${JSON.stringify(j.snapshot)} ,` +
      `"nodes":[ ${j.nodes.join(" ,\r\n ")} ] ,"edges":[${j.edges.join(",")}],` +
      `"weird": -1.5e3, "flag": true, "nothing": null, "text": "a\\"b",` +
      `"strings": [ ${j.strings.map((s: string) => JSON.stringify(s)).join(" ,\r\n")} ],"scope_uses":[]}\r\n`;
    const raw = parseWhole(variant);
    expect(columnsOf(raw)).toEqual(expectedColumns(j));
    expect(allStrings(raw)).toEqual(j.strings);
    expect(raw.header["extra_native_bytes"]).toBe(1234);
  });

  it("streams a gzip file and standard input the same as plain bytes", async () => {
    const { gzipSync } = await import("node:zlib");
    const data = Buffer.from(tinySnapshot().serialize());
    const whole = parseWhole(data);
    const gz = await readSnapshotRaw(chunkedStream(gzipSync(data), 7));
    expect(columnsOf(gz)).toEqual(columnsOf(whole));
    expect(allStrings(gz)).toEqual(allStrings(whole));
    const plain = await readSnapshotRaw(chunkedStream(data, 5));
    expect(columnsOf(plain)).toEqual(columnsOf(whole));
  });
});

describe("SnapshotParser errors", () => {
  const text = tinySnapshot().serialize();
  const j = JSON.parse(text);
  const withJson = (mut: (o: typeof j) => void): string => {
    const copy = JSON.parse(text);
    mut(copy);
    return JSON.stringify(copy);
  };

  it("not JSON", () => {
    const e = formatError(() => parseWhole("hello world"));
    expect(e.message).toMatch(/not JSON/);
    expect(e.offset).toBe(0);
  });

  it("an empty file", () => {
    expect(formatError(() => parseWhole("")).message).toMatch(/empty/);
  });

  it("JSON that is not a heap snapshot", () => {
    expect(formatError(() => parseWhole('{"name": "package", "version": "1.0.0"}')).message).toMatch(/no "snapshot" section/);
    expect(formatError(() => parseWhole("[1,2,3]")).message).toMatch(/expected '\{'/);
    expect(formatError(() => parseWhole('{"snapshot": {"meta": {}}}')).message).toMatch(/node_fields/);
  });

  it("truncated at any byte offset", () => {
    const data = Buffer.from(text.trimEnd());
    for (let cut = 0; cut < data.length; cut++) {
      const e = formatError(() => parseWhole(data.subarray(0, cut)));
      expect(e.offset).toBeLessThanOrEqual(cut);
    }
  });

  it("counts that disagree with the header", () => {
    const more = formatError(() =>
      parseWhole(
        withJson((o) => {
          o.snapshot.node_count -= 1;
        }),
      ),
    );
    expect(more.message).toMatch(/more values than the header/);
    expect(more.section).toBe("nodes");
    const fewer = formatError(() =>
      parseWhole(
        withJson((o) => {
          o.snapshot.node_count += 1;
        }),
      ),
    );
    expect(fewer.message).toMatch(/found \d+ values but the header announces node_count/);
    const edges = formatError(() =>
      parseWhole(
        withJson((o) => {
          o.snapshot.edge_count += 1;
        }),
      ),
    );
    expect(edges.message).toMatch(/edge counts add up to \d+ but the header says edge_count is \d+/);
  });

  it("a to_node out of range or not a multiple of the node field count", () => {
    const nf = j.snapshot.meta.node_fields.length;
    const out = formatError(() =>
      parseWhole(
        withJson((o) => {
          o.edges[2] = o.snapshot.node_count * nf;
        }),
      ),
    );
    expect(out.message).toMatch(/points past the last node/);
    expect(out.section).toBe("edges");
    const odd = formatError(() =>
      parseWhole(
        withJson((o) => {
          o.edges[2] = nf + 1;
        }),
      ),
    );
    expect(odd.message).toMatch(/not a multiple/);
  });

  it("numbers that are negative, fractional, written with exponents or too large", () => {
    for (const bad of ["-1", "1.5", "1e3", "4294967296", "123456789012345678901234"]) {
      const e = formatError(() => parseWhole(text.replace('"nodes":[9,', `"nodes":[${bad},`)));
      expect(e.section).toBe("nodes");
    }
  });

  it("bad escapes and control characters inside strings", () => {
    expect(formatError(() => parseWhole(text.replace('"<dummy>"', '"bad \\x escape"'))).message).toMatch(/bad escape/);
    expect(formatError(() => parseWhole(text.replace('"<dummy>"', '"bad \\u12G4"'))).message).toMatch(/\\u escape/);
    expect(formatError(() => parseWhole(text.replace('"<dummy>"', '"raw \u0001 control"'))).message).toMatch(/control character/);
  });

  it("sections before the header, twice, or junk after the end", () => {
    const nodesFirst = `{"nodes":[],${text.slice(1)}`;
    expect(formatError(() => parseWhole(nodesFirst)).message).toMatch(/before the "snapshot" header/);
    expect(formatError(() => parseWhole(text.replace('"samples":[]', '"strings":[]'))).message).toMatch(/appears twice/);
    expect(formatError(() => parseWhole(text + "{}")).message).toMatch(/after the end/);
  });

  it("deeply nested junk in a skipped section", () => {
    const junk = `${text.slice(0, -2)},"junk":${"[".repeat(100000)}}`;
    expect(formatError(() => parseWhole(junk)).message).toMatch(/nested too deeply/);
  });

  it("a gzip stream cut in the middle", async () => {
    const { gzipSync } = await import("node:zlib");
    const gz = gzipSync(Buffer.from(text));
    await expect(readSnapshotRaw(chunkedStream(gz.subarray(0, gz.length >> 1), 64))).rejects.toThrow(/gzip stream ends too early/);
  });
});
