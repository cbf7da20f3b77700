#!/usr/bin/env node
// bench/controller: one store, in a fresh process (run with --expose-gc). Called by run.mjs; prints
// one JSON line on stdout, progress on stderr.
//
//   node --expose-gc tick.mjs <ballastDist> <storeUrl> <rollouts> <unitsPerArm> <phases> <warmup>
//        <ticks> <seed> [profileFile]
//
// Seeds <rollouts> running rollouts of distinct changes, each with 5 guardrail metrics, and
// <unitsPerArm> units per arm of per-unit totals; runs <warmup> + <ticks> controller ticks; then
// adds another <unitsPerArm> units per arm to every rollout and ticks again, <phases> times in all
// (phase k has k × unitsPerArm units per arm). With a profileFile, the ticks of the first phase
// after warm-up run under the V8 CPU profiler (node:inspector), written there.

import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [, , dist, storeUrl, nRolloutsArg, unitsArg, phasesArg, warmupArg, ticksArg, seedArg, profileFile] =
  process.argv;
const N_ROLLOUTS = Number(nRolloutsArg);
const UNITS = Number(unitsArg);
const PHASES = Number(phasesArg);
const WARMUP = Number(warmupArg);
const TICKS = Number(ticksArg);
const log = (...a) => console.error('[tick]', ...a);
const mod = (p) => import(pathToFileURL(join(dist, p)).href);

const { openStore } = await mod('adapters/store/open-store.js');
const { changeSchema } = await mod('core/spec/change-schema.js');
const { createController } = await mod('app/controller/controller.js');
const { RoutingTable, buildSnapshot } = await mod('app/gateway/routing-table.js');

// --- Deterministic randomness (mulberry32) -------------------------------------------------------
let state = Number(seedArg) >>> 0;
function rand() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const binomial = (n, p) => {
  let k = 0;
  for (let i = 0; i < n; i++) if (rand() < p) k++;
  return k;
};
/** Log-normal latency around `median` ms. */
const latency = (median) => {
  const z = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(0.5 * z);
};

// --- The project: one route per change, 5 guardrail metrics each ---------------------------------
const METRICS = ['error_rate', 'latency_ms', 'slow_rate', 'negative_feedback_rate', 'cost_usd'];
const specs = new Map();
const routes = {};
for (let i = 0; i < N_ROLLOUTS; i++) {
  const id = `change-${String(i).padStart(4, '0')}`;
  const route = `route-${i}`;
  routes[route] = { stable: 'stable' };
  const spec = changeSchema.parse({
    id,
    title: `Change ${i}`,
    hypothesis: 'the candidate is as good as stable',
    owner: 'bench@example.com',
    route,
    candidate: `candidate-${i}`,
    risk: 'low',
    metrics: {
      guardrails: [
        // Relative tolerances wide enough that A/A noise at a few hundred units never proves harm,
        // so every rollout holds on every tick (the steady state the goal is about).
        { metric: 'error_rate', max_increase: 0.05 },
        { metric: 'latency_ms', max_increase_ratio: 0.5 },
        { metric: 'slow_rate', threshold_ms: 2000, max_increase: 0.1 },
        { metric: 'negative_feedback_rate', max_increase: 0.2 },
        { metric: 'cost_usd', max_increase_ratio: 0.5 },
      ],
    },
    rollout: {
      // Units per arm far above what is seeded: every stage holds ("inconclusive").
      stages: [
        { percent: 5, min_units: 1_000_000, min_duration: '1h', max_duration: '30d' },
        { percent: 25, min_units: 1_000_000 },
        { percent: 50, min_units: 1_000_000 },
      ],
    },
  });
  specs.set(id, spec);
}

