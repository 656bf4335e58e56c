/**
 * Transparent huge pages for big snapshots (Linux with glibc): the command-line process starts
 * itself once more with `GLIBC_TUNABLES=glibc.malloc.hugetlb=1`, which makes glibc's `malloc`
 * ask the kernel for 2 MiB pages for its mappings — the memory of every typed array. Reading a
 * big snapshot fills hundreds of megabytes of fresh arrays; with 4 KiB pages each page costs the
 * kernel one fault, with 2 MiB pages one in 512 does. docs/memory.md has the measurements.
 *
 * A glibc tunable is read once, as a process starts, so it cannot be set from inside Node: the
 * process that decides (`bin/backrefs.js`, before it loads anything else) starts the real one as
 * its child, passes it the terminal, the exit code and signals, and does nothing else.
 */
import { spawn } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { constants } from "node:os";
import { activeCacheDir } from "./cache-dir.js";

/** Snapshot files at least this big are read with huge pages; smaller ones gain too little to pay for a second process. */
export const HUGE_PAGES_MIN_BYTES = 64 << 20;

/**
 * `info`'s second look (with retained sizes) at a snapshot whose cache entry keeps the per-class
 * totals reads a few megabytes of the entry: below this size a second process costs more than huge
 * pages save (medians of 6–8 alternated runs: 0.42 s with it against 0.30 s without at 200 MB, 0.44 /
 * 0.45 s at 500 MB; 0.46 / 0.52 s at 1 GB).
 */
export const LIGHT_SECOND_LOOK_MAX_BYTES = 512 << 20;

/** The glibc tunable, and the first glibc release that has it. */
const TUNABLE = "glibc.malloc.hugetlb";
const MIN_GLIBC: readonly [number, number] = [2, 35];
/** glibc's own first mmap threshold, fixed for the child that reads a snapshot. */
const FIXED_MMAP_THRESHOLD = 128 << 10;
/** The heap top glibc keeps before giving it back, in that child. */
const TRIM_THRESHOLD = 64 << 20;

/** Node options under which a second process would get in the way (a debugger port, profiles, reports written twice). */
const OWN_PROCESS_FLAGS = /--(inspect|debug|prof|cpu-prof|heap-prof|trace|diagnostic|report|watch)/;

/** What the decision looks at; each is read only when the decision needs it. */
export interface HugePagesFacts {
  env: Readonly<Record<string, string | undefined>>;
  platform: string;
  execArgv: readonly string[];
  /** The size of a regular file at `path`, or undefined when there is none. */
  fileSize(path: string): number | undefined;
  /** The kernel's transparent huge page setting, as in /sys/kernel/mm/transparent_hugepage/enabled (`always [madvise] never`), or undefined. */
  thpSetting(): string | undefined;
  /** The running glibc's version (`2.36`), or undefined when the C library is not glibc. */
  glibcVersion(): string | undefined;
  /** Whether the snapshot cache (on unless `--no-cache` is among `args` or the environment turns it off) has an entry for the file at `path`. */
  hasCacheEntry(path: string): Promise<boolean>;
  /** Whether that entry has its late part `part` beside it (docs/cache.md, "Parts added later"). */
  hasCachePart(path: string, part: string): Promise<boolean>;
}

/**
 * What to add to the environment to start the command again with, or null to run it in this
 * process.
 *
 * `BACKREFS_HUGE_PAGES=0` never starts it again, `=1` always does (on Linux); otherwise it does when
 * one of the arguments is a regular file of {@link HUGE_PAGES_MIN_BYTES} or more (standard input
 * never counts), the kernel gives huge pages to the mappings that ask for them (`[madvise]`; with
 * `[always]` every mapping gets them anyway, with `[never]` none does), and glibc has the tunable.
 * A `GLIBC_TUNABLES` already set — the user's own settings of the C library, or the process
 * started here — is left as it is, and no second process is started; nor is one for `info`'s
 * second look at a snapshot under {@link LIGHT_SECOND_LOOK_MAX_BYTES} (unless `=1`).
 *
 * A snapshot to be read and analysed (a big file named has no cache entry) is read with glibc's
 * mmap threshold fixed at 128 KiB (`MALLOC_MMAP_THRESHOLD_`): every array of 128 KiB and more then
 * has a mapping of its own size, so src/memory.ts need not give it a bigger one, whose last huge
 * page, touched in part, would be taken whole (less peak memory, a little more time). A fixed
 * threshold also keeps glibc's trim threshold at its smallest, so the heap's top was given back and
 * taken again after every big free: `MALLOC_TRIM_THRESHOLD_` keeps 64 MiB. A second look (each big
 * file has an entry) keeps glibc's moving threshold: its arrays come and go from an entry, and
 * reusing the heap's freed memory is faster than mapping fresh pages. Values of the user's own are
 * kept.
 */
