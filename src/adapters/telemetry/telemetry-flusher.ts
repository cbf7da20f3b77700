import { randomUUID } from 'node:crypto';
import type { Clock, Random } from '../../app/ports/clock.js';
import type { FeedbackRecord, GatewayTelemetry, RequestRecord } from '../../app/ports/gateway-telemetry.js';
import type { MetricBucketDelta, TelemetryBatch } from '../../app/ports/metric-store.js';
import type { StoreSession } from '../../app/ports/store.js';
import type { StandaloneUnits, UnitTotalsDelta } from '../../app/ports/unit-totals-store.js';
import { MetricAggregator } from './metric-aggregator.js';
import { PendingLog } from './pending-log.js';
import { UnitTotalsAggregator } from './unit-totals-aggregator.js';

/** Longest wait between flush attempts while the store keeps failing. */
const MAX_RETRY_MS = 30_000;

/**
 * Retention of request-log rows, metric buckets and the per-unit rows of ended changes: rows older
 * than their retention are deleted in
 * statements of PRUNE_BATCH rows, at most PRUNE_BATCHES per flush and kind (so a backlog never
 * holds a flush up for long: it is worked off over the next flushes), and once nothing is left,
 * looked for again after PRUNE_EVERY_MS.
 */
const PRUNE_BATCH = 5_000;
const PRUNE_BATCHES = 4;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * How long the store remembers the ids of applied telemetry batches. A write that failed is retried
 * every few seconds (at most MAX_RETRY_MS apart) until it goes through, so only a batch whose commit
 * went through unacknowledged and whose gateway then could not reach the store for an hour, while
 * another gateway pruned, could be counted twice.
 */
const BATCH_MEMORY_MS = 3_600_000;

/** One kind of stored row that retention deletes, and where its pruning stands. */
interface Retention {
  readonly retentionMs: number;
  readonly deleteBefore: (before: number, limit: number) => Promise<number>;
  /** When retention next looks for old rows (epoch ms); 0: at the first flush. */
  pruneAt: number;
  /** Rows deleted since start. */
  pruned: number;
}

/** Runs fn every intervalMs until cancelled. Injected so tests drive flushes without timers. */
export type Scheduler = (fn: () => void, intervalMs: number) => { cancel(): void };

/** setInterval, unref'd so a pending flush never keeps the process alive on its own. */
export const intervalScheduler: Scheduler = (fn, intervalMs) => {
  const timer = setInterval(fn, intervalMs);
  timer.unref();
  return { cancel: () => clearInterval(timer) };
};

// A type, not an interface: it must be assignable to Readonly<Record<string, unknown>> (readyz JSON).
export type TelemetryStats = {
  /** Metric rows, request-log rows and per-unit rows waiting for the next flush. */
  readonly pendingRows: number;
  /** Rows discarded because max_pending_rows were already waiting (since start), every kind. */
  readonly droppedRows: number;
  /** Of pendingRows: per-unit rows (change × arm × unit). */
  readonly unitRowsPending: number;
  /** Of droppedRows: per-unit row updates. */
  readonly unitRowsDropped: number;
  /** Flushes in which a write failed (its rows were kept for the next one). */
  readonly flushFailures: number;
  /** Epoch ms of the last flush that wrote everything it had; null before the first. */
  readonly lastFlushAt: number | null;
  /** Request-log rows deleted by retention since start. */
  readonly logRowsPruned: number;
  /** Metric buckets deleted by retention since start. */
  readonly metricRowsPruned: number;
  /** Per-unit rows of ended changes deleted by retention since start. */
  readonly unitRowsPruned: number;
  /**
   * Logged requests whose prompt and output text was left out because the pending rows already
   * held maxPendingContentChars of it (the row itself was kept).
   */
  readonly logContentDropped: number;
};

/**
 * Where the telemetry writes. Without `unitTotals` no per-unit totals are kept at all (a store
 * that cannot take them would only make them pile up).
 */
export type TelemetryStore = Pick<StoreSession, 'metrics' | 'requestLog'> &
  Partial<Pick<StoreSession, 'unitTotals'>>;

