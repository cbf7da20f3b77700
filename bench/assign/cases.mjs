#!/usr/bin/env node

// bench/assign: one measurement in a fresh process (so one system's JIT state never leaks into
// another's). Called by run.mjs; prints one JSON line on stdout.
//
//   node cases.mjs time <case> <percent> <runs> <ids> <ballastDist>
//   node cases.mjs mono <system> <percents,…> <ids> <ballastDist>
//
// Every case walks the same array of distinct ids (`user-0` … `user-<ids-1>`, built up front),
// one call per id: a warm-up pass over all ids, then <runs> timed passes; ns per call =
// pass time ÷ ids. A sink (how many calls said "on") keeps the work observable.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [, , mode, what, arg, a4, a5, a6] = process.argv;

function makeIds(n) {
  const ids = new Array(n);
  for (let i = 0; i < n; i++) ids[i] = `user-${i}`;
  // Flatten each string now (a template result can be a cons string): the hash reads flat strings.
  for (let i = 0; i < n; i++) ids[i].charCodeAt(0);
  return ids;
}

const CHANGE_ID = 'new-prompt-v2';
const ROUTE = 'chat';

async function ballast(dist) {
  const url = (p) => pathToFileURL(join(dist, p)).href;
  const assignMod = await import(url('core/routing/assign.js'));
  const tableMod = await import(url('app/gateway/routing-table.js'));
  return { ...assignMod, buildSnapshot: tableMod.buildSnapshot, RoutingTable: tableMod.RoutingTable };
}

// --- GrowthBook -------------------------------------------------------------------------------

/** A boolean feature off by default, on for `coverage` of ids (a rollout rule, hashed on id). */
function gbPayload(percent) {
  const coverage = percent / 100;
  return {
    features: {
      gate: { defaultValue: false, rules: [{ force: true, coverage, hashAttribute: 'id', hashVersion: 2 }] },
      // An experiment on the same feature shape: control [0, c/2), treatment [0.5, 0.5 + c/2) of the
      // id hash space (GrowthBook's layout), c = coverage. For a treatment arm of p %, c = 2p (≤ 1).
      exp: {
        defaultValue: false,
        rules: [
          {
            key: 'exp',
            variations: [false, true],
            weights: [0.5, 0.5],
            coverage: Math.min(1, (2 * percent) / 100),
            hashAttribute: 'id',
            hashVersion: 2,
            seed: 'exp',
          },
        ],
      },
    },
  };
}

async function growthbook(percent, counts) {
  const { GrowthBook, GrowthBookClient } = await import('@growthbook/growthbook');
  const payload = gbPayload(percent);
  const trackingCallback = (_experiment, result) => {
    counts[result.variationId] += 1;
  };
  const client = new GrowthBookClient({ trackingCallback }).initSync({ payload });
  const classic = new GrowthBook({ trackingCallback }).initSync({ payload });
  return { client, classic };
}

// --- Unleash ----------------------------------------------------------------------------------

function unleashFeatures(percent) {
  const strategy = (groupId, rollout) => ({
    name: 'flexibleRollout',
    parameters: { rollout: String(rollout), stickiness: 'userId', groupId },
    constraints: [],
  });
  return [
    { name: 'gate', enabled: true, strategies: [strategy('gate', percent)], variants: [] },
    {
      name: 'exp',
      enabled: true,
      strategies: [strategy('exp', percent)],
      variants: [{ name: 'candidate', weight: 1000, stickiness: 'userId', weightType: 'variable' }],
    },
  ];
}

/** Connections the Unleash client opened to its url (a local stub that answers nothing): must stay 0. */
let unleashConnections = 0;
let stub = null;

async function unleash(percent) {
  const { Unleash, InMemStorageProvider } = await import('unleash-client');
  if (!stub) {
    const net = await import('node:net');
    stub = net.createServer((socket) => {
      unleashConnections += 1;
      socket.destroy();
    });
    await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve));
    stub.unref();
  }
  // Offline: a bootstrap, no polling (refreshInterval 0), no metrics; the url is a local stub that
  // counts connections, so the run proves nothing was fetched.
  const client = new Unleash({
    appName: 'bench-assign',
    url: `http://127.0.0.1:${stub.address().port}/api/`,
    refreshInterval: 0,
    disableMetrics: true,
    skipInstanceCountWarning: true,
    storageProvider: new InMemStorageProvider(),
    bootstrap: { data: unleashFeatures(percent) },
  });
  client.on('error', (e) => {
    console.error('[unleash error]', e?.message ?? e);
  });
  client.on('warn', () => {});
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('unleash: not ready after 5 s')), 5000);
    client.once('ready', () => {
      clearTimeout(t);
      resolve();
    });
  });
  return client;
}

