/**
 * Memory for big typed arrays that goes back to the system when the array is freed.
 *
 * Node's array buffers come from the C library's `malloc`. On Linux (glibc), `malloc` serves a
 * request from its own heap unless the request is at least its "mmap threshold"; the heap's freed
 * pages mostly stay in the process (counted in its resident size) until reused. The threshold
 * starts at 128 KiB, but glibc raises it to the size of any mapped block that is freed, up to
 * 32 MiB: reading a snapshot frees a few big arrays, and from then on every array up to that size
 * (most per-node arrays of a 200 MB snapshot) comes from the heap. An analysis allocates and frees
 * dozens of them; the holes they leave made up ~10% of the peak resident size of a picture of a
 * 200 MB snapshot (docs/memory.md).
 *
 * A request above 32 MiB is always mapped on its own and unmapped when freed, and pages never
 * written take no memory. So on Linux an array of 128 KiB to 32 MiB gets a buffer just above
 * 32 MiB, of which it views only its own length: the rest is address space, never touched.
 */

/** Requests from this size up get a mapping of their own, sized {@link MAPPED_MIN}. */
const MAPPED_FROM = 128 << 10;

/**
 * A threshold fixed by the environment the process started with (`MALLOC_MMAP_THRESHOLD_`, which
 * glibc reads at start and then never moves; src/cli/huge-pages.ts starts the command-line process
 * of a big snapshot with one), or undefined.
 */
const fixedThreshold = ((v) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined))(process.env["MALLOC_MMAP_THRESHOLD_"]);

/**
 * Just above the largest threshold a request can meet, a page more: glibc's largest (32 MiB), or
 * the fixed one. (With a fixed threshold of 128 KiB or less nothing is enlarged.)
 */
const MAPPED_MIN = (fixedThreshold !== undefined && fixedThreshold < 32 << 20 ? fixedThreshold : 32 << 20) + 4096;

const enlarge = process.platform === "linux" && MAPPED_MIN > MAPPED_FROM + 4096;

/**
 * A buffer of at least `bytes` bytes (all zero), whose memory is freed back to the system with it
 * (see above). Its `byteLength` may be larger: view only the part asked for.
 */
export function mappedBuffer(bytes: number, shared: true): SharedArrayBuffer;
export function mappedBuffer(bytes: number, shared?: false): ArrayBuffer;
export function mappedBuffer(bytes: number, shared = false): ArrayBuffer | SharedArrayBuffer {
  if (enlarge && bytes >= MAPPED_FROM && bytes < MAPPED_MIN) {
    try {
      return shared ? new SharedArrayBuffer(MAPPED_MIN) : new ArrayBuffer(MAPPED_MIN);
    } catch {
      // No room for the larger reservation (a limit on address space): the exact size below.
    }
  }
  return shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
}

/** A zeroed `Uint8Array` of `length` over a {@link mappedBuffer}: for big temporary arrays. */
export function mappedU8(length: number): Uint8Array {
  return new Uint8Array(mappedBuffer(length), 0, length);
}

/** A zeroed `Uint32Array` of `length` over a {@link mappedBuffer}: for big temporary arrays. */
export function mappedU32(length: number): Uint32Array {
  return new Uint32Array(mappedBuffer(length * 4), 0, length);
}
