import type { FeedbackRecord, RequestRecord } from '../../app/ports/gateway-telemetry.js';
import {
  addUnitTerms,
  emptyUnitTerms,
  type StandaloneUnits,
  type UnitCounters,
  type UnitTotalsDelta,
} from '../../app/ports/unit-totals-store.js';
import type { Arm } from '../../core/routing/assign.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface Pending extends Mutable<UnitCounters> {
  readonly changeId: string;
  readonly arm: Arm;
  readonly unit: string;
}

export interface UnitTotalsAggregatorOptions {
  /** Most (change, arm, unit) keys held at once; an update beyond it is dropped and counted. */
  readonly maxRows: number;
  /**
   * The change's slow threshold in milliseconds (its spec's slow_rate threshold); a request slower
   * than it counts in slowCount. Undefined, or no function at all, leaves slowCount at 0.
   */
  readonly slowThresholdMs?: (changeId: string) => number | undefined;
}

function emptyCounters(): Mutable<UnitCounters> {
  return {
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
  };
}

const COUNTER_KEYS = Object.keys(emptyCounters()) as (keyof UnitCounters)[];

/** A duration or amount fit to add: a clock step can make it negative and a bug can make it NaN. */
function amount(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}

/** Adds one request to a unit's counters (the rules are in the class comment below). */
function countRequest(
  row: Mutable<UnitCounters>,
  record: RequestRecord,
  threshold: number | undefined,
): void {
  const { attempts } = record;
  // Every attempt but the last handed over to the next variant of the chain when it failed.
  let fellBack = false;
  for (let i = 0; i < attempts.length - 1; i++) {
    if (!attempts[i]?.ok) {
      fellBack = true;
      break;
    }
  }
  // The client leaving is not a failure of the variant (docs/telemetry.md: cancelled alone is no error).
  const last = attempts[attempts.length - 1];
  const attemptFailed =
    fellBack || (last?.ok === false && last.kind !== 'cancelled' && record.outcome !== 'cancelled');
  const latency = amount(record.latencyMs);
  row.requests += 1;
  if (attemptFailed || record.outcome === 'error' || record.outcome === 'stream_interrupted') row.errors += 1;
  if (fellBack) row.fallbacks += 1;
  row.latencySum += latency;
  if (threshold !== undefined && latency > threshold) row.slowCount += 1;
  if (record.stream && record.ttftMs !== null) {
    row.ttftSum += amount(record.ttftMs);
    row.ttftCount += 1;
  }
  if (record.guardrailHits > 0) row.guardrailHits += 1;
  row.outputTokens += amount(record.outputTokens);
  row.costUsd += amount(record.costUsd);
}

/**
 * Folds gateway records of requests routed by a rollout into per-unit totals keyed
 * change × arm × unit (issue #6), for `unitTotals.upsertBatch`. Requests outside a rollout (no
 * change or no arm) are ignored. The counting rules, per request of the unit:
 *
 * - requests: 1;
 * - errors: 1 when the final outcome is error or stream_interrupted, OR any attempt failed or was
 *   skipped by an open circuit (a fallback hides the failure from the client, but it is still a
 *   failure of the variant the unit was assigned; counting a skip keeps an open breaker from making
 *   a broken candidate look healthy);
 * - fallbacks: 1 when an attempt failed or was skipped and the chain moved on to the next variant
 *   (a request whose only attempt failed is an error, not a fallback);
 * - latencySum: the request's latency; slowCount: 1 when it exceeds the change's slow threshold;
 * - ttftSum/ttftCount: for streamed requests that sent a first token;
 * - guardrailHits: 1 when the request had at least one guardrail hit;
 * - outputTokens, costUsd: the request's.
 *
 * Feedback counts when it names its unit and arm (feedbackCount, feedbackSum, negative < 0.5,
 * positive ≥ 0.5); it does not add a request.
 *
 * A request without an identity gets a random unit that no later request shares. It keeps no
 * row: its terms go straight into its change and arm's StandaloneUnits sums, so a rollout served
 * to anonymous clients holds one small array per arm, not a row per request — also while the
 * store is away and nothing is flushed. Feedback naming such a unit starts a row of its own, which
 * counts it in the feedback metrics (see StandaloneUnits).
 */
