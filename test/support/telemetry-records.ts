import type { FeedbackRecord, RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import type { StoreSession } from '../../src/app/ports/store.js';

let next = 0;

/** A finished, successful, non-streamed request on route `support`; override what a test is about. */
export function requestRecord(overrides: Partial<RequestRecord> = {}): RequestRecord {
  next += 1;
  return {
    requestId: `req-${next.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    at: 1_760_000_000_000,
    route: 'support',
    changeId: null,
    arm: null,
    unit: 'user-42',
    unitSource: 'header',
    assignedVariant: 'baseline',
    servedVariant: 'baseline',
    model: 'gpt-4o-mini-2024-07-18',
    stream: false,
    status: 200,
    outcome: 'ok',
    errorKind: null,
    latencyMs: 812.25,
    ttftMs: null,
    inputTokens: 120,
    outputTokens: 345,
    costUsd: 0.000_412_5,
    guardrailHits: 0,
    attempts: [{ variant: overrides.servedVariant ?? 'baseline', ok: true, latencyMs: 800.5 }],
    ...overrides,
  };
}

export function feedbackRecord(overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    requestId: 'req-x',
    route: 'support',
    changeId: null,
    variant: 'baseline',
    value: 1,
    at: 1_760_000_000_000,
    ...overrides,
  };
}

/** A telemetry store that takes every write and keeps nothing: for tests about something else. */
export function discardingTelemetryStore(): Pick<StoreSession, 'metrics' | 'requestLog'> {
  return {
    metrics: {
      upsertBatch: async () => {},
      query: async () => [],
      deleteBefore: async () => 0,
      forgetBatchesBefore: async () => 0,
    },
    requestLog: {
      appendBatch: async () => {},
      get: async () => undefined,
      list: async () => [],
      deleteBefore: async () => 0,
    },
  };
}