// --- Seeding ---------------------------------------------------------------------------------------
const store = await openStore(storeUrl);
const t0 = Date.now() - 60_000;
const rolloutIds = [];
{
  const s = performance.now();
  for (const spec of specs.values()) {
    await store.changes.register({
      id: spec.id,
      route: spec.route,
      candidate: spec.candidate,
      spec: JSON.parse(JSON.stringify(spec)),
      contentHash: `${spec.id}:bench`,
      at: t0,
    });
    const id = `ro_${spec.id}`;
    // As the controller's own `start` does: the rollout and its start decision in one transaction.
    await store.transaction(async (tx) => {
      await tx.rollouts.create({
        id,
        changeId: spec.id,
        status: 'running',
        stageIndex: 0,
        exposure: 5,
        at: t0,
      });
      await tx.decisions.append({
        rolloutId: id,
        changeId: spec.id,
        at: t0,
        actor: 'bench',
        action: 'start',
        fromStatus: null,
        toStatus: 'running',
        fromStage: null,
        toStage: 0,
        exposure: 5,
        reasons: ['bench seed'],
        evidence: { gate: 'skipped' },
      });
    });
    rolloutIds.push(id);
  }
  log(`registered ${N_ROLLOUTS} changes and running rollouts in ${Math.round(performance.now() - s)} ms`);
}

/** One unit's counters: a few requests, ~1 % errors, ~800 ms median latency, some rated requests. */
function unitRow(changeId, arm, unit) {
  const requests = 1 + Math.floor(-Math.log(1 - rand()) * 6);
  let latencySum = 0;
  let slowCount = 0;
  for (let i = 0; i < requests; i++) {
    const l = latency(800);
    latencySum += l;
    if (l > 2000) slowCount++;
  }
  const feedbackCount = binomial(requests, 0.2);
  const feedbackNegative = binomial(feedbackCount, 0.3);
  const outputTokens = requests * (100 + Math.floor(rand() * 400));
  return {
    changeId,
    arm,
    unit,
    at: t0,
    requests,
    errors: binomial(requests, 0.01),
    latencySum: Math.round(latencySum),
    slowCount,
    ttftSum: 0,
    ttftCount: 0,
    guardrailHits: binomial(requests, 0.005),
    fallbacks: binomial(requests, 0.01),
    feedbackCount,
    feedbackSum: feedbackCount - feedbackNegative,
    feedbackNegative,
    feedbackPositive: feedbackCount - feedbackNegative,
    outputTokens,
    costUsd: outputTokens * 0.000002,
  };
}

/** Adds units [from, to) to both arms of every rollout. */
async function seedUnits(from, to) {
  const s = performance.now();
  let batch = [];
  let rows = 0;
  for (const spec of specs.values()) {
    for (const arm of ['candidate', 'comparison'])
      for (let u = from; u < to; u++)
        batch.push(unitRow(spec.id, arm, `${arm === 'candidate' ? 'c' : 'k'}-${spec.id}-u${u}`));
    if (batch.length >= 20_000) {
      await store.unitTotals.upsertBatch(batch);
      rows += batch.length;
      batch = [];
    }
  }
  if (batch.length) {
    await store.unitTotals.upsertBatch(batch);
    rows += batch.length;
  }
  const ms = performance.now() - s;
  log(`seeded ${rows} unit rows (units ${from}…${to - 1} per arm) in ${Math.round(ms)} ms`);
  return { rows, ms };
}

// --- The controller -------------------------------------------------------------------------------
const routing = new RoutingTable(buildSnapshot(routes, [], 0));
let decisionsWritten = 0;
const controller = createController({
  store,
  specs,
  routes,
  routing,
  clock: {
    now: Date.now,
    monotonic: () => performance.now(),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  },
  onDecision: () => {
    decisionsWritten += 1;
  },
});
await controller.refreshRouting();

// Garbage collections during a tick: count and pause time (the tick's allocations, roughly).
let gcCount = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    // The harness's own global.gc() between ticks is not the tick's.
    if ((e.detail?.flags ?? 0) & perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED) continue;
    gcCount += 1;
    gcMs += e.duration;
  }
}).observe({ entryTypes: ['gc'] });
const flushGcEntries = () => new Promise((r) => setTimeout(r, 5));

