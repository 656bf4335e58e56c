/**
 * The heap as typed arrays: node columns, forward edges (CSR by source node), the reverse
 * (retainer) index, and DevTools class names. No per-node JS objects, no per-node Map/Set: a
 * 1 GB snapshot has ~14M nodes and ~40M edges.
 *
 * Naming: `…Ordinal` is a node number (0 = the synthetic root); `edge` numbers count edges in file
 * order. Raw offsets into the flat arrays stay inside this file.
 */
import { SnapshotFormatError } from "../errors.js";
import type { RawSnapshot } from "../snapshot/parser.js";
import type { ReadOptions } from "../snapshot/read.js";
import type { LazyColumns, ReadAheadPart } from "../snapshot/columns.js";
import type { StringTable } from "../snapshot/string-table.js";
import { sharedU32 } from "../snapshot/columns.js";
import { PlainObjects, isObjectName, type InterfaceDefinition } from "./class-names.js";
import { IntList } from "./lists.js";
import { unpackClassSummary, type ClassSummary } from "./class-summary.js";

/** Type codes looked up by name once; -1 when the snapshot's meta lacks that type. */
export interface TypeCodes {
  hidden: number;
  array: number;
  string: number;
  object: number;
  code: number;
  closure: number;
  regexp: number;
  number: number;
  native: number;
  synthetic: number;
  concatenatedString: number;
  slicedString: number;
}

export interface EdgeTypeCodes {
  context: number;
  element: number;
  property: number;
  internal: number;
  hidden: number;
  shortcut: number;
  weak: number;
}

/**
 * Where a class's constructor is defined, as the snapshot's `locations` give it (0-based). Line and
 * column may be negative: V8 counts them from the script's start, and code compiled with a negative
 * offset (vitest's module wrapper) starts before it.
 */
export interface ClassLocation {
  scriptId: number;
  line: number;
  column: number;
}

/** The reverse (retainer) index: see {@link HeapGraph.retainers}. */
export interface RetainerIndex {
  first: Uint32Array;
  edge: Uint32Array;
}

/**
 * Everything {@link HeapGraph.classes} computes under the snapshot's own plain-object shapes, for
 * saving (the snapshot cache) and handing back to a graph of the same snapshot.
 */
export interface ClassParts {
  nodeClass: Uint32Array;
  extraNames: string[];
  definitions: InterfaceDefinition[];
  /** The classes split by script: their id, the class they were split from, and the place. */
  split: { id: number; base: number; location: ClassLocation }[];
  /**
   * The class ids below the strings' count that some node has (string indices of class names), as
   * pairs `[hash of the name, id]` in increasing order ({@link namedClassTable}): a class is then
   * found by its name without going through every string. Absent or null: not known (the strings
   * are searched).
   */
  named?: Uint32Array | null;
}

/**
 * The hash of a class name that {@link ClassParts.named} is ordered by: 32-bit FNV-1a over the
 * name's UTF-16 code units.
 */
export function classNameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * {@link ClassParts.named} of a class index: every id below `S` that some node of `nodeClass` has,
 * each once, as `[classNameHash(nameOf(id)), id]` pairs in increasing order (by hash, then id).
 */
export function namedClassTable(nodeClass: Uint32Array, S: number, nameOf: (id: number) => string): Uint32Array {
  const seen = new Uint8Array(S);
  let count = 0;
  for (let n = 0; n < nodeClass.length; n++) {
    const c = nodeClass[n]!;
    if (c < S && seen[c] === 0) {
      seen[c] = 1;
      count++;
    }
  }
  const keys = new BigUint64Array(count);
  for (let id = 0, k = 0; id < S; id++) if (seen[id] === 1) keys[k++] = (BigInt(classNameHash(nameOf(id))) << 32n) | BigInt(id);
  keys.sort();
  const out = new Uint32Array(2 * count);
  for (let k = 0; k < count; k++) {
    out[2 * k] = Number(keys[k]! >> 32n);
    out[2 * k + 1] = Number(keys[k]! & 0xffffffffn);
  }
  return out;
}

/**
 * Where a graph may take its class index from instead of computing it (the snapshot cache). Called
 * at most once, on first use; it returns null when what it holds cannot be used, and the graph
 * then computes the index itself. What it returns must be checked already (lengths, every id in
 * range: see src/cache/entry.ts).
 */
export interface StoredIndexes {
  classes?: (() => ClassParts | null) | null;
  /**
   * The id-trust check's sample of this snapshot, packed (see id-sample.ts): checked as a whole
   * by whoever unpacks it.
   */
  idSample?: (() => Uint32Array | null) | null;
  /** Told when the graph keeps an id sample it computed ({@link HeapGraph.keepIdSample}): one to save. */
  onIdSample?: (() => void) | null;
  /**
   * The per-class and per-type totals of `info`, packed (see class-summary.ts): checked as a
   * whole by whoever unpacks it.
   */
  classSummary?: (() => Float64Array | null) | null;
  /** Told when the graph keeps totals it computed ({@link HeapGraph.keepClassSummary}): ones to save. */
  onClassSummary?: (() => void) | null;
}

/** In the class pass, marks the name of plain objects (see {@link HeapGraph.classes}). */
const PLAIN_NAME = 0xffffffff;

/** Count and self size (as written) of every node, by type code (see {@link HeapGraph.countsByType}). */
export interface NodeTypeCounts {
  count: Float64Array;
  size: Float64Array;
  /** The self sizes counted (null: none in the snapshot, every size is 0). */
  sizes: Uint32Array | null;
}

/**
 * The first part of the class pass ({@link HeapGraph.classes}), which reads the node columns and
 * the strings but no edge: each node's class by its type or its name, the names of the classes
 * that are no string of the snapshot, and the plain objects, listed in node order (their class is
 * their shape's, found from their edges next). Nodes are taken in order, and what was done from a
 * node on can be undone and done again: the pass can run while the edges are still being read,
 * assuming no node is detached (a node's DOM state spreads along the edges), and be done again
 * from the first node found detached afterwards, as if it had known from the start.
 */
export class NameClasses {
  /** Each node's class id (0 for plain objects, for now), for the nodes before {@link done}. */
  readonly nodeClass: Uint32Array;
  /** The names of class ids from `strings.length` on, and each one's id. */
  readonly extraNames: string[] = [];
  readonly extraIds = new Map<string, number>();
  readonly plainNodes = new IntList();
  /** The nodes before this one have been looked at. */
  done = 0;
  /** Every node counted by type, when counted with the pass (see {@link HeapGraph.countsByType}). */
  byType: NodeTypeCounts | null = null;
  /** The class of each name, plus one (0: not met yet; PLAIN_NAME: the name of plain objects). */
  private readonly nameClass: Uint32Array;
  /** The class of each node type's nodes other than objects and native ones. */
  private readonly typeClass: number[];
  private readonly detachedClass = new Map<number, number>();
  /** The node at which each of {@link extraNames} was made (-1: before any node). */
  private readonly extraAt: number[] = [];
  /** The names met, in the order first met, and the node that met each. */
  private readonly met = new IntList();
  private readonly metAt = new IntList();
  private readonly S: number;

