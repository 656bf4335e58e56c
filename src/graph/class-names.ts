/**
 * DevTools' names for plain objects: a plain object (`object` node named `Object`) whose shape is
 * common enough is shown as `{a, b, c}`, after its properties. The rules (docs/class-names.md):
 *
 * 1. Inference: every plain object proposes a name made of its property edges in edge order,
 *    `__proto__` left out, stopping before a property that would push the name past 120
 *    characters (the first property always goes in). Names shared by at least 2 objects and by at
 *    least 1/1000 of all plain objects become definitions, most common first.
 * 2. Matching: each plain object takes the definition with the most properties among those whose
 *    properties it all has (any order, any extra ones), the earlier definition on a tie; with none
 *    it stays `Object`.
 *
 * Per-node work runs on integer ids only: property names are mapped once per distinct string to a
 * small id, and each plain object's property-id sequence (its *shape*) is looked up in a
 * typed-array hash table. Both steps then run once per shape, and a name string is built only for
 * each definition (at most 1,000 of them).
 */
import type { StringTable } from "../snapshot/string-table.js";
import type { HeapGraph } from "./heap-graph.js";
import { IntList } from "./lists.js";

/** A named object shape, as DevTools infers it (`{name: "{a, b}", properties: ["a", "b"]}`). */
export interface InterfaceDefinition {
  /** The class name, `{a, b, c}`. */
  name: string;
  /** Property names in the order of the objects that defined it. */
  properties: string[];
}

/** A name stops taking properties once it would grow past this many characters. */
export const MAX_INTERFACE_NAME_LENGTH = 120;
/** A shape seen once is not a class. */
export const MIN_OBJECT_COUNT_PER_INTERFACE = 2;
/** A shape must cover at least 1 in this many plain objects. */
export const MIN_OBJECT_PROPORTION_PER_INTERFACE = 1000;

