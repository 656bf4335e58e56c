#!/usr/bin/env node
// Side-by-side benchmark: backrefs vs heap-snapshot-toolkit vs @memlab/core on
// the same snapshot files, each run in its own process, one at a time, timed
// with /usr/bin/time (wall seconds, peak RSS).
//
//   node bench/run.mjs                                  # sizes small,medium,large; task info
//   node bench/run.mjs --sizes small,medium --tasks info,analysis
//   node bench/run.mjs --sizes strings600 --tools hst,memlab
//   node bench/run.mjs --sizes /path/to/any.heapsnapshot
//   node bench/run.mjs --dry-run                        # print the commands only
//   node bench/run.mjs --tasks info,info-2nd --tools backrefs,hst,floor   # second look; the floor scan
//
// Options: --sizes a,b  --tasks info,retainers,analysis  --tools backrefs,hst,memlab
//          --timeout-min 30  --repeat N (table shows the fastest of N)  --no-warm
//          --out DIR (default bench/out)  --first-ever  --keep-env (keep NODE_EXTRA_CA_CERTS)
// See bench/README.md.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const DATA_DIR = path.join(HERE, 'data');
const PEERS = path.join(HERE, 'peers');
const NODE = process.execPath;

// ============================ EDIT ME (lead) ===============================
// The backrefs binary, and the Node flags it runs with. By default backrefs
// runs with Node's default heap limit (what users get); peers get a big heap.
const BACKREFS_BIN = path.join(ROOT, 'bin', 'backrefs.js');
const BACKREFS_NODE_FLAGS = [];
// Appended to every backrefs command (-q: no progress bar on stderr).
const BACKREFS_COMMON_ARGS = ['-q'];
// `info` (the load benchmark of the foundation issue): counts and sizes only, no dominators.
const BACKREFS_INFO_ARGS = ['--no-retained'];
// `backrefs info` runs the full analysis (dominators + retained sizes + distances) by default.
const BACKREFS_ANALYSIS_ARGS = [];
// The class the `retainers` task asks about (gen-snapshot.mjs makes it leak).
const TARGET_CLASS = 'LeakyRequest';
// The class the `grouped` tasks ask about: hundreds of thousands of instances in `large`
// (gen-snapshot.mjs makes 1–3 per User), every one of them grouped by retaining path.
const GROUPED_CLASS = 'Order';
// Peers get a big old space so default limits do not penalise them.
const PEER_NODE_FLAGS = ['--max-old-space-size=20000'];
// ============================================================================

// Every tool runs without NODE_EXTRA_CA_CERTS: with it set, Node loads that certificate bundle as
// each process starts (~0.1 s of CPU and ~2 MB, measured with `node -e 0`), which no tool here uses;
// some machines (CI images, sandboxes) set it for every process. `--keep-env` keeps it.
if (!process.argv.includes('--keep-env')) delete process.env.NODE_EXTRA_CA_CERTS;

const TOOL_IDS = { backrefs: 'backrefs', hst: 'heap-snapshot-toolkit', memlab: '@memlab/core', floor: 'floor-scan' };
const PEER_TOOLS = new Set(['heap-snapshot-toolkit', '@memlab/core']);

