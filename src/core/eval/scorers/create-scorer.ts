import { BallastError } from '../../errors.js';
import type { ScorerType } from '../../spec/vocabulary.js';
import { hasTemplate, renderValue } from '../template.js';
import type { Score, ScoreInput, ScorerSpec } from '../types.js';
import { type BaseScorer, parseScorerType, type RawScore } from './base-scorer.js';
import { isJsonScorer, jsonSchemaScorer } from './json-scorers.js';
import { maxCostScorer, maxLatencyScorer, wordCountScorer } from './measure-scorers.js';
import {
  piiScorer,
  profanityScorer,
  promptInjectionScorer,
  refusalScorer,
  secretsScorer,
} from './safety-scorers.js';
import {
  containsAllScorer,
  containsAnyScorer,
  containsScorer,
  equalsScorer,
  icontainsScorer,
  levenshteinScorer,
  regexScorer,
  startsWithScorer,
} from './text-scorers.js';

/** Scorer types that need a judge model: the runner builds them with a provider. */
export const MODEL_GRADED_TYPES = ['llm-rubric', 'pairwise'] as const;

/** Every type `createScorer` builds: pure functions of one output and its call's measurements. */
const BASE_SCORERS = {
  equals: equalsScorer,
  contains: containsScorer,
  icontains: icontainsScorer,
  'contains-any': containsAnyScorer,
  'contains-all': containsAllScorer,
  regex: regexScorer,
  'starts-with': startsWithScorer,
  'is-json': isJsonScorer,
  'json-schema': jsonSchemaScorer,
  levenshtein: levenshteinScorer,
  'word-count': wordCountScorer,
  'max-latency': maxLatencyScorer,
  'max-cost': maxCostScorer,
  refusal: refusalScorer,
  profanity: profanityScorer,
  pii: piiScorer,
  secrets: secretsScorer,
  'prompt-injection': promptInjectionScorer,
} as const satisfies Partial<Record<ScorerType, BaseScorer>>;

export type DeterministicScorerType = keyof typeof BASE_SCORERS;
export const DETERMINISTIC_SCORER_TYPES = Object.keys(BASE_SCORERS) as DeterministicScorerType[];

export type Scorer = (input: ScoreInput) => Score;

export { parseScorerType };

/** llm-rubric and pairwise, negated or not: scored by a judge through a provider, not here. */
export function isModelGraded(type: string): boolean {
  return (MODEL_GRADED_TYPES as readonly string[]).includes(parseScorerType(type).base);
}

export function isDeterministic(type: string): boolean {
  return Object.hasOwn(BASE_SCORERS, parseScorerType(type).base);
}

/**
 * Builds a scorer from its spec. The value is checked once here (a malformed value throws a
 * BallastError BALLAST_ERR_SPEC); then each call renders the value's `{{var}}` templates with the
 * input's vars, scores, decides pass by `threshold`, and applies `not-`: score 1 − s, pass
 * inverted. A value naming a variable the case lacks cannot be scored and fails either way.
 * Model-graded and custom types throw BALLAST_ERR_USAGE: they need a provider or a module.
 */
export function createScorer(spec: ScorerSpec): Scorer {
  const { base, negated } = parseScorerType(spec.type);
  if (isModelGraded(base) || base === 'custom') {
    throw new BallastError(
      'BALLAST_ERR_USAGE',
      `scorer type ${spec.type} is ${base === 'custom' ? 'loaded from a module' : 'graded by a judge model'}: build it with the eval runner, not createScorer`,
      { details: { type: spec.type } },
    );
  }
  const factory = (BASE_SCORERS as Readonly<Record<string, BaseScorer>>)[base];
  if (factory === undefined || !Object.hasOwn(BASE_SCORERS, base)) {
    throw new BallastError('BALLAST_ERR_SPEC', `unknown scorer type ${spec.type}`, {
      details: { type: spec.type },
    });
  }
  const name = spec.name ?? spec.type;
  const threshold = spec.threshold;
  const weight = spec.weight;
  const templated = hasTemplate(spec.value);
  const score = factory(spec.type, spec.value);

  return (input) => {
    let value = spec.value;
    if (templated) {
      const rendered = renderValue(spec.value, input.vars);
      if (rendered.missing.length > 0) {
        const names = rendered.missing.map((n) => `{{${n}}}`).join(', ');
        return {
          scorer: name,
          score: 0,
          pass: false,
          weight,
          reason: `${spec.type} cannot score case ${input.case.id}: its value uses ${names}, which the case does not define.`,
        };
      }
      value = rendered.value;
    }
    return finish(spec.type, base, negated, threshold, name, weight, score(input, value));
  };
}

function finish(
  type: string,
  base: string,
  negated: boolean,
  threshold: number,
  name: string,
  weight: number,
  raw: RawScore,
): Score {
  const s = Math.min(1, Math.max(0, Number.isFinite(raw.score) ? raw.score : 0));
  if (raw.error === true)
    return { scorer: name, score: 0, pass: false, weight, reason: `${type} cannot score: ${raw.reason}.` };
  const basePass = s >= threshold;
  // Graded scores say where the line is; 0/1 scores are plain enough without it.
  const graded = s > 0 && s < 1 ? ` (threshold ${threshold})` : '';
  if (!negated) {
    return {
      scorer: name,
      score: s,
      pass: basePass,
      weight,
      reason: `${capitalise(raw.reason)}${graded}, so ${type} ${basePass ? 'passes' : 'fails'}.`,
    };
  }
  return {
    scorer: name,
    score: 1 - s,
    pass: !basePass,
    weight,
    reason: `${capitalise(raw.reason)}${graded}: ${base} would ${basePass ? 'pass' : 'fail'}, so ${type} ${basePass ? 'fails' : 'passes'}.`,
  };
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
