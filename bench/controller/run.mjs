#!/usr/bin/env node
// bench/controller (issue #6): one tick of the real rollout controller over 1,000 running
// rollouts × 5 guardrail metrics, on SQLite and (when reachable) PostgreSQL; then twice the units
// per rollout, to show that a tick's memory does not grow with units (the aggregate is in SQL).
// See README.md.
//
//   node bench/controller/run.mjs [--rollouts 1000] [--units 200] [--phases 2] [--warmup 2]
//        [--ticks 10] [--stores sqlite,postgres] [--pg-url URL] [--idle-wait-s 60]
//        [--max-busy-pct 25] [--no-profile] [--no-build] [--quick]
//
// Each store runs in its own `node --expose-gc tick.mjs` process: seed, then per phase (k × units
// per arm) wait for the machine to be idle, <warmup> + <ticks> ticks; the table shows the median
// tick. A separate run of phase 1 on SQLite is CPU-profiled. Writes bench/results/controller.json
// and controller.md.

import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inclusiveTimes, selfTimes } from '../lib/profile.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const RESULTS = join(REPO, 'bench', 'results');
const WORK = join(HERE, 'work');
const BALLAST_COPY = join(WORK, 'ballast-build');
const DIST = join(BALLAST_COPY, 'dist');
const GOAL_TICK_MS = 50;
/** "Memory constant": retained heap and per-tick heap at 2× units within this of 1× units. */
const MEMORY_TOLERANCE = { ratio: 1.1, plus_mb: 1 };

