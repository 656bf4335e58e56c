/**
 * The number sections — `nodes`, `edges`, `locations` — read straight into typed columns as the
 * bytes arrive: digits accumulate into a value, each value goes to its column by field, and
 * `to_node` offsets become node ordinals. Whole non-negative numbers below 2^32 only, except in
 * `locations`, whose line and column are signed (see {@link NumberColumnsReader.locations}). One
 * loop serves all three sections; it is the parser's hot loop (most of a snapshot's bytes are here).
 */
import { SnapshotFormatError } from "../errors.js";
import type { SnapshotMeta } from "./meta.js";
import { describeByte } from "./json-bytes.js";
import {
  EdgeSlot,
  NodeSlot,
  allocEdgeColumns,
  allocNodeColumns,
  edgeSlots,
  nodeSlots,
  resizeEdgeColumns,
  resizeNodeColumns,
  type EdgeColumns,
  type NodeColumns,
} from "./columns.js";

/** Which section a {@link NumberColumnsReader} reads. */
export const enum NumberSection {
  Nodes,
  Edges,
  /** Rows of `meta.location_fields`, kept as one flat column (the header gives no count). */
  Locations,
}

const MAX_U32 = 0xffffffff;

/**
 * Where a reader stands between two bytes: enough to go on reading on another thread, or to
 * check that two readers of adjacent parts of one array fit together (see edges-split.ts).
 */
export interface ScanState {
  acc: number;
  digits: number;
  /** 0: just after '[', 1: after ',', 2: after a value. */
  expect: number;
  field: number;
  row: number;
  edgeSum: number;
  maxName: number;
  lastType: number;
}
/** The locations column starts at least this long, and doubles when full. */
const LOCATIONS_START = 1024;
/** More location values than this (4 GiB of them) is junk, not a snapshot. */
const MAX_LOCATION_VALUES = 2 ** 30 - 1;
/** Location fields V8 writes (object_index, script_id, line, column): for sizing the column only. */
const LOCATION_FIELDS = 4;

/**
 * The locations column's first size: when the input's size is known, as many values as the rest
 * of the input can hold (each takes 2 bytes or more) and no more than one row per node, so that it
 * does not grow and copy itself a dozen times (40 MB of values at 1 GB); else
 * {@link LOCATIONS_START}. Pages never written are never touched, so the room left over costs no
 * memory; the column is cut to its length at the ']'. More values than that grow it as before.
 */
function locationsCapacity(meta: SnapshotMeta | null, sizeHint: number, at: number): number {
  if (sizeHint <= at || !meta) return LOCATIONS_START;
  const room = Math.floor((sizeHint - at) / 2) + 1;
  return Math.max(LOCATIONS_START, Math.min(room, meta.nodeCount * LOCATION_FIELDS, MAX_LOCATION_VALUES));
}
/** The most negative location value: V8 writes a location's line and column as 32-bit ints. */
const MAX_NEGATIVE = 2 ** 31;

export class NumberColumnsReader {
  /** True once the array's closing ']' was read and the counts checked. */
  done = false;
  /** The `nodes` columns, once {@link done}. */
  nodes: NodeColumns | null = null;
  /** The `edges` columns, once {@link done}. */
  edges: EdgeColumns | null = null;
  /**
   * The `locations` values, once {@link done}. A negative value (V8 writes a line or column before
   * the script's start, for code compiled with a negative column offset, as vitest's module
   * wrapper does) is kept as its 32-bit two's complement: `value | 0` reads it back.
   */
  locations: Uint32Array | null = null;

