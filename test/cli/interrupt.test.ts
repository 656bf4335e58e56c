/**
 * Ctrl-C (SIGINT) and SIGTERM: the process stops at once and leaves no output file behind.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { SnapshotBuilder } from "../helpers/snapshot-builder.js";

const BIN = resolve(import.meta.dirname, "../../bin/backrefs.js");

function interrupted(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; files: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "backrefs-int-"));
  const b = new SnapshotBuilder();
  const t = b.node("object", "Target");
  b.edge(b.gcRoots, t, "element", 0);
  const text = b.serialize();
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, "-", "--type", "Target", "-o", join(dir, "out.svg")], { cwd: dir, stdio: ["pipe", "ignore", "pipe"] });
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
