/**
 * A V8 flag held only while WebAssembly is instantiated (src/render/tiering.ts). The flag used here
 * is one whose state a test can see: with `--allow-natives-syntax` V8 compiles `%Name(...)` calls,
 * without it they are a syntax error.
 */
import { afterEach, describe, expect, it } from "vitest";
import { loadGraphviz } from "../../src/render/graphviz-wasm.js";
import { renderPng } from "../../src/render/png.js";
import { closeLayoutWorker, renderSvg } from "../../src/render/svg.js";
import { useWasmTiering, wasmTiering, whileInstantiating, type WasmTiering } from "../../src/render/tiering.js";

let compiled = 0;

/** Whether V8 now compiles a natives call (a new source text each time: V8 keeps compiled functions by their text). */
function nativesAllowed(): boolean {
  try {
    new Function("f", `return %GetOptimizationStatus(f) + ${compiled++}`);
    return true;
  } catch {
    return false;
  }
}

function natives(restore: string | null = "--no-allow-natives-syntax"): WasmTiering {
  return { flag: "--allow-natives-syntax", restore, active: new SharedArrayBuffer(4) };
}

/** A promise and the function that settles it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Gives V8 its own value back (for the tests after this one, in this process). */
async function putBack(): Promise<void> {
  await whileInstantiating(natives(), async () => undefined);
}

afterEach(() => {
  useWasmTiering(null);
  expect(nativesAllowed()).toBe(false);
});

describe("whileInstantiating", () => {
  it("holds the flag while the instantiation runs and restores V8's value after it", async () => {
    expect(nativesAllowed()).toBe(false);
    const seen = await whileInstantiating(natives(), async () => nativesAllowed());
    expect(seen).toBe(true);
    expect(nativesAllowed()).toBe(false);
  });

  it("restores it when the instantiation fails, and passes the failure on", async () => {
    const failing = whileInstantiating(natives(), async () => {
      throw new Error("broken module");
    });
    await expect(failing).rejects.toThrow("broken module");
    expect(nativesAllowed()).toBe(false);
  });

  it("keeps the flag until the last of overlapping instantiations ends", async () => {
    const tiering = natives();
    const first = gate();
    const second = gate();
    const a = whileInstantiating(tiering, () => first.promise);
    const b = whileInstantiating(tiering, () => second.promise);
    first.open();
    await a;
    expect(nativesAllowed()).toBe(true);
    second.open();
    await b;
    expect(nativesAllowed()).toBe(false);
  });

  it("leaves the flag set when V8's own value is not known", async () => {
    await whileInstantiating(natives(null), async () => undefined);
    expect(nativesAllowed()).toBe(true);
    await putBack();
  });

  it("does nothing without a tiering (the library's default)", async () => {
    expect(wasmTiering()).toBeNull();
    expect(await whileInstantiating(null, async () => nativesAllowed())).toBe(false);
  });
});

describe("the picture's instantiations", () => {
  // With no value to restore, the flag stays set after an instantiation: a sign that it ran under it.
  it("Graphviz, loaded in this thread, is instantiated under the tiering it is given", async () => {
    const { graphviz } = await loadGraphviz(null, undefined, natives(null));
    expect(graphviz.layout("digraph { a -> b }", "svg", "dot")).toContain("<svg");
    expect(nativesAllowed()).toBe(true);
    await putBack();
    await loadGraphviz(null);
    expect(nativesAllowed()).toBe(false);
  });

  it("a layout worker started after useWasmTiering instantiates Graphviz under it", async () => {
    await closeLayoutWorker();
    useWasmTiering(natives(null));
    expect(await renderSvg("digraph { a -> b }")).toContain("<svg");
    expect(nativesAllowed()).toBe(true);
    await putBack();
    await closeLayoutWorker();
  });

  it("resvg is instantiated under the tiering set with useWasmTiering", async () => {
    useWasmTiering(natives(null));
    const png = await renderPng('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>');
    expect(Buffer.from(png.subarray(1, 4)).toString()).toBe("PNG");
    expect(nativesAllowed()).toBe(true);
    await putBack();
  });
});
