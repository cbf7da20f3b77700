#!/usr/bin/env node
// bench/eval-vs-promptfoo: `ballast eval` against promptfoo 0.121.20 on the same cases, against one
// local OpenAI-compatible server that answers after 20 ms. See bench/README.md.
//
//   node bench/eval-vs-promptfoo/run.mjs [--cases 1000,10000] [--runs 3]
//        [--concurrency 1000:20,10000:100] [--tools ballast,client,promptfoo-1p,promptfoo-2p]
//        [--delay-ms 20] [--idle-wait-s 60] [--profile] [--no-build] [--quick] [--keep-others]
//        [--results-name eval-vs-promptfoo]
//
// --results-name: the results' file names in bench/results/ (default eval-vs-promptfoo), e.g. for a
// memory-scaling series at one concurrency (--cases 1000,10000,30000 --concurrency 1000:100,30000:100).
//
// --keep-others: runs only --tools, and carries the other tools' runs over from the previous
// bench/results/eval-vs-promptfoo.json (each keeps its date in `carried_from`), so Ballast can be
// re-measured after a change without another half hour of promptfoo.
//
// One command does everything: builds Ballast, installs promptfoo into this folder if missing,
// starts the server (pinned to core 0 with taskset when available), writes the datasets and
// configs, runs every configuration --runs times (interleaved), and writes
// bench/results/eval-vs-promptfoo.json and .md. Needs GNU time at /usr/bin/time
// (`apt-get install -y time`).

import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBallastDataset, writeBallastProject, writePromptfooConfig } from './generate.mjs';
import { formatSummary, summarise } from './profile-summary.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const RESULTS = join(REPO, 'bench', 'results');
const WORK = join(HERE, 'work');
// Ballast runs from a copy of bin/ and dist/ taken after the build, so that a rebuild of the
// working tree while the bench runs (tests, another build) cannot change what is measured.
const BALLAST_COPY = join(WORK, 'ballast-build');
const BALLAST_BIN = join(BALLAST_COPY, 'bin', 'ballast.js');
const PROMPTFOO_VERSION = '0.121.20';
const PROMPTFOO_BIN = join(HERE, 'node_modules', 'promptfoo', 'dist', 'src', 'entrypoint.js');
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = {
    cases: [1000, 10000],
    runs: 3,
    concurrency: new Map(),
    tools: ['ballast', 'client', 'promptfoo-1p', 'promptfoo-2p'],
    delayMs: 20,
    idleWaitS: 60,
    profile: false,
    build: true,
    keepOthers: false,
    resultsName: 'eval-vs-promptfoo',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--cases') o.cases = next().split(',').map(Number);
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--concurrency')
      for (const pair of next().split(',')) {
        const [n, c] = pair.split(':').map(Number);
        o.concurrency.set(n, c);
      }
    else if (a === '--tools') o.tools = next().split(',');
    else if (a === '--delay-ms') o.delayMs = Number(next());
    else if (a === '--idle-wait-s') o.idleWaitS = Number(next());
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep-others') o.keepOthers = true;
    else if (a === '--results-name') o.resultsName = next();
    else if (a === '--quick') {
      o.cases = [100];
      o.runs = 1;
    } else if (a === '--help' || a === '-h') {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 21)
          .join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.cases.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('--cases: whole numbers ≥ 1');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs: a whole number ≥ 1');
  for (const t of o.tools)
    if (!['ballast', 'client', 'promptfoo-1p', 'promptfoo-2p'].includes(t))
      throw new Error(`unknown tool ${t}`);
  return o;
}

/** The issue's settings: concurrency 20 at 1,000 cases and 100 at 10,000. */
const concurrencyFor = (o, n) => o.concurrency.get(n) ?? (n <= 1000 ? 20 : 100);

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const log = (...a) => console.error('[bench]', ...a);

