import { describe, expect, it } from "vitest";
import { HeapAnalysis } from "../../src/graph/analysis.js";
import { findLeftovers, maxObjectId, reachPath } from "../../src/query/leftovers.js";
import { closureScript } from "../../src/query/modules.js";
import { functionIn, SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { graphOf } from "../helpers/load.js";
import { scriptClass } from "../helpers/timers.js";
import { withGlobal } from "../helpers/subgraphs.js";
import { findLeaks } from "../../src/query/growth.js";
import { addLeakScripts } from "../../src/query/leak-scripts.js";
import { programFirst } from "../../src/query/generic-classes.js";
import { IdSet } from "../../src/graph/id-set.js";

const RUNNER = "/app/node_modules/vitest/dist/chunk.js";
const isRunner = (s: string): boolean => s.includes("/node_modules/vitest/");

/** A function of `script`: closure → shared (code) → script_or_debug_info (code named by the path). */
function fn(b: SnapshotBuilder, name: string, script: string): { closure: number; context: number } {
  const closure = functionIn(b, name, script, { selfSize: 32 });
  const context = b.node("object", "system / Context", { selfSize: 24 });
  b.edge(closure, context, "internal", "context");
  return { closure, context };
}

/** A heap with the global object and the `(Global handles)` root category, where Node keeps its own state. */
function withHandles(): { b: SnapshotBuilder; global: number; handles: number } {
  const { b, global } = withGlobal();
  const handles = b.node("synthetic", "(Global handles)");
  b.edge(b.gcRoots, handles, "element", 1);
  return { b, global, handles };
}

/**
 * A heap like a vitest worker's after a test file: old objects (before `since`), then what the
 * file and the runner made. Each new object says by its class whether it must be reported.
 */
function heap() {
  const b = new SnapshotBuilder();
  const global = b.node("object", "global", { selfSize: 100 });
  b.edge(b.root, global, "shortcut", "global");
  const handles = b.node("synthetic", "(Global handles)");
  const stack = b.node("synthetic", "(Stack roots)");
  b.edge(b.gcRoots, handles, "element", 1).edge(b.gcRoots, stack, "element", 2);
  const cache = b.node("object", "Map", { selfSize: 40 });
  b.edge(global, cache, "property", "cache");
  const worker = b.node("object", "Object");
  const task = b.node("object", "Object");
  const modules = b.node("object", "VitestEvaluatedModules");
  b.edge(global, worker, "property", "__vitest_worker__")
    .edge(worker, task, "property", "current")
    .edge(worker, modules, "property", "evaluatedModules");
  const runner = fn(b, "run", RUNNER);
  const user = fn(b, "load", "/app/src/users.ts");
  b.edge(global, runner.closure, "property", "runnerFn").edge(modules, user.closure, "property", "load");
  const testFn = fn(b, "test", "/app/test/a.test.ts"); // a test function, held by vitest's task
  b.edge(task, testFn.closure, "property", "fn");
  const timerList = b.node("object", "TimersList");
  b.edge(global, timerList, "property", "timers");
  const weakRef = b.node("object", "WeakRef");
  b.edge(global, weakRef, "property", "ref");
  const old = b.node("object", "OldThing");
  b.edge(cache, old, "internal", "table");
  const since = b.nodes[b.nodes.length - 1]!.id;

  // New since the file started:
  const foo1 = b.node("object", "Foo", { selfSize: 32 });
  const foo2 = b.node("object", "Foo", { selfSize: 32 });
  const name1 = b.node("string", "a name", { selfSize: 10 });
  b.edge(cache, foo1, "element", 1).edge(cache, foo2, "element", 2).edge(foo1, name1, "property", "name");
  b.edge(task, b.node("object", "PerTestBookkeeping"), "property", "result"); // vitest's state
  b.edge(user.context, b.node("object", "ModuleState"), "context", "state"); // a user module's variable
  b.edge(runner.context, b.node("object", "RunnerVariable"), "context", "x"); // the runner's variable
  b.edge(testFn.context, b.node("object", "KeptByTestFile"), "context", "kept"); // the test file's module scope
  b.edge(stack, b.node("object", "OnTheStack"), "element", 1); // in flight
  const runnerTimer = b.node("object", "Timeout");
  b.edge(timerList, runnerTimer, "property", "_idleNext").edge(runnerTimer, runner.closure, "property", "_onTimeout");
  const userTimer = b.node("object", "Timeout");
  const poll = fn(b, "poll", "/app/src/poller.ts");
  b.edge(runnerTimer, userTimer, "property", "_idleNext").edge(userTimer, poll.closure, "property", "_onTimeout");
  b.edge(poll.context, b.node("object", "Poller", { selfSize: 48 }), "context", "this");
  b.edge(weakRef, b.node("object", "OnlyWeak"), "weak", "target");
  b.edge(cache, b.node("array", "", { selfSize: 0 }), "internal", "backing"); // size 0: counted in its owner
  b.edge(global, b.node("object", "Hidden"), "property", "__vitest_index__");
  const g = graphOf(b);
  return { g, since, foo1, foo2, testFn };
}

describe("findLeftovers", () => {
  it("reports the new objects the program's state holds, not the runner's, the stack's or weak ones", () => {
    const { g, since } = heap();
    const a = new HeapAnalysis(g);
    const left = findLeftovers(g, a, {
      sinceId: since,
      ignoreGlobals: ["__vitest_worker__.evaluatedModules", "__vitest*"],
      runnerCode: isRunner,
    });
    const byClass = Object.fromEntries(left.classes.map((c) => [c.className, c.count]));
    expect(byClass).toEqual({
      Foo: 2,
      "(string)": 1,
      ModuleState: 1,
      Timeout: 1, // the user's timer, not the runner's
      Function: 1, // its callback (poll)
      "system / Context": 1,
      Poller: 1,
      KeptByTestFile: 1,
    });
    expect(left.objects).toBe(9);
    const foo = left.classes.find((c) => c.className === "Foo")!;
    expect(foo.selfSize).toBe(64);
    expect(foo.retainedSize).toBe(74); // both, and the string one holds alone
    // Largest retained first: the user's timer holds its callback, context and poller.
    expect(left.classes[0]!.className).toBe("Timeout");
    const sizes = left.classes.map((c) => c.retainedSize);
    expect(sizes).toEqual([...sizes].sort((x, y) => y - x));
  });

  it("without the runner's rules, its objects are reported too (each rule matters)", () => {
    const { g, since } = heap();
    const a = new HeapAnalysis(g);
    const left = findLeftovers(g, a, { sinceId: since });
    const names = left.classes.map((c) => c.className);
    expect(names).toContain("PerTestBookkeeping");
    expect(names).toContain("RunnerVariable");
    expect(names).toContain("Hidden");
    expect(names).not.toContain("OnTheStack"); // the stack is never a lasting root
    expect(names).not.toContain("OnlyWeak");
    expect(names).not.toContain("TimersList"); // a container of timers: its contents speak
    expect(names).not.toContain("OldThing");
  });

  it("the path to each leftover avoids the runner's state", () => {
    const { g, since, foo1 } = heap();
    const left = findLeftovers(g, new HeapAnalysis(g), { sinceId: since, ignoreGlobals: ["__vitest*"], runnerCode: isRunner });
    const hops = reachPath(g, left.reach, foo1).map((h) => `${g.nodeName(h.from)}.${g.edgeName(h.edge)}`);
    expect(hops).toEqual([".global", "global.cache", "Map.1"]);
    // Through the runner's state to a program function, then its variables.
    const kept = g.findById(left.classes.find((c) => c.className === "KeptByTestFile")!.exampleIds[0]!);
    const path = reachPath(g, left.reach, kept).map((h) => `${g.nodeName(h.from)}.${g.edgeName(h.edge)}`);
    expect(path).toEqual([".global", "global.__vitest_worker__", "Object.current", "Object.fn", "test.context", "system / Context.kept"]);
  });

  it("node:test's module-level state, reached through Node's table of built-in modules, is the runner's (Node 22)", () => {
    // Node 22's node:test keeps its reporters on an exported object of a runner module
    // (`reporterScope.reporters`), whose streams buffer the runner's events. Node's `require` of
    // built-in modules (a function of Node's own, reached from a global handle) holds a table of
    // every built-in module's record, and each record holds its module's exports.
    const { b, handles } = withHandles();
    const requireBuiltin = fn(b, "requireBuiltin", "node:internal/bootstrap/realm");
    const table = b.node("object", "Map");
    b.edge(handles, requireBuiltin.closure, "element", 1).edge(requireBuiltin.context, table, "context", "map");
    const builtinModule = scriptClass(b, "BuiltinModule", "node:internal/bootstrap/realm");
    const appModule = scriptClass(b, "BuiltinModule", "/app/src/modules.js"); // the program's own class of that name
    let slot = 0;
    const record = (make: typeof builtinModule, id: string): number => {
      const exports = b.node("object", "Object");
      const rec = make({ properties: { id: b.node("string", id), exports } });
      b.edge(table, rec, "element", slot++);
      return exports;
    };
    const utils = record(builtinModule, "internal/test_runner/utils");
    const scope = b.node("object", "AsyncResource");
    const reporters = b.node("object", "Array");
    b.edge(utils, scope, "property", "reporterScope").edge(scope, reporters, "property", "reporters");
    const events = record(builtinModule, "events");
    const mine = record(appModule, "internal/test_runner/utils");
    const since = b.nodes[b.nodes.length - 1]!.id;
    b.edge(reporters, b.node("object", "{type, data}", { selfSize: 40 }), "element", 0); // the runner's event
    b.edge(events, b.node("object", "Listener", { selfSize: 40 }), "property", "listener"); // held by Node's events module
    b.edge(mine, b.node("object", "Kept", { selfSize: 40 }), "property", "kept"); // held by the program's module
    const g = graphOf(b);
    const isTestRunner = (s: string): boolean => s.startsWith("node:internal/test_runner/");
    const left = findLeftovers(g, new HeapAnalysis(g), { sinceId: since, runnerCode: isTestRunner });
    expect(left.classes.map((c) => c.className).sort()).toEqual(["Kept", "Listener"]);
    // Without the runner's rules, its event is the program's.
    const all = findLeftovers(g, new HeapAnalysis(g), { sinceId: since });
    expect(all.classes.map((c) => c.className).sort()).toEqual(["Kept", "Listener", "{type, data}"]);
  });

  it("a class whose objects come from constructors of two scripts names both, and ranks as the program's, as leaks does", () => {
    // Same-named Session classes of Node's and of the program (no locations: one class by name),
    // Node's the largest; larger Widgets of Node's.
    const build = (withLeftovers: boolean) => {
      const { b, global } = withGlobal();
      const nodeSession = scriptClass(b, "Session", "node:internal/session");
      const appSession = scriptClass(b, "Session", "/srv/app/src/session.js");
      const widget = scriptClass(b, "Widget", "node:internal/widget");
      const keep = b.node("object", "Array");
      b.edge(global, keep, "property", "keep");
      const since = b.nodes[b.nodes.length - 1]!.id;
      if (withLeftovers) {
        let i = 0;
        b.edge(keep, nodeSession({ selfSize: 400 }), "element", i++);
        for (let k = 0; k < 20; k++) b.edge(keep, appSession({ selfSize: 40 }), "element", i++);
        for (let k = 0; k < 5; k++) b.edge(keep, widget({ selfSize: 4000 }), "element", i++);
      }
      return { g: graphOf(b), since };
    };
    const { g, since } = build(true);
    const left = findLeftovers(g, new HeapAnalysis(g), { sinceId: since });
    const session = left.classes.find((c) => c.className === "Session")!;
    expect(session.count).toBe(21);
    expect(session.script).toBeUndefined();
    expect(session.scripts).toEqual(["/srv/app/src/session.js", "node:internal/session"]);
    expect(left.classes.find((c) => c.className === "Widget")).toMatchObject({ script: "node:internal/widget" });
    expect(left.classes[0]!.className).toBe("Widget"); // by retained size
    expect(programFirst(left.classes)[0]!.className).toBe("Session");
    // The same heap's leaks (three snapshots, the leftovers made after the first) say the same.
    const [s1, s2, s3] = [build(false).g, build(true).g, build(true).g];
    const report = findLeaks(IdSet.fromGraph(s1), IdSet.fromGraph(s2), { graph: s3, analysis: new HeapAnalysis(s3) });
    const before = IdSet.fromGraph(s1);
    addLeakScripts(
      s3,
      report.groups,
      Array.from({ length: s3.nodeCount }, (_, n) => n).filter((n) => !before.has(s3.nodeId(n))),
    );
    const scriptsOf = (cs: ReadonlyArray<{ className: string; script?: string; scripts?: string[] }>) =>
      Object.fromEntries(
        cs.filter((c) => c.className === "Session" || c.className === "Widget").map((c) => [c.className, [c.script, c.scripts]]),
      );
    expect(scriptsOf(left.classes)).toEqual(scriptsOf(report.groups));
  });

  it("Node's loader's entries for the runner's modules and Node's own (records, cache entries, cache keys) are the runner's: modules expectNoLeaks imports as it first runs; Node's in-flight rejections, buffer pool and first-use templates are no one's", () => {
    const { b, global, handles } = withHandles();
    // Node's own maps (their constructors are Node's code), each with its hash table.
    const loader = b.node("object", "ModuleLoader");
    b.edge(handles, loader, "element", 1);
    const [loadCache, resolveCache, realpathCache] = [
      ["LoadCache", "node:internal/modules/esm/module_map", "loadCache"],
      ["ResolveCache", "node:internal/modules/esm/module_map", "#resolveCache"],
      ["SafeMap", "node:internal/per_context/primordials", "realpathCache"],
    ].map(([cls, script, name]) => {
      const map = scriptClass(b, cls!, script!)();
      const table = b.node("array", "");
      b.edge(loader, map, "property", name!).edge(map, table, "internal", "table");
      return table;
    });
    // Node's and the engine's own: the map of rejections not handled yet, the pool for small
    // buffers, the objects made from an API's templates on their first use.
    const internals = fn(b, "promiseRejectHandler", "node:internal/process/promises");
    b.edge(handles, internals.closure, "element", 20);
    const nativeContext = b.node("hidden", "system / NativeContext");
    const templates = b.node("array", "");
    b.edge(global, nativeContext, "internal", "native_context");
    b.edge(nativeContext, templates, "internal", "fast_template_instantiations_cache");
    // The program's own, shaped like Node's: a module variable named like Node's pool, a registry
    // of objects naming Node's modules by url, a list of strings, a plain Map keyed by paths.
    const pool = fn(b, "take", "/app/src/pool.mjs");
    b.edge(global, pool.closure, "property", "take");
    const registry = b.node("object", "Object");
    const names = b.node("array", "");
    const programMap = b.node("object", "Map");
    const programTable = b.node("array", "");
    b.edge(global, registry, "property", "registry").edge(global, names, "property", "names");
    b.edge(global, programMap, "property", "byPath").edge(programMap, programTable, "internal", "table");
    const since = b.nodes[b.nodes.length - 1]!.id;

    // New in the file. Node's, each replaced by a new one:
    b.edge(internals.context, b.node("object", "Map", { selfSize: 40 }), "context", "pendingUnhandledRejections");
    b.edge(internals.context, b.node("object", "ArrayBuffer", { selfSize: 40 }), "context", "allocPool");
    b.edge(templates, b.node("object", "Worker", { selfSize: 40 }), "internal", "7");
    // Imported during the file: a module of the runner's code and one of Node's.
    let slot = 0;
    for (const [url, path] of [
      ["file:///app/node_modules/vitest/dist/lazy.js", "/app/node_modules/vitest/dist/lazy.js"],
      ["node:stream/promises", "node:stream/promises"],
    ] as const) {
      const wrap = b.node("object", "ModuleWrap", { selfSize: 64 });
      b.edge(wrap, b.node("string", url), "property", "url").edge(wrap, b.node("object", "Generator", { selfSize: 40 }), "internal", "2");
      b.edge(handles, wrap, "element", 10 + slot);
      const job = b.node("object", "ModuleJob", { selfSize: 64 });
      b.edge(job, b.node("string", url), "property", "url").edge(job, wrap, "property", "module");
      const entry = b.node("object", "Object", { selfSize: 24 }); // the load cache's {javascript: job}
      b.edge(entry, job, "property", "javascript");
      b.edge(loadCache, b.node("string", url), "internal", `${slot}`).edge(loadCache, entry, "internal", `${slot + 1}`);
      const resolution = b.node("object", "Object", { selfSize: 24 }); // {format, url}
      b.edge(resolution, b.node("string", "module"), "property", "format").edge(resolution, b.node("string", url), "property", "url");
      const byParent = b.node("object", "Object", { selfSize: 24 });
      b.edge(byParent, resolution, "property", "./lazy.js::");
      b.edge(resolveCache, byParent, "internal", `${slot}`);
      b.edge(realpathCache, b.node("string", path), "internal", `${slot}`);
      slot += 2;
    }
    // The program's: each Leaky and each string below is a leak of the file.
    const kept = b.node("object", "Kept", { selfSize: 40 });
    b.edge(global, kept, "property", "kept").edge(kept, b.node("string", "/app/data/users.json"), "property", "file");
    const pooled = b.node("object", "Array", { selfSize: 16 });
    b.edge(pool.context, pooled, "context", "allocPool").edge(pooled, b.node("object", "Leaky", { selfSize: 8 }), "element", 0);
    const named = b.node("object", "Object", { selfSize: 16 });
    b.edge(registry, named, "property", "k1").edge(named, b.node("string", "node:http"), "property", "url");
    b.edge(named, b.node("object", "Leaky", { selfSize: 8 }), "property", "body");
    b.edge(names, b.node("string", "node:fs#1"), "element", 0);
    b.edge(programTable, b.node("string", "/app/node_modules/vitest/dist/cached.js"), "internal", "0");
    b.edge(programTable, b.node("object", "Leaky", { selfSize: 8 }), "internal", "1");

    const g = graphOf(b);
    const left = findLeftovers(g, new HeapAnalysis(g), { sinceId: since, runnerCode: isRunner });
    const count = (cls: string) => left.classes.find((c) => c.className === cls)?.count ?? 0;
    expect(count("Kept")).toBe(1);
    expect(count("Leaky")).toBe(3);
    expect(count("(string)")).toBe(4); // users.json, node:http, node:fs#1, cached.js: none in Node's maps
    for (const cls of ["ModuleWrap", "ModuleJob", "Generator", "Worker", "ArrayBuffer", "Map"]) expect(count(cls)).toBe(0);
    // Without the runner's rules, the loader's entries are the program's.
    const all = findLeftovers(g, new HeapAnalysis(g), { sinceId: since });
    expect(all.classes.map((c) => c.className)).toEqual(expect.arrayContaining(["ModuleWrap", "ModuleJob", "Generator", "Kept"]));
  });

  it("maxObjectId skips embedder and synthetic nodes, whose ids do not follow V8's counter", () => {
    const b = new SnapshotBuilder();
    const o = b.node("object", "O", { id: 41 });
    b.edge(b.gcRoots, o, "element", 1);
    const n = b.node("native", "Node / Thing", { id: 9_000_001 });
    b.edge(o, n, "internal", "native");
    expect(maxObjectId(graphOf(b))).toBe(41);
  });

  it("closureScript reads a function's script name", () => {
    const b = new SnapshotBuilder();
    const f = fn(b, "f", "/app/x.js");
    b.edge(b.gcRoots, f.closure, "element", 1);
    // V8 12 (Node 22) names the shared info's edge to its script `script`.
    const g22 = b.node("closure", "g22");
    const shared22 = b.node("code", "g22");
    b.edge(g22, shared22, "internal", "shared").edge(shared22, b.node("code", "/app/y.js"), "internal", "script");
    // A function with a property named `shared` (listed before V8's internal edge).
    const own = b.node("object", "Object");
    const h = b.node("closure", "h");
    b.edge(h, own, "property", "shared");
    const sharedH = b.node("code", "h");
    b.edge(h, sharedH, "internal", "shared").edge(sharedH, b.node("code", "/app/z.js"), "internal", "script_or_debug_info");
    b.edge(b.gcRoots, g22, "element", 2).edge(b.gcRoots, h, "element", 3);
    const g = graphOf(b);
    expect(closureScript(g, f.closure)).toBe("/app/x.js");
    expect(closureScript(g, g22)).toBe("/app/y.js");
    expect(closureScript(g, h)).toBe("/app/z.js");
  });
});
