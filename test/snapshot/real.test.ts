import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { readSnapshotRaw } from "../../src/snapshot/read.js";
import { LEAK_PROGRAM, writeRealSnapshot } from "../helpers/real-snapshot.js";
import { expectedColumns } from "../helpers/snapshot-builder.js";

function checksum(values: ArrayLike<number>): string {
  const h = createHash("sha256");
  h.update(Buffer.from(Uint32Array.from(values as ArrayLike<number>).buffer));
  return h.digest("hex");
}

describe("real snapshots from v8.writeHeapSnapshot()", () => {
  it("match a plain JSON.parse of the same file: counts, arrays and every string", async () => {
    const file = writeRealSnapshot("leak", LEAK_PROGRAM);
    const raw = await readSnapshotRaw(file);
    const j = JSON.parse(readFileSync(file, "utf8"));
    expect(raw.meta.nodeFields).toEqual(j.snapshot.meta.node_fields);
    expect(raw.meta.nodeCount).toBe(j.snapshot.node_count);
    expect(raw.meta.edgeCount).toBe(j.snapshot.edge_count);
    const want = expectedColumns(j);
    expect(checksum(raw.nodes.type)).toBe(checksum(want.nodeType));
    expect(checksum(raw.nodes.name)).toBe(checksum(want.nodeName));
    expect(checksum(raw.nodes.id)).toBe(checksum(want.nodeId));
    expect(checksum(raw.nodes.selfSize!)).toBe(checksum(want.selfSize!));
    expect(checksum(raw.nodes.firstEdge)).toBe(checksum(want.firstEdge));
    expect(checksum(raw.edges.type)).toBe(checksum(want.edgeType));
    expect(checksum(raw.edges.name)).toBe(checksum(want.edgeName));
    expect(checksum(raw.edges.to)).toBe(checksum(want.edgeTo));
    // Node's node fields: with `trace_node_id` up to Node 22, without it from Node 24 (V8 13.6).
    expect(j.snapshot.meta.node_fields.filter((f: string) => f !== "trace_node_id")).toEqual([
      "type",
      "name",
      "id",
      "self_size",
      "edge_count",
      "detachedness",
    ]);
    expect(raw.strings.length).toBe(j.strings.length);
    for (let i = 0; i < j.strings.length; i++) {
      if (raw.strings.get(i) !== j.strings[i]) expect.fail(`string ${i} differs: ${JSON.stringify(j.strings[i])}`);
    }
    // the label with a quote, a backslash and non-ASCII made it through (V8 itself writes the
    // emoji and the lone surrogate as '?')
    expect(j.strings.some((s: string) => s.startsWith('quote " back\\slash é '))).toBe(true);
  });
});
