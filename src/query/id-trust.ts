/**
 * Can two snapshots be compared by object id? The one check every comparison by id goes through
 * (`diff`, `leaks`, `--new-since`, `check --baseline`, and library users).
 *
 * V8 gives an object the same id in every snapshot of one isolate for as long as its heap
 * profiler keeps its id map (docs/heap-ids.md). Two things break that, and neither can be told
 * from the other by looking at the files:
 *
 * - snapshots of different processes: each numbers its objects from the same starting point, so
 *   the same ids name unrelated objects;
 * - one process whose heap profiler was reset between the snapshots (the inspector's
 *   `HeapProfiler.disable`, or closing a session that had enabled it): ids start again, old
 *   objects get new ids, and new ids collide with those of the earlier snapshot.
 *
 * The test: for a sample of the ids both snapshots have, does the id name the same object in
 * both — the same node type and raw name, and mostly the same objects referenced (by id)? In one
 * process that holds for (nearly) every id, even when a third of the references changed between
 * the snapshots; across processes or a reset it fails for a tenth to nine tenths of them.
 */
import { IdMismatchError } from "../errors.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { IdSet } from "../graph/id-set.js";
import { computeIdSample, MAX_SKETCH, mix, packIdSample, sampled, sampleLevel, unpackIdSample, type IdSample } from "../graph/id-sample.js";
/** Referenced ids kept per sampled object: its edges' targets with the smallest hashes (a bottom-k sketch). */
const SKETCH = MAX_SKETCH;
/** The share of examined ids that must name the same object in both snapshots. */
const MIN_SAME = 0.95;
/**
 * Ids that must fail before two snapshots are declared incomparable: in a toy heap of a few dozen
 * objects one object whose references all changed is 5%. Real snapshots examine thousands of ids,
 * and ids that cannot be matched fail by the thousand.
 */
const MIN_FAILURES = 8;
/** The share of the smaller snapshot's ids the other must also have. */
const MIN_SHARED = 0.05;

/** What an id names in one snapshot: a hash of node type and raw name, and a sketch of the ids it references. */
interface IdSignature {
  what: number;
  refs: Uint32Array;
}

/**
 * The ids of one snapshot and, for a sample of them, what they name: all that comparing by id
 * needs once the snapshot itself is dropped (about 8 bytes per object plus a fixed few MB).
 *
 * The sample is chosen by a hash of the id, at a rate that halves as snapshots double, so two
 * snapshots of any sizes examine the same ids: those the sparser of the two sampled.
 */
export class SnapshotIds {
  /** Every object id of the snapshot. */
  readonly ids: IdSet;
  /** Object ids, not counting the synthetic root and GC-root nodes (ids V8 gives every snapshot). */
  readonly objectCount: number;
  /** An id is sampled when `hash(id) >>> (32 - level)` is 0: level 0 samples every id. */
  readonly level: number;
  private readonly sample: Map<number, IdSignature>;
  /** Ids of the synthetic root nodes (a few dozen): not objects, the same in every snapshot. */
  readonly syntheticIds: number[];

  private constructor(ids: IdSet, objectCount: number, level: number, sample: Map<number, IdSignature>, syntheticIds: number[]) {
    this.ids = ids;
    this.objectCount = objectCount;
    this.level = level;
    this.sample = sample;
    this.syntheticIds = syntheticIds;
  }

  /**
   * Reads what the check needs from a graph (one pass over the nodes, the sampled ones' edges), or
   * its ids and the sample a snapshot cache kept (the sample is then not computed again).
   */
  static of(graph: HeapGraph): SnapshotIds {
    // A graph's ids never change: one comparison asks several times (the check, the counts, a
    // picture's marks), and each would build the id set again.
    let made = madeFor.get(graph);
    if (!made) madeFor.set(graph, (made = SnapshotIds.make(graph)));
    return made;
  }

  private static make(graph: HeapGraph): SnapshotIds {
    const ids = IdSet.fromGraph(graph);
    const level = sampleLevel(graph.nodeCount);
    const packed = graph.idSample();
    const kept = packed ? unpackIdSample(packed, graph.nodeCount) : null;
    // A kept sample is used only when it is this graph's: its checksums say it was not damaged, not
    // that it was made from these nodes (an empty or sparser sample would let the check pass unseen).
    if (kept && kept.level === level && sampleFits(graph, kept, ids.size === graph.nodeCount)) {
      return new SnapshotIds(ids, kept.objectCount, kept.level, kept.sample, kept.syntheticIds);
    }
    const { objectCount, syntheticIds, sample } = computeIdSample(graph);
    graph.keepIdSample(packIdSample({ objectCount, level, syntheticIds, sample }));
    return new SnapshotIds(ids, objectCount, level, sample, syntheticIds);
  }