/** Waits (up to IDLE_WAIT_S) for the machine to be < MAX_BUSY_PCT busy, from /proc/stat over 1 s. */
async function waitForIdle() {
  const waitS = Number(process.env.IDLE_WAIT_S ?? 0);
  const max = Number(process.env.MAX_BUSY_PCT ?? 25);
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const busyPct = async () => {
    const a = read();
    await new Promise((r) => setTimeout(r, 1000));
    const b = read();
    return b.total === a.total ? 0 : Math.round(1000 * (1 - (b.idle - a.idle) / (b.total - a.total))) / 10;
  };
  const start = Date.now();
  let busy = await busyPct();
  while (busy > max && Date.now() - start < waitS * 1000) busy = await busyPct();
  return { busy_pct: busy, waited_s: Math.round((Date.now() - start) / 100) / 10 };
}

const mb = (b) => Math.round((b / 2 ** 20) * 100) / 100;

async function tickOnce(profiling = false) {
  const before = decisionsWritten;
  await flushGcEntries();
  const gcBefore = { n: gcCount, ms: gcMs };
  const heapBefore = process.memoryUsage().heapUsed;
  const s = performance.now();
  const outcomes = await controller.tick();
  const ms = performance.now() - s;
  const heapAfterNoGc = process.memoryUsage().heapUsed;
  await flushGcEntries();
  const gcDuring = { n: gcCount - gcBefore.n, ms: gcMs - gcBefore.ms };
  // Not while profiling: the forced collection would land in the profile.
  if (!profiling) global.gc();
  const m = process.memoryUsage();
  const actions = {};
  for (const o of outcomes) actions[o.action] = (actions[o.action] ?? 0) + 1;
  return {
    ms: Math.round(ms * 100) / 100,
    rollouts: outcomes.length,
    actions,
    decisions_written: decisionsWritten - before,
    heap_before_mb: mb(heapBefore),
    heap_after_tick_mb: mb(heapAfterNoGc),
    // Exact when no collection ran during the tick; otherwise a lower bound (null).
    heap_allocated_mb: gcDuring.n === 0 ? mb(heapAfterNoGc - heapBefore) : null,
    gc_during_tick: gcDuring.n,
    gc_ms_during_tick: Math.round(gcDuring.ms * 100) / 100,
    heap_after_gc_mb: mb(m.heapUsed),
    rss_mb: mb(m.rss),
  };
}

const phases = [];
let profiled = false;
for (let phase = 1; phase <= PHASES; phase++) {
  const seed = await seedUnits((phase - 1) * UNITS, phase * UNITS);
  global.gc();
  const machine = await waitForIdle();
  const warm = [];
  for (let i = 0; i < WARMUP; i++) warm.push(await tickOnce());
  let session = null;
  if (profileFile && !profiled) {
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const ticks = [];
  for (let i = 0; i < TICKS; i++) ticks.push(await tickOnce(!!session));
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(profileFile, JSON.stringify(profile));
    session.disconnect();
    profiled = true;
  }
  const sorted = ticks.map((t) => t.ms).sort((a, b) => a - b);
  const med =
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  log(
    `phase ${phase}: ${phase * UNITS} units per arm, tick median ${med} ms (${sorted[0]}–${sorted.at(-1)})${session ? ' [profiled]' : ''}`,
  );
  phases.push({
    machine_before: machine,
    units_per_arm: phase * UNITS,
    unit_rows: N_ROLLOUTS * 2 * phase * UNITS,
    seed,
    warmup: warm,
    ticks,
    profiled: !!session,
  });
}

await controller.stop();
await store.close();
process.stdout.write(
  `${JSON.stringify({ store: storeUrl.split(':')[0], rollouts: N_ROLLOUTS, metrics_per_rollout: METRICS.length, phases })}\n`,
);
process.exit(0);