function parseArgs(argv) {
  const o = {
    rollouts: 1000,
    units: 200,
    phases: 2,
    warmup: 2,
    ticks: 10,
    stores: ['sqlite', 'postgres'],
    pgUrl: 'postgres://postgres@127.0.0.1:5432/test?schema=bench_controller',
    idleWaitS: 60,
    maxBusyPct: 25,
    profile: true,
    build: true,
    seed: 6,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--rollouts') o.rollouts = Number(next());
    else if (a === '--units') o.units = Number(next());
    else if (a === '--phases') o.phases = Number(next());
    else if (a === '--warmup') o.warmup = Number(next());
    else if (a === '--ticks') o.ticks = Number(next());
    else if (a === '--stores') o.stores = next().split(',').filter(Boolean);
    else if (a === '--pg-url') o.pgUrl = next();
    else if (a === '--idle-wait-s') o.idleWaitS = Number(next());
    else if (a === '--max-busy-pct') o.maxBusyPct = Number(next());
    else if (a === '--no-profile') o.profile = false;
    else if (a === '--no-build') o.build = false;
    else if (a === '--render-only') o.renderOnly = true;
    else if (a === '--quick') {
      o.rollouts = 100;
      o.units = 50;
      o.ticks = 3;
      o.warmup = 1;
      o.idleWaitS = 5;
    } else if (a === '--help' || a === '-h') {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 15)
          .join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  for (const s of o.stores) if (!['sqlite', 'postgres'].includes(s)) throw new Error(`unknown store ${s}`);
  return o;
}

const round = (x, d = 2) =>
  x === null || x === undefined || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const log = (...a) => console.error('[bench:controller]', ...a);
const fmt = (x, d = 0) =>
  x === null || x === undefined
    ? '—'
    : x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

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

/** A fresh, empty schema on the PostgreSQL server, or why not (then PostgreSQL is skipped). */
async function freshPgSchema(url) {
  const require = createRequire(join(REPO, 'package.json'));
  const pg = require('pg');
  const u = new URL(url);
  const schema = u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: u.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.query(`create schema "${schema}"`);
    const v = (await client.query('show server_version')).rows[0].server_version;
    return { ok: true, version: v };
  } catch (e) {
    return { ok: false, why: e.message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

function runTick(o, storeUrl, { phases = o.phases, profileFile } = {}) {
  const args = [
    '--expose-gc',
    join(HERE, 'tick.mjs'),
    DIST,
    storeUrl,
    String(o.rollouts),
    String(o.units),
    String(phases),
    String(o.warmup),
    String(o.ticks),
    String(o.seed),
    ...(profileFile ? [profileFile] : []),
  ];
  const r = spawnSync(process.execPath, args, {
    cwd: HERE,
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, IDLE_WAIT_S: String(o.idleWaitS), MAX_BUSY_PCT: String(o.maxBusyPct) },
  });
  if (r.status !== 0) throw new Error(`tick.mjs on ${storeUrl} failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

function summarise(run) {
  return run.phases.map((p) => {
    const ms = p.ticks.map((t) => t.ms);
    const alloc = p.ticks.map((t) => t.heap_allocated_mb).filter((x) => x !== null);
    return {
      units_per_arm: p.units_per_arm,
      unit_rows: p.unit_rows,
      machine_before: p.machine_before,
      seed_s: round(p.seed.ms / 1000, 1),
      tick_ms_median: round(median(ms), 1),
      tick_ms_min: round(Math.min(...ms), 1),
      tick_ms_max: round(Math.max(...ms), 1),
      first_warmup_tick_ms: round(p.warmup[0]?.ms, 1),
      first_warmup_decisions_written: p.warmup[0]?.decisions_written ?? null,
      decisions_written_in_measured_ticks: p.ticks.reduce((a, t) => a + t.decisions_written, 0),
      actions: p.ticks.at(-1)?.actions ?? {},
      heap_after_gc_mb_median: round(median(p.ticks.map((t) => t.heap_after_gc_mb))),
      heap_after_tick_mb_median: round(median(p.ticks.map((t) => t.heap_after_tick_mb))),
      heap_allocated_mb_median: alloc.length ? round(median(alloc)) : null,
      heap_allocated_exact_ticks: alloc.length,
      gc_per_tick_median: median(p.ticks.map((t) => t.gc_during_tick)),
      gc_ms_per_tick_median: round(median(p.ticks.map((t) => t.gc_ms_during_tick))),
      rss_mb_max: round(Math.max(...p.ticks.map((t) => t.rss_mb))),
    };
  });
}

const STEPS = [
  {
    label: 'armSumsMany (one aggregate for every running rollout)',
    fn: 'armSumsMany',
    url: 'sql-unit-totals-store.js',
  },
  {
    label: 'armSumsAll (one aggregate per rollout; controllers before d414400)',
    fn: 'armSumsAll',
    url: 'sql-unit-totals-store.js',
  },
  { label: 'evidenceFor: tests + SRM on the sums', fn: 'evidenceFor', url: 'controller/controller.js' },
  { label: '  guardrailEvidence (5 sequential tests)', fn: 'guardrailEvidence', url: 'guardrail-test.js' },
  { label: '  srmCheck', fn: 'srmCheck', url: 'srm.js' },
  { label: 'stageStartedAt', fn: 'stageStartedAt', url: 'controller/controller.js' },
  { label: 'decide', fn: 'decide', url: 'decision/decide.js' },
  { label: '  round (number formatting in reasons)', fn: 'round', url: 'decision/decide.js' },
  { label: 'evidenceJson', fn: 'evidenceJson', url: 'controller/controller.js' },
  { label: 'rollouts.list (running)', fn: 'list', url: 'sql-rollout-store.js' },
  { label: 'kysely: compile a query (all queries)', fn: 'compileQuery', url: 'kysely' },
  { label: 'better-sqlite3: prepare a statement (all queries)', fn: 'prepare', url: 'better-sqlite3' },
  { label: 'better-sqlite3: run a statement (Statement.all, all queries)', fn: 'all', url: '' },
  { label: 'garbage collector', fn: '(garbage collector)', url: '' },
];

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.renderOnly) {
    // Rewrites controller.md from controller.json (and the profile's steps from its file, if kept).
    const result = JSON.parse(readFileSync(join(RESULTS, 'controller.json'), 'utf8'));
    const prof = join(WORK, 'tick.cpuprofile');
    if (result.profile && existsSync(prof)) result.profile.steps = inclusiveTimes(prof, STEPS);
    writeFileSync(join(RESULTS, 'controller.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(join(RESULTS, 'controller.md'), markdown(result));
    log('rewrote bench/results/controller.md from controller.json');
    return;
  }
  mkdirSync(WORK, { recursive: true });
  mkdirSync(RESULTS, { recursive: true });
  const ballast = prepareBallast(o);
  log(
    `Ballast @ ${ballast.commit.slice(0, 8)}; ${o.rollouts} rollouts × 5 metrics, ${o.units} units per arm per phase, ${o.phases} phases`,
  );

  const runs = [];
  for (const store of o.stores) {
    let url;
    let server = null;
    if (store === 'sqlite') {
      const file = join(WORK, 'controller.db');
      for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      url = `sqlite:${file}`;
      server = `better-sqlite3 ${JSON.parse(readFileSync(join(REPO, 'node_modules/better-sqlite3/package.json'), 'utf8')).version}`;
    } else {
      const pg = await freshPgSchema(o.pgUrl);
      if (!pg.ok) {
        log(`PostgreSQL not reachable (${pg.why}): skipped`);
        runs.push({ store, skipped: pg.why });
        continue;
      }
      url = o.pgUrl;
      server = `PostgreSQL ${pg.version} (127.0.0.1, same machine)`;
    }
    log(`${store}: seeding and ticking`);
    const raw = runTick(o, url);
    runs.push({
      store,
      url: store === 'sqlite' ? 'sqlite:bench/controller/work/controller.db' : o.pgUrl,
      server,
      phases: summarise(raw),
      raw,
    });
  }

  let profile = null;
  if (o.profile && o.stores.includes('sqlite')) {
    const file = join(WORK, 'controller.db');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
    const prof = join(WORK, 'tick.cpuprofile');
    log('profiling the ticks of phase 1 on SQLite (node:inspector)');
    const raw = runTick({ ...o, ticks: Math.min(o.ticks, 5) }, `sqlite:${file}`, {
      phases: 1,
      profileFile: prof,
    });
    profile = {
      file: 'bench/controller/work/tick.cpuprofile',
      ticks: raw.phases[0].ticks.length,
      tick_ms: raw.phases[0].ticks.map((t) => t.ms),
      self: selfTimes(prof, 15),
      steps: inclusiveTimes(prof, STEPS),
    };
  }

  // A local experiment on the profiled run's SQLite file: the parts of a tick one by one, and the
  // alternatives suggested (experiment.mjs; not Ballast's code).
  let experiment = null;
  if (o.profile && o.stores.includes('sqlite')) {
    log('experiment: the parts of a tick one by one (experiment.mjs)');
    const r = spawnSync(
      process.execPath,
      [join(HERE, 'experiment.mjs'), '--db', join(WORK, 'controller.db')],
      {
        cwd: HERE,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    if (r.status === 0) experiment = JSON.parse(r.stdout);
    else log(`experiment.mjs failed (${r.status})`);
  }

  const goals = [];
  for (const r of runs) {
    if (r.skipped) {
      goals.push({
        store: r.store,
        goal: `one tick over ${o.rollouts} rollouts × 5 metrics ≤ ${GOAL_TICK_MS} ms`,
        measured: null,
        met: null,
        note: r.skipped,
      });
      continue;
    }
    const p1 = r.phases[0];
    const pN = r.phases.at(-1);
    goals.push({
      store: r.store,
      goal: `one tick over ${o.rollouts} rollouts × 5 metrics ≤ ${GOAL_TICK_MS} ms`,
      measured: `${p1.tick_ms_median} ms`,
      met: p1.tick_ms_median <= GOAL_TICK_MS,
    });
    if (r.phases.length > 1) {
      const within = (a, b) => b <= a * MEMORY_TOLERANCE.ratio + MEMORY_TOLERANCE.plus_mb;
      const heapOk = within(p1.heap_after_gc_mb_median, pN.heap_after_gc_mb_median);
      const tickOk = within(p1.heap_after_tick_mb_median, pN.heap_after_tick_mb_median);
      goals.push({
        store: r.store,
        goal: `memory constant per variant-metric: ${pN.units_per_arm / p1.units_per_arm}× the units per arm leaves the heap after a tick and after GC within ×${MEMORY_TOLERANCE.ratio} + ${MEMORY_TOLERANCE.plus_mb} MB`,
        measured: `after GC ${p1.heap_after_gc_mb_median} → ${pN.heap_after_gc_mb_median} MB; right after the tick ${p1.heap_after_tick_mb_median} → ${pN.heap_after_tick_mb_median} MB; tick ${p1.tick_ms_median} → ${pN.tick_ms_median} ms`,
        met: heapOk && tickOk,
      });
    }
  }

  const result = {
    bench: 'controller',
    issue: 6,
    date: new Date().toISOString(),
    machine: {
      node: process.version,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      load_avg_at_end: os.loadavg().map((x) => round(x, 2)),
    },
    ballast,
    options: {
      rollouts: o.rollouts,
      units_per_arm_per_phase: o.units,
      phases: o.phases,
      warmup: o.warmup,
      ticks: o.ticks,
      seed: o.seed,
    },
    method: {
      project: `${o.rollouts} change specs (parsed with changeSchema), one route each, candidate variant, 5 guardrails: error_rate (max_increase 0.05), latency_ms (max_increase_ratio 0.5), slow_rate (threshold_ms 2000, max_increase 0.1), negative_feedback_rate (max_increase 0.2), cost_usd (max_increase_ratio 0.5); stages 5/25/50 % with min_units 1,000,000 so every rollout holds`,
      seed: `store.changes.register, then per change one transaction: store.rollouts.create (running, stage 0, 5 %) + its start decision; store.unitTotals.upsertBatch in batches of 20,000 rows: per rollout ${o.units} units per arm per phase with seeded random counters (requests 1 + Exp(6), errors ~1 %, log-normal latency around 800 ms, slow > 2 s, 20 % of requests rated, 30 % of ratings negative, cost by output tokens), the same distribution in both arms`,
      controller:
        'createController({ store, specs, routes, routing: RoutingTable, clock: { now: Date.now, monotonic: performance.now, sleep } }), refreshRouting() once; tick() is the measured call',
      timing: `per phase: wait for the machine to be < ${o.maxBusyPct} % busy (up to ${o.idleWaitS} s), ${o.warmup} warm-up ticks (the first one logs one hold decision per rollout; later ticks write nothing, as the controller logs a hold only when its reason changes), then ${o.ticks} ticks; median wall time of controller.tick()`,
      memory:
        'after each tick: heapUsed before any collection, then global.gc() and heapUsed/RSS; garbage collections during the tick (PerformanceObserver, forced ones excluded); heap_allocated = heapUsed after − before when no collection ran during the tick',
      process:
        'one node process per store (node --expose-gc), not pinned: PostgreSQL runs on the same two cores',
    },
    runs: runs.map(({ raw, ...r }) => r),
    ticks: runs.filter((r) => r.raw).map((r) => ({ store: r.store, phases: r.raw.phases })),
    profile,
    experiment,
    goals,
  };
  writeFileSync(join(RESULTS, 'controller.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(RESULTS, 'controller.md'), markdown(result));
  log('wrote bench/results/controller.json and controller.md');
}

function markdown(r) {
  const L = [];
  const o = r.options;
  L.push(`# controller — ${r.date.slice(0, 10)}`, '');
  L.push(
    `Node ${r.machine.node} · ${r.machine.cores} cores (${r.machine.cpu}) · Ballast @ ${r.ballast.commit.slice(0, 8)}${r.ballast.dirty_src ? ' (+ uncommitted src changes)' : ''} · ${fmt(o.rollouts)} running rollouts × 5 guardrail metrics · ${o.warmup} warm-up + ${o.ticks} measured ticks per phase, median`,
    '',
  );
  L.push('## One tick', '');
  L.push(
    '| store | units per arm | unit rows | tick ms: median (min–max) | first tick ms (writes 1 hold per rollout) | decisions written in measured ticks | heap after tick MB | heap after GC MB | heap allocated per tick MB | GCs per tick (ms) | RSS MB | machine busy before |',
  );
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const run of r.runs) {
    if (run.skipped) {
      L.push(`| ${run.store} | skipped: ${run.skipped} |||||||||||`);
      continue;
    }
    for (const p of run.phases)
      L.push(
        `| ${run.store} | ${fmt(p.units_per_arm)} | ${fmt(p.unit_rows)} | **${fmt(p.tick_ms_median, 1)}** (${fmt(p.tick_ms_min, 1)}–${fmt(p.tick_ms_max, 1)}) | ${fmt(p.first_warmup_tick_ms, 1)} (${fmt(p.first_warmup_decisions_written)}) | ${fmt(p.decisions_written_in_measured_ticks)} | ${fmt(p.heap_after_tick_mb_median, 1)} | ${fmt(p.heap_after_gc_mb_median, 1)} | ${p.heap_allocated_mb_median === null ? '—' : fmt(p.heap_allocated_mb_median, 1)} | ${p.gc_per_tick_median} (${fmt(p.gc_ms_per_tick_median, 1)}) | ${fmt(p.rss_mb_max)} | ${p.machine_before.busy_pct} % |`,
      );
  }
  L.push('');
  for (const run of r.runs)
    if (!run.skipped)
      L.push(
        `- ${run.store}: ${run.server}; seeding took ${run.phases.map((p) => `${p.seed_s} s`).join(' + ')}; every measured tick: ${Object.entries(
          run.phases[0].actions,
        )
          .map(([a, n]) => `${fmt(n)} × ${a}`)
          .join(', ')}.`,
      );
  L.push('');
  L.push('## Goals', '');
  L.push('| store | goal (issue #6) | measured | status |', '|---|---|---|---|');
  for (const g of r.goals)
    L.push(
      `| ${g.store} | ${g.goal} | ${g.measured ?? '—'} | ${g.met === null ? `not measured (${g.note})` : g.met ? 'met' : '**NOT met**'} |`,
    );
  L.push('');
  if (r.profile) {
    const p = r.profile;
    L.push('## Where a tick goes (SQLite, CPU profile)', '');
    L.push(
      `${p.ticks} ticks of phase 1 under the V8 profiler (node:inspector, 100 µs sampling; \`${p.file}\`), ${fmt(p.steps.total_ms)} ms sampled; ticks took ${p.tick_ms.map((x) => fmt(x)).join(', ')} ms (slower than unprofiled). Inclusive time (a function and what it calls on the same synchronous stack: work a function resumes after an \`await\` is not on its stack, so the rows undercount async steps and do not add up):`,
      '',
    );
    L.push('| step | ms | % of sampled |', '|---|---:|---:|');
    for (const s of p.steps.rows) L.push(`| ${s.label} | ${fmt(s.ms, 1)} | ${fmt(s.pct, 1)} |`);
    L.push('', 'Self time, top functions:', '', '| function | ms | % |', '|---|---:|---:|');
    for (const t of p.self.top) L.push(`| \`${t.fn}\` | ${fmt(t.ms, 1)} | ${fmt(t.pct, 1)} |`);
    L.push('');
  }
  if (r.experiment) {
    L.push("## Local experiment: the parts of a tick, and cheaper ways (not Ballast's code)", '');
    L.push(
      `\`bench/controller/experiment.mjs\` on the profiled run's SQLite file (${fmt(r.experiment.rollouts)} running rollouts, ${fmt(o.units_per_arm_per_phase)} units per arm), median of 3 after one untimed round:`,
      '',
    );
    L.push('| what | ms per tick |', '|---|---:|');
    for (const x of r.experiment.rows) L.push(`| ${x.label} | ${fmt(x.ms_per_tick, 1)} |`);
    L.push('');
  }
  return `${L.join('\n')}\n`;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
