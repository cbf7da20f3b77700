import type { Clock, Random } from '../../app/ports/clock.js';
import type { FeedbackRecord, GatewayTelemetry, RequestRecord } from '../../app/ports/gateway-telemetry.js';
import type { ProjectConfig } from '../../core/spec/project-schema.js';
import { createOtelExport, type OtelExport } from './otel.js';
import { PrometheusTelemetry } from './prometheus.js';
import {
  type Scheduler,
  TelemetryFlusher,
  type TelemetryStats,
  type TelemetryStore,
} from './telemetry-flusher.js';

export type { Scheduler, TelemetryStats, TelemetryStore } from './telemetry-flusher.js';

export interface GatewayTelemetryOptions {
  /**
   * Where aggregates go. Per-unit totals of rollout traffic (issue #6) are kept only when the store
   * has `unitTotals` (a full Store always does).
   */
  readonly store: TelemetryStore;
  readonly server: ProjectConfig['server'];
  readonly clock: Pick<Clock, 'now'>;
  /** Draws for request-log sampling; default Math.random. */
  readonly random?: Random;
  /** Default: setInterval every server.flush_interval_ms, unref'd. */
  readonly schedule?: Scheduler;
  /** The model each variant is configured with, for gen_ai.request.model (e.g. from project.variants). */
  readonly variantModel?: (variant: string) => string | undefined;
  /** Where flush failures and OpenTelemetry load errors are reported (the store error, as thrown). */
  readonly onError?: (error: unknown) => void;
  /**
   * A change's slow threshold in milliseconds (its spec's slow_rate threshold), for the per-unit
   * slow counts; undefined for a change without one. Without this option slow counts stay 0.
   */
  readonly slowThresholdMs?: (changeId: string) => number | undefined;
  /** Export prom-client's default process metrics (default true; tests may turn it off). */
  readonly processMetrics?: boolean;
}

export interface GatewayTelemetryHandle extends GatewayTelemetry {
  /** The Prometheus exposition text for GET /metrics. */
  metricsText(): Promise<string>;
  /** Content-Type of metricsText(). */
  readonly contentType: string;
  stats(): TelemetryStats;
  /** Writes pending aggregates, per-unit totals and sampled requests now. Never rejects. */
  flush(): Promise<void>;
  /** Stops the timer, flushes to the store and exports the last spans. Idempotent. */
  close(): Promise<void>;
}

/**
 * The gateway's telemetry: aggregates flushed to the store, Prometheus series, and OpenTelemetry
 * spans when `server.otel` is set. `record` does a few map updates and additions and returns:
 * about 0.9 µs per request for aggregates and Prometheus together (3.8 µs while every request
 * went through prom-client's own `inc` and `observe`), measured in development (Node 20).
 */
export function createGatewayTelemetry(options: GatewayTelemetryOptions): GatewayTelemetryHandle {
  const { server } = options;
  const prometheus = new PrometheusTelemetry({ defaultMetrics: options.processMetrics !== false });
  const flusher = new TelemetryFlusher({
    store: options.store,
    clock: options.clock,
    flushIntervalMs: server.flush_interval_ms,
    maxPendingRows: server.max_pending_rows,
    ...(options.slowThresholdMs ? { slowThresholdMs: options.slowThresholdMs } : {}),
    requestLog: {
      sampleRate: server.request_log.sample_rate,
      logContent: server.request_log.log_content,
      retentionMs: server.request_log.retention_days * 86_400_000,
    },
    metricRetentionMs: server.metrics.retention_days * 86_400_000,
    unitRetentionMs: server.metrics.unit_retention_days * 86_400_000,
    ...(options.random ? { random: options.random } : {}),
    ...(options.schedule ? { schedule: options.schedule } : {}),
    onDropped: (rows) => prometheus.droppedRows(rows),
    onFlushFailure: (error) => {
      prometheus.flushFailure();
      options.onError?.(error);
    },
    onRecordError: (error) => options.onError?.(error),
  });
  const otel: OtelExport | undefined = server.otel
    ? createOtelExport({
        endpoint: server.otel.endpoint,
        serviceName: server.otel.service_name,
        headers: server.otel.headers,
        ...(options.variantModel ? { variantModel: options.variantModel } : {}),
        ...(options.onError ? { onError: options.onError } : {}),
      })
    : undefined;

  let closing: Promise<void> | undefined;
  return {
    record(request: RequestRecord): void {
      flusher.record(request);
      try {
        prometheus.record(request);
      } catch (error) {
        options.onError?.(error);
      }
      otel?.record(request);
    },
    recordFeedback(feedback: FeedbackRecord): void {
      flusher.recordFeedback(feedback);
      try {
        prometheus.recordFeedback(feedback);
      } catch (error) {
        options.onError?.(error);
      }
    },
    metricsText: () => prometheus.metricsText(),
    contentType: prometheus.contentType,
    stats: () => flusher.stats(),
    flush: () => flusher.flush(),
    close() {
      closing ??= Promise.all([flusher.close(), otel?.shutdown()]).then(() => undefined);
      return closing;
    },
  };
}
