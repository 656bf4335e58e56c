/**
 * Real snapshots written by `v8.writeHeapSnapshot()` in a child Node process, cached per test run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let dir: string | undefined;

/**
 * Runs `program` (JavaScript, CommonJS) in a fresh Node process, then writes its heap snapshot.
 * Returns the snapshot's path.
 */
export function writeRealSnapshot(name: string, program: string): string {
  dir ??= mkdtempSync(join(tmpdir(), "backrefs-test-"));
  const file = join(dir, `${name}.heapsnapshot`);
  const script = join(dir, `${name}.cjs`);
  writeFileSync(script, `${program}\nrequire("v8").writeHeapSnapshot(${JSON.stringify(file)});\n`);
  execFileSync(process.execPath, [script], { stdio: "inherit" });
  return file;
}

/** A small program with a classic leak: requests kept by a listener closure and a module cache. */
export const LEAK_PROGRAM = `
const { EventEmitter } = require("events");
class LeakyRequest { constructor(i) { this.url = "/api/item/" + i; this.body = "x".repeat(64) + i; this.headers = { "x-id": String(i) }; } }
const bus = new EventEmitter();
bus.setMaxListeners(0);
const cache = new Map();
for (let i = 0; i < 50; i++) {
  const req = new LeakyRequest(i);
  cache.set(req.url, req);
  bus.on("data", function onData() { return req.url; });
}
globalThis.app = { bus, cache, label: "quote \\" back\\\\slash \\u00e9 \\ud83d\\ude00 \\ud800 lone" };
`;
