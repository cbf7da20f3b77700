#!/usr/bin/env node
// bench/controller: a local experiment, NOT Ballast's code. On the SQLite file the profiled run
// left (bench/controller/work/controller.db: 1,000 rollouts, 200 units per arm), times the parts
// of a tick one by one, and the alternatives suggested in the results:
//
//   node bench/controller/experiment.mjs [--db bench/controller/work/controller.db]
//
// Prints one JSON object; run.mjs --experiment stores it in the results.

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');
const argv = process.argv.slice(2);
const dbFile = argv.includes('--db') ? argv[argv.indexOf('--db') + 1] : join(HERE, 'work', 'controller.db');
const dist = join(HERE, 'work', 'ballast-build', 'dist');
const mod = (p) => import(pathToFileURL(join(dist, p)).href);

const { openStore } = await mod('adapters/store/open-store.js');
const store = await openStore(`sqlite:${dbFile}`);
const rollouts = await store.rollouts.list({ status: 'running' });
const METRICS = ['error_rate', 'latency_ms', 'slow_rate', 'negative_feedback_rate', 'cost_usd'];

async function timeIt(label, fn, reps = 3) {
  await fn();
  const ms = [];
  for (let r = 0; r < reps; r++) {
    const t = performance.now();
    await fn();
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return { label, ms_per_tick: Math.round(ms[Math.floor(ms.length / 2)] * 10) / 10 };
}

const out = { db: dbFile, rollouts: rollouts.length, rows: [] };

// 1. What the controller does per rollout, one kind of call at a time, over every rollout.
out.rows.push(
  await timeIt(
    `armSumsAll × ${rollouts.length} (one aggregate per rollout: the controller before d414400)`,
    async () => {
      for (const r of rollouts) await store.unitTotals.armSumsAll(r.changeId, METRICS);
    },
  ),
);
out.rows.push(
  await timeIt(
    `decisions.list({ rolloutId }) × ${rollouts.length} (stageStartedAt before d414400)`,
    async () => {
      for (const r of rollouts) await store.decisions.list({ rolloutId: r.id });
    },
  ),
);

// 2. The same aggregate straight on better-sqlite3: prepared once, run per rollout (no kysely, no prepare).
const require = createRequire(join(REPO, 'package.json'));
const Database = require('better-sqlite3');
const raw = new Database(dbFile, { readonly: true });
const cols = {
  error_rate: ['errors', 'requests'],
  latency_ms: ['latency_sum', 'requests'],
  slow_rate: ['slow_count', 'requests'],
  negative_feedback_rate: ['feedback_negative', 'feedback_count'],
  cost_usd: ['cost_usd', 'requests'],
};
const aggs = Object.entries(cols).flatMap(([m, [x, y]]) => {
  const has = `${y} > 0`;
  const xd = `cast(${x} as double precision)`;
  const yd = `cast(${y} as double precision)`;
  return [
    `count(case when ${has} then 1 end) as ${m}__n`,
    `sum(case when ${has} then ${xd} end) as ${m}__sx`,
    `sum(case when ${has} then ${yd} end) as ${m}__sy`,
    `sum(case when ${has} then ${xd} * ${xd} end) as ${m}__sxx`,
    `sum(case when ${has} then ${yd} * ${yd} end) as ${m}__syy`,
    `sum(case when ${has} then ${xd} * ${yd} end) as ${m}__sxy`,
  ];
});
const perChange = raw.prepare(
  `select arm, ${aggs.join(', ')} from unit_totals where change_id = ? group by arm`,
);
out.rows.push(
  await timeIt(`the same aggregate, statement prepared once, × ${rollouts.length}`, () => {
    for (const r of rollouts) perChange.all(r.changeId);
  }),
);
const allChanges = raw.prepare(
  `select change_id, arm, ${aggs.join(', ')} from unit_totals group by change_id, arm`,
);
out.rows.push(
  await timeIt(
    'one aggregate for every rollout (group by change_id, arm; what armSumsMany does since d414400)',
    () => {
      allChanges.all();
    },
  ),
);
// 3. Reading sums kept per (change, arm, metric) instead of per unit: 1,000 × 2 × 5 rows of 6 numbers.
raw.close();
const mem = new Database(':memory:');
mem.exec(
  'create table arm_sums (change_id text, arm text, metric text, n real, sx real, sy real, sxx real, syy real, sxy real, primary key (change_id, arm, metric))',
);
const ins = mem.prepare('insert into arm_sums values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
mem.transaction(() => {
  for (const r of rollouts)
    for (const arm of ['candidate', 'comparison'])
      for (const m of Object.keys(cols)) ins.run(r.changeId, arm, m, 200, 1, 2, 3, 4, 5);
})();
const readSums = mem.prepare('select * from arm_sums');
out.rows.push(
  await timeIt(
    `read per-(change, arm, metric) running sums: ${rollouts.length * 10} rows (a table kept up to date by the flush)`,
    () => {
      readSums.all();
    },
  ),
);

// 4. decide's number formatting: toLocaleString with options per number vs one cached Intl.NumberFormat.
const xs = Array.from({ length: 30_000 }, (_, i) => i * 0.0137);
out.rows.push(
  await timeIt(
    '30,000 × Number(x.toFixed(4)).toLocaleString("en-US", { maximumFractionDigits: 4 }) (what decide’s round does per number)',
    () => {
      let s = 0;
      for (const x of xs)
        s += Number(x.toFixed(4)).toLocaleString('en-US', { maximumFractionDigits: 4 }).length;
      return s;
    },
  ),
);
const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });
out.rows.push(
  await timeIt('30,000 × the same with one cached Intl.NumberFormat', () => {
    let s = 0;
    for (const x of xs) s += nf.format(Number(x.toFixed(4))).length;
    return s;
  }),
);

await store.close();
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
