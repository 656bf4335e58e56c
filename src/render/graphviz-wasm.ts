/**
 * Loads WASM Graphviz (`@hpcc-js/wasm-graphviz`) for the layout worker, optionally with its
 * WebAssembly program kept, already decoded, in a directory (the command line's cache directory).
 *
 * The package carries its 1.6 MB WebAssembly program inside its JavaScript as text: base91, then
 * zstd, both decoded in JavaScript by `Graphviz.load()` — about 0.1 s of CPU in every process
 * that draws, half of what loading Graphviz costs (docs/rendering.md). Kept decoded in a file, the
 * program is read in a millisecond and handed to the package's own loader instead.
 *
 * The package offers no way to hand it a program, so this module evaluates the package's module
 * text itself, as the body of a function that also returns a getter and a setter of the variable
 * the package keeps the decoded program in (`Graphviz.load()` decodes only while it is empty). That
 * is done only for package builds listed in {@link KNOWN_GRAPHVIZ} — identified by the SHA-256 of
 * their module text, with the variable's name and the SHA-256 and size of the program they decode
 * to. Any other build (a different version) is imported as it is.
 *
 * The kept file is input like any cache file: it is used only when its size and SHA-256 are those
 * listed for the installed build (so a truncated, corrupted, foreign or stale file is never run), and
 * otherwise decoded again and rewritten. It is written only after the package decoded the program
 * itself and the result matched the listed SHA-256; atomically (a temporary file renamed over it), so
 * two processes writing it at once leave one whole file. A directory that cannot be written is no
 * error: the program is then decoded every time, as without a directory.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { whileInstantiating, type WasmTiering } from "./tiering.js";

/** What the layout worker needs of a Graphviz instance. */
export interface Layout {
  layout(dot: string, format: "svg", engine: "dot"): string;
}

/** A build of the Graphviz package whose program can be kept. */
export interface KnownGraphviz {
  /** The package version (for people; the key is the module text's SHA-256). */
  version: string;
  /** The name of the module-level variable `Graphviz.load()` keeps the decoded program in. */
  binding: string;
  /** SHA-256 (hex) of the decoded WebAssembly program. */
  wasmSha256: string;
  /** Its size in bytes. */
  wasmBytes: number;
  /**
   * Where the module text holds the encoded program: the string literal from its opening quote at
   * `start` to its closing quote at `end - 1`. With the decoded program kept, the text is evaluated
   * with `''` there: the package never reads the literal then, and V8 need not parse 0.7 MB of it
   * (~12 ms of the layout worker's start).
   */
  programText: { start: number; end: number };
}

/**
 * The package builds whose program can be kept, by the SHA-256 (hex) of their `dist/index.js`.
 * `test/render/graphviz-wasm.test.ts` fails when the installed build is not listed, and prints its
 * entry.
 */
export const KNOWN_GRAPHVIZ: Readonly<Record<string, KnownGraphviz>> = {
  "550d9cd6ff429f5bd225316fe1faed4f852038c3e1ec609ce113af1f9379ce25": {
    version: "1.29.2",
    binding: "Lr",
    wasmSha256: "f918f648ff18937b2aa6d3f8b08cd28453a619fa3eb3720c4d0b79345ba68cc7",
    wasmBytes: 1_596_320,
    programText: { start: 69_757, end: 802_942 },
  },
};

/**
 * Where the program came from: `kept` (read from the directory), `decoded` (decoded by the package;
 * `written` says whether the directory now keeps it), or `package` (the package imported as it is:
 * no directory, or a build not in {@link KNOWN_GRAPHVIZ}).
 */
export type GraphvizProgram =
  { from: "kept" } | { from: "decoded"; written: boolean; problem?: string } | { from: "package"; problem?: string };

export interface LoadedGraphviz {
  graphviz: Layout;
  program: GraphvizProgram;
}

/** The file a directory keeps a build's program in (named by the program's SHA-256). */
export function keptProgramPath(dir: string, known: KnownGraphviz): string {
  return join(dir, `${KEPT_PREFIX}${known.wasmSha256.slice(0, 16)}${KEPT_SUFFIX}`);
}

const KEPT_PREFIX = "graphviz-";
const KEPT_SUFFIX = ".wasm";
/** Temporary files: `.graphviz.<pid>.<random>.tmp`, the cache's pattern (its clean-up removes those of dead processes). */
const TMP_PREFIX = ".graphviz.";

/**
 * Removes the Graphviz programs kept in `dir` (and their leftover temporary files); returns how
 * many bytes went. Nothing happens when the directory does not exist.
 */
export function removeKeptPrograms(dir: string): number {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const name of names) {
    const ours = name.startsWith(KEPT_PREFIX) && name.endsWith(KEPT_SUFFIX);
    const tmp = name.startsWith(TMP_PREFIX) && name.endsWith(".tmp");
    if (!ours && !tmp) continue;
    try {
      const p = join(dir, name);
      const size = statSync(p).size;
      unlinkSync(p);
      if (ours) bytes += size;
    } catch {
      // gone already
    }
  }
  return bytes;
}

