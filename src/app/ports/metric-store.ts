/**
 * Mergeable sufficient statistics for one route × change × variant × time bucket. Every field adds
 * across batches, which is what lets many gateways flush into one row without coordinating.
 */
export interface MetricCounters {
  readonly count: number;
  readonly errors: number;
  /** Sum of latencies in milliseconds, and of their squares (for the variance). */
  readonly latencySum: number;
  readonly latencySqSum: number;
  /** Time to first token: sum in milliseconds over the ttftCount streamed requests that had one. */
  readonly ttftSum: number;
  readonly ttftCount: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly guardrailHits: number;
  /**
   * Fallbacks away from this variant: attempts on it that failed (or were skipped by an open
   * circuit) and led to the next variant of the chain.
   */
  readonly fallbacks: number;
  /** Feedback on requests this variant served, counted in the bucket of the feedback's own time. */
  readonly feedbackCount: number;
  /** Sum of the feedback values (each 0…1). */
  readonly feedbackSum: number;
  /** Feedback with value < 0.5 (a thumbs-down is 0). */
  readonly feedbackNegative: number;
  /** Feedback with value ≥ 0.5 (a thumbs-up is 1). */
  readonly feedbackPositive: number;
}

export interface MetricBucketKey {
  readonly route: string;
  /** Null for traffic that belongs to no change. */
  readonly changeId: string | null;
  readonly variant: string;
  /** Epoch milliseconds at which the bucket starts. */
  readonly bucketStart: number;
}

export interface MetricBucketDelta extends MetricBucketKey, MetricCounters {
  /**
   * The latencies of this delta as a serialized DDSketch (base64 protobuf, docs/telemetry.md). The
   * store MERGES it into the bucket's stored sketch, as counters are added, so several writers (and
   * several flushes) of one bucket all count. Null leaves the stored sketch as it is.
   */
  readonly sketch: string | null;
}

export interface MetricBucket extends MetricBucketKey, MetricCounters {
  readonly sketch: string | null;
}

export interface MetricQuery {
  readonly route?: string;
  /** Undefined matches every row; null matches only rows without a change. */
  readonly changeId?: string | null;
  readonly variant?: string;
  /** Inclusive lower bound on bucketStart (epoch ms). */
  readonly from?: number;
  /** Exclusive upper bound on bucketStart (epoch ms). */
  readonly to?: number;
}

/**
 * A telemetry write's identity: a write that names one claims its id in the same transaction, and
 * a later write under an id already claimed changes nothing. A flusher retries a failed write
 * under its id, so a write whose commit went through but whose acknowledgement was lost is not
 * added twice. `at` (epoch ms) is when the id was first used.
 */
export interface TelemetryBatch {
  readonly id: string;
  readonly at: number;
}

export interface MetricStore {
  /**
   * Adds each delta's counters to its bucket, creating the bucket if needed. Each row is one atomic
   * statement on the database, so concurrent flushes from several processes never lose counts; the
   * whole batch commits or fails together. With `batch`, nothing is added when that batch was
   * applied before.
   */
  upsertBatch(rows: readonly MetricBucketDelta[], batch?: TelemetryBatch): Promise<void>;
  /**
   * Forgets up to `limit` of the batch ids (of this store and the per-unit totals) first used
   * before `before` (epoch ms), oldest first, and returns how many.
   */
  forgetBatchesBefore(before: number, limit: number): Promise<number>;
  /** Ordered by bucketStart, route, changeId, variant. */
  query(query?: MetricQuery): Promise<MetricBucket[]>;
  /**
   * Deletes the oldest buckets of traffic outside any change that start before `before` (epoch
   * ms), about `limit` of them (a few more when several share the last start), and returns how
   * many it deleted: retention (`server.metrics.retention_days`) in short statements. A change's
   * buckets are never deleted: they are its rollout's evidence, and they end with the rollout.
   */
  deleteBefore(before: number, limit: number): Promise<number>;
}
