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
  /** A latency went into this key's sketch since the last drain. */
  sketchDirty: boolean;
  /** A sketch text carried back by restore() whose live sketch has since been let go. */
  sketchText: string | null;
}

interface LiveSketch {
  readonly sketch: DDSketch;
  readonly bucketStart: number;
}

export interface MetricAggregatorOptions {
  /** Most keys held at once; a key beyond it is dropped and counted (server.max_pending_rows). */
  readonly maxRows: number;
  readonly bucketMs?: number;
  /**
   * How many buckets (the current one and those before it) keep their merged sketch in memory.
   * The store replaces a bucket's sketch on every write, so a late latency for a bucket whose
   * sketch was let go cannot be added without wiping what is stored: its counters are still
   * written, but its sketch is left alone. Two buckets (20 s) cover requests that end up to 10 s
   * after the bucket they arrived in closed.
   */
  readonly sketchBuckets?: number;
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

const COUNTER_KEYS = Object.keys(emptyCounters()) as (keyof MetricCounters)[];

/**
 * Folds gateway records into MetricBucketDelta rows keyed route × change × variant × bucket.
 * Everything is synchronous and allocation-light: a record touches one Map entry per variant it
 * involved. See docs/telemetry.md#aggregates for the counting rules.
 */
export class MetricAggregator {
  private pending = new Map<string, Pending>();
  private readonly sketches = new Map<string, LiveSketch>();
  /** Buckets older than this have had their sketches let go (see sketchBuckets). */
  private sketchHorizon = Number.NEGATIVE_INFINITY;
  private readonly bucketMs: number;
  private readonly sketchBuckets: number;
  /** Row updates refused because maxRows keys were already pending. */
  dropped = 0;

  constructor(private readonly options: MetricAggregatorOptions) {
    this.bucketMs = options.bucketMs ?? BUCKET_MS;
    this.sketchBuckets = options.sketchBuckets ?? 2;
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
      row.ttftSum += record.ttftMs;
      row.ttftCount += 1;
    }
    row.inputTokens += record.inputTokens;
    row.outputTokens += record.outputTokens;
    row.costUsd += record.costUsd;
    row.guardrailHits += record.guardrailHits;
  }

  addFeedback(feedback: FeedbackRecord): void {
    const row = this.row(
      feedback.route ?? DIRECT_ROUTE,
      feedback.changeId,
      feedback.variant,
      bucketStartOf(feedback.at, this.bucketMs),
    );
    if (!row) return;
    row.feedbackCount += 1;
    row.feedbackSum += feedback.value;
    if (feedback.value < 0.5) row.feedbackNegative += 1;
    else row.feedbackPositive += 1;
  }

  /**
   * Takes every pending row, leaving none. A row whose sketch changed carries the whole merged
   * sketch of its bucket (the store replaces it); others carry null, which keeps the stored one.
   * Then lets go of the sketches of buckets older than `sketchBuckets` before `now`.
   */
  drain(now: number): MetricBucketDelta[] {
    const rows: MetricBucketDelta[] = [];
    for (const [key, p] of this.pending) {
      const { sketchDirty, sketchText, ...delta } = p;
      const live = sketchDirty ? this.sketches.get(key) : undefined;
      rows.push({ ...delta, sketch: live ? encodeSketch(live.sketch) : sketchText });
    }
    this.pending = new Map();
    const horizon = bucketStartOf(now, this.bucketMs) - (this.sketchBuckets - 1) * this.bucketMs;
    if (horizon > this.sketchHorizon) {
      this.sketchHorizon = horizon;
      for (const [key, live] of this.sketches) if (live.bucketStart < horizon) this.sketches.delete(key);
    }
    return rows;
  }

  /**
   * Puts back rows a failed flush could not write, adding them to what arrived since. Rows that no
   * longer fit under maxRows are dropped and counted. A restored sketch is only kept when no live
   * sketch of that bucket will be sent anyway (the live one already holds every value).
   */
  restore(rows: readonly MetricBucketDelta[]): void {
    for (const delta of rows) {
      const row = this.row(delta.route, delta.changeId, delta.variant, delta.bucketStart);
      if (!row) continue;
      for (const k of COUNTER_KEYS) row[k] += delta[k];
      if (delta.sketch === null) continue;
      const key = keyOf(delta.route, delta.changeId, delta.variant, delta.bucketStart);
      if (this.sketches.has(key)) row.sketchDirty = true;
      else row.sketchText ??= delta.sketch;
    }
  }

  /** The merged sketch a key currently holds in memory, for tests and diagnostics. */
  sketchOf(
    route: string,
    changeId: string | null,
    variant: string,
    bucketStart: number,
  ): DDSketch | undefined {
    return this.sketches.get(keyOf(route, changeId, variant, bucketStart))?.sketch;
  }

  private row(route: string, changeId: string | null, variant: string, bucketStart: number): Pending | null {
    const key = keyOf(route, changeId, variant, bucketStart);
    let row = this.pending.get(key);
    if (row) return row;
    if (this.pending.size >= this.options.maxRows) {
      this.dropped += 1;
      return null;
    }
    row = { route, changeId, variant, bucketStart, ...emptyCounters(), sketchDirty: false, sketchText: null };
    this.pending.set(key, row);
    return row;
  }

  private addLatency(row: Pending, latencyMs: number): void {
    row.latencySum += latencyMs;
    row.latencySqSum += latencyMs * latencyMs;
    if (row.bucketStart < this.sketchHorizon) return;
    const key = keyOf(row.route, row.changeId, row.variant, row.bucketStart);
    let live = this.sketches.get(key);
    if (!live) {
      live = { sketch: newLatencySketch(), bucketStart: row.bucketStart };
      this.sketches.set(key, live);
    }
    // A clock step can make a duration negative, and a NaN would poison the sketch: both count as 0.
    live.sketch.accept(Number.isFinite(latencyMs) && latencyMs > 0 ? latencyMs : 0);
    row.sketchDirty = true;
  }
}

function keyOf(route: string, changeId: string | null, variant: string, bucketStart: number): string {
  // \0 cannot appear in route or variant names (the project schema restricts them), nor in ids.
  return `${route}\0${changeId ?? ''}\0${variant}\0${bucketStart}`;
}
