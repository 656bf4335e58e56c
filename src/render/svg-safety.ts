/**
 * A small strict XML tokenizer, and the check that makes Graphviz's SVG safe to embed in docs and web
 * pages whatever the heap held. No dependencies: the SVG Graphviz writes is plain (no namespaces
 * prefixes on elements, no internal DTD subset, no CDATA), so a strict subset of XML 1.0 is enough,
 * and anything outside that subset is refused rather than guessed at.
 */
import { RenderError } from "../errors.js";

/** A malformed document: where and why. */
export class XmlSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = "XmlSyntaxError";
    this.offset = offset;
  }
}

export interface XmlAttr {
  name: string;
  /** The value with entity and character references decoded. */
  value: string;
  /** The raw value's span in the document (between the quotes). */
  valueStart: number;
  valueEnd: number;
}

export type XmlToken =
  | { kind: "text"; start: number; end: number }
  | { kind: "open"; name: string; attrs: XmlAttr[]; selfClosing: boolean; start: number; end: number }
  | { kind: "close"; name: string; start: number; end: number }
  | { kind: "comment" | "pi" | "doctype" | "cdata"; start: number; end: number };

/** Characters outside XML 1.0's `Char` production (controls, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;
const NAME = /[A-Za-z_:][A-Za-z0-9_:.-]*/y;
const WS = /[ \t\r\n]*/y;
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));/y;
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/**
 * Split a document into tokens, checking well-formedness on the way: legal characters only,
 * balanced and properly nested tags, one root element, quoted attributes without duplicates, only
 * the five predefined entities and valid character references, no internal DTD subset.
 *
 * @throws {XmlSyntaxError} on the first violation.
 * @example
 * tokenizeXml('<svg><g class="node"/></svg>').filter((t) => t.kind === "open").length // 2
 */