  private readonly name: string;
  private readonly stride: number;
  // What the scan needs of the header, worked out once.
  /** What each field of a row is stored as (`NodeSlot` or `EdgeSlot`). */
  private readonly slots: number[] = [];
  private readonly typeLimit: number = 0;
  private readonly nodeStride: number = 0;
  private readonly nodeCount: number = 0;
  private readonly edgeCount: number = 0;
  private readonly toField: number = -1;
  private readonly nameField: number = -1;
  private readonly typeField: number = -1;
  /** Edge types whose name is an index, not a string: their names are not string references. */
  private readonly elementType: number = -1;
  private readonly hiddenType: number = -1;
  /** Rows the header announces (for locations, which it does not count, a limit). */
  private readonly rowsExpected: number;
  /** Rows the columns have room for. */
  private capacity: number;
  private nodeCols: NodeColumns | null = null;
  private edgeCols: EdgeColumns | null = null;
  private locCol: Uint32Array | null = null;

  // Where the scan stands between chunks.
  private acc = 0;
  private digits = 0;
  /** In `locations`: the value being read has a '-' (no digit yet, when `digits` is 0). */
  private negative = false;
  /** 0: just after '[', 1: after ',', 2: after a value. */
  private expect = 0;
  private field = 0;
  private row = 0;
  private edgeSum = 0;
  /** The largest string index the section's names refer to (see `maxStringRef`). */
  private maxNameSeen = 0;
  /** Type of the current edge row, once read (-1 before). */
  private lastEdgeType = -1;
  /** Reading the end part of an `edges` array (see {@link tailOfEdges}): no count check at ']'. */
  private tailPart = false;
  /** The edges are rows of type, name, to_node in that order (the fast path's layout). */
  private readonly fastEdges: boolean = false;
  /** The node fields are Node's seven (see fastNode7Rows). */
  private readonly node7: boolean = false;
  /** Where each kept node field is in a row, for the fast path (null: another layout). */
  private readonly nodeLayout: Int32Array | null = null;
  /** For the fast paths: type limit, node stride, node limit, element and hidden edge types, edge count. */
  private readonly rowLimits = new Float64Array(6);

  /**
   * Checks the header's counts for the section and allocates its columns: all at once when the
   * input's size (`sizeHint`, 0 when unknown) makes the count plausible, else growing with the
   * data, so that a lying header costs nothing. `at` is where the section starts (for errors).
   * Then feed it the bytes after the array's '['.
   */
  constructor(
    private readonly section: NumberSection,
    meta: SnapshotMeta | null,
    sizeHint: number,
    at: number,
  ) {
    if (section === NumberSection.Locations) {
      this.name = "locations";
      this.stride = 1;
      this.rowsExpected = MAX_LOCATION_VALUES;
      this.capacity = locationsCapacity(meta, sizeHint, at);
      this.locCol = new Uint32Array(this.capacity);
      return;
    }
    if (!meta) throw new Error("the nodes and edges need the header");
    const isNodes = section === NumberSection.Nodes;
    this.name = isNodes ? "nodes" : "edges";
    const rows = isNodes ? meta.nodeCount : meta.edgeCount;
    const stride = isNodes ? meta.nodeFields.length : meta.edgeFields.length;
    if (rows * stride > 2 ** 32 || rows >= 2 ** 32 - 1) this.fail(`${this.name} count in the header is too large to hold`, at);
    if ((isNodes ? meta.nodeTypes : meta.edgeTypes).length > 256) this.fail(`more than 256 ${this.name.slice(0, -1)} types`, at);
    this.stride = stride;
    this.rowsExpected = rows;
    // Each value takes at least 2 bytes ("0,").
    const plausible = sizeHint > 0 && rows * stride * 2 <= sizeHint;
    this.capacity = plausible ? rows : Math.min(rows, 1 << 12);
    if (isNodes) this.nodeCols = allocNodeColumns(this.capacity, meta.nodeFields);
    else this.edgeCols = allocEdgeColumns(this.capacity);
    this.slots = isNodes ? nodeSlots(meta.nodeFields) : edgeSlots(meta.edgeFields);
    this.typeLimit = isNodes ? meta.nodeTypes.length : meta.edgeTypes.length;
    this.nodeStride = meta.nodeFields.length;
    this.nodeCount = meta.nodeCount;
    this.edgeCount = meta.edgeCount;
    if (!isNodes) {
      this.toField = this.slots.indexOf(EdgeSlot.ToNode);
      this.nameField = this.slots.indexOf(EdgeSlot.Name);
      this.typeField = this.slots.indexOf(EdgeSlot.Type);
      this.elementType = meta.edgeTypes.indexOf("element");
      this.hiddenType = meta.edgeTypes.indexOf("hidden");
      this.fastEdges = stride === 3 && this.typeField === 0 && this.nameField === 1 && this.toField === 2;
    } else {
      const at = (slot: NodeSlot): number => this.slots.indexOf(slot);
      const layout = Int32Array.of(
        at(NodeSlot.Type),
        at(NodeSlot.Name),
        at(NodeSlot.Id),
        at(NodeSlot.SelfSize),
        at(NodeSlot.EdgeCount),
        at(NodeSlot.Detachedness),
      );
      // Each kept field once, and type, name, id and edge_count there (any order).
      const kept = this.slots.filter((x) => x !== NodeSlot.Skip);
      const ok = layout[0]! >= 0 && layout[1]! >= 0 && layout[2]! >= 0 && layout[4]! >= 0 && new Set(kept).size === kept.length;
      if (ok && stride <= FAST_MAX_FIELDS) this.nodeLayout = layout;
      this.node7 = this.nodeLayout !== null && meta.nodeFields.join() === NODE7;
    }
    this.rowLimits.set([
      this.typeLimit,
      this.nodeStride,
      this.nodeStride * this.nodeCount,
      this.elementType,
      this.hiddenType,
      this.edgeCount,
    ]);
  }

