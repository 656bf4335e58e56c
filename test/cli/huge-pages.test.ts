/**
 * Huge pages for big snapshots: when the command starts itself again with glibc's huge-page
 * tunable (the decision, on made-up facts), and what the started-again command does as a process
 * (the real binary over `dist/`, forced with BACKREFS_HUGE_PAGES=1): the same answer and exit
 * code, the tunable in the child's environment, signals passed on.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { entryPathIn } from "../../src/cache/entry-name.js";
import { latePartPath } from "../../src/cache/entry.js";
import {
  HUGE_PAGES_MIN_BYTES,
  LIGHT_SECOND_LOOK_MAX_BYTES,
  hugePagesEnv,
  processFacts,
  type HugePagesFacts,
} from "../../src/cli/huge-pages.js";
import { BIN } from "../helpers/cli.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

const BIG = "big.heapsnapshot";
const BIG2 = "big2.heapsnapshot";
/** The environment added for the child that reads a snapshot, when nothing of it was set before. */
const HUGE = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1", MALLOC_MMAP_THRESHOLD_: "131072", MALLOC_TRIM_THRESHOLD_: "67108864" };
/** The same for a second look (every big file has a cache entry). */
const HUGE_2ND = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1" };

/**
 * Facts of a Linux machine with glibc 2.36 and `[madvise]` huge pages, where `big*.heapsnapshot`
 * are big and no file has a cache entry; `over` changes some. What is asked is listed in `asked`.
 */
function facts(over: Partial<HugePagesFacts> = {}, asked: string[] = []): HugePagesFacts {
  return {
    env: {},
    platform: "linux",
    execArgv: [],
    fileSize(path) {
      asked.push(`size ${path}`);
      if (path.startsWith("big")) return HUGE_PAGES_MIN_BYTES;
      return path === "small.heapsnapshot" || path === "x.svg" ? HUGE_PAGES_MIN_BYTES - 1 : undefined;
    },
    thpSetting() {
      asked.push("thp");
      return "always [madvise] never\n";
    },
    glibcVersion() {
      asked.push("glibc");
      return "2.36";
    },
    hasCacheEntry(path) {
      asked.push(`entry ${path}`);
      return Promise.resolve(false);
    },
    hasCachePart(path, part) {
      asked.push(`part ${part} ${path}`);
      return Promise.resolve(false);
    },
    ...over,
  };
}

/** {@link facts} where the files in `entries` have a cache entry. */
function withEntries(entries: string[], over: Partial<HugePagesFacts> = {}, asked: string[] = []): HugePagesFacts {
  return facts({ hasCacheEntry: (path) => (asked.push(`entry ${path}`), Promise.resolve(entries.includes(path))), ...over }, asked);
}