/** The package's module, evaluated with a way to its decoded program. */
interface Evaluated {
  Graphviz: { load(): Promise<Layout> };
  /** The variable `Graphviz.load()` keeps the decoded program in, and decodes into when it is empty. */
  program: unknown;
}

/**
 * Evaluates the package's module text (the text of a listed build: no imports, no `import.meta`,
 * one `export {…}` list at its end) as the body of a function that returns its `Graphviz` class and
 * a getter and setter of `binding`; null when the text does not end that way. Each call is a fresh
 * instance of the package. (A function rather than a module: importing changed module text takes a
 * `data:` URL, which the module map keeps, 1 MB more.)
 */
function evaluate(source: string, binding: string): Evaluated | null {
  const at = source.lastIndexOf("export{");
  const tail = /^export\{((?:[\w$]+ as [\w$]+,)*[\w$]+ as [\w$]+)\};?\s*(?:\/\/# sourceMappingURL=\S*\s*)?$/.exec(source.slice(at));
  if (at < 0 || !tail || !/^[A-Za-z_$][\w$]*$/.test(binding)) return null;
  const local = tail[1]!
    .split(",")
    .map((pair) => pair.split(" as "))
    .find(([, exported]) => exported === "Graphviz")?.[0];
  if (!local) return null;
  const body = `"use strict";${source.slice(0, at)}\n;return { Graphviz: ${local}, get program() { return ${binding}; }, set program(p) { ${binding} = p; } };`;
  // The text of a package build identified by its SHA-256 (never text from the cache directory).
  return (new Function(body) as () => Evaluated)();
}

/**
 * A Graphviz instance, its program kept in (and read from) `keepIn` when that is a directory and
 * the installed package is a build listed in `known`; with `keepIn` null, exactly the package's
 * `Graphviz.load()`. `tiering` is held while the module is instantiated (tiering.ts).
 *
 * @throws what `Graphviz.load()` throws; never for the kept file or its directory.
 */
export async function loadGraphviz(
  keepIn: string | null,
  known: Readonly<Record<string, KnownGraphviz>> = KNOWN_GRAPHVIZ,
  tiering: WasmTiering | null = null,
): Promise<LoadedGraphviz> {
  const plain = async (problem?: string): Promise<LoadedGraphviz> => {
    const { Graphviz } = await import("@hpcc-js/wasm-graphviz");
    const graphviz = await whileInstantiating(tiering, () => Graphviz.load());
    return { graphviz, program: problem ? { from: "package", problem } : { from: "package" } };
  };
  if (keepIn === null) return plain();
  let text: Buffer;
  try {
    text = readFileSync(createRequire(import.meta.url).resolve("@hpcc-js/wasm-graphviz"));
  } catch (e) {
    return plain(`cannot read the package (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  // Hashed as bytes: hashing the text as a string cost 2.5-5 MB more resident memory.
  const build = known[sha256(text)];
  if (!build) return plain("not a build whose program can be kept");
  const source = text.toString("utf8");
  const file = keptProgramPath(keepIn, build);
  const kept = readKept(file, build);

  let mod: Evaluated | null;
  try {
    mod = evaluate(kept ? withoutProgramText(source, build) : source, build.binding);
  } catch {
    mod = null;
  }
  if (!mod) return plain("its module text is not as expected");
  if (kept) mod.program = kept;
  const { Graphviz } = mod;
  const graphviz = await whileInstantiating(tiering, () => Graphviz.load());
  if (kept) return { graphviz, program: { from: "kept" } };

  // Decoded by the package: keep what it decoded, when that is the program listed.
  const decoded = mod.program;
  if (!(decoded instanceof Uint8Array) || !isProgram(decoded, build)) {
    return { graphviz, program: { from: "decoded", written: false, problem: "the package decoded another program than the one listed" } };
  }
  const problem = writeKept(keepIn, file, decoded);
  return { graphviz, program: problem ? { from: "decoded", written: false, problem } : { from: "decoded", written: true } };
}

/**
 * The module text with its encoded program's literal emptied, when the listed place holds one
 * quoted literal (the text was identified by its hash, so it does); else the text as it is.
 */
export function withoutProgramText(source: string, build: KnownGraphviz): string {
  const { start, end } = build.programText;
  const quote = source[start];
  const literal = (quote === "'" || quote === '"') && end > start + 1 && source.indexOf(quote, start + 1) === end - 1;
  return literal ? `${source.slice(0, start)}''${source.slice(end)}` : source;
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function isProgram(bytes: Uint8Array, build: KnownGraphviz): boolean {
  return bytes.length === build.wasmBytes && sha256(bytes) === build.wasmSha256;
}

/** The kept program, or null when there is none or it is not exactly the listed one. */
function readKept(file: string, build: KnownGraphviz): Uint8Array | null {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return null;
  }
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  return isProgram(bytes, build) ? bytes : null;
}

/** Writes the program atomically; returns why not, or null. */
function writeKept(dir: string, file: string, program: Uint8Array): string | null {
  const tmp = join(dir, `${TMP_PREFIX}${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(tmp, program, { mode: 0o600 });
    renameSync(tmp, file);
    return null;
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // not created
    }
    return `cannot write ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  }
}
