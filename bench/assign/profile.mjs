// Self time per function of a V8 .cpuprofile (node --cpu-prof), top first, idle and program excluded.
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
