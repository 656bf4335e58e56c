/**
 * Node and edge data as columns, each in the narrowest typed array that holds it: a type code is a
 * byte, everything else a 32-bit number. Fields the tool never reads (`trace_node_id`, unknown
 * ones) are not kept, and `edge_count` becomes the first-edge prefix sums as it is read.
 * A 1 GB snapshot's 13M nodes take 18 bytes each instead of the 32 of a flat array plus index.
 */

import { mappedBuffer } from "../memory.js";

/** What a node field is stored as. */
export const enum NodeSlot {
  Type,
  Name,
  Id,
  SelfSize,
  EdgeCount,
  Detachedness,
  Skip,
}

/** What an edge field is stored as. */
export const enum EdgeSlot {
  Type,
  Name,
  ToNode,
  Skip,
}

export interface NodeColumns {
  type: Uint8Array;
  name: Uint32Array;
  id: Uint32Array;
  /** Absent when the snapshot has no `self_size` field. */
  selfSize: Uint32Array | null;
  /** Absent when the snapshot has no `detachedness` field. */
  detachedness: Uint8Array | null;
  /** `firstEdge[n] .. firstEdge[n + 1]` are node n's edges; length = rows + 1. */
  firstEdge: Uint32Array;
  /** The largest `name` (a string index), noted while reading: names are checked against it. */
  maxStringRef: number;
}

export interface EdgeColumns {
  type: Uint8Array;
  /** An element index for element/hidden edges, else a string index. */
  name: Uint32Array;
  /** Target node ordinal (converted from the file's offset at load). */
  to: Uint32Array;
  /**
   * At least the largest name that is a string index (element and hidden edges' names are
   * indices), noted while reading: names are checked against the strings with it.
   */
  maxStringRef: number;
}

/**
 * A column read on first use (the snapshot cache reads its entries so): its array exists from
 * the start, but only the elements made readable here may be read. Both throw when the stored
 * column turns out damaged.
 */
export interface LazyColumn {
  /** Makes element `i` readable. */
  at(i: number): void;
  /** Makes elements `[from, to)` readable. */
  range(from: number, to: number): void;
  /** Makes every element readable. */
  whole(): unknown;
}

/**
 * A part of a snapshot read back from the cache that a command may ask to have read ahead, on a
 * second thread, because it is about to read it whole or nearly (see HeapGraph.readAhead): node
 * and edge columns, the class index, and the analysis' per-node results.
 */
export type ReadAheadPart =
  | "nodeType"
  | "nodeName"
  | "nodeId"
  | "selfSize"
  | "firstEdge"
  | "edgeType"
  | "edgeName"
  | "edgeTo"
  | "classes"
  | "shallow"
  | "distance"
  | "parentEdge"
  | "userRoots"
  | "treeList"
  | "dominators"
  /** The immediate dominators alone (without their places in the tree's preorder). */
  | "idom"
  | "retained";

/** The columns of a {@link RawSnapshot} that are read on first use (see HeapGraph). */
export interface LazyColumns {
  nodeType: LazyColumn;
  nodeName: LazyColumn;
  nodeId: LazyColumn;
  selfSize: LazyColumn | null;
  detachedness: LazyColumn | null;
  firstEdge: LazyColumn;
  edgeType: LazyColumn;
  edgeName: LazyColumn;
  edgeTo: LazyColumn;
  locations: LazyColumn | null;
}

export function nodeSlots(fields: readonly string[]): NodeSlot[] {
  return fields.map((f) => {
    switch (f) {
      case "type":
        return NodeSlot.Type;
      case "name":
        return NodeSlot.Name;
      case "id":
        return NodeSlot.Id;
      case "self_size":
        return NodeSlot.SelfSize;
      case "edge_count":
        return NodeSlot.EdgeCount;
      case "detachedness":
        return NodeSlot.Detachedness;
      default:
        return NodeSlot.Skip;
    }
  });
}

export function edgeSlots(fields: readonly string[]): EdgeSlot[] {
  return fields.map((f) => {
    switch (f) {
      case "type":
        return EdgeSlot.Type;
      case "name_or_index":
        return EdgeSlot.Name;
      case "to_node":
        return EdgeSlot.ToNode;
      default:
        return EdgeSlot.Skip;
    }
  });
}

/**
 * Columns live in shared memory: a worker thread (the edges reader, the analysis helper) sees
 * them without a copy. Typed arrays over a SharedArrayBuffer are as fast as plain ones. The
 * memory goes back to the system when the array is freed (see memory.ts); the buffer may be
 * larger than the array.
 */
export function sharedU8(length: number): Uint8Array {
  return new Uint8Array(mappedBuffer(length, true), 0, length);
}

export function sharedU32(length: number): Uint32Array {
  return new Uint32Array(mappedBuffer(length * 4, true), 0, length);
}

export function allocNodeColumns(rows: number, fields: readonly string[]): NodeColumns {
  return {
    type: sharedU8(rows),
    name: sharedU32(rows),
    id: sharedU32(rows),
    selfSize: fields.includes("self_size") ? sharedU32(rows) : null,
    detachedness: fields.includes("detachedness") ? sharedU8(rows) : null,
    firstEdge: sharedU32(rows + 1),
    maxStringRef: 0,
  };
}

export function allocEdgeColumns(rows: number): EdgeColumns {
  return { type: sharedU8(rows), name: sharedU32(rows), to: sharedU32(rows), maxStringRef: 0 };
}

function resized<T extends Uint8Array | Uint32Array>(a: T, length: number): T {
  if (a.length === length) return a;
  const next = (a instanceof Uint8Array ? sharedU8(length) : sharedU32(length)) as T;
  next.set(a.length <= length ? a : (a.subarray(0, length) as T));
  return next;
}

/** The same columns with room for `rows` rows (growing, or trimming to the exact count). */
export function resizeNodeColumns(c: NodeColumns, rows: number): NodeColumns {
  return {
    type: resized(c.type, rows),
    name: resized(c.name, rows),
    id: resized(c.id, rows),
    selfSize: c.selfSize && resized(c.selfSize, rows),
    detachedness: c.detachedness && resized(c.detachedness, rows),
    firstEdge: resized(c.firstEdge, rows + 1),
    maxStringRef: c.maxStringRef,
  };
}

export function resizeEdgeColumns(c: EdgeColumns, rows: number): EdgeColumns {
  return { type: resized(c.type, rows), name: resized(c.name, rows), to: resized(c.to, rows), maxStringRef: c.maxStringRef };
}
