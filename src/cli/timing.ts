/**
 * `BACKREFS_TIMING=1`: one line on stderr per step of a command — milliseconds since the process
 * started, the CPU time the process has used so far (all its threads, user and system), resident
 * memory (MB, with what of it the JavaScript heap and the typed arrays use) and the step — instead
 * of a progress bar, for finding where a command's time and memory go (bench/README.md). On a
 * busy machine the CPU time drifts much less than the time elapsed. For people, not scripts: the
 * lines may change.
 * Kept apart from io.ts so that the first mark costs no module loading.
 */
import type { Streams } from "./io.js";

/** Whether the environment asks for timing marks. */
export function timingMarks(): boolean {
  return process.env["BACKREFS_TIMING"] === "1";
}

/** Writes one timing mark when they are on. */
export function mark(io: Streams, label: string): void {
  if (!timingMarks()) return;
  const m = process.memoryUsage();
  const cpu = process.cpuUsage();
  const mb = (n: number, width: number): string => (n / 1e6).toFixed(0).padStart(width);
  io.stderr.write(
    `timing: ${performance.now().toFixed(0).padStart(6)} ms (CPU ${((cpu.user + cpu.system) / 1000).toFixed(0).padStart(6)} ms) ` +
      `${mb(m.rss, 5)} MB (JS heap ${mb(m.heapUsed, 4)}, array buffers ${mb(m.arrayBuffers, 4)})  ${label}\n`,
  );
}
