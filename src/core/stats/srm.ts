/**
 * Sample-ratio mismatch: are the assignment counts compatible with the configured weights?
 * (STATS.md §2.) A mismatch means the split itself is broken — a bucketing bug, an arm that drops
 * or redirects traffic — and no comparison between the arms can be trusted (R. Kohavi, D. Tang
 * and Y. Xu, "Trustworthy Online Controlled Experiments", 2020, ch. 21; A. Fabijan et al.,
 * "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments", KDD 2019).
 *
 * Pearson's χ² goodness-of-fit test (K. Pearson, Philosophical Magazine 50(302), 1900):
 * e_i = N·w_i/Σw, χ² = Σ(o_i − e_i)²/e_i, df = k − 1, p = P(χ²_df > χ²) = Q(df/2, χ²/2).
 * Always against the configured weights: a 5:95 canary is not 50:50.
 */
import { chiSquareSurvival } from './gamma.js';

export interface ChiSquareResult {
  readonly chi2: number;
  readonly df: number;
  readonly p: number;
}

/**
 * Pearson's χ² of `observed` counts against expected proportions `weights` (any positive scale).
 * An arm of weight 0 expects nothing: it adds no degree of freedom, and a unit observed there
 * makes χ² infinite (p = 0). With fewer than two weighted arms there is nothing to test: χ² 0,
 * df 0, p 1. Throws RangeError when the lengths differ or a weight or count is negative or not
 * finite.
 */
export function pearsonChiSquare(observed: readonly number[], weights: readonly number[]): ChiSquareResult {
  if (observed.length !== weights.length)
    throw new RangeError('observed and weights must have the same length');
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const w = weights[i]!;
    if (!(o >= 0) || !Number.isFinite(o)) throw new RangeError(`observed[${i}] must be a count, got ${o}`);
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`weights[${i}] must be ≥ 0, got ${w}`);
  }
  const total = observed.reduce((s, o) => s + o, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const weighted = weights.filter((w) => w > 0).length;
  if (weighted < 2 || total === 0) return { chi2: 0, df: Math.max(0, weighted - 1), p: 1 };
  let chi2 = 0;
  for (let i = 0; i < observed.length; i++) {
    const o = observed[i]!;
    const w = weights[i]!;
    if (w === 0) {
      if (o > 0) chi2 = Number.POSITIVE_INFINITY;
      continue;
    }
    const e = (total * w) / weightSum;
    chi2 += (o - e) ** 2 / e;
  }
  const df = weighted - 1;
  return { chi2, df, p: chi2 === Number.POSITIVE_INFINITY ? 0 : chiSquareSurvival(chi2, df) };
}

export interface SrmOptions {
  /** Flag a mismatch when p < threshold. Default 0.001 (GrowthBook's and Kohavi et al.'s). */
  readonly threshold?: number;
  /** Do not judge before every weighted arm has this many units. Default 8. */
  readonly minPerArm?: number;
}

export interface SrmResult extends ChiSquareResult {
  /** enoughData and p < threshold. */
  readonly mismatch: boolean;
  /** Every arm with a positive weight has at least minPerArm units. */
  readonly enoughData: boolean;
}

export const SRM_THRESHOLD = 0.001;
export const SRM_MIN_PER_ARM = 8;

/**
 * The SRM check the rollout controller runs on assignment counts. Vectors (STATS.md §2):
 * 5050/4950 at 50:50 → χ² 1.0, p 0.3173; 5200/4800 → χ² 16.0, p 6.33e-5 (mismatch);
 * 480/9520 at 5:95 → χ² 0.8421, p 0.3588; 3400/3300/3300 at 1:1:1 → χ² 2.0, p 0.3679.
 */
export function srmCheck(
  observed: readonly number[],
  weights: readonly number[],
  options: SrmOptions = {},
): SrmResult {
  const threshold = options.threshold ?? SRM_THRESHOLD;
  const minPerArm = options.minPerArm ?? SRM_MIN_PER_ARM;
  const result = pearsonChiSquare(observed, weights);
  const enoughData = result.df > 0 && observed.every((o, i) => weights[i] === 0 || o >= minPerArm);
  return { ...result, mismatch: enoughData && result.p < threshold, enoughData };
}
