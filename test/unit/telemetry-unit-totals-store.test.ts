import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open-store.js';
import { createGatewayTelemetry } from '../../src/adapters/telemetry/create-gateway-telemetry.js';
import type { AttemptRecord, FeedbackRecord, RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import { UNIT_METRIC_NAMES, UNIT_METRICS, type UnitSums } from '../../src/app/ports/unit-totals-store.js';
import { seededRandom } from '../../src/core/hash/random.js';
import type { Arm } from '../../src/core/routing/assign.js';
import { projectSchema } from '../../src/core/spec/project-schema.js';
import { postgresForFile } from '../helpers/postgres.js';
import { requestRecord } from '../support/telemetry-records.js';

const postgres = await postgresForFile();

const T = 1_760_000_000_000;
const SLOW_MS = 1_500;

/** 2,000 requests of 300 units, each unit always in the same arm, with every kind of outcome. */
function simulate(changeId: string) {
  const random = seededRandom('unit-totals', changeId);
  const armOf = (u: number): Arm => (u % 3 === 0 ? 'candidate' : 'comparison');
  const requests: RequestRecord[] = [];
  const feedback: FeedbackRecord[] = [];
  for (let i = 0; i < 2_000; i++) {
    const u = Math.floor(random() * 300);
    const arm = armOf(u);
    const variant = arm === 'candidate' ? 'cand' : 'baseline';
    const roll = random();
    const stream = random() < 0.5;
    let attempts: AttemptRecord[] = [{ variant, ok: true, latencyMs: 300 }];
    let outcome: RequestRecord['outcome'] = 'ok';
    if (roll < 0.05) {
      outcome = 'error';
      attempts = [{ variant, ok: false, kind: 'upstream', latencyMs: 20 }];
    } else if (roll < 0.1) {
      // A failure the fallback hid from the client.
      attempts = [
        { variant, ok: false, kind: random() < 0.5 ? 'timeout' : 'circuit_open', latencyMs: 50 },
        { variant: 'stable', ok: true, latencyMs: 300 },
      ];
    } else if (roll < 0.12) {
      outcome = 'stream_interrupted';
    } else if (roll < 0.14) {
      outcome = 'cancelled';
    }
    const record = requestRecord({
      at: T + i,
      changeId,
      arm,
      unit: `user-${u}`,
      assignedVariant: variant,
      servedVariant: attempts[attempts.length - 1]?.variant ?? variant,
      stream,
      outcome,
      attempts,
      latencyMs: 100 + random() * 2_500,
      ttftMs: stream && outcome !== 'error' ? 20 + random() * 400 : null,
      guardrailHits: random() < 0.04 ? 1 + Math.floor(random() * 3) : 0,
      outputTokens: Math.floor(random() * 800),
      costUsd: random() * 0.003,
    });
    requests.push(record);
    if (random() < 0.2) {
      feedback.push({
        requestId: record.requestId,
        route: record.route,
        changeId,
        variant,
        value: random() < 0.3 ? 0 : random() < 0.5 ? 1 : Math.round(random() * 100) / 100,
        at: T + i + 1,
        unit: record.unit,
        arm,
      });
    }
  }
  // Requests and feedback outside the change's rollout, which must not count.
  requests.push(requestRecord({ changeId: null, arm: null, unit: 'user-1' }));
  requests.push(requestRecord({ changeId: 'other-change', arm: 'candidate', unit: 'user-1' }));
  feedback.push({ requestId: 'x', route: null, changeId, variant: 'cand', value: 0, at: T });
  return { requests, feedback };
}

type Totals = Record<string, number>;

/** The per-unit totals written out plainly from the rules in docs/telemetry.md, then the six sums. */
function independentSums(
  changeId: string,
  requests: readonly RequestRecord[],
  feedback: readonly FeedbackRecord[],
) {
  const units = new Map<string, { arm: Arm; t: Totals }>();
  const unit = (arm: Arm, name: string) => {
    const key = `${arm}/${name}`;
    let entry = units.get(key);
    if (!entry) {
      entry = { arm, t: {} };
      units.set(key, entry);
    }
    return entry.t;
  };
  const add = (t: Totals, k: string, v: number) => {
    t[k] = (t[k] ?? 0) + v;
  };
  for (const r of requests) {
    if (r.changeId !== changeId || r.arm === null) continue;
    const t = unit(r.arm, r.unit);
    const failedAttempts = r.attempts.filter((a) => !a.ok).length;
    const handedOver = r.attempts.slice(0, -1).some((a) => !a.ok);
    add(t, 'requests', 1);
    add(
      t,
      'errors',
      failedAttempts > 0 || r.outcome === 'error' || r.outcome === 'stream_interrupted' ? 1 : 0,
    );
    add(t, 'fallbacks', handedOver ? 1 : 0);
    add(t, 'latencySum', r.latencyMs);
    add(t, 'slowCount', r.latencyMs > SLOW_MS ? 1 : 0);
    add(t, 'ttftSum', r.stream && r.ttftMs !== null ? r.ttftMs : 0);
    add(t, 'ttftCount', r.stream && r.ttftMs !== null ? 1 : 0);
    add(t, 'guardrailHits', r.guardrailHits > 0 ? 1 : 0);
    add(t, 'outputTokens', r.outputTokens);
    add(t, 'costUsd', r.costUsd);
  }
  for (const f of feedback) {
    if (f.changeId !== changeId || !f.arm || f.unit === undefined) continue;
    const t = unit(f.arm, f.unit);
    add(t, 'feedbackCount', 1);
    add(t, 'feedbackSum', f.value);
    add(t, f.value < 0.5 ? 'feedbackNegative' : 'feedbackPositive', 1);
  }
  const out = {} as Record<string, Record<Arm, UnitSums>>;
  for (const metric of UNIT_METRIC_NAMES) {
    const { x, y } = UNIT_METRICS[metric];
    const sums: Record<Arm, UnitSums> = {
      candidate: { n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 },
      comparison: { n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 },
    };
    for (const { arm, t } of units.values()) {
      const X = t[x] ?? 0;
      const Y = t[y] ?? 0;
      if (Y <= 0) continue;
      const s = sums[arm];
      sums[arm] = {
        n: s.n + 1,
        sumX: s.sumX + X,
        sumY: s.sumY + Y,
        sumX2: s.sumX2 + X * X,
        sumY2: s.sumY2 + Y * Y,
        sumXY: s.sumXY + X * Y,
      };
    }
    out[metric] = sums;
  }
  return out;
}

describe.each([{ name: 'SQLite in memory', url: 'sqlite::memory:', run: true }, postgres])(
  'gateway telemetry → unit totals in $name',
  ({ url, run }) => {
    it.runIf(run)(
      '2,000 requests of 300 units in two arms give the sums of an independent computation',
      async () => {
        const store = await openStore(url);
        try {
          const changeId = `chg-sim-${Math.random().toString(36).slice(2, 8)}`;
          let now = T;
          const telemetry = createGatewayTelemetry({
            store,
            server: projectSchema.shape.server.parse({}),
            clock: { now: () => now },
            schedule: () => ({ cancel() {} }),
            processMetrics: false,
            slowThresholdMs: (id) => (id === changeId ? SLOW_MS : undefined),
          });
          const { requests, feedback } = simulate(changeId);
          // Several flush cycles, so a unit's totals arrive in pieces that the store adds up.
          for (let i = 0; i < requests.length; i++) {
            telemetry.record(requests[i] as RequestRecord);
            if (i % 450 === 449) {
              now += 1_000;
              await telemetry.flush();
            }
          }
          for (const f of feedback) telemetry.recordFeedback(f);
          await telemetry.close();
          expect(telemetry.stats()).toMatchObject({
            unitRowsPending: 0,
            unitRowsDropped: 0,
            flushFailures: 0,
          });

          const expected = independentSums(changeId, requests, feedback);
          const all = await store.unitTotals.armSumsAll(changeId, UNIT_METRIC_NAMES);
          for (const metric of UNIT_METRIC_NAMES) {
            for (const arm of ['candidate', 'comparison'] as const) {
              const a = all[metric][arm];
              const e = expected[metric]?.[arm] as UnitSums;
              expect(a.n, `${metric} ${arm} n`).toBe(e.n);
              for (const k of ['sumX', 'sumY', 'sumX2', 'sumY2', 'sumXY'] as const) {
                expect(Math.abs(a[k] - e[k]), `${metric} ${arm} ${k}`).toBeLessThanOrEqual(
                  Math.max(1e-9, Math.abs(e[k]) * 1e-12),
                );
              }
            }
            expect(await store.unitTotals.armSums(changeId, metric)).toEqual(all[metric]);
          }
          // The simulation covers both arms and every rule.
          expect(all.error_rate.candidate.n + all.error_rate.comparison.n).toBe(
            new Set(requests.filter((r) => r.changeId === changeId).map((r) => r.unit)).size,
          );
          for (const metric of [
            'error_rate',
            'slow_rate',
            'fallback_rate',
            'ttft_ms',
            'negative_feedback_rate',
          ] as const) {
            expect(all[metric].candidate.sumX, metric).toBeGreaterThan(0);
            expect(all[metric].comparison.sumX, metric).toBeGreaterThan(0);
          }
          await store.unitTotals.deleteChange(changeId);
          await store.unitTotals.deleteChange('other-change');
        } finally {
          await store.close();
        }
      },
    );
  },
);
