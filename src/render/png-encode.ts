/**
 * RGBA pixels → PNG bytes, compressed by Node's own zlib in pieces that run on libuv's thread pool
 * while the caller goes on (rasterising the next band of the picture: see png.ts).
 *
 * A PNG holds one zlib stream of its rows, each row behind a filter byte (here always 0, "none").
 * The stream is made of independently compressed pieces: each piece is deflated alone and ended
 * with a sync flush, which closes its last block on a byte boundary without marking it final, so
 * the pieces' deflate data can be laid end to end; one empty final block follows the last piece.
 * zlib computes each piece's Adler-32 checksum while it compresses it (it is the trailer of the
 * piece's own stream), and the checksum of the whole follows from the pieces' checksums and
 * lengths ({@link combineAdler32}): no pass over the pixels in JavaScript. A piece restarts the
 * compressor's history, which costs a fraction of a percent of the size. The output depends only on
 * the pixels and on where the pieces are cut, which the caller derives from the picture's size:
 * the same pixels give the same bytes.
 */
import { constants, crc32, createDeflate } from "node:zlib";
import { RenderError } from "../errors.js";

/** zlib's compression level: its default, as most PNG writers use. */
const LEVEL = 6;
/** The two header bytes zlib writes at {@link LEVEL} (deflate, 32 KiB window, default level). */
const ZLIB_HEADER = [0x78, 0x9c];
/** What a sync flush ends with: an empty stored block (`00 00 ff ff` after its 3 header bits). */
const SYNC_MARK = 0x0000ffff;
/** An empty final block with fixed codes: BFINAL = 1, BTYPE = 01, the end-of-block code. */
const EMPTY_FINAL_BLOCK = [0x03, 0x00];
const ADLER_BASE = 65521;
/** Row buffers a picture fills at most (see PngWriter's `spare`): two bands' pieces. */
const MAX_BUFFERS = 4;

/**
 * The Adler-32 of A followed by B, from A's checksum, B's checksum and B's length. Adler-32 keeps
 * `a = 1 + Σ bytes` and `b = Σ of a after each byte`, both mod 65521, as `b << 16 | a`. Over A then
 * B, `a` gains B's byte sum (`aB - 1`), and each of B's `lengthB` running sums starts from A's
 * final `a` instead of 1, so `b = bA + bB + lengthB · (aA - 1)`.
 */
export function combineAdler32(adlerA: number, adlerB: number, lengthB: number): number {
  const aA = adlerA & 0xffff;
  const bA = adlerA >>> 16;
  const aB = adlerB & 0xffff;
  const bB = adlerB >>> 16;
  const a = (aA + aB + ADLER_BASE - 1) % ADLER_BASE;
  // Both factors are below 65521: the product is exact in a double.
  const b = (bA + bB + (lengthB % ADLER_BASE) * ((aA + ADLER_BASE - 1) % ADLER_BASE)) % ADLER_BASE;
  return ((b << 16) | a) >>> 0;
}

interface Piece {
  /** The piece's deflate data, ending with the sync flush's empty stored block. */
  body: Buffer;
  adler: number;
  /** Uncompressed length. */
  length: number;
}

/**
 * Deflates `raw` as one piece (see the module's comment), on the thread pool; `done` is called,
 * once, when zlib no longer reads `raw`, whether it succeeded or not.
 */
function deflatePiece(raw: Buffer, done: () => void): Promise<Piece> {
  // Once only: a buffer handed back twice would be filled by two pieces at once.
  let released = false;
  const release = (): void => {
    if (!released) done();
    released = true;
  };
  return new Promise((resolve, reject) => {
    // An output buffer the size of the input: the whole piece is compressed in one job on the
    // thread pool, which needs no turn of this thread's event loop until it is done (with zlib's
    // 16 KiB default, each 16 KiB of output waits for one).
    const z = createDeflate({ level: LEVEL, chunkSize: Math.max(64 << 10, raw.length + 1024) });
    const out: Buffer[] = [];
    z.on("data", (c: Buffer) => out.push(c));
    z.on("error", (e) => {
      release();
      reject(e);
    });
    z.on("end", () => {
      release();
      const all = Buffer.concat(out);
      const n = all.length;
      // zlib's own stream: header, the piece, the sync flush, then (from `end`) an empty final
      // block and the Adler-32 trailer. Anything else would be a zlib this code does not know.
      const expected =
        n >= 12 &&
        all[0] === ZLIB_HEADER[0] &&
        all[1] === ZLIB_HEADER[1] &&
        all.readUInt32BE(n - 10) === SYNC_MARK &&
        all[n - 6] === EMPTY_FINAL_BLOCK[0] &&
        all[n - 5] === EMPTY_FINAL_BLOCK[1];
      if (!expected) {
        reject(new RenderError("zlib's output is not laid out as expected", "this is a bug; please report it"));
        return;
      }
      resolve({ body: all.subarray(2, n - 6), adler: all.readUInt32BE(n - 4), length: raw.length });
    });
    z.write(raw);
    z.flush(constants.Z_SYNC_FLUSH, () => z.end());
  });
}

