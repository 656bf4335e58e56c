import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // CLI tests spawn the real binary and render PNGs: seconds, not milliseconds, on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
