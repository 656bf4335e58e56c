/**
 * The number sections — `nodes`, `edges`, `locations` — read straight into typed columns as the
 * bytes arrive: digits accumulate into a value, each value goes to its column by field, and
 * `to_node` offsets become node ordinals. Whole non-negative numbers below 2^32 only. One loop
 * serves all three sections; it is the parser's hot loop (most of a snapshot's bytes are here).
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
/** The locations column starts this long and doubles. */
const LOCATIONS_START = 1024;
/** More location values than this (4 GiB of them) is junk, not a snapshot. */
const MAX_LOCATION_VALUES = 2 ** 30 - 1;

export class NumberColumnsReader {
  /** True once the array's closing ']' was read and the counts checked. */
  done = false;
  /** The `nodes` columns, once {@link done}. */
  nodes: NodeColumns | null = null;
  /** The `edges` columns, once {@link done}. */
  edges: EdgeColumns | null = null;
  /** The `locations` values, once {@link done}. */
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
  /** 0: just after '[', 1: after ',', 2: after a value. */
  private expect = 0;
  private field = 0;
  private row = 0;
  private edgeSum = 0;
  /** The largest string index the section's names refer to (see `maxStringRef`). */
  private maxNameSeen = 0;
  /** Type of the current edge row, once read (-1 before). */
  private lastEdgeType = -1;

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
      this.capacity = LOCATIONS_START;
      this.locCol = new Uint32Array(LOCATIONS_START);
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
    }
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
        if (digits > 10 || acc > MAX_U32) {
          this.fail(`number ${digits > 16 ? "with " + digits + " digits" : acc} is too large`, base + i);
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
        } else {
          lc![row] = acc;
        }
        if (++field === stride) {
          field = 0;
          row++;
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
      if (c === 10 || c === 32 || c === 13 || c === 9) continue;
      if (c === 93) {
        if (expect === 1) this.fail("unexpected ']' after ','", base + i);
        this.row = row;
        this.field = field;
        this.edgeSum = edgeSum;
        this.maxNameSeen = maxName;
        this.end(base + i);
        return i + 1;
      }
      if (c === 45 || c === 46 || c === 101 || c === 69 || c === 43) {
        this.fail(`only whole non-negative numbers belong here, found ${describeByte(c)}`, base + i);
      }
      this.fail(`unexpected ${describeByte(c)} in a list of numbers`, base + i);
    }
    this.acc = acc;
    this.digits = digits;
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
      if (values !== this.rowsExpected * stride) {
        const what = isEdges ? "edge_count" : "node_count";
        this.fail(`found ${values} values but the header announces ${what} × ${stride} = ${this.rowsExpected * stride}`, at);
      }
      if (isEdges) {
        this.edges = resizeEdgeColumns(this.edgeCols!, this.row);
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