  has(id: number): boolean {
    return this.ids.has(id);
  }

  /** For each node of `graph`, 1 when these ids include its id, else 0. */
  presentIn(graph: HeapGraph): Uint8Array {
    const out = new Uint8Array(graph.nodeCount);
    const nodeId = graph.columns.nodeId;
    const ids = this.ids;
    for (let n = 0; n < out.length; n++) if (ids.has(nodeId[n]!)) out[n] = 1;
    return out;
  }

  /** @internal The signature of a sampled id (for {@link idTrust}). */
  signature(id: number): IdSignature | undefined {
    return this.sample.get(id);
  }

  /** @internal Sampled ids, in the order they were read. */
  sampledIds(): IterableIterator<number> {
    return this.sample.keys();
  }
}

/** The ids of each graph asked for (see {@link SnapshotIds.of}). */
const madeFor = new WeakMap<HeapGraph, SnapshotIds>();

/** The verdict on comparing two snapshots by id. */
export interface IdTrust {
  /** True when an id denotes the same object in both snapshots. */
  comparable: boolean;
  /** Ids of objects present in both (synthetic roots left out). */
  sharedIds: number;
  /** Shared ids examined closely. */
  examined: number;
  /** Of those, how many name the same object in both. */
  same: number;
  /** Why they cannot be compared (absent when they can): one clause, no advice. */
  reason?: string;
}

type Side = HeapGraph | SnapshotIds;

const idsOf = (s: Side): SnapshotIds => (s instanceof SnapshotIds ? s : SnapshotIds.of(s));

/**
 * Whether `before` and `after` can be compared by object id. Never claims to know *why* they
 * cannot: different processes and a reset heap profiler look alike.
 *
 * @example
 * const t = idTrust(beforeGraph, afterGraph);
 * if (!t.comparable) console.log(t.reason); // "of 4,096 ids both have, only 21% name the same object in both"
 */
export function idTrust(before: Side, after: Side): IdTrust {
  const a = idsOf(before);
  const b = idsOf(after);
  // Ids both have: count from the smaller side.
  const [small, large] = a.objectCount <= b.objectCount ? [a, b] : [b, a];
  // The sparser sample's ids are in both samples when both snapshots have them.
  const level = Math.max(a.level, b.level);
  const sparse = a.level >= b.level ? a : b;
  const other = sparse === a ? b : a;
  let examined = 0;
  let same = 0;
  for (const id of sparse.sampledIds()) {
    if (!sampled(id, level)) continue;
    const x = sparse.signature(id)!;
    const y = other.signature(id);
    if (!y) continue;
    examined++;
    if (x.what === y.what && similarRefs(x.refs, y.refs)) same++;
  }
  const shared = countShared(small, large);
  const verdict = (reason?: string): IdTrust => ({
    comparable: reason === undefined,
    sharedIds: shared,
    examined,
    same,
    ...(reason ? { reason } : {}),
  });
  if (small.objectCount === 0) return verdict();
  if (shared === 0) return verdict("the two snapshots have no object id in common");
  if (shared < small.objectCount * MIN_SHARED) {
    return verdict(`they have only ${fmt(shared)} of ${fmt(small.objectCount)} object ids in common`);
  }
  if (examined > 0 && same < examined * MIN_SAME && examined - same >= MIN_FAILURES) {
    const which = level > 0 ? `${fmt(examined)} sampled ids` : `the ${fmt(examined)} ids`;
    return verdict(`of ${which} both have, only ${Math.floor((100 * same) / examined)}% name the same object in both`);
  }
  return verdict();
}

/**
 * Throws {@link IdMismatchError} when `before` and `after` cannot be compared by object id;
 * `labels` name them in the message (file names, say).
 *
 * @example
 * assertComparableIds(baselineIds, graph, ["before.heapsnapshot", "after.heapsnapshot"]);
 */
export function assertComparableIds(before: Side, after: Side, labels: [string, string] = ["the baseline", "the later snapshot"]): IdTrust {
  const t = idTrust(before, after);
  if (!t.comparable) throw idMismatch(t, labels);
  return t;
}