  /**
   * A reader of the `edges` array that goes on from `state` into `columns` (allocated for every
   * row the header announces), as if it had read the bytes before itself.
   */
  static resumeEdges(meta: SnapshotMeta, columns: EdgeColumns, state: ScanState, at: number): NumberColumnsReader {
    const r = new NumberColumnsReader(NumberSection.Edges, meta, 0, at);
    if (columns.type.length !== meta.edgeCount) throw new Error("the edges columns must hold every edge");
    r.edgeCols = columns;
    r.capacity = meta.edgeCount;
    r.acc = state.acc;
    r.digits = state.digits;
    r.expect = state.expect;
    r.field = state.field;
    r.row = state.row;
    r.maxNameSeen = state.maxName;
    r.lastEdgeType = state.lastType;
    return r;
  }

  /**
   * A reader of the end part of an `edges` array, fed the bytes just after a ',' up to and with
   * the closing ']', that takes its first value for the first field of a row: right when the
   * values before it are whole rows (its count of values then is a multiple of the row length as
   * well, which {@link valuesRead} tells). Its columns start at row 0; the count is not checked.
   * `rowsHint` sizes them (they grow if needed).
   */
  static tailOfEdges(meta: SnapshotMeta, rowsHint: number, at: number): NumberColumnsReader {
    const r = new NumberColumnsReader(NumberSection.Edges, meta, 0, at);
    const rows = Math.max(1, Math.min(meta.edgeCount, rowsHint));
    r.edgeCols = allocEdgeColumns(rows);
    r.capacity = rows;
    r.expect = 1;
    r.tailPart = true;
    return r;
  }

  /** Where the reader stands (between two calls of {@link scan}). */
  state(): ScanState {
    return {
      acc: this.acc,
      digits: this.digits,
      expect: this.expect,
      field: this.field,
      row: this.row,
      edgeSum: this.edgeSum,
      maxName: this.maxNameSeen,
      lastType: this.lastEdgeType,
    };
  }

  /** Values read so far (rows × fields + fields of the current row). */
  get valuesRead(): number {
    return this.row * this.stride + this.field;
  }

