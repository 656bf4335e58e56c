import { defineConfig } from "vitest/config";

// The leak report: a snapshot before and after each test file (setup file, in the workers), read
// and reported at the end of the run (reporter, in the main process).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["backrefs/vitest/setup"],
    // The report directory can be moved with LEAK_REPORT_DIR (the test suite runs this project too).
    reporters: ["default", ["backrefs/vitest/reporter", { dir: process.env.LEAK_REPORT_DIR ?? "leak-report" }]],
  },
});