// A task maps tool name -> (file, ctx) => { argv, stdoutTo?: 'file'|'ignore'|'pipe', check? }.
// Peers print one JSON line on stdout (see peers/common.mjs).
const TASKS = {
  info: {
    describe: 'load the snapshot (backrefs info --json; DevTools full open; memlab parse)',
    tools: {
      backrefs: (f, ctx) => ({
        argv: [NODE, ...BACKREFS_NODE_FLAGS, BACKREFS_BIN, 'info', f, '--json', ...BACKREFS_INFO_ARGS, ...BACKREFS_COMMON_ARGS],
        stdoutTo: 'file',
        check: () => checkJsonFile(ctx.stdoutFile),
      }),
      'heap-snapshot-toolkit': (f) => ({ argv: [NODE, ...PEER_NODE_FLAGS, path.join(PEERS, 'hst-load.mjs'), f] }),
      '@memlab/core': (f) => ({ argv: [NODE, ...PEER_NODE_FLAGS, path.join(PEERS, 'memlab-load.mjs'), f] }),
      // The floor: one thread parsing every integer of the file and nothing else (floor-scan.mjs).
      'floor-scan': (f) => ({ argv: [NODE, path.join(HERE, 'floor-scan.mjs'), f] }),
    },
  },
  // Per-object pictures (--each: more matches than --max-targets would otherwise be grouped).
  retainers: retainersTask(['--each'], `what retains ${TARGET_CLASS} (backrefs per-object SVG; peers: load + retainers of one instance)`),
  // The same picture as a PNG (README's first command): the rasterising and its compression on top.
  'retainers-png': retainersTask(
    ['--each'],
    `what retains ${TARGET_CLASS} (backrefs per-object PNG; peers as in retainers)`,
    TARGET_CLASS,
    'png',
  ),
  'retainers-fast': retainersTask(
    ['--each', '--no-retained'],
    `what retains ${TARGET_CLASS}, without retained sizes (backrefs --no-retained SVG; peers as in retainers)`,
  ),
  // The grouped picture of every instance of a big class, beside the per-object picture of the same class.
  grouped: retainersTask(
    [],
    `what retains every ${GROUPED_CLASS}, grouped by retaining path (backrefs SVG; peers as in retainers)`,
    GROUPED_CLASS,
  ),
  'grouped-each': retainersTask(
    ['--each'],
    `what retains ${GROUPED_CLASS}, per-object picture of the 10 largest (backrefs SVG; peers as in retainers)`,
    GROUPED_CLASS,
  ),
  analysis: {
    describe: 'full load + dominators + retained sizes + distances',
    tools: {
      backrefs: (f, ctx) => ({
        argv: [NODE, ...BACKREFS_NODE_FLAGS, BACKREFS_BIN, 'info', f, '--json', ...BACKREFS_ANALYSIS_ARGS, ...BACKREFS_COMMON_ARGS],
        stdoutTo: 'file',
        check: () => checkJsonFile(ctx.stdoutFile),
      }),
      // DevTools always computes dominators/retained sizes/distances on open.
      'heap-snapshot-toolkit': (f) => ({ argv: [NODE, ...PEER_NODE_FLAGS, path.join(PEERS, 'hst-load.mjs'), f] }),
      '@memlab/core': (f) => ({ argv: [NODE, ...PEER_NODE_FLAGS, path.join(PEERS, 'memlab-load.mjs'), f, '--full'] }),
    },
  },
};

// The snapshot cache (README "the second look"): a first-look run of backrefs gets a fresh, empty
// cache directory, so its time includes writing the entry, as a user's first command does. A
// second-look task (`<task>-2nd`) runs the same command once untimed to fill a fresh directory, then
// times the second run. Peers have no cache: their rows are the same as in the first-look task.
let cacheDirs = 0;
/** Where one untimed picture left Graphviz's kept program (see keepGraphvizProgram); null: none is given. */
let keptProgramDir = null;
function withCache(task, second) {
  const tools = {};
  for (const [tool, make] of Object.entries(task.tools)) {
    if (tool !== 'backrefs') {
      // A second look is compared with the peers' rows of the first-look task (they have no cache).
      if (!second) tools[tool] = make;
      continue;
    }
    tools[tool] = (f, ctx) => {
      const spec = make(f, ctx);
      const dir = path.join(ctx.tmpDir, `cache-${process.pid}-${cacheDirs++}`);
      return {
        ...spec,
        env: { BACKREFS_CACHE: '1', BACKREFS_CACHE_DIR: dir },
        before: () => {
          spec.before?.();
          fs.rmSync(dir, { recursive: true, force: true });
          // A first look at this snapshot by someone who has drawn a picture before: the cache
          // directory holds nothing but Graphviz's kept program (src/render/graphviz-wasm.ts).
          if (!second && keptProgramDir) {
            fs.mkdirSync(dir, { recursive: true });
            for (const name of fs.readdirSync(keptProgramDir)) fs.copyFileSync(path.join(keptProgramDir, name), path.join(dir, name));
          }
          if (second) {
            const r = spawnSync(spec.argv[0], spec.argv.slice(1), {
              cwd: ROOT,
              stdio: ['ignore', 'ignore', 'pipe'],
              env: { ...process.env, BACKREFS_CACHE: '1', BACKREFS_CACHE_DIR: dir },
            });
            if (!/cache: wrote/.test(r.stderr.toString()))
              throw new Error(`the untimed first run wrote no cache entry: ${r.stderr.toString().trim().split('\n').pop()}`);
          }
        },
        check: () => {
          const out = spec.check ? spec.check() : {};
          fs.rmSync(dir, { recursive: true, force: true });
          return out;
        },
      };
    };
  }
  return { describe: second ? `${task.describe} — second look (from the cache)` : task.describe, tools };
}

