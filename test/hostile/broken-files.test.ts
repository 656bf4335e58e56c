/**
 * Broken files, as real files break: every case ends in a typed error that names the problem and
 * a byte offset — or, where the file is still usable, it loads. Never another kind of exception.
 */
import { promises as fsp, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { InputError, SnapshotFormatError } from "../../src/errors.js";
import { HeapGraph } from "../../src/graph/heap-graph.js";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { SnapshotParser } from "../../src/snapshot/parser.js";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { LAYOUTS, SnapshotBuilder, chunkedStream } from "../helpers/snapshot-builder.js";

function sample(): string {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global", { selfSize: 40 });
  b.edge(b.root, global, "shortcut", "global");
  let prev = global;
  for (let i = 0; i < 30; i++) {
    const n = b.node(i % 3 === 0 ? "string" : "object", i % 3 === 0 ? `value ${i} "q" \\ é` : `Class${i % 5}`, { selfSize: 8 + i });
    b.edge(prev, n, i % 4 === 0 ? "element" : "property", i % 4 === 0 ? i : `p${i}`);
    if (i % 7 === 0) b.edge(n, global, "weak", "back");
    prev = n;
  }
  return b.serialize();
}

const TEXT = sample();
const BYTES = Buffer.from(TEXT);

/** The same kind of heap in Chrome DevTools' unit-test layout (two node types, three edge types, "" first). */
function devtoolsSample(): string {
  const b = new SnapshotBuilder(LAYOUTS["devtoolsTwoTypes"]!);
  let prev = b.root;
  for (let i = 0; i < 30; i++) {
    const n = b.node(i % 3 === 0 ? "hidden" : "object", i % 3 === 0 ? `value ${i} "q" \\ é` : `Class${i % 5}`, { selfSize: 8 + i });
    b.edge(prev, n, i % 4 === 0 ? "element" : "property", i % 4 === 0 ? i : `p${i}`);
    if (i % 7 === 0) b.edge(n, b.root, "shortcut", "back");
    prev = n;
  }
  return b.serialize();
}
const DEVTOOLS_BYTES = Buffer.from(devtoolsSample());

/** Parses and analyses fully; returns "ok", or the SnapshotFormatError. Any other throw fails the test. */
function outcome(data: Uint8Array): "ok" | SnapshotFormatError {
  try {
    const p = new SnapshotParser();
    p.write(data);
    const g = new HeapGraph(p.end());
    new HeapAnalysis(g).retainedSizes();
    g.classes();
    for (let n = 0; n < g.nodeCount; n++) g.nodeName(n);
    return "ok";
  } catch (e) {
    if (e instanceof SnapshotFormatError) {
      expect(e.message).toMatch(/at byte \d+\)$/);
      expect(e.message).not.toMatch(/\n/);
      return e;
    }
    throw e;
  }
}

