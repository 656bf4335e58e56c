/**
 * Which commands start the layout worker as soon as the command line is read (draw-early.ts): a
 * picture that Graphviz lays out (SVG, PNG, DOT), of a snapshot file below the size whose worker
 * starts late.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { drawsPicture, fileSize, LATE_LAYOUT_MIN_BYTES } from "../../src/cli/draw-early.js";
import { outputTargets } from "../../src/cli/draw.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("drawsPicture", () => {
  it("agrees with the output targets the command draws", () => {
    const cases: Array<[string[] | undefined, string | undefined]> = [
      [undefined, undefined],
      [["x.svg"], undefined],
      [["x.png"], undefined],
      [["x.dot"], undefined],
      [["x.gv"], undefined],
      [["x.json"], undefined],
      [["x.txt"], undefined],
      [["x.json", "x.txt"], undefined],
      [["x.txt", "x.SVG"], undefined],
      [["-"], undefined],
      [["-"], "json"],
      [["-"], "text"],
      [["out"], "png"],
      [["out"], "text"],
      [undefined, "dot"],
      [undefined, "json"],
    ];
    for (const [outputs, format] of cases) {
      const targets = outputTargets(outputs, format as never, false);
      const laidOut = targets.some((t) => t.format === "svg" || t.format === "png" || t.format === "dot");
      expect(drawsPicture(outputs, format), JSON.stringify([outputs, format])).toBe(laidOut);
    }
  });

  it("sizes files, standard input and missing files (the late start is for big files)", () => {
    const dir = tempDir("backrefs-early-");
    const file = join(dir, "x.heapsnapshot");
    writeFileSync(file, "0123456789");
    expect(fileSize(file)).toBe(10);
    expect(fileSize("-")).toBe(0);
    expect(fileSize(join(dir, "missing"))).toBe(0);
    expect(LATE_LAYOUT_MIN_BYTES).toBeGreaterThan(10);
  });
});