export interface TelemetryFlusherOptions {
  readonly store: TelemetryStore;
  readonly clock: Pick<Clock, 'now'>;
  readonly flushIntervalMs: number;
  /** Bound on pending metric rows, and separately on pending request-log rows and per-unit rows. */
  readonly maxPendingRows: number;
  /** A change's slow threshold in ms, for the per-unit slow counts; see UnitTotalsAggregator. */
  readonly slowThresholdMs?: (changeId: string) => number | undefined;
  readonly requestLog: {
    readonly sampleRate: number;
    readonly logContent: boolean;
    /** Rows older than this are deleted (server.request_log.retention_days); 0 or absent keeps them all. */
    readonly retentionMs?: number;
    /**
     * Most prompt and output characters the pending rows may hold (default 16 Mi): rows count, but
     * with log_content each can carry a long conversation, and while the store is away they wait.
     * A row past the budget is kept without its text.
     */
    readonly maxPendingContentChars?: number;
  };
  /**
   * Metric buckets of traffic outside any change older than this are deleted
   * (server.metrics.retention_days); 0 or absent keeps them all.
   */
  readonly metricRetentionMs?: number;
  /**
   * Per-unit rows of changes whose rollouts all ended longer ago than this are deleted
   * (server.metrics.unit_retention_days); 0 or absent keeps them all.
   */
  readonly unitRetentionMs?: number;
  readonly random?: Random;
  /** Default intervalScheduler; pass one that never fires to flush only by hand. */
  readonly schedule?: Scheduler;
  /** Told how many rows were just dropped (feeds ballast_telemetry_dropped_rows_total). */
  readonly onDropped?: (rows: number) => void;
  /** Told of each failed write; the rows are kept and retried (feeds the failures counter and the log). */
  readonly onFlushFailure?: (error: unknown) => void;
  /** Told of a record that could not be counted (a bug: it is forgotten; not a failed write). */
  readonly onRecordError?: (error: unknown) => void;
}

/**
 * Aggregates records in memory and writes them to the store every flush interval: metric deltas
 * through `metrics.upsertBatch`, sampled requests through `requestLog.appendBatch`, per-unit totals
 * of rollout traffic through `unitTotals.upsertBatch`. A failed write puts its rows back to be
 * retried by a later flush: after consecutive failures the timer waits 2, 4, 8 … flush intervals
 * (at most 30 s) before the next attempt. While the store stays away, at most maxPendingRows rows
 * of each kind wait, and the rest are dropped and counted.
 */
export class TelemetryFlusher implements GatewayTelemetry {
  private readonly aggregator: MetricAggregator;
  private readonly units: UnitTotalsAggregator | undefined;
  private readonly log: PendingLog;
  private failures = 0;
  private lastFlushAt: number | null = null;
  /** Failed flushes in a row, and when the timer may try again (epoch ms). */
  private failedInARow = 0;
  private retryAt = 0;
  private flushing = false;
  private tail: Promise<void> = Promise.resolve();
  private readonly timer: { cancel(): void };
  private closing: Promise<void> | undefined;
  private readonly random: Random;
  private readonly logRetention: Retention;
  private readonly metricRetention: Retention;
  private readonly unitRetention: Retention | undefined;
  /** The ids of applied batches, kept BATCH_MEMORY_MS (see TelemetryBatch). */
  private readonly batchRetention: Retention;
  /** Writes that failed, kept as they were to be retried under their ids. */
  private unsentMetrics: { readonly rows: MetricBucketDelta[]; readonly batch: TelemetryBatch } | undefined;
  private unsentUnits:
    | {
        readonly rows: UnitTotalsDelta[];
        readonly standalone: StandaloneUnits[];
        readonly batch: TelemetryBatch;
      }
    | undefined;

