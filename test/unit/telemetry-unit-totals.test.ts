import { describe, expect, it } from 'vitest';
import {
  type Scheduler,
  TelemetryFlusher,
  type TelemetryStore,
} from '../../src/adapters/telemetry/telemetry-flusher.js';
import { UnitTotalsAggregator } from '../../src/adapters/telemetry/unit-totals-aggregator.js';
import type { RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import { addUnitTerms, emptyUnitTerms, type UnitTotalsDelta } from '../../src/app/ports/unit-totals-store.js';
import { discardingTelemetryStore, feedbackRecord, requestRecord } from '../support/telemetry-records.js';

const T = 1_760_000_000_000;
const CHG = 'chg-1';

/** A request of user-1 in the candidate arm of chg-1, served by the candidate without trouble. */
const rolloutRequest = (overrides: Partial<RequestRecord> = {}) =>
  requestRecord({
    changeId: CHG,
    arm: 'candidate',
    unit: 'user-1',
    assignedVariant: 'cand',
    servedVariant: 'cand',
    latencyMs: 400,
    outputTokens: 100,
    costUsd: 0.001,
    attempts: [{ variant: 'cand', ok: true, latencyMs: 390 }],
    ...overrides,
  });

function aggregate(
  records: readonly RequestRecord[],
  options: Partial<ConstructorParameters<typeof UnitTotalsAggregator>[0]> = {},
) {
  const agg = new UnitTotalsAggregator({ maxRows: 100, ...options });
  for (const r of records) agg.addRequest(r);
  return agg;
}

describe('UnitTotalsAggregator folding rules', () => {
  it('counts one row per change × arm × unit with every counter of a plain request', () => {
    const rows = aggregate([rolloutRequest(), rolloutRequest({ latencyMs: 600 })]).drain(T);
    expect(rows).toEqual([
      {
        changeId: CHG,
        arm: 'candidate',
        unit: 'user-1',
        at: T,
        requests: 2,
        errors: 0,
        latencySum: 1_000,
        slowCount: 0,
        ttftSum: 0,
        ttftCount: 0,
        guardrailHits: 0,
        fallbacks: 0,
        feedbackCount: 0,
        feedbackSum: 0,
        feedbackNegative: 0,
        feedbackPositive: 0,
        outputTokens: 200,
        costUsd: 0.002,
      },
    ]);
  });

  it('folds random units into per-arm sums without a row; feedback naming one starts a row', () => {
    const random = (unit: string, more: Partial<RequestRecord> = {}) =>
      rolloutRequest({ unit, unitSource: 'random', ...more });
    const requests = [
      random('anon-1'),
      random('anon-2', { latencyMs: 900, stream: true, ttftMs: 120, guardrailHits: 1 }),
      random('anon-3', { arm: 'comparison', outcome: 'error' }),
    ];
    const agg = aggregate([...requests, rolloutRequest()]);
    agg.addFeedback(feedbackRecord({ changeId: CHG, arm: 'candidate', unit: 'anon-2', value: 1 }));
    // Rows: the identified user, and a feedback-only row for anon-2; the random units are sums only.
    const rows = agg.drain(T);
    expect(rows.map((r) => [r.unit, r.requests, r.feedbackCount])).toEqual([
      ['user-1', 1, 0],
      ['anon-2', 0, 1],
    ]);
    // The sums are exactly what the same requests as one-request stored units would add.
    const asRows = aggregate(requests.map((r) => ({ ...r, unitSource: 'header' as const }))).drain(T);
    const expected = new Map<string, Float64Array>();
    for (const row of asRows) {
      const sums = expected.get(row.arm) ?? emptyUnitTerms();
      addUnitTerms(sums, row);
      expected.set(row.arm, sums);
    }
    const groups = agg.drainStandalone();
    expect(groups.map((g) => [g.changeId, g.arm])).toEqual([
      [CHG, 'candidate'],
      [CHG, 'comparison'],
    ]);
    for (const g of groups) expect([...g.sums]).toEqual([...expected.get(g.arm)!]);
    expect(agg.size).toBe(0);
    expect(agg.drainStandalone()).toEqual([]);
  });

  it('ignores requests outside a rollout: no change, or no arm', () => {
    const agg = aggregate([rolloutRequest({ changeId: null, arm: null }), rolloutRequest({ arm: null })]);
    expect(agg.size).toBe(0);
    expect(agg.drain(T)).toEqual([]);
  });

  it('keeps arms, units and changes apart', () => {
    const rows = aggregate([
      rolloutRequest(),
      rolloutRequest({ arm: 'comparison' }),
      rolloutRequest({ unit: 'user-2' }),
      rolloutRequest({ changeId: 'chg-2' }),
      rolloutRequest(),
    ]).drain(T);
    expect(rows.map((r) => [r.changeId, r.arm, r.unit, r.requests])).toEqual([
      [CHG, 'candidate', 'user-1', 2],
      [CHG, 'comparison', 'user-1', 1],
      [CHG, 'candidate', 'user-2', 1],
      ['chg-2', 'candidate', 'user-1', 1],
    ]);
  });

  it('an error is one per request: final error, interrupted stream, or a failure a fallback hid', () => {
    const [row] = aggregate([
      rolloutRequest({
        outcome: 'error',
        status: 502,
        attempts: [{ variant: 'cand', ok: false, kind: 'upstream', latencyMs: 5 }],
      }),
      rolloutRequest({ outcome: 'stream_interrupted', stream: true, ttftMs: 50 }),
      // The client got a good answer from the baseline; the candidate still failed.
      rolloutRequest({
        servedVariant: 'baseline',
        attempts: [
          { variant: 'cand', ok: false, kind: 'timeout', latencyMs: 3_000 },
          { variant: 'baseline', ok: true, latencyMs: 300 },
        ],
      }),
      // An open breaker skipped the candidate: still the arm's failure, or a tripped breaker would
      // make a broken candidate look healthy.
      rolloutRequest({
        servedVariant: 'baseline',
        attempts: [
          { variant: 'cand', ok: false, kind: 'circuit_open', latencyMs: 0 },
          { variant: 'baseline', ok: true, latencyMs: 300 },
        ],
      }),
      // Two failed attempts and a final error are still one failed request.
      rolloutRequest({
        outcome: 'error',
        attempts: [
          { variant: 'cand', ok: false, kind: 'timeout', latencyMs: 10 },
          { variant: 'baseline', ok: false, kind: 'upstream', latencyMs: 10 },
        ],
      }),
      rolloutRequest({ outcome: 'blocked', guardrailHits: 2 }),
      rolloutRequest({ outcome: 'cancelled' }),
      // The client left while the candidate was answering: its attempt ends unfinished, not failed.
      rolloutRequest({
        outcome: 'cancelled',
        attempts: [{ variant: 'cand', ok: false, kind: 'cancelled', latencyMs: 40 }],
      }),
      rolloutRequest({
        outcome: 'cancelled',
        stream: true,
        attempts: [{ variant: 'cand', ok: false, latencyMs: 40 }],
      }),
      rolloutRequest(),
    ]).drain(T);
    expect(row).toMatchObject({ requests: 10, errors: 5, fallbacks: 3, guardrailHits: 1 });
  });

  it('guardrail hits count requests with at least one hit', () => {
    const [row] = aggregate([
      rolloutRequest({ guardrailHits: 3 }),
      rolloutRequest({ guardrailHits: 1 }),
      rolloutRequest({ guardrailHits: 0 }),
    ]).drain(T);
    expect(row?.guardrailHits).toBe(2);
  });

  it('slow counts requests above the change threshold; without one they stay 0', () => {
    const records = [
      rolloutRequest({ latencyMs: 1_000 }),
      rolloutRequest({ latencyMs: 1_001 }),
      rolloutRequest({ latencyMs: 5_000 }),
      rolloutRequest({ changeId: 'chg-fast', latencyMs: 5_000 }),
    ];
    const seen: string[] = [];
    const threshold = (changeId: string) => {
      seen.push(changeId);
      return changeId === CHG ? 1_000 : undefined;
    };
    const rows = aggregate(records, { slowThresholdMs: threshold }).drain(T);
    expect(rows.map((r) => [r.changeId, r.slowCount])).toEqual([
      [CHG, 2],
      ['chg-fast', 0],
    ]);
    expect(seen).toEqual([CHG, CHG, CHG, 'chg-fast']);
    expect(
      aggregate(records)
        .drain(T)
        .map((r) => r.slowCount),
    ).toEqual([0, 0]);
  });

  it('a threshold lookup that throws counts nothing for that request', () => {
    const agg = new UnitTotalsAggregator({
      maxRows: 10,
      slowThresholdMs: () => {
        throw new Error('spec gone');
      },
    });
    expect(() => agg.addRequest(rolloutRequest())).toThrow('spec gone');
    expect(agg.drain(T)).toEqual([]);
  });

  it('time to first token counts streamed requests that sent one', () => {
    const [row] = aggregate([
      rolloutRequest({ stream: true, ttftMs: 120 }),
      rolloutRequest({ stream: true, ttftMs: 80 }),
      rolloutRequest({ stream: true, ttftMs: null, outcome: 'error' }),
      rolloutRequest({ stream: false, ttftMs: 400 }),
    ]).drain(T);
    expect(row).toMatchObject({ ttftSum: 200, ttftCount: 2 });
  });

  it('negative or non-finite latencies, tokens and costs add 0', () => {
    const [row] = aggregate([
      rolloutRequest({ latencyMs: -5, outputTokens: Number.NaN, costUsd: Number.POSITIVE_INFINITY }),
    ]).drain(T);
    expect(row).toMatchObject({ requests: 1, latencySum: 0, outputTokens: 0, costUsd: 0 });
  });

  it('a vote that replaces another keeps the unit at one vote and moves its sum', () => {
    const agg = new UnitTotalsAggregator({ maxRows: 10 });
    const base = { changeId: CHG, unit: 'user-1', arm: 'candidate' as const };
    agg.addFeedback(feedbackRecord({ ...base, value: 1 }));
    agg.addFeedback(feedbackRecord({ ...base, value: 0, replaces: { value: 1, at: T } }));
    expect(agg.drain(T)).toEqual([
      expect.objectContaining({ feedbackCount: 1, feedbackSum: 0, feedbackNegative: 1, feedbackPositive: 0 }),
    ]);
  });

  it('feedback counts only with its unit and arm, and adds no request', () => {
    const agg = new UnitTotalsAggregator({ maxRows: 10 });
    const base = { changeId: CHG, unit: 'user-1', arm: 'candidate' as const };
    agg.addFeedback(feedbackRecord({ ...base, value: 0 }));
    agg.addFeedback(feedbackRecord({ ...base, value: 0.5 }));
    agg.addFeedback(feedbackRecord({ ...base, value: 1 }));
    agg.addFeedback(feedbackRecord({ ...base, value: 0.25 }));
    // Without unit or arm, outside a rollout, or not a number: nothing.
    agg.addFeedback(feedbackRecord({ changeId: CHG, value: 0 }));
    agg.addFeedback(feedbackRecord({ changeId: CHG, arm: 'candidate', value: 0 }));
    agg.addFeedback(feedbackRecord({ changeId: CHG, unit: 'user-1', value: 0 }));
    agg.addFeedback(feedbackRecord({ ...base, arm: null, value: 0 }));
    agg.addFeedback(feedbackRecord({ ...base, changeId: null, value: 0 }));
    agg.addFeedback(feedbackRecord({ ...base, value: Number.NaN }));
    const [row, ...rest] = agg.drain(T);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      ...base,
      requests: 0,
      feedbackCount: 4,
      feedbackSum: 1.75,
      feedbackNegative: 2,
      feedbackPositive: 2,
    });
  });

  it('drops updates beyond maxRows keys and counts them; rows waiting to be retried count against it', () => {
    const agg = new UnitTotalsAggregator({ maxRows: 2 });
    for (const unit of ['a', 'b', 'c', 'a']) agg.addRequest(rolloutRequest({ unit }));
    expect(agg.size).toBe(2);
    expect(agg.dropped).toBe(1);
    const drained = agg.drain(T);
    expect(drained.map((r) => [r.unit, r.requests])).toEqual([
      ['a', 2],
      ['b', 1],
    ]);
    // The drained rows failed to write and wait to be retried: they count against maxRows, and
    // their own units still take updates.
    agg.hold(drained, []);
    agg.addRequest(rolloutRequest({ unit: 'c' }));
    agg.addRequest(rolloutRequest({ unit: 'a', outcome: 'error' }));
    expect(agg.dropped).toBe(2);
    agg.release();
    agg.addRequest(rolloutRequest({ unit: 'c' }));
    expect(agg.drain(T + 1).map((r) => [r.unit, r.requests, r.errors, r.at])).toEqual([
      ['a', 1, 1, T + 1],
      ['c', 1, 0, T + 1],
    ]);
  });
});

