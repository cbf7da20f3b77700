// Reading V8 .cpuprofile files (node --cpu-prof, node:inspector) for the benches: self time per
// function, and inclusive time of named functions.
import { readFileSync } from 'node:fs';

export function selfTimes(file, top = 12) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i];
    dt.set(id, (dt.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }
  const total = [...dt.values()].reduce((a, b) => a + b, 0);
  const agg = new Map();
  for (const [id, us] of dt) {
    const cf = byId.get(id).callFrame;
    const file = (cf.url || '')
      .replace(/^file:\/\//, '')
      .split('/')
      .slice(-2)
      .join('/');
    const key = `${cf.functionName || '(anonymous)'} ${file ? `(${file}:${cf.lineNumber + 1})` : ''}`.trim();
    agg.set(key, (agg.get(key) ?? 0) + us);
  }
  return {
    total_ms: total / 1000,
    top: [...agg.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: Math.round(us / 100) / 10, pct: Math.round((1000 * us) / total) / 10 })),
  };
}

/**
 * Inclusive time (self + callees; a sample counts once per function on its stack) of the named
 * functions, matched by function name and a piece of the script URL.
 */
export function inclusiveTimes(file, wanted) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const total = prof.timeDeltas.reduce((a, b) => a + b, 0);
  const out = new Map(wanted.map((w) => [w.label, 0]));
  for (let i = 0; i < prof.samples.length; i++) {
    const us = prof.timeDeltas[i] ?? 0;
    const hit = new Set();
    for (let id = prof.samples[i]; id !== undefined; id = parent.get(id)) {
      const cf = byId.get(id).callFrame;
      for (const w of wanted)
        if (cf.functionName === w.fn && (cf.url || '').includes(w.url)) hit.add(w.label);
    }
    for (const l of hit) out.set(l, out.get(l) + us);
  }
  return {
    total_ms: total / 1000,
    rows: wanted.map((w) => ({
      label: w.label,
      ms: Math.round(out.get(w.label) / 100) / 10,
      pct: Math.round((1000 * out.get(w.label)) / total) / 10,
    })),
  };
}
