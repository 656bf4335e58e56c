// When a worker thread started while libuv's thread pool is busy can begin working: the pool's four
// threads are given four long writes (a new cache entry's background writes are such), then a
// checksum thread (dist/cache/checksums.js) is started and given one section to sum; the time until
// its sums come back is printed. Node reads a worker's modules through that pool, behind the writes.
//
//   node bench/worker-start-pool.mjs idle     # no writes queued
//   node bench/worker-start-pool.mjs busy     # four writes of 200 MB queued first
import { openSync, closeSync, unlinkSync, write } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BackgroundChecksums } from "../dist/cache/checksums.js";

const file = join(tmpdir(), `worker-start-pool-${process.pid}.bin`);
const fd = openSync(file, "w");
const big = new Uint8Array(200 << 20);
for (let i = 0; i < big.length; i += 4096) big[i] = 1;
const t0 = performance.now();
const ms = () => (performance.now() - t0).toFixed(0);
const writes = [];
if (process.argv[2] === "busy") {
  for (let k = 0; k < 4; k++) {
    writes.push(
      new Promise((resolve) => write(fd, big, 0, big.length, k * big.length, () => resolve(console.log(`write ${k} done at ${ms()} ms`)))),
    );
  }
}
const sums = new BackgroundChecksums();
await sums.sum(new Uint8Array(new SharedArrayBuffer(1 << 20)));
console.log(`first sums back at ${ms()} ms (on the thread: ${sums.summedThere === 1})`);
await Promise.all(writes);
await sums.close();
closeSync(fd);
unlinkSync(file);
