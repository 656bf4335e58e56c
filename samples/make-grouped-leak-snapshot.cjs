// Writes samples/grouped-leak.heapsnapshot.gz: one class, OrderService, leaked by three causes at
// once, as a test suite or a server typically leaks:
//
//   node samples/make-grouped-leak-snapshot.cjs [out.heapsnapshot.gz]
//
//   - 120 services stay subscribed to a long-lived EventEmitter (a listener closure captures them);
//   -  50 services poll with setInterval and are never stopped (the timer's closure captures them);
//   -  31 services are kept in a module-level Map registry and never removed.
//
// Each service is held by exactly one cause, so `backrefs --type OrderService` on the snapshot
// groups the 201 objects into exactly three retaining patterns: 120, 50 and 31.
"use strict";
const { EventEmitter } = require("node:events");
const { writeHeapSnapshot } = require("node:v8");
const { gzipSync } = require("node:zlib");
const { readFileSync, writeFileSync, unlinkSync } = require("node:fs");
const { join } = require("node:path");

class OrderService {
  constructor(id) {
    this.id = id;
    this.orders = Array.from({ length: 8 }, (_, i) => ({ orderId: id * 100 + i, total: i * 9.5 }));
  }
  refresh() {
    return this.orders.length;
  }
}

const orderEvents = new EventEmitter(); // lives as long as the process
orderEvents.setMaxListeners(0);
const registry = new Map(); // module-level: never cleared

function subscribe(service) {
  orderEvents.on("order", function onOrder() { // cause 1: never unsubscribed
    return service.refresh();
  });
}
function startPolling(service) {
  const timer = setInterval(function poll() { // cause 2: never cleared
    service.refresh();
  }, 60_000);
  timer.unref(); // so that this script can exit
}
function register(service) {
  registry.set(`order-service-${service.id}`, service); // cause 3: never removed
}

let next = 0;
for (let i = 0; i < 120; i++) subscribe(new OrderService(next++));
for (let i = 0; i < 50; i++) startPolling(new OrderService(next++));
for (let i = 0; i < 31; i++) register(new OrderService(next++));
globalThis.app = { orderEvents, registry };

const out = process.argv[2] ?? join(__dirname, "grouped-leak.heapsnapshot.gz");
const raw = out.replace(/\.gz$/, "") + `.${process.pid}.tmp`;
writeHeapSnapshot(raw);
writeFileSync(out, gzipSync(readFileSync(raw), { level: 9 }));
unlinkSync(raw);
console.log(`wrote ${out}`);