function has(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The machine's CPU use (all cores, 0–100) over `ms`, from /proc/stat; null off Linux. */
async function machineBusyPct(ms = 1000) {
  const read = () => {
    try {
      const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      const idle = f[3] + (f[4] ?? 0);
      return { idle, total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const a = read();
  await sleep(ms);
  const b = read();
  if (!a || !b || b.total === a.total) return null;
  return round(100 * (1 - (b.idle - a.idle) / (b.total - a.total)), 1);
}

/**
 * Waits (up to idleWaitS) until the machine is mostly idle, so that another process's work does
 * not land in a measurement; returns the last reading, which is recorded with the run.
 */
async function waitForIdle(idleWaitS) {
  const deadline = Date.now() + idleWaitS * 1000;
  let busy = await machineBusyPct();
  while (busy !== null && busy > 20 && Date.now() < deadline) busy = await machineBusyPct();
  return busy;
}

// ---------------------------------------------------------------------------------------------
// Set-up: build, promptfoo, server

function prepare(o) {
  if (!existsSync(TIME)) {
    console.error(`${TIME} (GNU time) is needed for CPU seconds and peak RSS: apt-get install -y time`);
    process.exit(2);
  }
  if (o.build) {
    log('building Ballast (npm run build)…');
    execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  if (!existsSync(join(REPO, 'dist', 'main', 'cli.js'))) {
    console.error('Ballast is not built: run `npm run build` in the repository root');
    process.exit(2);
  }
  // The copy that is measured (see BALLAST_COPY).
  rmSync(BALLAST_COPY, { recursive: true, force: true });
  mkdirSync(BALLAST_COPY, { recursive: true });
  for (const part of ['bin', 'dist', 'package.json'])
    cpSync(join(REPO, part), join(BALLAST_COPY, part), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(BALLAST_COPY, 'node_modules'), 'dir');
  const built = gitState();
  if (o.tools.some((t) => t.startsWith('promptfoo')) && !existsSync(PROMPTFOO_BIN)) {
    log(`installing promptfoo@${PROMPTFOO_VERSION} into ${relative(REPO, HERE)}/node_modules…`);
    execFileSync('npm', ['install', '--prefix', HERE, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  return built;
}

async function startServer(delayMs) {
  const pinned = has('taskset');
  const cmd = pinned ? 'taskset' : process.execPath;
  const args = [
    ...(pinned ? ['-c', '0', process.execPath] : []),
    join(HERE, 'server.mjs'),
    '--port',
    '0',
    '--delay-ms',
    String(delayMs),
  ];
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const line = buf.split('\n')[0];
      if (buf.includes('\n')) resolve(JSON.parse(line).port);
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    pinned,
    baseUrl: `${base}/v1`,
    reset: () => fetch(`${base}/reset`, { method: 'POST' }),
    stats: async () => (await fetch(`${base}/stats`)).json(),
    stop: () => child.kill('SIGTERM'),
  };
}

// ---------------------------------------------------------------------------------------------
// One measured run

/**
 * Runs one tool on n cases under /usr/bin/time and returns its numbers. Each run gets a fresh
 * store (Ballast's SQLite file, promptfoo's config dir with its database), as in CI.
 */
async function measure(server, spec) {
  const { tool, n, concurrency, label, nodeArgs = [] } = spec;
  const dir = join(WORK, 'runs', label);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const timeFile = join(dir, 'time.txt');
  let cwd;
  let entryArgs;
  const env = { ...process.env, NO_COLOR: '1' };
  if (tool === 'ballast') {
    cwd = join(WORK, 'ballast');
    entryArgs = [
      BALLAST_BIN,
      'eval',
      'bench',
      '--dataset',
      `datasets/cases-${n}.jsonl`,
      '--concurrency',
      String(concurrency),
      '--cache',
      'off',
      '--db',
      `sqlite:${join(dir, 'ballast.db')}`,
    ];
    env.BENCH_BASE_URL = server.baseUrl;
  } else if (tool === 'client') {
    cwd = join(WORK, 'ballast');
    entryArgs = [
      join(HERE, 'bare-client.mjs'),
      '--base-url',
      server.baseUrl,
      '--dataset',
      `datasets/cases-${n}.jsonl`,
      '--concurrency',
      String(concurrency),
    ];
  } else {
    const providers = tool === 'promptfoo-2p' ? 2 : 1;
    cwd = join(WORK, 'promptfoo');
    entryArgs = [
      PROMPTFOO_BIN,
      'eval',
      '-c',
      `promptfooconfig-${n}-${providers}p.yaml`,
      '--no-cache',
      '-j',
      String(concurrency),
      '--no-table',
      '--no-progress-bar',
    ];
    Object.assign(env, {
      PROMPTFOO_CONFIG_DIR: join(dir, 'promptfoo-home'),
      PROMPTFOO_DISABLE_TELEMETRY: '1',
      PROMPTFOO_DISABLE_UPDATE: '1',
      PROMPTFOO_DISABLE_SHARING: '1',
    });
  }
  const background = await waitForIdle(spec.idleWaitS);
  await server.reset();
  const out = openSync(join(dir, 'stdout.txt'), 'w');
  const err = openSync(join(dir, 'stderr.txt'), 'w');
  const t0 = process.hrtime.bigint();
  const startedAt = Date.now();
  const code = await new Promise((resolve) => {
    const child = spawn(
      TIME,
      ['-f', '%e %U %S %M', '-o', timeFile, process.execPath, ...nodeArgs, ...entryArgs],
      {
        cwd,
        env,
        stdio: ['ignore', out, err],
      },
    );
    child.on('exit', (c) => resolve(c));
  });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const endedAt = Date.now();
  closeSync(out);
  closeSync(err);
  const stats = await server.stats();
  const [, userS, sysS, maxKb] = readFileSync(timeFile, 'utf8')
    .trim()
    .split('\n')
    .pop()
    .split(' ')
    .map(Number);
  const expectedCalls = n * (tool === 'promptfoo-1p' ? 1 : 2);
  const okCodes = tool === 'ballast' ? [0, 1, 4] : tool === 'client' ? [0] : [0, 100];
  const ok = okCodes.includes(code) && stats.calls === expectedCalls;
  // The stores are not kept: 10k-case runs write tens of MB each.
  rmSync(join(dir, 'ballast.db'), { force: true });
  rmSync(join(dir, 'promptfoo-home'), { recursive: true, force: true });
  return {
    tool,
    cases: n,
    calls: stats.calls,
    expected_calls: expectedCalls,
    concurrency,
    wall_s: round(wallS, 3),
    cpu_s: round(userS + sysS, 2),
    user_s: userS,
    sys_s: sysS,
    peak_rss_mb: round(maxKb / 1024, 1),
    calls_per_s: round(stats.calls / wallS, 1),
    cpu_ms_per_call: stats.calls ? round(((userS + sysS) * 1000) / stats.calls, 3) : null,
    floor_s: round((Math.ceil(expectedCalls / concurrency) * stats.delayMs) / 1000, 2),
    exit_code: code,
    ok,
    // Where the wall time went: until the server saw the first call (start-up: node, modules,
    // project, dataset, store), from it to the last answer (the calls), and after it (scoring
    // the last cases, the verdict, the report, exit). Epoch milliseconds, ±1 ms.
    phases_s:
      stats.firstCallAt === null
        ? null
        : {
            start: round((stats.firstCallAt - startedAt) / 1000, 3),
            calls: round((stats.lastAnswerAt - stats.firstCallAt) / 1000, 3),
            end: round((endedAt - stats.lastAnswerAt) / 1000, 3),
          },
    server: {
      max_in_flight: stats.maxInFlight,
      connections: stats.connections,
      cpu_s: round(stats.cpuSeconds, 2),
    },
    machine_busy_pct_before: background,
    logs: relative(REPO, dir),
  };
}

// ---------------------------------------------------------------------------------------------
// Reporting

const TOOL_LABEL = {
  ballast: 'Ballast (baseline + candidate: 2 calls/case)',
  client: 'bare undici client, the same 2 calls/case and nothing else (the floor here)',
  'promptfoo-1p': 'promptfoo, 1 provider (1 call/case)',
  'promptfoo-2p': 'promptfoo, 2 providers (2 calls/case)',
};

function summariseRuns(runs) {
  const groups = new Map();
  for (const r of runs) {
    const k = `${r.tool}|${r.cases}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  return [...groups.values()].map((rs) => {
    const m = (f) => median(rs.map(f));
    return {
      tool: rs[0].tool,
      cases: rs[0].cases,
      runs: rs.length,
      all_ok: rs.every((r) => r.ok),
      calls: m((r) => r.calls),
      concurrency: rs[0].concurrency,
      floor_s: rs[0].floor_s,
      wall_s: round(
        m((r) => r.wall_s),
        2,
      ),
      wall_s_min: round(Math.min(...rs.map((r) => r.wall_s)), 2),
      wall_s_max: round(Math.max(...rs.map((r) => r.wall_s)), 2),
      calls_per_s: round(
        m((r) => r.calls_per_s),
        0,
      ),
      cpu_s: round(
        m((r) => r.cpu_s),
        2,
      ),
      cpu_ms_per_call: round(
        m((r) => r.cpu_ms_per_call),
        2,
      ),
      peak_rss_mb: round(
        m((r) => r.peak_rss_mb),
        0,
      ),
      phases_s: rs.every((r) => r.phases_s)
        ? Object.fromEntries(
            ['start', 'calls', 'end'].map((k) => [
              k,
              round(
                m((r) => r.phases_s[k]),
                2,
              ),
            ]),
          )
        : null,
    };
  });
}

function markdownTable(summary) {
  const lines = [
    '| tool | cases | calls | concurrency | wall s (median; min–max) | start · calls · end s | floor s | calls/s | CPU s | CPU ms/call | peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const order = { client: 0, ballast: 1, 'promptfoo-1p': 2, 'promptfoo-2p': 3 };
  const rows = [...summary].sort((a, b) => a.cases - b.cases || order[a.tool] - order[b.tool]);
  for (const s of rows) {
    lines.push(
      `| ${TOOL_LABEL[s.tool]}${s.all_ok ? '' : ' ⚠'} | ${s.cases.toLocaleString('en')} | ${s.calls.toLocaleString('en')} | ${s.concurrency} | ${s.wall_s} (${s.wall_s_min}–${s.wall_s_max}) | ${s.phases_s ? `${s.phases_s.start} · ${s.phases_s.calls} · ${s.phases_s.end}` : '–'} | ${s.floor_s} | ${s.calls_per_s.toLocaleString('en')} | ${s.cpu_s} | ${s.cpu_ms_per_call} | ${s.peak_rss_mb} |`,
    );
  }
  return lines.join('\n');
}

/** The issue's goals, checked against the medians. */
function goals(summary) {
  const get = (tool, cases) => summary.find((s) => s.tool === tool && s.cases === cases);
  const out = [];
  const b1 = get('ballast', 1000);
  const b10 = get('ballast', 10000);
  const c10 = get('client', 10000);
  const start = get('ballast', 1);
  const verdict = (ok) => (ok ? 'met' : 'NOT met');
  for (const pf of ['promptfoo-1p', 'promptfoo-2p']) {
    const p1 = get(pf, 1000);
    if (b1 && p1) {
      const speed = p1.wall_s / b1.wall_s;
      const mem = b1.peak_rss_mb / p1.peak_rss_mb;
      out.push({
        goal: `≥ 3× faster than ${TOOL_LABEL[pf]} at 1k`,
        value: `${round(speed, 2)}× (${b1.wall_s} s vs ${p1.wall_s} s)`,
        status: verdict(speed >= 3),
      });
      out.push({
        goal: `≤ half the memory of ${TOOL_LABEL[pf]} at 1k`,
        value: `${round(mem, 2)}× (${b1.peak_rss_mb} MB vs ${p1.peak_rss_mb} MB)`,
        status: verdict(mem <= 0.5),
      });
    }
  }
  if (b10)
    out.push({
      goal: 'Ballast: 10k cases in ≤ 6 s',
      value: `${b10.wall_s} s (floor ${b10.floor_s} s${c10 ? `; the bare client ${c10.wall_s} s` : ''})`,
      status: verdict(b10.wall_s <= 6),
    });
  if (b1 && b10) {
    const growth = b10.peak_rss_mb / b1.peak_rss_mb;
    const perCase = ((b10.peak_rss_mb - b1.peak_rss_mb) * 1024) / 9000;
    out.push({
      goal: 'Ballast: memory flat in the number of cases (10k / 1k peak RSS ≤ 1.25)',
      value: `${round(growth, 2)}× (${b1.peak_rss_mb} → ${b10.peak_rss_mb} MB, ≈ ${round(perCase, 1)} KB per extra case)`,
      status: verdict(growth <= 1.25),
    });
  }
  if (start)
    out.push({
      goal: 'Ballast: start-up for 1 case ≤ 0.5 s',
      value: `${start.wall_s} s (${start.cpu_s} CPU-s, ${start.peak_rss_mb} MB)`,
      status: verdict(start.wall_s <= 0.5),
    });
  return out;
}

/** The commit the measured copy was built from, and whether tracked files differed from it. */
function gitState() {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd: REPO,
        encoding: 'utf8',
      }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

function machineInfo(server, o, startedAt, built) {
  const { commit, dirty } = built;
  const pfPkg = join(HERE, 'node_modules', 'promptfoo', 'package.json');
  return {
    date: startedAt,
    finished: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    load_avg_at_end: os.loadavg().map((x) => round(x, 2)),
    ballast: {
      version: JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version,
      commit,
      uncommitted_changes: dirty,
      measured_copy: relative(REPO, BALLAST_COPY),
    },
    promptfoo: existsSync(pfPkg) ? JSON.parse(readFileSync(pfPkg, 'utf8')).version : null,
    server: { delay_ms: o.delayMs, pinned_to_core_0: server.pinned, keep_alive: true, streaming: false },
    runs_per_configuration: o.runs,
    cache: 'off (Ballast --cache off, promptfoo --no-cache)',
  };
}

// ---------------------------------------------------------------------------------------------
// Main

/** The promptfoo version recorded in a result file (for runs carried over from it). */
function previousPromptfoo(file) {
  return JSON.parse(readFileSync(file, 'utf8')).machine?.promptfoo ?? null;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const startedAt = new Date().toISOString();
  const built = prepare(o);
  mkdirSync(RESULTS, { recursive: true });
  const server = await startServer(o.delayMs);
  const stopServer = () => server.stop();
  process.on('exit', stopServer);
  process.on('SIGINT', () => process.exit(130));
  try {
    log(
      `server at ${server.baseUrl} (${o.delayMs} ms per answer${server.pinned ? ', pinned to core 0' : ''})`,
    );
    const sizes = [1, ...o.cases.filter((n) => n !== 1)];
    writeBallastProject(join(WORK, 'ballast'));
    for (const n of sizes) {
      writeBallastDataset(join(WORK, 'ballast'), n);
      for (const p of [1, 2]) writePromptfooConfig(join(WORK, 'promptfoo'), n, server.baseUrl, p);
    }
    const runs = [];
    const base = { idleWaitS: o.idleWaitS };
    // Warm-up (not recorded): loads each tool's files into the page cache.
    for (const tool of o.tools)
      await measure(server, { ...base, tool, n: 1, concurrency: 1, label: `warmup-${tool}` });
    // Start-up: one case, `runs` times per tool.
    for (let r = 1; r <= o.runs; r++)
      for (const tool of o.tools.filter((t) => t !== 'promptfoo-2p')) {
        const res = await measure(server, {
          ...base,
          tool,
          n: 1,
          concurrency: 1,
          label: `${tool}-1-run${r}`,
        });
        log(`${tool} 1 case run ${r}: ${res.wall_s} s, ${res.cpu_s} CPU-s, ${res.peak_rss_mb} MB`);
        runs.push({ ...res, run: r });
      }
    // The sizes, each configuration `runs` times, interleaved so that drift hits all tools alike.
    for (const n of o.cases) {
      const concurrency = concurrencyFor(o, n);
      for (let r = 1; r <= o.runs; r++)
        for (const tool of o.tools) {
          const res = await measure(server, { ...base, tool, n, concurrency, label: `${tool}-${n}-run${r}` });
          log(
            `${tool} ${n} cases run ${r}: ${res.wall_s} s, ${res.cpu_s} CPU-s, ${res.peak_rss_mb} MB, ${res.calls} calls, exit ${res.exit_code}${res.ok ? '' : ' ⚠ unexpected'}`,
          );
          runs.push({ ...res, run: r });
        }
    }
    // Runs of the other tools, carried over from the previous result file (see --keep-others).
    const resultFile = join(RESULTS, `${o.resultsName}.json`);
    let carriedFrom;
    if (o.keepOthers && existsSync(resultFile)) {
      const previous = JSON.parse(readFileSync(resultFile, 'utf8'));
      carriedFrom = previous.machine?.date;
      for (const run of previous.runs ?? [])
        if (!o.tools.includes(run.tool)) runs.push({ ...run, carried_from: run.carried_from ?? carriedFrom });
    }
    const machine = machineInfo(server, o, startedAt, built);
    if (carriedFrom && machine.promptfoo === null) machine.promptfoo = previousPromptfoo(resultFile);
    const summary = summariseRuns(runs);
    const goalRows = goals(summary);

    // Optional: where Ballast's time goes, from a CPU profile of one extra (unrecorded) run.
    let profiles = [];
    if (o.profile && o.tools.includes('ballast')) {
      for (const n of [1, ...o.cases]) {
        const profDir = join(WORK, 'profiles', `ballast-${n}`);
        rmSync(profDir, { recursive: true, force: true });
        await measure(server, {
          ...base,
          tool: 'ballast',
          n,
          concurrency: n === 1 ? 1 : concurrencyFor(o, n),
          label: `profile-ballast-${n}`,
          nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`],
        });
        const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
        const s = summarise(JSON.parse(readFileSync(join(profDir, file), 'utf8')), 25);
        profiles.push({ cases: n, profile: relative(REPO, join(profDir, file)), ...s });
      }
      const md = [
        '# Where `ballast eval` spends its time',
        '',
        `CPU profiles (\`node --cpu-prof\`) of one extra run per size, ${new Date().toISOString().slice(0, 10)}, summarised by`,
        '`bench/eval-vs-promptfoo/profile-summary.mjs`. Self time is time in the function itself;',
        'inclusive time adds its callees. The raw profiles are in `bench/eval-vs-promptfoo/work/profiles/` (not kept in git).',
        '',
        ...profiles.flatMap((p) => [`## ${p.cases.toLocaleString('en')} case(s)`, '', formatSummary(p), '']),
      ].join('\n');
      writeFileSync(join(RESULTS, `${o.resultsName}-profile.md`), md);
      profiles = profiles.map(({ functions, files, inclusive, ...rest }) => ({
        ...rest,
        top_self: functions.slice(0, 10),
        top_files: files.slice(0, 10),
        top_inclusive: inclusive.slice(0, 10),
      }));
    }

    const result = {
      bench: 'eval-vs-promptfoo',
      machine,
      method: {
        ballast:
          'node work/ballast-build/bin/ballast.js (bin/ and dist/ copied after the build) eval bench --dataset datasets/cases-N.jsonl --concurrency C --cache off --db sqlite:<fresh file>',
        promptfoo:
          'node node_modules/promptfoo/dist/src/entrypoint.js eval -c promptfooconfig-N-{1,2}p.yaml --no-cache -j C --no-table --no-progress-bar (fresh PROMPTFOO_CONFIG_DIR; telemetry and update check off)',
        measured:
          'wall: from spawn to exit (runner clock); cpu_s: user+sys of the child and its children (GNU time); peak_rss_mb: GNU time %M; calls: counted by the server',
        floor_s: 'ceil(calls / concurrency) × server delay: the time the calls alone need',
      },
      ...(carriedFrom
        ? {
            // Each carried run keeps the date it was measured; name those dates, not the file's.
            carried: `runs of tools other than ${o.tools.join(', ')} carried over from the run(s) of ${[
              ...new Set(runs.filter((r) => r.carried_from).map((r) => r.carried_from)),
            ]
              .sort()
              .join(', ')}`,
          }
        : {}),
      summary,
      goals: goalRows,
      runs,
      ...(profiles.length ? { profiles } : {}),
    };
    writeFileSync(join(RESULTS, `${o.resultsName}.json`), `${JSON.stringify(result, null, 2)}\n`);
    const md = [
      `# ${o.resultsName} — ${result.machine.date.slice(0, 10)}`,
      '',
      `Node ${result.machine.node} · ${result.machine.cores} cores (${result.machine.cpu})${result.machine.promptfoo ? ` · promptfoo ${result.machine.promptfoo}` : ''} · Ballast ${result.machine.ballast.version} @ ${String(result.machine.ballast.commit).slice(0, 8)}${result.machine.ballast.uncommitted_changes ? ' (+ uncommitted changes)' : ''} · server ${o.delayMs} ms${server.pinned ? ', pinned to core 0' : ''} · cache off · median of ${o.runs} run(s)`,
      '',
      markdownTable(summary),
      '',
      ...(result.carried ? [`Note: ${result.carried} (same machine, same method).`, ''] : []),
      '| goal (issue #4) | measured | status |',
      '|---|---|---|',
      ...goalRows.map((g) => `| ${g.goal} | ${g.value} | ${g.status} |`),
      '',
    ].join('\n');
    writeFileSync(join(RESULTS, `${o.resultsName}.md`), md);
    console.log(md);
    log(`wrote ${relative(REPO, join(RESULTS, `${o.resultsName}.json`))} and .md`);
    if (runs.some((r) => !r.ok)) {
      log('some runs had an unexpected exit code or call count (⚠); see their logs');
      process.exitCode = 1;
    }
  } finally {
    server.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