  constructor(
    nodeTypes: readonly string[],
    private readonly codes: Pick<TypeCodes, "object" | "native">,
    readonly types: Uint8Array,
    readonly names: Uint32Array,
    readonly strings: StringTable,
    readonly nodeCount: number,
  ) {
    this.S = strings.length;
    this.nameClass = new Uint32Array(this.S);
    this.nodeClass = sharedU32(nodeCount);
    this.typeClass = nodeTypes.map((t) => this.extra(syntheticClassName(t), -1));
  }

  /** The id of the extra class `name` (see {@link extraNames}), made at node `at` when new. */
  extra(name: string, at: number): number {
    let id = this.extraIds.get(name);
    if (id === undefined) {
      id = this.S + this.extraNames.length;
      this.extraNames.push(name);
      this.extraIds.set(name, id);
      this.extraAt.push(at);
    }
    return id;
  }

  /**
   * Looks at nodes {@link done} … `to - 1`. `state`: each node's DOM state
   * ({@link HeapGraph.domStates}) when some node is detached, else null.
   */
  run(state: Uint8Array | null, to: number): void {
    const { types, names, nodeClass, nameClass, typeClass, strings, plainNodes, met, metAt } = this;
    const { object, native } = this.codes;
    for (let n = this.done; n < to; n++) {
      const t = types[n]!;
      if (t !== object && t !== native) {
        nodeClass[n] = typeClass[t]!;
        continue;
      }
      const name = names[n]!;
      if (state !== null && state[n] === 2) {
        let id = this.detachedClass.get(name);
        if (id === undefined) {
          id = this.extra(objectClassName(`Detached ${strings.get(name)}`), n);
          this.detachedClass.set(name, id);
        }
        nodeClass[n] = id;
        continue;
      }
      let known = nameClass[name]!;
      if (known === 0) {
        met.push(name);
        metAt.push(n);
        let id = name;
        if (isObjectName(strings, name)) {
          known = nameClass[name] = PLAIN_NAME;
        } else {
          const b = strings.firstByte(name);
          if (b === 60 || b === 68) {
            // One class per DOM name, whether the file wrote `<div>` or `<div class="x">`.
            const raw = strings.get(name);
            if (raw.startsWith("<") || raw.startsWith("Detached <")) id = this.extra(objectClassName(raw), n);
          }
          known = nameClass[name] = id + 1;
        }
      }
      if (known !== PLAIN_NAME) nodeClass[n] = known - 1;
      else if (t === object) plainNodes.push(n);
      // A native node named `Object` is no plain object: its name is its class.
      else nodeClass[n] = name;
    }
    if (to > this.done) this.done = to;
  }

  /** Undoes what was done from node `n` on: as if the pass had stopped there. */
  undoFrom(n: number): void {
    if (n >= this.done) return;
    while (this.extraAt.length > 0 && this.extraAt[this.extraAt.length - 1]! >= n) {
      this.extraAt.pop();
      this.extraIds.delete(this.extraNames.pop()!);
    }
    for (const [name, id] of this.detachedClass) if (id >= this.S + this.extraNames.length) this.detachedClass.delete(name);
    const { met, metAt } = this;
    while (met.length > 0 && metAt.data[metAt.length - 1]! >= n) {
      this.nameClass[met.data[met.length - 1]!] = 0;
      met.length--;
      metAt.length--;
    }
    const plain = this.plainNodes;
    while (plain.length > 0 && plain.data[plain.length - 1]! >= n) plain.length--;
    this.done = n;
  }
}

/** The first object or native node whose DOM state is detached (`state` has one). */
function firstDetached(state: Uint8Array, types: Uint8Array, codes: Pick<TypeCodes, "object" | "native">): number {
  for (let n = state.indexOf(2); n >= 0; n = state.indexOf(2, n + 1)) {
    if (types[n] === codes.object || types[n] === codes.native) return n;
  }
  return state.length;
}

/**
 * {@link NameClasses} of a snapshot read but for its edges, looked at assuming no node is detached,
 * for its graph to take ({@link HeapGraph.useNameClasses}): what the read does on its own thread
 * while another one reads the edges. Null when a node's name is no string (the graph says so when
 * made).
 */
export function earlyNameClasses(rest: Pick<RawSnapshot, "meta" | "nodes" | "strings">): NameClasses | null {
  const { meta, nodes, strings } = rest;
  const N = meta.nodeCount;
  if (!(nodes.maxStringRef < strings.length) || nodes.type.length < N || nodes.name.length < N) return null;
  const codes = { object: meta.nodeTypes.indexOf("object"), native: meta.nodeTypes.indexOf("native") };
  const pass = new NameClasses(meta.nodeTypes, codes, nodes.type, nodes.name, strings, N);
  pass.run(null, N);
  pass.byType = countByType(nodes.type, nodes.selfSize, N, meta.nodeTypes.length);
  return pass;
}

/** Count and self size (as written) of every node, by type: what `info` shows (see {@link HeapGraph.countsByType}). */
function countByType(types: Uint8Array, sizes: Uint32Array | null, N: number, T: number): NodeTypeCounts {
  const count = new Float64Array(T);
  const size = new Float64Array(T);
  if (sizes === null) {
    for (let n = 0; n < N; n++) count[types[n]!]!++;
  } else {
    for (let n = 0; n < N; n++) {
      const t = types[n]!;
      count[t]!++;
      size[t]! += sizes[n]!;
    }
  }
  return { count, size, sizes };
}

/**
 * Read options that also do the class pass's first part while another thread reads the edges
 * (ReadOptions.alongsideEdges), and `give`, which hands it to the graph made from that read.
 */
export function nameClassesAlongsideEdges<T extends Pick<ReadOptions, "alongsideEdges">>(
  options: T,
): { options: T; give: (graph: HeapGraph) => void } {
  let early: NameClasses | null = null;
  const before = options.alongsideEdges;
  return {
    options: {
      ...options,
      alongsideEdges: (rest) => {
        before?.(rest);
        early = earlyNameClasses(rest);
      },
    },
    give: (graph) => {
      graph.useNameClasses(early);
      early = null;
    },
  };
}

export class HeapGraph {
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly strings: StringTable;
  readonly nodeTypes: readonly string[];
  readonly edgeTypes: readonly string[];
  readonly nodeFields: readonly string[];
  readonly edgeFields: readonly string[];
  readonly header: Record<string, unknown>;
  readonly types: TypeCodes;
  readonly edgeTypeCodes: EdgeTypeCodes;

  /** `firstEdge[n] .. firstEdge[n + 1]` are node n's outgoing edges. Length nodeCount + 1. */
  get firstEdge(): Uint32Array {
    this.lz?.firstEdge.whole();
    return this.aFirstEdge;
  }

