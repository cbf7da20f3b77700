import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type {
  AppendDecisionInput,
  CaseResultInput,
  Change,
  MetricBucketDelta,
  Rollout,
  Store,
  StoreSession,
} from '../../src/app/ports/store.js';
import { type BallastError, type ErrorCode, isBallastError } from '../../src/core/errors.js';

/**
 * Contract suites share one database per implementation (a PostgreSQL schema costs a migration), so
 * every test names its rows with a fresh prefix and only ever asserts on rows it created.
 */
export function uid(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A fixed epoch-ms origin: the store never reads a clock, so tests pick their own times. */
export const T0 = 1_760_000_000_000;

export type StoreGetter = () => Store;

export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode): Promise<BallastError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBallastError(error), `expected a BallastError ${code}, got ${String(error)}`).toBe(true);
  const ballast = error as BallastError;
  expect(ballast.code, ballast.message).toBe(code);
  return ballast;
}

export async function seedChange(store: StoreSession, id = uid('chg'), at = T0): Promise<Change> {
  const { change } = await store.changes.register({
    id,
    route: `route-${id}`,
    candidate: 'cand-v2',
    spec: { id, hypothesis: 'shorter prompt keeps quality', stages: [5, 25, 100], nested: { ok: true } },
    contentHash: `hash-${id}-1`,
    at,
  });
  return change;
}

export async function seedRollout(store: StoreSession, changeId?: string, at = T0): Promise<Rollout> {
  const change = changeId ?? (await seedChange(store, undefined, at)).id;
  return store.rollouts.create({
    id: uid('ro'),
    changeId: change,
    status: 'running',
    stageIndex: 0,
    exposure: 5,
    at,
  });
}

export function decisionInput(
  rollout: Rollout,
  overrides: Partial<AppendDecisionInput> = {},
): AppendDecisionInput {
  return {
    rolloutId: rollout.id,
    changeId: rollout.changeId,
    at: T0 + 1_000,
    actor: 'controller',
    action: 'advance',
    fromStatus: 'running',
    toStatus: 'running',
    fromStage: 0,
    toStage: 1,
    exposure: 25,
    reasons: ['guardrail latency_p95 within tolerance', 'minimum samples reached'],
    evidence: { latencyP95: { baseline: 812.5, candidate: 799.25, ci: [-40.1, 12.3] }, samples: 1200 },
    ...overrides,
  };
}

export function caseRow(caseId: string, overrides: Partial<CaseResultInput> = {}): CaseResultInput {
  return {
    caseId,
    arm: 'baseline',
    sample: 0,
    output: `answer to ${caseId}`,
    scores: { exact: 1, similarity: 0.875 },
    pass: true,
    latencyMs: 120.5,
    costUsd: 0.00042,
    error: null,
    ...overrides,
  };
}

export function metricDelta(overrides: Partial<MetricBucketDelta> = {}): MetricBucketDelta {
  return {
    route: 'route',
    changeId: null,
    variant: 'baseline',
    bucketStart: T0,
    count: 10,
    errors: 1,
    latencySum: 1000.5,
    latencySqSum: 110_000.25,
    ttftSum: 300.5,
    ttftCount: 8,
    inputTokens: 500,
    outputTokens: 1500,
    costUsd: 0.0125,
    guardrailHits: 2,
    fallbacks: 1,
    feedbackCount: 3,
    feedbackSum: 2.25,
    feedbackNegative: 1,
    feedbackPositive: 2,
    sketch: null,
    ...overrides,
  };
}
