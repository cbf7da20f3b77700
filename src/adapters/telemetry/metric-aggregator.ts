import type { DDSketch } from '@datadog/sketches-js';
import type { FeedbackRecord, RequestRecord } from '../../app/ports/gateway-telemetry.js';
import type { MetricBucketDelta, MetricCounters } from '../../app/ports/metric-store.js';
import { encodeSketch, newLatencySketch } from './latency-sketch.js';

/** Width of a metric bucket: fine enough for a controller tick, coarse enough to keep rows few. */
export const BUCKET_MS = 10_000;
/** The route key of requests that named a variant directly instead of a route. */
export const DIRECT_ROUTE = '(direct)';

export function bucketStartOf(at: number, bucketMs = BUCKET_MS): number {
  return Math.floor(at / bucketMs) * bucketMs;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Pending extends Mutable<MetricCounters> {
  readonly route: string;
  readonly changeId: string | null;
  readonly variant: string;
  readonly bucketStart: number;
  /** The latencies added since the last drain; null until the first. */
  sketch: DDSketch | null;
}

export interface MetricAggregatorOptions {
  /** Most keys held at once; a key beyond it is dropped and counted (server.max_pending_rows). */
  readonly maxRows: number;
  readonly bucketMs?: number;
}

function emptyCounters(): Mutable<MetricCounters> {
  return {
    count: 0,
    errors: 0,
    latencySum: 0,
    latencySqSum: 0,
    ttftSum: 0,
    ttftCount: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    guardrailHits: 0,
    fallbacks: 0,
    feedbackCount: 0,
    feedbackSum: 0,
    feedbackNegative: 0,
    feedbackPositive: 0,
  };
}

/**
 * Folds gateway records into MetricBucketDelta rows keyed route × change × variant × bucket.
 * Everything is synchronous and allocation-light: a record touches one Map entry per variant it
 * involved. See docs/telemetry.md#aggregates for the counting rules.
 */
export class MetricAggregator {
  private pending = new Map<string, Pending>();
  private readonly bucketMs: number;
  /** Row updates refused because maxRows keys were already pending. */
  dropped = 0;
  /** The keys of a failed write's rows, waiting to be retried as they were (see hold). */
  #held: ReadonlySet<string> = new Set();

  /** Rows held for a retry: they count against maxRows. */
  get reserved(): number {
    return this.#held.size;
  }

  /**
   * The rows of a failed write wait to be retried as they were (under their batch id), so they
   * count against maxRows; a request for one of their keys still gets a pending row of its own,
   * beyond the bound if need be (at most twice maxRows in all), as one never lost its count when
   * failed rows were merged back. `release` when the write went through.
   */
  hold(rows: readonly MetricBucketDelta[]): void {
    this.#held = new Set(rows.map((r) => keyOf(r.route, r.changeId, r.variant, r.bucketStart)));
  }

  release(): void {
    this.#held = new Set();
  }

  constructor(private readonly options: MetricAggregatorOptions) {
    this.bucketMs = options.bucketMs ?? BUCKET_MS;
  }

  /** Keys waiting to be flushed. */
  get size(): number {
    return this.pending.size;
  }

  addRequest(record: RequestRecord): void {
    const route = record.route ?? DIRECT_ROUTE;
    const bucketStart = bucketStartOf(record.at, this.bucketMs);
    const { attempts } = record;
    // Every attempt but the last failed and handed over to the next variant of the chain.
    for (let i = 0; i < attempts.length - 1; i++) {
      const attempt = attempts[i] as (typeof attempts)[number];
      const row = this.row(route, record.changeId, attempt.variant, bucketStart);
      if (!row) continue;
      row.fallbacks += 1;
      // An open circuit skipped the variant without calling it: no request, no error, no latency.
      if (attempt.kind === 'circuit_open') continue;
      row.count += 1;
      row.errors += 1;
      this.addLatency(row, attempt.latencyMs);
    }
    const row = this.row(route, record.changeId, record.servedVariant, bucketStart);
    if (!row) return;
    row.count += 1;
    if (record.outcome === 'error' || record.outcome === 'stream_interrupted') row.errors += 1;
    this.addLatency(row, record.latencyMs);
    if (record.stream && record.ttftMs !== null) {
      row.ttftSum += Number.isFinite(record.ttftMs) && record.ttftMs > 0 ? record.ttftMs : 0;
      row.ttftCount += 1;
    }
    row.inputTokens += record.inputTokens;
    row.outputTokens += record.outputTokens;
    row.costUsd += record.costUsd;
    row.guardrailHits += record.guardrailHits;
  }

  /** Adds a vote to its bucket; a vote that replaces another takes that one out of its own bucket. */
  addFeedback(feedback: FeedbackRecord): void {
    const rowAt = (at: number) =>
      this.row(
        feedback.route ?? DIRECT_ROUTE,
        feedback.changeId,
        feedback.variant,
        bucketStartOf(at, this.bucketMs),
      );
    const now = rowAt(feedback.at);
    if (!now) return;
    // A vote that replaces another moves it out of the earlier vote's bucket: both halves or neither
    // (at the row bound, keeping the +1 without the −1 would count the request's vote twice).
    const replaced = feedback.replaces;
    if (replaced) {
      const before = rowAt(replaced.at);
      if (!before) return;
      foldFeedback(before, replaced.value, -1);
    }
    foldFeedback(now, feedback.value, 1);
  }

  /**
   * Takes every pending row, leaving none. Like its counters, a row's sketch holds only the
   * latencies added since the last drain, and the store merges it into the bucket's stored sketch;
   * a row without new latencies carries null. So a request that ends long after its bucket closed,
   * or another gateway writing the same bucket, still counts in the bucket's percentiles.
   */
  drain(): MetricBucketDelta[] {
    const rows: MetricBucketDelta[] = [];
    for (const p of this.pending.values()) {
      const { sketch, ...delta } = p;
      rows.push({ ...delta, sketch: sketch ? encodeSketch(sketch) : null });
    }
    this.pending = new Map();
    return rows;
  }

  private row(route: string, changeId: string | null, variant: string, bucketStart: number): Pending | null {
    const key = keyOf(route, changeId, variant, bucketStart);
    let row = this.pending.get(key);
    if (row) return row;
    if (this.pending.size + this.#held.size >= this.options.maxRows && !this.#held.has(key)) {
      this.dropped += 1;
      return null;
    }
    row = { route, changeId, variant, bucketStart, ...emptyCounters(), sketch: null };
    this.pending.set(key, row);
    return row;
  }

  private addLatency(row: Pending, latencyMs: number): void {
    // A clock step can make a duration negative, and a NaN would poison the sums and the sketch:
    // both count as 0, as in the per-unit totals.
    const ms = Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0;
    row.latencySum += ms;
    row.latencySqSum += ms * ms;
    row.sketch ??= newLatencySketch();
    row.sketch.accept(ms);
  }
}

function foldFeedback(row: Pending, value: number, sign: 1 | -1): void {
  row.feedbackCount += sign;
  row.feedbackSum += sign * value;
  if (value < 0.5) row.feedbackNegative += sign;
  else row.feedbackPositive += sign;
}

function keyOf(route: string, changeId: string | null, variant: string, bucketStart: number): string {
  // \0 cannot appear in route or variant names (the project schema restricts them), nor in ids.
  return `${route}\0${changeId ?? ''}\0${variant}\0${bucketStart}`;
}
