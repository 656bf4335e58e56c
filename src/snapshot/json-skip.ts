/**
 * Skips one JSON value of any shape, resumably across chunks and without recursion, keeping its
 * bytes when asked: the snapshot parser reads the `snapshot` header this way (then parses the kept
 * bytes with `JSON.parse`) and passes over the sections it does not keep (`trace_tree`,
 * `samples`, ...).
 */
import { SnapshotFormatError } from "../errors.js";
import { describeByte, isScalarByte, isWs } from "./json-bytes.js";

/** Deeper nesting than this in a skipped or kept value is junk, not a snapshot. */
const MAX_DEPTH = 512;

export class JsonValueSkipper {
  /** True once the value has ended. */
  done = false;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** Inside a bare scalar at the top level (a number, `true`...), which ends at a delimiter. */
  private scalar = false;
  private started = false;
  private readonly kept: Buffer[] | null;
  private keptBytes = 0;

  /**
   * @param section the section's name, for error messages
   * @param keep keep the value's bytes, failing with `tooLarge` past `upTo` of them
   */
  constructor(
    private readonly section: string,
    private readonly keep: { upTo: number; tooLarge: string } | null = null,
  ) {
    this.kept = keep ? [] : null;
  }

  /**
   * Scans `buf` from `start` (`base` is the file offset of `buf[0]`). Returns where the value
   * ends (just past its last byte, with {@link done} set), or `buf.length` when it goes on in
   * the next chunk. A top-level scalar ends at its delimiter, which is left unread.
   */
  scan(buf: Uint8Array, start: number, base: number): number {
    const n = buf.length;
    let i = start;
    let done = false;
    let consumeLast = true;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 92) this.escape = true;
        else if (c === 34) {
          this.inString = false;
          if (this.depth === 0) {
            done = true;
            break;
          }
        } else if (c < 32) this.fail("control character inside a string", base + i);
        continue;
      }
      if (this.scalar) {
        if (c === 44 || c === 125 || c === 93 || isWs(c)) {
          done = true;
          consumeLast = false;
          break;
        }
        if (!isScalarByte(c)) this.fail(`unexpected ${describeByte(c)}`, base + i);
        continue;
      }
      if (c === 34) {
        this.inString = true;
        this.started = true;
        continue;
      }
      if (c === 123 || c === 91) {
        if (++this.depth > MAX_DEPTH) this.fail("nested too deeply", base + i);
        this.started = true;
        continue;
      }
      if (c === 125 || c === 93) {
        if (this.depth === 0) this.fail(`unexpected ${describeByte(c)}`, base + i);
        if (--this.depth === 0) {
          done = true;
          break;
        }
        continue;
      }
      if (isWs(c) || c === 44 || c === 58) {
        if (this.depth === 0 && !isWs(c)) this.fail(`expected a value but found ${describeByte(c)}`, base + i);
        continue;
      }
      if (this.depth === 0 && !this.started) {
        this.scalar = true;
        this.started = true;
        continue;
      }
      if (!isScalarByte(c)) this.fail(`unexpected ${describeByte(c)}`, base + i);
    }
    const end = done && consumeLast ? i + 1 : i;
    if (this.kept) {
      this.keptBytes += end - start;
      if (this.keptBytes > this.keep!.upTo) this.fail(this.keep!.tooLarge, base + i);
      this.kept.push(Buffer.from(buf.subarray(start, end)));
    }
    if (done) this.done = true;
    return end;
  }

  /** The kept bytes as text (empty when nothing was kept). */
  text(): string {
    return this.kept ? Buffer.concat(this.kept).toString("utf8") : "";
  }

  private fail(message: string, offset: number): never {
    throw new SnapshotFormatError(message, offset, this.section);
  }
}
