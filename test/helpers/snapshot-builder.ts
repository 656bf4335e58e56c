/**
 * Builds tiny heap snapshots by name, for tests:
 *
 *     const b = new SnapshotBuilder();
 *     const cache = b.node("object", "Map");
 *     const foo = b.node("object", "Foo", { selfSize: 32 });
 *     b.edge(b.gcRoots, cache, "element", 1);
 *     b.edge(cache, foo, "internal", "table");
 *     const text = b.serialize();
 *
 * The root (id 1) and `(GC roots)` (id 3) exist from the start, with an element edge between them,
 * as V8 writes them. Heap objects get odd ids from 5 on, unless given.
 */
import { Readable } from "node:stream";

export const NODE_TYPES = [
  "hidden", "array", "string", "object", "code", "closure", "regexp", "number", "native",
  "synthetic", "concatenated string", "sliced string", "symbol", "bigint", "object shape",
];
export const EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];

/** Node field layouts seen in the wild. */
export const NODE_FIELDS = {
  node20: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
  chromium: ["type", "name", "id", "self_size", "edge_count", "detachedness"],
  minimal: ["type", "name", "id", "edge_count"],
} as const;

export interface BuiltNode {
  ordinal: number;
  type: string;
  name: string;
  id: number;
  selfSize: number;
  detachedness: number;
}

export interface BuiltEdge {
  from: number;
  to: number;
  type: string;
  name: string | number;
}

export interface NodeOptions {
  id?: number;
  selfSize?: number;
  detachedness?: number;
}

export class SnapshotBuilder {
  readonly nodes: BuiltNode[] = [];
  readonly edges: BuiltEdge[] = [];
  /** The synthetic root, ordinal 0. */
  readonly root: number;
  /** `(GC roots)`, ordinal 1. */
  readonly gcRoots: number;
  private nextId = 5;

  constructor(private readonly fields: readonly string[] = NODE_FIELDS.node20) {
    this.root = this.node("synthetic", "", { id: 1 });
    this.gcRoots = this.node("synthetic", "(GC roots)", { id: 3 });
    this.edge(this.root, this.gcRoots, "element", 1);
  }

  /** Adds a node and returns its ordinal. */
  node(type: string, name: string, opts: NodeOptions = {}): number {
    if (!NODE_TYPES.includes(type)) throw new Error(`unknown node type ${type}`);
    const ordinal = this.nodes.length;
    let id = opts.id;
    if (id === undefined) {
      id = this.nextId;
      this.nextId += 2;
    }
    this.nodes.push({ ordinal, type, name, id, selfSize: opts.selfSize ?? 16, detachedness: opts.detachedness ?? 0 });
    return ordinal;
  }

  /** Rows of the `locations` section: node ordinal, script id, line, column (0-based). */
  readonly locations: Array<[number, number, number, number]> = [];

  /** Says where node `n`'s constructor is defined (a `locations` row). */
  location(n: number, scriptId: number, line: number, column: number): this {
    this.locations.push([n, scriptId, line, column]);
    return this;
  }

  /** Adds an edge `from → to`; `name` is a property name or an element index. */
  edge(from: number, to: number, type: string, name: string | number): this {
    if (!EDGE_TYPES.includes(type)) throw new Error(`unknown edge type ${type}`);
    this.edges.push({ from, to, type, name });
    return this;
  }

