/**
 * Keeping backrefs' own objects out of the answers about the process it runs in.
 *
 * A snapshot of the current process holds the tool itself: the typed arrays and caches of earlier
 * snapshots, the baseline of `showGrowth`, the weak holders of watched objects, the WASM engines of
 * the renderers. All of that state hangs below a few objects whose classes have unmistakable names
 * (`Backrefs…State`, listed in {@link OWNED_CLASS_NAMES}) or below the module scopes of backrefs'
 * own code. Its objects are the ones reachable from those "tool roots" and from nowhere else:
 * what the rest of the heap reaches without passing through a tool root is the user's, even when
 * backrefs holds it too.
 */
import type { HeapGraph } from "../graph/heap-graph.js";
import { SCRIPT_EDGE_NAMES } from "../query/modules.js";

/**
 * Classes whose instances hold backrefs' own state in a process. Their names are part of the
 * check; no user class should carry them.
 */
export const OWNED_CLASS_NAMES = [
  "BackrefsSnapshotState",
  "BackrefsLiveState",
  "BackrefsIdAnchor",
  "BackrefsTargetHolder",
  "BackrefsWatchedObject",
] as const;

/**
 * The directory of backrefs' own modules (`…/dist/` when installed, `…/src/` under a TypeScript
 * test runner), as a URL and as a path: V8 names a module's script by one or the other.
 */
export function ownScriptPrefixes(): string[] {
  const url = new URL("../", import.meta.url);
  const out = [url.href];
  if (url.protocol === "file:") out.push(decodeURIComponent(url.pathname));
  return out;
}

/**
 * One byte per node, 1 where the object belongs to backrefs (see the module comment), or null when
 * the snapshot holds no tool root (a file from another process, say).
 *
 * Two breadth-first walks over strong edges: from the root without entering a tool root (the
 * user's objects), then from the tool roots through what the first walk did not reach.
 */
export function ownedObjects(
  graph: HeapGraph,
  scriptPrefixes: readonly string[] = ownScriptPrefixes(),
  tagPrefix?: string,
): Uint8Array | null {
  const N = graph.nodeCount;
  const { nodeType, nodeName, edgeType, edgeTo } = graph.columns;
  const first = graph.firstEdge;
  const weak = graph.edgeTypeCodes.weak;
  const toolRoot = new Uint8Array(N);
  let roots = 0;

  // Instances of the owned classes.
  const objectType = graph.types.object;
  const ownedName = new Set<number>();
  for (const name of OWNED_CLASS_NAMES) for (const i of graph.strings.indicesOf(name)) ownedName.add(i);
  if (ownedName.size > 0) {
    for (let n = 0; n < N; n++) {
      if (nodeType[n] === objectType && ownedName.has(nodeName[n]!)) {
        toolRoot[n] = 1;
        roots++;
      }
    }
  }

  // backrefs' own code: its scripts, its functions, and their scopes (the module scopes hold the
  // renderers' engines and workers). A function running while the snapshot is taken is also held
  // by the stack; it is still backrefs' own. Scripts are found through the functions (closure →
  // shared → script), so only the names of the few hundred scripts are ever decoded.
  const closureType = graph.types.closure;
  const internal = graph.edgeTypeCodes.internal;
  const edgeName = graph.columns.edgeName;
  const sharedName = new Set(graph.strings.indicesOf("shared"));
  const scriptName = new Set(graph.strings.indicesOfEach(SCRIPT_EDGE_NAMES).flat());
  const contextName = new Set(graph.strings.indicesOf("context"));
  const contextNodeName = new Set(graph.strings.indicesOf("system / Context"));
  /** Script node → whether it is one of backrefs' modules. */
  const scriptIsOwn = new Map<number, boolean>();
  const mark = (n: number): void => {
    if (toolRoot[n] === 0) roots++;
    toolRoot[n] = 1;
  };
  for (let n = 0; n < N; n++) {
    if (nodeType[n] !== closureType) continue;
    let shared = -1;
    let context = -1;
    for (let e = first[n]!; e < first[n + 1]!; e++) {
      if (edgeType[e] !== internal) continue;
      if (sharedName.has(edgeName[e]!)) shared = edgeTo[e]!;
      else if (contextName.has(edgeName[e]!)) context = edgeTo[e]!;
    }
    if (shared < 0) continue;
    let script = -1;
    for (let e = first[shared]!; e < first[shared + 1]!; e++) {
      if (edgeType[e] === internal && scriptName.has(edgeName[e]!)) {
        script = edgeTo[e]!;
        break;
      }
    }
    if (script < 0) continue;
    let own = scriptIsOwn.get(script);
    if (own === undefined) {
      const text = graph.strings.get(nodeName[script]!);
      own = scriptPrefixes.some((p) => text.startsWith(p));
      scriptIsOwn.set(script, own);
      if (own) mark(script);
    }
    if (!own) continue;
    mark(n);
    if (context >= 0 && contextNodeName.has(nodeName[context]!)) mark(context);
  }
  if (roots === 0) return null;

  // 1. The user's objects: reachable from the root without entering a tool root.
  const seen = new Uint8Array(N);
  const queue = new Uint32Array(N);
  let head = 0;
  let tail = 0;
  seen[0] = 1;
  queue[tail++] = 0;
  while (head < tail) {
    const n = queue[head++]!;
    for (let e = first[n]!; e < first[n + 1]!; e++) {
      if (edgeType[e] === weak) continue;
      const m = edgeTo[e]!;
      if (seen[m] === 0 && toolRoot[m] === 0) {
        seen[m] = 1;
        queue[tail++] = m;
      }
    }
  }
  // 2. Backrefs' objects: reachable from a tool root, not from the user's side.
  const owned = new Uint8Array(N);
  head = tail = 0;
  for (let n = 0; n < N; n++) {
    if (toolRoot[n] === 1) {
      owned[n] = 1;
      queue[tail++] = n;
    }
  }
  while (head < tail) {
    const n = queue[head++]!;
    for (let e = first[n]!; e < first[n + 1]!; e++) {
      if (edgeType[e] === weak) continue;
      const m = edgeTo[e]!;
      if (seen[m] === 0 && owned[m] === 0) {
        owned[m] = 1;
        queue[tail++] = m;
      }
    }
  }
  // 3. The tags backrefs names its objects with: internalized strings, which V8's string table
  // holds too (so the first walk reached them), made by backrefs alone.
  if (tagPrefix) {
    const tags = new Set(graph.strings.indicesWithPrefix(tagPrefix));
    const stringType = graph.types.string;
    if (tags.size > 0) for (let n = 0; n < N; n++) if (nodeType[n] === stringType && tags.has(nodeName[n]!)) owned[n] = 1;
  }
  return owned;
}
