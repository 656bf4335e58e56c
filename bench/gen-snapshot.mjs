#!/usr/bin/env node
// Generate V8 heap snapshots of chosen sizes for the benchmark.
//
//   node bench/gen-snapshot.mjs small            -> bench/data/small.heapsnapshot
//   node bench/gen-snapshot.mjs medium large     -> several, one after the other
//   node bench/gen-snapshot.mjs strings600       -> strings section > 600 MB
//   node bench/gen-snapshot.mjs custom --units 5000 --big-strings 0 --name mine
//   node bench/gen-snapshot.mjs small --force    -> regenerate even if it exists
//   node bench/gen-snapshot.mjs medium --series 3 --out-dir /tmp/s
//        -> /tmp/s/medium.heapsnapshot, medium-2 and medium-3: three snapshots of ONE process
//           (ids match; for diff, leaks, --new-since), more work done before each later one
//
// Each snapshot is written by a separate child process (this same file with
// `--child`) that builds a realistic heap and calls v8.writeHeapSnapshot().
// The child is kept small on purpose: with large scripts loaded,
// writeHeapSnapshot on Node 20 can take minutes (line ends for every function).
//
// Next to each snapshot a `<name>.gen.json` records units, file size, build
// and write times, wall time and peak RSS of the generating process.

import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DATA_DIR = path.join(HERE, 'data');

// `units` = number of users (each with an address, orders, items, a closure,
// map/set entries...). Calibrated on Node 20.20: ~4.35 KB of snapshot, ~58
// nodes and ~184 edges per unit, on top of ~2.5 MB for Node itself.
// `bigStrings` = number of distinct strings of 1100 chars (V8 writes at most
// 1024 chars of each, so each adds ~1 KB to the `strings` section).
export const PRESETS = {
  tiny: { units: 1_000, bigStrings: 0 },
  small: { units: 4_000, bigStrings: 0 }, // ~20 MB
  medium: { units: 45_000, bigStrings: 0 }, // ~200 MB
  large: { units: 230_000, bigStrings: 0 }, // ~1 GB, ~13M nodes, ~42M edges
  strings600: { units: 4_000, bigStrings: 720_000 }, // strings section ~740 MB
};

// ---------------------------------------------------------------- child side

// Deterministic PRNG (mulberry32) so the same preset gives the same heap shape.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'sa',
  'ti',
  'vo',
  'xe',
  'zu',
  'ba',
  'de',
  'fi',
  'go',
  'hu',
  'ja',
  'ke',
  'li',
  'mo',
  'nu',
  'pa',
  're',
  'si',
  'to',
];
const CITIES = [
  'Lisbon',
  'Oslo',
  'Lima',
  'Kyoto',
  'Accra',
  'Quito',
  'Perth',
  'Turin',
  'Hanoi',
  'Dakar',
  'Graz',
  'Cork',
  'Fez',
  'Bern',
  'Riga',
  'Nice',
];
const STATUSES = ['open', 'paid', 'shipped', 'returned', 'cancelled'];

class Address {
  constructor(street, city, zip) {
    this.street = street;
    this.city = city;
    this.zip = zip;
    this.country = 'XX';
  }
}

class Product {
  constructor(sku, title, price) {
    this.sku = sku;
    this.title = title;
    this.price = price;
    this.stock = 0;
  }
}

class OrderItem {
  constructor(product, qty) {
    this.product = product;
    this.qty = qty;
    this.lineTotal = product.price * qty;
  }
}

class Order {
  constructor(id, user, items, status, note) {
    this.id = id;
    this.user = user;
    this.items = items;
    this.status = status;
    this.total = items.reduce((s, it) => s + it.lineTotal, 0);
    this.meta = {
      createdAt: new Date(1_700_000_000_000 + id * 1000),
      flags: { gift: (id & 1) === 0, express: id % 3 === 0 },
      notes: note ? [note] : [],
    };
  }
}

class User {
  constructor(id, name, email, address) {
    this.id = id;
    this.name = name;
    this.email = email;
    this.address = address;
    this.tags = [];
    this.prefs = new Map();
    this.orders = [];
    this.onChange = null;
  }
}