/** The picture task: backrefs draws the SVG (or `format`; with `extra` arguments); peers list the retainers. */
function retainersTask(extra, describe, cls = TARGET_CLASS, format = 'svg') {
  return {
    describe,
    tools: {
      backrefs: (f, ctx) => {
        const svg = path.join(ctx.outDir, `${ctx.dataset}-${cls}${extra.includes('--each') ? '-each' : ''}.${format}`);
        return {
          argv: [NODE, ...BACKREFS_NODE_FLAGS, BACKREFS_BIN, f, '--type', cls, '-o', svg, ...extra, ...BACKREFS_COMMON_ARGS],
          stdoutTo: 'ignore',
          before: () => fs.rmSync(svg, { force: true }),
          check: () => {
            if (!fs.existsSync(svg) || fs.statSync(svg).size === 0) throw new Error(`no ${format.toUpperCase()} written at ${svg}`);
            return { svg: path.relative(HERE, svg), svgBytes: fs.statSync(svg).size };
          },
        };
      },
      'heap-snapshot-toolkit': (f) => ({ argv: [NODE, ...PEER_NODE_FLAGS, path.join(PEERS, 'hst-retainers.mjs'), f] }),
      '@memlab/core': (f) => ({ argv: [NODE, ...PEER_NODE_FLAGS, path.join(PEERS, 'memlab-retainers.mjs'), f] }),
    },
  };
}

for (const name of Object.keys(TASKS)) {
  const first = TASKS[name];
  TASKS[name] = withCache(first, false);
  TASKS[`${name}-2nd`] = withCache(first, true);
}

function checkJsonFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    JSON.parse(text);
  } catch (e) {
    throw new Error(`stdout is not JSON (${text.length} bytes): ${e.message}`, { cause: e });
  }
  return { stdoutBytes: Buffer.byteLength(text) };
}

// ----------------------------------------------------------------- options

