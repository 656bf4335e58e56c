import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // CLI tests spawn the real binary and render PNGs: seconds, not milliseconds, on 2 cores — and
    // minutes when the machine is shared. A limit only catches hangs; speed is measured in bench/.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
