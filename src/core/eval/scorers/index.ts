/** The scorers' public surface, for the eval runner (app/eval) and reports. */
export type { RawScore } from './base-scorer.js';
export {
  createScorer,
  DETERMINISTIC_SCORER_TYPES,
  type DeterministicScorerType,
  isDeterministic,
  isModelGraded,
  MODEL_GRADED_TYPES,
  parseScorerType,
  type Scorer,
} from './create-scorer.js';
export { describeFindings } from './safety-scorers.js';
export { weightedScore } from './weighted-score.js';