  /** The edges columns being filled (before {@link done}; their length is the capacity). */
  get edgeColumns(): EdgeColumns | null {
    return this.edgeCols;
  }

  /**
   * Reads `buf` from `start` (`base` is the file offset of `buf[0]`). Returns just past the
   * closing ']' (with {@link done} set), or `buf.length`.
   */
  scan(buf: Uint8Array, start: number, base: number): number {
    const n = buf.length;
    const isEdges = this.section === NumberSection.Edges;
    const isNodes = this.section === NumberSection.Nodes;
    const stride = this.stride;
    const slots = this.slots;
    const typeLimit = this.typeLimit;
    const nodeStride = this.nodeStride;
    const nodeCount = this.nodeCount;
    const nodeLimit = nodeCount * nodeStride;
    const edgeCount = this.edgeCount;
    const toField = this.toField;
    const nameField = this.nameField;
    const typeField = this.typeField;
    let acc = this.acc;
    let digits = this.digits;
    let expect = this.expect;
    let field = this.field;
    let row = this.row;
    let edgeSum = this.edgeSum;
    let maxName = this.maxNameSeen;
    // Columns in locals (reloaded after growth): property loads per value cost measurable time.
    let ec = this.edgeCols;
    let nc = this.nodeCols;
    let lc = this.locCol;
    const elementType = this.elementType;
    const hiddenType = this.hiddenType;
    // A row's type is known when its name is read only if the type comes first; otherwise every
    // name counts (an over-estimate only makes the final check look at each edge).
    const trackType = typeField >= 0 && typeField < nameField;
    let lastType = trackType ? this.lastEdgeType : -1;
    const isLocations = this.section === NumberSection.Locations;
    let negative = this.negative;
    const fastEdges = this.fastEdges;
    const fastNodes = this.nodeLayout !== null;
    const rowLimits = this.rowLimits;
    let i = start;
    for (; i < n; i++) {
      let c = buf[i]!;
      if (c >= 48 && c <= 57) {
        if (expect === 2 && digits === 0) this.fail("expected ',' between numbers", base + i);
        // The rest of the number's digits in a tight loop; it may continue in the next chunk.
        acc = acc * 10 + (c - 48);
        digits++;
        while (++i < n) {
          c = buf[i]!;
          if (c < 48 || c > 57) break;
          acc = acc * 10 + (c - 48);
          digits++;
        }
        if (i === n) break;
      }
      if (digits !== 0) {
        if (digits > 10 || acc > (negative ? MAX_NEGATIVE : MAX_U32)) {
          this.fail(`number ${negative ? "-" : ""}${digits > 16 ? "with " + digits + " digits" : acc} is too large`, base + i);
        }
        if (field === 0 && row === this.capacity) {
          this.grow(row, base + i);
          ec = this.edgeCols;
          nc = this.nodeCols;
          lc = this.locCol;
        }
        if (isEdges) {
          const cols = ec!;
          if (field === toField) {
            const q = Math.floor(acc / nodeStride);
            if (q * nodeStride !== acc) {
              this.fail(`to_node ${acc} is not a multiple of the node field count ${nodeStride}`, base + i);
            }
            if (acc >= nodeLimit) this.fail(`to_node ${acc} points past the last node (${nodeCount} nodes)`, base + i);
            cols.to[row] = q;
          } else if (field === nameField) {
            cols.name[row] = acc;
            if (acc > maxName && (!trackType || (lastType !== elementType && lastType !== hiddenType))) maxName = acc;
          } else if (field === typeField) {
            if (acc >= typeLimit) this.fail(`edge type ${acc} is not in meta.edge_types`, base + i);
            cols.type[row] = acc;
            if (trackType) lastType = acc;
          }
        } else if (isNodes) {
          const cols = nc!;
          switch (slots[field]!) {
            case NodeSlot.Type:
              if (acc >= typeLimit) this.fail(`node type ${acc} is not in meta.node_types`, base + i);
              cols.type[row] = acc;
              break;
            case NodeSlot.Name:
              cols.name[row] = acc;
              if (acc > maxName) maxName = acc;
              break;
            case NodeSlot.Id:
              cols.id[row] = acc;
              break;
            case NodeSlot.SelfSize:
              cols.selfSize![row] = acc;
              break;
            case NodeSlot.EdgeCount:
              edgeSum += acc;
              if (edgeSum > edgeCount) {
                this.fail(`the nodes' edge counts add up to more than edge_count ${edgeCount}`, base + i);
              }
              cols.firstEdge[row + 1] = edgeSum;
              break;
            case NodeSlot.Detachedness:
              cols.detachedness![row] = acc > 255 ? 255 : acc;
              break;
          }
        } else if (negative) {
          lc![row] = -acc; // stored as its two's complement
          negative = false;
        } else {
          lc![row] = acc;
        }
        if (++field === stride) {
          field = 0;
          row++;
          // Whole rows as V8 writes them, in one go (see fastEdgeRows): when a row is not written
          // that way, or has a value to complain about, the loop here reads it again, byte by byte.
          if (i < n - FAST_MARGIN) {
            if (fastEdges) {
              const f = fastEdgeRows(buf, i, n - FAST_MARGIN, ec!, row, this.capacity, rowLimits, maxName);
              if (f !== i) {
                i = f;
                row = small(fastOut[0]!);
                maxName = small(fastOut[1]!);
                lastType = fastOut[2]!;
                c = buf[i]!;
              }
            } else if (isLocations) {
              const f = fastValues(buf, i, n - FAST_MARGIN, lc!, row, this.capacity);
              if (f !== i) {
                i = f;
                row = small(fastOut[0]!);
                c = buf[i]!;
              }
            } else if (fastNodes) {
              const f = this.node7
                ? fastNode7Rows(buf, i, n - FAST_MARGIN, nc!, row, this.capacity, rowLimits, maxName, edgeSum)
                : fastNodeRows(buf, i, n - FAST_MARGIN, nc!, row, this.capacity, rowLimits, maxName, edgeSum, this.nodeLayout!);
              if (f !== i) {
                i = f;
                row = small(fastOut[0]!);
                maxName = small(fastOut[1]!);
                edgeSum = small(fastOut[2]!);
                c = buf[i]!;
              }
            }
          }
        }
        acc = 0;
        digits = 0;
        expect = 2;
      }
      if (c === 44) {
        if (expect !== 2) this.fail("unexpected ','", base + i);
        expect = 1;
        continue;
      }
      if (c === 10 || c === 32 || c === 13 || c === 9) {
        if (negative) this.fail("a '-' with no digits after it", base + i);
        continue;
      }
      if (c === 93) {
        if (expect === 1) this.fail("unexpected ']' after ','", base + i);
        if (negative) this.fail("a '-' with no digits after it", base + i);
        this.row = row;
        this.field = field;
        this.edgeSum = edgeSum;
        this.maxNameSeen = maxName;
        this.end(base + i);
        return i + 1;
      }
      // A minus sign starts a negative location value (a line or column: see `locations`).
      if (c === 45 && isLocations && expect !== 2 && !negative) {
        negative = true;
        continue;
      }
      if (c === 45 || c === 46 || c === 101 || c === 69 || c === 43) {
        this.fail(`only whole non-negative numbers belong here, found ${describeByte(c)}`, base + i);
      }
      this.fail(`unexpected ${describeByte(c)} in a list of numbers`, base + i);
    }
    this.acc = acc;
    this.digits = digits;
    this.negative = negative;
    this.expect = expect;
    this.field = field;
    this.row = row;
    this.edgeSum = edgeSum;
    this.maxNameSeen = maxName;
    this.lastEdgeType = lastType;
    return i;
  }

