/**
 * Huge pages for big snapshots: when the command starts itself again with glibc's huge-page
 * tunable (the decision, on made-up facts), and what the started-again command does as a process
 * (the real binary over `dist/`, forced with BACKREFS_HUGE_PAGES=1): the same answer and exit
 * code, the tunable in the child's environment, signals passed on.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HUGE_PAGES_MIN_BYTES, hugePagesEnv, type HugePagesFacts } from "../../src/cli/huge-pages.js";
import { BIN } from "../helpers/cli.js";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

const BIG = "big.heapsnapshot";
/** The environment added for the child, when nothing of it was set before. */
const HUGE = { GLIBC_TUNABLES: "glibc.malloc.hugetlb=1", MALLOC_MMAP_THRESHOLD_: "131072" };

/** Facts of a Linux machine with glibc 2.36 and `[madvise]` huge pages, where only `big.heapsnapshot` is big; `over` changes some. */
function facts(over: Partial<HugePagesFacts> = {}, asked: string[] = []): HugePagesFacts {
  return {
    env: {},
    platform: "linux",
    execArgv: [],
    fileSize(path) {
      asked.push(`size ${path}`);
      return path === BIG ? HUGE_PAGES_MIN_BYTES : path === "small.heapsnapshot" ? HUGE_PAGES_MIN_BYTES - 1 : undefined;
    },
    thpSetting() {
      asked.push("thp");
      return "always [madvise] never\n";
    },
    glibcVersion() {
      asked.push("glibc");
      return "2.36";
    },
    ...over,
  };
}

describe("when the command starts again with huge pages", () => {
  it("does for a snapshot file of the threshold's size or more, named anywhere among the arguments", () => {
    expect(hugePagesEnv(["info", BIG], facts())).toEqual(HUGE);
    expect(hugePagesEnv([BIG, "--type", "Foo", "-o", "x.svg"], facts())).toEqual(HUGE);
    expect(hugePagesEnv(["diff", "small.heapsnapshot", BIG], facts())).toEqual(HUGE);
  });

  it("does not for smaller files, missing files, standard input or options", () => {
    expect(hugePagesEnv(["info", "small.heapsnapshot"], facts())).toBeNull();
    expect(hugePagesEnv(["info", "missing.heapsnapshot"], facts())).toBeNull();
    const asked: string[] = [];
    // An argument that starts with "-" (an option, or `-` for standard input) is never looked up.
    expect(hugePagesEnv(["info", "-", "--json"], facts({}, asked))).toBeNull();
    expect(asked).toEqual(["size info"]);
  });

  it("looks at the kernel and the C library only once a big file is named", () => {
    const asked: string[] = [];
    hugePagesEnv(["info", "small.heapsnapshot"], facts({}, asked));
    expect(asked).toEqual(["size info", "size small.heapsnapshot"]);
  });

  it("leaves tunables already set alone: the user's own, or those of the process started again", () => {
    for (const tunables of ["glibc.malloc.arena_max=2", "glibc.malloc.hugetlb=0", "glibc.malloc.hugetlb=1"]) {
      expect(hugePagesEnv([BIG], facts({ env: { GLIBC_TUNABLES: tunables } }))).toBeNull();
      expect(hugePagesEnv([BIG], facts({ env: { GLIBC_TUNABLES: tunables, BACKREFS_HUGE_PAGES: "1" } }))).toBeNull();
    }
    expect(hugePagesEnv([BIG], facts({ env: { GLIBC_TUNABLES: "" } }))).toEqual(HUGE);
    // A threshold of the user's own is kept.
    expect(hugePagesEnv([BIG], facts({ env: { MALLOC_MMAP_THRESHOLD_: "65536" } }))).toEqual({ ...HUGE, MALLOC_MMAP_THRESHOLD_: "65536" });
  });

  it("needs the kernel to give huge pages on request, and a glibc that has the tunable", () => {
    for (const thp of ["[always] madvise never", "always madvise [never]", undefined])
      expect(hugePagesEnv([BIG], facts({ thpSetting: () => thp }))).toBeNull();
    for (const glibc of ["2.34", "1.99", undefined]) expect(hugePagesEnv([BIG], facts({ glibcVersion: () => glibc }))).toBeNull();
    for (const glibc of ["2.35", "3.0"]) expect(hugePagesEnv([BIG], facts({ glibcVersion: () => glibc }))).toEqual(HUGE);
    expect(hugePagesEnv([BIG], facts({ platform: "darwin" }))).toBeNull();
  });

  it("is turned off by BACKREFS_HUGE_PAGES=0 and forced by =1, for any file, on Linux", () => {
    expect(hugePagesEnv([BIG], facts({ env: { BACKREFS_HUGE_PAGES: "0" } }))).toBeNull();
    const asked: string[] = [];
    const forced = facts({ env: { BACKREFS_HUGE_PAGES: "1" }, thpSetting: () => undefined, glibcVersion: () => undefined }, asked);
    expect(hugePagesEnv(["info", "-"], forced)).toEqual(HUGE);
    expect(asked).toEqual([]);
    expect(hugePagesEnv([BIG], facts({ env: { BACKREFS_HUGE_PAGES: "1" }, platform: "win32" }))).toBeNull();
  });

  it("is not done under a debugger, a profiler or a watcher, which a second process would confuse", () => {
    expect(hugePagesEnv([BIG], facts({ execArgv: ["--inspect-brk"] }))).toBeNull();
    expect(hugePagesEnv([BIG], facts({ execArgv: ["--cpu-prof"] }))).toBeNull();
    expect(hugePagesEnv([BIG], facts({ env: { NODE_OPTIONS: "--inspect=9230" } }))).toBeNull();
    // Heap size options are passed on to the child, and do not stop it.
    expect(hugePagesEnv([BIG], facts({ execArgv: ["--max-old-space-size=8000"] }))).toEqual(HUGE);
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
