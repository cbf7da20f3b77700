#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function and per file or
// package, top first. Idle time ("(idle)") is shown separately: it is time spent waiting on the
// network, not CPU.
//
// Also: inclusive time (self + callees, each sample counted once per function on its stack) of the
// functions whose script URL contains --inclusive (default: Ballast's own code, src/ or dist/), which
// says which of Ballast's steps the time goes to.
//
// Usage: node profile-summary.mjs FILE.cpuprofile [--top 25] [--inclusive /dist/] [--json]

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SourceMapConsumer } from 'source-map-js';

/**
 * Frames in the esbuild bundle (dist/bundle/*.js) name a chunk, not a module. Each is mapped back
 * through the chunk's source map to the file it came from — Ballast's src/…ts or a package under
 * node_modules — so that the step and file tables say what the code is. Frames without a map stay.
 */
export function remapBundleFrames(profile) {
  const consumers = new Map();
  const consumerFor = (url) => {
    if (!consumers.has(url)) {
      let consumer = null;
      try {
        const map = `${fileURLToPath(url)}.map`;
        if (existsSync(map)) consumer = new SourceMapConsumer(JSON.parse(readFileSync(map, 'utf8')));
      } catch {
        consumer = null;
      }
      consumers.set(url, consumer);
    }
    return consumers.get(url);
  };
  for (const node of profile.nodes) {
    const cf = node.callFrame;
    if (!cf.url?.includes('/dist/bundle/') || cf.lineNumber < 0) continue;
    const consumer = consumerFor(cf.url);
    if (!consumer) continue;
    const pos = consumer.originalPositionFor({ line: cf.lineNumber + 1, column: cf.columnNumber });
    if (!pos.source) continue;
    const original = new URL(pos.source, pathToFileURL(fileURLToPath(cf.url))).href;
    node.callFrame = { ...cf, url: original, lineNumber: (pos.line ?? 1) - 1, columnNumber: pos.column ?? 0 };
  }
  return profile;
}

