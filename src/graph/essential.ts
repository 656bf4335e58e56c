/**
 * The essential-edge predicate (DevTools' rules: docs/devtools-rules.md) as a
 * plain function of columns over a range of source nodes, so that the analysis helper thread can
 * mark half of the edges while the main thread marks the other half (see helper.ts).
 */
import type { HeapGraph } from "./heap-graph.js";
import { sharedU8 } from "../snapshot/columns.js";

export interface EssentialInput {
  firstEdge: Uint32Array;
  edgeType: Uint8Array;
  edgeTo: Uint32Array;
  edgeName: Uint32Array;
  nodeId: Uint32Array;
  /** 1 for page-owned nodes. */
  page: Uint8Array;
  /** By string index: the table id of a WeakMap entry edge name, NaN for other strings. */
  weakMapTables: Float64Array;
  codes: { weak: number; shortcut: number; internal: number };
  /** Written: one byte per edge, 1 when essential. */
  mask: Uint8Array;
}

/**
 * The input for graph `g`, given which nodes the page owns (`pageOwned`) and the WeakMap entry
 * edge names (`weakMapTables`); the mask starts all 0, in shared memory (the helper thread writes
 * its half into it).
 */
export function essentialInput(g: HeapGraph, page: Uint8Array, weakMapTables: Float64Array): EssentialInput {
  const { weak, shortcut, internal } = g.edgeTypeCodes;
  const { edgeType, edgeTo, edgeName, nodeId } = g.columns;
  return {
    firstEdge: g.firstEdge,
    edgeType,
    edgeTo,
    edgeName,
    nodeId,
    page,
    weakMapTables,
    codes: { weak, shortcut, internal },
    mask: sharedU8(g.edgeCount),
  };
}

/**
 * Marks the essential edges of source nodes `from` to `to` (exclusive): not weak, not a self edge,
 * not the WeakMap table→value edge, not a shortcut unless from the root, not from a non-page
 * object into a page object. With `outsidePage`, only those of the non-page nodes among them (the
 * page's were marked by `walkPageOwnedMarking`).
 */
export function markEssential(input: EssentialInput, from: number, to: number, outsidePage = false): void {
  const { firstEdge, edgeType, edgeTo, edgeName, nodeId, page, weakMapTables: tables, mask } = input;
  const { weak, shortcut, internal } = input.codes;
  for (let src = from; src < to; src++) {
    const srcId = nodeId[src]!;
    const srcPage = page[src]!;
    if (outsidePage && srcPage === 1) continue;
    const end = firstEdge[src + 1]!;
    for (let e = firstEdge[src]!; e < end; e++) {
      const t = edgeType[e]!;
      if (t === weak) continue;
      if (t === internal && tables[edgeName[e]!] === srcId) continue;
      const target = edgeTo[e]!;
      if (target === src) continue;
      if (src !== 0) {
        if (t === shortcut) continue;
        if (page[target] === 1 && srcPage === 0) continue;
      }
      mask[e] = 1;
    }
  }
}