// --- The cases --------------------------------------------------------------------------------

/** Builds the per-id function of a case, and a description of exactly what it does. */
async function makeCase(name, percent, dist) {
  const bp = Math.round(percent * 100);
  if (name.startsWith('ballast')) {
    const B = await ballast(dist);
    const salt = B.rolloutSalt(CHANGE_ID);
    const snapshot = B.buildSnapshot(
      { [ROUTE]: { stable: 'stable' } },
      [{ changeId: CHANGE_ID, route: ROUTE, candidate: 'candidate', exposure: percent }],
      1,
    );
    const table = new B.RoutingTable(snapshot);
    if (name === 'ballast-gate')
      return {
        what: 'bucketOf(salt, id) < exposureBp — murmurHash3 x86_32 of the id (salted by the change) mod 10,000, compared with the exposure',
        fn: (id) => B.bucketOf(salt, id) < bp,
      };
    if (name === 'ballast-assign') {
      const counts = { candidate: 0, comparison: 0, stable: 0 };
      return {
        what: 'table.current.routes.get(route) → assign(route, id) → counts[arm] += 1 (the gateway: snapshot lookup, assignment, an exposure counter per arm)',
        fn: (id) => {
          const route = table.current.routes.get(ROUTE);
          const a = B.assign(route, id);
          counts[a.arm ?? 'stable'] += 1;
          return a.arm === 'candidate';
        },
        counts,
      };
    }
  }
  if (name.startsWith('experiment')) {
    // Local experiments (experiment.mjs), not Ballast's code: the gate with another hash loop.
    const B = await ballast(dist);
    const E = await import('./experiment.mjs');
    const salt = B.rolloutSalt(CHANGE_ID);
    if (name === 'experiment-gate-ascii')
      return {
        what: 'EXPERIMENT (bench/assign/experiment.mjs): murmurAscii(id, salt) % 10,000 < exposureBp — the same hash reading char codes of an ASCII id directly, no TextEncoder',
        fn: (id) => E.murmurAscii(id, salt) % 10_000 < bp,
      };
    if (name === 'experiment-gate-encodeinto')
      return {
        what: 'EXPERIMENT (bench/assign/experiment.mjs): murmurEncodeInto(id, salt) % 10,000 < exposureBp — TextEncoder.encodeInto one reused buffer',
        fn: (id) => E.murmurEncodeInto(id, salt) % 10_000 < bp,
      };
    if (name === 'experiment-assign-ascii') {
      const snapshot = B.buildSnapshot(
        { [ROUTE]: { stable: 'stable' } },
        [{ changeId: CHANGE_ID, route: ROUTE, candidate: 'candidate', exposure: percent }],
        1,
      );
      const table = new B.RoutingTable(snapshot);
      const counts = { candidate: 0, comparison: 0, stable: 0 };
      return {
        what: 'EXPERIMENT (bench/assign/experiment.mjs): ballast-assign with assignAscii — a copy of assign() whose bucket hash is murmurAscii',
        fn: (id) => {
          const a = E.assignAscii(table.current.routes.get(ROUTE), id);
          counts[a.arm ?? 'stable'] += 1;
          return a.arm === 'candidate';
        },
        counts,
      };
    }
    if (name === 'experiment-hash-only')
      return {
        what: 'for scale: the shipped murmurHash3(id, salt) without the modulo and comparison',
        fn: (id) => (B.bucketOf(salt, id) & 1) === 0,
      };
  }
  if (name.startsWith('growthbook')) {
    const counts = [0, 0];
    const { client, classic } = await growthbook(percent, counts);
    if (name === 'growthbook-client-gate')
      return {
        what: "GrowthBookClient (the Node SDK's server client, initSync with the payload): client.isOn('gate', { attributes: { id } }) — a new user context per id",
        fn: (id) => client.isOn('gate', { attributes: { id } }),
      };
    if (name === 'growthbook-scoped-gate')
      return {
        what: "GrowthBookClient.createScopedInstance({ attributes: { id } }).isOn('gate') — the per-request instance of the Node docs' Express middleware",
        fn: (id) => client.createScopedInstance({ attributes: { id } }).isOn('gate'),
      };
    if (name === 'growthbook-classic-gate')
      return {
        what: "one GrowthBook instance (initSync): gb.setAttributes({ id }) (its promise not awaited; no sticky buckets, no remote eval) then gb.isOn('gate')",
        fn: (id) => {
          classic.setAttributes({ id });
          return classic.isOn('gate');
        },
      };
    if (name === 'growthbook-client-assign')
      return {
        what: "GrowthBookClient: client.isOn('exp', { attributes: { id } }) on an experiment rule (2 variations, coverage 2p) whose trackingCallback adds 1 to the variation's counter (the exposure)",
        fn: (id) => client.isOn('exp', { attributes: { id } }),
        counts,
      };
  }
  if (name.startsWith('unleash')) {
    const client = await unleash(percent);
    if (name === 'unleash-gate')
      return {
        what: "unleash.isEnabled('gate', { userId: id }) — flexibleRollout at p %, stickiness userId (bootstrapped offline, metrics off)",
        fn: (id) => client.isEnabled('gate', { userId: id }),
        client,
      };
    if (name === 'unleash-assign') {
      const counts = { candidate: 0, disabled: 0 };
      return {
        what: "unleash.getVariant('exp', { userId: id }) — flexibleRollout at p % with one variant, then counts[variant.name] += 1",
        fn: (id) => {
          const v = client.getVariant('exp', { userId: id });
          counts[v.enabled ? v.name : 'disabled'] += 1;
          return v.enabled;
        },
        counts,
        client,
      };
    }
  }
  throw new Error(`unknown case ${name}`);
}