describe("when the command starts again with huge pages", () => {
  it("does for a snapshot file of the threshold's size or more, named anywhere among the arguments", async () => {
    expect(await hugePagesEnv(["info", BIG], facts())).toEqual(HUGE);
    expect(await hugePagesEnv([BIG, "--type", "Foo", "-o", "x.svg"], facts())).toEqual(HUGE);
    expect(await hugePagesEnv(["diff", "small.heapsnapshot", BIG], facts())).toEqual(HUGE);
  });

  it("does not for smaller files, missing files, standard input or options", async () => {
    expect(await hugePagesEnv(["info", "small.heapsnapshot"], facts())).toBeNull();
    expect(await hugePagesEnv(["info", "missing.heapsnapshot"], facts())).toBeNull();
    const asked: string[] = [];
    // An argument that starts with "-" (an option, or `-` for standard input) is never looked up.
    expect(await hugePagesEnv(["info", "-", "--json"], facts({}, asked))).toBeNull();
    expect(asked).toEqual(["size info"]);
  });

  it("looks at the kernel, the C library and the cache only once a big file is named", async () => {
    const asked: string[] = [];
    await hugePagesEnv(["info", "small.heapsnapshot"], facts({}, asked));
    expect(asked).toEqual(["size info", "size small.heapsnapshot"]);
  });

  it("starts no second process for info's second look (with retained sizes) at a snapshot under 512 MB whose entry keeps the per-class totals", async () => {
    const asked: string[] = [];
    const summary = (sizes: Record<string, number> = {}) =>
      withEntries([BIG], {
        hasCachePart: (path, part) => (asked.push(`part ${part} ${path}`), Promise.resolve(part === "summary" && path === BIG)),
        fileSize: (path) => sizes[path] ?? (path.startsWith("big") ? HUGE_PAGES_MIN_BYTES : undefined),
      });
    expect(await hugePagesEnv(["info", BIG, "--json", "-q"], summary())).toBeNull();
    expect(asked).toContain(`part summary ${BIG}`);
    expect(await hugePagesEnv(["info", BIG], summary({ [BIG]: LIGHT_SECOND_LOOK_MAX_BYTES - 1 }))).toBeNull();
    // A bigger snapshot (its class index alone is tens of megabytes), counts from the nodes' columns,
    // another command, or no totals kept: huge pages, as for any second look.
    expect(await hugePagesEnv(["info", BIG], summary({ [BIG]: LIGHT_SECOND_LOOK_MAX_BYTES }))).toEqual(HUGE_2ND);
    expect(await hugePagesEnv(["info", BIG, "--no-retained"], summary())).toEqual(HUGE_2ND);
    expect(await hugePagesEnv(["types", BIG], summary())).toEqual(HUGE_2ND);
    expect(await hugePagesEnv([BIG, "--type", "Foo", "-o", "x.svg"], summary())).toEqual(HUGE_2ND);
    expect(await hugePagesEnv(["info", BIG], withEntries([BIG]))).toEqual(HUGE_2ND);
    // A first look, or BACKREFS_HUGE_PAGES=1: as before.
    expect(await hugePagesEnv(["info", BIG], facts())).toEqual(HUGE);
    expect(await hugePagesEnv(["info", BIG], { ...summary(), env: { BACKREFS_HUGE_PAGES: "1" } })).toEqual(HUGE_2ND);
  });

  it("keeps glibc's moving threshold for a second look: every big file named has a cache entry (a small one or an output need not)", async () => {
    const asked: string[] = [];
    expect(await hugePagesEnv([BIG, "--type", "Foo", "-o", "x.svg"], withEntries([BIG], {}, asked))).toEqual(HUGE_2ND);
    expect(asked.filter((a) => a.startsWith("entry"))).toEqual([`entry ${BIG}`]);
    expect(await hugePagesEnv(["diff", "small.heapsnapshot", BIG], withEntries([BIG]))).toEqual(HUGE_2ND);
    expect(await hugePagesEnv(["diff", BIG, BIG2], withEntries([BIG, BIG2]))).toEqual(HUGE_2ND);
    // One big file to read: the command reads it, with the fixed threshold.
    expect(await hugePagesEnv(["diff", BIG, BIG2], withEntries([BIG]))).toEqual(HUGE);
    expect(await hugePagesEnv(["info", BIG], withEntries([]))).toEqual(HUGE);
  });

  it("leaves tunables already set alone: the user's own, or those of the process started again", async () => {
    for (const tunables of ["glibc.malloc.arena_max=2", "glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=1"]) {
      expect(await hugePagesEnv([BIG], facts({ env: { GLIBC_TUNABLES: tunables } }))).toBeNull();
      expect(await hugePagesEnv([BIG], facts({ env: { GLIBC_TUNABLES: tunables, BACKREFS_HUGE_PAGES: "1" } }))).toBeNull();
    }
    expect(await hugePagesEnv([BIG], facts({ env: { GLIBC_TUNABLES: "" } }))).toEqual(HUGE);
    // Thresholds of the user's own are kept.
    const own = { MALLOC_MMAP_THRESHOLD_: "65536", MALLOC_TRIM_THRESHOLD_: "1048576" };
    expect(await hugePagesEnv([BIG], facts({ env: own }))).toEqual({ ...HUGE, ...own });
  });

  it("needs the kernel to give huge pages on request, and a glibc that has the tunable", async () => {
    for (const thp of ["[always] madvise never", "always madvise [never]", undefined])
      expect(await hugePagesEnv([BIG], facts({ thpSetting: () => thp }))).toBeNull();
    for (const glibc of ["2.34", "1.99", undefined]) expect(await hugePagesEnv([BIG], facts({ glibcVersion: () => glibc }))).toBeNull();
    for (const glibc of ["2.35", "3.0"]) expect(await hugePagesEnv([BIG], facts({ glibcVersion: () => glibc }))).toEqual(HUGE);
    expect(await hugePagesEnv([BIG], facts({ platform: "darwin" }))).toBeNull();
  });

  it("is turned off by BACKREFS_HUGE_PAGES=0 and forced by =1, for any file, on Linux", async () => {
    expect(await hugePagesEnv([BIG], facts({ env: { BACKREFS_HUGE_PAGES: "0" } }))).toBeNull();
    const asked: string[] = [];
    const forced = facts({ env: { BACKREFS_HUGE_PAGES: "1" }, thpSetting: () => undefined, glibcVersion: () => undefined }, asked);
    expect(await hugePagesEnv(["info", "-"], forced)).toEqual(HUGE);
    expect(await hugePagesEnv(["info", "small.heapsnapshot"], forced)).toEqual(HUGE);
    expect(asked).toEqual(["size info", "size info", "size small.heapsnapshot"]);
    expect(await hugePagesEnv([BIG], facts({ env: { BACKREFS_HUGE_PAGES: "1" }, platform: "win32" }))).toBeNull();
  });

  it("is not done under a debugger, a profiler or a watcher, which a second process would confuse", async () => {
    expect(await hugePagesEnv([BIG], facts({ execArgv: ["--inspect-brk"] }))).toBeNull();
    expect(await hugePagesEnv([BIG], facts({ execArgv: ["--cpu-prof"] }))).toBeNull();
    expect(await hugePagesEnv([BIG], facts({ env: { NODE_OPTIONS: "--inspect=9230" } }))).toBeNull();
    // Heap size options are passed on to the child, and do not stop it.
    expect(await hugePagesEnv([BIG], facts({ execArgv: ["--max-old-space-size=8000"] }))).toEqual(HUGE);
  });
});

