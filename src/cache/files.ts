/** Small file helpers the cache's reader and store share. */
import { statSync, unlinkSync, type BigIntStats } from "node:fs";

/** Removes a file; nothing when it is gone already or cannot be removed (a read-only cache). */
export function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // not created, gone already, or not ours to remove
  }
}

/**
 * What `path` names now, when it is the file `id` was taken of (the same inode on the same
 * device); null when it is another file, or none.
 */
export function sameFileAt(path: string, id: { ino: bigint | string; dev: bigint | string }): BigIntStats | null {
  try {
    const now = statSync(path, { bigint: true });
    return String(now.ino) === String(id.ino) && String(now.dev) === String(id.dev) ? now : null;
  } catch {
    return null;
  }
}