/** The error for two snapshots whose ids cannot be matched (message and advice, one line each). */
export function idMismatch(t: IdTrust, labels: [string, string]): IdMismatchError {
  return new IdMismatchError(
    `the object ids of ${labels[0]} and ${labels[1]} cannot be matched: ${t.reason ?? "they do not name the same objects"}`,
    ID_ADVICE,
  );
}

/** What to do about snapshots whose ids cannot be matched. */
export const ID_ADVICE =
  "the snapshots come from different processes, or from one process whose heap profiler was reset between them " +
  "(ids start again); take them from one process without disabling its heap profiler or closing the inspector session " +
  "that enabled it ('backrefs diff' still compares counts per class)";

/** Object ids both snapshots have (synthetic roots left out). */
function countShared(small: SnapshotIds, large: SnapshotIds): number {
  let synthetic = 0;
  for (const id of new Set(small.syntheticIds)) if (large.has(id)) synthetic++;
  return small.ids.countIn(large.ids) - synthetic;
}

/**
 * Whether a kept sample is the one this graph gives, as far as its ids tell: the same synthetic
 * root ids in the same order, the same number of objects, and exactly the objects whose ids the
 * level samples (what each sampled object's signature says is taken as kept). When the graph's
 * ids are `distinct` (no id twice), counting its sampled objects, each in the sample, is enough.
 */
function sampleFits(graph: HeapGraph, kept: IdSample, distinct: boolean): boolean {
  const { nodeId, nodeType } = graph.columns;
  const walk: FitWalk = {
    nodeId,
    nodeType,
    synthetic: graph.types.synthetic,
    shift: 32 - kept.level,
    every: kept.level === 0,
    kept,
    seen: distinct ? null : new Set<number>(),
    k: 0,
    objects: 0,
    inSample: 0,
  };
  for (let n = 0; n < graph.nodeCount; n += FIT_STRETCH) {
    if (!fitStretch(walk, n, Math.min(graph.nodeCount, n + FIT_STRETCH))) return false;
  }
  const { k, objects, seen, inSample } = walk;
  return k === kept.syntheticIds.length && objects === kept.objectCount && (seen ? seen.size : inSample) === kept.sample.size;
}

/** Nodes per call of {@link fitStretch}. */
const FIT_STRETCH = 1 << 15;

/** {@link sampleFits}' columns, settings and running counts. */
interface FitWalk {
  nodeId: Uint32Array;
  nodeType: Uint8Array;
  synthetic: number;
  shift: number;
  every: boolean;
  kept: IdSample;
  /** The sampled ids met, when the graph may hold an id twice (null: counted in `inSample`). */
  seen: Set<number> | null;
  /** Synthetic root nodes met, objects met, sampled objects met. */
  k: number;
  objects: number;
  inSample: number;
}

/**
 * {@link sampleFits} over nodes `from … to-1` (a short function called many times: V8 optimises
 * it sooner than one long loop). False as soon as a node does not fit.
 */
function fitStretch(w: FitWalk, from: number, to: number): boolean {
  const { nodeId, nodeType, synthetic, shift, every, seen } = w;
  const { syntheticIds, sample } = w.kept;
  let { k, objects, inSample } = w;
  for (let n = from; n < to; n++) {
    const id = nodeId[n]!;
    if (n === 0 || nodeType[n] === synthetic) {
      if (syntheticIds[k++] !== id) return false;
      continue;
    }
    objects++;
    if (!every && mix(id) >>> shift !== 0) continue;
    if (!sample.has(id)) return false;
    if (seen) seen.add(id);
    else inSample++;
  }
  w.k = k;
  w.objects = objects;
  w.inSample = inSample;
  return true;
}

/**
 * Two sketches name mostly the same objects: Jaccard similarity of the referenced ids ≥ 1/2,
 * estimated from bottom-k sketches (exact when both reference at most SKETCH objects).
 */
function similarRefs(x: Uint32Array, y: Uint32Array): boolean {
  if (x.length === 0 && y.length === 0) return true;
  // Merge in order: the union's SKETCH smallest hashes, and how many of them both have.
  let i = 0;
  let j = 0;
  let union = 0;
  let both = 0;
  while (union < SKETCH && (i < x.length || j < y.length)) {
    const hx = i < x.length ? x[i]! : Infinity;
    const hy = j < y.length ? y[j]! : Infinity;
    if (hx === hy) {
      both++;
      i++;
      j++;
    } else if (hx < hy) i++;
    else j++;
    union++;
  }
  return both * 2 >= union;
}

const fmt = (n: number): string => n.toLocaleString("en-US");
