/**
 * Real snapshots written by `v8.writeHeapSnapshot()` in a child Node process, in one temporary folder
 * per test file (removed after its tests: temp-dir.ts).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "./temp-dir.js";

let dir: string | undefined;

/**
 * Runs `program` (JavaScript, CommonJS) in a fresh Node process, then writes its heap snapshot.
 * Returns the snapshot's path.
 */
export function writeRealSnapshot(name: string, program: string): string {
  dir ??= tempDir("backrefs-test-");
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

/**
 * One process, three moments (MemLab's baseline / target / final):
 * - baseline: 10 Keep, 20 Drop
 * - target:   +25 Keep (kept for good), +40 Temp (released before final), 5 Drop released
 * - final:    Temp gone
 * Returns the three paths. With `resetAfterFirst`, the heap profiler is reset after the first
 * snapshot, so the first one's ids cannot be matched with the others'. With `arrays`, the target
 * also keeps 25 object literals, each with an array of 400 numbers, for good (generic classes that
 * leak more bytes than Keep).
 */
export function writeGrowthSnapshots(
  name: string,
  options: { resetAfterFirst?: boolean; arrays?: boolean; timers?: boolean } = {},
): [string, string, string] {
  dir ??= tempDir("backrefs-test-");
  const files = [1, 2, 3].map((i) => join(dir!, `${name}-${i}.heapsnapshot`)) as [string, string, string];
  const script = join(dir, `${name}.cjs`);
  // resetAfterFirst: the first snapshot is taken while an inspector session has the heap profiler
  // enabled, and the profiler is disabled right after it, which drops V8's id map: the next
  // snapshots number every object afresh, from where numbering started, so their ids collide
  // with the first snapshot's (docs/heap-ids.md).
  const reset = options.resetAfterFirst
    ? {
        before: `const session = new (require("inspector").Session)();\nsession.connect();\nsession.post("HeapProfiler.enable");\n`,
        after: `session.post("HeapProfiler.disable");\n`,
      }
    : { before: "", after: "" };
  writeFileSync(
    script,
    `const v8 = require("v8");
class Keep { constructor(i) { this.i = i; this.payload = "keep-" + i; } }
class Temp { constructor(i) { this.i = i; } }
class Drop { constructor(i) { this.i = i; } }
globalThis.kept = [];
globalThis.drops = [];
for (let i = 0; i < 10; i++) kept.push(new Keep(i));
for (let i = 0; i < 20; i++) drops.push(new Drop(i));
${reset.before}v8.writeHeapSnapshot(${JSON.stringify(files[0])});
${reset.after}for (let i = 10; i < 35; i++) kept.push(new Keep(i));
globalThis.temps = [];
for (let i = 0; i < 40; i++) temps.push(new Temp(i));
drops.splice(0, 5);
${options.arrays ? "globalThis.arrays = Array.from({ length: 25 }, (_, i) => ({ list: new Array(400).fill(i) }));\n" : ""}${
      // Intervals never cleared, each holding one of the program's objects: Node's Timeouts (larger)
      // and the script's Watchers leak together.
      options.timers
        ? "class Watcher { constructor(i) { this.i = i; } }\nfor (let i = 0; i < 12; i++) { const w = new Watcher(i); setInterval(() => w.i++, 60_000).unref(); }\n"
        : ""
    }v8.writeHeapSnapshot(${JSON.stringify(files[1])});
globalThis.temps = null;
v8.writeHeapSnapshot(${JSON.stringify(files[2])});
`,
  );
  execFileSync(process.execPath, [script], { stdio: "inherit" });
  return files;
}
