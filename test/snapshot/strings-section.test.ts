import { describe, expect, it } from "vitest";
import { SnapshotFormatError } from "../../src/errors.js";
import { StringTable } from "../../src/snapshot/string-table.js";
import { StringsSectionReader } from "../../src/snapshot/strings-section.js";

const STRINGS = ["", "plain", 'quote " backslash \\ slash /', "\b\f\n\r\t", "\u0001 and é and 😀", "<div>"];

/** Reads `text` (what follows the array's '[') in chunks of `size`; returns the table and where the reader stopped. */
function read(text: string, size: number): { table: StringTable; stop: number } {
  const table = new StringTable();
  const r = new StringsSectionReader(table);
  const data = Buffer.from(text);
  let stop = -1;
  for (let at = 0; at < data.length && stop < 0; at += size) {
    const end = r.scan(data.subarray(at, at + size), 0, at);
    if (r.done) stop = at + end;
  }
  return { table, stop };
}

describe("StringsSectionReader", () => {
  const text = JSON.stringify(STRINGS).slice(1) + ',"not read"';
  const close = Buffer.byteLength(JSON.stringify(STRINGS)) - 1;

  it("keeps each string's bytes in the table, decoded on demand, in any chunking", () => {
    for (const size of [1, 2, 3, 5, 64, 4096]) {
      const { table, stop } = read(text, size);
      expect(stop).toBe(close);
      expect(Array.from({ length: table.length }, (_, i) => table.get(i))).toEqual(STRINGS);
    }
  });

  it("reads an empty list, with white space anywhere between strings", () => {
    expect(read(" \n]", 1).table.length).toBe(0);
    const { table } = read(' "a" ,\n\t"b" ]', 2);
    expect([table.get(0), table.get(1)]).toEqual(["a", "b"]);
  });

  it("rejects bad escapes, raw control characters and bad punctuation, naming the section", () => {
    const cases: Array<[string, RegExp]> = [
      ['"a\\x"]', /bad escape '\\x'/],
      ['"a\\u12G4"]', /bad \\u escape/],
      ['"a\nb"]', /control character inside a string/],
      ['"a" "b"]', /expected ',' between strings/],
      ['"a",]', /unexpected '\]' in the list of strings/],
      [",]", /unexpected ','/],
      ["1]", /unexpected '1'/],
    ];
    for (const [bad, want] of cases) {
      for (const size of [1, 100]) {
        let err: unknown;
        try {
          read(bad, size);
        } catch (e) {
          err = e;
        }
        expect(err, bad).toBeInstanceOf(SnapshotFormatError);
        expect((err as SnapshotFormatError).message).toMatch(want);
        expect((err as SnapshotFormatError).section).toBe("strings");
      }
    }
  });
});