const dir = tempDir("backrefs-hugepages-");
const SNAP = join(dir, "app.heapsnapshot");
{
  const b = new SnapshotBuilder();
  const holder = b.node("object", "Holder");
  b.edge(b.gcRoots, holder, "element", 0);
  for (let i = 0; i < 3; i++) b.edge(holder, b.node("object", "Target", { selfSize: 40 + i }), "element", i);
  writeFileSync(SNAP, b.serialize());
}

describe("the facts of this process", () => {
  it("find a file's cache entry where the cache looks for it, unless the cache is off", async () => {
    const cache = tempDir("backrefs-hugepages-cache-");
    const saved = { dir: process.env["BACKREFS_CACHE_DIR"], on: process.env["BACKREFS_CACHE"] };
    process.env["BACKREFS_CACHE_DIR"] = cache;
    delete process.env["BACKREFS_CACHE"];
    try {
      expect(await processFacts(["info", SNAP]).hasCacheEntry(SNAP)).toBe(false);
      writeFileSync(entryPathIn(cache, realpathSync(SNAP)), "an entry");
      expect(await processFacts(["info", SNAP]).hasCacheEntry(SNAP)).toBe(true);
      expect(await processFacts(["info", SNAP]).hasCachePart(SNAP, "summary")).toBe(false);
      // The part's file as the cache names it (a real entry's late part: test/cache/class-summary.test.ts).
      writeFileSync(latePartPath(entryPathIn(cache, realpathSync(SNAP)), "summary"), "a part");
      expect(await processFacts(["info", SNAP]).hasCachePart(SNAP, "summary")).toBe(true);
      expect(await processFacts(["info", SNAP]).hasCachePart(SNAP, "ids")).toBe(false);
      expect(await processFacts(["info", SNAP, "--no-cache"]).hasCacheEntry(SNAP)).toBe(false);
      expect(await processFacts(["info", SNAP, "--no-cache"]).hasCachePart(SNAP, "summary")).toBe(false);
      process.env["BACKREFS_CACHE"] = "0";
      expect(await processFacts(["info", SNAP]).hasCacheEntry(SNAP)).toBe(false);
    } finally {
      for (const [k, v] of [
        ["BACKREFS_CACHE_DIR", saved.dir],
        ["BACKREFS_CACHE", saved.on],
      ] as const)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
    expect(processFacts([]).fileSize(SNAP)).toBe(readFileSync(SNAP).length);
    expect(processFacts([]).fileSize(dir)).toBeUndefined();
  });
});

function run(args: string[], hugePages: "0" | "1") {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, BACKREFS_CACHE: "0", BACKREFS_HUGE_PAGES: hugePages, GLIBC_TUNABLES: "", NO_COLOR: "1" },
  });
}