export class UnitTotalsAggregator {
  private pending = new Map<string, Pending>();
  private standalone = new Map<string, StandaloneUnits>();
  /** One request's counters, reused for every random unit. */
  private readonly scratch = emptyCounters();
  /** Row updates refused because maxRows keys were already pending. */
  dropped = 0;
  /** The keys of a failed write's rows and groups, waiting to be retried (see MetricAggregator.hold). */
  #held: ReadonlySet<string> = new Set();

  /** Rows and groups held for a retry: they count against maxRows. */
  get reserved(): number {
    return this.#held.size;
  }

  /** As MetricAggregator.hold: the keys of a failed write's rows and standalone groups. */
  hold(rows: readonly UnitTotalsDelta[], groups: readonly StandaloneUnits[]): void {
    this.#held = new Set([
      ...rows.map((r) => rowKey(r.changeId, r.arm, r.unit)),
      ...groups.map((g) => groupKey(g.changeId, g.arm)),
    ]);
  }

  release(): void {
    this.#held = new Set();
  }

  constructor(private readonly options: UnitTotalsAggregatorOptions) {}

  /** Keys waiting to be flushed: unit rows, and one per change and arm with standalone units. */
  get size(): number {
    return this.pending.size + this.standalone.size;
  }

  addRequest(record: RequestRecord): void {
    const { changeId, arm } = record;
    if (changeId === null || arm === null) return;
    // Read before touching the row, so a throwing lookup leaves nothing half-counted.
    const threshold = this.options.slowThresholdMs?.(changeId);
    if (record.unitSource === 'random') {
      const group = this.group(changeId, arm);
      if (!group) return;
      const unit = this.scratch;
      for (const k of COUNTER_KEYS) unit[k] = 0;
      countRequest(unit, record, threshold);
      addUnitTerms(group.sums, unit);
      return;
    }
    const row = this.row(changeId, arm, record.unit);
    if (!row) return;
    countRequest(row, record, threshold);
  }

  addFeedback(feedback: FeedbackRecord): void {
    const { changeId, arm, unit } = feedback;
    if (changeId === null || arm === undefined || arm === null || unit === undefined) return;
    if (!Number.isFinite(feedback.value)) return;
    const row = this.row(changeId, arm, unit);
    if (!row) return;
    // A vote that replaces another on the same request: the unit's count stays, its sum moves.
    const before = feedback.replaces?.value;
    if (before !== undefined && Number.isFinite(before)) {
      row.feedbackCount -= 1;
      row.feedbackSum -= before;
      if (before < 0.5) row.feedbackNegative -= 1;
      else row.feedbackPositive -= 1;
    }
    row.feedbackCount += 1;
    row.feedbackSum += feedback.value;
    if (feedback.value < 0.5) row.feedbackNegative += 1;
    else row.feedbackPositive += 1;
  }

  /** Takes every pending row, leaving none; `now` becomes each row's updated_at. */
  drain(now: number): UnitTotalsDelta[] {
    const rows: UnitTotalsDelta[] = [];
    for (const p of this.pending.values()) rows.push({ ...p, at: now });
    this.pending = new Map();
    return rows;
  }

  /** Takes the standalone units' sums, leaving none. */
  drainStandalone(): StandaloneUnits[] {
    const groups = [...this.standalone.values()];
    this.standalone = new Map();
    return groups;
  }

  private row(changeId: string, arm: Arm, unit: string): Pending | null {
    const key = rowKey(changeId, arm, unit);
    let row = this.pending.get(key);
    if (row) return row;
    if (this.size + this.#held.size >= this.options.maxRows && !this.#held.has(key)) {
      this.dropped += 1;
      return null;
    }
    row = { changeId, arm, unit, ...emptyCounters() };
    this.pending.set(key, row);
    return row;
  }

  private group(changeId: string, arm: Arm): StandaloneUnits | null {
    const key = groupKey(changeId, arm);
    let group = this.standalone.get(key);
    if (group) return group;
    if (this.size + this.#held.size >= this.options.maxRows && !this.#held.has(key)) {
      this.dropped += 1;
      return null;
    }
    group = { changeId, arm, sums: emptyUnitTerms() };
    this.standalone.set(key, group);
    return group;
  }
}

// \0 cannot appear in change ids or arms; a unit is the last part, so it may hold anything. A
// group's key has one \0 fewer than a row's, so the two never collide.
const rowKey = (changeId: string, arm: Arm, unit: string): string => `${changeId}\0${arm}\0${unit}`;
const groupKey = (changeId: string, arm: Arm): string => `${changeId}\0${arm}`;