// A deliberate leak: requests that are never released.
class LeakyRequest {
  constructor(id, url, body) {
    this.id = id;
    this.url = url;
    this.method = id % 4 === 0 ? 'POST' : 'GET';
    this.headers = { 'content-type': 'application/json', 'x-request-id': `req-${id}` };
    this.body = body;
    this.startedAt = 1_700_000_000_000 + id;
    this.done = false;
  }
}

class CachedResponse {
  constructor(request, status, payload) {
    this.request = request;
    this.status = status;
    this.payload = payload;
  }
}

// Module-level state: everything below stays reachable until the snapshot.
const usersById = new Map();
const tagIndex = new Map(); // tag -> Set<User>
const products = [];
const listeners = [];
const requestCache = new Map(); // leak #1: module-level cache
const bus = new EventEmitter(); // leak #2: listeners never removed
bus.setMaxListeners(0);
let bigStrings = null;
let heapState = null;

function word(rand, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += SYLLABLES[(rand() * SYLLABLES.length) | 0];
  return s;
}

function makeChangeListener(user, channel) {
  let calls = 0;
  const label = `${channel}:${user.id}`;
  return function onUserChange(field) {
    calls++;
    return `${label}/${field}/${calls}/${user.name}`;
  };
}

function startRequest(id, rand) {
  const url = `/api/v1/${word(rand, 2)}/${id}?q=${word(rand, 3)}`;
  const req = new LeakyRequest(id, url, JSON.stringify({ id, payload: word(rand, 6) }));
  if (id % 3 !== 1) {
    // held by the module-level cache, through a CachedResponse
    requestCache.set(url, new CachedResponse(req, 200, { ok: true, size: id }));
  }
  if (id % 3 !== 2) {
    // held by an event-listener closure that is never removed
    bus.on('response', function onResponse(res) {
      if (res.id === req.id) req.done = true;
    });
  }
}

function addUsers(from, to, rand, tags) {
  for (let i = from; i < to; i++) {
    const name = `${word(rand, 2)} ${word(rand, 3)} #${i}`;
    const email = `${word(rand, 3)}.${i}@example.${i % 7 === 0 ? 'org' : 'com'}`;
    const address = new Address(
      `${(rand() * 999) | 0} ${word(rand, 3)} street, apt ${i}`,
      CITIES[i % CITIES.length],
      String(10000 + ((rand() * 89999) | 0)),
    );
    const user = new User(i, name, email, address);
    const nTags = 1 + ((rand() * 3) | 0);
    for (let t = 0; t < nTags; t++) {
      const tag = tags[(rand() * tags.length) | 0];
      user.tags.push(tag);
      let set = tagIndex.get(tag);
      if (!set) tagIndex.set(tag, (set = new Set()));
      set.add(user);
    }
    user.prefs.set('theme', i % 2 ? 'dark' : 'light');
    user.prefs.set('lang', CITIES[i % 5].slice(0, 2).toLowerCase());
    if (i % 4 === 0) user.prefs.set('signature', `-- ${name} (${word(rand, 4)})`);
    const nOrders = 1 + ((rand() * 3) | 0);
    for (let o = 0; o < nOrders; o++) {
      const items = [];
      const nItems = 1 + ((rand() * 3) | 0);
      for (let k = 0; k < nItems; k++) {
        items.push(new OrderItem(products[(rand() * products.length) | 0], 1 + ((rand() * 4) | 0)));
      }
      const note = rand() < 0.3 ? `please ${word(rand, 4)} before ${word(rand, 2)} (${i}/${o})` : null;
      user.orders.push(new Order(i * 4 + o, user, items, STATUSES[(rand() * 5) | 0], note));
    }
    user.onChange = makeChangeListener(user, i % 2 ? 'ui' : 'sync');
    if (i % 10 === 0) listeners.push(user.onChange);
    usersById.set(i, user);
  }
}

/** What the program does between two snapshots of a series: 2% of the users leave (their objects are
 * freed), as many new ones come, and half as many requests as at first leak again. */
