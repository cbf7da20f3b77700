/**
 * The shapes of an offline evaluation (issue #4), shared by the scorers, the verdict, the
 * runner and the report writers. Pure data: no behaviour here.
 */
import type { ChatMessage, ProviderFailure } from '../provider/chat.js';
import type { ChangeSpec } from '../spec/change-schema.js';

export type ScorerSpec = ChangeSpec['offline']['scorers'][number];
export type CriterionSpec = ChangeSpec['offline']['criteria'][number];
export type Arm = 'baseline' | 'candidate';

/** One case of a dataset, whatever file format it came from. */
export interface EvalCase {
  /** Stable: as written, or a hash of the case's content when absent. */
  readonly id: string;
  /** A question, or a conversation (a message list) sent as the history of one call. */
  readonly input: string | readonly ChatMessage[];
  readonly reference?: string;
  readonly tags: readonly string[];
  /** Template variables (`{{name}}`); values are strings, anything else is JSON-encoded. */
  readonly vars: Readonly<Record<string, string>>;
  /** Per-case assertions, as written (scorer specs). */
  readonly assert?: readonly unknown[];
  readonly repeats?: number;
  /** Any other keys (`turns`, `simulated_user`, …), kept for the runner and reports. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** 1-based line where the case is written. */
  readonly line: number;
}

/** What a scorer looks at: the case, one arm's output for one sample, and the call's measurements. */
export interface ScoreInput {
  readonly case: EvalCase;
  readonly output: string;
  readonly latencyMs: number;
  readonly costUsd: number;
  /** Variables for templates in scorer values: the case's vars plus `reference` and `input`. */
  readonly vars: Readonly<Record<string, string>>;
}

export interface Score {
  /** The scorer's name (its `name`, else its type). */
  readonly scorer: string;
  /** 0 (worst) .. 1 (best). */
  readonly score: number;
  readonly pass: boolean;
  readonly reason: string;
  readonly weight: number;
}

/** One sample of one arm on one case, as the runner stores it. */
export interface SampleResult {
  readonly caseId: string;
  readonly arm: Arm;
  readonly sample: number;
  readonly output: string;
  readonly scores: readonly Score[];
  /** Weighted mean of the scores (0 when the call failed). */
  readonly score: number;
  /** Every scorer passed (false when the call failed). */
  readonly pass: boolean;
  /** The provider call itself, never time queued. */
  readonly latencyMs: number;
  readonly costUsd: number;
  readonly failure?: ProviderFailure;
}

/** One arm on one case after averaging its samples: the case is the unit of analysis. */
export interface ArmSummary {
  readonly samples: number;
  /** Mean over samples of the weighted score. */
  readonly score: number;
  /** Mean over samples, per scorer. */
  readonly scorerScores: Readonly<Record<string, number>>;
  /** Share of samples that passed every scorer. */
  readonly passRate: number;
  /** Share of samples that passed, per scorer. */
  readonly scorerPassRates: Readonly<Record<string, number>>;
  /** The case passes when at least half its samples pass. */
  readonly pass: boolean;
  readonly latencyMs: number;
  readonly costUsd: number;
  readonly errors: number;
  /** Samples disagree on pass/fail: a flaky case. */
  readonly flaky: boolean;
}

/** Both arms on one case. */
export interface PairedCase {
  readonly id: string;
  readonly tags: readonly string[];
  readonly baseline: ArmSummary;
  readonly candidate: ArmSummary;
}

export type CriterionStatus = 'pass' | 'fail' | 'inconclusive';

export interface CriterionResult {
  readonly name: string;
  readonly rule: CriterionSpec['rule'];
  readonly measure: CriterionSpec['measure'];
  readonly scorer?: string;
  readonly status: CriterionStatus;
  /** Cases in the comparison. */
  readonly n: number;
  readonly baselineMean?: number;
  readonly candidateMean?: number;
  /** Δ = mean(candidate − baseline), or the ratio candidate/baseline for max_ratio. */
  readonly estimate?: number;
  /** Confidence interval of the estimate at the (Holm-adjusted) level used for the decision. */
  readonly ci?: readonly [number, number];
  /** The boundary the rule compares with: −margin, min_effect or max. */
  readonly boundary?: number;
  /** Raw and Holm-adjusted p-values of the test that would pass the criterion. */
  readonly p?: number;
  readonly pAdjusted?: number;
  /** Exact McNemar p on discordant pairs (pass/fail measures): b = baseline-only passes, c = candidate-only. */
  readonly mcnemar?: { readonly b: number; readonly c: number; readonly p: number };
  /** For inconclusive: further cases that would settle it at the observed effect (null: none would). */
  readonly moreCases?: number | null;
  /** no_new_failures: the cases that regressed. */
  readonly regressions?: readonly string[];
  /** One sentence a reviewer reads. */
  readonly reason: string;
}

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface SliceResult {
  readonly tag: string;
  readonly n: number;
  readonly verdict: Verdict;
  readonly criteria: readonly CriterionResult[];
}

export interface VerdictResult {
  readonly verdict: Verdict;
  readonly criteria: readonly CriterionResult[];
  readonly slices: readonly SliceResult[];
}