export function tokenizeXml(doc: string): XmlToken[] {
  const bad = NOT_XML_CHAR.exec(doc);
  if (bad) throw new XmlSyntaxError(`character U+${hex(bad[0])} is not allowed in XML`, bad.index);

  const tokens: XmlToken[] = [];
  const stack: string[] = [];
  let seenRoot = false;
  let seenDoctype = false;
  let i = 0;

  const readName = (at: number): string => {
    NAME.lastIndex = at;
    const m = NAME.exec(doc);
    if (!m) throw new XmlSyntaxError("expected a name", at);
    return m[0];
  };
  const skipWs = (at: number): number => {
    WS.lastIndex = at;
    WS.exec(doc);
    return WS.lastIndex;
  };

  while (i < doc.length) {
    if (doc[i] !== "<") {
      const end = doc.indexOf("<", i) === -1 ? doc.length : doc.indexOf("<", i);
      const raw = doc.slice(i, end);
      if (stack.length === 0 && raw.trim() !== "") throw new XmlSyntaxError("text outside the root element", i);
      if (raw.includes("]]>")) throw new XmlSyntaxError("']]>' in text", i + raw.indexOf("]]>"));
      decode(raw, i);
      tokens.push({ kind: "text", start: i, end });
      i = end;
      continue;
    }
    if (doc.startsWith("<!--", i)) {
      const close = doc.indexOf("-->", i + 4);
      if (close === -1) throw new XmlSyntaxError("unterminated comment", i);
      const body = doc.slice(i + 4, close);
      if (body.includes("--") || body.endsWith("-")) throw new XmlSyntaxError("'--' inside a comment", i);
      tokens.push({ kind: "comment", start: i, end: close + 3 });
      i = close + 3;
      continue;
    }
    if (doc.startsWith("<![CDATA[", i)) {
      if (stack.length === 0) throw new XmlSyntaxError("CDATA outside the root element", i);
      const close = doc.indexOf("]]>", i + 9);
      if (close === -1) throw new XmlSyntaxError("unterminated CDATA section", i);
      tokens.push({ kind: "cdata", start: i, end: close + 3 });
      i = close + 3;
      continue;
    }
    if (doc.startsWith("<!DOCTYPE", i)) {
      if (seenRoot || seenDoctype) throw new XmlSyntaxError("misplaced DOCTYPE", i);
      seenDoctype = true;
      let j = i + 9;
      let quote = "";
      for (; j < doc.length; j++) {
        const c = doc[j];
        if (quote) {
          if (c === quote) quote = "";
        } else if (c === '"' || c === "'") quote = c;
        else if (c === "[") throw new XmlSyntaxError("internal DTD subsets are not accepted", j);
        else if (c === ">") break;
      }
      if (j >= doc.length) throw new XmlSyntaxError("unterminated DOCTYPE", i);
      tokens.push({ kind: "doctype", start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    if (doc.startsWith("<?", i)) {
      const close = doc.indexOf("?>", i + 2);
      if (close === -1) throw new XmlSyntaxError("unterminated processing instruction", i);
      const target = readName(i + 2);
      if (target.toLowerCase() === "xml" && i !== 0) throw new XmlSyntaxError("XML declaration not at the start", i);
      tokens.push({ kind: "pi", start: i, end: close + 2 });
      i = close + 2;
      continue;
    }
    if (doc.startsWith("</", i)) {
      const name = readName(i + 2);
      const j = skipWs(i + 2 + name.length);
      if (doc[j] !== ">") throw new XmlSyntaxError(`expected '>' to close </${name}`, j);
      const open = stack.pop();
      if (open !== name) throw new XmlSyntaxError(`</${name}> does not match <${open ?? "nothing"}>`, i);
      tokens.push({ kind: "close", name, start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    // Start tag.
    if (stack.length === 0 && seenRoot) throw new XmlSyntaxError("a second root element", i);
    const name = readName(i + 1);
    let j = i + 1 + name.length;
    const attrs: XmlAttr[] = [];
    let selfClosing = false;
    for (;;) {
      const afterWs = skipWs(j);
      if (doc.startsWith("/>", afterWs)) {
        selfClosing = true;
        j = afterWs + 2;
        break;
      }
      if (doc[afterWs] === ">") {
        j = afterWs + 1;
        break;
      }
      if (afterWs >= doc.length) throw new XmlSyntaxError(`unterminated <${name}>`, i);
      if (afterWs === j) throw new XmlSyntaxError("expected whitespace before an attribute", j);
      const attrName = readName(afterWs);
      let k = skipWs(afterWs + attrName.length);
      if (doc[k] !== "=") throw new XmlSyntaxError(`expected '=' after ${attrName}`, k);
      k = skipWs(k + 1);
      const quote = doc[k];
      if (quote !== '"' && quote !== "'") throw new XmlSyntaxError(`unquoted value for ${attrName}`, k);
      const close = doc.indexOf(quote, k + 1);
      if (close === -1) throw new XmlSyntaxError(`unterminated value for ${attrName}`, k);
      const raw = doc.slice(k + 1, close);
      if (raw.includes("<")) throw new XmlSyntaxError(`'<' in the value of ${attrName}`, k + 1 + raw.indexOf("<"));
      if (attrs.some((a) => a.name === attrName)) throw new XmlSyntaxError(`duplicate attribute ${attrName}`, afterWs);
      attrs.push({ name: attrName, value: decode(raw, k + 1), valueStart: k + 1, valueEnd: close });
      j = close + 1;
    }
    tokens.push({ kind: "open", name, attrs, selfClosing, start: i, end: j });
    seenRoot = true;
    if (!selfClosing) stack.push(name);
    i = j;
  }
  if (stack.length > 0) throw new XmlSyntaxError(`<${stack[stack.length - 1]}> is never closed`, doc.length);
  if (!seenRoot) throw new XmlSyntaxError("no root element", 0);
  return tokens;
}

/** Decode references in text or an attribute value, refusing bare `&` and unknown entities. */
function decode(raw: string, offset: number): string {
  if (!raw.includes("&")) return raw;
  let out = "";
  let last = 0;
  for (let amp = raw.indexOf("&"); amp !== -1; amp = raw.indexOf("&", last)) {
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(raw);
    if (!m) throw new XmlSyntaxError("'&' that does not start a valid reference", offset + amp);
    let ch: string;
    if (m[1] !== undefined) ch = PREDEFINED[m[1]]!;
    else {
      const code = m[2] !== undefined ? parseInt(m[2], 10) : parseInt(m[3]!, 16);
      if (code > 0x10ffff) throw new XmlSyntaxError("character reference out of range", offset + amp);
      ch = String.fromCodePoint(code);
      if (NOT_XML_CHAR.test(ch)) throw new XmlSyntaxError(`reference to U+${hex(ch)}, not an XML character`, offset + amp);
    }
    out += raw.slice(last, amp) + ch;
    last = amp + m[0].length;
  }
  return out + raw.slice(last);
}

function hex(ch: string): string {
  return ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
}

/** What Graphviz's SVG renderer writes; anything else (script, foreignObject, animate, image...) is refused. */
const ALLOWED_ELEMENTS = new Set([
  "svg",
  "g",
  "title",
  "desc",
  "text",
  "tspan",
  "a",
  "polygon",
  "polyline",
  "path",
  "ellipse",
  "circle",
  "rect",
  "line",
  "defs",
  "linearGradient",
  "radialGradient",
  "stop",
]);

/** Patterns a naive scanner (or a browser) could read as active content. */
const SCRIPT_URL = /(?:java|vb)script:/i;
const EVENT_ATTR_TEXT = /(\bon[a-z]*)(\s*)=/gi;
const SCHEME_TEXT = /(script)(\s*):/gi;

/**
 * Check and tidy an SVG written by Graphviz so it is safe to embed anywhere:
 *
 * - it must be well-formed XML ({@link tokenizeXml});
 * - only the elements Graphviz writes are allowed (no `<script>`, `<foreignObject>`, `<animate>`...);
 * - no `on*` event attributes, no `href`/`xlink:href` with a `javascript:`, `vbscript:` or `data:` URL;
 * - in text and tooltips, `script:` and `on…=` (harmless there, since `<` is escaped) are written
 *   with character references (`script&#58;`, `onload&#61;`), which XML readers decode to the same
 *   text, so that no byte sequence of the file looks like active content to a naive filter either;
 * - comments that would echo such text are dropped (Graphviz's own comments only hold ids).
 *
 * @throws {RenderError} when the SVG is malformed or holds active content that cannot be tidied.
 * @example
 * const safe = secureSvg(graphvizOutput);
 */
export function secureSvg(svg: string): string {
  let tokens: XmlToken[];
  try {
    tokens = tokenizeXml(svg);
  } catch (e) {
    if (e instanceof XmlSyntaxError) {
      throw new RenderError(`Graphviz produced an SVG that is not valid XML: ${e.message}`, "this is a bug; please report it");
    }
    throw e;
  }
  const refuse = (what: string): never => {
    throw new RenderError(`refusing to write an SVG with ${what}`, "this is a bug; please report it with the input");
  };

  const out: string[] = [];
  let last = 0;
  for (const t of tokens) {
    if (t.kind === "text") {
      out.push(svg.slice(last, t.start), neutralize(svg.slice(t.start, t.end)));
      last = t.end;
    } else if (t.kind === "cdata") {
      refuse("a CDATA section");
    } else if (t.kind === "comment") {
      const body = svg.slice(t.start, t.end);
      out.push(svg.slice(last, t.start));
      if (!SCRIPT_URL.test(body) && !/\bon[a-z]*\s*=/i.test(body) && !/<\s*script/i.test(body)) out.push(body);
      last = t.end;
    } else if (t.kind === "open") {
      if (!ALLOWED_ELEMENTS.has(t.name)) refuse(`a <${t.name}> element`);
      for (const a of t.attrs) {
        const local = a.name.includes(":") ? a.name.slice(a.name.indexOf(":") + 1) : a.name;
        if (/^on/i.test(local)) refuse(`an event attribute (${a.name})`);
        if (local === "href" || local === "src") {
          const url = a.value.replace(/[\u0000-\u0020\u007f-\u009f]/g, "").toLowerCase();
          if (/^(?:javascript|vbscript|data):/.test(url)) refuse(`a script or data URL in ${a.name}`);
        }
        if (local === "title") {
          out.push(svg.slice(last, a.valueStart), neutralize(svg.slice(a.valueStart, a.valueEnd)));
          last = a.valueEnd;
        } else if (SCRIPT_URL.test(a.value)) {
          refuse(`a script URL in ${a.name}`);
        }
      }
    }
  }
  out.push(svg.slice(last));
  const result = out.join("");
  if (SCRIPT_URL.test(result) || /<\s*script/i.test(result)) refuse("script content");
  return result;
}

/** Re-encode `script:` and `on…=` in character data; the decoded text is unchanged. */
function neutralize(raw: string): string {
  return raw.replace(SCHEME_TEXT, "$1$2&#58;").replace(EVENT_ATTR_TEXT, "$1$2&#61;");
}
