import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/api/files.js";
import { OutputError } from "../../src/errors.js";

describe("writeFileAtomic", () => {
  const dirs: string[] = [];
  const scratch = (): string => {
    const d = mkdtempSync(join(tmpdir(), "backrefs-files-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("writes the file whole, and leaves no temporary file", async () => {
    const d = scratch();
    await writeFileAtomic(join(d, "sub", "out.txt"), "hello");
    expect(readdirSync(join(d, "sub"))).toEqual(["out.txt"]);
  });

  it("turns a file system failure into a one-line OutputError naming the file and the reason", async () => {
    const d = scratch();
    writeFileSync(join(d, "plain"), "x");
    // The folder the file should go in is a file: the file system refuses.
    const path = join(d, "plain", "out\nsvg.svg");
    const err = await writeFileAtomic(path, "<svg/>").then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OutputError);
    const e = err as OutputError;
    expect(e.code).toBe("E_OUTPUT");
    expect(e.message).not.toMatch(/[\r\n]/);
    expect(e.message).toMatch(/^cannot write .*out.*svg\.svg: .*\((EEXIST|ENOTDIR)\)$/);
    expect(readdirSync(d)).toEqual(["plain"]);
  });

  it("removes its temporary file when the rename fails (the target is a folder)", async () => {
    const d = scratch();
    mkdirSync(join(d, "out.svg"));
    writeFileSync(join(d, "out.svg", "inside"), "x");
    await expect(writeFileAtomic(join(d, "out.svg"), "<svg/>")).rejects.toBeInstanceOf(OutputError);
    expect(readdirSync(d)).toEqual(["out.svg"]);
  });

  it("passes on errors that are not the file system's", async () => {
    const d = scratch();
    await expect(writeFileAtomic(join(d, "x.txt"), 42 as unknown as string)).rejects.not.toBeInstanceOf(OutputError);
  });
});