describe("broken files (property-based)", () => {
  it("a newline flipped into the header: the error is still one line (found by the property below)", () => {
    const data = Buffer.from(BYTES);
    data[619] = 10;
    const e = outcome(data);
    expect(e).toBeInstanceOf(SnapshotFormatError);
    // and a section name made of a JSON escape for a newline (also found by the property)
    const name = outcome(Buffer.from('{"\\napshot":{}}'));
    expect(name).toBeInstanceOf(SnapshotFormatError);
  });

  it("flipped bytes: loads or fails with a SnapshotFormatError, nothing else", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(BYTES.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (flips) => {
          const data = Buffer.from(BYTES);
          for (const [at, value] of flips) data[at] = value;
          outcome(data);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it("DevTools' own layout, flipped bytes: loads or fails with a SnapshotFormatError, nothing else", () => {
    expect(outcome(DEVTOOLS_BYTES)).toBe("ok");
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(DEVTOOLS_BYTES.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (flips) => {
          const data = Buffer.from(DEVTOOLS_BYTES);
          for (const [at, value] of flips) data[at] = value;
          outcome(data);
        },
      ),
      { numRuns: 800 },
    );
  });

  it("truncated at any byte offset: always an error with an offset within the file", () => {
    fc.assert(
      fc.property(fc.nat(BYTES.length - 2), (cut) => {
        const r = outcome(BYTES.subarray(0, cut));
        expect(r).toBeInstanceOf(SnapshotFormatError);
        expect((r as SnapshotFormatError).offset).toBeLessThanOrEqual(cut);
      }),
      { numRuns: 500 },
    );
  });

  it("junk inserted anywhere: loads or fails cleanly", () => {
    const junk = fc.constantFrom(
      "[",
      "]",
      "{",
      "}",
      ",",
      ":",
      '"',
      "\\",
      "-1",
      "1.5",
      "1e9",
      "null",
      "\u0000",
      "\r\n",
      "99999999999",
      "\ufeff",
    );
    fc.assert(
      fc.property(fc.nat(BYTES.length), junk, (at, j) => {
        outcome(Buffer.concat([BYTES.subarray(0, at), Buffer.from(j), BYTES.subarray(at)]));
      }),
      { numRuns: 800 },
    );
  });

  it("numbers replaced by hostile ones (negative, fractional, exponents, huge) fail cleanly", () => {
    const bad = fc.constantFrom("-1", "0.5", "1e3", "1E3", "4294967296", "18446744073709551616", "00", "+1", "NaN", "Infinity", "1_000");
    const numberSpans: Array<[number, number]> = [];
    const re = /\d+/g;
    const nodesAt = TEXT.indexOf('"nodes":[');
    for (let m = re.exec(TEXT.slice(nodesAt)); m; m = re.exec(TEXT.slice(nodesAt))) {
      numberSpans.push([nodesAt + m.index, nodesAt + m.index + m[0].length]);
      if (numberSpans.length > 400) break;
    }
    fc.assert(
      fc.property(fc.constantFrom(...numberSpans), bad, ([a, b], value) => {
        outcome(Buffer.from(TEXT.slice(0, a) + value + TEXT.slice(b)));
      }),
      { numRuns: 400 },
    );
  });

  it("sections in any order after the header load the same; a header after the data is an error", () => {
    const j = JSON.parse(TEXT);
    const sections = ["nodes", "edges", "strings", "trace_tree", "samples"];
    const expected = outcome(BYTES);
    expect(expected).toBe("ok");
    fc.assert(
      fc.property(fc.shuffledSubarray(sections, { minLength: sections.length, maxLength: sections.length }), (order) => {
        const text = `{"snapshot":${JSON.stringify(j.snapshot)},${order.map((k) => `"${k}":${JSON.stringify(j[k] ?? [])}`).join(",")}}`;
        expect(outcome(Buffer.from(text))).toBe("ok");
      }),
      { numRuns: 60 },
    );
    const late = `{"nodes":${JSON.stringify(j.nodes)},"snapshot":${JSON.stringify(j.snapshot)},"edges":[],"strings":[]}`;
    expect((outcome(Buffer.from(late)) as SnapshotFormatError).message).toMatch(/before the "snapshot" header/);
  });

  it("meta missing or inconsistent with the arrays fails cleanly", () => {
    const j = JSON.parse(TEXT);
    const variants: Array<(o: typeof j) => void> = [
      (o) => {
        delete o.snapshot.meta;
      },
      (o) => {
        o.snapshot.meta.node_fields = [];
      },
      (o) => {
        o.snapshot.meta.node_fields = o.snapshot.meta.node_fields.slice(0, 4);
      },
      (o) => {
        o.snapshot.meta.edge_fields = ["type", "to_node"];
      },
      (o) => {
        o.snapshot.meta.node_types = "object";
      },
      (o) => {
        o.snapshot.node_count = -1;
      },
      (o) => {
        o.snapshot.node_count = 1.5;
      },
      (o) => {
        o.snapshot.edge_count = "many";
      },
      (o) => {
        o.snapshot.node_count = 1e15;
      },
      (o) => {
        o.snapshot = [1, 2];
      },
    ];
    for (const mutate of variants) {
      const o = JSON.parse(TEXT);
      mutate(o);
      expect(outcome(Buffer.from(JSON.stringify(o)))).toBeInstanceOf(SnapshotFormatError);
    }
  });

  it("a gzip stream cut anywhere fails with a clean error", async () => {
    const gz = gzipSync(BYTES);
    for (const cut of [2, 10, gz.length >> 2, gz.length >> 1, gz.length - 9, gz.length - 1]) {
      await expect(readSnapshotRaw(chunkedStream(gz.subarray(0, cut), 16))).rejects.toBeInstanceOf(SnapshotFormatError);
    }
    const corrupt = Buffer.from(gz);
    corrupt[20] = corrupt[20]! ^ 0xff;
    await expect(readSnapshotRaw(chunkedStream(corrupt, 16))).rejects.toBeInstanceOf(SnapshotFormatError);
  });

  it("a file replaced by a gzip one between its first look and its reading is said to have changed", async () => {
    const path = join(tmpdir(), `backrefs-replaced-${process.pid}.heapsnapshot`);
    writeFileSync(path, gzipSync(BYTES));
    // The first read of the file (its first two bytes) still sees the plain JSON it held before.
    const open = fsp.open.bind(fsp);
    const spy = vi.spyOn(fsp, "open").mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
      const handle = await open(...args);
      const read = handle.read.bind(handle);
      let first = true;
      handle.read = (async (buffer: Buffer, offset: number, length: number, position: number) => {
        if (!first) return read(buffer, offset, length, position);
        first = false;
        buffer.write('{"', offset);
        return { bytesRead: 2, buffer };
      }) as typeof handle.read;
      return handle;
    });
    try {
      const err = await readSnapshotRaw(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/changed while it was read/);
      expect(spy).toHaveBeenCalled();
    } finally {
      spy.mockRestore();
      await fsp.rm(path, { force: true });
    }
  });
});
