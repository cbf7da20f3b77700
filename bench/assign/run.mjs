#!/usr/bin/env node
// bench/assign (issue #6): gate evaluation and variant assignment over 1,000,000 distinct ids —
// Ballast's bucketOf/assign beside the GrowthBook JS SDK (isOn) and unleash-client (isEnabled) on
// the same harness — and monotonicity of each system's arms across 1/5/25/50/100 %. See README.md.
//
//   node bench/assign/run.mjs [--ids 1000000] [--runs 5] [--percents 5,50] [--cases a,b,…]
//        [--mono-percents 1,5,25,50,100] [--idle-wait-s 60] [--max-busy-pct 25] [--no-build]
//        [--no-profile] [--quick]
//
// Each (case, percent) runs in its own node process pinned to core 1 (taskset), after waiting for
// the machine to be idle: build the ids, one warm-up pass, then --runs timed passes over all ids;
// ns per call = pass ÷ ids, the table shows the median pass. Writes bench/results/assign.json and
// assign.md.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfTimes } from '../lib/profile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const RESULTS = join(REPO, 'bench', 'results');
const WORK = join(HERE, 'work');
// Ballast runs from a copy of dist/ (as in bench/gateway), so a rebuild of the working tree while
// the bench runs cannot change what is measured.
const BALLAST_COPY = join(WORK, 'ballast-build');
const DIST = join(BALLAST_COPY, 'dist');

const CASES = [
  'ballast-gate',
  'ballast-assign',
  'growthbook-client-gate',
  'growthbook-scoped-gate',
  'growthbook-classic-gate',
  'growthbook-client-assign',
  'unleash-gate',
  'unleash-assign',
  'experiment-gate-ascii',
  'experiment-gate-encodeinto',
  'experiment-assign-ascii',
];
const LABEL = {
  'ballast-gate': 'Ballast gate: `bucketOf` + compare',
  'ballast-assign': 'Ballast assignment + exposure counted: `assign` + per-arm counter',
  'growthbook-client-gate': 'GrowthBook `GrowthBookClient.isOn(key, {attributes:{id}})`',
  'growthbook-scoped-gate': 'GrowthBook `createScopedInstance({attributes:{id}}).isOn(key)`',
  'growthbook-classic-gate': 'GrowthBook `gb.setAttributes({id}); gb.isOn(key)`',
  'growthbook-client-assign': 'GrowthBook experiment: `GrowthBookClient.isOn` + trackingCallback counter',
  'unleash-gate': 'unleash-client `isEnabled(toggle, {userId})`',
  'unleash-assign': 'unleash-client `getVariant(toggle, {userId})` + counter',
  'experiment-gate-ascii': 'experiment (not shipped): gate with an ASCII fast-path murmur',
  'experiment-gate-encodeinto': 'experiment (not shipped): gate with `encodeInto` a reused buffer',
  'experiment-assign-ascii': 'experiment (not shipped): assignment + counter with the ASCII fast-path murmur',
};
const MONO_SYSTEMS = ['ballast', 'growthbook', 'growthbook-exp', 'unleash'];
const MONO_LABEL = {
  ballast: 'Ballast `assign` (candidate [0, c), comparison [5000, 5000+c) of 10,000 buckets)',
  growthbook: 'GrowthBook rollout rule (`coverage` = p)',
  'growthbook-exp': 'GrowthBook experiment rule (2 variations, `coverage` = 2p, capped at 1)',
  unleash: 'Unleash flexibleRollout (`rollout` = p, stickiness userId)',
};
// The issue's figures, "measured here" (another machine, another harness).
const REFERENCE = { growthbook_isOn_us: 0.73, unleash_isEnabled_us: 0.89 };
const GOALS = { gate_us: 0.5, assign_us: 1.0 };