function laterWork(nLeaks) {
  const { rand, tags } = heapState;
  const n = Math.max(20, Math.floor(usersById.size / 50));
  let gone = 0;
  for (const [id, user] of usersById) {
    if (gone >= n) break;
    if (id % 7 !== 3) continue;
    usersById.delete(id);
    for (const tag of user.tags) tagIndex.get(tag)?.delete(user);
    gone++;
  }
  addUsers(heapState.nextUser, heapState.nextUser + gone, rand, tags);
  heapState.nextUser += gone;
  const more = Math.max(30, Math.floor(nLeaks / 2));
  for (let r = heapState.nextRequest; r < heapState.nextRequest + more; r++) startRequest(r, rand);
  heapState.nextRequest += more;
}

function buildHeap(units, nBigStrings) {
  const rand = rng(0xbac4ef5);
  const nProducts = Math.max(50, Math.floor(units / 10));
  for (let p = 0; p < nProducts; p++) {
    products.push(
      new Product(`SKU-${p.toString(36).padStart(6, '0')}`, `${word(rand, 3)} ${word(rand, 2)}`, Math.round(rand() * 10000) / 100 + 0.01),
    );
  }
  const tags = [];
  for (let t = 0; t < 500; t++) tags.push(`tag-${word(rand, 2)}-${t}`);

  addUsers(0, units, rand, tags);
  heapState = { rand, tags, nextUser: units, nextRequest: 0 };

  const nLeaks = Math.max(60, Math.floor(units / 100));
  for (let r = 0; r < nLeaks; r++) startRequest(r, rand);
  heapState.nextRequest = nLeaks;

  if (nBigStrings > 0) {
    // Distinct flat strings of 1100 chars; the distinct part is at the start
    // because V8 writes only the first 1024 chars of each into the snapshot.
    bigStrings = new Array(nBigStrings);
    const buf = Buffer.alloc(1100);
    for (let j = 0; j < buf.length; j++) buf[j] = 97 + ((rand() * 26) | 0);
    for (let s = 0; s < nBigStrings; s++) {
      buf.write(s.toString(36).padStart(8, '0'), 0, 'latin1');
      buf[8 + (s % 1000)] = 97 + ((rand() * 26) | 0);
      bigStrings[s] = buf.toString('latin1');
    }
  }
  return { nLeaks };
}

function child(units, nBigStrings, out, later) {
  const t0 = performance.now();
  const { nLeaks } = buildHeap(units, nBigStrings);
  const t1 = performance.now();
  v8.writeHeapSnapshot(out);
  const t2 = performance.now();
  // A series: later snapshots of this same process (object ids match across them), each after more work.
  for (const file of later) {
    laterWork(nLeaks);
    v8.writeHeapSnapshot(file);
  }
  // keep the heap alive until after the snapshot
  if (usersById.size !== units || bigStrings?.length === -1 || bus.listenerCount('x') < 0) {
    throw new Error('unreachable');
  }
  process.stdout.write(
    JSON.stringify({
      units,
      bigStrings: nBigStrings,
      leakyRequests: nLeaks,
      buildMs: Math.round(t1 - t0),
      writeMs: Math.round(t2 - t1),
      heapUsedMB: Math.round(process.memoryUsage().heapUsed / 2 ** 20),
    }) + '\n',
  );
}

// --------------------------------------------------------------- parent side

function parseArgs(argv) {
  const names = [];
  const opts = { force: false, units: undefined, bigStrings: 0, name: undefined, series: 1, outDir: DATA_DIR };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--units') opts.units = Number(argv[++i]);
    else if (a === '--big-strings') opts.bigStrings = Number(argv[++i]);
    else if (a === '--name') opts.name = argv[++i];
    else if (a === '--series') opts.series = Number(argv[++i]);
    else if (a === '--out-dir') opts.outDir = path.resolve(argv[++i]);
    else if (a === '-h' || a === '--help') opts.help = true;
    else names.push(...a.split(',').filter(Boolean));
  }
  return { names, opts };
}