function parseArgs(argv) {
  const o = {
    sizes: ['small', 'medium', 'large'],
    tasks: ['info'],
    tools: ['backrefs', 'hst', 'memlab'],
    timeoutMin: 30,
    repeat: 1,
    warm: true,
    dryRun: false,
    outDir: path.join(HERE, 'out'),
    firstEver: false,
  };
  const list = (v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const [k, inline] = a.includes('=') ? a.split(/=(.*)/s) : [a, undefined];
    const val = () => inline ?? argv[++i];
    switch (k) {
      case '--sizes':
      case '--size':
      case '--datasets':
        o.sizes = list(val());
        break;
      case '--tasks':
      case '--task':
        o.tasks = list(val());
        break;
      case '--tools':
      case '--tool':
        o.tools = list(val());
        break;
      case '--timeout-min':
        o.timeoutMin = Number(val());
        break;
      case '--repeat':
        o.repeat = Math.max(1, Number(val()) | 0);
        break;
      case '--no-warm':
        o.warm = false;
        break;
      case '--dry-run':
        o.dryRun = true;
        break;
      case '--first-ever':
        o.firstEver = true;
        break;
      case '--keep-env':
        break; // read at start-up (NODE_EXTRA_CA_CERTS)
      case '--out':
        o.outDir = path.resolve(val());
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      default:
        throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  for (const t of o.tasks) if (!TASKS[t]) throw new Error(`unknown task ${t}; known: ${Object.keys(TASKS).join(', ')}`);
  o.tools = o.tools.map((t) => {
    const id = TOOL_IDS[t] ?? Object.values(TOOL_IDS).find((v) => v === t);
    if (!id) throw new Error(`unknown tool ${t}; known: ${Object.keys(TOOL_IDS).join(', ')}`);
    return id;
  });
  return o;
}

function resolveDataset(s) {
  if (s.includes('/') || s.endsWith('.heapsnapshot')) {
    return { name: path.basename(s).replace(/\.heapsnapshot$/, ''), file: path.resolve(s) };
  }
  return { name: s, file: path.join(DATA_DIR, `${s}.heapsnapshot`) };
}

// --------------------------------------------------------------- measuring

function firstErrorLine(stderr) {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .filter((l) => !/^Command (exited with non-zero status|terminated by signal)/.test(l));
  const pick =
    lines.find((l) => /^(\w*Error|FATAL ERROR)\b/.test(l)) ??
    lines.find((l) => /error|invalid|out of memory|cannot/i.test(l)) ??
    lines[0] ??
    '';
  return pick.length > 240 ? `${pick.slice(0, 240)}…` : pick;
}

function measure(spec, timeoutMs, ctx) {
  return new Promise((resolve) => {
    const timeFile = path.join(ctx.tmpDir, `time-${process.pid}.txt`);
    fs.rmSync(timeFile, { force: true });
    let stdoutFd = 'pipe';
    if (spec.stdoutTo === 'ignore') stdoutFd = 'ignore';
    else if (spec.stdoutTo === 'file') stdoutFd = fs.openSync(ctx.stdoutFile, 'w');
    const child = spawn('/usr/bin/time', ['-f', '%e %M %x', '-o', timeFile, ...spec.argv], {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', stdoutFd, 'pipe'],
      env: { ...process.env, ...spec.env },
    });
    if (typeof stdoutFd === 'number') fs.closeSync(stdoutFd);
    let stdout = '';
    let stderr = '';
    const cap = (s, d) => (s.length < 1 << 20 ? s + d : s);
    child.stdout?.on('data', (d) => {
      stdout = cap(stdout, d);
    });
    child.stderr.on('data', (d) => {
      stderr = cap(stderr, d);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    const started = performance.now();
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const elapsedS = (performance.now() - started) / 1000;
      let wallS = elapsedS;
      let maxRssMB = null;
      let exitCode = code;
      let killedBy = signal;
      try {
        const t = fs.readFileSync(timeFile, 'utf8').trim().split('\n');
        const m = /^([\d.]+) (\d+) (\d+)$/.exec(t[t.length - 1]);
        if (m) {
          wallS = Number(m[1]);
          maxRssMB = Math.round(Number(m[2]) / 1024);
          exitCode = Number(m[3]);
        }
        const sig = t.find((l) => l.startsWith('Command terminated by signal'));
        if (sig) killedBy = `signal ${sig.split(' ').pop()}`;
        fs.rmSync(timeFile, { force: true });
      } catch {
        /* time did not write (killed) */
      }
      resolve({ exitCode, killedBy, timedOut, wallS, maxRssMB, stdout, stderr });
    });
  });
}

async function runOne(taskName, tool, ds, opts, ctx) {
  const spec = TASKS[taskName].tools[tool](ds.file, ctx);
  const command =
    spec.argv.map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a)).join(' ') +
    (spec.stdoutTo === 'file' ? ' > <tmp>' : spec.stdoutTo === 'ignore' ? ' > /dev/null' : '');
  const rec = { dataset: ds.name, task: taskName, tool, command, ok: false };
  if (opts.dryRun) {
    console.log(`  ${command}`);
    return null;
  }
  if (tool === 'backrefs' && !fs.existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
    return { ...rec, skipped: true, error: 'SKIP: backrefs not built (npm run build in the repo root)' };
  }
  try {
    spec.before?.();
  } catch (e) {
    return { ...rec, error: `setup failed: ${e.message}` };
  }
  const r = await measure(spec, opts.timeoutMin * 60_000, ctx);
  Object.assign(rec, {
    wallS: r.wallS,
    maxRssMB: r.maxRssMB,
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    killedBy: r.killedBy ?? undefined,
  });
  if (r.timedOut) {
    rec.error = `timeout after ${opts.timeoutMin} min`;
  } else if (r.exitCode !== 0 || r.killedBy) {
    rec.error = firstErrorLine(r.stderr) || `exit ${r.exitCode}${r.killedBy ? `, ${r.killedBy}` : ''}`;
    rec.stderrTail = r.stderr.slice(-2000);
  } else {
    try {
      if (spec.check) rec.result = spec.check();
      else {
        const last = r.stdout.trim().split('\n').pop();
        rec.result = JSON.parse(last);
      }
      rec.ok = true;
    } catch (e) {
      rec.error = `bad output: ${e.message}`;
      rec.stderrTail = r.stderr.slice(-2000);
    }
  }
  if (spec.stdoutTo === 'file') fs.rmSync(ctx.stdoutFile, { force: true });
  return rec;
}

// ----------------------------------------------------------------- report

const fmt = (x, d = 2) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(d));

