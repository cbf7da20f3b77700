import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSketchData, mergeEncodedSketches } from '../../src/adapters/telemetry/ddsketch-proto.js';
import { decodeSketch, encodeSketch, newLatencySketch } from '../../src/adapters/telemetry/latency-sketch.js';
import { BUCKET_MS, DIRECT_ROUTE, MetricAggregator } from '../../src/adapters/telemetry/metric-aggregator.js';
import type { MetricBucketDelta } from '../../src/app/ports/metric-store.js';
import { seededRandom } from '../../src/core/hash/random.js';
import { feedbackRecord, requestRecord } from '../support/telemetry-records.js';

const T = 1_760_000_000_000; // a multiple of BUCKET_MS

function byVariant(rows: MetricBucketDelta[]): Record<string, MetricBucketDelta> {
  return Object.fromEntries(rows.map((r) => [r.variant, r]));
}

describe('MetricAggregator counting rules', () => {
  it('counts a plain success on its variant with latency, tokens, cost and guardrail hits', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(requestRecord({ latencyMs: 100, guardrailHits: 2, at: T + 9_999 }));
    agg.addRequest(requestRecord({ latencyMs: 300, stream: true, ttftMs: 40 }));
    const rows = agg.drain();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      route: 'support',
      changeId: null,
      variant: 'baseline',
      bucketStart: T,
      count: 2,
      errors: 0,
      latencySum: 400,
      latencySqSum: 100 ** 2 + 300 ** 2,
      ttftSum: 40,
      ttftCount: 1,
      inputTokens: 240,
      outputTokens: 690,
      guardrailHits: 2,
      fallbacks: 0,
      feedbackCount: 0,
    });
    expect(rows[0]?.costUsd).toBeCloseTo(2 * 0.000_412_5, 12);
    expect(typeof rows[0]?.sketch).toBe('string');
    expect(agg.size).toBe(0);
    expect(agg.drain()).toEqual([]);
  });

  it('buckets by floor(at / 10 s) and keys direct requests as (direct), per change', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(requestRecord({ at: T + BUCKET_MS - 1 }));
    agg.addRequest(requestRecord({ at: T + BUCKET_MS }));
    agg.addRequest(requestRecord({ route: null, at: T }));
    agg.addRequest(requestRecord({ changeId: 'chg-1', arm: 'comparison', at: T }));
    const keys = agg
      .drain()
      .map((r) => `${r.route}|${r.changeId}|${r.variant}|${r.bucketStart - T}`)
      .sort();
    expect(keys).toEqual([
      `${DIRECT_ROUTE}|null|baseline|0`,
      'support|chg-1|baseline|0',
      'support|null|baseline|0',
      `support|null|baseline|${BUCKET_MS}`,
    ]);
  });

  it('counts each failed attempt before the last against its own variant as request, error and fallback', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(
      requestRecord({
        assignedVariant: 'cand',
        servedVariant: 'baseline',
        latencyMs: 1_500,
        attempts: [
          { variant: 'cand', ok: false, kind: 'timeout', latencyMs: 1_000 },
          { variant: 'baseline', ok: true, latencyMs: 450 },
        ],
      }),
    );
    const rows = byVariant(agg.drain());
    expect(rows.cand).toMatchObject({ count: 1, errors: 1, fallbacks: 1, latencySum: 1_000, inputTokens: 0 });
    expect(rows.baseline).toMatchObject({
      count: 1,
      errors: 0,
      fallbacks: 0,
      latencySum: 1_500,
      inputTokens: 120,
    });
  });

  it('an open circuit is a fallback on the skipped variant but neither a request nor an error', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(
      requestRecord({
        assignedVariant: 'cand',
        servedVariant: 'baseline',
        attempts: [
          { variant: 'cand', ok: false, kind: 'circuit_open', latencyMs: 0 },
          { variant: 'baseline', ok: true, latencyMs: 450 },
        ],
      }),
    );
    const rows = byVariant(agg.drain());
    expect(rows.cand).toMatchObject({ count: 0, errors: 0, fallbacks: 1, latencySum: 0, sketch: null });
    expect(rows.baseline).toMatchObject({ count: 1, errors: 0 });
  });

  it('errors and interrupted streams are errors on the served variant; blocked and cancelled are not', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    const outcomes = ['ok', 'error', 'stream_interrupted', 'blocked', 'cancelled'] as const;
    for (const outcome of outcomes) agg.addRequest(requestRecord({ outcome, servedVariant: outcome }));
    const rows = byVariant(agg.drain());
    expect(Object.fromEntries(outcomes.map((o) => [o, [rows[o]?.count, rows[o]?.errors]]))).toEqual({
      ok: [1, 0],
      error: [1, 1],
      stream_interrupted: [1, 1],
      blocked: [1, 0],
      cancelled: [1, 0],
    });
  });

  it('a chain that fails everywhere: every attempt but the last is a fallback, the last is the final error', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(
      requestRecord({
        assignedVariant: 'a',
        servedVariant: 'c',
        outcome: 'error',
        status: 502,
        errorKind: 'upstream',
        latencyMs: 900,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        attempts: [
          { variant: 'a', ok: false, kind: 'upstream', latencyMs: 300 },
          { variant: 'b', ok: false, kind: 'circuit_open', latencyMs: 0 },
          { variant: 'c', ok: false, kind: 'upstream', latencyMs: 250 },
        ],
      }),
    );
    const rows = byVariant(agg.drain());
    expect([rows.a, rows.b, rows.c].map((r) => [r?.count, r?.errors, r?.fallbacks])).toEqual([
      [1, 1, 1],
      [0, 0, 1],
      [1, 1, 0],
    ]);
  });

  it('counts ttft only for streams that had one', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(requestRecord({ stream: true, ttftMs: 50 }));
    agg.addRequest(requestRecord({ stream: true, ttftMs: null }));
    agg.addRequest(requestRecord({ stream: false, ttftMs: 70 }));
    expect(agg.drain()[0]).toMatchObject({ ttftSum: 50, ttftCount: 1, count: 3 });
  });

  it('feedback goes to the feedback columns of its own time bucket, split at 0.5, without a sketch', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addFeedback(feedbackRecord({ value: 0, at: T + 3 * BUCKET_MS + 5 }));
    agg.addFeedback(feedbackRecord({ value: 0.49, at: T + 3 * BUCKET_MS }));
    agg.addFeedback(feedbackRecord({ value: 0.5, at: T + 3 * BUCKET_MS }));
    agg.addFeedback(feedbackRecord({ value: 1, at: T + 3 * BUCKET_MS }));
    agg.addFeedback(feedbackRecord({ value: 1, route: null, variant: 'cand', changeId: 'chg', at: T }));
    const rows = agg.drain();
    expect(rows).toHaveLength(2);
    const [direct, support] = [...rows].sort((a, b) => a.bucketStart - b.bucketStart);
    expect(direct).toMatchObject({ route: DIRECT_ROUTE, changeId: 'chg', variant: 'cand', feedbackCount: 1 });
    expect(support).toMatchObject({
      bucketStart: T + 3 * BUCKET_MS,
      count: 0,
      feedbackCount: 4,
      feedbackNegative: 2,
      feedbackPositive: 2,
      sketch: null,
    });
    expect(support?.feedbackSum).toBeCloseTo(1.99, 12);
  });

  it('refuses new keys beyond maxRows and counts them, while existing keys keep adding', () => {
    const agg = new MetricAggregator({ maxRows: 2 });
    agg.addRequest(requestRecord({ servedVariant: 'a' }));
    agg.addRequest(requestRecord({ servedVariant: 'b' }));
    agg.addRequest(requestRecord({ servedVariant: 'c' }));
    agg.addRequest(requestRecord({ servedVariant: 'a' }));
    expect(agg.dropped).toBe(1);
    const rows = byVariant(agg.drain());
    expect(Object.keys(rows).sort()).toEqual(['a', 'b']);
    expect(rows.a?.count).toBe(2);
  });

  it('rows a failed write holds count against maxRows; their own keys still take new updates', () => {
    const agg = new MetricAggregator({ maxRows: 2 });
    agg.addRequest(requestRecord({ route: 'a' }));
    agg.addRequest(requestRecord({ route: 'b' }));
    agg.hold(agg.drain());
    expect(agg.reserved).toBe(2);
    agg.addRequest(requestRecord({ route: 'a' })); // a held key: a pending row beside the held one
    agg.addRequest(requestRecord({ route: 'c' })); // a new key does not fit
    expect(agg.dropped).toBe(1);
    agg.release();
    agg.addRequest(requestRecord({ route: 'c' }));
    expect(agg.drain().map((r) => [r.route, r.count])).toEqual([
      ['a', 1],
      ['c', 1],
    ]);
  });
});