  // Columns. Hot loops elsewhere read them directly (`graph.columns`) rather than per-item methods.
  // A graph from the snapshot cache has them read on first use (`lz`, null otherwise): the
  // getters below read a whole column, the per-item methods of the columns a command samples
  // (names, ids, self sizes, edge types, names and targets) only the block holding the item.
  private readonly lz: LazyColumns | null;
  private readonly ahead: ((parts: readonly ReadAheadPart[], elements?: ArrayLike<number>) => void) | null;
  private readonly aFirstEdge: Uint32Array;
  private readonly aType: Uint8Array;
  private readonly aName: Uint32Array;
  private readonly aId: Uint32Array;
  private readonly aSize: Uint32Array | null;
  private readonly aDetached: Uint8Array | null;
  private readonly aEdgeType: Uint8Array;
  private readonly aEdgeName: Uint32Array;
  private readonly aEdgeTo: Uint32Array;
  private readonly aLocations: Uint32Array | null;
  private get nType(): Uint8Array {
    this.lz?.nodeType.whole();
    return this.aType;
  }
  private get nName(): Uint32Array {
    this.lz?.nodeName.whole();
    return this.aName;
  }
  private get nId(): Uint32Array {
    this.lz?.nodeId.whole();
    return this.aId;
  }
  private get nSize(): Uint32Array | null {
    this.lz?.selfSize?.whole();
    return this.aSize;
  }
  private get nDetached(): Uint8Array | null {
    this.lz?.detachedness?.whole();
    return this.aDetached;
  }
  private get eType(): Uint8Array {
    this.lz?.edgeType.whole();
    return this.aEdgeType;
  }
  private get eName(): Uint32Array {
    this.lz?.edgeName.whole();
    return this.aEdgeName;
  }
  private get eTo(): Uint32Array {
    this.lz?.edgeTo.whole();
    return this.aEdgeTo;
  }
  private get locations(): Uint32Array | null {
    this.lz?.locations?.whole();
    return this.aLocations;
  }

  /** The raw columns, for hot loops: node type codes, edge type codes and edge targets. */
  get columns(): {
    nodeType: Uint8Array;
    nodeName: Uint32Array;
    nodeId: Uint32Array;
    selfSize: Uint32Array | null;
    edgeType: Uint8Array;
    edgeTo: Uint32Array;
    edgeName: Uint32Array;
  } {
    if (this.lz !== null) {
      // Read on first use: only the columns a caller takes are read.
      // eslint-disable-next-line @typescript-eslint/no-this-alias
      const g = this;
      return {
        get nodeType() {
          return g.nType;
        },
        get nodeName() {
          return g.nName;
        },
        get nodeId() {
          return g.nId;
        },
        get selfSize() {
          return g.nSize;
        },
        get edgeType() {
          return g.eType;
        },
        get edgeTo() {
          return g.eTo;
        },
        get edgeName() {
          return g.eName;
        },
      };
    }
    return {
      nodeType: this.nType,
      nodeName: this.nName,
      nodeId: this.nId,
      selfSize: this.nSize,
      edgeType: this.eType,
      edgeTo: this.eTo,
      edgeName: this.eName,
    };
  }

  private retainerIndex: RetainerIndex | null = null;
  private retainerScan: RetainerScan | null = null;
  private stored: StoredIndexes = {};
  private classIndex: { nodeClass: Uint32Array; extraNames: string[] } | null = null;
  private definitions: InterfaceDefinition[] = [];
  private givenDefinitions: InterfaceDefinition[] | null = null;
  /** Class id → location, for the classes split by script. */
  private classLocations = new Map<number, ClassLocation>();
  /** Class id made by the split → the class it was split from. */
  private splitBase = new Map<number, number>();
  private nameGroups: Uint32Array | null = null;
  /** {@link ClassParts.named}: taken from a stored class index, or made for saving one; null: not known. */
  private namedClasses: Uint32Array | null = null;
  private domState: Uint8Array | null | undefined = undefined;
  /** The class pass's first part, done while the snapshot was read ({@link useNameClasses}); null once used. */
  private early: NameClasses | null = null;
  /** See {@link countsByType}. */
  private typeCounts: NodeTypeCounts | null = null;
  /** The id-trust check's sample, packed, when computed here (not taken from `stored`). */
  private idSampleComputed: Uint32Array | null = null;
  /** The one taken from `stored` (undefined: not asked yet). */
  private idSampleStored: Uint32Array | null | undefined = undefined;
  /** The totals of {@link classSummary}, packed, when computed here (not taken from `stored`). */
  private classSummaryComputed: Float64Array | null = null;
  /** The ones taken from `stored` (undefined: not asked yet). */
  private classSummaryStored: ClassSummary | null | undefined = undefined;

  constructor(raw: RawSnapshot) {
    const m = raw.meta;
    this.nodeCount = m.nodeCount;
    this.edgeCount = m.edgeCount;
    this.strings = raw.strings;
    this.nodeTypes = m.nodeTypes;
    this.edgeTypes = m.edgeTypes;
    this.nodeFields = m.nodeFields;
    this.edgeFields = m.edgeFields;
    this.header = raw.header;
    this.lz = raw.lazy ?? null;
    this.ahead = raw.readAhead ?? null;
    this.aType = raw.nodes.type;
    this.aName = raw.nodes.name;
    this.aId = raw.nodes.id;
    this.aSize = raw.nodes.selfSize;
    this.aDetached = raw.nodes.detachedness;
    this.aFirstEdge = raw.nodes.firstEdge;
    this.aEdgeType = raw.edges.type;
    this.aEdgeName = raw.edges.name;
    this.aEdgeTo = raw.edges.to;
    this.aLocations = raw.locations ?? null;
    const t = (name: string): number => m.nodeTypes.indexOf(name);
    this.types = {
      hidden: t("hidden"),
      array: t("array"),
      string: t("string"),
      object: t("object"),
      code: t("code"),
      closure: t("closure"),
      regexp: t("regexp"),
      number: t("number"),
      native: t("native"),
      synthetic: t("synthetic"),
      concatenatedString: t("concatenated string"),
      slicedString: t("sliced string"),
    };
    const e = (name: string): number => m.edgeTypes.indexOf(name);
    this.edgeTypeCodes = {
      context: e("context"),
      element: e("element"),
      property: e("property"),
      internal: e("internal"),
      hidden: e("hidden"),
      shortcut: e("shortcut"),
      weak: e("weak"),
    };
    // Columns read on first use are checked as they are read (string indices included).
    if (this.lz === null) this.validateStrings(raw.nodes.maxStringRef, raw.edges.maxStringRef);
  }

  /**
   * Checks every string index against the strings table (the parser checked types, counts and
   * `to_node` as it read; strings come last in the file, so this waits until the end). The parser
   * noted the largest index it saw: only when that is out of range are the names scanned, to say
   * which one.
   */
  private validateStrings(maxNodeRef: number, maxEdgeRef: number): void {
    const stringCount = this.strings.length;
    const fail = (what: string): never => {
      throw new SnapshotFormatError(what, 0, undefined, "the snapshot is corrupt");
    };
    const names = this.nName;
    // (Written as !(x < count): a maximum that is missing or not a number means "look".)
    if (!(maxNodeRef < stringCount)) {
      for (let n = 0; n < this.nodeCount; n++) {
        if (names[n]! >= stringCount) fail(`node ${n} names string ${names[n]} but there are only ${stringCount} strings`);
      }
    }
    if (maxEdgeRef < stringCount) return;
    const element = this.edgeTypeCodes.element;
    const hidden = this.edgeTypeCodes.hidden;
    const types = this.eType;
    const edgeNames = this.eName;
    for (let i = 0; i < this.edgeCount; i++) {
      const type = types[i]!;
      if (type !== element && type !== hidden && edgeNames[i]! >= stringCount) {
        fail(`edge ${i} names string ${edgeNames[i]} but there are only ${stringCount} strings`);
      }
    }
  }

