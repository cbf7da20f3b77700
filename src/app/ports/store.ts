import type { ApiKeyStore } from './api-key-store.js';
import type { ChangeStore } from './change-store.js';
import type { DecisionStore } from './decision-store.js';
import type { EvalRunStore } from './eval-run-store.js';
import type { FeedbackStore } from './feedback-store.js';
import type { MetricStore } from './metric-store.js';
import type { RequestLogStore } from './request-log-store.js';
import type { ResponseCacheStore } from './response-cache-store.js';
import type { RolloutStore } from './rollout-store.js';
import type { SettingsStore } from './settings-store.js';
import type { UnitTotalsStore } from './unit-totals-store.js';

export type { ApiKey, ApiKeyStore, PutApiKeyInput } from './api-key-store.js';
export type {
  Change,
  ChangeStore,
  RegisterChangeInput,
  RegisterChangeResult,
  RegisterOutcome,
} from './change-store.js';
export type {
  AppendDecisionInput,
  Decision,
  DecisionAction,
  DecisionStore,
  ListDecisionsFilter,
} from './decision-store.js';
export type {
  CaseResult,
  CaseResultInput,
  CreateEvalRunInput,
  EvalArm,
  EvalRun,
  EvalRunStatus,
  EvalRunStore,
  EvalVerdict,
  FinishEvalRunInput,
  ListEvalRunsFilter,
} from './eval-run-store.js';
export type { AddFeedbackInput, Feedback, FeedbackStore, ListFeedbackFilter } from './feedback-store.js';
export type { JsonObject, JsonValue } from './json-value.js';
export type {
  MetricBucket,
  MetricBucketDelta,
  MetricBucketKey,
  MetricCounters,
  MetricQuery,
  MetricStore,
} from './metric-store.js';
export type { ListRequestLogFilter, RequestLogStore } from './request-log-store.js';
export type { CachedResponse, ResponseCacheStore } from './response-cache-store.js';
export type {
  CreateRolloutInput,
  ListRolloutsFilter,
  Rollout,
  RolloutPatch,
  RolloutStatus,
  RolloutStore,
} from './rollout-store.js';
export type { SettingsStore } from './settings-store.js';
export type {
  ArmSums,
  UnitCounters,
  UnitMetric,
  UnitMetricColumns,
  UnitSums,
  UnitTotalsDelta,
  UnitTotalsKey,
  UnitTotalsStore,
} from './unit-totals-store.js';

/**
 * Every sub-store. Times are epoch milliseconds passed in by the caller: nothing behind this port
 * reads a clock, so use cases stay deterministic under test.
 */
export interface StoreSession {
  readonly changes: ChangeStore;
  readonly rollouts: RolloutStore;
  readonly decisions: DecisionStore;
  readonly evalRuns: EvalRunStore;
  readonly metrics: MetricStore;
  readonly feedback: FeedbackStore;
  readonly apiKeys: ApiKeyStore;
  readonly responseCache: ResponseCacheStore;
  readonly requestLog: RequestLogStore;
  readonly settings: SettingsStore;
  /** Per-unit totals per rollout arm (issue #6), written by the gateway's telemetry. */
  readonly unitTotals: UnitTotalsStore;
}

export type StoreDialect = 'sqlite' | 'postgres' | 'memory';

export interface Store extends StoreSession {
  readonly dialect: StoreDialect;
  /**
   * Runs fn in one database transaction and returns its result. Everything done through `tx`
   * commits together; if fn throws, all of it is rolled back and the error is rethrown. Typical use:
   * append a decision and update the rollout with its version guard, atomically.
   *
   * Inside fn use only `tx`, never this store: on SQLite the single connection is held by the
   * transaction, so a call on the outer store would wait for it forever. Do not swallow a store
   * error inside fn and carry on: PostgreSQL aborts the transaction at the first failed statement.
   */
  transaction<T>(fn: (tx: StoreSession) => Promise<T>): Promise<T>;
  /** Releases connections. The store must not be used afterwards. */
  close(): Promise<void>;
}
