// Reproduces a classic Node.js leak and writes its heap snapshot to samples/leak.heapsnapshot.gz.
//
//   node samples/make-leak-snapshot.cjs
//
// A tiny "server" handles 200 requests. Each handler subscribes a closure to a long-lived event
// bus (and never unsubscribes), and a module-level cache keeps every request "for later".
// Both keep every LeakyRequest alive: exactly what `backrefs --type LeakyRequest` should show.
"use strict";
const { EventEmitter } = require("node:events");
const { writeHeapSnapshot } = require("node:v8");
const { gzipSync } = require("node:zlib");
const { readFileSync, writeFileSync, unlinkSync } = require("node:fs");
const { join } = require("node:path");

class LeakyRequest {
  constructor(id, url) {
    this.id = id;
    this.url = url;
    this.headers = { "user-agent": "sample/1.0", "x-request-id": `req-${id}` };
    this.body = Buffer.alloc(256, id % 256); // a payload, so retained sizes show
    this.startedAt = 1_700_000_000_000 + id;
  }
}

const configBus = new EventEmitter(); // lives as long as the process
configBus.setMaxListeners(0);
const requestCache = new Map(); // module-level: never cleared

function handleRequest(id) {
  const req = new LeakyRequest(id, `/api/items/${id}`);
  requestCache.set(req.url, req); // leak 1: the cache keeps every request
  configBus.on("reload", function onConfigReload() { // leak 2: the listener's closure captures req
    return req.url;
  });
  return req.id;
}

for (let i = 0; i < 200; i++) handleRequest(i);
globalThis.server = { configBus, requestCache };

const raw = join(__dirname, "leak.heapsnapshot");
writeHeapSnapshot(raw);
writeFileSync(`${raw}.gz`, gzipSync(readFileSync(raw), { level: 9 }));
unlinkSync(raw);
console.log(`wrote ${raw}.gz`);
