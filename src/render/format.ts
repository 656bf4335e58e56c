/**
 * Small presentation helpers shared by the pictures (DOT/SVG/PNG) and the CLI's text output:
 * byte sizes, counts, DevTools edge notation, and making untrusted heap strings printable.
 *
 * Nothing here escapes for a particular output format (DOT, HTML, XML, terminal): these functions
 * only turn data into plain, printable text. Each writer escapes that text for its own syntax.
 */
import { isRuntimeScript } from "../query/generic-classes.js";

const BYTE_UNITS = ["B", "kB", "MB", "GB", "TB", "PB"] as const;

/**
 * A byte count in human units, 1000-based like Chrome DevTools: `48 B`, `1.2 kB`, `340 kB`, `3.4 MB`.
 * One decimal below 100 of a unit, none above (DevTools' rule); negative values keep their sign
 * (growth can shrink); `NaN`/`Infinity` print as `?`.
 *
 * @example
 * formatBytes(48)        // "48 B"
 * formatBytes(1234)      // "1.2 kB"
 * formatBytes(3_400_000) // "3.4 MB"
 * formatBytes(-1500)     // "-1.5 kB"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "?";
  const sign = bytes < 0 ? "-" : "";
  let value = Math.abs(bytes);
  if (value < 1000) return `${sign}${Math.round(value)} B`;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let text = value < 100 ? value.toFixed(1) : value.toFixed(0);
  // 999.96 kB rounds to "1000.0": move up a unit instead of printing four digits.
  if (Number(text) >= 1000 && unit < BYTE_UNITS.length - 1) {
    unit++;
    text = (value / 1000).toFixed(1);
  }
  return `${sign}${text} ${BYTE_UNITS[unit]}`;
}

/**
 * An integer with `,` thousands separators, independent of the machine's locale (output must be
 * byte-identical everywhere).
 *
 * @example
 * formatCount(1234567) // "1,234,567"
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return "?";
  const sign = n < 0 ? "-" : "";
  const digits = String(Math.round(Math.abs(n)));
  return sign + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/**
 * Characters that must never reach a picture or a terminal:
 * - C0 and C1 control characters and DEL (invalid in XML, or terminal escape sequences);
 * - U+2028/U+2029 (line breaks in disguise) and the bidi embedding/override/isolate controls
 *   (U+202A–U+202E, U+2066–U+2069: "Trojan source" text that displays differently from what it is);
 * - U+FFFE and U+FFFF (not XML characters);
 * - lone surrogates (not Unicode; invalid XML, and resvg refuses the SVG).
 */
const UNPRINTABLE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Make an untrusted string printable: every character listed above becomes U+FFFD `�`.
 * Well-formed text (any language, emoji) is left alone. The result is valid XML character data
 * once `& < > "` are escaped, and safe to print on a terminal.
 *
 * @example
 * sanitizeText("a\u0000b\ud800c") // "a�b�c"
 */
export function sanitizeText(text: string): string {
  return text.replace(UNPRINTABLE, "\ufffd");
}

/**
 * A module's file as a picture or a line shows it: `file://` left out, and a long path cut at its
 * start (`…/src/users.mjs`), where the file's own name is.
 *
 * @example
 * moduleText("file:///home/ada/app/src/users.mjs", 20) // "module …/src/users.mjs"
 */
export function moduleText(file: string, max = 40): string {
  if (file === "") return "module";
  return `module ${fileText(file, max)}`;
}

/**
 * Where a function's code is, short: a package's file from its package name on
 * (`express/lib/router/index.js`), Node's own modules as they are (`node:internal/timers`), any
 * other file by its folder and name (`src/server.js`); at most `max` code points (see
 * {@link fileText}). The whole script name is in the JSON.
 *
 * @example
 * scriptText("/home/ada/app/node_modules/express/lib/router/index.js") // "express/lib/router/index.js"
 * scriptText("file:///home/ada/app/src/server.mjs") // "src/server.mjs"
 */
export function scriptText(script: string, max = 40): string {
  if (isRuntimeScript(script)) return fileText(script, max);
  const parts = (script.startsWith("file://") ? script.slice(7) : script).split(/[/\\]/);
  const packages = parts.lastIndexOf("node_modules");
  const shown = packages >= 0 && packages < parts.length - 1 ? parts.slice(packages + 1) : parts.slice(-2);
  const short = shown.join("/");
  return fileText(short === "" ? script : short, max);
}

/**
 * A file or URL in at most `max` code points: `file://` left out, and when longer, cut at its start
 * (`…/src/users.mjs`), where the file's own name is.
 *
 * @example
 * fileText("/home/ada/app/src/server.js", 16) // "…/src/server.js"
 */
export function fileText(file: string, max = 40): string {
  const f = file.startsWith("file://") ? file.slice(7) : file;
  const points = Array.from(f);
  return points.length <= max ? f : "\u2026" + points.slice(points.length - (max - 1)).join("");
}

/**
 * Cut `text` to at most `max` code points, ending with `…` when cut. Never splits a surrogate pair.
 *
 * @example
 * truncateText("abcdef", 4) // "abc…"
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text; // code units ≥ code points: nothing to cut
  const points = Array.from(text);
  if (points.length <= max) return text;
  if (max <= 1) return "…".slice(0, Math.max(0, max));
  return points.slice(0, max - 1).join("") + "…";
}

/** JavaScript identifier (Unicode-aware), or a `#private` name. */
const IDENTIFIER = /^#?[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;

/**
 * An edge in the notation Chrome DevTools users know:
 *
 * | type | shown as |
 * |---|---|
 * | `property` | `.name`, or `["weird key"]` (JSON-quoted) when the name is not an identifier; `[<symbol x>]` for symbols |
 * | `element` | `[3]` |
 * | `context` | `->name` (a variable captured by a closure) |
 * | `internal` | `{name}` (V8-internal link such as `{map}`) |
 * | `hidden` | `{name}`, or `{hidden}` when the name is only an index |
 * | `shortcut` | `.name` (drawn dashed) |
 * | `weak` | `[[weak]]`, or `[[weak]] name` (drawn dashed) |
 * | anything else | `{type:name}` |
 *
 * The result is plain text that may still hold unprintable characters from the heap: pass it through
 * {@link sanitizeText} (the renderers do) before printing.
 *
 * @example
 * edgeLabel("property", "cache")   // ".cache"
 * edgeLabel("property", "a b")     // '["a b"]'
 * edgeLabel("element", 3)          // "[3]"
 * edgeLabel("context", "listener") // "->listener"
 */
export function edgeLabel(type: string, name: string | number): string {
  const text = String(name);
  switch (type) {
    case "property":
    case "shortcut":
      return propertyLabel(name);
    case "element":
      return `[${text}]`;
    case "context":
      return `->${text}`;
    case "internal":
      return `{${text}}`;
    case "hidden":
      return typeof name === "number" || text === "" ? "{hidden}" : `{${text}}`;
    case "weak":
      return typeof name === "number" || text === "" ? "[[weak]]" : `[[weak]] ${text}`;
    default:
      return `{${type}:${text}}`;
  }
}

function propertyLabel(name: string | number): string {
  if (typeof name === "number") return `[${name}]`;
  if (IDENTIFIER.test(name)) return `.${name}`;
  // V8 names symbol-keyed properties "<symbol description>".
  if (name.startsWith("<symbol") && name.endsWith(">")) return `[${name}]`;
  // JSON.stringify escapes quotes, backslashes, control characters and lone surrogates.
  return `[${JSON.stringify(name)}]`;
}
