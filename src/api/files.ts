/**
 * Writing a picture or a report: the format a file's name asks for, and the write itself,
 * atomically (a temporary file next to the target, then a rename), so that a failure never leaves
 * a half-written file where the user looks. The library and the CLI both write through here.
 */
import { promises as fsp, unlinkSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { QueryError } from "../errors.js";

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

/** Writes `data` to `path` through a temporary file and a rename; creates the directory if needed. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
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
