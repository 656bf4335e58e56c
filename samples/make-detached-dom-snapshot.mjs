// Writes samples/detached-dom.heapsnapshot.gz: a real Chromium heap snapshot of a page that leaks
// detached DOM — 40 <div class="row"> elements removed from the document but kept in an array by
// a "cache", each with a <span> child — the classic browser leak DevTools shows as "Detached <div>".
//
//   node samples/make-detached-dom-snapshot.mjs [path-to-chromium]
//
// Needs Chromium (Debian: apt-get install chromium). Talks to it over the DevTools protocol on a
// pipe (--remote-debugging-pipe), so nothing else is needed.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const chromium = process.argv[2] ?? "/usr/bin/chromium";
const out = join(dirname(fileURLToPath(import.meta.url)), "detached-dom.heapsnapshot.gz");
const profile = mkdtempSync(join(tmpdir(), "chromium-"));

const PAGE = `
  <ul id="list"></ul>
  <script>
    const list = document.getElementById("list");
    for (let i = 0; i < 40; i++) {
      const row = document.createElement("div");
      row.className = "row";
      row.appendChild(document.createElement("span")).textContent = "row " + i;
      list.appendChild(row);
    }
    // The leak: rows are removed from the page but a cache still holds them.
    window.rowCache = Array.from(list.children);
    list.replaceChildren();
  </script>`;

const browser = spawn(
  chromium,
  [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--remote-debugging-pipe", `--user-data-dir=${profile}`,
    "about:blank",
  ],
  { stdio: ["ignore", "ignore", "ignore", "pipe", "pipe"] },
);
const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];

let nextId = 1;
const waiting = new Map();
const listeners = [];
let pending = "";
fromBrowser.on("data", (data) => {
  pending += data.toString("utf8");
  let end;
  while ((end = pending.indexOf("\0")) >= 0) {
    const message = JSON.parse(pending.slice(0, end));
    pending = pending.slice(end + 1);
    if (message.id !== undefined && waiting.has(message.id)) {
      const { resolve, reject } = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result);
    } else {
      for (const l of listeners) l(message);
    }
  }
});

function send(method, params = {}, sessionId) {
  const id = nextId++;
  toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + "\0");
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
}

try {
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  await send("Page.enable", {}, sessionId);
  const { frameTree } = await send("Page.getFrameTree", {}, sessionId);
  await send("Page.setDocumentContent", { frameId: frameTree.frame.id, html: PAGE }, sessionId);
  const check = await send("Runtime.evaluate", { expression: "window.rowCache.length + ' rows, ' + document.getElementById('list').children.length + ' attached'", returnByValue: true }, sessionId);
  console.log(`page: ${check.result.value}`);
  await send("HeapProfiler.enable", {}, sessionId);
  await send("HeapProfiler.collectGarbage", {}, sessionId);
  const chunks = [];
  listeners.push((m) => {
    if (m.method === "HeapProfiler.addHeapSnapshotChunk" && m.sessionId === sessionId) chunks.push(m.params.chunk);
  });
  await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false, exposeInternals: false }, sessionId);
  const text = chunks.join("");
  writeFileSync(out, gzipSync(Buffer.from(text), { level: 9 }));
  console.log(`wrote ${out} (${(text.length / 1e6).toFixed(1)} MB of snapshot)`);
} finally {
  const exited = new Promise((resolve) => browser.once("exit", resolve));
  browser.kill();
  await exited;
  rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