describe('latency sketches', () => {
  /** Box–Muller over a seeded generator: reproducible lognormal latencies (median e^6.5 ≈ 665 ms). */
  function lognormal(n: number, seed: string): number[] {
    const random = seededRandom(seed);
    return Array.from({ length: n }, () => {
      const u = 1 - random();
      const v = random();
      return Math.exp(6.5 + 0.8 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    });
  }

  /** The value of rank q·(n−1), the definition DDSketch's guarantee is stated for. */
  function exactQuantile(sorted: number[], q: number): number {
    return sorted[Math.floor(q * (sorted.length - 1))] as number;
  }

  it('p50 and p99 of 10,000 lognormal latencies are within 2 % after a store round trip', () => {
    const latencies = lognormal(10_000, 'telemetry-sketch');
    const agg = new MetricAggregator({ maxRows: 100 });
    for (const latencyMs of latencies) agg.addRequest(requestRecord({ latencyMs }));
    const [row] = agg.drain();
    const sketch = decodeSketch(row?.sketch as string);
    const sorted = [...latencies].sort((a, b) => a - b);
    expect(sketch.count).toBe(10_000);
    for (const q of [0.5, 0.99]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(sketch.getValueAtQuantile(q) - exact) / exact).toBeLessThan(0.02);
    }
  });

  it('each flush sends the latencies since the last one; merged, the flushes are the sketch of them all', () => {
    const latencies = lognormal(3_000, 'merge');
    const agg = new MetricAggregator({ maxRows: 100 });
    let stored: string | null = null;
    for (let flush = 0; flush < 3; flush++) {
      const part = latencies.slice(flush * 1_000, (flush + 1) * 1_000);
      for (const latencyMs of part) agg.addRequest(requestRecord({ latencyMs, at: T + 1 }));
      const [row] = agg.drain();
      expect(decodeSketch(row?.sketch as string).count).toBe(part.length);
      // What the store does: merge into the stored sketch.
      stored =
        stored === null ? (row?.sketch as string) : mergeEncodedSketches(stored, row?.sketch as string);
    }
    const all = newLatencySketch();
    for (const l of latencies) all.accept(l);
    const back = decodeSketch(stored as string);
    expect(back.count).toBe(3_000);
    for (const q of [0.1, 0.5, 0.9, 0.99]) expect(back.getValueAtQuantile(q)).toBe(all.getValueAtQuantile(q));
    expect(encodeSketch(back)).toBe(encodeSketch(all));
  });

  it('a latency that arrives long after its bucket closed still goes into that bucket’s sketch', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(requestRecord({ at: T }));
    agg.drain();
    agg.drain();
    agg.addRequest(requestRecord({ at: T + 5, latencyMs: 10 }));
    const [late] = agg.drain();
    expect(late).toMatchObject({ count: 1, latencySum: 10, bucketStart: T });
    expect(decodeSketch(late?.sketch as string).count).toBe(1);
  });

  it('at the row bound, a vote that replaces another moves whole or not at all', () => {
    const agg = new MetricAggregator({ maxRows: 1 });
    // The earlier vote's bucket was flushed; only one new row fits.
    agg.addFeedback(feedbackRecord({ value: 0, at: T + BUCKET_MS, replaces: { value: 1, at: T } }));
    expect(agg.dropped).toBe(1);
    // Its new bucket keeps no +1 without the −1 in the earlier one: the request's vote would count twice.
    expect(agg.drain().every((r) => r.feedbackCount === 0 && r.feedbackNegative === 0)).toBe(true);
  });

  it('a vote that replaces another takes the earlier one out of its own bucket', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addFeedback(feedbackRecord({ value: 1, at: T }));
    agg.addFeedback(feedbackRecord({ value: 0, at: T + BUCKET_MS, replaces: { value: 1, at: T } }));
    const [first, second] = [...agg.drain()].sort((a, b) => a.bucketStart - b.bucketStart);
    expect(first).toMatchObject({ bucketStart: T, feedbackCount: 0, feedbackSum: 0, feedbackPositive: 0 });
    expect(second).toMatchObject({
      bucketStart: T + BUCKET_MS,
      feedbackCount: 1,
      feedbackSum: 0,
      feedbackNegative: 1,
      feedbackPositive: 0,
    });
    // Flushed already: the earlier vote's bucket gets the negative delta, which the store adds.
    agg.addFeedback(
      feedbackRecord({ value: 0.75, at: T + BUCKET_MS, replaces: { value: 0, at: T + BUCKET_MS } }),
    );
    expect(agg.drain()).toEqual([
      expect.objectContaining({
        feedbackCount: 0,
        feedbackSum: 0.75,
        feedbackNegative: -1,
        feedbackPositive: 1,
      }),
    ]);
  });

  it('a negative or non-finite latency (a clock step) adds 0 to the sums, as to the sketch', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addRequest(requestRecord({ at: T, latencyMs: -250, stream: true, ttftMs: -10 }));
    agg.addRequest(requestRecord({ at: T, latencyMs: Number.NaN }));
    agg.addRequest(requestRecord({ at: T, latencyMs: 100 }));
    expect(agg.drain()[0]).toMatchObject({ count: 3, latencySum: 100, latencySqSum: 10_000, ttftSum: 0 });
  });

  it('a row without new latencies carries no sketch (feedback only)', () => {
    const agg = new MetricAggregator({ maxRows: 100 });
    agg.addFeedback(feedbackRecord({ at: T }));
    expect(agg.drain()[0]?.sketch).toBeNull();
  });

  it('encodes the standard DDSketch protobuf: round trip keeps every bin, sub-millisecond and zero values too', () => {
    const sketch = newLatencySketch();
    for (const v of [0, 0, 0.25, 0.9, 1, 12.5, 850, 60_000]) sketch.accept(v);
    const back = decodeSketch(encodeSketch(sketch));
    expect(back.count).toBe(8);
    expect(back.zeroCount).toBe(2);
    for (const q of [0, 0.3, 0.5, 0.7, 1])
      expect(back.getValueAtQuantile(q)).toBe(sketch.getValueAtQuantile(q));
    expect(encodeSketch(back)).toBe(encodeSketch(sketch));
    expect(() => decodeSketch('')).toThrow();
  });

  it('reads the forms other DDSketch encoders write: explicit zero fields and sparse binCounts entries', () => {
    const double = (v: number) => [...new Uint8Array(new Float64Array([v]).buffer)];
    const gamma = newLatencySketch().mapping.gamma;
    const mapping = [0x09, ...double(gamma), 0x11, ...double(0), 0x18, 0x00];
    const entry = [0x08, 0x03, 0x11, ...double(2)]; // key sint32 -2, count 2
    const positive = [0x0a, entry.length, ...entry, 0x12, 16, ...double(1), ...double(1), 0x18, 10]; // keys 5, 6
    const bytes = [
      0x0a,
      mapping.length,
      ...mapping,
      0x12,
      positive.length,
      ...positive,
      0x1a,
      0x00,
      0x21,
      ...double(1),
    ];
    const sketch = decodeSketch(Buffer.from(bytes).toString('base64'));
    expect(sketch.count).toBe(5);
    expect(sketch.zeroCount).toBe(1);
    const mappingOf = sketch.mapping as unknown as { value(key: number): number };
    expect(sketch.getValueAtQuantile(0.4)).toBeCloseTo(mappingOf.value(-2), 12);
    expect(sketch.getValueAtQuantile(1)).toBeCloseTo(mappingOf.value(6), 12);
  });

  it('merging two stored sketches gives the sketch of both sets of values, bin for bin', () => {
    const values = fc.array(
      fc.oneof(
        fc.constant(0),
        fc.double({ min: 1e-3, max: 6e5, noNaN: true }),
        fc.double({ min: -5e4, max: -1e-3, noNaN: true }),
      ),
      { maxLength: 60 },
    );
    const sketchOf = (xs: readonly number[]) => {
      const sketch = newLatencySketch();
      for (const x of xs) sketch.accept(x);
      return encodeSketch(sketch);
    };
    fc.assert(
      fc.property(values, values, (a, b) => {
        expect(mergeEncodedSketches(sketchOf(a), sketchOf(b))).toBe(sketchOf([...a, ...b]));
      }),
    );
  });

  it('refuses to merge sketches of different accuracies', () => {
    const coarse = Buffer.from(
      encodeSketchData({
        gamma: 1.05,
        indexOffset: 0,
        interpolation: 0,
        positive: { offset: 3, counts: [1] },
        negative: { offset: 0, counts: [] },
        zeroCount: 0,
      }),
    ).toString('base64');
    const fine = encodeSketch(newLatencySketch());
    expect(() => mergeEncodedSketches(fine, coarse)).toThrow(/different index mappings/);
  });
});