  /** Room for more rows: twice as many, up to what the header announces (`at`: for the error). */
  private grow(row: number, at: number): void {
    if (row >= this.rowsExpected) {
      if (this.section === NumberSection.Locations) this.fail("too many values", at);
      const what = this.section === NumberSection.Edges ? "edge_count" : "node_count";
      this.fail(`more values than the header announces (${what} × ${this.stride} = ${this.rowsExpected * this.stride})`, at);
    }
    this.capacity = Math.min(this.rowsExpected, Math.max(this.capacity * 2, 1024));
    if (this.section === NumberSection.Edges) this.edgeCols = resizeEdgeColumns(this.edgeCols!, this.capacity);
    else if (this.section === NumberSection.Nodes) this.nodeCols = resizeNodeColumns(this.nodeCols!, this.capacity);
    else {
      const grown = new Uint32Array(this.capacity);
      grown.set(this.locCol!);
      this.locCol = grown;
    }
  }

  /** At the closing ']' (`at`): checks the counts against the header and trims the columns. */
  private end(at: number): void {
    if (this.section === NumberSection.Locations) {
      this.locations = this.locCol!.slice(0, this.row);
    } else {
      const isEdges = this.section === NumberSection.Edges;
      const stride = this.stride;
      const values = this.row * stride + this.field;
      if (values !== this.rowsExpected * stride && !this.tailPart) {
        const what = isEdges ? "edge_count" : "node_count";
        this.fail(`found ${values} values but the header announces ${what} × ${stride} = ${this.rowsExpected * stride}`, at);
      }
      if (isEdges) {
        this.edges = this.tailPart ? this.edgeCols! : resizeEdgeColumns(this.edgeCols!, this.row);
        this.edges.maxStringRef = this.maxNameSeen;
      } else {
        if (this.edgeSum !== this.edgeCount) {
          this.fail(`the nodes' edge counts add up to ${this.edgeSum} but the header says edge_count is ${this.edgeCount}`, at);
        }
        this.nodes = resizeNodeColumns(this.nodeCols!, this.row);
        this.nodes.maxStringRef = this.maxNameSeen;
      }
    }
    this.nodeCols = null;
    this.edgeCols = null;
    this.locCol = null;
    this.done = true;
  }

