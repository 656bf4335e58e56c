/**
 * The command line. `main(argv)` returns the exit code (see exit-codes.ts); `bin/backrefs.js`
 * sets it. Each command parses its flags here, asks the library object (`openSnapshot(...)`) and
 * prints the answer: the CLI and the library cannot disagree.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import type { Command } from "commander";
import { BackrefsError, CacheDamagedError } from "../errors.js";
import type { DrawCliOptions } from "./draw.js";
import type { WhyCliOptions } from "./why.js";
import type { CheckOptions, DiffOptions, Limit, LeaksOptions, TypesOptions } from "./growth.js";
import type { Streams } from "./io.js";
import type { CacheCommandOptions } from "./cache.js";
import { removePendingFiles } from "../api/files.js";
import { ExitCode } from "./exit-codes.js";
import { DIFF_SORTS, LEAK_CLASSES_EXPLAINED } from "../query/growth-options.js";
import { UsageError } from "./usage.js";
import { mark } from "./timing.js";

const require = createRequire(import.meta.url);
// commander is CommonJS: required, not imported. An ES import of it goes through Node's wrapper for
// CommonJS modules, which scans the source for its exports with a lexer of its own that it loads
// and starts first (~5 ms of CPU before the command line is read).
const { Command: CommandClass, CommanderError, InvalidArgumentError, Option } = require("commander") as typeof import("commander");

// Each command's modules are loaded when it runs (`await import(...)` in its action), not before
// the command line is read: `backrefs --version` or a usage error loads none of them, and `info`
// does not load what draws pictures. Only what builds the command line is imported above.

export { ExitCode } from "./exit-codes.js";

/** `5MB`, `512kB`, `1.5 GB`, `1000` (bytes; 1000-based units like DevTools). */
export function parseSize(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|k|mb|m|gb|g)?$/i.exec(text.trim());
  if (!m) return null;
  const unit = (m[2] ?? "b").toLowerCase()[0]!;
  const factor = unit === "k" ? 1e3 : unit === "m" ? 1e6 : unit === "g" ? 1e9 : 1;
  return Math.round(Number(m[1]) * factor);
}

function collectLimit(bytes: boolean) {
  return (value: string, previous: Limit[] = []): Limit[] => {
    const eq = value.lastIndexOf("=");
    const className = eq > 0 ? value.slice(0, eq) : "";
    const amount = eq > 0 ? (bytes ? parseSize(value.slice(eq + 1)) : Number(value.slice(eq + 1))) : null;
    if (!className || amount === null || !Number.isFinite(amount) || amount < 0 || (!bytes && !Number.isInteger(amount))) {
      throw new InvalidArgumentError(`expected <class>=<${bytes ? "size, e.g. 5MB" : "whole number"}>, not '${value}'`);
    }
    return [...previous, { className, value: amount }];
  };
}

const pkg = require("../../package.json") as { version: string };

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
      throw new InvalidArgumentError(`${name} takes a whole number ≥ 1`);
    }
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} takes a whole number ≥ 0`);
    return n;
  };
}

function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 20) throw new InvalidArgumentError(`${name} takes a number between 0 and 20`);
    return n;
  };
}

function collectId(value: string, previous: number[] = []): number[] {
  const m = /^@?(\d+)$/.exec(value.trim());
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw new InvalidArgumentError(`--id takes a heap id like @123 or 123, not '${value}'`);
  return [...previous, Number(m[1])];
}

function collectString(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The cache module, once a command has started its cache session (loaded with the command). */
let cacheModule: typeof import("./cache.js") | undefined;

function buildProgram(io: Streams, result: { code: number }, skipEntries: ReadonlySet<string> = new Set()): Command {
  const program = new CommandClass("backrefs");
  program
    .description("Why is this object still alive? Draws what retains objects in a V8 heap snapshot.")
    .version(pkg.version, "-V, --version")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`backrefs: ${s.replace(/^error: /, "").trimEnd()}\n`),
    })
    .showHelpAfterError("(run 'backrefs --help' for usage)")
    .addHelpText(
      "after",
      `
