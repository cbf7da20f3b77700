import { describe, expect, it } from 'vitest';
import { mergeEncodedSketches } from '../../src/adapters/telemetry/ddsketch-proto.js';
import { decodeSketch } from '../../src/adapters/telemetry/latency-sketch.js';
import { BUCKET_MS, bucketStartOf } from '../../src/adapters/telemetry/metric-aggregator.js';
import {
  type Scheduler,
  TelemetryFlusher,
  type TelemetryStore,
} from '../../src/adapters/telemetry/telemetry-flusher.js';
import type { RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import type { MetricBucketDelta } from '../../src/app/ports/metric-store.js';
import type { StoreSession } from '../../src/app/ports/store.js';
import { seededRandom } from '../../src/core/hash/random.js';
import { feedbackRecord, requestRecord } from '../support/telemetry-records.js';

const T = 1_760_000_000_000;

/** A store that adds metric rows like the real one (sketches merged) and can fail on demand. */
function fakeStore(shouldFail: (call: number) => boolean = () => false) {
  const buckets = new Map<string, MetricBucketDelta>();
  const log = new Map<string, RequestRecord>();
  const applied = new Set<string>();
  let loseNextAck = false;
  let calls = 0;
  const maybeFail = () => {
    calls += 1;
    if (shouldFail(calls)) throw new Error(`store down (call ${calls})`);
  };
  const store: Pick<StoreSession, 'metrics' | 'requestLog'> = {
    metrics: {
      async upsertBatch(rows, batch) {
        maybeFail();
        // Like the SQL store: a batch applied before adds nothing.
        if (batch !== undefined) {
          if (applied.has(batch.id)) return;
          applied.add(batch.id);
        }
        for (const row of rows) {
          const key = `${row.route}|${row.changeId}|${row.variant}|${row.bucketStart}`;
          const old = buckets.get(key);
          if (!old) {
            buckets.set(key, { ...row });
            continue;
          }
          const sum = { ...old } as Record<string, unknown>;
          for (const [k, v] of Object.entries(row))
            if (typeof v === 'number' && k !== 'bucketStart')
              sum[k] = (old as unknown as Record<string, number>)[k]! + v;
          sum.sketch =
            row.sketch === null || old.sketch === null
              ? (row.sketch ?? old.sketch)
              : mergeEncodedSketches(old.sketch, row.sketch);
          buckets.set(key, sum as unknown as MetricBucketDelta);
        }
        if (loseNextAck) {
          loseNextAck = false;
          throw new Error('the connection dropped after the commit');
        }
      },
      async query() {
        return [...buckets.values()];
      },
      async forgetBatchesBefore() {
        return 0;
      },
      async deleteBefore(before, limit) {
        maybeFail();
        const old = [...buckets.entries()]
          .filter(([, b]) => b.bucketStart < before)
          .sort(([, a], [, b]) => a.bucketStart - b.bucketStart)
          .slice(0, limit);
        for (const [key] of old) buckets.delete(key);
        return old.length;
      },
    },
    requestLog: {
      async appendBatch(rows) {
        maybeFail();
        for (const r of rows) if (!log.has(r.requestId)) log.set(r.requestId, r);
      },
      async get(id) {
        return log.get(id);
      },
      async list() {
        return [...log.values()];
      },
      async deleteBefore(before, limit) {
        maybeFail();
        const old = [...log.values()]
          .filter((r) => r.at < before)
          .sort((a, b) => a.at - b.at)
          .slice(0, limit);
        for (const r of old) log.delete(r.requestId);
        return old.length;
      },
    },
  };
  return {
    store,
    buckets,
    log,
    calls: () => calls,
    /** The next metric write commits, then fails as a dropped connection would. */
    loseAck: () => {
      loseNextAck = true;
    },
  };
}

/** A scheduler the test fires by hand. */
function manualScheduler() {
  let tick: (() => void) | undefined;
  let cancelled = false;
  const schedule: Scheduler = (fn) => {
    tick = fn;
    return {
      cancel: () => {
        cancelled = true;
      },
    };
  };
  return { schedule, fire: () => tick?.(), cancelled: () => cancelled };
}

function flusher(
  store: TelemetryStore,
  overrides: Partial<ConstructorParameters<typeof TelemetryFlusher>[0]> = {},
) {
  let now = T;
  const clock = { now: () => now };
  const f = new TelemetryFlusher({
    store,
    clock,
    flushIntervalMs: 1_000,
    maxPendingRows: 1_000,
    requestLog: { sampleRate: 0, logContent: false },
    schedule: manualScheduler().schedule,
    ...overrides,
  });
  return { f, advance: (ms: number) => (now += ms) };
}

const total = (s: ReturnType<typeof fakeStore>, k: 'count' | 'errors' | 'fallbacks' | 'feedbackCount') =>
  [...s.buckets.values()].reduce((acc, b) => acc + b[k], 0);

describe('TelemetryFlusher', () => {
  it('flushes aggregates to the store on each tick of its scheduler and stops on close', async () => {
    const s = fakeStore();
    const manual = manualScheduler();
    const { f } = flusher(s.store, { schedule: manual.schedule });
    f.record(requestRecord());
    f.record(requestRecord());
    expect(f.stats()).toMatchObject({ pendingRows: 1, droppedRows: 0, flushFailures: 0, lastFlushAt: null });
    manual.fire();
    await f.flush(); // waits for the flush the tick started
    expect(total(s, 'count')).toBe(2);
    expect(f.stats()).toMatchObject({ pendingRows: 0, lastFlushAt: T });
    f.recordFeedback(feedbackRecord());
    await f.close();
    expect(manual.cancelled()).toBe(true);
    expect(total(s, 'feedbackCount')).toBe(1);
    await f.close();
  });

  it('backs off while the store keeps failing (2, 4, 8 … intervals, at most 30 s) and resets on success', async () => {
    let down = true;
    const s = fakeStore(() => down);
    const manual = manualScheduler();
    const { f, advance } = flusher(s.store, { schedule: manual.schedule });
    const settle = () => new Promise((r) => setTimeout(r, 0));
    /** Moves the clock, fires the timer, and says whether it tried the store. */
    const tries = async (ms: number) => {
      advance(ms);
      const before = s.calls();
      manual.fire();
      await settle();
      return s.calls() > before;
    };
    f.record(requestRecord());
    expect(await tries(0)).toBe(true); // fails: next try after 2 s
    expect(await tries(1_000)).toBe(false);
    expect(await tries(1_000)).toBe(true); // fails: 4 s
    expect(await tries(3_000)).toBe(false);
    expect(await tries(1_000)).toBe(true); // fails: 8 s
    for (let i = 0; i < 6; i++) expect(await tries(60_000)).toBe(true);
    expect(await tries(29_000)).toBe(false); // never more than 30 s apart
    expect(await tries(1_000)).toBe(true);
    expect(f.stats()).toMatchObject({ pendingRows: 1, flushFailures: 10 });
    down = false;
    expect(await tries(30_000)).toBe(true);
    expect(f.stats().pendingRows).toBe(0);
    // One success resets the wait.
    f.record(requestRecord());
    expect(await tries(0)).toBe(true);
    expect(total(s, 'count')).toBe(2);
  });

  it('keeps the rows of a failed flush and writes them with the next one', async () => {
    let down = true;
    const s = fakeStore(() => down);
    const errors: unknown[] = [];
    const { f } = flusher(s.store, { onFlushFailure: (e) => errors.push(e) });
    f.record(requestRecord({ latencyMs: 100 }));
    await f.flush();
    expect(f.stats()).toMatchObject({ pendingRows: 1, flushFailures: 1, lastFlushAt: null });
    expect(errors).toHaveLength(1);
    f.record(requestRecord({ latencyMs: 200 }));
    down = false;
    await f.flush();
    expect(f.stats()).toMatchObject({ pendingRows: 0, flushFailures: 1 });
    const [bucket] = s.buckets.values();
    expect(bucket).toMatchObject({ count: 2, latencySum: 300 });
    expect(decodeSketch(bucket?.sketch as string).count).toBe(2);
  });

  it('holds at most max_pending_rows rows of each kind while the store is away, and counts the rest', async () => {
    const s = fakeStore(() => true);
    const dropped: number[] = [];
    const { f } = flusher(s.store, {
      maxPendingRows: 3,
      requestLog: { sampleRate: 1, logContent: false },
      onDropped: (n) => dropped.push(n),
    });
    for (let i = 0; i < 5; i++) f.record(requestRecord({ servedVariant: `v${i}`, attempts: [] }));
    // 3 metric rows and 3 log rows fit; 2 of each are dropped.
    expect(f.stats()).toMatchObject({ pendingRows: 6, droppedRows: 4 });
    f.record(requestRecord({ servedVariant: 'v0', attempts: [] })); // an existing key still adds up
    expect(f.stats()).toMatchObject({ pendingRows: 6, droppedRows: 5 });
    await f.flush();
    // The failed write waits as it was, to be retried under its id: a later update of one of its
    // keys starts a row beside it (past the bound: it is never dropped), a new key does not fit.
    f.record(requestRecord({ servedVariant: 'v0', attempts: [] }));
    f.record(requestRecord({ servedVariant: 'v9', attempts: [] }));
    // (The request log is full: both its rows are dropped.)
    expect(f.stats()).toMatchObject({ pendingRows: 7, droppedRows: 8, flushFailures: 1 });
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(8);
  });

  it('a write whose commit went through but whose acknowledgement was lost is not counted twice', async () => {
    const s = fakeStore();
    const failures: unknown[] = [];
    const { f } = flusher(s.store, { onFlushFailure: (e) => failures.push(e) });
    f.record(requestRecord({ latencyMs: 100 }));
    s.loseAck();
    await f.flush();
    expect(failures).toHaveLength(1);
    expect(f.stats()).toMatchObject({ pendingRows: 1, flushFailures: 1 });
    f.record(requestRecord({ latencyMs: 200 }));
    await f.flush();
    // Retried under its id (the store adds nothing), then the new row under a new one.
    expect(f.stats()).toMatchObject({ pendingRows: 0, flushFailures: 1 });
    const [bucket] = s.buckets.values();
    expect(bucket).toMatchObject({ count: 2, latencySum: 300 });
    expect(decodeSketch(bucket?.sketch as string).count).toBe(2);
  });

  it('close flushes what is pending', async () => {
    const s = fakeStore();
    const { f } = flusher(s.store, { requestLog: { sampleRate: 1, logContent: false } });
    f.record(requestRecord());
    await f.close();
    expect(total(s, 'count')).toBe(1);
    expect(s.log.size).toBe(1);
  });

  it('loses nothing over 50 flushes with a store that fails every third write', async () => {
    const s = fakeStore((call) => call % 3 === 0);
    const random = seededRandom('flush-50');
    const { f, advance } = flusher(s.store, { requestLog: { sampleRate: 1, logContent: false } });
    let requests = 0;
    let fallbacks = 0;
    let feedback = 0;
    for (let flush = 0; flush < 50; flush++) {
      const n = Math.floor(random() * 20);
      for (let i = 0; i < n; i++) {
        const fellBack = random() < 0.2;
        f.record(
          requestRecord({
            at: T + flush * 700 + i,
            servedVariant: fellBack ? 'baseline' : 'cand',
            attempts: fellBack
              ? [
                  { variant: 'cand', ok: false, kind: 'timeout', latencyMs: 50 },
                  { variant: 'baseline', ok: true, latencyMs: 40 },
                ]
              : [{ variant: 'cand', ok: true, latencyMs: 30 }],
          }),
        );
        requests += 1;
        if (fellBack) fallbacks += 1;
        if (random() < 0.1) {
          f.recordFeedback(feedbackRecord({ at: T + flush * 700 }));
          feedback += 1;
        }
      }
      advance(700);
      await f.flush();
    }
    await f.close();
    expect(f.stats().flushFailures).toBeGreaterThan(5);
    expect(f.stats()).toMatchObject({ pendingRows: 0, droppedRows: 0 });
    expect(total(s, 'count')).toBe(requests + fallbacks);
    expect(total(s, 'errors')).toBe(fallbacks);
    expect(total(s, 'fallbacks')).toBe(fallbacks);
    expect(total(s, 'feedbackCount')).toBe(feedback);
    expect(s.log.size).toBe(requests);
    // Each bucket's sketch holds every latency of the bucket, across failed and repeated flushes.
    for (const b of s.buckets.values()) {
      if (b.count > 0) expect(decodeSketch(b.sketch as string).count).toBe(b.count);
    }
    expect(Math.max(...[...s.buckets.values()].map((b) => b.bucketStart))).toBeGreaterThan(T + 2 * BUCKET_MS);
  });

  it('samples the request log with the injected random and drops content unless log_content', async () => {
    const content = { messages: [{ role: 'user' as const, content: 'hi' }], output: 'hello' };
    const draws = [0.05, 0.5, 0.09];
    const s = fakeStore();
    const { f } = flusher(s.store, {
      requestLog: { sampleRate: 0.1, logContent: false },
      random: () => draws.shift() ?? 1,
    });
    const records = [0, 1, 2].map(() => requestRecord({ content }));
    for (const r of records) f.record(r);
    await f.flush();
    expect([...s.log.keys()].sort()).toEqual([records[0]?.requestId, records[2]?.requestId].sort());
    for (const r of s.log.values()) expect('content' in r).toBe(false);

    const s2 = fakeStore();
    const { f: f2 } = flusher(s2.store, { requestLog: { sampleRate: 1, logContent: true } });
    f2.record(records[0] as RequestRecord);
    await f2.flush();
    expect(s2.log.get(records[0]?.requestId as string)?.content).toEqual(content);

    const s3 = fakeStore();
    const { f: f3 } = flusher(s3.store, { requestLog: { sampleRate: 0, logContent: true }, random: () => 0 });
    f3.record(records[0] as RequestRecord);
    await f3.flush();
    expect(s3.log.size).toBe(0);
  });

  it('keeps pending text within its budget while the store is away: later rows wait without text', async () => {
    const content = (n: number) => ({
      messages: [{ role: 'user' as const, content: 'x'.repeat(n) }],
      output: 'ok',
    });
    let down = true;
    const s = fakeStore(() => down);
    const { f } = flusher(s.store, {
      requestLog: { sampleRate: 1, logContent: true, maxPendingContentChars: 250 },
      onFlushFailure: () => {},
    });
    // 100 + 2 characters each: two rows fit the budget of 250, the third waits without its text.
    const records = [0, 1, 2].map(() => requestRecord({ content: content(100) }));
    for (const r of records) f.record(r);
    await f.flush();
    expect(f.stats().logContentDropped).toBe(1);
    // Rows put back after the failed write still count against the budget.
    const fourth = requestRecord({ content: content(100) });
    f.record(fourth);
    expect(f.stats().logContentDropped).toBe(2);
    down = false;
    await f.flush();
    const kept = [records[0], records[1], records[2], fourth].map((r) => s.log.get(r?.requestId as string));
    expect(kept.map((r) => r !== undefined)).toEqual([true, true, true, true]);
    expect(kept.map((r) => r?.content !== undefined)).toEqual([true, true, false, false]);
    // Written, the budget is free again.
    const fifth = requestRecord({ content: content(100) });
    f.record(fifth);
    await f.flush();
    expect(s.log.get(fifth.requestId)?.content).toEqual(content(100));
  });

  it('record never throws, even on a malformed record', () => {
    const errors: unknown[] = [];
    const failures: unknown[] = [];
    const { f } = flusher(fakeStore().store, {
      onRecordError: (e) => errors.push(e),
      onFlushFailure: (e) => failures.push(e),
    });
    expect(() => f.record({ ...requestRecord(), attempts: null } as unknown as RequestRecord)).not.toThrow();
    expect(errors).toHaveLength(1);
    // Reported as what it is, not as a failed write (ballast_telemetry_flush_failures_total).
    expect(failures).toHaveLength(0);
  });

  it('a failed request-log write does not make the metric write repeat', async () => {
    const s = fakeStore((call) => call === 2); // call 1 metrics ok, call 2 log fails
    const { f } = flusher(s.store, { requestLog: { sampleRate: 1, logContent: false } });
    f.record(requestRecord());
    await f.flush();
    expect(f.stats()).toMatchObject({ pendingRows: 1, flushFailures: 1 });
    await f.flush();
    expect(total(s, 'count')).toBe(1);
    expect(s.log.size).toBe(1);
  });

  it('deletes request-log rows past the retention, a few batches per flush, then looks again every 10 minutes', async () => {
    const DAY = 86_400_000;
    const s = fakeStore();
    const old = Array.from({ length: 25_000 }, (_, i) => requestRecord({ at: T - 40 * DAY + i }));
    const recent = Array.from({ length: 5 }, () => requestRecord({ at: T - DAY }));
    for (const r of [...old, ...recent]) s.log.set(r.requestId, r);
    let deletes = 0;
    const deleteBefore = s.store.requestLog.deleteBefore.bind(s.store.requestLog);
    s.store.requestLog.deleteBefore = (before, limit) => {
      deletes += 1;
      return deleteBefore(before, limit);
    };
    const { f, advance } = flusher(s.store, {
      requestLog: { sampleRate: 0, logContent: false, retentionMs: 30 * DAY },
    });
    await f.flush(); // 4 full batches of 5,000: more is left
    expect(s.log.size).toBe(5_000 + 5);
    expect(f.stats().logRowsPruned).toBe(20_000);
    advance(1_000);
    await f.flush(); // the rest, and a short batch says it is done
    expect(s.log.size).toBe(5);
    expect([...s.log.values()].every((r) => r.at === T - DAY)).toBe(true);
    expect(deletes).toBe(6);
    advance(1_000);
    await f.flush(); // not before 10 minutes
    expect(deletes).toBe(6);
    advance(10 * 60_000);
    await f.flush();
    expect(deletes).toBe(7);
    expect(f.stats()).toMatchObject({ logRowsPruned: 25_000, flushFailures: 0 });
  });

  it('deletes metric buckets past their own retention after a good flush; without one it keeps them', async () => {
    const DAY = 86_400_000;
    const times = [T - 100 * DAY, T - 95 * DAY, T - 10 * DAY];
    const s = fakeStore();
    const { f } = flusher(s.store, { metricRetentionMs: 90 * DAY });
    for (const at of times) f.record(requestRecord({ at }));
    await f.flush();
    expect([...s.buckets.values()].map((b) => b.bucketStart)).toEqual([bucketStartOf(T - 10 * DAY)]);
    expect(f.stats()).toMatchObject({ metricRowsPruned: 2, logRowsPruned: 0, flushFailures: 0 });

    const kept = fakeStore();
    const { f: f2 } = flusher(kept.store);
    for (const at of times) f2.record(requestRecord({ at }));
    await f2.flush();
    expect(kept.buckets.size).toBe(3);
    expect(f2.stats().metricRowsPruned).toBe(0);
  });

  it("deletes ended changes' per-unit rows past their retention, in batches, paced like the others", async () => {
    const DAY = 86_400_000;
    const s = fakeStore();
    const calls: { before: number; limit: number }[] = [];
    let left = 12_000; // rows of ended changes past the cut-off
    const unitTotals = {
      upsertBatch: async () => {},
      deleteChange: async () => 0,
      async deleteEndedBefore(before: number, limit: number) {
        calls.push({ before, limit });
        const n = Math.min(left, limit);
        left -= n;
        return n;
      },
    } as unknown as NonNullable<TelemetryStore['unitTotals']>;
    const { f, advance } = flusher({ ...s.store, unitTotals }, { unitRetentionMs: 30 * DAY });
    await f.flush();
    // 5,000 + 5,000 + 2,000: a short batch says it is done.
    expect(calls).toEqual([
      { before: T - 30 * DAY, limit: 5_000 },
      { before: T - 30 * DAY, limit: 5_000 },
      { before: T - 30 * DAY, limit: 5_000 },
    ]);
    expect(f.stats()).toMatchObject({ unitRowsPruned: 12_000, flushFailures: 0 });
    advance(1_000);
    await f.flush(); // not again before 10 minutes
    expect(calls).toHaveLength(3);
    advance(10 * 60_000);
    await f.flush();
    expect(calls).toHaveLength(4);

    // Without a retention (0) nothing is deleted.
    const keep = flusher({ ...s.store, unitTotals }, { unitRetentionMs: 0 });
    await keep.f.flush();
    expect(calls).toHaveLength(4);
    expect(keep.f.stats().unitRowsPruned).toBe(0);
  });

  it('keeps every request-log row without a retention, and a failed delete fails no flush', async () => {
    const s = fakeStore((call) => call === 2); // call 1: metrics; call 2: the delete
    const ancient = requestRecord({ at: 0 });
    s.log.set(ancient.requestId, ancient);
    const errors: unknown[] = [];
    const { f } = flusher(s.store, {
      requestLog: { sampleRate: 0, logContent: false, retentionMs: 86_400_000 },
      onFlushFailure: (e) => errors.push(e),
    });
    f.record(requestRecord());
    await f.flush();
    expect(errors).toHaveLength(1);
    expect(f.stats()).toMatchObject({ flushFailures: 0, pendingRows: 0, logRowsPruned: 0 });
    expect(s.log.size).toBe(1);

    const s2 = fakeStore();
    s2.log.set(ancient.requestId, ancient);
    const { f: f2 } = flusher(s2.store);
    await f2.flush();
    expect(s2.log.size).toBe(1);
  });
});