/**
 * One pass over every id, in chunks of CHUNK ids with an await between chunks: the microtask queue
 * drains as it would between requests in a server (GrowthBook's tracking callback runs inside a
 * promise per exposure; in one synchronous loop of 1,000,000 calls those would pile up until the
 * heap ran out). The same for every case; an await per 10,000 calls costs nothing measurable.
 */
const CHUNK = 10_000;
async function pass(fn, ids) {
  let on = 0;
  for (let start = 0; start < ids.length; start += CHUNK) {
    const end = Math.min(ids.length, start + CHUNK);
    for (let i = start; i < end; i++) if (fn(ids[i])) on++;
    await null;
  }
  return on;
}

async function time(name, percent, runs, n, dist) {
  const ids = makeIds(n);
  const c = await makeCase(name, percent, dist);
  const fn = c.fn;
  let sink = 0;
  // Warm-up: one full pass (the JIT settles; every id seen once, as in the timed passes).
  sink += await pass(fn, ids);
  const ns = [];
  for (let r = 0; r < runs; r++) {
    let on = 0;
    const t0 = performance.now();
    on = await pass(fn, ids);
    const t1 = performance.now();
    ns.push(((t1 - t0) * 1e6) / n);
    sink += on;
  }
  const onShare = sink / (n * (runs + 1));
  c.client?.destroy?.();
  return {
    case: name,
    percent,
    ids: n,
    runs,
    what: c.what,
    ns_per_call: ns,
    on_share: onShare,
    counts: c.counts ?? null,
    unleash_url_connections: name.startsWith('unleash') ? unleashConnections : null,
    heap_used_mb: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

/**
 * Arm membership of every id at each percent, then: a unit in the candidate arm at p must be in it
 * at every higher p (candidate violations); for Ballast, a unit in the comparison arm at p must stay
 * in it at every higher p up to 50 % (comparison violations).
 */
async function mono(system, percents, n, dist) {
  const ids = makeIds(n);
  const candidate = [];
  const comparison = [];
  for (const p of percents) {
    const cand = new Uint8Array(n);
    const comp = new Uint8Array(n);
    if (system === 'ballast') {
      const B = await ballast(dist);
      const snap = B.buildSnapshot(
        { [ROUTE]: { stable: 'stable' } },
        [{ changeId: CHANGE_ID, route: ROUTE, candidate: 'candidate', exposure: p }],
        1,
      );
      const route = snap.routes.get(ROUTE);
      for (let i = 0; i < n; i++) {
        const a = B.assign(route, ids[i]).arm;
        cand[i] = a === 'candidate' ? 1 : 0;
        comp[i] = a === 'comparison' ? 1 : 0;
      }
    } else if (system === 'growthbook') {
      const { client } = await growthbook(p, [0, 0]);
      for (let i = 0; i < n; i++) cand[i] = client.isOn('gate', { attributes: { id: ids[i] } }) ? 1 : 0;
    } else if (system === 'growthbook-exp') {
      // The experiment's arms: treatment (variation 1) is the candidate, control (0) the comparison.
      const { client } = await growthbook(p, [0, 0]);
      for (let i = 0; i < n; i++) {
        const r = client.evalFeature('exp', { attributes: { id: ids[i] } });
        const v = r.experimentResult?.inExperiment ? r.experimentResult.variationId : -1;
        cand[i] = v === 1 ? 1 : 0;
        comp[i] = v === 0 ? 1 : 0;
      }
    } else if (system === 'unleash') {
      const client = await unleash(p);
      for (let i = 0; i < n; i++) cand[i] = client.isEnabled('gate', { userId: ids[i] }) ? 1 : 0;
      client.destroy();
    } else throw new Error(`unknown system ${system}`);
    candidate.push(cand);
    comparison.push(comp);
  }
  const sizes = percents.map((p, k) => ({
    percent: p,
    candidate: candidate[k].reduce((a, b) => a + b, 0),
    comparison: comparison[k].reduce((a, b) => a + b, 0),
  }));
  let candViol = 0;
  let compViol = 0;
  const pairs = [];
  for (let a = 0; a < percents.length; a++)
    for (let b = a + 1; b < percents.length; b++) {
      let cv = 0;
      let mv = 0;
      for (let i = 0; i < n; i++) {
        if (candidate[a][i] && !candidate[b][i]) cv++;
        if (percents[b] <= 50 && comparison[a][i] && !comparison[b][i]) mv++;
      }
      candViol += cv;
      compViol += mv;
      pairs.push({
        from: percents[a],
        to: percents[b],
        candidate_lost: cv,
        comparison_lost: percents[b] <= 50 ? mv : null,
      });
    }
  // Units that moved from the candidate arm to the comparison arm (or back) between two levels ≤ 50 %.
  let crossed = 0;
  for (let a = 0; a < percents.length; a++)
    for (let b = a + 1; b < percents.length; b++) {
      if (percents[b] > 50) continue;
      for (let i = 0; i < n; i++)
        if ((candidate[a][i] && comparison[b][i]) || (comparison[a][i] && candidate[b][i])) crossed++;
    }
  return {
    system,
    ids: n,
    percents,
    sizes,
    candidate_violations: candViol,
    comparison_violations: system === 'ballast' || system === 'growthbook-exp' ? compViol : null,
    crossed_arms_up_to_50: system === 'ballast' || system === 'growthbook-exp' ? crossed : null,
    pairs,
    unleash_url_connections: system === 'unleash' ? unleashConnections : null,
  };
}

/** The experiments' hashes equal the shipped one on every id and on non-ASCII strings. */
async function same(n, dist) {
  const B = await ballast(dist);
  const { murmurHash3 } = await import(pathToFileURL(join(dist, 'core/hash/murmur3.js')).href);
  const E = await import('./experiment.mjs');
  const ids = makeIds(n);
  const extra = [
    '',
    'a',
    'ab',
    'abc',
    'é',
    'ümlaut-user',
    '用户-42',
    '😀 emoji',
    'x'.repeat(300),
    '\ud800 lone',
    'mixed-ascii-ü-end',
  ];
  let checked = 0;
  let mismatches = 0;
  for (const seed of [0, B.rolloutSalt(CHANGE_ID), 0xffffffff]) {
    for (const s of [...ids, ...extra]) {
      const h = murmurHash3(s, seed);
      if (E.murmurAscii(s, seed) !== h || E.murmurEncodeInto(s, seed) !== h) mismatches++;
      checked++;
    }
  }
  return { checked, mismatches };
}

const out =
  mode === 'same'
    ? await same(Number(what), arg)
    : mode === 'time'
      ? await time(what, Number(arg), Number(a4), Number(a5), a6)
      : mode === 'mono'
        ? await mono(what, arg.split(',').map(Number), Number(a4), a5)
        : (() => {
            throw new Error('mode: time or mono');
          })();
process.stdout.write(`${JSON.stringify(out)}\n`);
process.exit(0);