Examples:
  backrefs app.heapsnapshot --type LeakyRequest -o leak.svg    # draw (the default command)
  backrefs why app.heapsnapshot --id @12345                     # the same as text, with dominators
  backrefs info app.heapsnapshot                                # what is in it
  backrefs diff before.heapsnapshot after.heapsnapshot          # what grew

'backrefs <command> --help' shows each command's options.`,
    )
    .exitOverride();

  program
    .command("draw", { isDefault: true })
    .description("draw what keeps the chosen objects alive (the default command)")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("-t, --type <class>", "objects whose class name (as DevTools shows it) is exactly <class>; repeatable", collectString)
    .option("-n, --name <name>", "objects whose raw node name is exactly <name>; repeatable", collectString)
    .option("-i, --id <id>", "a specific object by heap id (@123 or 123); repeatable", collectId)
    .option(
      "-o, --output <file>",
      "write to <file>: .dot, .svg, .png, .json or .txt (the retaining paths), - for stdout; repeatable: one load, several outputs",
      collectString,
    )
    .addOption(
      new Option("-f, --format <format>", "output format, overriding the file extension").choices(["dot", "svg", "png", "json", "text"]),
    )
    .option("-d, --depth <n>", "follow retainers up to <n> hops from the targets", nonNegativeInt("--depth"), 3)
    .option("--too-many <n>", "draw at most <n> retainers per object; the rest become one 'N more' box", positiveInt("--too-many"), 10)
    .option(
      "--max-nodes <n>",
      "box budget for the picture: objects and 'N more' boxes together (default 60; 40 for grouped pictures)",
      positiveInt("--max-nodes"),
    )
    .option(
      "--max-targets <n>",
      "draw at most <n> of the matching objects one by one; more matches are drawn grouped by retaining path",
      positiveInt("--max-targets"),
      10,
    )
    .option("--each", "one box per object even when more than --max-targets match (no grouping)", false)
    .option("--detached", "detached DOM nodes (browser snapshots); combines with --type", false)
    .option("--weak", "also follow weak edges", false)
    .option("--no-retained", "skip dominators and retained sizes (faster on huge snapshots)")
    .option("--new-since <baseline>", "only objects allocated after this earlier snapshot of the same process; marks what is new")
    .option("--no-path", "do not force the shortest retaining path from a root into the picture")
    .option("--path-only", "draw only the shortest retaining paths", false)
    .option(
      "--scale <x>",
      "PNG zoom factor (default 1.5, lowered to fit 4,000 px a side, never below 11 px text)",
      positiveNumber("--scale"),
    )
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Examples:
  backrefs app.heapsnapshot --type LeakyRequest -o leak.svg
  backrefs app.heapsnapshot --id @12345 -o why.png
  backrefs app.heapsnapshot --type Foo -o foo.svg -o foo.png -o foo.json   # one load, three files
  backrefs app.heapsnapshot --type Foo              # text: the retaining paths