describe("StringsSectionReader on plain strings as V8 writes them", () => {
  /** Strings of every kind the section holds, in a fixed pseudo-random mix. */
  function mix(count: number, seed: number): string[] {
    let x = seed;
    const next = (): number => (x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const kinds = [
      () => "",
      () => "plain" + Math.floor(next() * 1000),
      () => "x".repeat(1 + Math.floor(next() * 200)), // beyond the short-copy loop
      () => 'with "quotes" and \\ backslash',
      () => "line\nbreak",
      () => "é 😀 \u0001",
      () => "<div> (GC roots) system / Map",
    ];
    return Array.from({ length: count }, () => kinds[Math.floor(next() * kinds.length)]!());
  }
  /** The strings written as V8 does: `[` then `"a",\n"b"` and the closing `]`. */
  const v8Text = (strings: string[]): string => strings.map((t) => JSON.stringify(t)).join(",\n") + "]";

  it("reads the same strings in any chunking, past the table's first offsets and its first chunk of bytes", () => {
    // 5,000 strings (the offset table starts at 1,024 and grows) of ~160 KB (bytes start in a 64 KiB
    // chunk, then move to larger ones).
    const strings = mix(5000, 7);
    const text = v8Text(strings);
    expect(Buffer.byteLength(text)).toBeGreaterThan(1 << 17);
    for (const size of [1, 7, 64, 1000, 65536, 1 << 20]) {
      const { table, stop } = read(text, size);
      expect(stop, `chunks of ${size}`).toBe(Buffer.byteLength(text));
      expect(table.length).toBe(strings.length);
      for (let i = 0; i < strings.length; i++)
        if (table.get(i) !== strings[i]) expect(table.get(i), `string ${i}, chunks of ${size}`).toBe(strings[i]);
    }
  });

  it("stops for a string it does not read and reports a fault there, at the same place, after plain strings", () => {
    const strings = mix(2000, 11);
    const good = strings.map((t) => JSON.stringify(t)).join(",\n");
    const cases: Array<[string, RegExp]> = [
      [',\n"a\tb"]', /control character inside a string/],
      [',\n"a\\q"]', /bad escape '\\q'/],
      [', "a" "b"]', /expected ',' between strings/],
      [",\n]", /unexpected '\]' in the list of strings/],
    ];
    for (const [tail, want] of cases) {
      for (const size of [3, 4096, 1 << 20]) {
        let err: unknown;
        try {
          read(good + tail, size);
        } catch (e) {
          err = e;
        }
        expect(err, tail).toBeInstanceOf(SnapshotFormatError);
        expect((err as SnapshotFormatError).message).toMatch(want);
        // The offset of the fault: the byte the careful loop complains of, in the tail.
        const at =
          Buffer.byteLength(good) +
          (tail.includes("\t")
            ? tail.indexOf("\t")
            : tail.includes("\\q")
              ? tail.indexOf("q")
              : tail.lastIndexOf(tail.includes('"b"') ? '"b"' : "]"));
        expect((err as SnapshotFormatError).offset, `${tail}, chunks of ${size}`).toBe(at);
      }
    }
  });
});

describe("StringTable.indicesOfEach", () => {
  it("finds every copy of each name in one pass, escaped or not, as a string-by-string comparison does", () => {
    // Repeats, escaped spellings of plain text (another writer may escape what V8 does not),
    // names that are prefixes of others, and a name nothing matches.
    const strings = ["Object", "Obj", "Object", "\u004fbject", "x", "a/b", "a/b", "é", "😀", "", "Objects"];
    const raw = strings.map((s, i) => (i === 3 ? '"\\u004fbject"' : i === 6 ? '"a\\/b"' : JSON.stringify(s))).join(",") + "]";
    const { table } = read(raw, 7);
    const names = ["Object", "a/b", "😀", "", "Obj", "missing"];
    const each = table.indicesOfEach(names);
    names.forEach((name, k) => {
      const plain = Array.from({ length: table.length }, (_, i) => i).filter((i) => table.get(i) === name);
      expect(each[k]).toEqual(plain);
      expect(table.indicesOf(name)).toEqual(plain);
    });
    expect(each[0]).toEqual([0, 2, 3]);
    expect(each[1]).toEqual([5, 6]);
    expect(table.indicesOfEach([])).toEqual([]);
  });
});

describe("StringTable.indicesStartingWithDigit", () => {
  it("lists the strings that firstByte and rawLength say start with a digit and are long enough, escaped ones by their stored form", () => {
    const strings = ["", "7", "12", "x12", "123456", "9 / part of key", " 1", "٣45", "0123", "😀1"];
    // An escaped digit starts with a backslash as stored: not listed, as firstByte tells too.
    const raw = strings.map((s) => JSON.stringify(s)).join(",") + ',"\\u00312345","1\\/2345"]';
    const { table } = read(raw, 3);
    expect([table.get(10), table.firstByte(10)]).toEqual(["12345", 0x5c]);
    for (const min of [0, 1, 2, 4, 6, 7, 20]) {
      const expected = Array.from({ length: table.length }, (_, i) => i).filter((i) => {
        const b = table.firstByte(i);
        return b >= 0x30 && b <= 0x39 && table.rawLength(i) >= min;
      });
      expect(table.indicesStartingWithDigit(min), `at least ${min} bytes`).toEqual(expected);
    }
    expect(table.indicesStartingWithDigit(6)).toEqual([4, 5, 11]);
  });
});

describe("StringTable.isNumberName", () => {
  it("says what the slot-name pattern says of the decoded string, escaped spellings included", () => {
    const pattern = /^\d+(?: \/ .*)?$/s;
    const strings = [
      "729",
      "0",
      "",
      "x",
      "12 / part of key (Object @1) -> value (Array @2) pair in WeakMap (table @3)",
      "12 /",
      "12 / ",
      "12 /x",
      "12/ x",
      " 12",
      "12 ",
      "1e3",
      "-1",
      "٣",
      "12 / \n newline",
      "7\n",
      "12a",
      "😀",
      "12 / 😀",
    ];
    // Escaped spellings a writer may use: a digit as \u0031, the slash as \/, a tail with escapes.
    const raw = strings.map((s) => JSON.stringify(s)).join(",") + ',"\\u0031\\u0032","1\\u0032 \\/ x","3 / \\"q\\"","\\u0031a"]';
    const { table } = read(raw, 5);
    expect(table.length).toBe(strings.length + 4);
    let numbers = 0;
    for (let i = 0; i < table.length; i++) {
      const expected = pattern.test(table.get(i));
      if (expected) numbers++;
      expect(table.isNumberName(i), JSON.stringify(table.get(i))).toBe(expected);
    }
    expect(numbers).toBeGreaterThan(5);
  });
});
