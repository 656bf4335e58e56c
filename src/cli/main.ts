/**
 * The command line. `main(argv)` returns the exit code; `bin/backrefs.js` sets it.
 *
 * Exit codes: 0 success, 1 an error (bad snapshot, no match, render failure), 2 a usage error,
 * 130 interrupted.
 */
import { createRequire } from "node:module";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { BackrefsError, QueryError } from "../errors.js";
import { runInfo } from "./info.js";
import { runDraw, type DrawCliOptions } from "./draw.js";
import { runWhy, type WhyCliOptions } from "./why.js";
import { removePendingFiles, type Streams } from "./io.js";

export const ExitCode = { ok: 0, error: 1, usage: 2, interrupted: 130 } as const;

const pkg = createRequire(import.meta.url)("../../package.json") as { version: string };

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

function buildProgram(io: Streams, result: { code: number }): Command {
  const program = new Command("backrefs");
  program
    .description("Why is this object still alive? Draws what retains objects in a V8 heap snapshot.")
    .version(pkg.version, "-V, --version")
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(`backrefs: ${s.replace(/^error: /, "").trimEnd()}\n`),
    })
    .showHelpAfterError("(run 'backrefs --help' for usage)")
    .exitOverride();

  const draw = program
    .command("draw", { isDefault: true })
    .description("draw what keeps the chosen objects alive (the default command)")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("-t, --type <class>", "objects whose class name (as DevTools shows it) is exactly <class>", collectString)
    .option("-n, --name <name>", "objects whose raw node name is exactly <name>", collectString)
    .option("-i, --id <id>", "a specific object by heap id (@123 or 123); repeatable", collectId)
    .option("-o, --output <file>", "write the picture to <file>: .dot, .svg, .png or .json (- for stdout)")
    .addOption(new Option("-f, --format <format>", "output format, overriding the file extension").choices(["dot", "svg", "png", "json", "text"]))
    .option("-d, --depth <n>", "follow retainers up to <n> hops from the targets", nonNegativeInt("--depth"), 3)
    .option("--too-many <n>", "draw at most <n> retainers per object; the rest become one 'N more' box", positiveInt("--too-many"), 10)
    .option("--max-nodes <n>", "total node budget for the picture", positiveInt("--max-nodes"), 150)
    .option("--max-targets <n>", "draw at most <n> of the matching objects", positiveInt("--max-targets"), 10)
    .option("--detached", "detached DOM nodes (browser snapshots); combines with --type", false)
    .option("--weak", "also follow weak edges", false)
    .option("--no-retained", "skip dominators and retained sizes (faster on huge snapshots)")
    .option("--no-path", "do not force the shortest retaining path from a root into the picture")
    .option("--path-only", "draw only the shortest retaining paths", false)
    .option("--scale <x>", "PNG zoom factor", positiveNumber("--scale"), 1.5)
    .option("-q, --quiet", "no progress bar", false)
    .addHelpText(
      "after",
      `
Examples:
  backrefs app.heapsnapshot --type LeakyRequest -o leak.svg
  backrefs app.heapsnapshot --id @12345 -o why.png
  backrefs app.heapsnapshot --type Foo              # text: the retaining paths`,
    )
    .action(async (file: string, opts: DrawCliOptions) => {
      result.code = await runDraw(file, opts, io);
    });
  void draw;

  program
    .command("why")
    .description("the shortest retaining paths and dominators of objects, as text or JSON")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("-i, --id <id>", "an object by heap id (@123 or 123); repeatable", collectId)
    .option("-t, --type <class>", "objects of this class (as DevTools names it); repeatable", collectString)
    .option("-n, --name <name>", "objects with this raw node name; repeatable", collectString)
    .option("-k, --paths <k>", "how many distinct retaining paths per object", positiveInt("--paths"), 1)
    .option("--max-targets <n>", "with --type/--name: explain at most <n> objects, largest retained size first", positiveInt("--max-targets"), 3)
    .option("--json", "print the answers as JSON", false)
    .option("--no-retained", "skip dominators and retained sizes (faster)")
    .option("-q, --quiet", "no progress bar", false)
    .addHelpText(
      "after",
      `
Examples:
  backrefs why app.heapsnapshot --id @12345 --paths 3
  backrefs why app.heapsnapshot --type LeakyRequest --json`,
    )
    .action(async (file: string, opts: WhyCliOptions) => {
      if (!opts.id?.length && !opts.type?.length && !opts.name?.length) {
        throw new QueryError("why needs objects", "name them with --id <id>, --type <Class> or --name <name>");
      }
      result.code = await runWhy(file, opts, io);
    });

  program
    .command("info")
    .description("counts, sizes and the most common classes of a snapshot")
    .argument("<snapshot>", "a .heapsnapshot file (gzip is fine), or - for standard input")
    .option("--json", "print one JSON object", false)
    .option("--top <n>", "how many classes to list", positiveInt("--top"), 10)
    .option("--no-retained", "skip dominators and retained sizes: counts and raw self sizes only (fastest)")
    .option("-q, --quiet", "no progress bar", false)
    .addHelpText(
      "after",
      `
Examples:
  backrefs info app.heapsnapshot
  backrefs info app.heapsnapshot.gz --json --top 20`,
    )
    .action(async (file: string, opts: { json: boolean; top: number; quiet: boolean; retained: boolean }) => {
      result.code = await runInfo(file, opts, io);
    });

  return program;
}

/**
 * Runs the CLI. Never throws: every failure becomes one line on stderr and an exit code.
 *
 * @example
 * process.exitCode = await main(["info", "app.heapsnapshot"]);
 */
export async function main(
  argv: string[],
  io: Streams = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const result = { code: ExitCode.ok as number };
  const onSignal = (signal: NodeJS.Signals): void => {
    removePendingFiles();
    io.stderr.write(`\nbackrefs: interrupted (${signal})\n`);
    process.exit(ExitCode.interrupted);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const program = buildProgram(io, result);
    await program.parseAsync(argv, { from: "user" });
    return result.code;
  } catch (e) {
    removePendingFiles();
    return reportError(e, io);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** One error handler: one line, no stack (unless DEBUG is set), an exit code. */
function reportError(e: unknown, io: Streams): number {
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
