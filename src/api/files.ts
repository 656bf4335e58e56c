/**
 * Writing a picture or a report from the library: atomically (a temporary file next to the target,
 * then a rename), so that a failure never leaves a half-written file where the user looks.
 */
import { promises as fsp } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { QueryError } from "../errors.js";

export type OutputFormat = "dot" | "svg" | "png" | "json" | "text";

/** The format named by a file's extension (`.dot`/`.gv`, `.svg`, `.png`, `.json`, `.txt`). */
export function formatOfFile(path: string): OutputFormat {
  const ext = extname(path).toLowerCase().slice(1);
  if (ext === "dot" || ext === "gv") return "dot";
  if (ext === "svg" || ext === "png" || ext === "json") return ext;
  if (ext === "txt") return "text";
  throw new QueryError(`cannot tell the format of '${path}' from its extension`, "use .dot, .svg, .png, .json or .txt, or say format");
}

let tmpSeq = 0;

/** Writes `data` to `path` through a temporary file and a rename; creates the directory if needed. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${++tmpSeq}.tmp`);
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => {});
    throw e;
  }
}
