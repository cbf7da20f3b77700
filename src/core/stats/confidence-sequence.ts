/**
 * Asymptotic confidence sequences: intervals for a difference Δ that stay valid however often
 * they are looked at, so a rollout can be checked after every batch and stopped as soon as the
 * evidence is there (STATS.md §1).
 *
 * Source: I. Waudby-Smith, D. Arbour, R. Sinha, E. H. Kennedy and A. Ramdas, "Time-uniform
 * central limit theory and asymptotic confidence sequences", arXiv 2103.06476 v7 — eq. 9 (the
 * two-sided asymptotic CS), eq. 134 and 155 (the one-sided boundary), eq. 161 (ρ chosen to make
 * the boundary tightest at n = n*) — as implemented by GrowthBook's stats engine
 * (`packages/stats/gbstats/frequentist/tests.py`: SequentialTwoSidedTTest and the sequential
 * one-sided tests, `sequential_rho`). Inputs follow gbstats: `se` is the standard error of the
 * estimate, `n` the total sample size nA + nB, and the per-observation variance is s² = se²·n.
 *
 * The e-value and p are the same mixture martingale read as a test: the Johari–Pekelis–Walsh
 * mixture SPRT (R. Johari, P. Koomen, L. Pekelis and D. Walsh, "Always Valid Inference:
 * Continuous Monitoring of A/B Tests", Operations Research 70(3), 2022, §4) with mixing variance
 * τ² = ρ²·n·se².
 */

export type Sided = 'two-sided' | 'one-sided';

function requireLevel(alpha: number, nStar: number): void {
  // Programming errors, not outcomes: the levels come from validated configuration.
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(nStar > 0) || !Number.isFinite(nStar)) throw new RangeError(`nStar must be positive, got ${nStar}`);
}

/**
 * ρ = √( (−2 ln a + ln(1 − 2 ln a)) / n* ) (Waudby-Smith et al., eq. 161; gbstats
 * `sequential_rho`), with a = α for the two-sided CS and a = 2α for a one-sided bound (the
 * one-sided boundary spends α in one tail). α = 0.05, n* = 5000: ρ₂ 0.0398401, ρ₁ 0.0355777.
 */
export function rho(alpha: number, nStar: number, sided: Sided = 'two-sided'): number {
  requireLevel(alpha, nStar);
  const a = sided === 'two-sided' ? alpha : 2 * alpha;
  return Math.sqrt((-2 * Math.log(a) + Math.log(1 - 2 * Math.log(a))) / nStar);
}

/**
 * Two-sided half-width h₂(n) = s · √( 2(nρ²+1)/(n²ρ²) · ln(√(nρ²+1)/α) ), s² = se²·n
 * (Waudby-Smith et al., eq. 9; gbstats SequentialTwoSidedTTest.halfwidth). +Infinity when n ≤ 0.
 */
export function halfWidthTwoSided(se: number, n: number, alpha: number, nStar: number): number {
  const r2 = rho(alpha, nStar, 'two-sided') ** 2;
  if (!(n > 0)) return Number.POSITIVE_INFINITY;
  const s2 = se * se * n;
  const k = n * r2 + 1;
  return Math.sqrt(s2) * Math.sqrt(((2 * k) / (n * n * r2)) * Math.log(Math.sqrt(k) / alpha));
}

/**
 * One-sided half-width h₁(n) = √( s² · 2(nρ₁²+1)/(n²ρ₁²) · ln(1 + √(nρ₁²+1)/(2α)) ), ρ₁ = ρ at 2α
 * (Waudby-Smith et al., eq. 134 and 155; gbstats' sequential one-sided tests). +Infinity when n ≤ 0.
 */
export function halfWidthOneSided(se: number, n: number, alpha: number, nStar: number): number {
  const r2 = rho(alpha, nStar, 'one-sided') ** 2;
  if (!(n > 0)) return Number.POSITIVE_INFINITY;
  const s2 = se * se * n;
  const k = n * r2 + 1;
  return Math.sqrt(s2 * ((2 * k) / (n * n * r2)) * Math.log(1 + Math.sqrt(k) / (2 * alpha)));
}

export interface Interval {
  readonly low: number;
  readonly high: number;
}

/** The two-sided (1 − α) confidence sequence Δ̂ ± h₂(n). */
export function twoSidedCS(delta: number, se: number, n: number, alpha: number, nStar: number): Interval {
  const h = halfWidthTwoSided(se, n, alpha, nStar);
  return { low: delta - h, high: delta + h };
}

/** The one-sided (1 − α) lower confidence sequence Δ̂ − h₁(n): Δ > tolerance is proven once it exceeds it. */
export function oneSidedLowerBound(
  delta: number,
  se: number,
  n: number,
  alpha: number,
  nStar: number,
): number {
  return delta - halfWidthOneSided(se, n, alpha, nStar);
}

