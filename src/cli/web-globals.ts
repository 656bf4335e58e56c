/**
 * Node's web fetch globals, taken away from the command-line process, which makes no web requests.
 *
 * Node 20 defines `Request`, `Response`, `Headers` and `FormData` as lazy globals: the first read
 * of any of them loads and compiles Node's whole HTTP client (undici, with http2 and tls). (`fetch`
 * itself is a plain function that loads the client when called; it is left alone.) resvg-wasm's
 * loader reads two of them (`typeof Request`, `typeof Response`) to tell a web response from the
 * WebAssembly it is given, so every PNG paid for that load: 40 ms in a bare `node`, about 80 ms
 * once the command line has set V8 flags (which keep Node from using its compiled code cache for
 * modules it loads afterwards). With the globals gone, the loader sees `undefined` and goes on with
 * the WebAssembly it was handed; bench/README.md has what a PNG command gained.
 *
 * `bin/backrefs.js` calls this once, before it loads the command line; a program that uses the
 * library, or calls `main()` itself, keeps its globals.
 */

/** The globals whose first read loads Node's HTTP client. */
export const FETCH_GLOBALS: readonly string[] = ["Request", "Response", "Headers", "FormData"];

/**
 * Deletes each of {@link FETCH_GLOBALS} from `target` that is still a configurable accessor — Node's
 * lazy loader, not yet read — without reading it. A global already loaded, or defined by the user's
 * own preloaded code as a plain value, is kept. Returns the names deleted.
 */
export function dropFetchGlobals(target: object = globalThis): string[] {
  const dropped: string[] = [];
  for (const name of FETCH_GLOBALS) {
    const d = Object.getOwnPropertyDescriptor(target, name);
    if (d === undefined || !d.configurable || d.get === undefined) continue;
    delete (target as Record<string, unknown>)[name];
    dropped.push(name);
  }
  return dropped;
}