/** A store whose unitTotals adds rows like the real one and fails on demand. */
function fakeStore(shouldFail: (call: number) => boolean = () => false) {
  const totals = new Map<string, UnitTotalsDelta>();
  const standalone = new Map<string, Float64Array>();
  const applied = new Set<string>();
  let calls = 0;
  const store: TelemetryStore = {
    ...discardingTelemetryStore(),
    unitTotals: {
      async upsertBatch(rows, groups = [], batch = undefined) {
        calls += 1;
        if (shouldFail(calls)) throw new Error(`store down (call ${calls})`);
        // Like the SQL store: a batch applied before adds nothing.
        if (batch !== undefined) {
          if (applied.has(batch.id)) return;
          applied.add(batch.id);
        }
        for (const g of groups) {
          const key = `${g.changeId}|${g.arm}`;
          const sums = standalone.get(key) ?? emptyUnitTerms();
          for (let i = 0; i < sums.length; i++) sums[i] = sums[i]! + g.sums[i]!;
          standalone.set(key, sums);
        }
        for (const row of rows) {
          const key = `${row.changeId}|${row.arm}|${row.unit}`;
          const old = totals.get(key);
          if (!old) {
            totals.set(key, { ...row });
            continue;
          }
          const sum = { ...old } as Record<string, unknown>;
          for (const [k, v] of Object.entries(row))
            if (typeof v === 'number' && k !== 'at') sum[k] = (old as never)[k] + v;
          // As the SQL store keeps updated_at: the later of the two.
          sum.at = Math.max(old.at, row.at);
          totals.set(key, sum as unknown as UnitTotalsDelta);
        }
      },
      armSums: async () => {
        throw new Error('not used');
      },
      armSumsMany: async () => {
        throw new Error('not used');
      },
      armSumsAll: async () => {
        throw new Error('not used');
      },
      deleteChange: async () => 0,
      deleteEndedBefore: async () => 0,
    },
  };
  return { store, totals, standalone, calls: () => calls };
}

