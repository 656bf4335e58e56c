/**
 * Writing a picture or a report: the format a file's name asks for, and the write itself,
 * atomically (a temporary file next to the target, then a rename), so that a failure never leaves
 * a half-written file where the user looks. The library and the CLI both write through here.
 */
import { promises as fsp, unlinkSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { OutputError, QueryError } from "../errors.js";

export type OutputFormat = "dot" | "svg" | "png" | "json" | "text";

/** The format a file's extension names (`.dot`/`.gv`, `.svg`, `.png`, `.json`, `.txt`/`.text`), or null. */
export function formatOfExtension(path: string): OutputFormat | null {
  const ext = extname(path).toLowerCase().slice(1);
  if (ext === "dot" || ext === "gv") return "dot";
  if (ext === "svg" || ext === "png" || ext === "json") return ext;
  if (ext === "txt" || ext === "text") return "text";
  return null;
}

/** The format named by a file's extension; a {@link QueryError} when it names none. */
export function formatOfFile(path: string): OutputFormat {
  const format = formatOfExtension(path);
  if (format) return format;
  throw new QueryError(`cannot tell the format of '${path}' from its extension`, "use .dot, .svg, .png, .json or .txt, or say format");
}

export interface WriteOptions {
  /**
   * While the temporary file exists, a SIGINT or SIGTERM removes it and then ends the process by
   * the same signal (what a command-line program wants; a library in someone else's process does
   * not touch their signals, so default false).
   */
  removeOnSignal?: boolean;
}

let tmpSeq = 0;

/** Temporary files being written; see {@link removePendingFiles}. */
const pendingFiles = new Set<string>();

/** Removes every temporary file still being written (on an interrupt, or an error that ends the process). */
export function removePendingFiles(): void {
  for (const f of pendingFiles) {
    try {
      unlinkSync(f);
    } catch {
      // already gone
    }
  }
  pendingFiles.clear();
}

/**
 * Writes `data` to `path` through a temporary file and a rename; creates the directory if needed.
 * A failure of the file system (no space left, no permission...) is an {@link OutputError}.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  try {
    await writeThroughTemporary(path, data, options);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code !== "string" || !(e as NodeJS.ErrnoException).syscall) throw e;
    throw new OutputError(`cannot write ${printable(path)}: ${systemReason(code)}`, "write somewhere else, or make room and run it again");
  }
}

/** A path as one printable line (this module is loaded at start-up, before any renderer). */
function printable(path: string): string {
  return path.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, "?");
}

/** What a file system error code means, in words, with the code. */
function systemReason(code: string): string {
  const words: Record<string, string> = {
    ENOSPC: "no space left on the device",
    EDQUOT: "the disk quota is used up",
    EACCES: "no permission",
    EPERM: "not permitted",
    EROFS: "the file system is read-only",
    ENOENT: "its folder does not exist",
    ENOTDIR: "a part of its path is not a folder",
    EEXIST: "a part of its path is a file",
    EISDIR: "it is a folder",
    EIO: "an input/output error",
    EFBIG: "the file is too large",
  };
  return `${words[code] ?? "the file system refused"} (${code})`;
}

async function writeThroughTemporary(path: string, data: string | Uint8Array, options: WriteOptions): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpSeq}.tmp`);
  pendingFiles.add(tmp);
  const onSignal = (signal: NodeJS.Signals): void => {
    removePendingFiles();
    process.kill(process.pid, signal);
  };
  if (options.removeOnSignal) {
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  }
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  } finally {
    pendingFiles.delete(tmp);
    if (options.removeOnSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}
