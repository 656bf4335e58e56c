/**
 * A test file that imports backrefs/vitest's expectNoLeaks leaves the setup file a way to load the
 * snapshot reader before the file's first snapshot.
 */
import { describe, expect, it } from "vitest";
import { PREPARE_KEY } from "../../src/vitest/options.js";

describe("the reader loaded before a file's first snapshot", () => {
  it("is offered by the expectNoLeaks entry, and loads the snapshot reader", async () => {
    const g = globalThis as unknown as Record<symbol, unknown>;
    delete g[PREPARE_KEY];
    await import("../../src/vitest/index.js");
    const prepare = g[PREPARE_KEY];
    expect(typeof prepare).toBe("function");
    await (prepare as () => Promise<void>)();
    // Loaded: importing it again finds the module the loader already holds.
    const { readSnapshotRaw } = await import("../../src/snapshot/read.js");
    expect(typeof readSnapshotRaw).toBe("function");
  });
});
