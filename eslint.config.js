// Correctness rules for the TypeScript sources, tests, scripts and benchmarks: ESLint's and
// typescript-eslint's recommended sets. Formatting is Prettier's job (.prettierrc.json); no style
// rule here. Run with `npm run lint`; `npm test` runs it before the tests.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "bench/node_modules/", "bench/data/", "bench/out/", "coverage/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // Matching control characters is the point of the sanitisers (heap text is hostile).
      "no-control-regex": "off",
      // `_`-prefixed names are deliberately unused (destructuring, callback parameters).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
