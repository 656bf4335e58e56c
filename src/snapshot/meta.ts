/**
 * The snapshot header (`"snapshot": {"meta": ..., "node_count": ..., "edge_count": ...}`), read by
 * field *name*: Node 20 writes 7 node fields, Chromium 6, hand-made snapshots fewer.
 */
import { SnapshotFormatError } from "../errors.js";

export interface SnapshotMeta {
  nodeFields: string[];
  edgeFields: string[];
  nodeTypes: string[];
  edgeTypes: string[];
  nodeCount: number;
  edgeCount: number;
  /** Offsets of the fields we use within one node record; -1 when absent. */
  nodeType: number;
  nodeName: number;
  nodeId: number;
  nodeSelfSize: number;
  nodeEdgeCount: number;
  nodeDetachedness: number;
  /** Offsets within one edge record. */
  edgeType: number;
  edgeName: number;
  edgeToNode: number;
}

function stringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** Validates the parsed header object and resolves field offsets. */
export function readMeta(header: unknown, offset: number): SnapshotMeta {
  const bad = (what: string): never => {
    throw new SnapshotFormatError(`snapshot header: ${what}`, offset, "snapshot");
  };
  if (typeof header !== "object" || header === null || Array.isArray(header)) bad("not an object");
  const h = header as Record<string, unknown>;
  const meta = h["meta"] as Record<string, unknown> | undefined;
  if (typeof meta !== "object" || meta === null) bad('no "meta" object');
  const m = meta as Record<string, unknown>;
  const nodeFields = m["node_fields"];
  const edgeFields = m["edge_fields"];
  if (!stringList(nodeFields) || nodeFields.length === 0) bad("meta.node_fields is not a list of names");
  if (!stringList(edgeFields) || edgeFields.length === 0) bad("meta.edge_fields is not a list of names");
  const nf = nodeFields as string[];
  const ef = edgeFields as string[];
  const nodeTypesRaw = m["node_types"];
  const edgeTypesRaw = m["edge_types"];
  const nodeTypes = Array.isArray(nodeTypesRaw) ? nodeTypesRaw[nf.indexOf("type")] : undefined;
  const edgeTypes = Array.isArray(edgeTypesRaw) ? edgeTypesRaw[ef.indexOf("type")] : undefined;
  if (!stringList(nodeTypes)) bad("meta.node_types has no list of type names for the node type field");
  if (!stringList(edgeTypes)) bad("meta.edge_types has no list of type names for the edge type field");
  const nodeCount = h["node_count"];
  const edgeCount = h["edge_count"];
  if (!isCount(nodeCount)) bad("node_count is missing or not a whole number");
  if (!isCount(edgeCount)) bad("edge_count is missing or not a whole number");

  const need = (fields: string[], name: string, kind: string): number => {
    const i = fields.indexOf(name);
    if (i < 0) bad(`meta.${kind}_fields has no "${name}" field`);
    return i;
  };
  return {
    nodeFields: nf,
    edgeFields: ef,
    nodeTypes: nodeTypes as string[],
    edgeTypes: edgeTypes as string[],
    nodeCount: nodeCount as number,
    edgeCount: edgeCount as number,
    nodeType: need(nf, "type", "node"),
    nodeName: need(nf, "name", "node"),
    nodeId: need(nf, "id", "node"),
    nodeEdgeCount: need(nf, "edge_count", "node"),
    nodeSelfSize: nf.indexOf("self_size"),
    nodeDetachedness: nf.indexOf("detachedness"),
    edgeType: need(ef, "type", "edge"),
    edgeName: need(ef, "name_or_index", "edge"),
    edgeToNode: need(ef, "to_node", "edge"),
  };
}
