#!/usr/bin/env node
// How our SVGs look in other people's pages: draws two pictures from the bundled sample, puts them
// in web pages (as <img> on a light page, and both inline on one dark page), and screenshots each
// page in headless Chromium twice — with the machine's fonts, and with a fontconfig setup that has
// no DejaVu Sans (only what is left of the machine's fonts once every DejaVu face is removed, e.g.
// Liberation). Look at the screenshots: text centred in its boxes, nothing running past a box edge,
// no empty-box glyphs, the dark page readable, and the second inline picture not borrowing the
// first one's ids.
//
//   node scripts/check-svg-fonts.mjs [out-dir]      (default: a new folder under the system temp)
//
// Needs Debian's `chromium` (apt-get install chromium) and a built checkout (npm run build). Not
// part of `npm test` or CI.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] ?? mkdtempSync(join(tmpdir(), "backrefs-svg-fonts-")));
mkdirSync(out, { recursive: true });

const chromium = ["chromium", "chromium-browser"].find((c) => spawnSync(c, ["--version"]).status === 0);
if (!chromium) {
  console.error("check-svg-fonts: needs Chromium (Debian: apt-get install chromium)");
  process.exit(1);
}

// 1. Two different pictures of the sample.
const sample = join(root, "samples/leak.heapsnapshot.gz");
const draw = (file, args) =>
  execFileSync(process.execPath, [join(root, "bin/backrefs.js"), sample, ...args, "--quiet", "-o", join(out, file)], { stdio: "inherit" });
draw("many.svg", ["--type", "LeakyRequest", "--max-targets", "4"]);
draw("one.svg", ["--type", "LeakyRequest", "--max-targets", "1", "--path-only"]);
const inline = (file) => readFileSync(join(out, file), "utf8").replace(/^[^]*?(?=<svg\b)/, "");

// 2. Pages.
const page = (title, style, body) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>${style}</style></head><body>${body}</body></html>\n`;
const pages = {
  "img-light": page(
    "as <img>",
    "body{margin:16px;background:#fff;font-family:serif}",
    '<p>As &lt;img&gt;:</p><img src="many.svg" style="max-width:100%">',
  ),
  "inline-dark": page(
    "inline, dark",
    "body{margin:16px;background:#121212;color:#e0e0e0;font-family:serif} svg{display:block;margin:12px 0;max-width:100%;height:auto}",
    `<p>Two pictures inline on a dark page:</p>${inline("many.svg")}${inline("one.svg")}`,
  ),
};
for (const [name, html] of Object.entries(pages)) writeFileSync(join(out, `${name}.html`), html);

// 3. A fontconfig setup without DejaVu: every font directory of the machine's setup, minus DejaVu's.
const fontFiles = execFileSync("fc-list", ["--format", "%{file}\n"], { encoding: "utf8" }).split("\n").filter(Boolean);
const kept = fontFiles.filter((f) => !/dejavu/i.test(f));
const fontDir = join(out, "fonts-without-dejavu");
rmSync(fontDir, { recursive: true, force: true });
mkdirSync(fontDir);
for (const f of kept) writeFileSync(join(fontDir, f.split("/").pop()), readFileSync(f));
writeFileSync(
  join(out, "fonts-without-dejavu.conf"),
  `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${fontDir}</dir>\n  <cachedir>${join(out, "fontconfig-cache")}</cachedir>\n  <include ignore_missing="yes">/etc/fonts/conf.d</include>\n</fontconfig>\n`,
);
const families = (env) =>
  execFileSync("fc-list", [":", "family"], { encoding: "utf8", env: { ...process.env, ...env } })
    .split("\n")
    .filter(Boolean)
    .sort();
const withoutEnv = { FONTCONFIG_FILE: join(out, "fonts-without-dejavu.conf") };
const without = families(withoutEnv);
if (without.some((f) => /dejavu/i.test(f))) throw new Error("the font setup without DejaVu still has DejaVu");
console.log(`fonts without DejaVu: ${[...new Set(without)].join("; ") || "(none)"}`);

// 4. Screenshots.
const shots = [];
for (const [fonts, env] of [
  ["with-dejavu", {}],
  ["without-dejavu", withoutEnv],
]) {
  for (const name of Object.keys(pages)) {
    const profile = mkdtempSync(join(tmpdir(), "backrefs-chromium-"));
    const png = join(out, `${name}.${fonts}.png`);
    const r = spawnSync(
      chromium,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        `--user-data-dir=${profile}`,
        "--hide-scrollbars",
        "--window-size=1400,1700",
        `--screenshot=${png}`,
        `file://${join(out, `${name}.html`)}`,
      ],
      { env: { ...process.env, ...env }, encoding: "utf8", timeout: 120_000 },
    );
    rmSync(profile, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`chromium failed on ${name} (${fonts}): ${r.stderr}`);
    shots.push(png);
  }
}

// 5. What to look at.
const ids = (file) => [...inline(file).matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
const shared = ids("many.svg").filter((id) => ids("one.svg").includes(id));
console.log(`ids shared by the two inline pictures: ${shared.length === 0 ? "none" : shared.join(", ")}`);
console.log(`screenshots in ${out}:`);
for (const s of shots) console.log(`  ${s}`);
console.log(`(${readdirSync(out).length} files in all)`);