/** Where a script URL comes from: a package under node_modules, the project's dist, node itself. */
export function origin(url) {
  if (!url) return '(native/vm)';
  if (url.startsWith('node:')) return 'node:internal';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const own = url.search(/\/(dist|src)\//);
  if (own >= 0) return `ballast ${url.slice(own + 1)}`;
  return url.replace(/^file:\/\//, '');
}

/**
 * Ballast's steps, for the "by step" table: a sample goes to the step of the innermost frame on its
 * stack that matches one of these (checked leaf to root), so a store write made from the eval loop
 * counts as "store", not "eval loop".
 */
/** Ballast's own code: its src/ (bundle frames mapped back) or dist/, not a dependency's. */
const ownCode = (url) => /\/(dist|src)\//.test(url) && !url.includes('/node_modules/');
const ballast = (re) => (cf) => ownCode(cf.url) && re.test(cf.url);

const STEPS = [
  ['garbage collection', (cf) => cf.functionName === '(garbage collector)'],
  ['loading modules', (cf) => /^node:internal\/modules\//.test(cf.url)],
  ['store (SQLite writes and reads)', ballast(/\/(?:dist|src)\/adapters\/store\//)],
  ['model calls (HTTP client, retries, timeouts)', ballast(/\/(?:dist|src)\/adapters\/providers\//)],
  ['scoring', ballast(/\/(?:dist|src)\/(app\/eval\/scoring|core\/eval\/scorers\/)/)],
  ['verdict (statistics)', ballast(/\/(?:dist|src)\/core\/(eval\/verdict|stats\/)/)],
  [
    'report (build, write, print)',
    ballast(/\/(?:dist|src)\/(core\/eval\/report|adapters\/files\/report|cli\/)/),
  ],
  ['datasets', ballast(/\/(?:dist|src)\/adapters\/files\/(read-dataset|dataset)/)],
  ['project and spec loading', ballast(/\/(?:dist|src)\/(config|core\/spec)\//)],
  ['eval loop (requests, pairing)', ballast(/\/(?:dist|src)\/(app\/eval|core\/provider|core\/eval)\//)],
  ['other Ballast code', ballast(/\/(?:dist|src)\//)],
];

export function summarise(rawProfile, top = 25, inclusiveFilter = 'ballast') {
  const profile = remapBundleFrames(rawProfile);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  // timeDeltas[i] is the time before samples[i]; attribute it to that sample's node.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map();
  const file = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const cf = node.callFrame;
    total += us;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const where = origin(cf.url);
    const key = `${cf.functionName || '(anonymous)'}  ${where}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    file.set(where, (file.get(where) ?? 0) + us);
  }
  const busy = total - idle;
  // Inclusive time of the filtered functions.
  const incl = new Map();
  const keyOf = (cf) => `${cf.functionName || '(anonymous)'}  ${origin(cf.url)}:${cf.lineNumber + 1}`;
  for (const [id, us] of selfUs) {
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      const matches =
        inclusiveFilter === 'ballast'
          ? ownCode(cf.url ?? '')
          : cf.url?.includes(inclusiveFilter) &&
            (inclusiveFilter.includes('node_modules') || !cf.url.includes('/node_modules/'));
      if (matches) seen.add(keyOf(cf));
    }
    for (const k of seen) incl.set(k, (incl.get(k) ?? 0) + us);
  }
  // Time by step (idle excluded): the innermost frame that names a step decides.
  const steps = new Map();
  for (const [id, us] of selfUs) {
    if (byId.get(id).callFrame.functionName === '(idle)') continue;
    let step = 'outside Ballast (node, event loop, other)';
    outer: for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = byId.get(cur).callFrame;
      for (const [name, test] of STEPS)
        if (test(cf)) {
          step = name;
          break outer;
        }
    }
    steps.set(step, (steps.get(step) ?? 0) + us);
  }
  const rows = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        name,
        ms: Math.round(us / 1000),
        pctOfBusy: Math.round((1000 * us) / busy) / 10,
      }));
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    busyMs: Math.round(busy / 1000),
    functions: rows(fn),
    files: rows(file),
    inclusiveFilter,
    inclusive: rows(incl),
    steps: rows(steps),
  };
}

export function formatSummary(s) {
  const lines = [
    `profile: ${s.totalMs} ms sampled, ${s.busyMs} ms busy (on the main thread), ${s.idleMs} ms idle`,
    '',
  ];
  lines.push('| ms | % of busy | step (innermost matching frame) |', '|---:|---:|---|');
  for (const r of s.steps) lines.push(`| ${r.ms} | ${r.pctOfBusy} | ${r.name} |`);
  lines.push('');
  lines.push('| self ms | % of busy | function (where) |', '|---:|---:|---|');
  for (const r of s.functions) lines.push(`| ${r.ms} | ${r.pctOfBusy} | \`${r.name}\` |`);
  lines.push('', '| self ms | % of busy | file or package |', '|---:|---:|---|');
  for (const r of s.files) lines.push(`| ${r.ms} | ${r.pctOfBusy} | ${r.name} |`);
  if (s.inclusive.length > 0) {
    lines.push(
      '',
      `| inclusive ms | % of busy | ${s.inclusiveFilter === 'ballast' ? "Ballast's own function" : `function whose URL contains "${s.inclusiveFilter}"`} (self + callees) |`,
      '|---:|---:|---|',
    );
    for (const r of s.inclusive) lines.push(`| ${r.ms} | ${r.pctOfBusy} | \`${r.name}\` |`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith('--') && !['--top', '--inclusive'].includes(args[i - 1]));
  if (!file) {
    console.error('usage: node profile-summary.mjs FILE.cpuprofile [--top N] [--json]');
    process.exit(2);
  }
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args[ti + 1]) : 25;
  const ii = args.indexOf('--inclusive');
  const s = summarise(JSON.parse(readFileSync(file, 'utf8')), top, ii >= 0 ? args[ii + 1] : 'ballast');
  console.log(args.includes('--json') ? JSON.stringify(s, null, 2) : formatSummary(s));
}
