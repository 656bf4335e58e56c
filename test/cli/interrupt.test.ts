/**
 * Ctrl-C (SIGINT) and SIGTERM: the process stops at once and leaves no output file behind —
 * whether the signal comes while the snapshot is being read, or while the output file is being
 * written.
 */
import { spawn } from "node:child_process";
import { readdirSync, watch } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";
import { tempDir } from "../helpers/temp-dir.js";

const BIN = resolve(import.meta.dirname, "../../bin/backrefs.js");

function interrupted(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; files: string[] }> {
  const dir = tempDir("backrefs-int-");
  const b = new SnapshotBuilder();
  const t = b.node("object", "Target");
  b.edge(b.gcRoots, t, "element", 0);
  const text = b.serialize();
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, "-", "--type", "Target", "-o", join(dir, "out.svg")], {
      cwd: dir,
      stdio: ["pipe", "ignore", "pipe"],
    });
    // Half a snapshot, then nothing: backrefs is waiting for the rest when the signal comes.
    child.stdin.write(text.slice(0, text.length >> 1));
    setTimeout(() => child.kill(signal), 400);
    child.on("exit", (code, sig) => done({ code, signal: sig, files: readdirSync(dir) }));
  });
}

describe("interruption", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} while reading stops the process and leaves no file`, async () => {
      const r = await interrupted(signal);
      expect(r.signal === signal || r.code === 130).toBe(true);
      expect(r.files).toEqual([]);
    });
  }
});

/**
 * The output being written: the CLI's own output writer (compiled, as the binary runs it) writes
 * 256 MB, long enough to be caught in the act. The moment its temporary file appears, the child is
 * frozen (SIGSTOP) and the folder looked at: the temporary file is there and the output is not, so
 * the signal really comes mid-write. Then the signal, and SIGCONT to deliver it.
 */
function interruptedWhileWriting(
  signal: NodeJS.Signals,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; caught: string[]; files: string[] }> {
  const dir = tempDir("backrefs-int-write-");
  const io = pathToFileURL(resolve(import.meta.dirname, "../../dist/cli/io.js")).href;
  const script = `const { writeOutput } = await import(${JSON.stringify(io)});
await writeOutput(${JSON.stringify(join(dir, "out.png"))}, new Uint8Array(256 << 20).fill(7));`;
  return new Promise((done) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, stdio: "ignore" });
    let caught: string[] = [];
    const watcher = watch(dir, () => {
      if (caught.length > 0 || !readdirSync(dir).some((f) => f.endsWith(".tmp"))) return;
      child.kill("SIGSTOP");
      caught = readdirSync(dir);
      child.kill(signal);
      child.kill("SIGCONT");
    });
    child.on("exit", (code, sig) => {
      watcher.close();
      done({ code, signal: sig, caught, files: readdirSync(dir) });
    });
  });
}

describe("interruption while the output file is being written", () => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`${signal} removes the half-written file and leaves none behind`, async () => {
      const r = await interruptedWhileWriting(signal);
      expect(r.caught, "frozen mid-write: only the temporary file").toHaveLength(1);
      expect(r.caught[0]).toMatch(/^\.out\.png\.\d+\.\d+\.tmp$/);
      expect(r.signal === signal || r.code === 130).toBe(true);
      expect(r.files).toEqual([]);
    }, 120_000);
  }
});