export async function hugePagesEnv(args: readonly string[], facts: HugePagesFacts): Promise<Record<string, string> | null> {
  const setting = facts.env["BACKREFS_HUGE_PAGES"];
  if (setting === "0" || facts.env["GLIBC_TUNABLES"] || facts.platform !== "linux") return null;
  if (OWN_PROCESS_FLAGS.test([...facts.execArgv, facts.env["NODE_OPTIONS"] ?? ""].join(" "))) return null;
  // The files that make it worth it (an output file that exists, or a small snapshot, does not).
  const sizes = new Map(args.filter((a) => !a.startsWith("-")).map((a) => [a, facts.fileSize(a) ?? 0]));
  const big = [...sizes.keys()].filter((a) => sizes.get(a)! >= HUGE_PAGES_MIN_BYTES);
  if (setting !== "1") {
    if (big.length === 0 || !/\[madvise\]/.test(facts.thpSetting() ?? "") || !glibcHasTunable(facts.glibcVersion())) return null;
  }
  const env: Record<string, string> = { GLIBC_TUNABLES: `${TUNABLE}=1` };
  const secondLook = big.length > 0 && (await everyHasEntry(big, facts));
  if (setting !== "1" && secondLook && (await lightSecondLook(args, big, sizes, facts))) return null;
  if (!secondLook) {
    env["MALLOC_MMAP_THRESHOLD_"] = facts.env["MALLOC_MMAP_THRESHOLD_"] ?? String(FIXED_MMAP_THRESHOLD);
    env["MALLOC_TRIM_THRESHOLD_"] = facts.env["MALLOC_TRIM_THRESHOLD_"] ?? String(TRIM_THRESHOLD);
  }
  return env;
}

/**
 * Whether the command is `info` with retained sizes (its first argument, without `--no-retained`,
 * which counts from the nodes' columns) on one snapshot under {@link LIGHT_SECOND_LOOK_MAX_BYTES}
 * whose entry keeps the per-class totals.
 */
async function lightSecondLook(
  args: readonly string[],
  big: readonly string[],
  sizes: ReadonlyMap<string, number>,
  facts: HugePagesFacts,
): Promise<boolean> {
  if (args[0] !== "info" || args.includes("--no-retained") || big.length !== 1) return false;
  const file = big[0]!;
  return sizes.get(file)! < LIGHT_SECOND_LOOK_MAX_BYTES && (await facts.hasCachePart(file, "summary"));
}

async function everyHasEntry(files: readonly string[], facts: HugePagesFacts): Promise<boolean> {
  for (const f of files) if (!(await facts.hasCacheEntry(f))) return false;
  return true;
}

function glibcHasTunable(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > MIN_GLIBC[0] || (major === MIN_GLIBC[0] && minor >= MIN_GLIBC[1]);
}

/** {@link HugePagesFacts} of this process, run with `args`. */
export function processFacts(args: readonly string[]): HugePagesFacts {
  return {
    env: process.env,
    platform: process.platform,
    execArgv: process.execArgv,
    fileSize(path) {
      try {
        const st = statSync(path);
        return st.isFile() ? st.size : undefined;
      } catch {
        return undefined;
      }
    },
    thpSetting() {
      try {
        return readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "latin1");
      } catch {
        return undefined;
      }
    },
    glibcVersion() {
      const report = process.report as { excludeNetwork?: boolean; getReport(): object } | undefined;
      if (!report) return undefined;
      report.excludeNetwork = true;
      const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
      return header?.glibcVersionRuntime;
    },
    async hasCacheEntry(path) {
      const dir = activeCacheDir(!args.includes("--no-cache"));
      // Loaded only here: the cache's modules are not needed by a command that does not read a big file.
      return dir !== null && (await import("../cache/entry-name.js")).entrySizeIn(dir, path) !== undefined;
    },
    async hasCachePart(path, part) {
      const dir = activeCacheDir(!args.includes("--no-cache"));
      return dir !== null && (await import("../cache/entry-name.js")).hasLatePartIn(dir, path, part);
    },
  };
}

/** The signals passed on to the child: what stops a command from outside. */
const FORWARDED: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"];

/**
 * Runs this command again in a child process with huge pages, when {@link hugePagesEnv} says
 * so. Resolves false when the command is to run in this process (no huge pages, or the child could
 * not be started); otherwise never resolves: this process ends as the child ended, with its exit
 * code or by its signal.
 */
export async function runWithHugePages(
  script: string,
  args: readonly string[],
  facts: HugePagesFacts = processFacts(args),
): Promise<boolean> {
  const env = await hugePagesEnv(args, facts);
  if (env === null) return false;
  return new Promise<boolean>((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
      stdio: "inherit",
      env: { ...process.env, ...env },
    });
    // A signal meant for the command reaches the child; a terminal's Ctrl-C reaches both, and this
    // process waits for the child to end.
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    const stopForwarding = () => {
      for (const s of FORWARDED) process.off(s, forward);
    };
    for (const s of FORWARDED) process.on(s, forward);
    child.on("error", () => {
      // Not started (no process could be made): the command runs here, as without huge pages. (A
      // started child's errors, such as a signal that could not be passed on, change nothing.)
      if (child.pid !== undefined) return;
      stopForwarding();
      resolve(false);
    });
    child.on("exit", (code, signal) => {
      stopForwarding();
      if (signal === null) process.exit(code ?? 1);
      // Ended by a signal: end by the same one, or, where this process ignores it, with the
      // exit code a shell reports for it.
      process.exitCode = 128 + (constants.signals[signal] ?? 0);
      process.kill(process.pid, signal);
    });
  });
}