const never: Scheduler = () => ({ cancel() {} });

function flusher(
  store: TelemetryStore,
  overrides: Partial<ConstructorParameters<typeof TelemetryFlusher>[0]> = {},
) {
  let now = T;
  return {
    f: new TelemetryFlusher({
      store,
      clock: { now: () => now },
      flushIntervalMs: 1_000,
      maxPendingRows: 1_000,
      requestLog: { sampleRate: 0, logContent: false },
      schedule: never,
      ...overrides,
    }),
    advance: (ms: number) => (now += ms),
  };
}

describe('TelemetryFlusher with per-unit totals', () => {
  it('flushes unit rows with the aggregates, with slow counts from the given threshold', async () => {
    const s = fakeStore();
    const { f } = flusher(s.store, { slowThresholdMs: () => 500 });
    f.record(rolloutRequest({ latencyMs: 900 }));
    f.record(rolloutRequest({ unit: 'user-2' }));
    f.record(rolloutRequest({ changeId: null, arm: null }));
    f.recordFeedback(feedbackRecord({ changeId: CHG, arm: 'candidate', unit: 'user-2', value: 0 }));
    expect(f.stats()).toMatchObject({ unitRowsPending: 2, unitRowsDropped: 0 });
    await f.flush();
    expect(f.stats()).toMatchObject({ pendingRows: 0, unitRowsPending: 0, lastFlushAt: T });
    expect(s.totals.get(`${CHG}|candidate|user-1`)).toMatchObject({ requests: 1, slowCount: 1 });
    expect(s.totals.get(`${CHG}|candidate|user-2`)).toMatchObject({
      requests: 1,
      slowCount: 0,
      feedbackNegative: 1,
    });
    await f.flush(); // nothing pending: no write
    expect(s.calls()).toBe(1);
  });

  it('keeps unit rows of a failed write and adds them with the next flush, exactly once', async () => {
    let down = true;
    const s = fakeStore(() => down);
    const errors: unknown[] = [];
    const { f, advance } = flusher(s.store, { onFlushFailure: (e) => errors.push(e) });
    f.record(rolloutRequest());
    f.record(rolloutRequest({ outcome: 'error' }));
    await f.flush();
    expect(errors).toHaveLength(1);
    expect(f.stats()).toMatchObject({ flushFailures: 1, unitRowsPending: 1, lastFlushAt: null });
    f.record(rolloutRequest());
    down = false;
    advance(1_000);
    await f.flush();
    expect(f.stats()).toMatchObject({ flushFailures: 1, unitRowsPending: 0, lastFlushAt: T + 1_000 });
    expect([...s.totals.values()]).toMatchObject([{ requests: 3, errors: 1, at: T + 1_000 }]);
  });

  it('a failing unit write does not make the metric write repeat, nor the other way round', async () => {
    const s = fakeStore();
    let metricWrites = 0;
    let metricsDown = true;
    const store: TelemetryStore = {
      ...s.store,
      metrics: {
        upsertBatch: async () => {
          metricWrites += 1;
          if (metricsDown) throw new Error('metrics down');
        },
        query: async () => [],
        deleteBefore: async () => 0,
        forgetBatchesBefore: async () => 0,
      },
    };
    const { f } = flusher(store);
    f.record(rolloutRequest());
    await f.flush();
    expect(s.totals.size).toBe(1);
    expect(f.stats()).toMatchObject({ flushFailures: 1, unitRowsPending: 0, pendingRows: 1 });
    metricsDown = false;
    await f.flush();
    expect(metricWrites).toBe(2);
    expect([...s.totals.values()][0]?.requests).toBe(1);
  });

  it('bounds pending unit rows by max_pending_rows, counts and reports drops, also after a failed write', async () => {
    let down = true;
    const s = fakeStore(() => down);
    const dropped: number[] = [];
    const { f } = flusher(s.store, { maxPendingRows: 3, onDropped: (n) => dropped.push(n) });
    for (let i = 0; i < 5; i++) f.record(rolloutRequest({ unit: `u${i}` }));
    expect(f.stats()).toMatchObject({ unitRowsPending: 3, unitRowsDropped: 2 });
    expect(f.stats().droppedRows).toBe(2);
    expect(dropped).toEqual([1, 1]);
    await f.flush(); // fails: the three rows come back
    for (let i = 5; i < 7; i++) f.record(rolloutRequest({ unit: `u${i}` }));
    expect(f.stats()).toMatchObject({ unitRowsPending: 3, unitRowsDropped: 4 });
    down = false;
    await f.flush();
    expect(s.totals.size).toBe(3);
  });

  it('holds random units as one sum per arm while the store is away, and writes them once', async () => {
    let down = true;
    const s = fakeStore(() => down);
    const { f, advance } = flusher(s.store, { maxPendingRows: 3 });
    const anonymous = (i: number) =>
      rolloutRequest({ unit: `anon-${i}`, unitSource: 'random', arm: i % 2 ? 'candidate' : 'comparison' });
    // Many times max_pending_rows of anonymous requests: nothing is dropped, two keys wait.
    for (let i = 0; i < 30; i++) f.record(anonymous(i));
    expect(f.stats()).toMatchObject({ unitRowsPending: 2, unitRowsDropped: 0 });
    await f.flush(); // fails: the sums wait as they were, to be retried under their batch id
    // New sums of the same two arms start beside them, past the bound if need be.
    for (let i = 30; i < 40; i++) f.record(anonymous(i));
    expect(f.stats()).toMatchObject({ unitRowsPending: 4, unitRowsDropped: 0, flushFailures: 1 });
    down = false;
    advance(1_000);
    await f.flush();
    expect(f.stats()).toMatchObject({ unitRowsPending: 0, unitRowsDropped: 0 });
    expect(s.totals.size).toBe(0);
    // error_rate's n and ΣY per arm: 20 units of one request each.
    for (const arm of ['candidate', 'comparison'])
      expect([...s.standalone.get(`${CHG}|${arm}`)!.subarray(0, 3)]).toEqual([20, 0, 20]);
    await f.flush();
    // The failed write, its retry, and the write of what came since.
    expect(s.calls()).toBe(3);
  });

  it('keeps no unit rows when the store has no unitTotals', async () => {
    const { store } = fakeStore();
    const { unitTotals: _unused, ...withoutUnits } = store;
    const { f } = flusher(withoutUnits);
    f.record(rolloutRequest());
    f.recordFeedback(feedbackRecord({ changeId: CHG, arm: 'candidate', unit: 'user-1' }));
    // Two metric rows (the request's variant, the feedback's) and nothing else.
    expect(f.stats()).toMatchObject({ unitRowsPending: 0, unitRowsDropped: 0, pendingRows: 2 });
    await f.flush();
  });

  it('a throwing threshold lookup is reported, and the metric aggregates still count the request', async () => {
    const s = fakeStore();
    const errors: unknown[] = [];
    const { f } = flusher(s.store, {
      slowThresholdMs: () => {
        throw new Error('spec gone');
      },
      onRecordError: (e) => errors.push(e),
    });
    f.record(rolloutRequest());
    expect(errors).toHaveLength(1);
    expect(f.stats()).toMatchObject({ unitRowsPending: 0, pendingRows: 1 });
  });
});
