import { describe, expect, it } from 'vitest';
import { decodeSketch, encodeSketch, newLatencySketch } from '../../src/adapters/telemetry/latency-sketch.js';
import { metricDelta, rejectsWithCode, type StoreGetter, T0, uid } from './store-fixtures.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The stored form of a latency sketch of these values. */
function sketchText(values: readonly number[]): string {
  const sketch = newLatencySketch();
  for (const v of values) sketch.accept(v);
  return encodeSketch(sketch);
}

/** Metric buckets add up across writers; feedback and API keys are plain records with lookups. */
export function metricsContract(getStore: StoreGetter): void {
  describe('metrics', () => {
    it('upsertBatch adds counters within a batch and across batches', async () => {
      const store = getStore();
      const route = uid('route');
      const delta = metricDelta({ route });
      await store.metrics.upsertBatch([delta, delta]);
      await store.metrics.upsertBatch([
        metricDelta({ route, count: 5, errors: 0, costUsd: 0.5, latencySum: 0.25 }),
      ]);
      const [bucket, ...rest] = await store.metrics.query({ route });
      expect(rest).toEqual([]);
      expect(bucket).toMatchObject({
        route,
        changeId: null,
        variant: 'baseline',
        bucketStart: T0,
        count: 25,
        errors: 2,
        ttftCount: 24,
        inputTokens: 1_500,
        outputTokens: 4_500,
        guardrailHits: 6,
        fallbacks: 3,
        feedbackCount: 9,
        feedbackNegative: 3,
        feedbackPositive: 6,
        sketch: null,
      });
      expect(bucket?.feedbackSum).toBeCloseTo(3 * 2.25, 12);
      expect(bucket?.latencySum).toBeCloseTo(2 * 1000.5 + 0.25, 9);
      expect(bucket?.latencySqSum).toBeCloseTo(3 * 110_000.25, 6);
      expect(bucket?.ttftSum).toBeCloseTo(3 * 300.5, 9);
      expect(bucket?.costUsd).toBeCloseTo(2 * 0.0125 + 0.5, 12);
      // Counters come back as numbers on every dialect (PostgreSQL's int8 arrives as a string).
      expect(typeof bucket?.count).toBe('number');
      expect(typeof bucket?.feedbackCount).toBe('number');
      expect(typeof bucket?.bucketStart).toBe('number');
    });

    it('a batch applied before under its id adds nothing; its id is forgotten after its time', async () => {
      const store = getStore();
      const route = uid('route');
      const batch = { id: uid('batch'), at: T0 };
      await store.metrics.upsertBatch([metricDelta({ route })], batch);
      // The retry of a write whose acknowledgement was lost: same id, same rows.
      await store.metrics.upsertBatch([metricDelta({ route })], batch);
      await store.metrics.upsertBatch([metricDelta({ route })], { id: uid('batch'), at: T0 });
      await store.metrics.upsertBatch([metricDelta({ route })]);
      const [bucket] = await store.metrics.query({ route });
      expect(bucket?.count).toBe(3 * metricDelta({ route }).count);
      // Ids used before a time are forgotten, oldest first, `limit` at a time.
      const old = [1, 2, 3].map((i) => ({ id: uid(`old-${i}`), at: T0 - 10 * DAY + i }));
      for (const b of old) await store.metrics.upsertBatch([metricDelta({ route: uid('r') })], b);
      const before = T0 - 5 * DAY;
      expect(await store.metrics.forgetBatchesBefore(before, 2)).toBeGreaterThanOrEqual(2);
      expect(await store.metrics.forgetBatchesBefore(before, 1_000)).toBeLessThanOrEqual(1);
      expect(await store.metrics.forgetBatchesBefore(before, 1_000)).toBe(0);
      // A forgotten id is new again; the recent one is still remembered.
      await store.metrics.upsertBatch([metricDelta({ route })], old[0]!);
      await store.metrics.upsertBatch([metricDelta({ route })], batch);
      const [again] = await store.metrics.query({ route });
      expect(again?.count).toBe(4 * metricDelta({ route }).count);
    });

    it('concurrent upserts to the same bucket never lose a count', async () => {
      const store = getStore();
      const route = uid('route');
      await Promise.all(
        Array.from({ length: 12 }, () =>
          store.metrics.upsertBatch([metricDelta({ route, count: 1, errors: 1 })]),
        ),
      );
      const [bucket] = await store.metrics.query({ route });
      expect(bucket?.count).toBe(12);
      expect(bucket?.errors).toBe(12);
    });

    it('a given sketch is merged into the stored one and a null sketch keeps it', async () => {
      const store = getStore();
      const route = uid('route');
      const sketchOf = async () => decodeSketch((await store.metrics.query({ route }))[0]?.sketch as string);
      await store.metrics.upsertBatch([metricDelta({ route, sketch: sketchText([100]) })]);
      await store.metrics.upsertBatch([metricDelta({ route, sketch: null })]);
      expect((await sketchOf()).count).toBe(1);
      // Two rows of one bucket in one batch, then another batch: every value counts.
      const row = metricDelta({ route, sketch: sketchText([250, 250]) });
      await store.metrics.upsertBatch([row, row]);
      await store.metrics.upsertBatch([metricDelta({ route, sketch: sketchText([1_000]) })]);
      const merged = await sketchOf();
      expect(merged.count).toBe(6);
      expect(encodeSketch(merged)).toBe(sketchText([100, 250, 250, 250, 250, 1_000]));
    });

    it('concurrent writers of one bucket lose no sketch value', async () => {
      const store = getStore();
      const route = uid('route');
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.metrics.upsertBatch([metricDelta({ route, count: 1, sketch: sketchText([10 * (i + 1)]) })]),
        ),
      );
      const [bucket] = await store.metrics.query({ route });
      expect(bucket?.count).toBe(12);
      expect(decodeSketch(bucket?.sketch as string).count).toBe(12);
    });

    it('a stored sketch that does not decode is replaced by the next one, not a failing flush', async () => {
      const store = getStore();
      const route = uid('route');
      await store.metrics.upsertBatch([metricDelta({ route, sketch: '{"centroids":[[100,1]]}' })]);
      await store.metrics.upsertBatch([metricDelta({ route, sketch: sketchText([42]) })]);
      const [bucket] = await store.metrics.query({ route });
      expect(bucket?.count).toBe(2 * metricDelta({}).count);
      expect(bucket?.sketch).toBe(sketchText([42]));
    });

    it('query filters by change (null meaning none), variant and a [from, to) window, ordered by time', async () => {
      const store = getStore();
      const route = uid('route');
      const changeId = uid('chg');
      await store.metrics.upsertBatch([
        metricDelta({ route, changeId, variant: 'candidate', bucketStart: T0 + 2 * MINUTE }),
        metricDelta({ route, changeId, variant: 'baseline', bucketStart: T0 + MINUTE }),
        metricDelta({ route, changeId, variant: 'candidate', bucketStart: T0 }),
        metricDelta({ route, changeId: null, variant: 'baseline', bucketStart: T0 }),
      ]);
      const all = await store.metrics.query({ route });
      expect(all.map((b) => [b.bucketStart - T0, b.changeId, b.variant])).toEqual([
        [0, null, 'baseline'],
        [0, changeId, 'candidate'],
        [MINUTE, changeId, 'baseline'],
        [2 * MINUTE, changeId, 'candidate'],
      ]);
      expect((await store.metrics.query({ route, changeId: null })).map((b) => b.changeId)).toEqual([null]);
      expect(await store.metrics.query({ route, changeId, variant: 'candidate' })).toHaveLength(2);
      const window = await store.metrics.query({ route, changeId, from: T0 + MINUTE, to: T0 + 2 * MINUTE });
      expect(window.map((b) => b.bucketStart)).toEqual([T0 + MINUTE]);
      expect(await store.metrics.query({ changeId, from: T0 + 3 * MINUTE })).toEqual([]);
    });
  });

  describe('metric retention', () => {
    it("deleteBefore deletes the oldest buckets outside any change first, about limit at a time, never a change's", async () => {
      const store = getStore();
      // Long before T0, so no other test's buckets are old enough to be deleted here.
      const OLD = T0 - 400 * DAY;
      const route = uid('route');
      const changeId = uid('chg');
      await store.metrics.upsertBatch([
        metricDelta({ route, changeId: null, variant: 'a', bucketStart: OLD }),
        metricDelta({ route, changeId: null, variant: 'b', bucketStart: OLD }),
        metricDelta({ route, changeId, variant: 'candidate', bucketStart: OLD }),
        metricDelta({ route, changeId: null, bucketStart: OLD + MINUTE }),
        metricDelta({ route, changeId: null, bucketStart: OLD + 2 * MINUTE }),
        metricDelta({ route, changeId: null, bucketStart: OLD + 10 * DAY }),
      ]);
      const left = async () =>
        (await store.metrics.query({ route })).map((b) => [b.bucketStart - OLD, b.changeId]);
      const before = OLD + DAY;

      expect(await store.metrics.deleteBefore(before, 0)).toBe(0);
      // The two oldest share their start; the change's bucket beside them stays.
      expect(await store.metrics.deleteBefore(before, 2)).toBe(2);
      expect(await left()).toEqual([
        [0, changeId],
        [MINUTE, null],
        [2 * MINUTE, null],
        [10 * DAY, null],
      ]);
      // A limit that falls on a shared start takes the whole start: 1 asked, both at OLD + MINUTE…
      await store.metrics.upsertBatch([
        metricDelta({ route, changeId: null, variant: 'b', bucketStart: OLD + MINUTE }),
      ]);
      expect(await store.metrics.deleteBefore(before, 1)).toBe(2);
      expect(await store.metrics.deleteBefore(before, 5_000)).toBe(1);
      expect(await store.metrics.deleteBefore(before, 5_000)).toBe(0);
      expect(await left()).toEqual([
        [0, changeId],
        [10 * DAY, null],
      ]);
    });
  });

  describe('feedback', () => {
    it('add keeps every field; list filters by request and change, newest first, with a limit', async () => {
      const store = getStore();
      const requestId = uid('req');
      const changeId = uid('chg');
      const base = { route: 'support', variant: 'cand-v2', comment: null, tags: [] as string[] };
      const up = await store.feedback.add({
        ...base,
        id: uid('fb'),
        requestId,
        changeId,
        value: 1,
        comment: 'great answer',
        tags: ['helpful', 'fast'],
        at: T0,
      });
      expect(up).toMatchObject({
        requestId,
        changeId,
        value: 1,
        comment: 'great answer',
        tags: ['helpful', 'fast'],
      });
      const down = await store.feedback.add({
        ...base,
        id: uid('fb'),
        requestId,
        changeId,
        value: 0,
        at: T0 + 1,
      });
      const other = await store.feedback.add({
        ...base,
        id: uid('fb'),
        requestId: uid('req'),
        changeId,
        value: 0.5,
        at: T0 + 2,
      });
      const none = await store.feedback.add({
        ...base,
        id: uid('fb'),
        requestId,
        changeId: null,
        variant: null,
        value: 0.25,
        at: T0 + 3,
      });

      expect(await store.feedback.list({ requestId })).toEqual([none, down, up]);
      expect(await store.feedback.list({ changeId })).toEqual([other, down, up]);
      expect(await store.feedback.list({ changeId, limit: 1 })).toEqual([other]);
      expect(await store.feedback.list({ requestId, changeId })).toEqual([down, up]);
    });

    it('refuses a duplicate id and a value outside 0..1', async () => {
      const store = getStore();
      const input = {
        id: uid('fb'),
        requestId: uid('req'),
        route: 'support',
        changeId: null,
        variant: null,
        value: 1,
        comment: null,
        tags: [],
        at: T0,
      };
      await store.feedback.add(input);
      await rejectsWithCode(store.feedback.add(input), 'BALLAST_ERR_CONFLICT');
      await rejectsWithCode(store.feedback.add({ ...input, id: uid('fb'), value: 1.5 }), 'BALLAST_ERR_STORE');
      expect(await store.feedback.list({ requestId: input.requestId })).toHaveLength(1);
    });
  });

  describe('apiKeys', () => {
    it('put stores only the hash, finds by hash, and rotates by name keeping createdAt', async () => {
      const store = getStore();
      const name = uid('key');
      const first = await store.apiKeys.put({
        name,
        keyHash: `sha256:${name}:1`,
        scopes: ['gateway'],
        at: T0,
      });
      expect(first).toEqual({
        name,
        keyHash: `sha256:${name}:1`,
        scopes: ['gateway'],
        createdAt: T0,
        updatedAt: T0,
      });
      expect(Object.keys(first).sort()).toEqual(['createdAt', 'keyHash', 'name', 'scopes', 'updatedAt']);
      expect(await store.apiKeys.findByHash(`sha256:${name}:1`)).toEqual(first);

      const rotated = await store.apiKeys.put({
        name,
        keyHash: `sha256:${name}:2`,
        scopes: ['gateway', 'admin'],
        at: T0 + 7,
      });
      expect(rotated).toEqual({
        name,
        keyHash: `sha256:${name}:2`,
        scopes: ['gateway', 'admin'],
        createdAt: T0,
        updatedAt: T0 + 7,
      });
      expect(await store.apiKeys.findByHash(`sha256:${name}:1`)).toBeUndefined();
      expect(await store.apiKeys.findByHash(`sha256:${name}:2`)).toEqual(rotated);
      expect(await store.apiKeys.findByHash(uid('nohash'))).toBeUndefined();
    });

    it('list orders by name, and a hash already used by another name conflicts', async () => {
      const store = getStore();
      const prefix = uid('keys');
      await store.apiKeys.put({ name: `${prefix}-b`, keyHash: `${prefix}-hb`, scopes: [], at: T0 });
      await store.apiKeys.put({ name: `${prefix}-a`, keyHash: `${prefix}-ha`, scopes: ['admin'], at: T0 });
      const names = (await store.apiKeys.list()).map((k) => k.name).filter((n) => n.startsWith(prefix));
      expect(names).toEqual([`${prefix}-a`, `${prefix}-b`]);
      await rejectsWithCode(
        store.apiKeys.put({ name: `${prefix}-c`, keyHash: `${prefix}-ha`, scopes: [], at: T0 }),
        'BALLAST_ERR_CONFLICT',
      );
    });
  });
}
