/**
 * Running the command line in tests. `runCli` calls `main(argv, streams)` in this process: the
 * same parsing, commands, messages and exit codes as the binary, without starting Node again.
 * `spawnCli` runs the real binary (`bin/backrefs.js` over `dist/`, which `npm test` builds): for
 * what only a process shows — standard input, signals, the shim, the exit status, pipes.
 */
import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { main } from "../../src/cli/main.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BIN = join(ROOT, "bin/backrefs.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Standard output as bytes (a PNG written to `-o -`). */
  raw: Buffer;
}

export interface CliOptions {
  /** The working directory while the command runs (relative paths are resolved against it). */
  cwd?: string;
  /** Environment variables for the run (`undefined` removes one); NO_COLOR=1 and DEBUG unset by default. */
  env?: Record<string, string | undefined>;
}

const DEFAULT_ENV: Record<string, string | undefined> = { NO_COLOR: "1", DEBUG: undefined };

/** One in-process run at a time: cwd and the environment are the process's. */
let queue: Promise<unknown> = Promise.resolve();

/** Runs `backrefs <args>` in this process; returns the exit code and what it printed. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const run = queue.then(() => runNow(args, options));
  queue = run.catch(() => {});
  return run;
}

async function runNow(args: string[], options: CliOptions): Promise<CliResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]): Writable =>
    new Writable({
      write(chunk: Buffer | string, _enc, cb) {
        into.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        cb();
      },
    });
  const env = { ...DEFAULT_ENV, ...options.env };
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(env)) {
    saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  const cwd = process.cwd();
  if (options.cwd) process.chdir(options.cwd);
  try {
    const code = await main(args, { stdout: sink(out), stderr: sink(err) });
    const raw = Buffer.concat(out);
    return { code, stdout: raw.toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), raw };
  } finally {
    process.chdir(cwd);
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Runs the real binary, as a user does; `input` goes to its standard input. */
export function spawnCli(args: string[], options: CliOptions & { input?: string | Buffer } = {}): CliResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries({ ...DEFAULT_ENV, ...options.env })) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd, input: options.input, env, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8"), raw: r.stdout };
}
