/**
 * The names a change spec may use. Kept as data so the validator, the JSON Schema and the
 * docs grow together when a later issue adds a metric or a scorer.
 */

/** Online metrics a rollout guards or aims to move (issue #6). Each is a ratio over units. */
export const METRIC_NAMES = [
  'error_rate',
  'latency_ms',
  'slow_rate',
  'ttft_ms',
  'guardrail_violation_rate',
  'fallback_rate',
  'negative_feedback_rate',
  'positive_feedback_rate',
  'feedback_score',
  'output_tokens',
  'cost_usd',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Offline scorer types (issue #4); any may be negated with a `not-` prefix. */
export const SCORER_TYPES = [
  'equals',
  'contains',
  'icontains',
  'contains-any',
  'contains-all',
  'regex',
  'starts-with',
  'is-json',
  'json-schema',
  'levenshtein',
  'word-count',
  'max-latency',
  'max-cost',
  'refusal',
  'profanity',
  'pii',
  'secrets',
  'prompt-injection',
  'llm-rubric',
  'pairwise',
  'custom',
] as const;
export type ScorerType = (typeof SCORER_TYPES)[number];

/** Acceptance rules of the offline gate (issue #4). */
export const CRITERION_RULES = ['non_inferior', 'superior', 'no_new_failures', 'max_ratio'] as const;
/** What a criterion measures: a scorer's score or pass/fail, or the calls' latency or cost. */
export const CRITERION_MEASURES = ['score', 'pass', 'latency', 'cost'] as const;