  /**
   * A hint, for a graph read back from the snapshot cache: the command is about to read these
   * parts whole (or nearly), in this order, so they are read on a second thread meanwhile (the
   * parts it has not read yet; see src/cache/read-ahead.ts). With `elements` (node or edge
   * numbers, as the part is indexed), only the blocks holding those elements of each part: what a
   * command will look up one by one, spread over much of a column. Nothing changes for a graph read
   * from its snapshot, nor in what any method returns.
   */
  readAhead(parts: readonly ReadAheadPart[], elements?: ArrayLike<number>): void {
    this.ahead?.(parts, elements);
  }

  // ------------------------------------------------------------------ nodes

  nodeType(n: number): number {
    return this.nType[n]!;
  }
  nodeTypeName(n: number): string {
    return this.nodeTypes[this.nodeType(n)]!;
  }
  /** Index into the strings table of the node's raw name. */
  nodeNameIndex(n: number): number {
    this.lz?.nodeName.at(n);
    return this.aName[n]!;
  }
  nodeName(n: number): string {
    return this.strings.get(this.nodeNameIndex(n));
  }
  nodeId(n: number): number {
    this.lz?.nodeId.at(n);
    return this.aId[n]!;
  }
  /**
   * Self size as V8 wrote it in the snapshot (0 when the snapshot has no self_size field). Not the
   * size DevTools shows: for that, `HeapAnalysis.shallowSize`, which moves the sizes of some
   * internal objects to their owners.
   */
  rawSelfSize(n: number): number {
    if (this.aSize === null) return 0;
    this.lz?.selfSize?.at(n);
    return this.aSize[n]!;
  }
  /** @deprecated The same as {@link rawSelfSize} (V8's raw self size), under its old name. */
  selfSize(n: number): number {
    return this.rawSelfSize(n);
  }
  /** 0 unknown, 1 attached, 2 detached (DOM nodes in browser snapshots). */
  detachedness(n: number): number {
    return this.nDetached === null ? 0 : this.nDetached[n]!;
  }
  hasField(name: string): boolean {
    return this.nodeFields.includes(name);
  }

  /** Ordinal of the node with heap id `id`, or -1. A linear scan: for many ids, select them in one pass (`selectNodes`). */
  findById(id: number): number {
    return this.nId.indexOf(id);
  }

  // ------------------------------------------------------------------ edges

