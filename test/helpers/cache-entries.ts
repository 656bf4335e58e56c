/**
 * Cache entry files as tests take them apart: where a section is, and an entry whose section
 * values are changed with every checksum made to match again (as a writer with a bug, or a foreign
 * file, would leave one), so that only the checks of what the values mean can find it; and which
 * blocks of an entry a thread reads.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { vi, type MockInstance } from "vitest";
import { BLOCK, EntryFile } from "../../src/cache/lazy.js";
import { treeSampleRuns, TREE_SAMPLE_RUN_NODES } from "../../src/cache/tree-sample.js";

const WIDTH: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, f64: 8 };

interface Header {
  sections: { name: string; type: string; length: number; offset: number }[];
  blocks: number;
  [k: string]: unknown;
}

function parse(buf: Buffer): { header: Header; dataStart: number } {
  const len = buf.readUInt32LE(8);
  const header = JSON.parse(buf.subarray(16, 16 + len).toString("utf8")) as Header;
  return { header, dataStart: (16 + len + 7) & ~7 };
}

/**
 * What follows an entry's (or late part's) header: its sections and block table, byte for byte the
 * same in two files written of the same content (the headers differ in when they were written).
 */
export function dataOf(file: string): Buffer {
  const buf = readFileSync(file);
  return buf.subarray(parse(buf).dataStart);
}

/** An entry's (or late part's) section `name`: its file position, element count and element width. */
export function sectionIn(file: string, name: string): { at: number; length: number; width: number } {
  const { header, dataStart } = parse(readFileSync(file));
  const s = header.sections.find((r) => r.name === name);
  if (!s) throw new Error(`no section ${name}`);
  return { at: dataStart + s.offset, length: s.length, width: WIDTH[s.type]! };
}

/** The typed array type of each element type, over a copy of the bytes. */
type View = Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array;
function view(type: string, bytes: Buffer): View {
  const copy = new Uint8Array(bytes);
  switch (type) {
    case "u8":
      return copy;
    case "u16":
      return new Uint16Array(copy.buffer);
    case "u32":
      return new Uint32Array(copy.buffer);
    case "i32":
      return new Int32Array(copy.buffer);
    default:
      return new Float64Array(copy.buffer);
  }
}

/**
 * Changes an entry file's (or a late part's) sections in place: `edit` gets every section's values
 * by name, changes those it likes, and the file is written back with every block checksum, the
 * block table's checksum and the header's made to match. `editHeader` may change the header's
 * other fields too (its format number…).
 */
export function resealEntry(
  file: string,
  edit: (sections: Map<string, View>) => void,
  editHeader?: (header: Record<string, unknown>) => void,
): void {
  const buf = readFileSync(file);
  const { header, dataStart } = parse(buf);
  editHeader?.(header);
  const sections = new Map<string, View>();
  for (const s of header.sections) {
    const at = dataStart + s.offset;
    sections.set(s.name, view(s.type, buf.subarray(at, at + s.length * WIDTH[s.type]!)));
  }
  edit(sections);
  const crcs: number[] = [];
  for (const s of header.sections) {
    const v = sections.get(s.name)!;
    const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    bytes.copy(buf, dataStart + s.offset);
    for (let b = 0; b * BLOCK < bytes.length; b++) crcs.push(crc32(bytes.subarray(b * BLOCK, Math.min(bytes.length, (b + 1) * BLOCK))));
  }
  const last = header.sections[header.sections.length - 1]!;
  const tableAt = dataStart + ((last.offset + last.length * WIDTH[last.type]! + 7) & ~7);
  const table = Buffer.alloc(buf.length - tableAt);
  crcs.forEach((c, i) => table.writeUInt32LE(c, 4 * i));
  table.copy(buf, tableAt);
  header.blocks = crc32(table);
  // The header at its old length (an entry's has room: JSON allows trailing spaces), else longer.
  const oldLength = buf.readUInt32LE(8);
  let json = Buffer.from(JSON.stringify(header), "utf8");
  if (json.length <= oldLength) json = Buffer.concat([json, Buffer.alloc(oldLength - json.length, 0x20)]);
  const prefix = Buffer.alloc((16 + json.length + 7) & ~7);
  buf.copy(prefix, 0, 0, 8);
  prefix.writeUInt32LE(json.length, 8);
  prefix.writeUInt32LE(crc32(json), 12);
  json.copy(prefix, 16);
  writeFileSync(file, Buffer.concat([prefix, buf.subarray(dataStart)]));
}

/** The nodes of the runs the distance-tree sample (src/cache/tree-sample.ts) checks in a graph of `N` nodes. */
export function sampledNodes(N: number): number[] {
  return treeSampleRuns(N).flatMap((a) => Array.from({ length: Math.min(N, TREE_SAMPLE_RUN_NODES) }, (_, k) => a + k));
}

/**
 * Records, by section name, every block this thread reads of an entry from now on, in the order read
 * (a block read twice is listed twice), reading them as before. Call `spy.mockRestore()` after.
 */
export function recordBlocksRead(): { read: Map<string, number[]>; spy: MockInstance<EntryFile["readBlocks"]> } {
  const read = new Map<string, number[]>();
  const readBlocks = EntryFile.prototype.readBlocks;
  const spy = vi.spyOn(EntryFile.prototype, "readBlocks").mockImplementation(function (
    this: EntryFile,
    name,
    into,
    position,
    crcBase,
    b0,
    b1,
    fail,
  ) {
    const list = read.get(name) ?? [];
    for (let b = b0; b < b1; b++) list.push(b);
    read.set(name, list);
    readBlocks.call(this, name, into, position, crcBase, b0, b1, fail);
  });
  return { read, spy };
}
