import { describe, expect, it } from 'vitest';
import {
  type ArmSums,
  addUnitTerms,
  emptyUnitTerms,
  UNIT_METRIC_NAMES,
  UNIT_METRICS,
  type UnitMetric,
  type UnitSums,
  type UnitTotalsDelta,
} from '../../src/app/ports/unit-totals-store.js';
import { seededRandom } from '../../src/core/hash/random.js';
import type { Arm } from '../../src/core/routing/assign.js';
import { type StoreGetter, seedRollout, T0, uid } from './store-fixtures.js';

const ZERO: UnitSums = { n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 };

/** A delta with every counter 0 but those given. */
export function unitDelta(
  key: { changeId: string; arm: Arm; unit: string },
  counters: Partial<Omit<UnitTotalsDelta, 'changeId' | 'arm' | 'unit'>> = {},
): UnitTotalsDelta {
  return {
    ...key,
    at: T0,
    requests: 0,
    errors: 0,
    latencySum: 0,
    slowCount: 0,
    ttftSum: 0,
    ttftCount: 0,
    guardrailHits: 0,
    fallbacks: 0,
    feedbackCount: 0,
    feedbackSum: 0,
    feedbackNegative: 0,
    feedbackPositive: 0,
    outputTokens: 0,
    costUsd: 0,
    ...counters,
  };
}

/** The six sums computed in memory from per-unit totals, leaving out units with Y = 0. */
export function expectedSums(rows: readonly UnitTotalsDelta[], metric: UnitMetric): ArmSums {
  const { x, y } = UNIT_METRICS[metric];
  const totals = new Map<string, UnitTotalsDelta>();
  for (const r of rows) {
    const key = `${r.arm}\0${r.unit}`;
    const old = totals.get(key);
    if (!old) totals.set(key, { ...r });
    else {
      const sum = { ...old } as Record<string, unknown>;
      for (const [k, v] of Object.entries(r)) if (typeof v === 'number') sum[k] = (old as never)[k] + v;
      totals.set(key, sum as unknown as UnitTotalsDelta);
    }
  }
  const out: Record<Arm, UnitSums> = { candidate: { ...ZERO }, comparison: { ...ZERO } };
  for (const t of totals.values()) {
    const X = t[x];
    const Y = t[y];
    if (!(Y > 0)) continue;
    const s = out[t.arm];
    out[t.arm] = {
      n: s.n + 1,
      sumX: s.sumX + X,
      sumY: s.sumY + Y,
      sumX2: s.sumX2 + X * X,
      sumY2: s.sumY2 + Y * Y,
      sumXY: s.sumXY + X * Y,
    };
  }
  return out;
}

/** Sums agree to a relative 1e-12 (the database adds doubles in its own order). */
export function expectSumsClose(actual: ArmSums, expected: ArmSums): void {
  for (const arm of ['candidate', 'comparison'] as const) {
    const a = actual[arm];
    const e = expected[arm];
    expect(a.n).toBe(e.n);
    for (const k of ['sumX', 'sumY', 'sumX2', 'sumY2', 'sumXY'] as const) {
      const tolerance = Math.max(1e-9, Math.abs(e[k]) * 1e-12);
      expect(Math.abs(a[k] - e[k]), `${arm}.${k}: ${a[k]} vs ${e[k]}`).toBeLessThanOrEqual(tolerance);
    }
  }
}

/** STATS.md §5: errors X over requests Y per unit. */
const VECTOR: Record<Arm, readonly (readonly [number, number])[]> = {
  comparison: [
    [0, 3],
    [1, 5],
    [0, 2],
    [2, 4],
    [0, 1],
    [1, 6],
  ],
  candidate: [
    [1, 2],
    [0, 4],
    [3, 5],
    [1, 1],
    [0, 3],
    [2, 6],
  ],
};