function runChild(units, nBigStrings, out, later) {
  return new Promise((resolve) => {
    const timeFile = `${out}.time`;
    const args = [
      '-f',
      '%e %M',
      '-o',
      timeFile,
      process.execPath,
      '--max-old-space-size=20000',
      fileURLToPath(import.meta.url),
      '--child',
      String(units),
      String(nBigStrings),
      out,
      ...later,
    ];
    const p = spawn('/usr/bin/time', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('close', (code) => {
      let wallS = NaN;
      let maxRssMB = NaN;
      try {
        const line = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop();
        const [e, m] = line.split(' ');
        wallS = Number(e);
        maxRssMB = Math.round(Number(m) / 1024);
        fs.rmSync(timeFile);
      } catch {
        /* ignore */
      }
      resolve({ code, stdout, stderr, wallS, maxRssMB });
    });
  });
}

async function generate(name, units, nBigStrings, force, series = 1, dir = DATA_DIR) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.heapsnapshot`);
  // The later snapshots of a series: `<name>-2.heapsnapshot`, `<name>-3.heapsnapshot`, ...
  const later = [];
  for (let k = 2; k <= series; k++) later.push(path.join(dir, `${name}-${k}.heapsnapshot`));
  if (fs.existsSync(file) && !force) {
    const mb = (fs.statSync(file).size / 1e6).toFixed(1);
    console.log(`${name}: ${file} exists (${mb} MB), skipping (use --force to regenerate)`);
    return true;
  }
  const tmp = `${file}.partial`;
  console.log(`${name}: generating (units=${units}, bigStrings=${nBigStrings}) ...`);
  const r = await runChild(
    units,
    nBigStrings,
    tmp,
    later.map((f) => `${f}.partial`),
  );
  if (r.code !== 0) {
    console.error(`${name}: FAILED (exit ${r.code})\n${r.stderr.trim()}`);
    for (const f of [tmp, ...later.map((f) => `${f}.partial`)]) fs.rmSync(f, { force: true });
    return false;
  }
  fs.renameSync(tmp, file);
  for (const f of later) fs.renameSync(`${f}.partial`, f);
  const info = JSON.parse(r.stdout.trim().split('\n').pop());
  const bytes = fs.statSync(file).size;
  const record = {
    name,
    file: path.relative(HERE, file),
    bytes,
    ...info,
    wallS: r.wallS,
    maxRssMB: r.maxRssMB,
    node: process.version,
    date: new Date().toISOString(),
  };
  if (later.length > 0) record.series = later.map((f) => path.basename(f));
  fs.writeFileSync(path.join(dir, `${name}.gen.json`), JSON.stringify(record, null, 2) + '\n');
  console.log(
    `${name}: ${(bytes / 1e6).toFixed(1)} MB in ${r.wallS}s ` +
      `(build ${(info.buildMs / 1000).toFixed(1)}s, write ${(info.writeMs / 1000).toFixed(1)}s, ` +
      `peak RSS ${r.maxRssMB} MB)`,
  );
  return true;
}

async function main() {
  if (process.argv[2] === '--child') {
    child(Number(process.argv[3]), Number(process.argv[4]), process.argv[5], process.argv.slice(6));
    return;
  }
  const { names, opts } = parseArgs(process.argv.slice(2));
  if (opts.help || names.length === 0) {
    console.log(
      'usage: node bench/gen-snapshot.mjs <preset|custom>[,...] [--force] ' +
        '[--units N --big-strings N --name NAME] [--series N] [--out-dir DIR]\npresets: ' +
        Object.entries(PRESETS)
          .map(([k, v]) => `${k} (units=${v.units}, bigStrings=${v.bigStrings})`)
          .join(', '),
    );
    process.exitCode = names.length === 0 && !opts.help ? 2 : 0;
    return;
  }
  let ok = true;
  for (const name of names) {
    let preset = PRESETS[name];
    let outName = name;
    if (name === 'custom') {
      if (!Number.isFinite(opts.units)) throw new Error('custom needs --units N');
      preset = { units: opts.units, bigStrings: opts.bigStrings };
      outName = opts.name ?? `custom-${opts.units}-${opts.bigStrings}`;
    }
    if (!preset) {
      console.error(`unknown preset ${name}; known: ${Object.keys(PRESETS).join(', ')}, custom`);
      ok = false;
      continue;
    }
    ok = (await generate(outName, preset.units, preset.bigStrings, opts.force, opts.series, opts.outDir)) && ok;
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
