#!/usr/bin/env node
import { tuneV8ForCli } from "../dist/cli/v8-tuning.js";
import { tuneWasmTiering } from "../dist/cli/wasm-tiering.js";

tuneV8ForCli();
tuneWasmTiering();
const { main } = await import("../dist/cli/main.js");
process.exitCode = await main(process.argv.slice(2));