  edgeType(e: number): number {
    this.lz?.edgeType.at(e);
    return this.aEdgeType[e]!;
  }
  /**
   * The edge type column, with the types of edges `[from, to)` readable (from a cache entry, the
   * blocks that hold them read first): a loop over one node's edges reads their types without a
   * call per edge. Only `[from, to)` is to be read from it.
   */
  edgeTypesOf(from: number, to: number): Uint8Array {
    this.lz?.edgeType.range(from, to);
    return this.aEdgeType;
  }
  edgeTypeName(e: number): string {
    return this.edgeTypes[this.edgeType(e)]!;
  }
  /** The target node ordinal of edge `e`. */
  edgeTo(e: number): number {
    this.lz?.edgeTo.at(e);
    return this.aEdgeTo[e]!;
  }
  /**
   * The source node of edge `e`: a binary search over the first-edge index, narrowed by a table
   * of the source of every {@link SOURCE_BLOCK}-th edge (built on first use by a short forward
   * search per block, 4 bytes per block), so that the search looks at a few neighbouring nodes instead of
   * ~24 far-apart ones. Walks up the retainers ask this for every retainer they look at.
   */
  edgeSource(e: number): number {
    const blocks = this.sourceBlocks ?? this.buildSourceBlocks();
    const b = e >>> SOURCE_BLOCK_SHIFT;
    // The sources of edges b·B and (b+1)·B bracket the source of e (edges are in source order);
    // past the last edge, the whole index.
    const inRange = b + 1 < blocks.length;
    let lo = inRange ? blocks[b]! : 0;
    let hi = inRange ? blocks[b + 1]! : Math.max(0, this.nodeCount - 1);
    const first = this.firstEdge;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (first[mid]! <= e) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * `blocks[b]` is the source of edge b·{@link SOURCE_BLOCK}; the entry past the last block is the
   * last node (an upper bound for the last block's search).
   */
  private buildSourceBlocks(): Uint32Array {
    const N = this.nodeCount;
    const E = this.edgeCount;
    const count = Math.ceil(E / SOURCE_BLOCK);
    const blocks = new Uint32Array(count + 1);
    const first = this.firstEdge;
    // Each block's source is at or after the previous one's: search forward from there, in
    // doubling steps and then by halves (a few reads per block, not one per node).
    let n = 0;
    for (let b = 0; b < count; b++) {
      const e = b * SOURCE_BLOCK;
      // first[n] <= e; find the last node whose first edge is at or before e.
      let lo = n;
      let step = 1;
      let hi = lo + step;
      while (hi < N && first[hi]! <= e) {
        lo = hi;
        step *= 2;
        hi = lo + step;
      }
      if (hi > N) hi = N;
      // first[lo] <= e, and hi is N or first[hi] > e.
      while (hi - lo > 1) {
        const mid = (lo + hi) >>> 1;
        if (first[mid]! <= e) lo = mid;
        else hi = mid;
      }
      blocks[b] = n = lo;
    }
    blocks[count] = Math.max(0, N - 1);
    return (this.sourceBlocks = blocks);
  }
  private sourceBlocks: Uint32Array | null = null;

  /** Raw `name_or_index`: an element index for element/hidden edges, else a string index. */
  edgeNameOrIndex(e: number): number {
    this.lz?.edgeName.at(e);
    return this.aEdgeName[e]!;
  }
  /** Property name (string) or element index (number), as in the snapshot. */
  edgeName(e: number): string | number {
    const t = this.edgeType(e);
    const v = this.edgeNameOrIndex(e);
    if (t === this.edgeTypeCodes.element || t === this.edgeTypeCodes.hidden) return v;
    return this.strings.get(v);
  }

  // ------------------------------------------------------------------ retainers

  /**
   * The edges that retain node n, in increasing order (so by source node, repeats from one
   * retainer adjacent): the same as n's slot of the {@link retainers} index. Without that index,
   * a walk that asks for the retainers of a few nodes at a time (a picture) does not pay for
   * building it: a node is looked up by one pass over the edges' targets, which also looks up the
   * retainers of the sources of the nodes looked up before (the walk's next step). Past a few such
   * passes the whole index is built.
   */
  retainerEdges(n: number): Uint32Array {
    if (!this.retainerIndex) {
      this.retainerScan ??= new RetainerScan(this.eTo, this.nodeCount, (e) => this.edgeSource(e));
      const got = this.retainerScan.of(n);
      if (got) return got;
      this.retainerScan = null;
    }
    const r = this.retainers();
    return r.edge.subarray(r.first[n]!, r.first[n + 1]!);
  }

  /**
   * Says that the retainers of `nodes` will be asked for ({@link retainerEdges}): without the
   * whole index, they are looked up together with the next node asked for, in one pass.
   */
  prefetchRetainers(nodes: Iterable<number>): void {
    if (this.retainerIndex) return;
    this.retainerScan ??= new RetainerScan(this.eTo, this.nodeCount, (e) => this.edgeSource(e));
    this.retainerScan.expect(nodes);
  }

  /**
   * The reverse index, built on first use by a counting sort over edges: for node n,
   * `first[n] .. first[n + 1]` index into `edge`, the edges that retain n, in increasing order of
   * their source node (so repeats from one retainer are adjacent, and every walk is deterministic).
   * The source of an edge is {@link edgeSource}: not stored, which saves 4 bytes per edge.
   */
  retainers(): RetainerIndex {
    if (this.retainerIndex) return this.retainerIndex;
    const N = this.nodeCount;
    const E = this.edgeCount;
    const first = new Uint32Array(N + 1);
    const to = this.eTo;
    for (let i = 0; i < E; i++) first[to[i]! + 1]!++;
    for (let n = 0; n < N; n++) first[n + 1]! += first[n]!;
    const edge = new Uint32Array(E);
    // Edges are numbered in source order, so filling in edge order keeps sources increasing.
    // first[t] serves as t's cursor and ends at t's end, which is t + 1's start: shifting it by
    // one place restores the starts (no second node-sized array).
    for (let e = 0; e < E; e++) edge[first[to[e]!]!++] = e;
    for (let n = N; n > 0; n--) first[n] = first[n - 1]!;
    first[0] = 0;
    this.retainerIndex = { first, edge };
    return this.retainerIndex;
  }

  // ------------------------------------------------------------------ classes

  /**
   * Class ids for every node, DevTools' "Constructor" column (docs/class-names.md). Ids below
   * `strings.length` are the string index of an object/native node's name; ids above index
   * `extraNames` (`(system)`, `Function`, `(string)`, DOM names like `<div>`, `Detached <div>`,
   * plain-object shapes like `{a, b}`...).
   */
  classes(): { nodeClass: Uint32Array; extraNames: string[] } {
    if (this.classIndex) return this.classIndex;
    const load = this.givenDefinitions === null ? this.stored.classes : null;
    this.stored.classes = null;
    const saved = load ? load() : null;
    if (saved) {
      this.definitions = saved.definitions;
      this.classLocations = new Map(saved.split.map((s) => [s.id, s.location]));
      this.splitBase = new Map(saved.split.map((s) => [s.id, s.base]));
      this.nameGroups = null;
      this.classIndex = { nodeClass: saved.nodeClass, extraNames: saved.extraNames };
      this.namedClasses = saved.named ?? null;
      return this.classIndex;
    }
    // The first part, by the nodes' names: done while the snapshot was read when it was (assuming
    // no node detached; done again from the first one that is), else now.
    const states = this.domStates();
    // (Only native nodes can be detached: with none, the pass does not look.)
    const state = states !== null && states.indexOf(2) >= 0 ? states : null;
    let first = this.early;
    this.early = null;
    if (first === null) first = new NameClasses(this.nodeTypes, this.types, this.nType, this.nName, this.strings, this.nodeCount);
    else if (state !== null) first.undoFrom(firstDetached(state, this.nType, this.types));
    first.run(state, this.nodeCount);
    const { nodeClass, extraNames, plainNodes } = first;
    const extra = (name: string): number => first.extra(name, this.nodeCount);
    const names = this.nName;
    const plain = new PlainObjects(this);
    // Plain objects: shape ids go into nodeClass for a moment, then the shape's class.
    plain.scan(nodeClass, plainNodes);
    const defs = this.givenDefinitions ?? plain.infer();
    const defIds = defs.map((d) => extra(d.name));
    const byShape = plain.match(defs);
    const listed = plainNodes.data;
    for (let i = 0; i < plainNodes.length; i++) {
      const n = listed[i]!;
      const d = byShape[nodeClass[n]!]!;
      nodeClass[n] = d >= 0 ? defIds[d]! : names[n]!;
    }
    this.definitions = defs;
    this.classLocations = this.splitByLocation(nodeClass, extraNames);
    this.nameGroups = null;
    this.classIndex = { nodeClass, extraNames };
    return this.classIndex;
  }

  /**
   * Takes the class index from `stored` when first needed instead of computing it (see
   * {@link StoredIndexes}). Call before classes are used.
   */
  useStoredIndexes(stored: StoredIndexes): void {
    this.stored = { ...stored };
  }

  /**
   * Takes the class pass's first part, done while the snapshot was read ({@link earlyNameClasses}),
   * for the class index to go on from. Ignored unless it was done on this graph's own node columns
   * and strings, before the class index was computed.
   */
  useNameClasses(early: NameClasses | null): void {
    if (early === null || this.classIndex !== null || this.lz !== null) return;
    if (early.types !== this.aType || early.names !== this.aName || early.strings !== this.strings || early.nodeCount !== this.nodeCount)
      return;
    this.early = early;
    if (early.byType !== null && early.byType.sizes === this.aSize && early.byType.count.length === this.nodeTypes.length)
      this.typeCounts = early.byType;
  }

  /**
   * Count and self size (as written) of every node, by type code, when they were counted while the
   * snapshot was read (with the class pass's first part, {@link useNameClasses}); null otherwise.
   * The arrays are the graph's: not to be changed.
   */
  countsByType(): NodeTypeCounts | null {
    return this.typeCounts;
  }

  /**
   * The id-trust check's sample of this snapshot, packed (see id-sample.ts): the one computed here
   * ({@link keepIdSample}), else the one {@link StoredIndexes} holds (taken on first use), else null.
   */
  idSample(): Uint32Array | null {
    if (this.idSampleComputed) return this.idSampleComputed;
    if (this.idSampleStored === undefined) {
      const load = this.stored.idSample;
      this.stored.idSample = null;
      this.idSampleStored = load ? load() : null;
    }
    return this.idSampleStored;
  }

  /** Keeps the id-trust check's sample, packed, computed from this graph: for saving ({@link idSampleParts}). */
  keepIdSample(packed: Uint32Array): void {
    this.idSampleComputed = packed;
    this.stored.onIdSample?.();
  }

  /** The id-trust check's sample when it was computed from this graph (not taken from a store), for saving. */
  idSampleParts(): Uint32Array | null {
    return this.idSampleComputed;
  }

  /**
   * The per-class and per-type totals `info` shows with the analysis (see class-summary.ts), as
   * {@link StoredIndexes} holds them (taken on first use, with the class index): null when none is
   * stored, when they are not valid for this graph (see unpackClassSummary), or when the classes are
   * named by other plain-object shapes than the default (the totals are those of the default classes).
   */
  classSummary(): ClassSummary | null {
    if (this.givenDefinitions !== null) return null;
    if (this.classSummaryStored === undefined) {
      const load = this.stored.classSummary;
      this.stored.classSummary = null;
      const packed = load ? load() : null;
      this.classSummaryStored =
        packed === null ? null : unpackClassSummary(packed, this.nodeTypes.length, this.nodeCount, this.classIdLimit);
    }
    return this.classSummaryStored;
  }

  /**
   * Keeps the totals computed from this graph and its analysis with the default classes, packed
   * (see class-summary.ts), for saving ({@link classSummaryParts}); ignored under other classes.
   */
  keepClassSummary(packed: Float64Array): void {
    if (this.givenDefinitions !== null || this.classSummaryComputed !== null) return;
    this.classSummaryComputed = packed;
    this.stored.onClassSummary?.();
  }

  /** The totals when they were computed from this graph (not taken from a store), for saving. */
  classSummaryParts(): Float64Array | null {
    return this.classSummaryComputed;
  }

  /** The class index as computed under the snapshot's own shapes, for saving; null when not computed (or named by other shapes). */
  classParts(): ClassParts | null {
    if (!this.classIndex || this.givenDefinitions !== null) return null;
    const split = [...this.splitBase].map(([id, base]) => ({ id, base, location: this.classLocations.get(id)! }));
    const S = this.strings.length;
    this.namedClasses ??= namedClassTable(this.classIndex.nodeClass, S, (id) => this.strings.get(id));
    return { ...this.classIndex, definitions: this.definitions, split, named: this.namedClasses };
  }

  /**
   * The class ids below the strings' count named `name`, in increasing order. With a stored
   * class index ({@link ClassParts.named}), the ids some node has, found by the name's hash (each
   * checked against its string); otherwise every string equal to `name` (those no node has select
   * nothing).
   */
  classIdsOfName(name: string): number[] {
    // A name the table does not find is looked for among the classes the nodes have, so that a
    // table that lacks a pair or has a wrong hash cannot hide a class (the cost only on a miss,
    // which every class of objects split by where their constructor is defined meets).
    return this.classIdsOfNameByTable(name) ?? this.classIdsNamedInColumn(name);
  }

  /**
   * {@link classIdsOfName} where it needs no pass over the class column: the ids the stored class
   * name table finds (each checked against its string), or every string equal to `name` when there
   * is no table; null when the table finds none, where only the class column can tell (a caller
   * that goes through the column anyway may look for the name's ids on its way: their strings
   * equal `name`).
   */
  classIdsOfNameByTable(name: string): number[] | null {
    this.classes();
    // The table describes the class index it came with: not the one made under other shapes.
    const named = this.givenDefinitions === null ? this.namedClasses : null;
    if (named === null) return this.strings.indicesOf(name);
    const h = classNameHash(name);
    // The first pair whose hash is at least h.
    let lo = 0;
    let hi = named.length >>> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (named[2 * mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const out: number[] = [];
    for (let k = lo; 2 * k < named.length && named[2 * k] === h; k++) {
      const id = named[2 * k + 1]!;
      if (this.strings.get(id) === name) out.push(id);
    }
    if (out.length === 0) return null;
    return out.sort((a, b) => a - b);
  }

  /**
   * The class ids below the strings' count that some node has and whose string is `name`, in
   * increasing order: from the class column itself (each id's string compared once), not from a
   * stored table. What the table finds when it is right, for the cost of a pass over the column
   * and of the strings of the few hundred ids met — not of every string of the snapshot (at
   * 200 MB, 344k strings read and compared).
   */
  private classIdsNamedInColumn(name: string): number[] {
    const nodeClass = this.classes().nodeClass;
    const S = this.strings.length;
    const seen = new Uint8Array(S);
    const out: number[] = [];
    for (let n = 0; n < nodeClass.length; n++) {
      const c = nodeClass[n]!;
      if (c >= S || seen[c] === 1) continue;
      seen[c] = 1;
      if (this.strings.get(c) === name) out.push(c);
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * DevTools keeps apart objects of one class name whose constructors are defined in different
   * places: an `object` node with an entry in the snapshot's `locations` gets a class per
   * (script, line, column, name). Objects without one keep the plain class. When a node has two
   * entries, the last one counts. Returns the location of each class made here.
   */
  private splitByLocation(nodeClass: Uint32Array, extraNames: string[]): Map<number, ClassLocation> {
    const out = new Map<number, ClassLocation>();
    this.splitBase = new Map();
    const values = this.locations;
    const meta = (this.header["meta"] ?? {}) as Record<string, unknown>;
    const fields = Array.isArray(meta["location_fields"]) ? (meta["location_fields"] as unknown[]) : [];
    const at = (name: string): number => fields.indexOf(name);
    const [oi, si, li_, ci] = [at("object_index"), at("script_id"), at("line"), at("column")];
    const stride = fields.length;
    const object = this.types.object;
    if (values === null || stride === 0 || oi < 0 || si < 0 || li_ < 0 || ci < 0 || object < 0) return out;
    const S = this.strings.length;
    const nameOf = (id: number): string => (id < S ? this.strings.get(id) : extraNames[id - S]!);
    const nodeStride = this.nodeFields.length;
    const N = this.nodeCount;
    const seen = new Uint8Array((N + 7) >>> 3);
    // Per base class, a short list of the locations seen with it (typed arrays, no hashing: a
    // class has one or a few).
    const head = new Int32Array(S + extraNames.length).fill(-1);
    const script: number[] = [];
    const line: number[] = [];
    const column: number[] = [];
    const next: number[] = [];
    const made: number[] = [];
    const limit = N * nodeStride;
    const types = this.nType;
    for (let r = Math.floor(values.length / stride) - 1; r >= 0; r--) {
      const base = r * stride;
      const index = values[base + oi]!;
      if (index >= limit || index % nodeStride !== 0) continue; // names no node: nothing to split
      const n = (index / nodeStride) >>> 0; // an integer, so typed-array reads stay fast
      const bit = 1 << (n & 7);
      if ((seen[n >>> 3]! & bit) !== 0) continue;
      seen[n >>> 3]! |= bit;
      if (types[n] !== object) continue;
      const c = nodeClass[n]!;
      const sc = values[base + si]!;
      // Line and column are signed (a column before the script's start: see the reader's `locations`).
      const li = values[base + li_]! | 0;
      const co = values[base + ci]! | 0;
      let e = head[c]!;
      while (e >= 0 && (script[e] !== sc || line[e] !== li || column[e] !== co)) e = next[e]!;
      if (e < 0) {
        e = made.length;
        const id = S + extraNames.length;
        extraNames.push(nameOf(c));
        script.push(sc);
        line.push(li);
        column.push(co);
        next.push(head[c]!);
        head[c] = e;
        made.push(id);
        out.set(id, { scriptId: sc, line: li, column: co });
        this.splitBase.set(id, c);
      }
      nodeClass[n] = made[e]!;
    }
    return out;
  }

  /**
   * Where the constructor of class `classId` is defined, for classes DevTools splits by script;
   * null for every other class.
   */
  classLocation(classId: number): ClassLocation | null {
    this.classes();
    return this.classLocations.get(classId) ?? null;
  }

  /**
   * For each class id, one id per class *name* (the smallest id with that name): for totals by
   * name without double counting, where one name has several classes (split by script).
   */
  classNameGroups(): Uint32Array {
    const { extraNames } = this.classes();
    if (this.nameGroups) return this.nameGroups;
    const groups = new Uint32Array(this.strings.length + extraNames.length);
    for (let i = 0; i < groups.length; i++) groups[i] = i;
    for (const [id, base] of this.splitBase) groups[id] = base;
    return (this.nameGroups = groups);
  }

  /**
   * The plain-object shapes this graph names (`{a, b}` classes), most common first, as DevTools
   * infers them from this snapshot, or as given to {@link useInterfaceDefinitions}.
   */
  interfaceDefinitions(): InterfaceDefinition[] {
    this.classes();
    return this.definitions.map((d) => ({ name: d.name, properties: [...d.properties] }));
  }

  /** True unless plain objects are named by shapes given to {@link useInterfaceDefinitions}. */
  get namedByOwnShapes(): boolean {
    return this.givenDefinitions === null;
  }

  /**
   * Names plain objects by another snapshot's shapes (DevTools compares two snapshots under the
   * later one's definitions, so a shape common in one and rare in the other keeps one name).
   * Pass null to go back to this snapshot's own. Class ids computed before are invalid after.
   */
  useInterfaceDefinitions(defs: readonly InterfaceDefinition[] | null): void {
    this.givenDefinitions = defs === null ? null : defs.map((d) => ({ name: d.name, properties: [...d.properties] }));
    this.classIndex = null;
  }

  /**
   * Runs `fn` with plain objects named by `defs` (see {@link useInterfaceDefinitions}), then puts
   * this graph's naming back. Nothing is recomputed when `defs` name every object as the ones in
   * use do ({@link sameNaming}: two snapshots of one program usually differ only in the order of
   * shapes whose counts are close).
   */
  withInterfaceDefinitions<T>(defs: readonly InterfaceDefinition[], fn: () => T): T {
    this.classes();
    if (sameNaming(this.definitions, defs)) return fn();
    const saved = {
      index: this.classIndex,
      definitions: this.definitions,
      given: this.givenDefinitions,
      locations: this.classLocations,
      splitBase: this.splitBase,
      groups: this.nameGroups,
    };
    this.useInterfaceDefinitions(defs);
    try {
      return fn();
    } finally {
      this.classIndex = saved.index;
      this.definitions = saved.definitions;
      this.givenDefinitions = saved.given;
      this.classLocations = saved.locations;
      this.splitBase = saved.splitBase;
      this.nameGroups = saved.groups;
    }
  }

  /**
   * DOM state per node after DevTools' propagation (0 unknown, 1 attached, 2 detached), or null
   * when the snapshot has no `detachedness` field. Native nodes with a known state pass it on to
   * the native nodes they reach (not through hidden or weak edges), attached first; a node's first
   * state is final, and JavaScript objects stop the propagation.
   */
  domStates(): Uint8Array | null {
    if (this.domState !== undefined) return this.domState;
    if (this.nDetached === null) return (this.domState = null);
    const N = this.nodeCount;
    const state = new Uint8Array(N);
    const visited = new Uint8Array(N);
    const attached: number[] = [];
    const detached: number[] = [];
    const native = this.types.native;
    const visit = (n: number, s: number): void => {
      if (visited[n] === 1) return;
      visited[n] = 1;
      if (this.nodeType(n) !== native) return;
      state[n] = s;
      if (s === 2) detached.push(n);
      else attached.push(n);
    };
    const given = this.nDetached;
    for (let n = 0; n < N; n++) {
      const s = given[n]!;
      if (s === 1 || s === 2) visit(n, s);
    }
    const { hidden, weak } = this.edgeTypeCodes;
    const drain = (stack: number[], s: number): void => {
      while (stack.length > 0) {
        const n = stack.pop()!;
        for (let e = this.firstEdge[n]!; e < this.firstEdge[n + 1]!; e++) {
          const t = this.edgeType(e);
          if (t === hidden || t === weak) continue;
          visit(this.edgeTo(e), s);
        }
      }
    };
    drain(attached, 1);
    drain(detached, 2);
    return (this.domState = state);
  }

  /** DevTools' class name of node n. */
  className(n: number): string {
    return this.classNameOf(this.classes().nodeClass[n]!);
  }

  /** The name of a class id from {@link classes}. */
  classNameOf(classId: number): string {
    const S = this.strings.length;
    return classId < S ? this.strings.get(classId) : this.classes().extraNames[classId - S]!;
  }

  /** Number of distinct class ids (an upper bound for arrays indexed by class id). */
  get classIdLimit(): number {
    return this.strings.length + this.classes().extraNames.length;
  }

  /**
   * True for the root (ordinal 0) and every node of type `synthetic`: `(GC roots)` and its
   * categories (`(Global handles)`, `(Strong roots)`, …), `(Document DOM trees)`. These are V8's
   * bookkeeping, not heap objects: they say where retention starts. A graph-only test (no
   * analysis); `HeapAnalysis.isRetentionRoot` adds the user roots. Used there and by the
   * leak report's path text (which names a root category instead of describing it as an object).
   */
  isSyntheticRoot(n: number): boolean {
    return n === 0 || this.nodeType(n) === this.types.synthetic;
  }
  /** @deprecated The same as {@link isSyntheticRoot}, under its old name. */
  isRootLike(n: number): boolean {
    return this.isSyntheticRoot(n);
  }
}

function sameDefinitions(a: readonly InterfaceDefinition[], b: readonly InterfaceDefinition[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.name !== y.name || x.properties.length !== y.properties.length) return false;
    for (let k = 0; k < x.properties.length; k++) if (x.properties[k] !== y.properties[k]) return false;
  }
  return true;
}

/**
 * Whether two lists of definitions name every plain object alike: the same definitions, and
 * among those with as many properties the same order. An object takes the fitting definition with
 * the most properties, the earlier one on a tie (class-names.ts, `match`), so only the order
 * between definitions of one length can change a name; the list is ordered by count, which two
 * snapshots of one program often tell apart only for shapes of different lengths.
 */
export function sameNaming(a: readonly InterfaceDefinition[], b: readonly InterfaceDefinition[]): boolean {
  if (sameDefinitions(a, b)) return true;
  if (a.length !== b.length) return false;
  const byLength = (list: readonly InterfaceDefinition[]): InterfaceDefinition[] =>
    list
      .map((d, i) => ({ d, i }))
      .sort((x, y) => x.d.properties.length - y.d.properties.length || x.i - y.i)
      .map((x) => x.d);
  return sameDefinitions(byLength(a), byLength(b));
}

/** Class names of non-object node types, as DevTools shows them. */
export function syntheticClassName(type: string): string {
  switch (type) {
    case "hidden":
      return "(system)";
    case "code":
      return "(compiled code)";
    case "closure":
      return "Function";
    case "regexp":
      return "RegExp";
    default:
      return `(${type})`;
  }
}

/** `<div class="x" id="y">` → `<div>`: DevTools shows DOM elements by tag. */
export function domClassName(name: string): string {
  if (!name.startsWith("<")) return name;
  const space = name.indexOf(" ");
  return space < 0 ? name : name.slice(0, space) + ">";
}

/**
 * The class name DevTools gives an object or native node named `name` (with `Detached ` already
 * put in front for detached DOM nodes): `<div class="x">` → `<div>`, `Detached <div id="y">` →
 * `Detached <div>`, anything else as is.
 */
export function objectClassName(name: string): string {
  if (name.startsWith("<")) return domClassName(name);
  if (name.startsWith("Detached <")) {
    const space = name.indexOf(" ", 10);
    return space < 0 ? name : name.slice(0, space) + ">";
  }
  return name;
}

/** Edges per entry of the table that narrows {@link HeapGraph.edgeSource}'s search. */
const SOURCE_BLOCK_SHIFT = 8;
const SOURCE_BLOCK = 1 << SOURCE_BLOCK_SHIFT;

/** How many passes over the edges {@link RetainerScan} makes before the whole index is built instead. */
const MAX_RETAINER_SCANS = 12;

/**
 * Retainers of some nodes without the whole reverse index (see {@link HeapGraph.retainerEdges}):
 * each pass over the edges' targets collects the retainers of the node asked for and of the
 * nodes queued: those said to come ({@link expect}), and the sources of the retainers given out,
 * which is where a walk up the retainers goes next. Gives up (null) after
 * {@link MAX_RETAINER_SCANS} passes. Per node a byte of state and a slot number; no hashing.
 */
class RetainerScan {
  /** Per node: 0 nothing, 1 queued, 2 found, 3 found and given out. */
  private readonly state: Uint8Array;
  /** Per found node: its slot in `slotStart`/`slotEnd`/`slotChunk`. */
  private readonly slotOf: Uint32Array;
  private slotStart = new Uint32Array(256);
  private slotEnd = new Uint32Array(256);
  private slotChunk = new Uint32Array(256);
  private slots = 0;
  /** The edges found by each pass, grouped by target. */
  private readonly chunks: Uint32Array[] = [];
  private queue: number[] = [];
  /** Retainer lists given out since the last pass: their sources are queued for the next. */
  private givenOut: Uint32Array[] = [];
  private scans = 0;
  private readonly bits: Uint8Array;

  constructor(
    private readonly to: Uint32Array,
    nodeCount: number,
    private readonly source: (e: number) => number,
  ) {
    this.state = new Uint8Array(nodeCount);
    this.slotOf = new Uint32Array(nodeCount);
    this.bits = new Uint8Array((nodeCount + 7) >>> 3);
  }

  /** Queues nodes for the next pass. */
  expect(nodes: Iterable<number>): void {
    for (const m of nodes) this.enqueue(m);
  }

  private enqueue(m: number): void {
    if (this.state[m] !== 0) return;
    this.state[m] = 1;
    this.queue.push(m);
  }

  of(n: number): Uint32Array | null {
    if (this.state[n]! < 2) {
      if (this.scans >= MAX_RETAINER_SCANS) return null;
      this.scan(n);
    }
    const k = this.slotOf[n]!;
    const got = this.chunks[this.slotChunk[k]!]!.subarray(this.slotStart[k]!, this.slotEnd[k]!);
    if (this.state[n] === 2) {
      // The walk's next step: the retainers of these retainers, queued when a pass comes (a walk
      // that needs no other pass never looks up the sources of a long list).
      this.state[n] = 3;
      this.givenOut.push(got);
    }
    return got;
  }

  private scan(n: number): void {
    this.scans++;
    for (const got of this.givenOut) for (let i = 0; i < got.length; i++) this.enqueue(this.source(got[i]!));
    this.givenOut = [];
    if (this.state[n] === 0) this.queue.push(n);
    const wanted = this.queue;
    this.queue = [];
    const bits = this.bits;
    for (const m of wanted) bits[m >>> 3]! |= 1 << (m & 7);
    const to = this.to;
    const E = to.length;
    let hits = new Uint32Array(1024);
    const found = new Uint32Array(1);
    // In stretches, by a small function: V8 optimises a function called a few times sooner than
    // one long loop, and this pass runs once or twice per process.
    for (let e = 0; e < E;) {
      const end = Math.min(E, e + SCAN_STRETCH);
      e = collectHits(to, bits, e, end, hits, found);
      if (e < end) {
        const more = new Uint32Array(hits.length * 2);
        more.set(hits);
        hits = more;
      }
    }
    const count = found[0]!;
    for (const m of wanted) bits[m >>> 3] = 0;
    // Group by target (a counting sort over the wanted nodes), keeping edge order within each.
    const W = wanted.length;
    if (this.slots + W > this.slotStart.length) {
      const size = Math.max(this.slots + W, this.slotStart.length * 2);
      const grow = (a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> => {
        const b = new Uint32Array(size);
        b.set(a.subarray(0, this.slots));
        return b;
      };
      this.slotStart = grow(this.slotStart);
      this.slotEnd = grow(this.slotEnd);
      this.slotChunk = grow(this.slotChunk);
    }
    const base = this.slots;
    const slotOf = this.slotOf;
    for (let i = 0; i < W; i++) slotOf[wanted[i]!] = base + i;
    const start = this.slotStart;
    const end = this.slotEnd;
    for (let i = 0; i < W; i++) start[base + i] = 0;
    for (let k = 0; k < count; k++) start[slotOf[to[hits[k]!]!]!]!++;
    let sum = 0;
    for (let i = 0; i < W; i++) {
      const c = start[base + i]!;
      start[base + i] = sum;
      end[base + i] = sum;
      sum += c;
    }
    const grouped = new Uint32Array(count);
    for (let k = 0; k < count; k++) grouped[end[slotOf[to[hits[k]!]!]!]!++] = hits[k]!;
    const chunk = this.chunks.length;
    this.chunks.push(grouped);
    this.slotChunk.fill(chunk, base, base + W);
    for (const m of wanted) this.state[m] = 2;
    this.slots += W;
  }
}

/** Edges looked at per call of {@link collectHits}. */
const SCAN_STRETCH = 1 << 18;

/**
 * Appends to `hits` (from `found[0]` on) the edges of `[e, end)` whose target's bit is set in
 * `bits`, and stores the new count in `found[0]`. Stops early when `hits` is full; returns the
 * first edge not looked at.
 */
function collectHits(to: Uint32Array, bits: Uint8Array, e: number, end: number, hits: Uint32Array, found: Uint32Array): number {
  let count = found[0]!;
  const room = hits.length;
  for (; e < end; e++) {
    const t = to[e]!;
    if ((bits[t >>> 3]! & (1 << (t & 7))) === 0) continue;
    if (count === room) break;
    hits[count++] = e;
  }
  found[0] = count;
  return e;
}