Repeatable: --type, --name, --id, --output.`,
    )
    .action(async (file: string, opts: DrawCliOptions) => {
      readsStdinOnce(file, opts.newSince);
      const { runDraw } = await import("./draw.js");
      result.code = await runDraw(file, opts, io);
    });

  program
    .command("why")
    .description("the shortest retaining paths and dominators of objects, as text or JSON")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("-i, --id <id>", "an object by heap id (@123 or 123); repeatable", collectId)
    .option("-t, --type <class>", "objects of this class (as DevTools names it); repeatable", collectString)
    .option("-n, --name <name>", "objects with this raw node name; repeatable", collectString)
    .option("-k, --paths <k>", "how many distinct retaining paths per object", positiveInt("--paths"), 1)
    .option(
      "--max-targets <n>",
      "with --type/--name: explain at most <n> objects, largest retained size first",
      positiveInt("--max-targets"),
      3,
    )
    .option("--json", "print the answers as JSON", false)
    .option("--no-retained", "skip dominators and retained sizes (faster)")
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Examples:
  backrefs why app.heapsnapshot --id @12345 --paths 3
  backrefs why app.heapsnapshot --type LeakyRequest --json`,
    )
    .action(async (file: string, opts: WhyCliOptions) => {
      if (!opts.id?.length && !opts.type?.length && !opts.name?.length) {
        throw new UsageError("why needs objects: name them with --id <id>, --type <Class> or --name <name>");
      }
      const { runWhy } = await import("./why.js");
      result.code = await runWhy(file, opts, io);
    });

  program
    .command("types")
    .description("the class table: count, self size, retained size (DevTools' Summary)")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("--top <n>", "how many classes", positiveInt("--top"), 20)
    .addOption(
      new Option("--sort <key>", "sort by count, self size or retained size (default retained)").choices(["count", "self", "retained"]),
    )
    .option("--json", "print JSON", false)
    .option("--no-retained", "skip dominators and retained sizes (faster; sorts by count)")
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Examples:
  backrefs types app.heapsnapshot --top 20
  backrefs types app.heapsnapshot --sort count --json`,
    )
    .action(async (file: string, opts: TypesOptions) => {
      const { runTypes } = await import("./growth.js");
      result.code = await runTypes(file, opts, io);
    });

  program
    .command("diff")
    .description("what grew between two snapshots of one process, per class, by object id")
    .argument("<before>", "the earlier snapshot")
    .argument("<after>", "the later snapshot")
    .option(
      "--top <n>",
      "how many classes that grew, and that shrank (--json: all that changed, unless --top is given)",
      positiveInt("--top"),
      20,
    )
    .addOption(
      new Option(
        "--sort <key>",
        "rank by change in count, new (and deleted) objects, self size, retained size now, or retained size change",
      )
        .choices([...DIFF_SORTS])
        .default("count"),
    )
    .option("--all", "include the engine's own bookkeeping (compiled code, hidden objects, shapes, numbers)", false)
    .option("--json", "print JSON", false)
    .option("--no-retained", "skip retained sizes (faster)")
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Examples:
  backrefs diff before.heapsnapshot after.heapsnapshot
  backrefs diff before.heapsnapshot after.heapsnapshot --sort new --top 10
  backrefs diff before.heapsnapshot after.heapsnapshot --json`,
    )
    .action(async (before: string, after: string, opts: DiffOptions, cmd: Command) => {
      readsStdinOnce(before, after);
      const { runDiff } = await import("./growth.js");
      result.code = await runDiff(before, after, { ...opts, topGiven: cmd.getOptionValueSource("top") === "cli" }, io);
    });

  program
    .command("leaks")
    .description("MemLab's method: objects allocated after <baseline>, present in <target>, still alive in <final>")
    .argument("<baseline>", "before the action under suspicion")
    .argument("<target>", "after the action")
    .argument("<final>", "after undoing the action (what should have been freed is gone by now)")
    .option("--top <n>", "how many classes", positiveInt("--top"), 20)
    .option(
      "--explain <n>",
      "of how many classes to print why they are alive: the program's own first (their constructors defined in its files), then Node's, then arrays, closures…",
      positiveInt("--explain"),
      LEAK_CLASSES_EXPLAINED,
    )
    .option("--all", "include the engine's own bookkeeping (compiled code, hidden objects, shapes)", false)
    .option("--json", "print JSON", false)
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Examples:
  backrefs leaks s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot
  backrefs leaks s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot --explain 10`,
    )
    .action(async (baseline: string, target: string, final: string, opts: LeaksOptions) => {
      readsStdinOnce(baseline, target, final);
      const { runLeaks } = await import("./growth.js");
      result.code = await runLeaks(baseline, target, final, { ...opts, retained: true }, io);
    });

  program
    .command("check")
    .description(`a CI gate: exit ${ExitCode.gateFailed} when a class's count, retained size or growth passes a limit, and draw why`)
    .argument("<snapshot>", "the snapshot to check")
    .option("--baseline <snapshot>", "an earlier snapshot of the same process, for the growth limits")
    .option("--max-count <class=n>", "fail when the class has more than n objects; repeatable", collectLimit(false))
    .option("--max-retained <class=size>", "fail when the class retains more than size (e.g. 5MB); repeatable", collectLimit(true))
    .option("--max-growth <class=n>", "fail when the class grew by more than n objects since --baseline; repeatable", collectLimit(false))
    .option(
      "--max-retained-growth <class=size>",
      "fail when the class's retained size grew by more than size; repeatable",
      collectLimit(true),
    )
    .option("--picture-dir <dir>", "where to write the retainer picture of each failing class", ".")
    .option(
      "--allow-absent",
      "limits may name classes that no snapshot has (by default that is a usage error: a typo would make a gate that never fails)",
      false,
    )
    .option("--json", "print the verdict as JSON", false)
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Exit codes: ${ExitCode.ok} every limit holds, ${ExitCode.gateFailed} a limit was passed (a picture of what retains the class
is written to --picture-dir), ${ExitCode.error} an error, ${ExitCode.usage} a usage error.

