import type { JsonValue } from './json-value.js';
import type { RolloutStatus } from './rollout-store.js';

/** What a decision did; free text so new actions need no migration. */
export type DecisionAction =
  | 'start'
  | 'advance'
  | 'hold'
  | 'rollback'
  | 'promote'
  | 'pause'
  | 'resume'
  | 'abort'
  | (string & {});

export interface AppendDecisionInput {
  readonly rolloutId: string;
  /** Must be the rollout's change; kept on the row so the log can be searched by change. */
  readonly changeId: string;
  /** Epoch milliseconds. */
  readonly at: number;
  /** 'controller' for automatic decisions, otherwise the person's name. */
  readonly actor: string;
  readonly action: DecisionAction;
  /** Null when the decision starts from no prior state. */
  readonly fromStatus: RolloutStatus | null;
  readonly toStatus: RolloutStatus;
  readonly fromStage: number | null;
  readonly toStage: number;
  /** Exposure (0..100) after the decision. */
  readonly exposure: number;
  readonly reasons: readonly string[];
  /** The evidence at that moment (statistics, thresholds, sample sizes), kept verbatim. */
  readonly evidence: JsonValue;
}

export interface Decision extends AppendDecisionInput {
  /** 1, 2, 3… per rollout, assigned by the store; unique per rollout even under concurrency. */
  readonly seq: number;
}

export interface ListDecisionsFilter {
  readonly rolloutId?: string;
  readonly changeId?: string;
  /** Only decisions with seq greater than this (meaningful with rolloutId: tailing one rollout's log). */
  readonly afterSeq?: number;
  /** Only the newest this many (still returned oldest first). */
  readonly limit?: number;
}

/**
 * The decision log is append-only: there is deliberately no update or delete.
 */
export interface DecisionStore {
  /** An unknown rollout throws BALLAST_ERR_NOT_FOUND. */
  append(input: AppendDecisionInput): Promise<Decision>;
  /**
   * Oldest first. With rolloutId: by seq. Otherwise by at, then rolloutId, then seq.
   */
  list(filter?: ListDecisionsFilter): Promise<Decision[]>;
}
