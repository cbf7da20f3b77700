import type { Arm } from '../../core/routing/assign.js';
import type { TelemetryBatch } from './metric-store.js';

/**
 * Per-unit totals of one rollout arm (issue #6). The unit of analysis is the user, not the request
 * (docs/STATS §5): a user's requests are correlated, so the controller analyses each metric as a
 * ratio over units, R = ΣX/ΣY, with the delta-method variance. That needs only N, ΣX, ΣY, ΣX², ΣY²
 * and ΣXY per arm, which the store computes from these rows in one SQL aggregate.
 *
 * Every counter adds across batches, so many gateways can flush into one row without coordinating.
 * See docs/telemetry.md#per-unit-totals for how the gateway counts them.
 */
export interface UnitCounters {
  /** Requests of the unit routed by this change in this arm. */
  readonly requests: number;
  /**
   * Requests that failed for the unit: final outcome error or stream_interrupted, OR any attempt of
   * the fallback chain failed (a fallback hides the failure from the client, but it is still a
   * failure of the arm's variant). One per request, however many attempts failed.
   */
  readonly errors: number;
  /** Sum of request latencies (arrival to last byte), milliseconds. */
  readonly latencySum: number;
  /** Requests slower than the change's slow threshold (0 when the change sets none). */
  readonly slowCount: number;
  /** Sum of times to first token over the ttftCount streamed requests that had one, milliseconds. */
  readonly ttftSum: number;
  readonly ttftCount: number;
  /** Requests with at least one guardrail hit. */
  readonly guardrailHits: number;
  /**
   * Requests that fell back: an attempt failed (or was skipped by an open circuit) and the chain
   * moved on to the next variant. A request whose only attempt failed is an error, not a fallback.
   */
  readonly fallbacks: number;
  /** Feedback given on the unit's requests. */
  readonly feedbackCount: number;
  /** Sum of the feedback values (each 0…1). */
  readonly feedbackSum: number;
  /** Feedback with value < 0.5. */
  readonly feedbackNegative: number;
  /** Feedback with value ≥ 0.5. */
  readonly feedbackPositive: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface UnitTotalsKey {
  readonly changeId: string;
  readonly arm: Arm;
  readonly unit: string;
}

/** Counters to ADD to one (change, arm, unit) row. */
export interface UnitTotalsDelta extends UnitTotalsKey, UnitCounters {
  /** Epoch ms of the write; the row's updated_at becomes the latest one seen. */
  readonly at: number;
}

/** The metrics the controller can analyse per unit. */
export type UnitMetric =
  | 'error_rate'
  | 'latency_ms'
  | 'slow_rate'
  | 'ttft_ms'
  | 'guardrail_violation_rate'
  | 'fallback_rate'
  | 'negative_feedback_rate'
  | 'positive_feedback_rate'
  | 'feedback_score'
  | 'output_tokens'
  | 'cost_usd';

/** Numerator X and denominator Y of a unit metric, as counter names (columns are their snake_case). */
export interface UnitMetricColumns {
  readonly x: keyof UnitCounters;
  readonly y: keyof UnitCounters;
}

/**
 * Per unit i, X_i / Y_i of each metric; the arm's value is ΣX/ΣY. A unit whose Y is 0 for a metric
 * (no streamed request for ttft_ms, no rated request for the feedback metrics) says nothing about
 * it and is left out of that metric's sums, N included.
 */
export const UNIT_METRICS: Readonly<Record<UnitMetric, UnitMetricColumns>> = Object.freeze({
  error_rate: { x: 'errors', y: 'requests' },
  latency_ms: { x: 'latencySum', y: 'requests' },
  slow_rate: { x: 'slowCount', y: 'requests' },
  ttft_ms: { x: 'ttftSum', y: 'ttftCount' },
  guardrail_violation_rate: { x: 'guardrailHits', y: 'requests' },
  fallback_rate: { x: 'fallbacks', y: 'requests' },
  negative_feedback_rate: { x: 'feedbackNegative', y: 'feedbackCount' },
  positive_feedback_rate: { x: 'feedbackPositive', y: 'feedbackCount' },
  feedback_score: { x: 'feedbackSum', y: 'feedbackCount' },
  output_tokens: { x: 'outputTokens', y: 'requests' },
  cost_usd: { x: 'costUsd', y: 'requests' },
});

/** Every UnitMetric, in declaration order. */
export const UNIT_METRIC_NAMES = Object.freeze(Object.keys(UNIT_METRICS) as UnitMetric[]);

/**
 * The six sums over the units of one arm with Y > 0. Field names match the core stats helper's
 * structurally identical interface (src/core/stats), so a value of this type is assignable to it.
 */
export interface UnitSums {
  readonly n: number;
  readonly sumX: number;
  readonly sumY: number;
  readonly sumX2: number;
  readonly sumY2: number;
  readonly sumXY: number;
}

export type ArmSums = Readonly<Record<Arm, UnitSums>>;

/** n, ΣX, ΣY, ΣX², ΣY², ΣXY per metric, in UNIT_METRIC_NAMES order: the layout of StandaloneUnits.sums. */
export const UNIT_TERMS = 6;

/**
 * Units that nothing will add to again — one request each of clients that sent no identity, under
 * a random unit — as their terms in the per-arm sums, already added up: no row is kept for them,
 * and a gateway holds one of these per change and arm instead of one row per request. Feedback
 * naming such a unit later starts a row of its own, which counts it in the feedback metrics exactly
 * as a stored row without feedback would (its Y there was 0, so it was not in those sums).
 */
export interface StandaloneUnits {
  readonly changeId: string;
  readonly arm: Arm;
  /** UNIT_TERMS numbers per metric (see addUnitTerms). */
  readonly sums: Float64Array;
}

/** A zeroed StandaloneUnits.sums. */
export function emptyUnitTerms(): Float64Array {
  return new Float64Array(UNIT_METRIC_NAMES.length * UNIT_TERMS);
}

/**
 * Adds (sign 1) or takes back (sign −1) one unit's terms in metric number `m` (UNIT_METRIC_NAMES
 * order): (1, X, Y, X², Y², XY) while its Y > 0, nothing otherwise — the one definition of what a
 * unit puts into the per-arm sums.
 */
export function addMetricTerms(sums: Float64Array, m: number, x: number, y: number, sign: 1 | -1 = 1): void {
  if (!(y > 0)) return;
  const o = m * UNIT_TERMS;
  sums[o] = sums[o]! + sign;
  sums[o + 1] = sums[o + 1]! + sign * x;
  sums[o + 2] = sums[o + 2]! + sign * y;
  sums[o + 3] = sums[o + 3]! + sign * x * x;
  sums[o + 4] = sums[o + 4]! + sign * y * y;
  sums[o + 5] = sums[o + 5]! + sign * x * y;
}

/** Adds one unit's terms in every metric to `sums`. */
export function addUnitTerms(sums: Float64Array, unit: UnitCounters): void {
  for (let m = 0; m < UNIT_METRIC_NAMES.length; m++) {
    const { x, y } = UNIT_METRICS[UNIT_METRIC_NAMES[m]!];
    addMetricTerms(sums, m, unit[x], unit[y]);
  }
}

export interface UnitTotalsStore {
  /**
   * Adds each delta's counters to its (change, arm, unit) row, creating it if needed. Deltas of the
   * same key within a batch add up. The addition happens in the database (no read-modify-write), so
   * concurrent flushes of several gateways never lose counts; the whole batch commits or fails
   * together, `standalone` included: those only add to the per-arm sums. With `batch`, nothing is
   * added when that batch was applied before (see TelemetryBatch).
   */
  upsertBatch(
    rows: readonly UnitTotalsDelta[],
    standalone?: readonly StandaloneUnits[],
    batch?: TelemetryBatch,
  ): Promise<void>;
  /** The six sums of one metric for both arms (zeros for an arm without units). */
  armSums(changeId: string, metric: UnitMetric): Promise<ArmSums>;
  /** The sums of several metrics for both arms, from ONE aggregate query. */
  armSumsAll<M extends UnitMetric>(
    changeId: string,
    metrics: readonly M[],
  ): Promise<Readonly<Record<M, ArmSums>>>;
  /**
   * The same sums for many changes from ONE aggregate query (the controller's tick: one query for
   * every running rollout instead of one per rollout). Changes without rows get zeros.
   */
  armSumsMany<M extends UnitMetric>(
    changeIds: readonly string[],
    metrics: readonly M[],
  ): Promise<ReadonlyMap<string, Readonly<Record<M, ArmSums>>>>;
  /** Deletes every row of the change; returns how many there were. */
  deleteChange(changeId: string): Promise<number>;
  /**
   * Retention (`server.metrics.unit_retention_days`): deletes at most `limit` per-unit rows of
   * changes whose every rollout ended (promoted, rolled back, aborted) before `before`,
   * the change that ended first first; returns how many. The change's per-arm sums stay: they are
   * what its statistics read, and nothing adds to an ended change.
   */
  deleteEndedBefore(before: number, limit: number): Promise<number>;
}