/** A unit with varied counters, drawn from a seeded generator; feedback and ttft are sometimes 0. */
function randomDelta(random: () => number, changeId: string, arm: Arm, unit: string): UnitTotalsDelta {
  const requests = 1 + Math.floor(random() * 8);
  const errors = Math.floor(random() * (requests + 1) * 0.3);
  const ttftCount = random() < 0.3 ? 0 : Math.floor(random() * requests) + 1;
  const feedbackCount = random() < 0.6 ? 0 : 1 + Math.floor(random() * 3);
  const feedbackNegative = Math.floor(random() * (feedbackCount + 1));
  return unitDelta(
    { changeId, arm, unit },
    {
      requests,
      errors,
      latencySum: requests * (200 + random() * 900),
      slowCount: Math.floor(random() * (requests + 1) * 0.2),
      ttftSum: ttftCount * (50 + random() * 300),
      ttftCount,
      guardrailHits: random() < 0.1 ? 1 : 0,
      fallbacks: random() < 0.15 ? 1 : 0,
      feedbackCount,
      feedbackSum:
        feedbackCount === 0 ? 0 : (feedbackCount - feedbackNegative) * 0.9 + feedbackNegative * 0.1,
      feedbackNegative,
      feedbackPositive: feedbackCount - feedbackNegative,
      outputTokens: requests * Math.floor(100 + random() * 900),
      costUsd: requests * random() * 0.002,
    },
  );
}