  constructor(private readonly options: TelemetryFlusherOptions) {
    this.aggregator = new MetricAggregator({ maxRows: options.maxPendingRows });
    this.units = options.store.unitTotals
      ? new UnitTotalsAggregator({
          maxRows: options.maxPendingRows,
          ...(options.slowThresholdMs ? { slowThresholdMs: options.slowThresholdMs } : {}),
        })
      : undefined;
    this.log = new PendingLog(
      options.maxPendingRows,
      options.requestLog.logContent,
      options.requestLog.maxPendingContentChars,
    );
    this.random = options.random ?? Math.random;
    const { requestLog, metrics, unitTotals } = options.store;
    this.logRetention = {
      retentionMs: options.requestLog.retentionMs ?? 0,
      deleteBefore: (before, limit) => requestLog.deleteBefore(before, limit),
      pruneAt: 0,
      pruned: 0,
    };
    this.metricRetention = {
      retentionMs: options.metricRetentionMs ?? 0,
      deleteBefore: (before, limit) => metrics.deleteBefore(before, limit),
      pruneAt: 0,
      pruned: 0,
    };
    this.unitRetention = unitTotals
      ? {
          retentionMs: options.unitRetentionMs ?? 0,
          deleteBefore: (before, limit) => unitTotals.deleteEndedBefore(before, limit),
          pruneAt: 0,
          pruned: 0,
        }
      : undefined;
    this.batchRetention = {
      retentionMs: BATCH_MEMORY_MS,
      deleteBefore: (before, limit) => metrics.forgetBatchesBefore(before, limit),
      pruneAt: 0,
      pruned: 0,
    };
    this.timer = (options.schedule ?? intervalScheduler)(() => {
      // A slow store must not stack flushes up; the next tick takes whatever accumulated. While
      // the store is away, ticks back off (see flushOnce): every failed attempt rebuilt and put
      // back all pending rows, which under a rollout's per-unit load cost most of the CPU.
      if (!this.flushing && this.options.clock.now() >= this.retryAt) void this.flush();
    }, options.flushIntervalMs);
  }

  record(request: RequestRecord): void {
    try {
      const before = this.droppedAggregates();
      this.aggregator.addRequest(request);
      this.units?.addRequest(request);
      let dropped = this.droppedAggregates() - before;
      const { sampleRate } = this.options.requestLog;
      if (sampleRate > 0 && this.random() < sampleRate && !this.log.add(request)) dropped += 1;
      if (dropped > 0) this.options.onDropped?.(dropped);
    } catch (error) {
      // Telemetry must never fail a request; a malformed record is reported and forgotten.
      this.options.onRecordError?.(error);
    }
  }

  recordFeedback(feedback: FeedbackRecord): void {
    try {
      const before = this.droppedAggregates();
      this.aggregator.addFeedback(feedback);
      this.units?.addFeedback(feedback);
      const dropped = this.droppedAggregates() - before;
      if (dropped > 0) this.options.onDropped?.(dropped);
    } catch (error) {
      this.options.onRecordError?.(error);
    }
  }

  /** Writes what is pending now (after any flush already running). Never rejects. */
  flush(): Promise<void> {
    const run = this.tail
      .then(() => this.flushOnce())
      .catch((error: unknown) => {
        // flushOnce handles store errors itself; this is only for a bug that must not wedge the chain.
        this.failures += 1;
        this.options.onFlushFailure?.(error);
      });
    this.tail = run;
    return run;
  }

