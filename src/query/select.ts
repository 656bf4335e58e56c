/**
 * Choosing the objects a user names: by class (`--type`), raw name (`--name`) or heap id (`--id`).
 */
import { QueryError } from "../errors.js";
import type { HeapGraph } from "../graph/heap-graph.js";
import { classTable } from "./summary.js";

export interface Selector {
  /** Class names as DevTools shows them; an object matches any one of them. */
  types?: string[];
  /** Raw node names; an object matches any one of them. */
  names?: string[];
  /** Heap ids; always added to the match. */
  ids?: number[];
  /** Only detached DOM nodes (native nodes DevTools shows as `Detached <div>`...). */
  detached?: boolean;
}

export interface Selection {
  /** Every matching node ordinal, in node order. */
  ordinals: number[];
}

/**
 * Finds the nodes a selector names. `types`, `names` and `detached` given together must all hold
 * (objects of class X named Y); `ids` always add their objects. Throws {@link QueryError} with suggestions when
 * nothing matches.
 *
 * @example
 * selectNodes(graph, { types: ["LeakyRequest"] }).ordinals.length // 200
 */
export function selectNodes(graph: HeapGraph, sel: Selector): Selection {
  const types = sel.types ?? [];
  const names = sel.names ?? [];
  const ids = sel.ids ?? [];
  const detached = sel.detached ? graph.domStates() : null;
  if (sel.detached && detached === null) {
    throw new QueryError(
      "this snapshot has no detachedness field, so no detached DOM nodes",
      "take the snapshot with a newer Chrome or Node",
    );
  }
  if (types.length === 0 && names.length === 0 && ids.length === 0 && !detached) {
    throw new QueryError("no objects chosen", "name them with --type <Class>, --name <name>, --id <id> or --detached");
  }
  // Without ids, matches are listed as found (in node order); ids add theirs through a mark.
  const picked = ids.length > 0 ? new Uint8Array(graph.nodeCount) : null;
  let out: number[] = [];

  // Class alone, with a name the stored class name table does not find (a class split by where its
  // constructor is defined): its ids are looked for in the one pass over the class column that
  // finds the objects.
  const byTable = types.length > 0 && names.length === 0 && !detached ? classIdsByTable(graph, types) : null;
  if (byTable && byTable.unresolved.length > 0) {
    const found = nodesOfClassesOrNamed(graph, byTable.ids, byTable.unresolved);
    if (picked) for (let i = 0; i < found.length; i++) picked[found[i]!] = 1;
    else out = found;
  } else if (types.length > 0 || names.length > 0 || detached) {
    const classIds = byTable ? byTable.ids : types.length > 0 ? classIdsNamed(graph, types) : null;
    if (classIds && names.length === 0 && !detached && classIds.length <= FEW_CLASSES) {
      // Class alone, of a few ids (the usual --type): the class column searched for each id.
      const found = nodesOfClasses(graph.classes().nodeClass, classIds);
      if (picked) for (let i = 0; i < found.length; i++) picked[found[i]!] = 1;
      else out = found;
    } else {
      const classMark = classIds ? markIds(graph.classIdLimit, classIds) : null;
      const nameMark = names.length > 0 ? markStrings(graph, names) : null;
      const nodeClass = classMark ? graph.classes().nodeClass : null;
      const nodeName = graph.columns.nodeName;
      const N = graph.nodeCount;
      for (let n = 0; n < N; n++) {
        if (classMark && classMark[nodeClass![n]!] === 0) continue;
        if (nameMark && nameMark[nodeName[n]!] === 0) continue;
        if (detached && detached[n] !== 2) continue;
        if (picked) picked[n] = 1;
        else out.push(n);
      }
    }
  }
  if (picked) {
    const wanted = new Map<number, boolean>(ids.map((id) => [id, false]));
    // A bit per low 16 bits of the ids asked for: most nodes are passed over without hashing.
    const maybe = new Uint8Array(8192);
    for (const id of ids) maybe[(id >>> 3) & 8191]! |= 1 << (id & 7);
    const nodeId = graph.columns.nodeId;
    for (let n = 0; n < graph.nodeCount; n++) {
      const id = nodeId[n]!;
      if ((maybe[(id >>> 3) & 8191]! & (1 << (id & 7))) === 0) continue;
      if (wanted.has(id)) {
        wanted.set(id, true);
        picked[n] = 1;
      }
    }
    const missing = [...wanted].filter(([, found]) => !found).map(([id]) => `@${id}`);
    if (missing.length > 0) {
      throw new QueryError(
        `no object with id ${missing.join(", ")} in this snapshot`,
        "ids come from this same snapshot (DevTools shows them as @123)",
      );
    }
    for (let n = 0; n < graph.nodeCount; n++) if (picked[n] === 1) out.push(n);
  }
  if (out.length === 0) {
    if (detached && types.length === 0 && names.length === 0) throw new QueryError("no detached DOM nodes in this snapshot");
    throw noMatch(graph, types, names);
  }
  return { ordinals: out };
}