  private fail(message: string, offset: number): never {
    throw new SnapshotFormatError(message, offset, this.name);
  }
}

const NODE7 = "type,name,id,self_size,edge_count,trace_node_id,detachedness";
/** The fast paths stop this far before the end of a chunk: a row as V8 writes it is shorter. */
const FAST_MARGIN = 160;
/** Node rows longer than this take the byte-by-byte loop. */
const FAST_MAX_FIELDS = 12;
/** What a fast path returns besides the offset: row, largest name, then the last edge type or the edge sum. */
const fastOut = new Float64Array(3);
/**
 * `x` (a whole number read from {@link fastOut}) as a small integer when it is below 2^31, the
 * same value. A number read from a Float64Array is a boxed double; passed on to a fast path
 * compiled for small integers, it made V8 throw that code away and compile the function again
 * ("not a Smi") on the next chunk of every snapshot.
 */
function small(x: number): number {
  return x <= 0x7fffffff ? x | 0 : x;
}

/** A node row's values, read before they are stored. */
const rowValues = new Float64Array(FAST_MAX_FIELDS);

/**
 * Reads whole edge rows as V8 writes them — "\n," (or ",\n", or ","), then type, name and to_node
 * separated by "," — from `i` (just after a row's last value) while they end before `end`. It stops before
 * any row written otherwise or holding a value the careful loop complains about (a number too
 * large or with more than 10 digits, a type not in the header, a to_node that is not a node's
 * offset); the careful loop then reads that row. Returns the offset after the last row read
 * (`i` when none), with the row count, largest string name and last type in `fastOut`.
 */
