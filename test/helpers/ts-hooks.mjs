// Module hooks that let Node run this repository's TypeScript sources directly, for the test suite
// only: a worker thread started from a `.ts` file (src/threads.ts starts the file next to its
// caller, whatever its extension) loads it through these hooks, registered by
// test/helpers/ts-loader.mjs, which vitest.config.ts passes to the test processes in `execArgv`
// (worker threads inherit it).
//
// `./x.js` imports resolve to `./x.ts` where only the source exists, as under tsc's NodeNext rules.
// Types are erased with TypeScript's own transpiler, no type check (`npm test` runs tsc for that).
// Loading TypeScript takes a second of CPU, so each transpiled file is cached on disk by content
// hash (node_modules/.cache/backrefs-ts) and TypeScript is only loaded on a miss.
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CACHE = join(dirname(fileURLToPath(import.meta.url)), "../../node_modules/.cache/backrefs-ts");
let typescript;

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !/^\.\.?\//.test(specifier) || !specifier.endsWith(".js")) throw error;
    return nextResolve(specifier.slice(0, -3) + ".ts", context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, "utf8");
  const cached = join(CACHE, createHash("sha256").update(path).update("\0").update(source).digest("hex") + ".js");
  let output;
  try {
    output = await readFile(cached, "utf8");
  } catch {
    typescript ??= (await import("typescript")).default;
    output = typescript.transpileModule(source, {
      fileName: path,
      compilerOptions: { module: typescript.ModuleKind.ESNext, target: typescript.ScriptTarget.ES2022, inlineSourceMap: true },
    }).outputText;
    await mkdir(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(tmp, output);
    await rename(tmp, cached); // atomic: parallel test processes may write the same entry
  }
  return { format: "module", source: output, shortCircuit: true };
}
