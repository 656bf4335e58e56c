// CPU time of each thread of a backrefs process (Linux), printed on stderr when the process (or a
// worker thread) ends: `threadcpu MAIN:<ms> node:<ms> ...`, from /proc/self/task/<tid>/stat at
// 10 ms resolution. The main thread's is the one to compare between builds on a shared machine:
// the whole process' CPU time does not change when work moves to another thread, and the wall time
// drifts with the load. Threads that already ended are not listed; the last line printed is the
// process' own.
//
//   node --import ./bench/thread-cpu.mjs bin/backrefs.js info bench/data/large.heapsnapshot --json --no-retained -q
import fs from "node:fs";

const TICKS_PER_SECOND = 100;
process.on("exit", () => {
  const out = [];
  for (const tid of fs.readdirSync("/proc/self/task")) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ms = ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
      if (ms > 0) out.push(`${Number(tid) === process.pid ? "MAIN" : name}:${ms}`);
    } catch {
      // the thread ended meanwhile
    }
  }
  process._rawDebug(`threadcpu ${out.join(" ")}`);
});