function fastEdgeRows(
  buf: Uint8Array,
  i: number,
  end: number,
  cols: EdgeColumns,
  row: number,
  capacity: number,
  limits: Float64Array,
  maxName: number,
): number {
  const typeLimit = limits[0]!;
  const nodeStride = limits[1]!;
  const nodeLimit = limits[2]!;
  const elementType = limits[3]!;
  const hiddenType = limits[4]!;
  const types = cols.type;
  const names = cols.name;
  const tos = cols.to;
  let lastType = -1;
  while (i < end && row < capacity) {
    let j = i;
    let b = buf[j]!;
    if (b === 10) b = buf[++j]!;
    if (b !== 44) break;
    if (buf[++j] === 10) j++;
    let s = j;
    let t = buf[j]! - 48;
    if (!(t >= 0 && t <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) t = t * 10 + (b - 48);
    if (b !== 44 || j - s > 10 || t >= typeLimit) break;
    s = ++j;
    let nm = buf[j]! - 48;
    if (!(nm >= 0 && nm <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) nm = nm * 10 + (b - 48);
    if (b !== 44 || j - s > 10 || nm > MAX_U32) break;
    s = ++j;
    let to = buf[j]! - 48;
    if (!(to >= 0 && to <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) to = to * 10 + (b - 48);
    if (j - s > 10 || !(to < nodeLimit)) break;
    const q = Math.floor(to / nodeStride);
    if (q * nodeStride !== to) break;
    types[row] = t;
    names[row] = nm;
    tos[row] = q;
    if (nm > maxName && t !== elementType && t !== hiddenType) maxName = nm;
    lastType = t;
    row++;
    i = j;
  }
  fastOut[0] = row;
  fastOut[1] = maxName;
  fastOut[2] = lastType;
  return i;
}

/**
 * The same for node rows: `layout` says where type, name, id, self_size, edge_count and
 * detachedness are in a row (-1: absent). Returns the offset after the last row read, with the
 * row count, largest name and edge sum in `fastOut`.
 */
function fastNodeRows(
  buf: Uint8Array,
  i: number,
  end: number,
  cols: NodeColumns,
  row: number,
  capacity: number,
  limits: Float64Array,
  maxName: number,
  edgeSum: number,
  layout: Int32Array,
): number {
  const typeLimit = limits[0]!;
  const stride = limits[1]!;
  const edgeCount = limits[5]!;
  const vals = rowValues;
  const typeAt = layout[0]!;
  const nameAt = layout[1]!;
  const idAt = layout[2]!;
  const sizeAt = layout[3]!;
  const countAt = layout[4]!;
  const detAt = layout[5]!;
  while (i < end && row < capacity) {
    let j = i;
    let b = buf[j]!;
    if (b === 10) b = buf[++j]!;
    let k = 0;
    for (; k < stride; k++) {
      if (b !== 44) break;
      if (buf[++j] === 10 && k === 0) j++;
      const s = j;
      let v = buf[j]! - 48;
      if (!(v >= 0 && v <= 9)) break;
      while ((b = buf[++j]!) >= 48 && b <= 57) v = v * 10 + (b - 48);
      if (j - s > 10 || v > MAX_U32) break;
      vals[k] = v;
    }
    if (k !== stride) break;
    const type = vals[typeAt]!;
    const count = vals[countAt]!;
    if (type >= typeLimit || edgeSum + count > edgeCount) break;
    const name = vals[nameAt]!;
    cols.type[row] = type;
    cols.name[row] = name;
    if (name > maxName) maxName = name;
    cols.id[row] = vals[idAt]!;
    if (sizeAt >= 0) cols.selfSize![row] = vals[sizeAt]!;
    edgeSum += count;
    cols.firstEdge[row + 1] = edgeSum;
    if (detAt >= 0) {
      const d = vals[detAt]!;
      cols.detachedness![row] = d > 255 ? 255 : d;
    }
    row++;
    i = j;
  }
  fastOut[0] = row;
  fastOut[1] = maxName;
  fastOut[2] = edgeSum;
  return i;
}

/** The same for a flat list of values (`locations`): returns the offset after the last value read. */
function fastValues(buf: Uint8Array, i: number, end: number, col: Uint32Array, row: number, capacity: number): number {
  while (i < end && row < capacity) {
    let j = i;
    let b = buf[j]!;
    if (b === 10) b = buf[++j]!;
    if (b !== 44) break;
    if (buf[++j] === 10) j++;
    const s = j;
    let v = buf[j]! - 48;
    if (!(v >= 0 && v <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) v = v * 10 + (b - 48);
    if (j - s > 10 || v > MAX_U32) break;
    col[row++] = v;
    i = j;
  }
  fastOut[0] = row;
  return i;
}

/**
 * {@link fastNodeRows} for the node fields Node writes (type, name, id, self_size, edge_count,
 * trace_node_id, detachedness), with the row unrolled: the same rows read, the same checks.
 */
function fastNode7Rows(
  buf: Uint8Array,
  i: number,
  end: number,
  cols: NodeColumns,
  row: number,
  capacity: number,
  limits: Float64Array,
  maxName: number,
  edgeSum: number,
): number {
  const typeLimit = limits[0]!;
  const edgeCount = limits[5]!;
  const types = cols.type;
  const names = cols.name;
  const ids = cols.id;
  const sizes = cols.selfSize!;
  const firstEdge = cols.firstEdge;
  const dets = cols.detachedness!;
  while (i < end && row < capacity) {
    let j = i;
    let b = buf[j]!;
    if (b === 10) b = buf[++j]!;
    if (b !== 44) break;
    if (buf[++j] === 10) j++;
    let s = j;
    let type = buf[j]! - 48;
    if (!(type >= 0 && type <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) type = type * 10 + (b - 48);
    if (j - s > 10 || type > MAX_U32) break;
    if (b !== 44) break;
    ++j;
    s = j;
    let name = buf[j]! - 48;
    if (!(name >= 0 && name <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) name = name * 10 + (b - 48);
    if (j - s > 10 || name > MAX_U32) break;
    if (b !== 44) break;
    ++j;
    s = j;
    let id = buf[j]! - 48;
    if (!(id >= 0 && id <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) id = id * 10 + (b - 48);
    if (j - s > 10 || id > MAX_U32) break;
    if (b !== 44) break;
    ++j;
    s = j;
    let size = buf[j]! - 48;
    if (!(size >= 0 && size <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) size = size * 10 + (b - 48);
    if (j - s > 10 || size > MAX_U32) break;
    if (b !== 44) break;
    ++j;
    s = j;
    let count = buf[j]! - 48;
    if (!(count >= 0 && count <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) count = count * 10 + (b - 48);
    if (j - s > 10 || count > MAX_U32) break;
    if (b !== 44) break;
    ++j;
    s = j;
    let trace = buf[j]! - 48;
    if (!(trace >= 0 && trace <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) trace = trace * 10 + (b - 48);
    if (j - s > 10 || trace > MAX_U32) break;
    if (b !== 44) break;
    ++j;
    s = j;
    let det = buf[j]! - 48;
    if (!(det >= 0 && det <= 9)) break;
    while ((b = buf[++j]!) >= 48 && b <= 57) det = det * 10 + (b - 48);
    if (j - s > 10 || det > MAX_U32) break;
    void trace; // trace_node_id is not kept
    if (type >= typeLimit || edgeSum + count > edgeCount) break;
    types[row] = type;
    names[row] = name;
    if (name > maxName) maxName = name;
    ids[row] = id;
    sizes[row] = size;
    edgeSum += count;
    firstEdge[row + 1] = edgeSum;
    dets[row] = det > 255 ? 255 : det;
    row++;
    i = j;
  }
  fastOut[0] = row;
  fastOut[1] = maxName;
  fastOut[2] = edgeSum;
  return i;
}
