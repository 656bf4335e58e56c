#!/usr/bin/env node
/**
 * In-process benchmark: a process whose JavaScript heap is about 100 MB (`--heap-mb`), then
 *
 *   1. `v8.writeHeapSnapshot()` alone (the floor every in-process tool pays: V8 building and
 *      writing the snapshot), and
 *   2. `showBackrefs(obj, { filename: "refs.png" })` from the call to the PNG on disk, split into
 *      snapshot generation, reading, analysis and drawing (its `onTiming` callback),
 *
 * alternated `--runs` times (default 3) in the same process, on the same heap. Prints a table and
 * the ratio of the whole call to `writeHeapSnapshot()` (target: at most 2×). Run from the repo root
 * after `npm run build`, one benchmark at a time on a shared machine:
 *
 *   node bench/live.mjs [--heap-mb 100] [--runs 3]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHeapSnapshot, getHeapStatistics } from "node:v8";
import { showBackrefs } from "../dist/index.js";

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const heapMb = opt("heap-mb", 100);
const runs = opt("runs", 3);

// A heap that looks like a server's: records with strings and nested objects in maps and arrays,
// listeners holding closures, and one leaked object to draw.
class Customer {
  constructor(i) {
    this.id = i;
    this.name = `customer-${i}`;
    this.address = { street: `${i} Main St`, city: i % 2 ? "Springfield" : "Shelbyville", zip: 10000 + (i % 90000) };
    this.tags = [`t${i % 7}`, `t${i % 11}`];
  }
}
class Order {
  constructor(i, customer) {
    this.id = i;
    this.customer = customer;
    this.lines = [
      { sku: `sku-${i % 1000}`, qty: (i % 5) + 1 },
      { sku: `sku-${(i * 7) % 1000}`, qty: 1 },
    ];
    this.note = i % 10 === 0 ? "x".repeat(200) + i : null;
  }
}
class LeakyRequest {
  constructor(url) {
    this.url = url;
    this.startedAt = Date.now();
  }
}
const customers = new Map();
const orders = [];
const listeners = [];
globalThis.app = { customers, orders, listeners, requestCache: new Map() };
let i = 0;
while (getHeapStatistics().used_heap_size < heapMb * 1e6) {
  for (let k = 0; k < 10_000; k++, i++) {
    const c = new Customer(i);
    customers.set(c.name, c);
    orders.push(new Order(i, c));
    if (i % 50 === 0) listeners.push(() => c.id);
  }
}
const leaked = new LeakyRequest("/api/leak");
globalThis.app.requestCache.set(leaked.url, leaked);

const dir = mkdtempSync(join(tmpdir(), "backrefs-live-bench-"));
const heapUsed = getHeapStatistics().used_heap_size;
console.log(
  `heap: ${(heapUsed / 1e6).toFixed(0)} MB used, ${i.toLocaleString("en-US")} customers and orders; node ${process.version}; ${runs} runs`,
);

const rows = [];
let snapshotBytes = 0;
for (let r = 0; r < runs; r++) {
  let t = performance.now();
  const file = writeHeapSnapshot(join(dir, `w${r}.heapsnapshot`));
  const write = performance.now() - t;
  snapshotBytes = statSync(file).size;
  rmSync(file);

  const phases = { snapshot: 0, read: 0, analysis: 0, drawing: 0 };
  t = performance.now();
  await showBackrefs(leaked, {
    filename: join(dir, `refs${r}.png`),
    onTiming: (phase, ms) => {
      phases[phase] += ms;
    },
  });
  const total = performance.now() - t;
  rows.push({ write, total, ...phases, png: statSync(join(dir, `refs${r}.png`)).size });
}
rmSync(dir, { recursive: true, force: true });

const s = (ms) => (ms / 1000).toFixed(2).padStart(6);
console.log(`snapshot: ${(snapshotBytes / 1e6).toFixed(0)} MB of JSON\n`);
console.log("run  writeHeapSnapshot  showBackrefs→PNG  = snapshot + read + analysis + drawing   ratio");
for (const [k, r] of rows.entries()) {
  console.log(
    `${String(k + 1).padStart(3)}  ${s(r.write)} s          ${s(r.total)} s        ${s(r.snapshot)}  ${s(r.read)}  ${s(r.analysis)}  ${s(r.drawing)}       ${(r.total / r.write).toFixed(2)}×`,
  );
}
const best = (key) => Math.min(...rows.map((r) => r[key]));
console.log(
  `best ${s(best("write"))} s          ${s(best("total"))} s        ratio of bests ${(best("total") / best("write")).toFixed(2)}× (target ≤ 2×)`,
);