function tableFor(rows) {
  const out = [
    '| tool | task | wall s | peak RSS MB | time × fastest peer | memory × leanest peer | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const task of [...new Set(rows.map((r) => r.task))]) {
    const taskRows = rows.filter((r) => r.task === task);
    const base = task.replace(/-2nd$/, '');
    const peersOk = rows.filter((r) => r.task === base && r.ok && PEER_TOOLS.has(r.tool));
    const fastest = peersOk.length ? Math.min(...peersOk.map((r) => r.wallS)) : null;
    const leanest = peersOk.length ? Math.min(...peersOk.map((r) => r.maxRssMB)) : null;
    const floor = taskRows.find((r) => r.ok && r.tool === 'floor-scan');
    for (const r of taskRows) {
      let note = r.ok ? (r.samples > 1 ? `best of ${r.samples}` : '') : r.skipped ? r.error : `FAIL: ${r.error}`;
      if (r.ok && floor && r.tool === 'backrefs') note = `${note ? `${note}; ` : ''}${fmt(r.wallS / floor.wallS)}× the floor scan`;
      const tr = r.ok && fastest ? `${fmt(r.wallS / fastest)}×` : '–';
      const mr = r.ok && leanest ? `${fmt(r.maxRssMB / leanest)}×` : '–';
      out.push(`| ${r.tool} | ${task} | ${fmt(r.wallS)} | ${r.maxRssMB ?? '–'} | ${tr} | ${mr} | ${note.replace(/\|/g, '\\|')} |`);
    }
  }
  return out.join('\n');
}

