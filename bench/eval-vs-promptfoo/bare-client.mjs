#!/usr/bin/env node
// The machine's floor for the eval bench: the same calls as `ballast eval` makes (baseline and
// candidate for every case of a Ballast dataset, the same request body shape), at the same
// concurrency, with nothing else — no scoring, no storage, no report. It uses undici, the HTTP
// client Ballast uses, from the repository's node_modules. What a tool adds to this is its own cost.
//
//   node bare-client.mjs --base-url http://127.0.0.1:PORT/v1 --dataset cases-N.jsonl --concurrency C
//        [--models bench-baseline,bench-candidate]
//
// Prints one JSON line: {"calls", "errors", "wall_s"}. Exit 0 when every call answered 200.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'));
const { Pool } = require('undici');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const baseUrl = new URL(arg('--base-url', ''));
const concurrency = Number(arg('--concurrency', '20'));
const models = arg('--models', 'bench-baseline,bench-candidate').split(',');
const cases = readFileSync(arg('--dataset', ''), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line));

const pool = new Pool(baseUrl.origin, { connections: concurrency });
const path = `${baseUrl.pathname.replace(/\/$/, '')}/chat/completions`;
const calls = cases.flatMap((c) =>
  models.map((model) => ({ model, messages: [{ role: 'user', content: c.input }] })),
);

const t0 = performance.now();
let next = 0;
let errors = 0;
async function worker() {
  while (next < calls.length) {
    const body = JSON.stringify(calls[next++]);
    const res = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const json = await res.body.json();
    if (res.statusCode !== 200 || typeof json?.choices?.[0]?.message?.content !== 'string') errors++;
  }
}
await Promise.all(Array.from({ length: Math.min(concurrency, calls.length) }, worker));
const wallS = (performance.now() - t0) / 1000;
await pool.close();
console.log(JSON.stringify({ calls: calls.length, errors, wall_s: Math.round(wallS * 1000) / 1000 }));
process.exitCode = errors === 0 ? 0 : 1;
