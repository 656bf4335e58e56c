// Helpers shared by the peer scripts. Each peer prints exactly one JSON line
// on stdout (its result summary) so run.mjs can check that it did the work.
import fs from "node:fs";

export function argFile() {
  const file = process.argv[2];
  if (!file || !fs.existsSync(file)) {
    console.error(`usage: node ${process.argv[1]} <file.heapsnapshot> [args]`);
    process.exit(2);
  }
  return file;
}

export function report(obj) {
  const ru = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({
      ...obj,
      selfMaxRssMB: Math.round(ru.maxRSS / 1024),
      cpuS: Math.round((ru.userCPUTime + ru.systemCPUTime) / 1e4) / 100,
    }) + "\n",
  );
}

export const TARGET_CLASS = process.env.BENCH_TARGET_CLASS || "LeakyRequest";
