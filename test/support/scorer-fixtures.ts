import { createScorer } from '../../src/core/eval/scorers/create-scorer.js';
import type { EvalCase, Score, ScoreInput, ScorerSpec } from '../../src/core/eval/types.js';
import { scorerSchema } from '../../src/core/spec/change-schema.js';

/** The case, spec and input builders the scorer tests share. */
export const CASE: EvalCase = {
  id: 'capital',
  input: 'What is the capital of France?',
  reference: 'Paris',
  tags: [],
  vars: { country: 'France', keywords: '["Paris","France"]', limit: '2' },
  line: 1,
};

/** A spec as a change file would give it: through the schema, so defaults apply. */
export function spec(type: string, extra: Record<string, unknown> = {}): ScorerSpec {
  return scorerSchema.parse({ type, ...extra });
}

export function input(output: string, extra: Partial<ScoreInput> = {}): ScoreInput {
  return {
    case: CASE,
    output,
    latencyMs: 120,
    costUsd: 0.0004,
    vars: { ...CASE.vars, reference: 'Paris', input: String(CASE.input) },
    ...extra,
  };
}

export function score(
  type: string,
  extra: Record<string, unknown>,
  output: string,
  more: Partial<ScoreInput> = {},
): Score {
  return createScorer(spec(type, extra))(input(output, more));
}