/**
 * A PNG being written band by band, top to bottom: {@link add} each band's pixels as they come
 * (their compression starts at once, on the thread pool), then {@link finish}.
 */
export class PngWriter {
  private readonly pieces: Promise<Piece>[] = [];
  private rows = 0;
  /**
   * The rows of a piece are copied into a buffer of their own (behind filter bytes) that zlib reads
   * while the next band is drawn. Memory the process has touched before costs nothing to write
   * again, while fresh memory is faulted in page by page (on a small virtual machine ~35 ms for a
   * band of 12 MB, as long as drawing it): a buffer whose piece was compressed is filled again, and
   * at most {@link MAX_BUFFERS} are made.
   */
  private readonly spare: Buffer[] = [];
  /** Buffers made (spare, or read by zlib). */
  private buffers = 0;
  /** {@link buffer} calls waiting for a spare buffer. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly width: number,
    readonly height: number,
  ) {}

  /**
   * The next `rows` rows, as RGBA bytes (`width × 4` a row); each call awaited before the next.
   * The pixels are copied before it resolves: they may be reused then. It waits for the
   * compression of earlier rows only when {@link MAX_BUFFERS} buffers are in use.
   */
  async add(rgba: Uint8Array, rows: number): Promise<void> {
    const stride = this.width * 4;
    if (rows < 1 || rgba.length < rows * stride || this.rows + rows > this.height) {
      throw new RenderError(
        `a band of ${rows} rows does not fit the ${this.width}×${this.height} picture`,
        "this is a bug; please report it",
      );
    }
    // Each band is cut in two pieces, which the thread pool compresses side by side while the next
    // band is drawn (the last band's compression is what the picture waits for), and whose buffers
    // are spare again sooner than a whole band's would be.
    this.rows += rows;
    const cuts = rows > 1 ? [0, rows >> 1, rows] : [0, rows];
    for (let c = 1; c < cuts.length; c++) {
      const from = cuts[c - 1]!;
      const to = cuts[c]!;
      const raw = await this.buffer((stride + 1) * (to - from));
      for (let y = from; y < to; y++) {
        const at = (y - from) * (stride + 1);
        raw[at] = 0; // filter: none
        raw.set(rgba.subarray(y * stride, (y + 1) * stride), at + 1);
      }
      const piece = deflatePiece(raw, () => {
        this.spare.push(raw);
        for (const wake of this.waiting.splice(0)) wake();
      });
      // (awaited in finish; this keeps a failure before then from counting as unhandled)
      piece.catch(() => {});
      this.pieces.push(piece);
    }
  }

  /** A buffer of `length` bytes to fill: a spare one, or a new one (see {@link spare}). */
  private async buffer(length: number): Promise<Buffer> {
    if (this.spare.length === 0 && this.buffers > 0) {
      // A compression that ended is heard of on the next turn of the event loop.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.spare.length === 0 && this.buffers >= MAX_BUFFERS) {
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      }
    }
    const b = this.spare.pop();
    if (b && b.buffer.byteLength >= length) return Buffer.from(b.buffer, 0, length);
    if (!b) this.buffers++;
    return Buffer.allocUnsafeSlow(length);
  }

  /** The PNG file's bytes, once every row was added. */
  async finish(): Promise<Uint8Array> {
    if (this.rows !== this.height) {
      throw new RenderError(`${this.rows} of the picture's ${this.height} rows were drawn`, "this is a bug; please report it");
    }
    const pieces = await Promise.all(this.pieces);
    let adler = 1; // the Adler-32 of nothing
    for (const p of pieces) adler = combineAdler32(adler, p.adler, p.length);
    const trailer = Buffer.alloc(6);
    trailer[0] = EMPTY_FINAL_BLOCK[0]!;
    trailer[1] = EMPTY_FINAL_BLOCK[1]!;
    trailer.writeUInt32BE(adler, 2);
    const stream = Buffer.concat([Buffer.from(ZLIB_HEADER), ...pieces.map((p) => p.body), trailer]);
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header[8] = 8; // bit depth
    header[9] = 6; // colour type: RGBA
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      pngChunk("IHDR", header),
      pngChunk("IDAT", stream),
      pngChunk("IEND", Buffer.alloc(0)),
    ]);
  }
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
  return Buffer.concat([head, data, crc]);
}