/** Per-unit totals per rollout arm and the six sums the controller's ratio analysis needs. */
export function unitTotalsContract(getStore: StoreGetter): void {
  describe('unit totals', () => {
    it('armSums gives N, ΣX, ΣY, ΣX², ΣY², ΣXY per arm: the STATS.md §5 vector, units split over upserts', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const rows = (['comparison', 'candidate'] as const).flatMap((arm) =>
        VECTOR[arm].map(([x, y], i) =>
          unitDelta({ changeId, arm, unit: `u${i}` }, { errors: x, requests: y }),
        ),
      );
      // Every unit's totals arrive in pieces: first one request (an error when it has any), then
      // the rest split within one batch (same key twice) and across a second batch.
      const first = rows.map((r) => ({ ...r, requests: 1, errors: r.errors > 0 ? 1 : 0 }));
      const rest = rows.map((r) => ({
        ...r,
        requests: r.requests - 1,
        errors: r.errors - (r.errors > 0 ? 1 : 0),
      }));
      await store.unitTotals.upsertBatch(first);
      const half = rest.map((r) => ({
        ...r,
        requests: Math.floor(r.requests / 2),
        errors: Math.floor(r.errors / 2),
      }));
      const other = rest.map((r, i) => ({
        ...r,
        requests: r.requests - (half[i]?.requests ?? 0),
        errors: r.errors - (half[i]?.errors ?? 0),
      }));
      await store.unitTotals.upsertBatch([...half, ...other.slice(0, 6)]);
      await store.unitTotals.upsertBatch(other.slice(6));

      const sums = await store.unitTotals.armSums(changeId, 'error_rate');
      expect(sums).toEqual({
        comparison: { n: 6, sumX: 4, sumY: 21, sumX2: 6, sumY2: 91, sumXY: 19 },
        candidate: { n: 6, sumX: 7, sumY: 21, sumX2: 15, sumY2: 91, sumXY: 30 },
      });
      for (const arm of ['candidate', 'comparison'] as const) {
        for (const value of Object.values(sums[arm])) expect(typeof value).toBe('number');
      }
    });

    it('leaves out of a metric the units whose Y is 0 for it', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const key = (unit: string) => ({ changeId, arm: 'candidate' as const, unit });
      await store.unitTotals.upsertBatch([
        // Two requests, one rated thumbs-down, streamed once.
        unitDelta(key('rated'), {
          requests: 2,
          errors: 1,
          ttftSum: 120,
          ttftCount: 1,
          feedbackCount: 1,
          feedbackSum: 0,
          feedbackNegative: 1,
        }),
        // Three requests, none rated, none streamed.
        unitDelta(key('silent'), { requests: 3, latencySum: 900 }),
        // Feedback arrived, but the unit's requests were counted in a flush that never came.
        unitDelta(key('feedback-only'), { feedbackCount: 2, feedbackSum: 2, feedbackPositive: 2 }),
      ]);
      const all = await store.unitTotals.armSumsAll(changeId, [
        'error_rate',
        'ttft_ms',
        'negative_feedback_rate',
        'positive_feedback_rate',
        'feedback_score',
      ]);
      expect(all.error_rate.candidate).toEqual({ n: 2, sumX: 1, sumY: 5, sumX2: 1, sumY2: 13, sumXY: 2 });
      expect(all.ttft_ms.candidate).toEqual({
        n: 1,
        sumX: 120,
        sumY: 1,
        sumX2: 14_400,
        sumY2: 1,
        sumXY: 120,
      });
      expect(all.negative_feedback_rate.candidate).toEqual({
        n: 2,
        sumX: 1,
        sumY: 3,
        sumX2: 1,
        sumY2: 5,
        sumXY: 1,
      });
      expect(all.positive_feedback_rate.candidate).toEqual({
        n: 2,
        sumX: 2,
        sumY: 3,
        sumX2: 4,
        sumY2: 5,
        sumXY: 4,
      });
      expect(all.feedback_score.candidate).toEqual({ n: 2, sumX: 2, sumY: 3, sumX2: 4, sumY2: 5, sumXY: 4 });
      // An arm without rows has zero sums.
      expect(all.error_rate.comparison).toEqual(ZERO);
    });

    it('armSumsAll returns, from one query, what armSums returns metric by metric', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const random = seededRandom(7);
      const rows = Array.from({ length: 200 }, (_, i) =>
        randomDelta(random, changeId, i % 3 === 0 ? 'comparison' : 'candidate', `unit-${i}`),
      );
      await store.unitTotals.upsertBatch(rows);
      const all = await store.unitTotals.armSumsAll(changeId, UNIT_METRIC_NAMES);
      expect(Object.keys(all).sort()).toEqual([...UNIT_METRIC_NAMES].sort());
      for (const metric of UNIT_METRIC_NAMES) {
        expect(all[metric], metric).toEqual(await store.unitTotals.armSums(changeId, metric));
        expectSumsClose(all[metric], expectedSums(rows, metric));
      }
      // Repeated metrics are computed once; no metrics, no query.
      const twice = await store.unitTotals.armSumsAll(changeId, ['cost_usd', 'cost_usd']);
      expect(Object.keys(twice)).toEqual(['cost_usd']);
      expect(await store.unitTotals.armSumsAll(changeId, [])).toEqual({});
    });

    it('armSumsMany returns, from one query for many changes, what armSumsAll returns change by change', async () => {
      const store = getStore();
      const random = seededRandom(11);
      const ids = [uid('chg'), uid('chg'), uid('chg')];
      const rows = ids.flatMap((changeId, c) =>
        Array.from({ length: 60 + c * 20 }, (_, i) =>
          randomDelta(random, changeId, i % 2 === 0 ? 'comparison' : 'candidate', `unit-${i}`),
        ),
      );
      await store.unitTotals.upsertBatch(rows);
      const missing = uid('missing');
      const many = await store.unitTotals.armSumsMany([...ids, missing], ['error_rate', 'latency_ms']);
      for (const id of ids)
        expect(many.get(id)).toEqual(await store.unitTotals.armSumsAll(id, ['error_rate', 'latency_ms']));
      expect(many.get(missing)).toEqual({
        error_rate: { candidate: ZERO, comparison: ZERO },
        latency_ms: { candidate: ZERO, comparison: ZERO },
      });
      expect((await store.unitTotals.armSumsMany([], ['error_rate'])).size).toBe(0);
    });

    it('a batch applied before under its id adds nothing, rows and standalone sums alike', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const rows = [unitDelta({ changeId, arm: 'candidate', unit: 'u1' }, { requests: 2, errors: 1 })];
      const sums = emptyUnitTerms();
      addUnitTerms(sums, unitDelta({ changeId, arm: 'comparison', unit: 'anon' }, { requests: 1 }));
      const standalone = [{ changeId, arm: 'comparison' as const, sums }];
      const batch = { id: uid('batch'), at: T0 };
      await store.unitTotals.upsertBatch(rows, standalone, batch);
      const once = await store.unitTotals.armSumsAll(changeId, ['error_rate']);
      // The retry of a write whose acknowledgement was lost changes nothing.
      await store.unitTotals.upsertBatch(rows, standalone, batch);
      expect(await store.unitTotals.armSumsAll(changeId, ['error_rate'])).toEqual(once);
      expect(once.error_rate.candidate).toMatchObject({ n: 1, sumX: 1, sumY: 2 });
      expect(once.error_rate.comparison).toMatchObject({ n: 1, sumX: 0, sumY: 1 });
      // Another id adds again.
      await store.unitTotals.upsertBatch(rows, [], { id: uid('batch'), at: T0 });
      const twice = await store.unitTotals.armSumsAll(changeId, ['error_rate']);
      expect(twice.error_rate.candidate).toMatchObject({ n: 1, sumX: 2, sumY: 4 });
    });

    it('standalone units add to the sums as stored ones do, keep no row, and feedback later counts them', async () => {
      const store = getStore();
      const random = seededRandom(23);
      const stored = uid('chg');
      const alone = uid('chg');
      // The same units, once as stored rows and once as standalone ones (random units of one
      // request each): the sums must be the same, only the stored change keeps rows.
      const units = Array.from({ length: 50 }, (_, i) => {
        const arm = i % 2 === 0 ? 'comparison' : 'candidate';
        return { ...randomDelta(random, stored, arm, `anon-${i}`), feedbackCount: 0, feedbackSum: 0 };
      }).map((d) => ({ ...d, feedbackNegative: 0, feedbackPositive: 0 }));
      await store.unitTotals.upsertBatch(units);
      const groups = (['candidate', 'comparison'] as const).map((arm) => {
        const sums = emptyUnitTerms();
        for (const d of units) if (d.arm === arm) addUnitTerms(sums, d);
        return { changeId: alone, arm, sums };
      });
      // Split over two batches, one of them with no rows: sums add up.
      await store.unitTotals.upsertBatch([], groups.slice(0, 1));
      await store.unitTotals.upsertBatch(
        [unitDelta({ changeId: uid('chg'), arm: 'candidate', unit: 'elsewhere' }, { requests: 1 })],
        groups.slice(1),
      );
      const metrics = [...UNIT_METRIC_NAMES];
      // Equal up to the order of floating-point additions.
      const expectSame = (a: unknown, b: unknown) => {
        const flat = (v: unknown): number[] =>
          typeof v === 'number' ? [v] : Object.values(v as object).flatMap(flat);
        const [x, y] = [flat(a), flat(b)];
        expect(x).toHaveLength(y.length);
        for (const [i, v] of x.entries())
          expect(v).toBeCloseTo(y[i]!, 12 - Math.max(0, Math.ceil(Math.log10(Math.abs(v) + 1))));
      };
      expectSame(
        await store.unitTotals.armSumsAll(alone, metrics),
        await store.unitTotals.armSumsAll(stored, metrics),
      );
      // Feedback on two of them afterwards: each is then a unit of the feedback metrics, in both.
      const feedback = [0, 1].map((i) =>
        unitDelta(
          { changeId: stored, arm: i % 2 === 0 ? 'comparison' : 'candidate', unit: `anon-${i}` },
          { feedbackCount: 1, feedbackSum: 0, feedbackNegative: 1 },
        ),
      );
      await store.unitTotals.upsertBatch(feedback);
      await store.unitTotals.upsertBatch(feedback.map((d) => ({ ...d, changeId: alone })));
      const after = await store.unitTotals.armSumsAll(alone, metrics);
      expectSame(after, await store.unitTotals.armSumsAll(stored, metrics));
      expect(after.negative_feedback_rate.candidate).toMatchObject({ n: 1, sumX: 1, sumY: 1 });
      expect(await store.unitTotals.deleteChange(stored)).toBe(50);
      // Only the two feedback rows were kept for the standalone change.
      expect(await store.unitTotals.deleteChange(alone)).toBe(2);
    });

    it('deleteEndedBefore deletes the per-unit rows of changes whose rollouts all ended before the cut-off, the first ended first, and keeps their sums', async () => {
      const store = getStore();
      // Times of their own (1970), so no other test's rollout is older than the cut-off.
      const at = 1_000_000;
      const cutoff = at + 50_000;
      const withRollout = async (
        units: number,
        status: 'promoted' | 'rolled_back' | 'aborted' | 'running',
        endedAt: number,
      ) => {
        const rollout = await seedRollout(store, undefined, at);
        if (status !== 'running')
          await store.rollouts.update(rollout.id, rollout.version, { status }, endedAt);
        await store.unitTotals.upsertBatch(
          Array.from({ length: units }, (_, i) =>
            unitDelta(
              { changeId: rollout.changeId, arm: i % 2 === 0 ? 'candidate' : 'comparison', unit: `u-${i}` },
              { requests: 2, errors: i % 2 },
            ),
          ),
        );
        return rollout.changeId;
      };
      const rolledBack = await withRollout(2, 'rolled_back', at + 2_000);
      const promoted = await withRollout(3, 'promoted', at + 1_000);
      const running = await withRollout(2, 'running', at);
      const abortedLate = await withRollout(1, 'aborted', cutoff + 1);
      const sums = await store.unitTotals.armSumsAll(promoted, ['error_rate']);

      // The change that ended first goes first, a bounded number of rows at a time.
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 2)).toBe(2);
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 100)).toBe(1 + 2);
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 100)).toBe(0);
      // Their sums (what the statistics read) stay, their rows are gone.
      expect(await store.unitTotals.armSumsAll(promoted, ['error_rate'])).toEqual(sums);
      expect(await store.unitTotals.deleteChange(promoted)).toBe(0);
      expect(await store.unitTotals.deleteChange(rolledBack)).toBe(0);
      // A running rollout's rows and those of one that ended after the cut-off stay.
      expect(await store.unitTotals.deleteChange(running)).toBe(2);
      expect(await store.unitTotals.deleteChange(abortedLate)).toBe(1);
    });

    it('deleteEndedBefore walks a change in key order across both arms, a limit at a time', async () => {
      const store = getStore();
      const rollout = await seedRollout(store, undefined, 2_000_000);
      await store.rollouts.update(rollout.id, rollout.version, { status: 'rolled_back' }, 2_000_001);
      await store.unitTotals.upsertBatch(
        Array.from({ length: 7 }, (_, i) =>
          unitDelta(
            { changeId: rollout.changeId, arm: i % 2 === 0 ? 'candidate' : 'comparison', unit: `w-${i}` },
            { requests: 1 },
          ),
        ),
      );
      const cutoff = 2_000_002;
      // 4 candidate rows then 3 comparison rows: bounds land inside an arm and across arms.
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 3)).toBe(3);
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 3)).toBe(3);
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 3)).toBe(1);
      expect(await store.unitTotals.deleteEndedBefore(cutoff, 3)).toBe(0);
      expect(await store.unitTotals.deleteChange(rollout.changeId)).toBe(0);
    });

    it('keeps changes apart, and deleteChange removes one change only', async () => {
      const store = getStore();
      const a = uid('chg');
      const b = uid('chg');
      await store.unitTotals.upsertBatch([
        unitDelta({ changeId: a, arm: 'candidate', unit: 'same-user' }, { requests: 4, errors: 1 }),
        unitDelta({ changeId: b, arm: 'candidate', unit: 'same-user' }, { requests: 9, errors: 9 }),
        unitDelta({ changeId: b, arm: 'comparison', unit: 'other' }, { requests: 1 }),
      ]);
      expect((await store.unitTotals.armSums(a, 'error_rate')).candidate).toMatchObject({
        n: 1,
        sumX: 1,
        sumY: 4,
      });
      expect((await store.unitTotals.armSums(b, 'error_rate')).candidate).toMatchObject({
        n: 1,
        sumX: 9,
        sumY: 9,
      });
      expect(await store.unitTotals.deleteChange(b)).toBe(2);
      expect(await store.unitTotals.armSums(b, 'error_rate')).toEqual({ candidate: ZERO, comparison: ZERO });
      expect((await store.unitTotals.armSums(a, 'error_rate')).candidate.n).toBe(1);
      expect(await store.unitTotals.deleteChange(b)).toBe(0);
      expect(await store.unitTotals.armSums(uid('missing'), 'latency_ms')).toEqual({
        candidate: ZERO,
        comparison: ZERO,
      });
      await store.unitTotals.upsertBatch([]);
    });

    it('10,000 units in batches, then a second pass over them, add up exactly', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const random = seededRandom(42);
      const rows: UnitTotalsDelta[] = [];
      for (let i = 0; i < 10_000; i++) {
        rows.push(randomDelta(random, changeId, random() < 0.5 ? 'candidate' : 'comparison', `user-${i}`));
      }
      // Units keep their arm; a second pass adds more requests to every tenth unit.
      const again = rows
        .filter((_, i) => i % 10 === 0)
        .map((r) => randomDelta(random, changeId, r.arm, r.unit));
      for (let i = 0; i < rows.length; i += 2_500)
        await store.unitTotals.upsertBatch(rows.slice(i, i + 2_500));
      await store.unitTotals.upsertBatch(again);
      const all = await store.unitTotals.armSumsAll(changeId, UNIT_METRIC_NAMES);
      for (const metric of UNIT_METRIC_NAMES)
        expectSumsClose(all[metric], expectedSums([...rows, ...again], metric));
      const requests = all.error_rate.candidate.n + all.error_rate.comparison.n;
      expect(requests).toBe(10_000);
      expect(await store.unitTotals.deleteChange(changeId)).toBe(10_000);
    }, 60_000);

    it('concurrent upserts to the same unit never lose a count', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const key = { changeId, arm: 'comparison' as const, unit: 'busy' };
      await Promise.all(
        Array.from({ length: 12 }, () =>
          store.unitTotals.upsertBatch([unitDelta(key, { requests: 1, errors: 1 })]),
        ),
      );
      expect((await store.unitTotals.armSums(changeId, 'error_rate')).comparison).toEqual({
        n: 1,
        sumX: 12,
        sumY: 12,
        sumX2: 144,
        sumY2: 144,
        sumXY: 144,
      });
    });

    it('squares of large counters do not overflow 64-bit integers', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const tokens = 4_000_000_000; // its square, 1.6e19, exceeds 2^63
      await store.unitTotals.upsertBatch([
        unitDelta({ changeId, arm: 'candidate', unit: 'a' }, { requests: 2, outputTokens: tokens }),
        unitDelta({ changeId, arm: 'candidate', unit: 'b' }, { requests: 2, outputTokens: tokens }),
      ]);
      const { candidate } = await store.unitTotals.armSums(changeId, 'output_tokens');
      expect(candidate.n).toBe(2);
      expect(candidate.sumX).toBe(2 * tokens);
      expect(candidate.sumX2 / (2 * tokens * tokens)).toBeCloseTo(1, 12);
    });

    it('a batch written in a transaction that rolls back leaves nothing', async () => {
      const store = getStore();
      const changeId = uid('chg');
      await expect(
        store.transaction(async (tx) => {
          await tx.unitTotals.upsertBatch([
            unitDelta({ changeId, arm: 'candidate', unit: 'u' }, { requests: 1 }),
          ]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await store.unitTotals.armSums(changeId, 'error_rate')).candidate).toEqual(ZERO);
    });
  });
}
