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
  "hidden",
  "array",
  "string",
  "object",
  "code",
  "closure",
  "regexp",
  "number",
  "native",
  "synthetic",
  "concatenated string",
  "sliced string",
  "symbol",
  "bigint",
  "object shape",
];
export const EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"];

/** Node field layouts seen in the wild. */
export const NODE_FIELDS = {
  node20: ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"],
  chromium: ["type", "name", "id", "self_size", "edge_count", "detachedness"],
  minimal: ["type", "name", "id", "edge_count"],
  /** Chrome DevTools' unit-test snapshots: precomputed retained size and dominator among the fields. */
  devtools: ["type", "name", "id", "self_size", "retained_size", "dominator", "edge_count"],
} as const;

/**
 * Whole layouts: node fields, and the node and edge types the meta lists (in that order). The
 * DevTools ones are those of Chrome DevTools' own unit tests: two or three node types, one or
 * three edge types, no synthetic `(GC roots)` — the root is a `hidden` node.
 */
export interface Layout {
  fields: readonly string[];
  nodeTypes: readonly string[];
  edgeTypes: readonly string[];
  /** `strings[0]`: V8 writes `<dummy>`, DevTools' tests `""`. */
  firstString?: string;
}

export const LAYOUTS: Record<string, Layout> = {
  node20: { fields: NODE_FIELDS.node20, nodeTypes: NODE_TYPES, edgeTypes: EDGE_TYPES },
  chromium: { fields: NODE_FIELDS.chromium, nodeTypes: NODE_TYPES, edgeTypes: EDGE_TYPES },
  minimal: { fields: NODE_FIELDS.minimal, nodeTypes: NODE_TYPES, edgeTypes: EDGE_TYPES },
  devtoolsTwoTypes: {
    fields: NODE_FIELDS.devtools,
    nodeTypes: ["hidden", "object"],
    edgeTypes: ["element", "property", "shortcut"],
    firstString: "",
  },
  devtoolsComparison: { fields: NODE_FIELDS.devtools, nodeTypes: ["hidden", "object", "native"], edgeTypes: ["shortcut"], firstString: "" },
};

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

  private readonly fields: readonly string[];
  private readonly nodeTypes: readonly string[];
  private readonly edgeTypes: readonly string[];
  private readonly firstString: string;

  /**
   * A field list (the node and edge types of V8), or a whole {@link Layout}. Layouts without a
   * `synthetic` type get a `hidden` root and no `(GC roots)`: `gcRoots` is then the root itself.
   */
  constructor(layout: readonly string[] | Layout = NODE_FIELDS.node20) {
    const l: Layout = Array.isArray(layout)
      ? { fields: layout as readonly string[], nodeTypes: NODE_TYPES, edgeTypes: EDGE_TYPES }
      : (layout as Layout);
    this.fields = l.fields;
    this.nodeTypes = l.nodeTypes;
    this.edgeTypes = l.edgeTypes;
    this.firstString = l.firstString ?? "<dummy>";
    if (this.nodeTypes.includes("synthetic")) {
      this.root = this.node("synthetic", "", { id: 1 });
      this.gcRoots = this.node("synthetic", "(GC roots)", { id: 3 });
      this.edge(this.root, this.gcRoots, "element", 1);
    } else {
      this.root = this.node("hidden", "", { id: 1, selfSize: 0 });
      this.gcRoots = this.root;
    }
  }

  /** Adds a node and returns its ordinal. */
  node(type: string, name: string, opts: NodeOptions = {}): number {
    if (!this.nodeTypes.includes(type)) throw new Error(`node type ${type} is not in this layout`);
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
    if (!this.edgeTypes.includes(type)) throw new Error(`edge type ${type} is not in this layout`);
    this.edges.push({ from, to, type, name });
    return this;
  }

  /** The snapshot as the object `JSON.parse` would give. */
  toJSON(): { snapshot: Record<string, unknown>; nodes: number[]; edges: number[]; strings: string[] } {
    const strings: string[] = [this.firstString];
    const index = new Map<string, number>([[this.firstString, 0]]);
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
          case "type":
            nodes.push(this.nodeTypes.indexOf(n.type));
            break;
          case "name":
            nodes.push(str(n.name));
            break;
          case "id":
            nodes.push(n.id);
            break;
          case "self_size":
            nodes.push(n.selfSize);
            break;
          case "edge_count":
            nodes.push(byFrom[n.ordinal]!.length);
            break;
          case "detachedness":
            nodes.push(n.detachedness);
            break;
          // DevTools' test snapshots carry numbers here that readers must not trust: make them wrong.
          case "retained_size":
            nodes.push(7);
            break;
          case "dominator":
            nodes.push(0);
            break;
          default:
            nodes.push(0);
        }
      }
    }
    const edges: number[] = [];
    for (const list of byFrom) {
      for (const e of list) {
        const numeric = e.type === "element" || e.type === "hidden";
        edges.push(this.edgeTypes.indexOf(e.type), numeric ? Number(e.name) : str(String(e.name)), e.to * nf.length);
      }
    }
    return {
      snapshot: {
        meta: {
          node_fields: [...nf],
          node_types: [[...this.nodeTypes], ...nf.slice(1).map(() => "number")],
          edge_fields: ["type", "name_or_index", "to_node"],
          edge_types: [[...this.edgeTypes], "string_or_number", "node"],
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

/**
 * A function (closure) named `name` whose code is in `script`, as V8 writes it: the closure's shared
 * function info (`shared`) names its script (`script_or_debug_info`, a code node named by the path).
 */
export function functionIn(b: SnapshotBuilder, name: string, script: string, opts: NodeOptions = {}): number {
  const closure = b.node("closure", name, opts);
  const shared = b.node("code", name);
  const scriptNode = b.node("code", script);
  b.edge(closure, shared, "internal", "shared").edge(shared, scriptNode, "internal", "script_or_debug_info");
  return closure;
}

/** A readable stream giving `data` in chunks of `size` bytes. */
export function chunkedStream(data: Uint8Array, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(Buffer.from(data.subarray(i, i + size)));
  return Readable.from(chunks, { objectMode: false });
}

/** The columns a parser should produce from a snapshot's JSON (`JSON.parse` of the file). */
export function expectedColumns(j: {
  snapshot: { meta: { node_fields: string[]; edge_fields: string[] } };
  nodes: number[];
  edges: number[];
}): {
  nodeType: number[];
  nodeName: number[];
  nodeId: number[];
  selfSize: number[] | null;
  firstEdge: number[];
  edgeType: number[];
  edgeName: number[];
  edgeTo: number[];
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
