import type { Score } from '../types.js';

/**
 * The weighted mean of scores, Σ wᵢ·sᵢ / Σ wᵢ: the one number per sample that criteria without
 * a `scorer` compare. Scorers of weight 0 are reported but do not count. No scores, or only
 * weight-0 ones, give 0 — there is nothing to average, and the runner reports such samples
 * by their individual scores anyway.
 */
export function weightedScore(scores: readonly Pick<Score, 'score' | 'weight'>[]): number {
  let total = 0;
  let weights = 0;
  for (const { score, weight } of scores) {
    if (!(weight > 0)) continue;
    total += weight * score;
    weights += weight;
  }
  return weights === 0 ? 0 : total / weights;
}