describe.runIf(process.platform === "linux")("the command started again with huge pages", () => {
  it("gives the same answer, the same files and the same exit codes", () => {
    for (const args of [
      ["info", SNAP, "--json"],
      ["types", SNAP],
      [SNAP, "--type", "Target", "-f", "dot"],
      ["info", "missing.heapsnapshot"],
      ["infoo", SNAP],
    ]) {
      const [plain, huge] = [run(args, "0"), run(args, "1")];
      expect(huge.status).toBe(plain.status);
      expect(huge.stdout.toString()).toBe(plain.stdout.toString());
      expect(huge.stderr.toString()).toBe(plain.stderr.toString());
    }
    expect(run(["info", "missing.heapsnapshot"], "1").status).toBe(1);
    expect(run(["infoo", SNAP], "1").status).toBe(2);
    for (const [hugePages, out] of [
      ["0", "plain.svg"],
      ["1", "huge.svg"],
    ] as const)
      expect(run([SNAP, "--type", "Target", "-o", out], hugePages).status).toBe(0);
    expect(readFileSync(join(dir, "huge.svg")).equals(readFileSync(join(dir, "plain.svg")))).toBe(true);
  });

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`runs with the tunable in a child, which a ${signal} to the command reaches`, async () => {
      const out = tempDir("backrefs-hugepages-sig-");
      // Waiting for a snapshot on standard input that never ends: the child is there to look at.
      const parent = spawn(process.execPath, [BIN, "-", "--type", "Target", "-o", join(out, "out.svg")], {
        cwd: out,
        stdio: ["pipe", "ignore", "pipe"],
        env: { ...process.env, BACKREFS_CACHE: "0", BACKREFS_HUGE_PAGES: "1", GLIBC_TUNABLES: "" },
      });
      parent.stdin.write(readFileSync(SNAP, "utf8").slice(0, 200));
      const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        parent.on("exit", (code, sig) => done({ code, signal: sig })),
      );
      // Right after it is forked the child still has the parent's environment: look until it has
      // started Node with its own.
      let child: number | undefined;
      let environ: string[] = [];
      for (let tries = 0; !environ.some((v) => v.includes("hugetlb")) && tries < 200; tries++) {
        await new Promise((r) => setTimeout(r, 25));
        child = childOf(parent.pid!);
        environ = child === undefined ? [] : environOf(child);
      }
      expect(child).toBeDefined();
      expect(environ).toContain("GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
      expect(environ).toContain("MALLOC_MMAP_THRESHOLD_=131072");
      expect(environ).toContain("MALLOC_TRIM_THRESHOLD_=67108864");
      // The child is the command: it holds standard input, the parent only waits.
      await new Promise((r) => setTimeout(r, 300));
      parent.kill(signal);
      const r = await ended;
      expect(r.signal === signal || r.code === 130).toBe(true);
      expect(existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, "latin1").includes(") Z ")).toBe(false);
      expect(readdirSync(out)).toEqual([]);
    });
  }
});

/** The environment a process started with, or none when it ended meanwhile. */
function environOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").split("\0");
  } catch {
    return [];
  }
}

/** The pid of a process whose parent is `pid`, from /proc. */
function childOf(pid: number): number | undefined {
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) return Number(name);
    } catch {
      // The process ended meanwhile.
    }
  }
  return undefined;
}
