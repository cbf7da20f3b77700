#!/usr/bin/env node
// One connection, one request after another (bench/gateway/run.mjs runs it pinned to core 1).
//
// For each request: the time to the response headers, to the first body byte (TTFB; for a
// streamed reply, the first SSE bytes) and to the end of the body, measured with
// process.hrtime from just before the request is written. One keep-alive socket for the whole
// run (an http.Agent with maxSockets 1); the first --warmup requests are not recorded.
//
//   node seqclient.mjs --url URL --body JSON [--header 'name: value']… [--n 2000] [--warmup 200]
//        [--stream]  (checks that each reply is an SSE stream that ends with data: [DONE])
//
// Prints one JSON line: counts, latency/ttfb/headers percentiles in ms, and the first reply's
// body (for the harness's correctness check).

import http from 'node:http';

const argv = process.argv.slice(2);
const o = { url: '', body: '{}', headers: {}, n: 2000, warmup: 200, stream: false };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const next = () => argv[++i];
  if (a === '--url') o.url = next();
  else if (a === '--body') o.body = next();
  else if (a === '--header') {
    const h = next();
    const k = h.indexOf(':');
    o.headers[h.slice(0, k).trim().toLowerCase()] = h.slice(k + 1).trim();
  } else if (a === '--n') o.n = Number(next());
  else if (a === '--warmup') o.warmup = Number(next());
  else if (a === '--stream') o.stream = true;
  else throw new Error(`unknown option ${a}`);
}

const url = new URL(o.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const body = Buffer.from(o.body);
const headers = { 'content-type': 'application/json', ...o.headers, 'content-length': body.length };

function once() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    let tHead = 0n;
    let tFirst = 0n;
    const chunks = [];
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', agent, headers },
      (res) => {
        tHead = process.hrtime.bigint();
        res.on('data', (c) => {
          if (tFirst === 0n) tFirst = process.hrtime.bigint();
          chunks.push(c);
        });
        res.on('end', () => {
          const tEnd = process.hrtime.bigint();
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode,
            text,
            headMs: Number(tHead - t0) / 1e6,
            ttfbMs: Number((tFirst || tEnd) - t0) / 1e6,
            totalMs: Number(tEnd - t0) / 1e6,
          });
        });
        res.on('error', (e) => resolve({ error: String(e) }));
      },
    );
    req.on('error', (e) => resolve({ error: String(e) }));
    req.end(body);
  });
}

/** A reply is good when it is 200 and carries the upstream's answer (streamed: all of it). */
function good(r) {
  if (r.error || r.status !== 200) return false;
  if (o.stream) return r.text.trimEnd().endsWith('data: [DONE]') && r.text.includes('"finish_reason":"stop"');
  try {
    return typeof JSON.parse(r.text).choices?.[0]?.message?.content === 'string';
  } catch {
    return false;
  }
}

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const summary = (xs) => ({
  p50: pct(xs, 50),
  p90: pct(xs, 90),
  p99: pct(xs, 99),
  mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null,
  min: xs.length ? Math.min(...xs) : null,
});

const head = [];
const ttfb = [];
const total = [];
let bad = 0;
let first;
const statuses = {};
const t0 = process.hrtime.bigint();
let measuredFrom = t0;
for (let i = 0; i < o.warmup + o.n; i++) {
  if (i === o.warmup) measuredFrom = process.hrtime.bigint();
  const r = await once();
  if (first === undefined) first = r;
  statuses[r.status ?? 'error'] = (statuses[r.status ?? 'error'] ?? 0) + 1;
  if (!good(r)) bad++;
  if (i >= o.warmup && !r.error) {
    head.push(r.headMs);
    ttfb.push(r.ttfbMs);
    total.push(r.totalMs);
  }
}
const wallS = Number(process.hrtime.bigint() - measuredFrom) / 1e9;
agent.destroy();
process.stdout.write(
  `${JSON.stringify({
    n: o.n,
    warmup: o.warmup,
    bad,
    statuses,
    wall_s: wallS,
    req_per_s: o.n / wallS,
    latency_ms: summary(total),
    ttfb_ms: summary(ttfb),
    headers_ms: summary(head),
    first: first && { status: first.status, error: first.error, body: first.text?.slice(0, 4000) },
  })}\n`,
);