/** A property name as it appears inside `{…}`: JSON-quoted when it holds `, ' " {` or `}`. */
export function formatPropertyName(name: string): string {
  return /[,'"{}]/.test(name) ? JSON.stringify(name) : name;
}

/** The `{…}` name of a property list, without the length limit (used for given definitions). */
export function interfaceName(properties: readonly string[]): string {
  let s = "{";
  for (const p of properties) {
    if (s.length !== 1) s += ", ";
    s += formatPropertyName(p);
  }
  return s + "}";
}

/**
 * Maps property-name string indices to small ids, one per distinct name (two string indices
 * holding the same text share an id), with the formatted length of each.
 */
class PropertyIds {
  readonly names: string[] = [];
  readonly formattedLength: number[] = [];
  private readonly byName = new Map<string, number>();
  /** Id per string index, -1 until looked up. */
  readonly byString: Int32Array;

  constructor(private readonly graph: HeapGraph) {
    this.byString = new Int32Array(graph.strings.length).fill(-1);
  }

  ofString(s: number): number {
    const c = this.byString[s]!;
    if (c >= 0) return c;
    return (this.byString[s] = this.ofName(this.graph.strings.get(s)));
  }

  ofName(name: string): number {
    let c = this.byName.get(name);
    if (c === undefined) {
      c = this.names.length;
      this.names.push(name);
      this.formattedLength.push(formatPropertyName(name).length);
      this.byName.set(name, c);
    }
    return c;
  }
}

/**
 * Candidate names keyed by their property-id sequences (open addressing over typed arrays).
 * A candidate keeps the full property list of the first object that proposed it; its key leaves
 * out leading empty-named properties, which add nothing to the name (`{, a}` is written `{a}`).
 */
class Candidates {
  readonly pool = new IntList(1 << 12);
  readonly start = new IntList();
  readonly len = new IntList();
  readonly lead = new IntList();
  readonly count = new IntList();
  private readonly hash = new IntList();
  private slots = new Int32Array(1 << 10).fill(-1);

  get size(): number {
    return this.start.length;
  }

  /** Adds `times` occurrences of the key `buf[lead..k)`; returns its candidate number. */
  add(buf: Int32Array, k: number, lead: number, times = 1): number {
    let h = 0x811c9dc5 | 0;
    for (let i = lead; i < k; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    h = Math.imul(h ^ (k - lead), 0x01000193) >>> 0;
    const mask = this.slots.length - 1;
    let s = h & mask;
    for (;;) {
      const c = this.slots[s]!;
      if (c < 0) break;
      if (this.hash.data[c] === (h | 0) && this.sameKey(c, buf, k, lead)) {
        this.count.data[c]! += times;
        return c;
      }
      s = (s + 1) & mask;
    }
    const c = this.start.length;
    this.start.push(this.pool.length);
    this.len.push(k);
    this.lead.push(lead);
    this.count.push(times);
    this.hash.push(h | 0);
    for (let i = 0; i < k; i++) this.pool.push(buf[i]!);
    this.slots[s] = c;
    if (this.start.length * 2 > this.slots.length) this.rehash();
    return c;
  }

  private sameKey(c: number, buf: Int32Array, k: number, lead: number): boolean {
    const cl = this.lead.data[c]!;
    if (this.len.data[c]! - cl !== k - lead) return false;
    const base = this.start.data[c]! + cl;
    const pool = this.pool.data;
    for (let i = lead, j = base; i < k; i++, j++) if (pool[j] !== buf[i]) return false;
    return true;
  }

  private rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    for (let c = 0; c < this.start.length; c++) {
      let s = (this.hash.data[c]! >>> 0) & mask;
      while (slots[s]! >= 0) s = (s + 1) & mask;
      slots[s] = c;
    }
    this.slots = slots;
  }
}

/** Whether string `name` is `Object`: the name of plain objects (see {@link PlainObjects}). */
export function isObjectName(strings: StringTable, name: number): boolean {
  // 'O', or a backslash (an escape could spell the same text).
  const b = strings.firstByte(name);
  return (b === 79 || b === 92) && strings.get(name) === "Object";
}

/**
 * The plain objects of one graph, grouped by *shape*: the sequence of all their property names in
 * edge order. Both DevTools steps depend on nothing else, so each runs once per shape.
 */
export class PlainObjects {
  private readonly ids: PropertyIds;
  private readonly proto: number;
  /**
   * Per string index: 1 when the string is `Object`, 2 when not, 0 until looked at (a name is
   * looked at when a node first bears it: no pass over every string).
   */
  private readonly objectNames: Uint8Array;
  private readonly shapes = new Candidates();
  private scanned = false;

  constructor(private readonly graph: HeapGraph) {
    this.ids = new PropertyIds(graph);
    this.proto = this.ids.ofName("__proto__");
    this.objectNames = new Uint8Array(graph.strings.length);
  }

  /** Whether a node of type `object` named by string `name` is a plain object (named `Object`). */
  isObjectName(name: number): boolean {
    const known = this.objectNames[name]!;
    if (known !== 0) return known === 1;
    const yes = isObjectName(this.graph.strings, name);
    this.objectNames[name] = yes ? 1 : 2;
    return yes;
  }

  /** Number of shapes (valid after {@link scan}). */
  get shapeCount(): number {
    return this.shapes.size;
  }

  /**
   * Writes each plain object's shape id into `out[n]` (other entries are left alone) and counts
   * the objects per shape. One pass over the plain objects' edges. `plainNodes`: the plain objects
   * in increasing order, when the caller listed them (else every node is looked at).
   */
  scan(out: Uint32Array, plainNodes?: IntList): void {
    const g = this.graph;
    this.scanned = true;
    if (g.types.object < 0) return;
    const property = g.edgeTypeCodes.property;
    const { nodeType, nodeName, edgeType, edgeName } = g.columns;
    const first = g.firstEdge;
    const objectType = g.types.object;
    const ids = this.ids;
    const shapes = this.shapes;
    const byString = ids.byString;
    let buf = new Int32Array(256);
    let last = -1;
    const listed = plainNodes?.data;
    const count = plainNodes ? plainNodes.length : g.nodeCount;
    for (let i = 0; i < count; i++) {
      const n = listed !== undefined ? listed[i]! : i;
      if (listed === undefined && (nodeType[n] !== objectType || !this.isObjectName(nodeName[n]!))) continue;
      const e0 = first[n]!;
      const e1 = first[n + 1]!;
      if (e1 - e0 > buf.length) buf = new Int32Array(Math.max(e1 - e0, buf.length * 2));
      let k = 0;
      for (let e = e0; e < e1; e++) {
        if (edgeType[e] !== property) continue;
        const name = edgeName[e]!;
        const p = byString[name]!;
        buf[k++] = p >= 0 ? p : ids.ofString(name);
      }
      // Objects of one shape often come one after another: compare with the last one first.
      if (last >= 0 && shapes.len.data[last] === k) {
        const pool = shapes.pool.data;
        const base = shapes.start.data[last]!;
        let j = 0;
        while (j < k && pool[base + j] === buf[j]) j++;
        if (j === k) {
          shapes.count.data[last]!++;
          out[n] = last;
          continue;
        }
      }
      last = out[n] = shapes.add(buf, k, 0);
    }
  }

  /** The property ids of shape `s`. */
  private shape(s: number): Int32Array {
    const start = this.shapes.start.data[s]!;
    return this.shapes.pool.data.subarray(start, start + this.shapes.len.data[s]!);
  }

  /** Step 1: the definitions DevTools infers from this graph's plain objects. */
  infer(): InterfaceDefinition[] {
    if (!this.scanned) throw new Error("scan() first");
    const ids = this.ids;
    const fmt = ids.formattedLength;
    const cands = new Candidates();
    let total = 0;
    let buf = new Int32Array(256);
    // Shapes are numbered in the order their first object comes, so candidates are too.
    for (let s = 0; s < this.shapes.size; s++) {
      const objects = this.shapes.count.data[s]!;
      total += objects;
      const props = this.shape(s);
      if (props.length > buf.length) buf = new Int32Array(props.length);
      let len = 1;
      let k = 0;
      let lead = 0;
      for (let i = 0; i < props.length; i++) {
        const p = props[i]!;
        if (p === this.proto) continue;
        const f = fmt[p]!;
        if (len > 1 && len + f > MAX_INTERFACE_NAME_LENGTH) break;
        if (len !== 1) len += 2;
        else if (f === 0) lead++;
        len += f;
        buf[k++] = p;
      }
      if (k > 0) cands.add(buf, k, lead, objects);
    }
    const minCount = Math.max(MIN_OBJECT_COUNT_PER_INTERFACE, total / MIN_OBJECT_PROPORTION_PER_INTERFACE);
    const chosen: number[] = [];
    for (let c = 0; c < cands.size; c++) if (cands.count.data[c]! >= minCount) chosen.push(c);
    // Most common first; equal counts keep first-seen order (DevTools' stable sort of its Map).
    chosen.sort((a, b) => cands.count.data[b]! - cands.count.data[a]! || a - b);
    return chosen.map((c) => {
      const start = cands.start.data[c]!;
      const properties: string[] = [];
      for (let i = 0; i < cands.len.data[c]!; i++) properties.push(ids.names[cands.pool.data[start + i]!]!);
      return { name: interfaceName(properties), properties };
    });
  }

  /** Step 2: for each shape, the index into `defs` of the definition it takes, or -1 (`Object`). */
  match(defs: readonly InterfaceDefinition[]): Int32Array {
    if (!this.scanned) throw new Error("scan() first");
    const result = new Int32Array(this.shapes.size).fill(-1);
    if (defs.length === 0) return result;
    const ids = this.ids;
    // Rank the definitions' property names in JavaScript string order; other names never match.
    const used = new Set<number>();
    const defIds = defs.map((d) =>
      d.properties.map((p) => {
        const id = ids.ofName(p);
        used.add(id);
        return id;
      }),
    );
    const sortedIds = [...used].sort((a, b) => (ids.names[a]! < ids.names[b]! ? -1 : ids.names[a]! > ids.names[b]! ? 1 : 0));
    const rank = new Int32Array(ids.names.length).fill(-1);
    sortedIds.forEach((id, r) => (rank[id] = r));
    // The tree of definitions: each edge adds one property, in rank order.
    const children: Array<Map<number, number>> = [new Map()];
    const greatest: number[] = [-1];
    const matchDef: number[] = [-1];
    const matchCount: number[] = [0];
    defIds.forEach((list, d) => {
      const ranks = list.map((id) => rank[id]!).sort((a, b) => a - b);
      let t = 0;
      for (const r of ranks) {
        let next = children[t]!.get(r);
        if (next === undefined) {
          next = children.length;
          children.push(new Map());
          greatest.push(-1);
          matchDef.push(-1);
          matchCount.push(0);
          children[t]!.set(r, next);
          if (greatest[t]! < r) greatest[t] = r;
        }
        t = next;
      }
      if (matchDef[t] === -1) {
        matchDef[t] = d;
        matchCount[t] = ranks.length;
      }
    });
    const stamp = new Int32Array(children.length);
    let gen = 0;
    let states: number[] = [];
    let nextStates: number[] = [];
    let buf = new Int32Array(256);
    for (let s = 0; s < this.shapes.size; s++) {
      const props = this.shape(s);
      if (props.length > buf.length) buf = new Int32Array(props.length);
      let k = 0;
      for (let i = 0; i < props.length; i++) {
        const id = props[i]!;
        const r = id < rank.length ? rank[id]! : -1;
        if (r >= 0) buf[k++] = r;
      }
      if (k === 0) continue;
      buf.subarray(0, k).sort();
      let best = -1;
      let bestCount = 0;
      states.length = 0;
      states.push(0);
      for (let i = 0; i < k && states.length > 0; i++) {
        const r = buf[i]!;
        gen++;
        nextStates.length = 0;
        for (let j = 0; j < states.length; j++) {
          const st = states[j]!;
          // A state stays while a later, larger property could still lead somewhere from it.
          const gs = greatest[st]!;
          if (gs >= 0 && r < gs && stamp[st] !== gen) {
            stamp[st] = gen;
            nextStates.push(st);
          }
          const t = children[st]!.get(r);
          if (t === undefined) continue;
          if (stamp[t] !== gen) {
            stamp[t] = gen;
            nextStates.push(t);
          }
          const d = matchDef[t]!;
          if (d >= 0 && (matchCount[t]! > bestCount || (matchCount[t] === bestCount && d < best))) {
            best = d;
            bestCount = matchCount[t]!;
          }
        }
        const swap = states;
        states = nextStates;
        nextStates = swap;
      }
      result[s] = best;
    }
    return result;
  }
}

/** DevTools shortens a plain object's own name to about this many characters. */
export const MAX_OBJECT_NAME_LENGTH = 100;
/** DevTools stops rebuilding a concatenated string's text once it is this long. */
export const MAX_CONS_STRING_LENGTH = 1024;

/**
 * The name DevTools shows for one object in its lists, where that is not the raw node name:
 *
 * - a plain object (`object` node named `Object`): its own property names, `{a, b, c}`, taken in
 *   turn from the first and the last property edges (`__proto__` left out), until the next one
 *   would make the name longer than 100 characters (the first always goes in); what is left out
 *   shows as `...` in the middle: `{a, b, ..., y, z}`. Whatever its class (`Object` or a `{…}`
 *   shape), each object has its own;
 * - a concatenated string: its text, rebuilt from its `first` and `second` parts, about 1,024
 *   characters at most (V8 writes only `(concatenated string)` as its name).
 *
 * Undefined for every other object. Reads the object's edges only: for the few objects an answer
 * shows, never for every node.
 *
 * @example
 * objectDisplayName(graph, n); // "{requestCache, configBus, ..., logger}"
 */
export function objectDisplayName(graph: HeapGraph, n: number): string | undefined {
  const type = graph.nodeType(n);
  if (type === graph.types.object && type >= 0 && graph.nodeName(n) === "Object") return plainObjectName(graph, n);
  if (type === graph.types.concatenatedString && type >= 0) return consStringText(graph, n);
  return undefined;
}

function plainObjectName(graph: HeapGraph, n: number): string {
  const property = graph.edgeTypeCodes.property;
  let start = "{";
  let end = "}";
  let from = graph.firstEdge[n]!;
  let to = graph.firstEdge[n + 1]! - 1;
  let fromEnd = false;
  while (from <= to) {
    const e = fromEnd ? to : from;
    const name = graph.edgeType(e) === property ? graph.edgeName(e) : undefined;
    if (typeof name !== "string" || name === "__proto__") {
      if (fromEnd) to--;
      else from++;
      continue;
    }
    const formatted = formatPropertyName(name);
    if (start.length > 1 && start.length + end.length + formatted.length > MAX_OBJECT_NAME_LENGTH) break;
    if (fromEnd) {
      to--;
      end = (end.length > 1 ? `${formatted}, ` : formatted) + end;
    } else {
      from++;
      start += (start.length > 1 ? ", " : "") + formatted;
    }
    fromEnd = !fromEnd;
  }
  if (from <= to) start += ", ...";
  if (end.length > 1) start += ", ";
  return start + end;
}

function consStringText(graph: HeapGraph, n: number): string {
  const cons = graph.types.concatenatedString;
  const internal = graph.edgeTypeCodes.internal;
  const stack = [n];
  let text = "";
  while (stack.length > 0 && text.length < MAX_CONS_STRING_LENGTH) {
    const u = stack.pop()!;
    if (graph.nodeType(u) !== cons) {
      text += graph.nodeName(u);
      continue;
    }
    let first = -1;
    let second = -1;
    for (let e = graph.firstEdge[u]!; e < graph.firstEdge[u + 1]! && (first < 0 || second < 0); e++) {
      if (graph.edgeType(e) !== internal) continue;
      const name = graph.edgeName(e);
      if (name === "first") first = graph.edgeTo(e);
      else if (name === "second") second = graph.edgeTo(e);
    }
    // A part V8 did not write adds nothing (DevTools reads the root's empty name there).
    if (second >= 0) stack.push(second);
    if (first >= 0) stack.push(first);
  }
  return text;
}
