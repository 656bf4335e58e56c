/**
 * For the tests of the read-ahead thread started with the command line (src/cli/read-ahead-early.ts):
 * a cache directory (in a temporary folder, removed after the file's tests) holding entries of given
 * sizes for tiny snapshot files — the entry's size is all that is looked at, so a sparse file stands
 * for a big entry — and the cache's environment put back after each test.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { entryPathIn } from "../../src/cache/entry-name.js";
import { EARLY_READ_AHEAD_MIN_BYTES } from "../../src/cli/read-ahead-early.js";
import { tempDir } from "./temp-dir.js";

/** Snapshots with an entry just big enough (`big`), one byte short (`small`), and none (`uncached`). */
export function earlyCache(prefix: string): { dir: string; cache: string; big: string; small: string; uncached: string } {
  const dir = tempDir(prefix);
  const cache = join(dir, "cache");
  mkdirSync(cache);
  const snapshot = (name: string, entryBytes?: number): string => {
    const file = join(dir, name);
    writeFileSync(file, "{}");
    if (entryBytes !== undefined) {
      const fd = openSync(entryPathIn(cache, realpathSync(file)), "w");
      ftruncateSync(fd, entryBytes);
      closeSync(fd);
    }
    return file;
  };
  return {
    dir,
    cache,
    big: snapshot("big.heapsnapshot", EARLY_READ_AHEAD_MIN_BYTES),
    small: snapshot("small.heapsnapshot", EARLY_READ_AHEAD_MIN_BYTES - 1),
    uncached: snapshot("uncached.heapsnapshot"),
  };
}

/** Puts BACKREFS_CACHE and BACKREFS_CACHE_DIR back as they are now, and BACKREFS_PARALLEL away: for `afterEach`. */
export function cacheEnvRestorer(): () => void {
  const saved = { BACKREFS_CACHE: process.env["BACKREFS_CACHE"], BACKREFS_CACHE_DIR: process.env["BACKREFS_CACHE_DIR"] };
  return () => {
    delete process.env["BACKREFS_PARALLEL"];
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