function gitHead() {
  try {
    const head = fs.readFileSync(path.join(ROOT, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    const loose = path.join(ROOT, '.git', ref);
    if (fs.existsSync(loose)) return fs.readFileSync(loose, 'utf8').trim();
    const packed = fs.readFileSync(path.join(ROOT, '.git', 'packed-refs'), 'utf8');
    return (
      packed
        .split('\n')
        .find((l) => l.endsWith(` ${ref}`))
        ?.split(' ')[0] ?? null
    );
  } catch {
    return null;
  }
}

/**
 * Draws one picture of a shipped sample, untimed, into a fresh cache directory, so that the first
 * looks of the benchmark find Graphviz's program kept as every picture after a user's first does.
 * Returns that directory holding only the kept program, or null when none was kept (then every
 * first look decodes it, as a user's very first picture does; `--first-ever` asks for that).
 */
function keepGraphvizProgram(tmpDir) {
  const dir = path.join(tmpDir, `graphviz-program-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const svg = path.join(tmpDir, `graphviz-program-${process.pid}.svg`);
  spawnSync(
    NODE,
    [
      BACKREFS_BIN,
      path.join(ROOT, 'samples', 'leak.heapsnapshot.gz'),
      '--type',
      'LeakyRequest',
      '--max-targets',
      '1',
      '--each',
      '-o',
      svg,
      '-q',
    ],
    {
      cwd: ROOT,
      stdio: 'ignore',
      env: { ...process.env, BACKREFS_CACHE: '1', BACKREFS_CACHE_DIR: dir },
    },
  );
  fs.rmSync(svg, { force: true });
  if (!fs.existsSync(dir)) return null;
  for (const name of fs.readdirSync(dir))
    if (!/^graphviz-.*\.wasm$/.test(name)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  const kept = fs.readdirSync(dir).length > 0;
  console.log(
    kept
      ? "First looks: Graphviz's program kept from an earlier picture (--first-ever: not)."
      : 'First looks: no Graphviz program could be kept.',
  );
  return kept ? dir : null;
}

async function warm(file) {
  // Read the file once so every tool starts with it in the page cache.
  await new Promise((resolve, reject) => {
    const s = fs.createReadStream(file, { highWaterMark: 8 << 20 });
    s.on('data', () => {});
    s.on('end', resolve);
    s.on('error', reject);
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(
      fs
        .readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 16)
        .map((l) => l.replace(/^\/\/ ?/, ''))
        .join('\n'),
    );
    return;
  }
  const tmpDir = path.join(opts.outDir, 'tmp');
  fs.mkdirSync(tmpDir, { recursive: true });
  if (!opts.firstEver && !opts.dryRun && opts.tools.includes('backrefs')) keptProgramDir = keepGraphvizProgram(tmpDir);
  const started = new Date();
  const results = {
    date: started.toISOString(),
    node: process.version,
    // Whether backrefs' first looks found Graphviz's program kept from an earlier picture.
    graphvizProgramKept: keptProgramDir !== null,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      totalMemMB: Math.round(os.totalmem() / 2 ** 20),
      platform: `${os.platform()} ${os.release()}`,
    },
    backrefsCommit: gitHead(),
    config: {
      BACKREFS_NODE_FLAGS,
      BACKREFS_COMMON_ARGS,
      BACKREFS_INFO_ARGS,
      BACKREFS_ANALYSIS_ARGS,
      PEER_NODE_FLAGS,
      TARGET_CLASS,
      timeoutMin: opts.timeoutMin,
      repeat: opts.repeat,
    },
    peerVersions: Object.fromEntries(
      ['heap-snapshot-toolkit', '@memlab/core'].map((p) => {
        try {
          return [p, JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules', p, 'package.json'), 'utf8')).version];
        } catch {
          return [p, null];
        }
      }),
    ),
    datasets: [],
    runs: [],
  };
  const tables = [];
  for (const size of opts.sizes) {
    const ds = resolveDataset(size);
    if (!fs.existsSync(ds.file)) {
      console.error(
        `\n[${ds.name}] missing ${path.relative(process.cwd(), ds.file)}: run \`node bench/gen-snapshot.mjs ${ds.name}\` first; skipping`,
      );
      continue;
    }
    const bytes = fs.statSync(ds.file).size;
    let gen = null;
    try {
      gen = JSON.parse(fs.readFileSync(ds.file.replace(/\.heapsnapshot$/, '.gen.json'), 'utf8'));
    } catch {
      /* none */
    }
    results.datasets.push({ name: ds.name, file: ds.file, bytes, gen });
    console.log(`\n[${ds.name}] ${ds.file} (${(bytes / 1e6).toFixed(1)} MB)`);
    if (opts.warm && !opts.dryRun) await warm(ds.file);
    const rows = [];
    for (const task of opts.tasks) {
      for (const tool of opts.tools) {
        if (!TASKS[task].tools[tool]) continue;
        const ctx = { dataset: ds.name, outDir: opts.outDir, tmpDir, stdoutFile: path.join(tmpDir, `stdout-${process.pid}.txt`) };
        const samples = [];
        for (let i = 0; i < opts.repeat; i++) {
          if (!opts.dryRun) process.stdout.write(`  ${task} ${tool}${opts.repeat > 1 ? ` #${i + 1}` : ''} ... `);
          const rec = await runOne(task, tool, ds, opts, ctx);
          if (!rec) break;
          samples.push(rec);
          results.runs.push({ ...rec, sample: i + 1 });
          console.log(
            rec.ok
              ? `${fmt(rec.wallS)} s, ${rec.maxRssMB} MB`
              : rec.skipped
                ? rec.error
                : `FAIL (${fmt(rec.wallS)} s, ${rec.maxRssMB ?? '?'} MB): ${rec.error}`,
          );
          if (!rec.ok) break; // do not repeat failures
        }
        if (!samples.length) continue;
        const okSamples = samples.filter((s) => s.ok);
        const best = okSamples.length ? okSamples.reduce((a, b) => (b.wallS < a.wallS ? b : a)) : samples[samples.length - 1];
        rows.push({
          ...best,
          samples: okSamples.length,
          maxRssMB: okSamples.length ? Math.min(...okSamples.map((s) => s.maxRssMB)) : best.maxRssMB,
        });
      }
    }
    if (opts.dryRun) continue;
    const title = `### ${ds.name} — ${(bytes / 1e6).toFixed(1)} MB${gen ? `, ${gen.units} units${gen.bigStrings ? `, ${gen.bigStrings} big strings` : ''}` : ''}`;
    const table = `${title}\n\n${tableFor(rows)}`;
    tables.push(table);
    console.log(`\n${table}`);
  }
  if (opts.dryRun) return;
  const stamp = started.toISOString().replace(/:/g, '').replace(/\..*$/, '');
  const outFile = path.join(opts.outDir, `results-${stamp}.json`);
  results.tables = tables;
  fs.writeFileSync(outFile, JSON.stringify(results, null, 2) + '\n');
  fs.rmSync(tmpDir, { recursive: true, force: true });
  console.log(`\nmachine: ${results.machine.cpus} cpus, ${results.machine.totalMemMB} MB, node ${process.version}`);
  console.log(`results: ${path.relative(process.cwd(), outFile)}`);
}

await main();
