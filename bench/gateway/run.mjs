#!/usr/bin/env node
// bench/gateway: what a gateway in front of a fast OpenAI-compatible upstream costs, for
// (a) the upstream directly, (b) nginx proxy_pass, (c) Portkey's gateway, (d) `ballast serve`
// with a 50 % rollout, one input and one output guardrail, and telemetry on, and (e) a bare Node
// proxy hop with no features (node-hop.mjs: what any Node proxy pays here). See README.md.
//
//   node bench/gateway/run.mjs [--duration 20] [--connections 50] [--targets direct,nginx,portkey,ballast,node]
//        [--seq-requests 2000] [--soak-minutes N] [--soak-pg URL] [--quick] [--idle-wait-s 60] [--max-busy-pct 25]
//        [--max-others-pct 10] [--retries 2]
//        [--loader wrk|autocannon] [--ballast-model chat] [--ballast-arg ARG]… [--ballast-node-arg ARG]… [--results-name gateway] [--no-copy]
//
// --targets may also name floor-http-http, floor-http-undici, floor-fastify-undici, floor-http-undici-events (floor-hop.mjs):
// the floor under Ballast, a JSON hop built from each pair of server and client parts, e.g.
//   node bench/gateway/run.mjs --targets direct,node,floor-http-http,floor-http-undici,floor-fastify-undici,ballast --results-name gateway-floor
//
// The upstream and the target run on core 0 (taskset -c 0), the load generator and the
// one-connection client on core 1. Each target × {non-streaming, streaming}: 50 connections for
// 20 s (requests/s, p50/p99, the target's CPU µs per request from /proc/PID/stat, peak and steady
// RSS), then one connection sending requests one after another (p50 latency and time to first
// byte, compared with the upstream directly). Writes bench/results/gateway.json and gateway.md.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createConnection, createServer as createNetServer } from 'node:net';
import os from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requestBody, writeBallastProject, writeNginxConf, writeWrkScript } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const RESULTS = join(REPO, 'bench', 'results');
const WORK = join(HERE, 'work');
const PORTKEY_PKG = join(HERE, 'node_modules', '@portkey-ai', 'gateway');
const PORTKEY_BIN = join(PORTKEY_PKG, 'build', 'start-server.js');
const AUTOCANNON_BIN = join(HERE, 'node_modules', 'autocannon', 'autocannon.js');
// Ballast runs from a copy of bin/ and dist/ (as in bench/eval-vs-promptfoo), so that a rebuild
// of the working tree while the bench runs cannot change what is measured.
const BALLAST_COPY = join(WORK, 'ballast-build');
const ALL_TARGETS = ['direct', 'nginx', 'portkey', 'ballast', 'node'];
// Not run by default: the floor under Ballast, a JSON hop from each pair of parts (floor-hop.mjs).
const FLOOR_TARGETS = [
  'floor-http-http',
  'floor-http-undici',
  'floor-fastify-undici',
  'floor-http-undici-events',
];
const MODES = ['json', 'stream'];
const MODE_LABEL = { json: 'non-streaming', stream: 'streaming (10 SSE events)' };
const TARGET_LABEL = {
  direct: '(a) upstream directly',
  nginx: '(b) nginx proxy_pass',
  portkey: "(c) Portkey's gateway",
  ballast: '(d) ballast serve',
  node: '(e) bare Node proxy hop',
  'floor-http-http': '(f) JSON hop: node:http → node:http',
  'floor-http-undici': '(g) JSON hop: node:http → undici',
  'floor-fastify-undici': '(h) JSON hop: Fastify → undici',
  'floor-http-undici-events': '(i) JSON hop: node:http → undici, streamed events parsed and re-framed',
};
// Figures measured before (issue #5) on another machine, non-streaming, 50 connections.
const REFERENCE = {
  direct_req_per_s: [61_700, 61_700],
  nginx_req_per_s: [31_000, 35_800],
  nginx_cpu_us: [16, 16],
  node_req_per_s: [13_800, 13_800],
  node_cpu_us: [51, 51],
  portkey_req_per_s: [1_100, 1_350],
  portkey_cpu_us: [670, 813],
  portkey_added_p50_ms: [0.6, 0.6],
  portkey_added_ttfb_ms: [27, 27],
};
const UNREACHABLE_STORE = 'postgres://bench@127.0.0.1:1/nowhere';

// ---------------------------------------------------------------------------------------------
// Options

function parseArgs(argv) {
  const o = {
    duration: 20,
    connections: 50,
    targets: [...ALL_TARGETS],
    seqRequests: 2000,
    seqWarmup: 200,
    warmupS: 3,
    soakMinutes: 0,
    soakPg: 'postgres://postgres@127.0.0.1:5432/postgres',
    idleWaitS: 60,
    maxBusyPct: 25,
    maxOthersPct: 10,
    retries: 2,
    loader: null,
    ballastModel: 'chat',
    ballastArgs: [],
    ballastNodeArgs: [],
    resultsName: 'gateway',
    copy: true,
    quick: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--duration') o.duration = Number(next());
    else if (a === '--connections') o.connections = Number(next());
    else if (a === '--targets') o.targets = next().split(',').filter(Boolean);
    else if (a === '--seq-requests') o.seqRequests = Number(next());
    else if (a === '--soak-minutes') o.soakMinutes = Number(next());
    else if (a === '--soak-pg') o.soakPg = next();
    else if (a === '--idle-wait-s') o.idleWaitS = Number(next());
    else if (a === '--max-busy-pct') o.maxBusyPct = Number(next());
    else if (a === '--max-others-pct') o.maxOthersPct = Number(next());
    else if (a === '--retries') o.retries = Number(next());
    else if (a === '--loader') o.loader = next();
    else if (a === '--ballast-model') o.ballastModel = next();
    else if (a === '--ballast-arg') o.ballastArgs.push(next());
    else if (a === '--ballast-node-arg') o.ballastNodeArgs.push(next());
    else if (a === '--results-name') o.resultsName = next();
    else if (a === '--no-copy') o.copy = false;
    else if (a === '--quick') {
      o.quick = true;
      o.duration = 3;
      o.seqRequests = 300;
      o.seqWarmup = 50;
      o.warmupS = 1;
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
  for (const t of o.targets)
    if (!ALL_TARGETS.includes(t) && !FLOOR_TARGETS.includes(t)) throw new Error(`unknown target ${t}`);
  if (!(o.duration > 0)) throw new Error('--duration: seconds > 0');
  if (!Number.isInteger(o.connections) || o.connections < 1) throw new Error('--connections: ≥ 1');
  if (!Number.isInteger(o.seqRequests) || o.seqRequests < 10) throw new Error('--seq-requests: ≥ 10');
  if (!(o.soakMinutes >= 0)) throw new Error('--soak-minutes: ≥ 0');
  if (o.loader && !['wrk', 'autocannon'].includes(o.loader)) throw new Error('--loader: wrk or autocannon');
  return o;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.error('[bench]', ...a);

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The process and its descendants (nginx: master + worker), from /proc. */
function processTree(root) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(d), Number(after[1]));
    } catch {
      // gone
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++)
    for (const [pid, ppid] of parent) if (ppid === out[i] && !out.includes(pid)) out.push(pid);
  return out;
}

/** utime + stime of the tree, in seconds (all threads included: /proc/PID/stat sums them). */
function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat(5); f[0] is field 3.
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks / CLK_TCK;
}

/** Busy time of the whole machine (all cores, user+nice+system+irq+softirq+steal), seconds. */
function machineBusySeconds() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3] - (f[4] ?? 0)) / CLK_TCK;
}

