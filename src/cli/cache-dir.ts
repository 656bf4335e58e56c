/**
 * Where the snapshot cache lives and whether the environment turns it off (see cache.ts), apart
 * from the cache itself: what starts a picture's layout worker first thing (draw-early.ts) needs the
 * directory before the cache's modules are loaded.
 */
import { homedir } from "node:os";
import { join } from "node:path";

/** The cache directory from the environment (see the top of cache.ts). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env["BACKREFS_CACHE_DIR"];
  if (own) return own;
  const xdg = env["XDG_CACHE_HOME"];
  if (xdg) return join(xdg, "backrefs");
  if (process.platform === "darwin") return join(homedir(), "Library", "Caches", "backrefs");
  if (process.platform === "win32" && env["LOCALAPPDATA"]) return join(env["LOCALAPPDATA"], "backrefs", "cache");
  return join(homedir(), ".cache", "backrefs");
}

/** The cache directory when the cache is on (`cacheOn`: no `--no-cache`, and not off by the environment), else null. */
export function activeCacheDir(cacheOn: boolean): string | null {
  return cacheOn && !cacheOffByEnvironment() ? cacheDir() : null;
}

/** Whether the environment turns the cache off. */
export function cacheOffByEnvironment(): boolean {
  const env = (process.env["BACKREFS_CACHE"] ?? "").toLowerCase();
  return env === "0" || env === "off" || env === "false" || env === "no";
}