  /** The snapshot as the object `JSON.parse` would give. */
  toJSON(): { snapshot: Record<string, unknown>; nodes: number[]; edges: number[]; strings: string[] } {
    const strings: string[] = ["<dummy>"];
    const index = new Map<string, number>([["<dummy>", 0]]);
    const str = (s: string): number => {
      let i = index.get(s);
      if (i === undefined) {
        i = strings.length;
        strings.push(s);
        index.set(s, i);
      }
      return i;
    };
    const nf = this.fields;
    const byFrom = this.nodes.map(() => [] as BuiltEdge[]);
    for (const e of this.edges) byFrom[e.from]!.push(e);
    const nodes: number[] = [];
    for (const n of this.nodes) {
      for (const f of nf) {
        switch (f) {
          case "type": nodes.push(NODE_TYPES.indexOf(n.type)); break;
          case "name": nodes.push(str(n.name)); break;
          case "id": nodes.push(n.id); break;
          case "self_size": nodes.push(n.selfSize); break;
          case "edge_count": nodes.push(byFrom[n.ordinal]!.length); break;
          case "detachedness": nodes.push(n.detachedness); break;
          default: nodes.push(0);
        }
      }
    }
    const edges: number[] = [];
    for (const list of byFrom) {
      for (const e of list) {
        const numeric = e.type === "element" || e.type === "hidden";
        edges.push(EDGE_TYPES.indexOf(e.type), numeric ? Number(e.name) : str(String(e.name)), e.to * nf.length);
      }
    }
    return {
      snapshot: {
        meta: {
          node_fields: [...nf],
          node_types: [NODE_TYPES, ...nf.slice(1).map(() => "number")],
          edge_fields: ["type", "name_or_index", "to_node"],
          edge_types: [EDGE_TYPES, "string_or_number", "node"],
          trace_function_info_fields: ["function_id", "name", "script_name", "script_id", "line", "column"],
          trace_node_fields: ["id", "function_info_index", "count", "size", "children"],
          sample_fields: ["timestamp_us", "last_assigned_id"],
          location_fields: ["object_index", "script_id", "line", "column"],
        },
        node_count: this.nodes.length,
        edge_count: this.edges.length,
        trace_function_count: 0,
      },
      nodes,
      edges,
      strings,
    };
  }

  /** Serialises like V8 does: header, one node/edge per line, sections in V8's order. */
  serialize(): string {
    const j = this.toJSON();
    const nf = this.fields.length;
    const rows = (values: number[], stride: number): string => {
      const out: string[] = [];
      for (let i = 0; i < values.length; i += stride) out.push(values.slice(i, i + stride).join(","));
      return out.join(",\n");
    };
    return (
      `{"snapshot":${JSON.stringify(j.snapshot)},\n` +
      `"nodes":[${rows(j.nodes, nf)}],\n` +
      `"edges":[${rows(j.edges, 3)}],\n` +
      `"trace_function_infos":[],\n"trace_tree":[],\n"samples":[],\n` +
      `"locations":[${this.locations.map(([n, s, l, c]) => `${n * nf},${s},${l},${c}`).join(",\n")}],\n` +
      `"strings":[${j.strings.map((s) => JSON.stringify(s)).join(",\n")}]}\n`
    );
  }
}

/** A readable stream giving `data` in chunks of `size` bytes. */
export function chunkedStream(data: Uint8Array, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(Buffer.from(data.subarray(i, i + size)));
  return Readable.from(chunks, { objectMode: false });
}

/** The columns a parser should produce from a snapshot's JSON (`JSON.parse` of the file). */
export function expectedColumns(j: { snapshot: { meta: { node_fields: string[]; edge_fields: string[] } }; nodes: number[]; edges: number[] }): {
  nodeType: number[]; nodeName: number[]; nodeId: number[]; selfSize: number[] | null; firstEdge: number[];
  edgeType: number[]; edgeName: number[]; edgeTo: number[];
} {
  const nf = j.snapshot.meta.node_fields;
  const ef = j.snapshot.meta.edge_fields;
  const col = (values: number[], fields: string[], name: string): number[] => {
    const k = fields.indexOf(name);
    const out: number[] = [];
    for (let i = k; i < values.length; i += fields.length) out.push(values[i]!);
    return out;
  };
  const firstEdge = [0];
  for (const c of col(j.nodes, nf, "edge_count")) firstEdge.push(firstEdge[firstEdge.length - 1]! + c);
  return {
    nodeType: col(j.nodes, nf, "type"),
    nodeName: col(j.nodes, nf, "name"),
    nodeId: col(j.nodes, nf, "id"),
    selfSize: nf.includes("self_size") ? col(j.nodes, nf, "self_size") : null,
    firstEdge,
    edgeType: col(j.edges, ef, "type"),
    edgeName: col(j.edges, ef, "name_or_index"),
    edgeTo: col(j.edges, ef, "to_node").map((v) => v / nf.length),
  };
}