/** Up to this many class ids, a `--type` selection searches the class column once per id. */
const FEW_CLASSES = 4;

/**
 * The class ids named by any of `types`, each once, in increasing order: every one some node has
 * (with a class index from the snapshot cache, only those; otherwise also string indices of that
 * name that no node has as its class, which select nothing).
 */
export function classIdsNamed(graph: HeapGraph, types: string[]): number[] {
  const ids = new Set<number>();
  const S = graph.strings.length;
  const { extraNames } = graph.classes();
  for (const t of new Set(types)) {
    for (const i of graph.classIdsOfName(t)) ids.add(i);
    extraNames.forEach((name, k) => {
      if (name === t) ids.add(S + k);
    });
  }
  return [...ids].sort((a, b) => a - b);
}

/**
 * {@link classIdsNamed} without a pass over the class column: `ids`, the class ids found by the
 * stored class name table (or, without one, by the strings) and among the names that are not
 * snapshot strings, in increasing order; `unresolved`, the names whose ids below the strings'
 * count only the class column can tell ({@link HeapGraph.classIdsOfNameByTable}), each once.
 */
export function classIdsByTable(graph: HeapGraph, types: string[]): { ids: number[]; unresolved: string[] } {
  const ids = new Set<number>();
  const unresolved: string[] = [];
  const S = graph.strings.length;
  const { extraNames } = graph.classes();
  for (const t of new Set(types)) {
    const found = graph.classIdsOfNameByTable(t);
    if (found === null) unresolved.push(t);
    else for (const i of found) ids.add(i);
    extraNames.forEach((name, k) => {
      if (name === t) ids.add(S + k);
    });
  }
  return { ids: [...ids].sort((a, b) => a - b), unresolved };
}

/**
 * The nodes whose class is one of `ids` or, below the strings' count, a string equal to one of
 * `named`, in node order: one pass over the class column, each class id's string compared the first
 * time a node has it, that counts them, and one that lists them ({@link listOfLength}). {@link
 * nodesOfClasses} of {@link classIdsNamed} (which passes over the column once more for the names),
 * for the names the class name table does not find.
 */
export function nodesOfClassesOrNamed(graph: HeapGraph, ids: number[], named: string[]): number[] {
  const { nodeClass } = graph.classes();
  const S = graph.strings.length;
  // Per class id: 0 not looked at yet, 1 not chosen, 2 chosen. The ids past the strings are named
  // by the classes' own names, all looked at already (they are in `ids` or not chosen).
  const state = new Uint8Array(graph.classIdLimit);
  state.fill(NOT_CHOSEN, S);
  for (const id of ids) state[id] = CHOSEN;
  const wanted = new Set(named);
  const strings = graph.strings;
  const decide = (c: number): number => (state[c] = wanted.has(strings.get(c)) ? CHOSEN : NOT_CHOSEN);
  const N = nodeClass.length;
  let count = 0;
  for (let n = 0; n < N; n += CLASS_STRETCH) count += countChosen(nodeClass, state, decide, n, Math.min(N, n + CLASS_STRETCH));
  const out = listOfLength(count);
  // Every class met is decided now.
  let k = 0;
  for (let n = 0; n < N && k < count; n++) if (state[nodeClass[n]!] === CHOSEN) out[k++] = n;
  return out;
}

const NOT_CHOSEN = 1;
const CHOSEN = 2;

/**
 * How many nodes of `[from, to)` have a class chosen in `state`, deciding (`decide`) each class not
 * looked at yet. (A small function called per stretch: optimised sooner.)
 */
function countChosen(nodeClass: Uint32Array, state: Uint8Array, decide: (c: number) => number, from: number, to: number): number {
  let count = 0;
  for (let n = from; n < to; n++) {
    const c = nodeClass[n]!;
    const s = state[c];
    if (s === CHOSEN || (s === 0 && decide(c) === CHOSEN)) count++;
  }
  return count;
}

/**
 * An array of `length` numbers, to be written by index: for hundreds of thousands of matches, a
 * pass that counts them and one that writes them into an array made at its length cost less than
 * one pass that appends them (920k nodes of one class at 1 GB: each append ~0.13 µs, the
 * counting pass over the 13.6M nodes' classes ~0.04 s).
 */
function listOfLength(length: number): number[] {
  return new Array<number>(length);
}

function markIds(limit: number, ids: number[]): Uint8Array {
  const mark = new Uint8Array(limit);
  for (const i of ids) mark[i] = 1;
  return mark;
}

/**
 * The nodes whose class is one of `ids` (distinct), in node order: per id, the class column
 * searched by the typed array's own `indexOf`, which runs through it much faster than a loop that
 * tests each node's class against a mark. Past {@link MANY_MATCHES} matches of one id, a call per
 * match costs more than it saves: the rest of the column is compared in a loop, once to count the
 * matches and once to list them ({@link listOfLength}). What selectNodes' general loop finds for a
 * class alone.
 */
