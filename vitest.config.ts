import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Worker threads started from the TypeScript sources load them through these module hooks
    // (see src/threads.ts); workers inherit the test process's execArgv.
    execArgv: ["--import", fileURLToPath(new URL("./test/helpers/ts-loader.mjs", import.meta.url))],
    // Removes the temporary folders a test file made (test/helpers/temp-dir.ts) once its tests are done.
    setupFiles: ["./test/helpers/remove-temp-dirs.ts"],
    // CLI tests spawn the real binary and render PNGs: seconds, not milliseconds, on 2 cores.
    // On the shared 2-core machine under load, one PNG render alone has taken 20 s.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // The snapshot cache is off in tests (and so never writes into the user's cache directory);
    // the cache's own tests turn it on with a temporary BACKREFS_CACHE_DIR.
    env: { BACKREFS_CACHE: "0" },
  },
});