  /** Stops the timer and flushes one last time. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.timer.cancel();
      await this.flush();
    })();
    return this.closing;
  }

  stats(): TelemetryStats {
    // Rows of a failed write wait beside the aggregators until it is retried.
    const unitRowsPending = (this.units?.size ?? 0) + (this.units?.reserved ?? 0);
    const unitRowsDropped = this.units?.dropped ?? 0;
    return {
      pendingRows: this.aggregator.size + this.aggregator.reserved + this.log.size + unitRowsPending,
      droppedRows: this.aggregator.dropped + this.log.dropped + unitRowsDropped,
      unitRowsPending,
      unitRowsDropped,
      flushFailures: this.failures,
      lastFlushAt: this.lastFlushAt,
      logRowsPruned: this.logRetention.pruned,
      metricRowsPruned: this.metricRetention.pruned,
      unitRowsPruned: this.unitRetention?.pruned ?? 0,
      logContentDropped: this.log.contentDropped,
    };
  }

  private async flushOnce(): Promise<void> {
    this.flushing = true;
    try {
      const now = this.options.clock.now();
      // Independent writes: a failure of one never makes another write its rows twice.
      let failed = !(await this.writeMetrics(now));
      const logs = this.log.drain();
      if (logs.length > 0) {
        try {
          await this.options.store.requestLog.appendBatch(logs);
        } catch (error) {
          failed = true;
          this.restoreLog(logs);
          this.options.onFlushFailure?.(error);
        }
      }
      if (!(await this.writeUnits(now))) failed = true;
      if (failed) {
        this.failures += 1;
        this.failedInARow += 1;
        // 2, 4, 8 … flush intervals, at most MAX_RETRY_MS; a flush by hand (close) still runs.
        const wait = Math.min(MAX_RETRY_MS, this.options.flushIntervalMs * 2 ** this.failedInARow);
        this.retryAt = now + wait;
      } else {
        this.lastFlushAt = now;
        this.failedInARow = 0;
        this.retryAt = 0;
        await this.prune(this.logRetention, now);
        await this.prune(this.metricRetention, now);
        if (this.unitRetention) await this.prune(this.unitRetention, now);
        await this.prune(this.batchRetention, now);
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * The metric rows: first a write that failed before, as it was and under its id (the store adds
   * nothing if its commit had gone through), then what arrived since, under a new id. False when a
   * write failed; its rows wait, counted against max_pending_rows, for the next flush.
   */
  private async writeMetrics(now: number): Promise<boolean> {
    const { metrics } = this.options.store;
    if (this.unsentMetrics) {
      const { rows, batch } = this.unsentMetrics;
      if (!(await this.tried(() => metrics.upsertBatch(rows, batch)))) return false;
      this.unsentMetrics = undefined;
      this.aggregator.release();
    }
    const rows = this.aggregator.drain();
    if (rows.length === 0) return true;
    const batch = { id: randomUUID(), at: now };
    if (await this.tried(() => metrics.upsertBatch(rows, batch))) return true;
    this.unsentMetrics = { rows, batch };
    this.aggregator.hold(rows);
    return false;
  }

  /** The per-unit rows and standalone sums, as writeMetrics does with the metric rows. */
  private async writeUnits(now: number): Promise<boolean> {
    const { units } = this;
    const store = this.options.store.unitTotals;
    if (!units || !store) return true;
    if (this.unsentUnits) {
      const { rows, standalone, batch } = this.unsentUnits;
      if (!(await this.tried(() => store.upsertBatch(rows, standalone, batch)))) return false;
      this.unsentUnits = undefined;
      units.release();
    }
    const rows = units.drain(now);
    const standalone = units.drainStandalone();
    if (rows.length === 0 && standalone.length === 0) return true;
    const batch = { id: randomUUID(), at: now };
    if (await this.tried(() => store.upsertBatch(rows, standalone, batch))) return true;
    this.unsentUnits = { rows, standalone, batch };
    units.hold(rows, standalone);
    return false;
  }

  /** Runs a write; false (and the failure reported) when it threw. */
  private async tried(write: () => Promise<void>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      this.options.onFlushFailure?.(error);
      return false;
    }
  }

  /** Deletes rows of one kind past its retention, a few batches per flush (see PRUNE_BATCH). */
  private async prune(kind: Retention, now: number): Promise<void> {
    if (!(kind.retentionMs > 0) || now < kind.pruneAt) return;
    try {
      let deleted = 0;
      for (let i = 0; i < PRUNE_BATCHES; i++) {
        deleted = await kind.deleteBefore(now - kind.retentionMs, PRUNE_BATCH);
        kind.pruned += deleted;
        if (deleted < PRUNE_BATCH) break;
      }
      // A full last batch means more is left: carry on at the next flush.
      kind.pruneAt = deleted < PRUNE_BATCH ? now + PRUNE_EVERY_MS : now;
    } catch (error) {
      // Nothing is lost by pruning later; the writes of this flush already succeeded.
      kind.pruneAt = now + MAX_RETRY_MS;
      this.options.onFlushFailure?.(error);
    }
  }

  /** Updates refused by both aggregators so far. */
  private droppedAggregates(): number {
    return this.aggregator.dropped + (this.units?.dropped ?? 0);
  }

  private restoreLog(logs: RequestRecord[]): void {
    const dropped = this.log.restore(logs);
    if (dropped > 0) this.options.onDropped?.(dropped);
  }
}
