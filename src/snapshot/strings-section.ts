/**
 * The `strings` section: a JSON array of strings, each copied as its raw (still escaped) UTF-8
 * bytes into a {@link StringTable}, its escapes checked but not decoded (the table decodes a
 * string when it is asked for). Resumable across chunks.
 */
import { SnapshotFormatError } from "../errors.js";
import { describeByte, isHex, isWs } from "./json-bytes.js";
import type { StringTable } from "./string-table.js";

export class StringsSectionReader {
  /** True once the array's closing ']' was read (the table is then finished). */
  done = false;
  private inString = false;
  /** Between strings: 0 just after '[', 1 after ',', 2 after a string. */
  private expect = 0;
  /** Inside a string: after a backslash. */
  private escape = false;
  /** Inside a string: hex digits of a `\u` escape still to come. */
  private hex = 0;
  private escaped = false;

  /** Reads into `strings`; call with the bytes after the array's '['. */
  constructor(private readonly strings: StringTable) {}

  /**
   * Reads `buf` from `start` (`base` is the file offset of `buf[0]`). Returns just past the
   * closing ']' (with {@link done} set), or `buf.length`.
   */
  scan(buf: Uint8Array, start: number, base: number): number {
    const n = buf.length;
    let i = start;
    while (i < n) {
      if (this.inString) {
        i = this.body(buf, i, base);
        continue;
      }
      const c = buf[i]!;
      if (isWs(c)) {
        i++;
      } else if (c === 34) {
        if (this.expect === 2) this.fail("expected ',' between strings", base + i);
        this.strings.beginString();
        this.escape = false;
        this.hex = 0;
        this.escaped = false;
        this.inString = true;
        i++;
      } else if (c === 44 && this.expect === 2) {
        // Plain strings in one go (see StringTable.addPlainStrings); this loop reads the rest.
        const f = this.strings.addPlainStrings(buf, i, n);
        if (f !== i) {
          i = f;
          continue;
        }
        this.expect = 1;
        i++;
      } else if (c === 93 && this.expect !== 1) {
        this.strings.finish();
        this.done = true;
        return i + 1;
      } else {
        this.fail(`unexpected ${describeByte(c)} in the list of strings`, base + i);
      }
    }
    return i;
  }

  /** Copies a string's raw bytes, validating escapes, until its closing quote. */
  private body(buf: Uint8Array, start: number, base: number): number {
    const n = buf.length;
    let i = start;
    let esc = this.escape;
    let hex = this.hex;
    for (; i < n; i++) {
      let c = buf[i]!;
      if (hex === 0 && !esc) {
        // Plain bytes in a tight loop: only a quote, a backslash or a control character stops it.
        while (c !== 34 && c !== 92 && c >= 32 && ++i < n) c = buf[i]!;
        if (i === n) break;
      }
      if (hex > 0) {
        if (!isHex(c)) this.fail("bad \\u escape in a string", base + i);
        hex--;
        continue;
      }
      if (esc) {
        esc = false;
        if (c === 117) {
          hex = 4;
          this.escaped = true;
          continue;
        }
        if (c === 34 || c === 92 || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116) {
          this.escaped = true;
          continue;
        }
        this.fail(`bad escape '\\${String.fromCharCode(c)}' in a string`, base + i);
      }
      if (c === 92) {
        esc = true;
        continue;
      }
      if (c === 34) {
        this.strings.appendBytes(buf, start, i, this.escaped);
        this.strings.endString();
        this.inString = false;
        this.expect = 2;
        return i + 1;
      }
      if (c < 32) this.fail("control character inside a string", base + i);
    }
    this.strings.appendBytes(buf, start, i, this.escaped);
    this.escape = esc;
    this.hex = hex;
    return i;
  }

  private fail(message: string, offset: number): never {
    throw new SnapshotFormatError(message, offset, "strings");
  }
}