function parseArgs(argv) {
  const o = {
    ids: 1_000_000,
    runs: 5,
    percents: [5, 50],
    monoPercents: [1, 5, 25, 50, 100],
    cases: [...CASES],
    idleWaitS: 60,
    maxBusyPct: 25,
    build: true,
    profile: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--ids') o.ids = Number(next());
    else if (a === '--runs') o.runs = Number(next());
    else if (a === '--percents') o.percents = next().split(',').map(Number);
    else if (a === '--mono-percents') o.monoPercents = next().split(',').map(Number);
    else if (a === '--cases') o.cases = next().split(',').filter(Boolean);
    else if (a === '--idle-wait-s') o.idleWaitS = Number(next());
    else if (a === '--max-busy-pct') o.maxBusyPct = Number(next());
    else if (a === '--no-build') o.build = false;
    else if (a === '--no-profile') o.profile = false;
    else if (a === '--quick') {
      o.ids = 100_000;
      o.runs = 3;
      o.idleWaitS = 5;
    } else if (a === '--help' || a === '-h') {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 14)
          .join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const c of o.cases) if (!CASES.includes(c)) throw new Error(`unknown case ${c}`);
  if (!Number.isInteger(o.ids) || o.ids < 1000) throw new Error('--ids: an integer ≥ 1000');
  if (!Number.isInteger(o.runs) || o.runs < 1) throw new Error('--runs: ≥ 1');
  return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.error('[bench:assign]', ...a);
const fmt = (x, d = 0) =>
  x === null || x === undefined
    ? '—'
    : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

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

/** Waits up to idleWaitS for the machine to be < maxBusyPct busy; returns what it saw. */
async function waitForIdle(o) {
  const t0 = Date.now();
  let busy = await machineBusyPct();
  while (busy > o.maxBusyPct && Date.now() - t0 < o.idleWaitS * 1000) busy = await machineBusyPct();
  const waited = round((Date.now() - t0) / 1000, 1);
  if (busy > o.maxBusyPct) log(`machine still ${busy} % busy after ${waited} s; measuring anyway (recorded)`);
  return { busy_pct: busy, waited_s: waited, load_avg: os.loadavg().map((x) => round(x, 2)) };
}

function ensureInstalled() {
  if (
    existsSync(join(HERE, 'node_modules', '@growthbook', 'growthbook')) &&
    existsSync(join(HERE, 'node_modules', 'unleash-client'))
  )
    return;
  log('installing the pinned GrowthBook SDK and unleash-client into bench/assign/node_modules');
  execFileSync('npm', ['install', '--prefix', HERE, '--no-audit', '--no-fund'], { stdio: 'inherit' });
}

function prepareBallast(o) {
  if (o.build || !existsSync(join(REPO, 'dist'))) {
    log('npm run build');
    execFileSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' });
  }
  rmSync(BALLAST_COPY, { recursive: true, force: true });
  mkdirSync(BALLAST_COPY, { recursive: true });
  cpSync(join(REPO, 'dist'), DIST, { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(BALLAST_COPY, 'node_modules'), 'dir');
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
  const dirty =
    execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: REPO, encoding: 'utf8' }).trim() !==
    '';
  return { commit, dirty_src: dirty, built_now: o.build };
}

