import type { JsonObject } from './json-value.js';

export const EVAL_RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
export type EvalRunStatus = (typeof EVAL_RUN_STATUSES)[number];

/** The acceptance verdict of a completed run; null while running or when the run failed. */
export const EVAL_VERDICTS = ['pass', 'fail', 'inconclusive'] as const;
export type EvalVerdict = (typeof EVAL_VERDICTS)[number];

export type EvalArm = 'baseline' | 'candidate';

export interface EvalRun {
  readonly id: string;
  readonly changeId: string;
  readonly baselineVariant: string;
  readonly candidateVariant: string;
  readonly datasetHash: string;
  readonly config: JsonObject;
  readonly status: EvalRunStatus;
  readonly verdict: EvalVerdict | null;
  readonly summary: JsonObject | null;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly finishedAt: number | null;
}

export interface CreateEvalRunInput {
  readonly id: string;
  readonly changeId: string;
  readonly baselineVariant: string;
  readonly candidateVariant: string;
  readonly datasetHash: string;
  readonly config: JsonObject;
  readonly at: number;
}

export interface CaseResultInput {
  readonly caseId: string;
  readonly arm: EvalArm;
  /** 0-based repeat index when a case is sampled several times. */
  readonly sample: number;
  readonly output: string | null;
  readonly scores: JsonObject;
  /** Null when the case has no pass/fail assertion. */
  readonly pass: boolean | null;
  readonly latencyMs: number | null;
  readonly costUsd: number | null;
  /** Set when the call failed; such a case does not count as completed. */
  readonly error: string | null;
}

export interface CaseResult extends CaseResultInput {
  readonly runId: string;
}

export interface FinishEvalRunInput {
  readonly status: Exclude<EvalRunStatus, 'running'>;
  readonly verdict: EvalVerdict | null;
  readonly summary: JsonObject;
  readonly at: number;
}

export interface ListEvalRunsFilter {
  readonly changeId?: string;
  readonly limit?: number;
}

export interface EvalRunStore {
  /** Starts in status 'running'. A duplicate id throws BALLAST_ERR_CONFLICT. */
  create(input: CreateEvalRunInput): Promise<EvalRun>;
  /**
   * Atomic per call. Idempotent per (runId, caseId, arm, sample): writing a key again replaces that
   * row, so retrying a batch never duplicates and a resumed run can overwrite a failed sample.
   * Returns the number of rows written. An unknown run throws BALLAST_ERR_NOT_FOUND.
   */
  addCaseResults(runId: string, rows: readonly CaseResultInput[]): Promise<number>;
  /**
   * Moves a running run to a final status. An unknown run throws BALLAST_ERR_NOT_FOUND; a run that
   * is already finished throws BALLAST_ERR_CONFLICT.
   */
  finish(runId: string, input: FinishEvalRunInput): Promise<EvalRun>;
  get(runId: string): Promise<EvalRun | undefined>;
  /** Newest first. */
  list(filter?: ListEvalRunsFilter): Promise<EvalRun[]>;
  /** Ordered by caseId, arm, sample; only the cases in `caseIds` when given. */
  caseResults(runId: string, caseIds?: readonly string[]): Promise<CaseResult[]>;
  /**
   * Case ids that need no re-run on resume: rows exist for both arms and none carries an error.
   * Callers write all samples of a case in one addCaseResults call, so a case is never half-written.
   * Sorted.
   */
  completedCaseIds(runId: string): Promise<string[]>;
}
