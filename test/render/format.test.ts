import { describe, it, expect } from "vitest";
import { edgeLabel, formatBytes, formatCount, moduleText, sanitizeText, scriptText, truncateText } from "../../src/render/format.js";

describe("formatBytes", () => {
  it("uses 1000-based units with one decimal below 100", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(48)).toBe("48 B");
    expect(formatBytes(999)).toBe("999 B");
    expect(formatBytes(1000)).toBe("1.0 kB");
    expect(formatBytes(1234)).toBe("1.2 kB");
    expect(formatBytes(99_940)).toBe("99.9 kB");
    expect(formatBytes(340_000)).toBe("340 kB");
    expect(formatBytes(3_400_000)).toBe("3.4 MB");
    expect(formatBytes(5_000_000_000)).toBe("5.0 GB");
  });
  it("moves up a unit instead of printing 1000", () => {
    expect(formatBytes(999_960)).toBe("1.0 MB");
  });
  it("keeps the sign and survives non-numbers", () => {
    expect(formatBytes(-1500)).toBe("-1.5 kB");
    expect(formatBytes(Number.NaN)).toBe("?");
    expect(formatBytes(Number.POSITIVE_INFINITY)).toBe("?");
  });
});

describe("formatCount", () => {
  it("groups thousands without the locale", () => {
    expect(formatCount(0)).toBe("0");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(-1000)).toBe("-1,000");
  });
});

describe("edgeLabel", () => {
  it("speaks DevTools notation", () => {
    expect(edgeLabel("property", "cache")).toBe(".cache");
    expect(edgeLabel("property", "#secret")).toBe(".#secret");
    expect(edgeLabel("property", "caf\u00e9")).toBe(".caf\u00e9");
    expect(edgeLabel("property", "a b")).toBe('["a b"]');
    expect(edgeLabel("property", 'q"\\')).toBe('["q\\"\\\\"]');
    expect(edgeLabel("property", "<symbol Symbol.iterator>")).toBe("[<symbol Symbol.iterator>]");
    expect(edgeLabel("element", 3)).toBe("[3]");
    expect(edgeLabel("context", "listener")).toBe("->listener");
    expect(edgeLabel("internal", "map")).toBe("{map}");
    expect(edgeLabel("hidden", 12)).toBe("{hidden}");
    expect(edgeLabel("hidden", "code")).toBe("{code}");
    expect(edgeLabel("shortcut", "global")).toBe(".global");
    expect(edgeLabel("weak", 4)).toBe("[[weak]]");
    expect(edgeLabel("weak", "target")).toBe("[[weak]] target");
    expect(edgeLabel("mystery", "x")).toBe("{mystery:x}");
  });
  it("JSON-quotes control characters so they stay visible", () => {
    expect(edgeLabel("property", "a\nb")).toBe('["a\\nb"]');
  });
});

describe("sanitizeText", () => {
  it("replaces controls, bidi overrides, non-characters and lone surrogates with U+FFFD", () => {
    expect(sanitizeText("a\u0000b\u001fc\u007fd\u0085e")).toBe("a\ufffdb\ufffdc\ufffdd\ufffde");
    expect(sanitizeText("x\u202ey\u2066z")).toBe("x\ufffdy\ufffdz");
    expect(sanitizeText("\ufffe\uffff")).toBe("\ufffd\ufffd");
    expect(sanitizeText("\ud800x\udc00")).toBe("\ufffdx\ufffd");
    expect(sanitizeText("a\ud800")).toBe("a\ufffd");
  });
  it("leaves well-formed text alone", () => {
    const text = "caf\u00e9 \u0416 \u4e2d \ud83d\ude00 <b> & \\";
    expect(sanitizeText(text)).toBe(text);
  });
});

describe("truncateText", () => {
  it("cuts by code points with an ellipsis", () => {
    expect(truncateText("abcdef", 10)).toBe("abcdef");
    expect(truncateText("abcdef", 4)).toBe("abc\u2026");
    expect(truncateText("\ud83d\ude00\ud83d\ude00\ud83d\ude00", 2)).toBe("\ud83d\ude00\u2026");
    expect(truncateText("\ud83d\ude00\ud83d\ude00", 2)).toBe("\ud83d\ude00\ud83d\ude00");
  });
});

describe("scriptText", () => {
  it("shows a package's file from its package on, Node's modules whole, other files by folder and name", () => {
    expect(scriptText("/home/ada/app/node_modules/express/lib/router/index.js")).toBe("express/lib/router/index.js");
    expect(scriptText("/a/node_modules/x/node_modules/@scope/pkg/i.js")).toBe("@scope/pkg/i.js");
    expect(scriptText("file:///home/ada/app/src/server.mjs")).toBe("src/server.mjs");
    expect(scriptText("C:\\app\\src\\server.js")).toBe("src/server.js");
    expect(scriptText("node:internal/timers")).toBe("node:internal/timers");
    expect(scriptText("server.js")).toBe("server.js");
    // Nothing after node_modules: the name as it is.
    expect(scriptText("/a/node_modules/")).toBe("/a/node_modules/");
    // Cut at its start to fit, the file's own name kept.
    const cut = scriptText("/app/node_modules/" + "p".repeat(50) + "/index.js", 20);
    expect(cut).toBe("\u2026" + "p".repeat(10) + "/index.js");
  });
});

describe("moduleText", () => {
  it("leaves out file:// and cuts a long path at its start, where the file's name is kept", () => {
    expect(moduleText("file:///app/src/users.mjs")).toBe("module /app/src/users.mjs");
    const long = "file:///home/someone/projects/a-very-long-project-name/packages/server/src/users.mjs";
    const shown = moduleText(long, 30);
    expect(shown.startsWith("module \u2026")).toBe(true);
    expect(shown.endsWith("/server/src/users.mjs")).toBe(true);
    expect(Array.from(shown.slice("module ".length))).toHaveLength(30);
    expect(moduleText("")).toBe("module");
    // Code points, not code units: an emoji in a path is never split.
    expect(moduleText("/x/" + "😀".repeat(40) + ".js", 10)).toBe("module \u2026" + "😀".repeat(6) + ".js");
  });
});