/** Runs `node cases.mjs …` pinned to core 1 when taskset exists; returns its JSON line. */
function child(args, nodeFlags = []) {
  const pin = has('taskset') && os.cpus().length > 1;
  const cmd = pin ? 'taskset' : process.execPath;
  const full = [...nodeFlags, join(HERE, 'cases.mjs'), ...args];
  const r = spawnSync(cmd, pin ? ['-c', '1', process.execPath, ...full] : full, {
    cwd: HERE,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`cases.mjs ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1);
  return JSON.parse(line);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(WORK, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  ensureInstalled();
  const ballast = prepareBallast(o);
  const versions = {
    growthbook: JSON.parse(
      readFileSync(join(HERE, 'node_modules/@growthbook/growthbook/package.json'), 'utf8'),
    ).version,
    unleash: JSON.parse(readFileSync(join(HERE, 'node_modules/unleash-client/package.json'), 'utf8')).version,
  };
  log(
    `Ballast @ ${ballast.commit.slice(0, 8)}, GrowthBook ${versions.growthbook}, unleash-client ${versions.unleash}`,
  );

  // 1. The experiments' hashes must equal the shipped one, or their timings mean nothing.
  const same = child(['same', String(o.ids), DIST]);
  log(`experiment hashes vs shipped murmurHash3: ${same.checked} checked, ${same.mismatches} mismatches`);

  // 2. Timings.
  const timings = [];
  for (const percent of o.percents)
    for (const c of o.cases) {
      const machine = await waitForIdle(o);
      const r = child(['time', c, String(percent), String(o.runs), String(o.ids), DIST]);
      const row = {
        ...r,
        ns_median: round(median(r.ns_per_call), 1),
        ns_min: round(Math.min(...r.ns_per_call), 1),
        ns_max: round(Math.max(...r.ns_per_call), 1),
        ns_per_call: r.ns_per_call.map((x) => round(x, 1)),
        machine_before: machine,
      };
      timings.push(row);
      log(
        `${percent} % ${c}: ${row.ns_median} ns/call (${row.ns_min}–${row.ns_max}), on ${round(r.on_share * 100, 2)} %`,
      );
    }

  // 3. Monotonicity.
  const mono = [];
  for (const s of MONO_SYSTEMS) {
    const r = child(['mono', s, o.monoPercents.join(','), String(o.ids), DIST]);
    mono.push(r);
    log(`monotonicity ${s}: candidate ${r.candidate_violations}, comparison ${r.comparison_violations}`);
  }

  // 4. A CPU profile of the shipped gate (where its time goes).
  let profile = null;
  if (o.profile && o.cases.includes('ballast-gate')) {
    const dir = join(WORK, 'profile');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await waitForIdle(o);
    child(
      ['time', 'ballast-gate', String(o.percents.at(-1)), '2', String(o.ids), DIST],
      ['--cpu-prof', '--cpu-prof-dir', dir],
    );
    const file = (await import('node:fs')).readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file) profile = { file: `bench/assign/work/profile/${file}`, ...selfTimes(join(dir, file), 10) };
  }

  // 5. Goals: the worst percent of each Ballast case.
  const worst = (c) => {
    const rows = timings.filter((t) => t.case === c);
    return rows.length ? Math.max(...rows.map((t) => t.ns_median)) : null;
  };
  const ballastMono = mono.find((m) => m.system === 'ballast');
  const goals = [
    {
      goal: `gate ≤ ${GOALS.gate_us} µs (worst of ${o.percents.join(' / ')} %)`,
      measured_ns: worst('ballast-gate'),
      met: worst('ballast-gate') !== null && worst('ballast-gate') <= GOALS.gate_us * 1000,
    },
    {
      goal: `assignment with the exposure counted ≤ ${GOALS.assign_us} µs (worst of ${o.percents.join(' / ')} %)`,
      measured_ns: worst('ballast-assign'),
      met: worst('ballast-assign') !== null && worst('ballast-assign') <= GOALS.assign_us * 1000,
    },
    {
      goal: `0 monotonicity violations across ${o.monoPercents.join(' / ')} %`,
      measured: ballastMono
        ? ballastMono.candidate_violations + (ballastMono.comparison_violations ?? 0)
        : null,
      met: ballastMono
        ? ballastMono.candidate_violations === 0 && ballastMono.comparison_violations === 0
        : false,
    },
  ];

  const result = {
    bench: 'assign',
    issue: 6,
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      pinned_to_core: has('taskset') ? 1 : null,
      load_avg_at_end: os.loadavg().map((x) => round(x, 2)),
    },
    ballast,
    versions,
    method: {
      ids: `${o.ids.toLocaleString('en-US')} distinct ids "user-0" … "user-${o.ids - 1}", built up front in each process`,
      timing: `each (case, percent) in a fresh node process pinned to core 1: one warm-up pass over every id, then ${o.runs} timed passes; each pass awaits between chunks of 10,000 ids so the microtask queue drains as between requests (GrowthBook runs its trackingCallback in a promise per exposure); ns per call = pass ÷ ids; the median pass is reported`,
      idle: `before each case, wait up to ${o.idleWaitS} s for the machine to be < ${o.maxBusyPct} % busy (/proc/stat over 1 s); recorded as machine_before`,
      monotonicity: `arm of every id at each of ${o.monoPercents.join(', ')} %; a candidate-arm unit at p must be in the candidate arm at every higher p; a comparison-arm unit at p must stay in the comparison arm at every higher p ≤ 50 %`,
    },
    reference: REFERENCE,
    same_hash_check: same,
    timings,
    monotonicity: mono,
    profile,
    goals,
  };
  writeFileSync(join(RESULTS, 'assign.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'assign.md'), markdown(result, o));
  log('wrote bench/results/assign.json and assign.md');
}

function markdown(r, o) {
  const L = [];
  L.push(`# assign — ${r.date.slice(0, 10)}`, '');
  L.push(
    `Node ${r.machine.node} · ${r.machine.cores} cores (${r.machine.cpu}) · pinned to core ${r.machine.pinned_to_core ?? '—'} · ${o.ids.toLocaleString('en-US')} distinct ids, 1 warm-up + ${o.runs} timed passes, median pass · Ballast @ ${r.ballast.commit.slice(0, 8)}${r.ballast.dirty_src ? ' (+ uncommitted src changes)' : ''} · @growthbook/growthbook ${r.versions.growthbook} · unleash-client ${r.versions.unleash}`,
    '',
  );
  L.push('## ns per call', '');
  L.push(`| case | ${o.percents.map((p) => `${p} %: median (min–max)`).join(' | ')} | machine busy before |`);
  L.push(`|---|${o.percents.map(() => '---:').join('|')}|---:|`);
  for (const c of o.cases) {
    const cells = o.percents.map((p) => {
      const t = r.timings.find((x) => x.case === c && x.percent === p);
      return t ? `**${fmt(t.ns_median)}** (${fmt(t.ns_min)}–${fmt(t.ns_max)})` : '—';
    });
    const busy = r.timings.filter((x) => x.case === c).map((x) => x.machine_before.busy_pct);
    L.push(`| ${LABEL[c]} | ${cells.join(' | ')} | ${busy.map((b) => `${b} %`).join(', ')} |`);
  }
  L.push('', 'What each case times, per id:', '');
  for (const c of o.cases) {
    const t = r.timings.find((x) => x.case === c);
    if (t) L.push(`- **${LABEL[c]}** — ${t.what}`);
  }
  L.push('');
  L.push('## Monotonicity', '');
  L.push(
    '| system | candidate-arm size at ' +
      o.monoPercents.map((p) => `${p} %`).join(' / ') +
      ' | candidate units lost on widening | comparison units lost (≤ 50 %) | units crossing arms (≤ 50 %) |',
  );
  L.push('|---|---|---:|---:|---:|');
  for (const m of r.monotonicity)
    L.push(
      `| ${MONO_LABEL[m.system]} | ${m.sizes.map((s) => fmt(s.candidate)).join(' / ')} | ${fmt(m.candidate_violations)} | ${m.comparison_violations === null ? '—' : fmt(m.comparison_violations)} | ${m.crossed_arms_up_to_50 === null ? '—' : fmt(m.crossed_arms_up_to_50)} |`,
    );
  L.push(
    '',
    `Violations are counted over every pair of levels (p < q) and every id. GrowthBook's rollout rule and Unleash's gradual rollout have no comparison arm.`,
    '',
  );
  L.push('## Goals', '');
  L.push('| goal (issue #6, for Ballast) | GrowthBook (for scale) | Unleash (for scale) | **Ballast** |');
  L.push('|---|---|---|---|');
  const at = (c) => {
    const rows = r.timings.filter((t) => t.case === c);
    return rows.length ? Math.max(...rows.map((t) => t.ns_median)) : null;
  };
  const status = (ns, goal) =>
    ns === null ? 'not measured' : `${fmt(ns / 1000, 3)} µs — ${ns <= goal * 1000 ? 'met' : 'NOT met'}`;
  const gbGate = Math.min(
    ...['growthbook-client-gate', 'growthbook-scoped-gate', 'growthbook-classic-gate']
      .map(at)
      .filter((x) => x !== null),
  );
  L.push(
    `| ${r.goals[0].goal} | ${Number.isFinite(gbGate) ? status(gbGate, GOALS.gate_us) : '—'} (cheapest API) | ${status(at('unleash-gate'), GOALS.gate_us)} | **${status(r.goals[0].measured_ns, GOALS.gate_us)}** |`,
  );
  L.push(
    `| ${r.goals[1].goal} | ${status(at('growthbook-client-assign'), GOALS.assign_us)} | ${status(at('unleash-assign'), GOALS.assign_us)} | **${status(r.goals[1].measured_ns, GOALS.assign_us)}** |`,
  );
  const mv = (s) => {
    const m = r.monotonicity.find((x) => x.system === s);
    if (!m) return 'not measured';
    const v = m.candidate_violations + (m.comparison_violations ?? 0);
    return `${fmt(v)} — ${v === 0 ? 'met' : 'NOT met'}`;
  };
  L.push(
    `| ${r.goals[2].goal} | ${mv('growthbook')} (rollout), ${mv('growthbook-exp')} (experiment) | ${mv('unleash')} | **${mv('ballast')}** |`,
  );
  L.push('');
  L.push(
    `The issue's figures for scale (measured elsewhere, another harness): GrowthBook \`isOn\` ≈ ${REFERENCE.growthbook_isOn_us} µs, unleash-client \`isEnabled\` ≈ ${REFERENCE.unleash_isEnabled_us} µs.`,
    '',
  );
  const here = (c) => {
    const rows = r.timings.filter((t) => t.case === c);
    return rows.length ? median(rows.map((t) => t.ns_median)) / 1000 : null;
  };
  const gbHere = here('growthbook-client-gate');
  const unHere = here('unleash-gate');
  if (gbHere && unHere) {
    const scale = Math.sqrt(
      (gbHere / REFERENCE.growthbook_isOn_us) * (unHere / REFERENCE.unleash_isEnabled_us),
    );
    const b = (c) => (here(c) === null ? '—' : `${fmt(here(c) / scale, 2)} µs`);
    L.push(
      `Here GrowthBook's \`GrowthBookClient.isOn\` took ${fmt(gbHere, 2)} µs and Unleash's \`isEnabled\` ${fmt(unHere, 2)} µs (median over the exposures): ${fmt(gbHere / REFERENCE.growthbook_isOn_us, 2)}× and ${fmt(unHere / REFERENCE.unleash_isEnabled_us, 2)}× the issue's figures, so this machine (or harness) is ≈ ${fmt(scale, 2)}× slower (geometric mean). The goals are absolute; divided by that factor — a rough scale, not a correction — Ballast's gate would be ≈ ${b('ballast-gate')} and its assignment ≈ ${b('ballast-assign')} there.`,
      '',
    );
  }
  const unl = [...r.timings, ...r.monotonicity]
    .map((x) => x.unleash_url_connections)
    .filter((x) => x !== null && x !== undefined);
  if (unl.length)
    L.push(
      `unleash-client ran offline: bootstrapped, \`refreshInterval: 0\`, \`disableMetrics: true\`, its \`url\` a local TCP stub that counts connections: ${unl.reduce((a, b) => a + b, 0)} connections over ${unl.length} processes.`,
      '',
    );
  L.push(
    `Experiment hashes checked against the shipped \`murmurHash3\`: ${fmt(r.same_hash_check.checked)} (id, seed) pairs incl. non-ASCII strings, ${r.same_hash_check.mismatches} mismatches.`,
    '',
  );
  if (r.profile) {
    L.push('## Profile of the shipped gate', '');
    L.push(
      `\`node --cpu-prof\`, ballast-gate at ${o.percents.at(-1)} %, warm-up + 2 passes (${fmt(r.profile.total_ms)} ms sampled; \`${r.profile.file}\`). Self time:`,
      '',
    );
    L.push('| function | ms | % |', '|---|---:|---:|');
    for (const t of r.profile.top) L.push(`| \`${t.fn}\` | ${fmt(t.ms, 1)} | ${fmt(t.pct, 1)} |`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