/** This process plus its exited (reaped) children — the load generators — in seconds. */
function selfAndReapedSeconds() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** VmRSS and VmHWM of the tree, in MB. */
function memory(pids) {
  let rss = 0;
  let hwm = 0;
  for (const pid of pids) {
    try {
      const s = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      hwm += Number(/VmHWM:\s+(\d+)/.exec(s)?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return { rssMb: rss / 1024, hwmMb: hwm / 1024 };
}

/** The machine's CPU use (all cores, 0–100) over `ms`, from /proc/stat. */
async function machineBusyPct(ms = 1000) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await sleep(ms);
  const b = read();
  return b.total === a.total ? 0 : round(100 * (1 - (b.idle - a.idle) / (b.total - a.total)), 1);
}

/**
 * Waits (up to idleWaitS) until the machine is nearly idle — by default under 25 % of its two
 * cores busy, i.e. less than half a core of someone else's work, the "load < 0.5" of the issue —
 * so that another process's work does not land in a measurement. Returns what it saw.
 */
async function waitForIdle(o) {
  const t0 = Date.now();
  const deadline = t0 + o.idleWaitS * 1000;
  let busy = await machineBusyPct();
  while (busy > o.maxBusyPct && Date.now() < deadline) busy = await machineBusyPct();
  const waited = round((Date.now() - t0) / 1000, 1);
  if (busy > o.maxBusyPct) log(`machine still ${busy} % busy after ${waited} s; measuring anyway (recorded)`);
  return { busy_pct: busy, waited_s: waited, load_avg: os.loadavg().map((x) => round(x, 2)) };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// Processes (each pinned with taskset when it is there)

const TASKSET = has('taskset');
const children = new Set();

function pinned(core, cmd, args) {
  return TASKSET ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
}

function startProcess(name, core, cmd, args, opts = {}) {
  const [c, a] = pinned(core, cmd, args);
  const logFile = join(WORK, 'logs', `${name}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const child = spawn(c, a, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  // The first 1 MB of its output goes to the log; the rest is dropped (and counted).
  const chunks = [];
  const file = createWriteStream(logFile);
  let kept = 0;
  let dropped = 0;
  const keep = (d) => {
    if (kept >= 1_000_000) {
      dropped += d.length;
      return;
    }
    kept += d.length;
    chunks.push(d);
    file.write(d);
  };
  child.on('exit', () => file.end(dropped ? `\n[bench] ${dropped} more bytes of output not kept\n` : ''));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.output = () => Buffer.concat(chunks).toString('utf8');
  child.logFile = logFile;
  return child;
}

async function stopProcess(child, signal = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await gone;
  clearTimeout(t);
}

process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

async function startUpstream() {
  const child = startProcess('upstream', 0, process.execPath, [join(HERE, 'upstream.mjs'), '--port', '0']);
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]).port);
    });
    child.on('exit', (code) => reject(new Error(`upstream exited (${code})`)));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    child,
    port,
    baseUrl: `${base}/v1`,
    reset: () => fetch(`${base}/reset`, { method: 'POST' }),
    stats: async () => (await fetch(`${base}/stats`)).json(),
  };
}

/** Waits until the port accepts connections (the process may still be starting). */
async function waitForPort(child, port, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited (${child.exitCode}) before listening; see ${relative(REPO, child.logFile)}`);
    if (await portOpen(port)) return;
    await sleep(100);
  }
  throw new Error(`not listening on ${port} after ${seconds} s; see ${relative(REPO, child.logFile)}`);
}

// ---------------------------------------------------------------------------------------------
// Set-up: tools

function aptInstall(pkgs) {
  if (!pkgs.length) return;
  const root = process.getuid?.() === 0;
  if (!root || !has('apt-get')) {
    log(`missing: ${pkgs.join(', ')} — install with: apt-get install -y ${pkgs.join(' ')}`);
    return;
  }
  log(`installing ${pkgs.join(', ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'ignore', env });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
    r = spawnSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'ignore', env });
  }
  if (r.status !== 0) log(`apt-get install ${pkgs.join(' ')} failed`);
}

function prepare(o) {
  if (process.platform !== 'linux') throw new Error('bench/gateway reads /proc: Linux only');
  const wantsNginx = o.targets.includes('nginx');
  const missing = [];
  if (!has('wrk') && o.loader !== 'autocannon') missing.push('wrk');
  if (wantsNginx && !has('nginx') && !existsSync('/usr/sbin/nginx')) missing.push('nginx');
  if (!TASKSET) missing.push('util-linux');
  aptInstall(missing);
  const nginxBin = has('nginx') ? 'nginx' : existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null;
  if (!existsSync(PORTKEY_BIN) || !existsSync(AUTOCANNON_BIN)) {
    log(`installing ${relative(REPO, HERE)}/node_modules (Portkey's gateway, autocannon)…`);
    execFileSync('npm', ['install', '--prefix', HERE, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  }
  const loader = o.loader ?? (has('wrk') ? 'wrk' : 'autocannon');
  if (!TASKSET) log('taskset not found: processes are NOT pinned to cores (numbers are less comparable)');
  return { nginxBin, loader };
}

/** `ballast serve` exists when its help names it; else (d) is skipped with this reason. */
function ballastServeAvailable(bin) {
  if (!existsSync(bin)) return { ok: false, why: `${relative(REPO, bin)} not found (run npm run build)` };
  const r = spawnSync(process.execPath, [bin, 'serve', '--help'], { encoding: 'utf8', timeout: 30_000 });
  const text = `${r.stdout}${r.stderr}`;
  if (r.status === 0 && /Usage: ballast serve/.test(text)) return { ok: true, help: text };
  return {
    ok: false,
    why: '`ballast serve --help` does not show the serve command yet (not built, or not implemented)',
  };
}

function prepareBallast(o) {
  const repoBin = join(REPO, 'bin', 'ballast.js');
  const avail = ballastServeAvailable(repoBin);
  if (!avail.ok) return { ...avail, bin: repoBin };
  let bin = repoBin;
  if (o.copy) {
    rmSync(BALLAST_COPY, { recursive: true, force: true });
    mkdirSync(BALLAST_COPY, { recursive: true });
    for (const part of ['bin', 'dist', 'package.json'])
      cpSync(join(REPO, part), join(BALLAST_COPY, part), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(BALLAST_COPY, 'node_modules'), 'dir');
    bin = join(BALLAST_COPY, 'bin', 'ballast.js');
  }
  return { ok: true, bin, help: avail.help };
}

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

// ---------------------------------------------------------------------------------------------
// Targets: each start() returns { child, port, url, headers, model, version, notes }

async function startTarget(name, ctx) {
  const { upstream, tools, o, ballast } = ctx;
  if (name === 'direct')
    return {
      child: upstream.child,
      shared: true,
      url: `${upstream.baseUrl}/chat/completions`,
      headers: {},
      model: 'bench-model',
      version: `node ${process.version} node:http`,
    };
  const port = await freePort();
  // A proxy started here on `port` that takes the upstream's own requests (no extra headers).
  const local = (child, version, notes) => ({
    child,
    port,
    url: `http://127.0.0.1:${port}/v1/chat/completions`,
    headers: {},
    model: 'bench-model',
    version,
    notes,
  });
  if (name === 'nginx') {
    if (!tools.nginxBin) return { skipped: 'nginx is not installed (apt-get install -y nginx)' };
    const dir = join(WORK, 'nginx');
    rmSync(dir, { recursive: true, force: true });
    const conf = writeNginxConf(dir, { port, upstreamPort: upstream.port, asRoot: process.getuid?.() === 0 });
    const child = startProcess('nginx', 0, tools.nginxBin, [
      '-p',
      dir,
      '-c',
      conf,
      '-e',
      join(dir, 'error.log'),
    ]);
    await waitForPort(child, port, 10);
    const version = spawnSync(tools.nginxBin, ['-v'], { encoding: 'utf8' }).stderr.trim();
    return local(
      child,
      version,
      `${relative(REPO, conf)}: 1 worker, keepalive 128 to the upstream, proxy_buffering off, access_log off`,
    );
  }
  // The Node hops of this folder (node-hop.mjs, floor-hop.mjs): a script, its port and upstream.
  const nodeHop = async (logName, script, extraArgs, notes) => {
    const child = startProcess(logName, 0, process.execPath, [
      join(HERE, script),
      ...extraArgs,
      '--port',
      String(port),
      '--upstream',
      `http://127.0.0.1:${upstream.port}`,
    ]);
    await waitForPort(child, port, 20);
    return local(
      child,
      `node ${process.version}`,
      `bench/gateway/${script}${extraArgs.length > 0 ? ` ${extraArgs.join(' ')}` : ''}: ${notes}`,
    );
  };
  if (name === 'node')
    return nodeHop(
      'node-hop',
      'node-hop.mjs',
      [],
      'node:http server, node:http keep-alive agent to the upstream, bodies piped through untouched',
    );
  if (FLOOR_TARGETS.includes(name))
    return nodeHop(
      name,
      'floor-hop.mjs',
      ['--variant', name.slice('floor-'.length)],
      name === 'floor-http-undici-events'
        ? 'reads and parses the request, renames the model, sends it on, parses and re-serialises the answer; a streamed one event by event (each SSE event parsed, its JSON parsed and serialised again, the events of one read written at once)'
        : 'reads and parses the request, renames the model, sends it on, parses and re-serialises the answer (a streamed one is piped through unparsed)',
    );
  if (name === 'portkey') {
    const child = startProcess(
      'portkey',
      0,
      process.execPath,
      [PORTKEY_BIN, `--port=${port}`, '--headless'],
      {
        cwd: join(WORK),
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    await waitForPort(child, port, 30);
    const version = JSON.parse(readFileSync(join(PORTKEY_PKG, 'package.json'), 'utf8')).version;
    const hono = JSON.parse(
      readFileSync(join(HERE, 'node_modules', '@hono', 'node-server', 'package.json'), 'utf8'),
    ).version;
    return {
      child,
      port,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: {
        'x-portkey-provider': 'openai',
        'x-portkey-custom-host': upstream.baseUrl,
        Authorization: 'Bearer sk-bench-not-a-real-key',
      },
      model: 'bench-model',
      version: `@portkey-ai/gateway ${version} (@hono/node-server ${hono}), node build/start-server.js --headless, NODE_ENV=production`,
    };
  }
  if (name === 'ballast') {
    if (!ballast.ok) return { skipped: ballast.why };
    const storeUrl = ctx.ballastStore ?? `sqlite:${join(WORK, 'ballast', '.ballast', 'ballast.db')}`;
    const dir = join(WORK, 'ballast');
    if (!ctx.ballastStore) rmSync(dir, { recursive: true, force: true });
    const config = writeBallastProject(dir, {
      upstreamBaseUrl: upstream.baseUrl,
      storeUrl: `sqlite:.ballast/ballast.db`,
    });
    mkdirSync(join(dir, '.ballast'), { recursive: true });
    // Until `ballast rollout start` exists (issue #6), the 50 % rollout is put in the store before
    // the gateway starts: `ballast serve` builds its routing snapshot from the running rollouts.
    const seedUrl = ctx.ballastStore ? ctx.ballastSeedUrl : storeUrl;
    const seeded = seedUrl ? await seedRollout(ballast.bin, seedUrl) : undefined;
    const args = [
      ...o.ballastNodeArgs,
      ballast.bin,
      'serve',
      '--config',
      config,
      '--port',
      String(port),
      '--db',
      storeUrl,
      ...o.ballastArgs,
    ];
    const child = startProcess(
      ctx.ballastLog ?? (ctx.ballastStore ? 'ballast-unreachable-store' : 'ballast'),
      0,
      process.execPath,
      args,
      {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    await waitForPort(child, port, 60);
    const base = `http://127.0.0.1:${port}`;
    const rollout = seeded ?? (await startRollout(ballast.bin, config, base));
    const pkg = JSON.parse(readFileSync(join(dirname(dirname(ballast.bin)), 'package.json'), 'utf8'));
    return {
      child,
      port,
      url: `${base}/v1/chat/completions`,
      headers: {},
      model: o.ballastModel,
      version: `ballast ${pkg.version}: node ${o.ballastNodeArgs.map((a) => `${a} `).join('')}${relative(REPO, ballast.bin)} ${args
        .slice(o.ballastNodeArgs.length + 1)
        .map((a) => (a.startsWith('/') ? relative(REPO, a) : a))
        .join(' ')}`,
      rollout,
      notes: `route ${o.ballastModel}: stable + candidate at 50 % (${rollout.started ? 'rollout started' : 'rollout NOT started'}), guardrails injection→flag (input), pii→redact (output), telemetry to ${storeUrl.startsWith('sqlite:') ? 'SQLite' : storeUrl}`,
    };
  }
  throw new Error(name);
}

/**
 * Registers change bench-candidate (route chat, candidate `candidate`) and a rollout running at
 * 50 % in the store, through the built store adapter of the copy under test. Used while
 * `ballast rollout start` does not exist yet.
 */
async function seedRollout(bin, storeUrl) {
  const dist = join(dirname(dirname(bin)), 'dist');
  const storeModule = join(dist, 'adapters', 'store', 'open-store.js');
  if (!existsSync(storeModule)) return undefined;
  const { openStore } = await import(storeModule);
  const store = await openStore(storeUrl);
  try {
    const at = Date.now();
    await store.changes.register({
      id: 'bench-candidate',
      route: 'chat',
      candidate: 'candidate',
      spec: { id: 'bench-candidate', route: 'chat', candidate: 'candidate' },
      contentHash: 'bench',
      at,
    });
    await store.rollouts.create({
      id: `bench-${at}`,
      changeId: 'bench-candidate',
      status: 'running',
      stageIndex: 0,
      exposure: 50,
      at,
    });
  } finally {
    await store.close();
  }
  log('rollout seeded in the store: bench-candidate running at 50 %');
  return { started: true, status: 'seeded in the store before start (running, 50 %)' };
}

/**
 * Starts the 50 % rollout of change bench-candidate on the running gateway with
 * `ballast rollout start … --server`: the fallback when seeding the store before start-up failed.
 * If the command fails, the run records "rollout not started" and the whole load goes to stable.
 */
async function startRollout(bin, config, serverUrl) {
  const args = [bin, 'rollout', 'start', 'bench-candidate', '--server', serverUrl, '--config', config];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000, cwd: dirname(config) });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status === 0) {
    log(`rollout started: ${out.split('\n')[0]}`);
    return { started: true, command: `ballast ${args.slice(1, 5).join(' ')}`, output: out.slice(0, 2000) };
  }
  log(`rollout not started (exit ${r.status}): ${out.split('\n')[0]}`);
  return { started: false, status: 'rollout not started', exit_code: r.status, output: out.slice(0, 2000) };
}

// ---------------------------------------------------------------------------------------------
// Load: wrk (or autocannon), pinned to core 1

function runLoader(tools, { url, headers, body, connections, durationS, label }) {
  return new Promise((resolve, reject) => {
    let cmd;
    let args;
    if (tools.loader === 'wrk') {
      const script = writeWrkScript(join(WORK, 'wrk', `${label}.lua`), { body, headers });
      [cmd, args] = pinned(1, 'wrk', [
        '-t1',
        `-c${connections}`,
        `-d${durationS}s`,
        '--timeout',
        '10s',
        '--latency',
        '-s',
        script,
        url,
      ]);
    } else {
      const h = Object.entries({ 'content-type': 'application/json', ...headers }).flatMap(([k, v]) => [
        '-H',
        `${k}=${v}`,
      ]);
      [cmd, args] = pinned(1, process.execPath, [
        AUTOCANNON_BIN,
        '-c',
        String(connections),
        '-d',
        String(durationS),
        '-m',
        'POST',
        ...h,
        '-b',
        body,
        '--json',
        '--timeout',
        '10',
        url,
      ]);
    }
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      children.delete(child);
      writeFileSync(join(WORK, 'logs', `load-${label}.txt`), `${cmd} ${args.join(' ')}\n\n${out}\n${err}`);
      try {
        if (tools.loader === 'wrk') {
          const line = out.split('\n').find((l) => l.startsWith('BENCHJSON '));
          if (!line) throw new Error(`wrk printed no result (exit ${code}): ${err.slice(0, 500)}`);
          const j = JSON.parse(line.slice('BENCHJSON '.length));
          const errors = j.errors.connect + j.errors.read + j.errors.write + j.errors.timeout;
          resolve({
            requests: j.requests,
            duration_s: j.duration_us / 1e6,
            req_per_s: j.requests / (j.duration_us / 1e6),
            non_2xx: j.errors.status,
            socket_errors: errors,
            socket_error_detail: j.errors,
            latency_ms: {
              p50: j.latency_us.p50 / 1000,
              p90: j.latency_us.p90 / 1000,
              p99: j.latency_us.p99 / 1000,
              p999: j.latency_us.p999 / 1000,
              mean: j.latency_us.mean / 1000,
              max: j.latency_us.max / 1000,
            },
          });
        } else {
          const j = JSON.parse(out);
          resolve({
            requests: j.requests.total,
            duration_s: j.duration,
            req_per_s: j.requests.total / j.duration,
            non_2xx: j.non2xx,
            socket_errors: j.errors + j.timeouts,
            latency_ms: {
              p50: j.latency.p50,
              p90: j.latency.p90,
              p99: j.latency.p99,
              p999: j.latency.p99_9,
              mean: j.latency.average,
              max: j.latency.max,
            },
          });
        }
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** One connection, requests one after another (seqclient.mjs on core 1). */
function runSequential({ url, headers, body, n, warmup, stream }) {
  const [cmd, args] = pinned(1, process.execPath, [
    join(HERE, 'seqclient.mjs'),
    '--url',
    url,
    '--body',
    body,
    ...Object.entries(headers).flatMap(([k, v]) => ['--header', `${k}: ${v}`]),
    '--n',
    String(n),
    '--warmup',
    String(warmup),
    ...(stream ? ['--stream'] : []),
  ]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => {
      children.delete(child);
      try {
        resolve(JSON.parse(out));
      } catch {
        reject(new Error(`seqclient failed (exit ${code}): ${out.slice(0, 300)}`));
      }
    });
  });
}

/** Samples the RSS of a process tree every `everyMs` while a measurement runs. */
function rssSampler(pid, everyMs) {
  const samples = [];
  const t0 = Date.now();
  const tick = () =>
    samples.push({
      t_s: round((Date.now() - t0) / 1000, 1),
      rss_mb: round(memory(processTree(pid)).rssMb, 1),
    });
  tick();
  const timer = setInterval(tick, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return samples;
    },
  };
}

/**
 * One measurement: the load (or the one-connection client) against the target, with the
 * target's and the upstream's CPU time before and after, and its RSS sampled throughout.
 */
async function measure(ctx, target, { mode, kind, label }) {
  const { upstream, tools, o } = ctx;
  const stream = mode === 'stream';
  const body = requestBody(target.model, stream);
  const idle = await waitForIdle(o);
  await upstream.reset();
  const pids = processTree(target.child.pid);
  const upPids = [upstream.child.pid];
  const cpu0 = cpuSeconds(pids);
  const upCpu0 = cpuSeconds(upPids);
  const machine0 = machineBusySeconds();
  const self0 = selfAndReapedSeconds();
  const sampler = rssSampler(target.child.pid, kind === 'soak' ? 10_000 : 250);
  const t0 = process.hrtime.bigint();
  let res;
  if (kind === 'sequential') {
    res = await runSequential({
      url: target.url,
      headers: target.headers,
      body,
      n: o.seqRequests,
      warmup: o.seqWarmup,
      stream,
    });
  } else {
    res = await runLoader(tools, {
      url: target.url,
      headers: target.headers,
      body,
      connections: kind === 'soak' ? ctx.soakConnections : o.connections,
      durationS: kind === 'soak' ? o.soakMinutes * 60 : o.duration,
      label,
    });
  }
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const samples = sampler.stop();
  const cpu = cpuSeconds(processTree(target.child.pid)) - cpu0;
  const upCpu = cpuSeconds(upPids) - upCpu0;
  // CPU used by anything else on the machine during the window (tests, builds…), as a share
  // of one core: the harness's own processes are subtracted from the machine's busy time.
  const ours = cpu + (target.shared ? 0 : upCpu) + (selfAndReapedSeconds() - self0);
  const othersPct = Math.max(0, (100 * (machineBusySeconds() - machine0 - ours)) / wallS);
  const mem = memory(processTree(target.child.pid));
  const up = await upstream.stats();
  // Requests the target served in the window: for the one-connection client, warm-up included.
  const served = kind === 'sequential' ? o.seqRequests + o.seqWarmup : res.requests;
  const rssValues = samples.map((s) => s.rss_mb);
  const lateHalf = rssValues.slice(Math.floor(rssValues.length / 2));
  return {
    target: target.name,
    mode,
    kind,
    ...res,
    ...(kind === 'sequential' ? { first: undefined, first_ok: res.bad === 0 } : {}),
    wall_s: round(wallS, 2),
    target_cpu_s: round(cpu, 2),
    target_cpu_us_per_req: served ? round((cpu * 1e6) / served, 1) : null,
    upstream_cpu_us_per_req: served && !target.shared ? round((upCpu * 1e6) / served, 1) : null,
    upstream_requests: up.requests,
    upstream_by_model: up.byModel,
    upstream_connections: up.connections,
    rss_mb_peak_sampled: round(Math.max(...rssValues), 1),
    rss_mb_steady: round(median(lateHalf), 1),
    rss_mb_end: round(mem.rssMb, 1),
    rss_mb_hwm: round(mem.hwmMb, 1),
    ...(kind === 'soak' ? { rss_samples: samples } : {}),
    machine_before: idle,
    others_cpu_pct_of_core: round(othersPct, 1),
  };
}

/**
 * measure(), repeated (up to --retries times) while other processes used more than
 * --max-others-pct of a core during the window: a build or a test run on the same two cores
 * would otherwise land in the numbers. The last attempt is kept either way, with the reading.
 */
async function measureClean(ctx, target, spec) {
  const { o } = ctx;
  let r;
  for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
    r = await measure(ctx, target, spec);
    r.attempt = attempt;
    if (r.others_cpu_pct_of_core <= o.maxOthersPct) return r;
    log(
      `${target.name} ${spec.mode} ${spec.kind}: other processes used ${r.others_cpu_pct_of_core} % of a core during the run${attempt <= o.retries ? '; measuring again' : '; kept (flagged)'}`,
    );
  }
  r.contaminated = true;
  return r;
}

/** One request in each mode through the target, checked before any load (and kept in the log). */
async function check(target) {
  const out = {};
  for (const mode of MODES) {
    const r = await runSequential({
      url: target.url,
      headers: target.headers,
      body: requestBody(target.model, mode === 'stream'),
      n: 3,
      warmup: 0,
      stream: mode === 'stream',
    });
    const events = (r.first?.body ?? '').split('\n').filter((l) => l.startsWith('data:')).length;
    out[mode] = {
      ok: r.bad === 0,
      status: r.first?.status ?? null,
      ...(mode === 'stream' ? { data_lines: events } : {}),
      sample: (r.first?.body ?? r.first?.error ?? '').slice(0, mode === 'stream' ? 300 : 400),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reporting

const fmt = (x, d = 0) =>
  x === null || x === undefined
    ? '—'
    : Number(x).toLocaleString('en', { maximumFractionDigits: d, minimumFractionDigits: d });

function buildSummary(runs, targets) {
  const rows = {};
  for (const mode of MODES) {
    rows[mode] = [];
    const direct = runs.find((r) => r.target === 'direct' && r.mode === mode && r.kind === 'sequential');
    for (const t of targets) {
      const load = runs.find((r) => r.target === t && r.mode === mode && r.kind === 'load');
      const seq = runs.find((r) => r.target === t && r.mode === mode && r.kind === 'sequential');
      if (!load && !seq) continue;
      rows[mode].push({
        target: t,
        req_per_s: round(load?.req_per_s, 0),
        p50_ms: round(load?.latency_ms.p50, 2),
        p99_ms: round(load?.latency_ms.p99, 2),
        errors: load ? load.non_2xx + load.socket_errors : null,
        cpu_us_per_req: load?.target_cpu_us_per_req ?? null,
        upstream_cpu_us_per_req: load?.upstream_cpu_us_per_req ?? null,
        rss_mb_peak: load ? round(Math.max(load.rss_mb_hwm, load.rss_mb_peak_sampled), 1) : null,
        rss_mb_steady: load?.rss_mb_steady ?? null,
        seq_p50_ms: round(seq?.latency_ms.p50, 3),
        seq_p99_ms: round(seq?.latency_ms.p99, 3),
        seq_ttfb_p50_ms: round(seq?.ttfb_ms.p50, 3),
        seq_errors: seq?.bad ?? null,
        seq_cpu_us_per_req: seq?.target_cpu_us_per_req ?? null,
        added_p50_ms:
          seq && direct && t !== 'direct' ? round(seq.latency_ms.p50 - direct.latency_ms.p50, 3) : null,
        added_ttfb_ms:
          seq && direct && t !== 'direct' ? round(seq.ttfb_ms.p50 - direct.ttfb_ms.p50, 3) : null,
        others_cpu_pct_of_core: Math.max(load?.others_cpu_pct_of_core ?? 0, seq?.others_cpu_pct_of_core ?? 0),
        contaminated: Boolean(load?.contaminated || seq?.contaminated),
      });
    }
  }
  return rows;
}

function modeTable(rows) {
  const lines = [
    '| target | req/s (50 conn.) | p50 ms | p99 ms | errors | target CPU µs/req | upstream CPU µs/req | peak RSS MB | steady RSS MB | 1 conn. p50 ms | added p50 ms | 1 conn. TTFB p50 ms | added TTFB ms |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows)
    lines.push(
      `| ${TARGET_LABEL[r.target]}${r.contaminated ? ' ⚠' : ''} | ${fmt(r.req_per_s)} | ${fmt(r.p50_ms, 2)} | ${fmt(r.p99_ms, 2)} | ${fmt(r.errors)} | ${fmt(r.cpu_us_per_req, 1)} | ${fmt(r.upstream_cpu_us_per_req, 1)} | ${fmt(r.rss_mb_peak, 1)} | ${fmt(r.rss_mb_steady, 1)} | ${fmt(r.seq_p50_ms, 3)} | ${r.target === 'direct' ? '—' : fmt(r.added_p50_ms, 3)} | ${fmt(r.seq_ttfb_p50_ms, 3)} | ${r.target === 'direct' ? '—' : fmt(r.added_ttfb_ms, 3)} |`,
    );
  return lines.join('\n');
}

/** The issue's goals for Ballast; the other proxies are shown against the same bars for scale. */
function goals(summary, soak) {
  const get = (t, m) => summary[m]?.find((r) => r.target === t);
  const proxies = goalColumns(summary).map((c) => c.target);
  const verdict = (ok) => (ok === null ? 'not measured' : ok ? 'met' : 'NOT met');
  const defs = [
    {
      goal: 'CPU per non-streaming request ≤ 150 µs',
      value: (t) => get(t, 'json')?.cpu_us_per_req,
      unit: ' µs',
      ok: (v) => v <= 150,
    },
    {
      goal: 'CPU per streamed reply ≤ 200 µs',
      value: (t) => get(t, 'stream')?.cpu_us_per_req,
      unit: ' µs',
      ok: (v) => v <= 200,
    },
    ...MODES.map((m) => ({
      goal: `≥ 5× Portkey's throughput (${MODE_LABEL[m]})`,
      value: (t) => {
        const p = get('portkey', m)?.req_per_s;
        const v = get(t, m)?.req_per_s;
        return t === 'portkey' || !p || v == null ? null : round(v / p, 1);
      },
      unit: '×',
      ok: (v) => v >= 5,
    })),
    {
      goal: 'added p50 latency at 1 connection ≤ 0.3 ms (non-streaming)',
      value: (t) => get(t, 'json')?.added_p50_ms,
      unit: ' ms',
      ok: (v) => v <= 0.3,
    },
    {
      goal: 'added time to first byte at 1 connection ≤ 0.5 ms (streaming)',
      value: (t) => get(t, 'stream')?.added_ttfb_ms,
      unit: ' ms',
      ok: (v) => v <= 0.5,
    },
    {
      goal: 'steady RSS ≤ 150 MB (under 50-connection load)',
      value: (t) => {
        const vs = MODES.map((m) => get(t, m)?.rss_mb_steady).filter((x) => x != null);
        return vs.length ? Math.max(...vs) : null;
      },
      unit: ' MB',
      ok: (v) => v <= 150,
    },
  ];
  if (soak.length)
    defs.push({
      goal: 'RSS not growing over the soak (last third ≤ first third × 1.1 + 5 MB), ≤ 150 MB',
      value: (t) => {
        const s = soak.find((x) => x.target === t && x.phase === 'constant load');
        return s?.rss_growth ? `${s.rss_growth.first_third_mb} → ${s.rss_growth.last_third_mb}` : null;
      },
      unit: ' MB',
      ok: (_v, t) =>
        soak.find((x) => x.target === t && x.phase === 'constant load')?.rss_growth?.flat === true,
    });
  return defs.map((d) => {
    const cols = {};
    for (const t of proxies) {
      const v = d.value(t);
      cols[t] =
        v === null || v === undefined
          ? { value: null, status: t === 'portkey' && d.goal.includes('Portkey') ? '—' : 'not measured' }
          : { value: v, status: verdict(d.ok(v, t)) };
    }
    return { goal: d.goal, unit: d.unit, ...cols };
  });
}

/**
 * The goals table's columns: Ballast, and for scale nginx, the bare Node hop, Portkey and — when
 * the run measured it — the hop that reads every streamed event (floor-http-undici-events), the
 * least a gateway that checks what it streams must do.
 */
function goalColumns(summary) {
  const measured = (t) => MODES.some((m) => summary[m]?.some((r) => r.target === t));
  return [
    { target: 'nginx', label: 'nginx (for scale)' },
    { target: 'node', label: 'bare Node hop (for scale)' },
    ...(measured('floor-http-undici-events')
      ? [{ target: 'floor-http-undici-events', label: 'hop reading every event (for scale)' }]
      : []),
    { target: 'portkey', label: 'Portkey (for scale)' },
    { target: 'ballast', label: '**Ballast**' },
  ];
}

function goalsTable(rows, summary) {
  const cell = (c, unit) =>
    c.value === null
      ? c.status
      : `${typeof c.value === 'number' ? fmt(c.value, unit === '×' ? 1 : unit === ' MB' ? 1 : unit === ' ms' ? 3 : 1) : c.value}${unit} — ${c.status}`;
  const columns = goalColumns(summary);
  const bold = (t, text) => (t === 'ballast' ? `**${text}**` : text);
  return [
    `| goal (issue #5, for Ballast) | ${columns.map((c) => c.label).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    ...rows.map(
      (g) => `| ${g.goal} | ${columns.map((c) => bold(c.target, cell(g[c.target], g.unit))).join(' | ')} |`,
    ),
  ].join('\n');
}

/** RSS trend over a soak: first and last third medians, and the least-squares slope per minute. */
function rssGrowth(samples) {
  const xs = samples.filter((s) => s.t_s >= 10);
  if (xs.length < 3) return null;
  const third = Math.max(1, Math.floor(xs.length / 3));
  const first = median(xs.slice(0, third).map((s) => s.rss_mb));
  const last = median(xs.slice(-third).map((s) => s.rss_mb));
  const n = xs.length;
  const mt = xs.reduce((a, s) => a + s.t_s, 0) / n;
  const mr = xs.reduce((a, s) => a + s.rss_mb, 0) / n;
  const slope =
    xs.reduce((a, s) => a + (s.t_s - mt) * (s.rss_mb - mr), 0) /
    xs.reduce((a, s) => a + (s.t_s - mt) ** 2, 0);
  return {
    first_third_mb: round(first, 1),
    last_third_mb: round(last, 1),
    max_mb: round(Math.max(...xs.map((s) => s.rss_mb)), 1),
    slope_mb_per_min: round(slope * 60, 2),
    flat: last <= first * 1.1 + 5 && Math.max(...xs.map((s) => s.rss_mb)) <= 150,
  };
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const o = parseArgs(process.argv.slice(2));
  // The harness itself (RSS sampling, bookkeeping) stays off core 0, where the target runs.
  if (TASKSET) spawnSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });
  const startedAt = new Date().toISOString();
  mkdirSync(join(WORK, 'logs'), { recursive: true });
  mkdirSync(join(WORK, 'wrk'), { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  const tools = prepare(o);
  const built = gitState();
  const ballast = o.targets.includes('ballast') ? prepareBallast(o) : { ok: false, why: 'not selected' };
  if (o.targets.includes('ballast') && !ballast.ok) log(`skipping (d) ballast serve: ${ballast.why}`);
  log(`load generator: ${tools.loader}${TASKSET ? ' (core 1); upstream and target on core 0' : ''}`);

  const upstream = await startUpstream();
  log(`upstream at ${upstream.baseUrl}`);
  const ctx = { upstream, tools, o, ballast, soakConnections: o.connections };
  const runs = [];
  const targetsInfo = {};
  const soak = [];
  try {
    for (const name of o.targets) {
      let target;
      try {
        target = { name, ...(await startTarget(name, ctx)) };
      } catch (e) {
        log(`${name}: could not start: ${e.message}`);
        targetsInfo[name] = { skipped: `could not start: ${e.message}` };
        continue;
      }
      if (target.skipped) {
        log(`${name}: skipped — ${target.skipped}`);
        targetsInfo[name] = { skipped: target.skipped };
        continue;
      }
      const checked = await check(target);
      targetsInfo[name] = {
        version: target.version,
        url: target.url,
        headers: target.headers,
        model: target.model,
        ...(target.notes ? { notes: target.notes } : {}),
        ...(target.rollout ? { rollout: target.rollout } : {}),
        check: checked,
      };
      log(
        `${name}: ${target.version}; check json ${checked.json.ok ? 'ok' : 'FAILED'}, stream ${checked.stream.ok ? `ok (${checked.stream.data_lines} data: lines)` : 'FAILED'}`,
      );
      if (!checked.json.ok && !checked.stream.ok) {
        log(`${name}: both checks failed; not measured (see ${relative(REPO, WORK)}/logs)`);
        targetsInfo[name].skipped = 'the check request failed';
        if (!target.shared) await stopProcess(target.child);
        continue;
      }
      // Warm-up (not recorded): JIT, connection pools, caches.
      await runLoader(tools, {
        url: target.url,
        headers: target.headers,
        body: requestBody(target.model, false),
        connections: o.connections,
        durationS: o.warmupS,
        label: `${name}-warmup`,
      });
      for (const mode of MODES) {
        if (!checked[mode].ok) {
          log(`${name} ${mode}: check failed, not measured`);
          continue;
        }
        for (const kind of ['load', 'sequential']) {
          const r = await measureClean(ctx, target, { mode, kind, label: `${name}-${mode}-${kind}` });
          runs.push(r);
          if (kind === 'load')
            log(
              `${name} ${mode} ${o.connections} conn: ${fmt(r.req_per_s)} req/s, p50 ${fmt(r.latency_ms.p50, 2)} ms, p99 ${fmt(r.latency_ms.p99, 2)} ms, ${fmt(r.target_cpu_us_per_req, 1)} µs CPU/req, RSS ${fmt(r.rss_mb_steady, 1)} MB (peak ${fmt(r.rss_mb_hwm, 1)}), errors ${r.non_2xx + r.socket_errors}, busy before ${r.machine_before.busy_pct} %`,
            );
          else
            log(
              `${name} ${mode} 1 conn: p50 ${fmt(r.latency_ms.p50, 3)} ms, TTFB p50 ${fmt(r.ttfb_ms.p50, 3)} ms, ${fmt(r.req_per_s)} req/s, ${fmt(r.target_cpu_us_per_req, 1)} µs CPU/req, bad ${r.bad}`,
            );
        }
      }
      if (o.soakMinutes > 0 && name !== 'direct') {
        soak.push(await soakPhase(ctx, target, 'constant load'));
      }
      targetsInfo[name].rss_mb_at_end = round(memory(processTree(target.child.pid)).rssMb, 1);
      if (!target.shared) await stopProcess(target.child);
      targetsInfo[name].exit = { code: target.child.exitCode, signal: target.child.signalCode };
      if (o.soakMinutes > 0 && name === 'ballast') soak.push(...(await storeCutSoak(ctx, name)));
      if (o.soakMinutes > 0 && name === 'ballast') {
        // Last phase: the same load with the store unreachable (a closed port), from start-up.
        const bad = { ...ctx, ballastStore: UNREACHABLE_STORE };
        let t2;
        try {
          t2 = { name, ...(await startTarget(name, bad)) };
        } catch (e) {
          soak.push({
            target: name,
            phase: 'store unreachable',
            store: UNREACHABLE_STORE,
            started: false,
            error: e.message,
          });
          log(`ballast with ${UNREACHABLE_STORE}: did not start: ${e.message}`);
        }
        if (t2 && !t2.skipped) {
          soak.push({
            ...(await soakPhase(ctx, t2, 'store unreachable')),
            store: UNREACHABLE_STORE,
            started: true,
          });
          await stopProcess(t2.child);
        }
      }
    }
  } finally {
    await stopProcess(upstream.child);
  }

  const summary = buildSummary(runs, o.targets);
  const goalRows = goals(summary, soak);
  const machine = {
    date: startedAt,
    finished: new Date().toISOString(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    load_avg_at_end: os.loadavg().map((x) => round(x, 2)),
    ballast_commit: built.commit,
    uncommitted_changes: built.dirty,
    pinned: TASKSET
      ? 'upstream + target on core 0, load generator + 1-connection client on core 1 (taskset)'
      : 'not pinned (no taskset)',
    loader:
      tools.loader === 'wrk'
        ? spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout.split('\n')[0].trim()
        : 'autocannon',
  };
  const settings = {
    duration_s: o.duration,
    connections: o.connections,
    sequential_requests: o.seqRequests,
    sequential_warmup: o.seqWarmup,
    warmup_s: o.warmupS,
    quick: o.quick,
    soak_minutes: o.soakMinutes,
    max_busy_pct_before_each: o.maxBusyPct,
    max_others_pct_of_core_during: o.maxOthersPct,
    retries: o.retries,
  };
  const result = {
    bench: 'gateway',
    machine,
    settings,
    method: {
      upstream:
        'bench/gateway/upstream.mjs (node:http, keep-alive): answers at once; JSON chat.completion, or 10 SSE chat.completion.chunk events (role, 8 content deltas, finish + usage) then data: [DONE]',
      load: `${tools.loader} -t1 -c${o.connections} -d${o.duration}s, POST with the same small body; req/s and latency percentiles from the load generator`,
      sequential: `bench/gateway/seqclient.mjs: one keep-alive connection, ${o.seqRequests} requests one after another after ${o.seqWarmup} unrecorded; latency = to the end of the body, TTFB = to its first byte; added = target p50 − direct p50 (same mode)`,
      cpu: 'utime+stime of the target process tree from /proc/PID/stat, delta over the measured window ÷ requests served in it (for direct: the upstream itself)',
      rss: 'VmRSS of the target process tree sampled every 250 ms during the load; steady = median of the second half; peak = max(VmHWM, samples)',
      idle: `before each measurement, wait up to ${o.idleWaitS} s for the machine to be < ${o.maxBusyPct} % busy (all cores, /proc/stat over 1 s); recorded as machine_before`,
      others: `during each measurement, the machine's busy time (/proc/stat) minus the harness's own processes (target, upstream, load generator) = others_cpu_pct_of_core; above ${o.maxOthersPct} % the measurement is repeated (up to ${o.retries} times), else kept and flagged contaminated`,
    },
    targets: targetsInfo,
    summary,
    goals: goalRows,
    calibration: calibration(summary),
    ballast_over_bare_node_hop: ballastOverHop(summary),
    ...(soak.length ? { soak } : {}),
    runs,
  };
  const jsonFile = join(RESULTS, `${o.resultsName}.json`);
  const mdFile = join(RESULTS, `${o.resultsName}.md`);
  writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
  const md = markdown(result, o);
  writeFileSync(mdFile, md);
  console.log(md);
  log(`wrote ${relative(REPO, jsonFile)} and ${relative(REPO, mdFile)}`);
  const bad = runs.filter(
    (r) => (r.kind === 'load' && r.non_2xx + r.socket_errors > 0) || (r.kind === 'sequential' && r.bad > 0),
  );
  if (bad.length) {
    log(
      `${bad.length} measurement(s) saw errors: ${bad.map((r) => `${r.target}/${r.mode}/${r.kind}`).join(', ')}`,
    );
    process.exitCode = 1;
  }
}

const SOAK_PG_DB = 'ballast_bench_soak';

/**
 * The soak with the store going away while serving: PostgreSQL (a fresh database on --soak-pg)
 * reached through a TCP proxy in this process, cut once the gateway is up — every connection
 * dropped, new ones refused — for the whole soak. Telemetry must keep its buffers bounded and
 * count what it drops (ballast_telemetry_dropped_rows_total, read from /metrics at the end).
 * Without a usable PostgreSQL the phase is recorded as skipped.
 */
async function storeCutSoak(ctx, name) {
  const phase = 'store cut after start-up';
  const pg = await freshSoakDatabase(ctx.o.soakPg);
  if (typeof pg === 'string') {
    log(`soak (${phase}): skipped: ${pg}`);
    return [{ target: name, phase, store: 'PostgreSQL', started: false, error: `skipped: ${pg}` }];
  }
  const proxy = await cuttableProxy(pg.hostname, Number(pg.port || 5432));
  const viaProxy = new URL(pg.href);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(proxy.port);
  const store = 'PostgreSQL through a TCP proxy, cut once serving';
  try {
    let target;
    try {
      target = {
        name,
        ...(await startTarget(name, {
          ...ctx,
          ballastStore: viaProxy.href,
          ballastSeedUrl: pg.href,
          ballastLog: 'ballast-store-cut',
        })),
      };
    } catch (e) {
      return [{ target: name, phase, store, started: false, error: e.message }];
    }
    if (target.skipped) return [];
    proxy.cut();
    log(`${name}: store cut (every PostgreSQL connection dropped, new ones refused)`);
    const r = await soakPhase(ctx, target, phase);
    const metrics = await fetch(`http://127.0.0.1:${target.port}/metrics`)
      .then((res) => res.text())
      .catch(() => '');
    const dropped = Number(/^ballast_telemetry_dropped_rows_total (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);
    log(`${name} soak (${phase}): telemetry rows dropped ${Number.isNaN(dropped) ? 'unknown' : dropped}`);
    await stopProcess(target.child);
    return [{ ...r, store, started: true, dropped_rows: Number.isNaN(dropped) ? null : dropped }];
  } finally {
    await proxy.close();
  }
}

/** Drops and creates the soak database; its URL, or why PostgreSQL cannot be used. */
async function freshSoakDatabase(adminUrl) {
  const require = createRequire(join(REPO, 'package.json'));
  const { Client } = require('pg');
  const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`drop database if exists ${SOAK_PG_DB}`);
    await client.query(`create database ${SOAK_PG_DB}`);
  } catch (e) {
    return `PostgreSQL at ${new URL(adminUrl).host} is not usable (${e.message})`;
  } finally {
    await client.end().catch(() => {});
  }
  const url = new URL(adminUrl);
  url.pathname = `/${SOAK_PG_DB}`;
  return url;
}

/** A TCP proxy to host:port that can be cut: every connection dropped, new ones refused. */
function cuttableProxy(host, port) {
  let cut = false;
  const sockets = new Set();
  const server = createNetServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = createConnection(port, host);
    sockets.add(client);
    sockets.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const cutAll = () => {
    cut = true;
    for (const s of sockets) s.destroy();
  };
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: server.address().port,
        cut: cutAll,
        close: () => {
          cutAll();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    );
  });
}

async function soakPhase(ctx, target, phase) {
  const { o } = ctx;
  log(
    `${target.name}: soak (${phase}) ${o.soakMinutes} min at ${ctx.soakConnections} connections, non-streaming, RSS every 10 s…`,
  );
  const r = await measure(ctx, target, {
    mode: 'json',
    kind: 'soak',
    label: `${target.name}-soak-${phase.replace(/ /g, '-')}`,
  });
  const growth = rssGrowth(r.rss_samples);
  log(
    `${target.name} soak (${phase}): ${fmt(r.req_per_s)} req/s, errors ${r.non_2xx + r.socket_errors}, RSS ${growth ? `${growth.first_third_mb} → ${growth.last_third_mb} MB (max ${growth.max_mb}, ${growth.slope_mb_per_min} MB/min)` : 'too few samples'}, alive ${target.child.exitCode === null}`,
  );
  return {
    target: target.name,
    phase,
    minutes: o.soakMinutes,
    req_per_s: round(r.req_per_s, 0),
    requests: r.requests,
    non_2xx: r.non_2xx,
    socket_errors: r.socket_errors,
    latency_ms: r.latency_ms,
    cpu_us_per_req: r.target_cpu_us_per_req,
    alive_at_end: target.child.exitCode === null,
    rss_growth: growth,
    rss_samples: r.rss_samples,
    upstream_by_model: r.upstream_by_model,
  };
}

/** Per mode: Ballast's CPU and added latency beside the bare Node hop's, when both ran. */
function ballastOverHop(summary) {
  return MODES.flatMap((mode) => {
    const hop = summary[mode]?.find((r) => r.target === 'node');
    const bal = summary[mode]?.find((r) => r.target === 'ballast');
    if (!hop || !bal) return [];
    return [
      {
        mode,
        hop_cpu_us: hop.cpu_us_per_req,
        ballast_cpu_us: bal.cpu_us_per_req,
        cpu_ratio: hop.cpu_us_per_req ? round(bal.cpu_us_per_req / hop.cpu_us_per_req, 2) : null,
        hop_added_p50_ms: hop.added_p50_ms,
        ballast_added_p50_ms: bal.added_p50_ms,
        hop_added_ttfb_ms: hop.added_ttfb_ms,
        ballast_added_ttfb_ms: bal.added_ttfb_ms,
      },
    ];
  });
}

/** This run's figures beside the reference ones: how far this machine is from that one. */
function calibration(summary) {
  const j = (t) => summary.json?.find((r) => r.target === t);
  const st = (t) => summary.stream?.find((r) => r.target === t);
  const rows = [
    ['direct: req/s', 'direct_req_per_s', j('direct')?.req_per_s],
    ['nginx: req/s', 'nginx_req_per_s', j('nginx')?.req_per_s],
    ['nginx: CPU µs/request', 'nginx_cpu_us', j('nginx')?.cpu_us_per_req],
    ['bare Node hop: req/s', 'node_req_per_s', j('node')?.req_per_s],
    ['bare Node hop: CPU µs/request', 'node_cpu_us', j('node')?.cpu_us_per_req],
    ['Portkey: req/s', 'portkey_req_per_s', j('portkey')?.req_per_s],
    ['Portkey: CPU µs/request', 'portkey_cpu_us', j('portkey')?.cpu_us_per_req],
    ['Portkey: added p50 at 1 connection, ms', 'portkey_added_p50_ms', j('portkey')?.added_p50_ms],
    [
      'Portkey: added TTFB (streaming) at 1 connection, ms',
      'portkey_added_ttfb_ms',
      st('portkey')?.added_ttfb_ms,
    ],
  ].map(([what, key, here]) => {
    const [lo, hi] = REFERENCE[key];
    const mid = (lo + hi) / 2;
    return {
      what,
      reference: lo === hi ? lo : [lo, hi],
      here: here ?? null,
      ratio: here == null ? null : round(here / mid, 2),
    };
  });
  const nginxCpu = j('nginx')?.cpu_us_per_req;
  const nodeCpu = j('node')?.cpu_us_per_req;
  return {
    rows,
    cpu_factor: nginxCpu ? round(nginxCpu / REFERENCE.nginx_cpu_us[0], 2) : null,
    node_cpu_factor: nodeCpu ? round(nodeCpu / REFERENCE.node_cpu_us[0], 2) : null,
  };
}

function markdown(result, o) {
  const { machine: m, settings: s, targets, summary, goals: g, soak } = result;
  const lines = [
    `# gateway — ${m.date.slice(0, 10)}${s.quick ? ' (quick smoke run: 3 s, not for comparison)' : ''}`,
    '',
    `Node ${m.node} · ${m.cores} cores (${m.cpu}) · ${m.loader} · ${m.pinned} · ${s.connections} connections × ${s.duration_s} s; one connection × ${s.sequential_requests} requests · Ballast @ ${String(m.ballast_commit).slice(0, 8)}${m.uncommitted_changes ? ' (+ uncommitted changes)' : ''}`,
    '',
    'The upstream answers at once, so every number is the cost of the hop itself. "target CPU" is',
    'the CPU time of the process under test (for "directly": the upstream) per request served;',
    '"added" compares the one-connection p50 (latency, or time to first byte) with the upstream',
    'directly in the same mode.',
    '',
  ];
  for (const mode of MODES) {
    if (!summary[mode]?.length) continue;
    lines.push(`## ${MODE_LABEL[mode]}`, '', modeTable(summary[mode]), '');
  }
  const worst = Math.max(...MODES.flatMap((m) => (summary[m] ?? []).map((r) => r.others_cpu_pct_of_core)));
  lines.push(
    `Other processes on the machine used at most ${fmt(worst, 1)} % of a core during any measurement kept here${MODES.some((m) => (summary[m] ?? []).some((r) => r.contaminated)) ? `; ⚠ marks rows measured while other processes used more than ${s.max_others_pct_of_core_during} % of a core (after ${s.retries} retries)` : ''}.`,
    '',
  );
  lines.push('## Goals', '', goalsTable(g, summary), '');
  const cal = result.calibration;
  if (cal.rows.some((r) => r.here !== null)) {
    lines.push(
      '## Against the figures measured before (issue #5, another machine)',
      '',
      '| figure | before | here | here ÷ before |',
      '|---|---:|---:|---:|',
      ...cal.rows.map(
        (r) =>
          `| ${r.what} | ${Array.isArray(r.reference) ? r.reference.map((x) => fmt(x, x < 10 ? 1 : 0)).join('–') : fmt(r.reference, r.reference < 10 ? 1 : 0)} | ${fmt(r.here, r.here !== null && r.here < 10 ? 3 : r.what.includes('µs') ? 1 : 0)} | ${r.ratio ?? '—'} |`,
      ),
      '',
    );
    if (cal.cpu_factor)
      lines.push(
        `nginx needs ${cal.cpu_factor}× the CPU per request here that it needed there: the µs goals are absolute, so a target`,
        `measured here at X µs would be at about X ÷ ${cal.cpu_factor} µs on that machine (a rough scale, not a correction).`,
        '',
      );
    if (cal.node_cpu_factor)
      lines.push(
        `The bare Node hop needs ${cal.node_cpu_factor}× the CPU per request here that it needed there.`,
        '',
      );
  }
  const hop = ballastOverHop(summary);
  if (hop.length) {
    lines.push(
      '## Ballast against the bare Node hop (same run)',
      '',
      'What Ballast costs beyond the cheapest Node proxy on this machine: its features, Fastify and undici.',
      '',
      '| mode | CPU µs/req: hop → Ballast | Ballast ÷ hop | added p50 ms: hop → Ballast | added TTFB ms: hop → Ballast |',
      '|---|---:|---:|---:|---:|',
      ...hop.map(
        (h) =>
          `| ${MODE_LABEL[h.mode]} | ${fmt(h.hop_cpu_us, 1)} → ${fmt(h.ballast_cpu_us, 1)} | ${h.cpu_ratio ?? '—'} | ${fmt(h.hop_added_p50_ms, 3)} → ${fmt(h.ballast_added_p50_ms, 3)} | ${fmt(h.hop_added_ttfb_ms, 3)} → ${fmt(h.ballast_added_ttfb_ms, 3)} |`,
      ),
      '',
    );
  }
  lines.push('## Targets', '');
  for (const [name, t] of Object.entries(targets)) {
    if (t.skipped) lines.push(`- ${TARGET_LABEL[name]}: **skipped** — ${t.skipped}`);
    else
      lines.push(
        `- ${TARGET_LABEL[name]}: ${t.version}${t.notes ? `; ${t.notes}` : ''}${Object.keys(t.headers).length ? `; headers ${Object.keys(t.headers).join(', ')}` : ''}`,
      );
  }
  for (const name of Object.keys(targets))
    if (!o.targets.includes(name)) lines.push(`- ${name}: not selected`);
  const ballastRuns = result.runs.filter((r) => r.target === 'ballast' && r.kind === 'load');
  if (ballastRuns.length) {
    lines.push('', 'Ballast traffic split seen by the upstream (per model):', '');
    for (const r of ballastRuns)
      lines.push(`- ${MODE_LABEL[r.mode]}: ${JSON.stringify(r.upstream_by_model)}`);
  }
  if (soak?.length) {
    lines.push(
      '',
      '## Soak',
      '',
      '| target | phase | minutes | req/s | errors | RSS first third → last third MB | max MB | slope MB/min | alive at end |',
      '|---|---|---:|---:|---:|---|---:|---:|---|',
    );
    for (const x of soak)
      lines.push(
        x.started === false
          ? `| ${TARGET_LABEL[x.target]} | ${x.phase} (${x.store}) | — | — | — | did not start: ${x.error} | — | — | — |`
          : `| ${TARGET_LABEL[x.target]} | ${x.phase}${x.store ? ` (${x.store}${x.dropped_rows === undefined ? '' : `; telemetry rows dropped: ${x.dropped_rows ?? 'unknown'}`})` : ''} | ${x.minutes} | ${fmt(x.req_per_s)} | ${fmt(x.non_2xx + x.socket_errors)} | ${x.rss_growth ? `${x.rss_growth.first_third_mb} → ${x.rss_growth.last_third_mb}` : '—'} | ${x.rss_growth?.max_mb ?? '—'} | ${x.rss_growth?.slope_mb_per_min ?? '—'} | ${x.alive_at_end} |`,
      );
  }
  lines.push('');
  return lines.join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