/** The one-sided (1 − α) upper confidence sequence Δ̂ + h₁(n). */
export function oneSidedUpperBound(
  delta: number,
  se: number,
  n: number,
  alpha: number,
  nStar: number,
): number {
  return delta + halfWidthOneSided(se, n, alpha, nStar);
}

/**
 * ln E for the two-sided e-value E = exp( ρ²·S / (2(nρ²+1)) ) / √(nρ²+1), S = (Δ̂ − θ₀)²·n/se²,
 * ρ = ρ₂ (STATS.md §1). Kept in logs so that a large effect does not overflow.
 */
export function logEValue(
  delta: number,
  se: number,
  n: number,
  alpha: number,
  nStar: number,
  theta0 = 0,
): number {
  const r2 = rho(alpha, nStar, 'two-sided') ** 2;
  if (!(n > 0)) return 0;
  const k = n * r2 + 1;
  const s = ((delta - theta0) ** 2 * n) / (se * se);
  return (r2 * s) / (2 * k) - 0.5 * Math.log(k);
}

/**
 * The two-sided e-value against H₀: Δ = θ₀ (see logEValue). Under H₀ it is a nonnegative
 * (super)martingale in n, so by Ville's inequality P(sup E ≥ 1/α) ≤ α: reject when E ≥ 1/α,
 * i.e. p = min(1, 1/E) ≤ α. Vector: Δ̂ 0.006, SE 0.0029975, n 10000, α 0.05, n* 5000 → 1.6029.
 */
export function eValue(
  delta: number,
  se: number,
  n: number,
  alpha: number,
  nStar: number,
  theta0 = 0,
): number {
  return Math.exp(logEValue(delta, se, n, alpha, nStar, theta0));
}

/** p = min(1, 1/E), the anytime-valid p-value of an e-value given in logs (NaN stays NaN). */
export function pFromLogEValue(logE: number): number {
  if (Number.isNaN(logE)) return Number.NaN;
  return Math.min(1, Math.exp(-logE));
}

/** The sequential p-value min(1, 1/E) of `eValue` with the same arguments. */
export function sequentialP(
  delta: number,
  se: number,
  n: number,
  alpha: number,
  nStar: number,
  theta0 = 0,
): number {
  return pFromLogEValue(logEValue(delta, se, n, alpha, nStar, theta0));
}

/** The mSPRT mixing variance τ² = ρ₂²·n·se² that makes Λ equal the e-value above. */
export function mixtureVariance(se: number, n: number, alpha: number, nStar: number): number {
  return rho(alpha, nStar, 'two-sided') ** 2 * n * se * se;
}

/**
 * The mixture likelihood ratio of the mSPRT with a N(θ₀, τ²) mixing distribution over the effect
 * (Johari, Koomen, Pekelis & Walsh 2022, §4):
 * Λ = √(V/(V + τ²)) · exp( τ²(Δ̂ − θ₀)² / (2V(V + τ²)) ), V = se².
 */
export function msprtLambda(delta: number, variance: number, tau2: number, theta0 = 0): number {
  const total = variance + tau2;
  return Math.sqrt(variance / total) * Math.exp((tau2 * (delta - theta0) ** 2) / (2 * variance * total));
}

/**
 * The always-valid p-value after one more look: p_t = min(p_{t−1}, 1/Λ_t), starting from p₀ = 1
 * (Johari et al. 2022, §4). A NaN Λ (no data at this look) leaves p unchanged.
 */
export function alwaysValidP(previousP: number, lambda: number): number {
  if (Number.isNaN(lambda)) return previousP;
  return Math.max(0, Math.min(previousP, 1, 1 / lambda));
}

export interface Estimate {
  readonly estimate: number;
  readonly se: number;
}

/**
 * The relative difference x̄B/x̄A − 1 and its delta-method standard error,
 * Var(x̄B/x̄A) ≈ Var(x̄B)/x̄A² + x̄B²·Var(x̄A)/x̄A⁴ (STATS.md §1; gbstats' relative tests, which
 * treat the arms as independent). `varMeanA`, `varMeanB` are the variances of the means, s²/n.
 * NaN when x̄A = 0. Vector: proportions 1396/3000 and 2422/3461 → 0.50386, SE 0.03386.
 */
export function relativeDifference(
  meanA: number,
  varMeanA: number,
  meanB: number,
  varMeanB: number,
): Estimate {
  if (meanA === 0 || Number.isNaN(meanA)) return { estimate: Number.NaN, se: Number.NaN };
  const variance = varMeanB / meanA ** 2 + (meanB ** 2 * varMeanA) / meanA ** 4;
  return { estimate: meanB / meanA - 1, se: Math.sqrt(variance) };
}