Examples:
  backrefs check after.heapsnapshot --max-count LeakyRequest=100 --max-retained Map=50MB
  backrefs check after.heapsnapshot --baseline before.heapsnapshot --max-growth LeakyRequest=0`,
    )
    .action(async (file: string, opts: CheckOptions) => {
      readsStdinOnce(file, opts.baseline);
      const limits = [opts.maxCount, opts.maxRetained, opts.maxGrowth, opts.maxRetainedGrowth].reduce((n, l) => n + (l?.length ?? 0), 0);
      if (limits === 0)
        throw new UsageError("check needs at least one limit (--max-count, --max-retained, --max-growth, --max-retained-growth)");
      if ((opts.maxGrowth?.length || opts.maxRetainedGrowth?.length) && !opts.baseline) {
        throw new UsageError("--max-growth and --max-retained-growth need --baseline <snapshot>");
      }
      const { runCheck } = await import("./growth.js");
      result.code = await runCheck(file, { ...opts, retained: false }, io);
    });

  program
    .command("info")
    .description("counts, sizes and the most common classes of a snapshot")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("--json", "print one JSON object", false)
    .option("--top <n>", "how many classes to list", positiveInt("--top"), 10)
    .option("--no-retained", "skip dominators and retained sizes: counts and raw self sizes only (fastest)")
    .option("-q, --quiet", "no progress bar", false)
    .option("--no-cache", "do not use or write the snapshot cache (see 'backrefs cache')")
    .addHelpText(
      "after",
      `
Examples:
  backrefs info app.heapsnapshot
  backrefs info app.heapsnapshot.gz --json --top 20`,
    )
    .action(async (file: string, opts: { json: boolean; top: number; quiet: boolean; retained: boolean }) => {
      const { runInfo } = await import("./info.js");
      result.code = await runInfo(file, opts, io);
    });

  program
    .command("cache")
    .description("show the snapshot cache (what a second look at a snapshot is answered from), or empty it")
    .option("--clear", "remove every entry", false)
    .option("--json", "print JSON", false)
    .addHelpText(
      "after",
      `
The cache holds the parsed snapshot and its analysis, so that the next command on the same
file starts in a second. Off with --no-cache or BACKREFS_CACHE=0; the directory is
BACKREFS_CACHE_DIR, else $XDG_CACHE_HOME/backrefs, else ~/.cache/backrefs; the size limit is
BACKREFS_CACHE_MAX (default 4GB, the least recently used entries go first).

