/**
 * The sampled check that an entry's distance tree — each node's tree edge (`analysis.parentEdge`)
 * and its list bit (`analysis.treeList`) — says what the edges themselves say. Their checksums only
 * tell that they are as written, and the range checks that every tree edge is an edge; a writer
 * with a bug, or a foreign file with good checksums, would hand the grouped picture wrong list
 * heads or wrong parents, and so a wrong picture. So, before the list bits are used, a
 * deterministic sample of nodes is checked against the entry's edges, and one mismatch makes the
 * entry damaged (see docs/cache.md, "The distance tree against the edges"):
 *
 * - runs of consecutive nodes, spread evenly over the node range: each node's list bit must be the
 *   one the distances set (some tree edge of its own — an edge whose target was reached by it —
 *   alike to the edge it was itself reached by: computeDistances' rule). Their edges lie together,
 *   so a run reads a block or two of each edge section, and each node's own tree edge's type and
 *   name a block of each;
 * - each node of a run with a tree edge whose target the runs read anyway, and one more node per
 *   run: that edge must point at it; a node without a tree edge must have no list bit.
 *
 * What it reads: the tree's edges, the list bits and the first-edge index whole (the grouped
 * picture, their one user, reads them whole anyway), and the blocks of the edges' types, names and
 * targets that hold the sampled edges and the run nodes' own tree edges.
 */
import { edgeNamesAlike } from "../graph/distances.js";
import type { LazySection } from "./lazy.js";

/** Runs of consecutive nodes checked, spread evenly over the node range. */
export const TREE_SAMPLE_RUNS = 16;
/** Nodes per run. */
export const TREE_SAMPLE_RUN_NODES = 16;
/**
 * Edges of one run looked at, at most: the edges of a run whose nodes hold more are looked at up
 * to there (a node whose edges go past it gets its tree edges checked, not its list bit).
 */
export const TREE_SAMPLE_RUN_EDGES = 4096;

/**
 * The first node of each run of the sample of a graph of `nodes` nodes (each run is
 * {@link TREE_SAMPLE_RUN_NODES} long, or the whole graph when smaller): the first run at node 0,
 * the last ending with the last node, the others evenly between.
 */
export function treeSampleRuns(nodes: number): number[] {
  if (nodes === 0) return [];
  const L = Math.min(nodes, TREE_SAMPLE_RUN_NODES);
  const runs = Math.min(TREE_SAMPLE_RUNS, Math.ceil(nodes / L));
  const starts: number[] = [];
  for (let r = 0; r < runs; r++) starts.push(runs === 1 ? 0 : Math.floor((r * (nodes - L)) / (runs - 1)));
  return starts;
}

/** The stored tree, whole: each node's tree edge (edge number + 1, 0 for none) and list bit. */
export interface StoredTreeEdges {
  parentEdge: Uint32Array;
  treeList: Uint8Array;
}

/** The entry's edges, read a block at a time, and what comparing edge names needs. */
export interface SampledEdges {
  firstEdge: LazySection<Uint32Array>;
  edgeType: LazySection<Uint8Array>;
  edgeName: LazySection<Uint32Array>;
  edgeTo: LazySection<Uint32Array>;
  /** The snapshot's codes of these edge types (-1 when it lacks one). */
  element: number;
  hidden: number;
  internal: number;
  /** Whether string `name` is a numbered slot's name (StringTable.isNumberName). */
  isNumberName: (name: number) => boolean;
}

/**
 * The first node of the sample ({@link treeSampleRuns}) whose stored tree edge data is not what
 * the edges say, described; null when all are.
 */
export function treeEdgeMismatch(stored: StoredTreeEdges, edges: SampledEdges): string | null {
  const { parentEdge, treeList } = stored;
  const N = parentEdge.length;
  const { firstEdge: fe, edgeType: et, edgeName: en, edgeTo: eto } = edges;
  const firstEdge = fe.array;
  const edgeType = et.array;
  const edgeName = en.array;
  const edgeTo = eto.array;
  const numbered = new Map<number, boolean>();
  const isNumbered = (name: number): boolean => {
    let v = numbered.get(name);
    if (v === undefined) numbered.set(name, (v = edges.isNumberName(name)));
    return v;
  };
  const L = Math.min(N, TREE_SAMPLE_RUN_NODES);
  const starts = treeSampleRuns(N);
  // The first-edge index whole: a block of it is checked against the one before, so the last run
  // alone reads it all, and whole it is read in bigger pieces (and shared with the read-ahead thread).
  fe.whole();
  // Each run's edges, read first: [its first edge, the end of what is looked at).
  const edgeEnds = starts.map((a) => {
    const f0 = firstEdge[a]!;
    const f1 = Math.min(firstEdge[a + L]!, f0 + TREE_SAMPLE_RUN_EDGES);
    et.range(f0, f1);
    en.range(f0, f1);
    eto.range(f0, f1);
    return f1;
  });
  /** Whether edge e is among those the runs read. */
  const inRuns = (e: number): boolean => starts.some((a, r) => e >= firstEdge[a]! && e < edgeEnds[r]!);
  for (let r = 0; r < starts.length; r++) {
    const a = starts[r]!;
    const f1 = edgeEnds[r]!;
    let ownLookedUp = false;
    for (let n = a; n < a + L; n++) {
      const pe = parentEdge[n]!;
      const bit = (treeList[n >>> 3]! >>> (n & 7)) & 1;
      // The type and name of the edge n was reached by, which its bit compares its tree edges with.
      let ownType = -1;
      let ownName = 0;
      if (pe === 0) {
        if (bit !== 0) return `node ${n} is marked as a possible list head but has no tree edge`;
      } else {
        const own = pe - 1;
        if (!ownLookedUp || inRuns(own)) {
          // Where it points: looked up for every node whose edge the runs read anyway, and for the
          // run's first other one (a block of the targets read for it alone).
          if (!inRuns(own)) ownLookedUp = true;
          eto.at(own);
          if (edgeTo[own] !== n) return `node ${n}'s tree edge ${own} points at another node`;
        }
        et.at(own);
        en.at(own);
        ownType = edgeType[own]!;
        ownName = edgeName[own]!;
      }
      const end = firstEdge[n + 1]!;
      let list = false;
      for (let e = firstEdge[n]!, last = Math.min(end, f1); e < last && !list; e++) {
        const to = edgeTo[e]!;
        if (parentEdge[to] !== e + 1) continue;
        const t = edgeType[e]!;
        if (t === ownType) list = edgeNamesAlike(t, edgeName[e]!, ownName, edges.element, edges.hidden, edges.internal, isNumbered);
      }
      // A node whose edges were looked at only in part: its bit cannot be told.
      if (end <= f1 && (list ? 1 : 0) !== bit)
        return list
          ? `node ${n} is not marked as a possible list head but is one`
          : `node ${n} is marked as a possible list head but is none`;
    }
  }
  return null;
}