export function nodesOfClasses(nodeClass: Uint32Array, ids: number[]): number[] {
  const N = nodeClass.length;
  // Per id: its first matches, where the loop over the rest of the column starts (-1: none), and
  // how many matches that rest holds.
  const heads: number[][] = [];
  const rests: number[] = [];
  const restCounts: number[] = [];
  let count = 0;
  for (const id of ids) {
    const head: number[] = [];
    let n = nodeClass.indexOf(id);
    for (let k = 0; n >= 0 && k < MANY_MATCHES; k++, n = nodeClass.indexOf(id, n + 1)) head.push(n);
    let rest = 0;
    for (let from = n; from >= 0 && from < N; from += CLASS_STRETCH)
      rest += countMatches(nodeClass, id, from, Math.min(N, from + CLASS_STRETCH));
    heads.push(head);
    rests.push(n);
    restCounts.push(rest);
    count += head.length + rest;
  }
  const out = listOfLength(count);
  let k = 0;
  for (let i = 0; i < ids.length; i++) {
    for (const n of heads[i]!) out[k++] = n;
    const id = ids[i]!;
    // Up to the id's last match, not the column's end.
    for (let n = rests[i]!, left = restCounts[i]!; left > 0 && n < N; n++) {
      if (nodeClass[n] === id) {
        out[k++] = n;
        left--;
      }
    }
  }
  // Each id's nodes come in order; several ids: merged by one sort.
  if (ids.length > 1) out.sort((a, b) => a - b);
  return out;
}

function markStrings(graph: HeapGraph, names: string[]): Uint8Array {
  const mark = new Uint8Array(graph.strings.length);
  for (const name of names) for (const i of graph.strings.indicesOf(name)) mark[i] = 1;
  return mark;
}

function noMatch(graph: HeapGraph, types: string[], names: string[]): QueryError {
  if (types.length === 0) {
    return new QueryError(`no objects named ${names.map((n) => `'${n}'`).join(" or ")}`, "--name matches the raw node name exactly");
  }
  const table = classTable(graph);
  const counts = new Map<string, number>();
  for (let i = 0; i < table.classIds.length; i++) {
    const name = graph.classNameOf(table.classIds[i]!);
    counts.set(name, (counts.get(name) ?? 0) + table.count[i]!);
  }
  const suggestions = closestNames(types, counts);
  const what = `no objects of class ${types.map((t) => `'${t}'`).join(" or ")}${names.length ? ` named ${names.map((n) => `'${n}'`).join(" or ")}` : ""}`;
  return new QueryError(
    suggestions.length ? `${what}; did you mean ${suggestions.join(", ")}?` : what,
    "'backrefs info <snapshot>' lists the most common classes",
  );
}

/**
 * The (at most `k`) names closest to any of `typed`, as `Name (count)`, closest first, then the
 * most common: what "did you mean" lists. Unrelated names are never suggested.
 *
 * @example
 * closestNames(["OrderServce"], new Map([["OrderService", 201], ["Map", 90]])) // ["OrderService (201)"]
 */
export function closestNames(typed: string[], counts: Map<string, number>, k = 3): string[] {
  const candidates: Array<{ name: string; count: number; score: number }> = [];
  for (const [name, count] of counts) {
    let best = Infinity;
    for (const t of typed) best = Math.min(best, similarity(t, name));
    if (best < Infinity) candidates.push({ name, count, score: best });
  }
  candidates.sort((a, b) => a.score - b.score || b.count - a.count || (a.name < b.name ? -1 : 1));
  return candidates.slice(0, k).map((c) => `${c.name} (${c.count.toLocaleString("en-US")})`);
}

/**
 * How close `name` is to what the user typed (lower is closer), or Infinity when unrelated:
 * case-insensitive equality, then prefix/substring, then a small edit distance.
 */
function similarity(typed: string, name: string): number {
  if (name.length > 200) return Infinity;
  const a = typed.toLowerCase();
  const b = name.toLowerCase();
  if (a === b) return 0;
  if (b.startsWith(a) || a.startsWith(b)) return 1 + Math.abs(a.length - b.length) / 100;
  if (b.includes(a) || a.includes(b)) return 2 + Math.abs(a.length - b.length) / 100;
  // At most one edit per three letters typed (and the search gives up past that).
  const most = Math.max(1, Math.floor(a.length / 3));
  const d = editDistance(a, b, most);
  return d <= most ? 3 + d : Infinity;
}

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment: "Tmep" is one edit from "Temp"), giving up (returning `limit + 1`) once it passes `limit`.
 */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > limit) return limit + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** Matches of one class id found by `indexOf` before the rest of the column is compared in a loop. */
const MANY_MATCHES = 2048;
/** Nodes per call of {@link countMatches} and {@link countChosen}. */
const CLASS_STRETCH = 1 << 18;

/** How many nodes of `[from, to)` have class `id`. (A small function called per stretch: optimised sooner.) */
function countMatches(nodeClass: Uint32Array, id: number, from: number, to: number): number {
  let count = 0;
  for (let n = from; n < to; n++) if (nodeClass[n] === id) count++;
  return count;
}