Examples:
  backrefs cache
  backrefs cache --clear`,
    )
    .action(async (opts: CacheCommandOptions) => {
      const { runCache } = await import("./cache.js");
      result.code = await runCache(opts, io);
    });

  // The cache session of the command being run; --no-cache sets `cache: false`.
  program.hook("preAction", async (_program, action) => {
    const cacheOn = action.opts()["cache"] !== false;
    // A picture's layout worker first: it starts and loads Graphviz on its own thread while this
    // one loads the command's modules and the cache's (draw-early.ts).
    if (action.name() === "draw") {
      const { startLayoutEarly } = await import("./draw-early.js");
      await startLayoutEarly(String(action.processedArgs[0]), action.opts(), cacheOn);
    }
    // The snapshot cache's read-ahead thread, for a picture of a class from a big entry (read-ahead-early.ts).
    if (action.name() === "draw") {
      const { startReadAheadEarly } = await import("./read-ahead-early.js");
      await startReadAheadEarly(String(action.processedArgs[0]), action.opts(), cacheOn);
    }
    // And for the commands comparing snapshots, when one of them has a big entry.
    if (action.name() === "diff" || action.name() === "leaks" || action.name() === "check") {
      const files = [...action.processedArgs, action.opts()["baseline"]].filter((f): f is string => typeof f === "string");
      const { startReadAheadForComparison } = await import("./read-ahead-early.js");
      await startReadAheadForComparison(files, cacheOn);
    }
    // The analysis helper's thread too, for a big enough file (analysis-early.ts).
    if (action.name() === "draw" || action.name() === "info") {
      const { startHelperEarly } = await import("./analysis-early.js");
      startHelperEarly(String(action.processedArgs[0]), action.opts(), cacheOn);
    }
    cacheModule = await import("./cache.js");
    cacheModule.beginCacheSession(cacheOn, io, skipEntries);
  });

  return program;
}

/**
 * Runs the CLI. Never throws: every failure becomes one line on stderr and an exit code.
 *
 * @example
 * process.exitCode = await main(["info", "app.heapsnapshot"]);
 */
export async function main(argv: string[], io: Streams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const result = { code: ExitCode.ok as number };
  // No SIGINT/SIGTERM handler here on purpose: the analysis runs long synchronous phases during
  // which a JS handler could not run, so Ctrl-C would wait for them. The default action stops the
  // process at once, and nothing is half-written then: output files appear by rename, and
  // writeOutput (io.ts) handles signals itself while its temporary file exists.
  quietOnClosedPipe(io);
  mark(io, "command line read");
  // A cache entry is read part by part as the command needs it, so a damaged part can turn up
  // after the command started: the command is then run once more from the snapshot itself (the
  // entry was removed, and is not read again), unless it already wrote to stdout.
  let wrote = false;
  const skip = new Set<string>();
  const watched: Streams = { stdout: watchWrites(io.stdout, () => (wrote = true)), stderr: io.stderr };
  for (let attempt = 0; ; attempt++) {
    try {
      const program = buildProgram(watched, result, skip);
      await mistypedCommand(program, argv);
      await program.parseAsync(argv, { from: "user" });
      mark(io, "answer written");
      // The answer is out: now write the snapshot cache entries this command earned.
      await cacheModule?.flushCaches();
      mark(io, "cache entry written");
      return result.code;
    } catch (e) {
      await cacheModule?.dropPendingCaches();
      removePendingFiles();
      if (e instanceof CacheDamagedError && attempt === 0 && !wrote) {
        io.stderr.write(`cache: ignored ${oneLine(e.entry)} (${oneLine(e.reason)}); reading the snapshot\n`);
        skip.add(e.entry);
        result.code = ExitCode.ok;
        continue;
      }
      return reportError(e, io);
    }
  }
}

/** `stream`, telling `onWrite` when anything is written to it. */
function watchWrites<T extends NodeJS.WritableStream>(stream: T, onWrite: () => void): T {
  return new Proxy(stream, {
    get(target, key) {
      if (key === "write") {
        return (...args: Parameters<T["write"]>): boolean => {
          onWrite();
          return (target.write as (...a: unknown[]) => boolean)(...args);
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * When whoever reads our output stops reading (`backrefs … | head -1`), writing fails with EPIPE.
 * That is not an error of ours: end at once, quietly, with nothing half-written left behind. Only
 * for the process's own streams: a program that runs `main` with streams of its own keeps its
 * process, and what a closed stream of its own means is for it to say.
 */
function quietOnClosedPipe(io: Streams): void {
  for (const stream of [io.stdout, io.stderr]) {
    if (stream !== process.stdout && stream !== process.stderr) continue;
    if (pipeWatched.has(stream)) continue;
    pipeWatched.add(stream);
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") throw e;
      removePendingFiles();
      process.exit(ExitCode.ok);
    });
  }
}
const pipeWatched = new WeakSet<object>();

/**
 * `backrefs typs app.heapsnapshot`: the drawing command is the default, so a mistyped command
 * would be taken for a snapshot file. When the first word is no command and no file but looks
 * like a command, say which one was meant (a usage error) instead.
 */
async function mistypedCommand(program: Command, argv: string[]): Promise<void> {
  const first = argv[0];
  // Only a bare word: a path-like argument is a snapshot file, missing or not.
  if (first === undefined || !/^[a-z][a-z-]*$/i.test(first)) return;
  const commands = program.commands.flatMap((c) => [c.name(), ...c.aliases()]).concat("help");
  if (commands.includes(first) || existsSync(first)) return;
  const { closestNames } = await import("../query/select.js");
  const meant = closestNames([first], new Map(commands.map((c) => [c, 0])), 1);
  if (meant.length > 0) {
    const name = meant[0]!.replace(/ \(0\)$/, "");
    throw new UsageError(`unknown command '${oneLine(first)}' (and no such file): did you mean 'backrefs ${name}'?`);
  }
}

/** Standard input can be read once: at most one snapshot argument may be `-`. */
export function readsStdinOnce(...files: Array<string | undefined>): void {
  if (files.filter((f) => f === "-").length > 1) {
    throw new UsageError("standard input can be read once: at most one snapshot may be -");
  }
}

/** One error handler: one line, no stack (unless DEBUG is set), an exit code. */
function reportError(e: unknown, io: Streams): number {
  if (e instanceof UsageError) {
    io.stderr.write(`backrefs: ${oneLine(e.message)}\n(run 'backrefs --help' for usage)\n`);
    return ExitCode.usage;
  }
  if (e instanceof CommanderError) {
    if (e.code === "commander.helpDisplayed" || e.code === "commander.version" || e.code === "commander.help") return ExitCode.ok;
    return ExitCode.usage; // commander already printed the message and the hint
  }
  if (process.env["DEBUG"] && e instanceof Error) io.stderr.write(`${e.stack}\n`);
  if (e instanceof BackrefsError) {
    io.stderr.write(`backrefs: ${oneLine(e.message)}${e.hint ? ` — ${oneLine(e.hint)}` : ""}\n`);
    return e.code === "E_ABORTED" ? ExitCode.interrupted : ExitCode.error;
  }
  if (e instanceof RangeError && /allocation|memory|Invalid array length/i.test(e.message)) {
    io.stderr.write(
      `backrefs: out of memory (${oneLine(e.message)}) — try NODE_OPTIONS=--max-old-space-size=16000 or a machine with more memory\n`,
    );
    return ExitCode.error;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.stderr.write(`backrefs: internal error: ${oneLine(msg)} — please report it (set DEBUG=1 for details)\n`);
  return ExitCode.error;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, " ").replace(/[\u0000-\u001f\u007f]/g, "?");
}
