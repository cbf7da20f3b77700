/**
 * Mergeable per-arm sufficient statistics for the online (rollout) comparisons, and the means
 * and variances built from them (STATS.md §5).
 *
 * The unit of analysis is the unit (user), not the request: one unit's requests are correlated,
 * so for unit i the store keeps X_i = the metric's numerator total (errors, latency sum, negative
 * ratings…) and Y_i = its denominator total (requests, rated requests…). Six sums per arm — from
 * one SQL aggregate — are enough for the ratio R = ΣX/ΣY and its delta-method variance
 * (GrowthBook's ratio metrics; the delta method for a ratio of means, e.g. A. Deng, U. Knoblich
 * and J. Lu, "Applying the Delta Method in Metric Analytics: A Practical Guide with Novel Ideas",
 * KDD 2018, §3, and G. W. Oehlert, "A Note on the Delta Method", The American Statistician 46(1),
 * 1992).
 *
 * Variances come from the sums as (Σx² − (Σx)²/N)/(N − 1). That form cancels when values are
 * large and close; the sums are what the store can return, so it is the form available. A
 * negative result of cancellation is clamped to 0.
 */

/** Sufficient statistics of one arm: N units and the sums of X, Y, X², Y², XY across units. */
export interface UnitSums {
  readonly n: number;
  readonly sumX: number;
  readonly sumY: number;
  readonly sumX2: number;
  readonly sumY2: number;
  readonly sumXY: number;
}

/** An arm with no units yet. */
export const EMPTY_SUMS: UnitSums = Object.freeze({ n: 0, sumX: 0, sumY: 0, sumX2: 0, sumY2: 0, sumXY: 0 });

/** The sums of the union of two disjoint sets of units (e.g. two batches, or two shards). */
export function mergeSums(a: UnitSums, b: UnitSums): UnitSums {
  return {
    n: a.n + b.n,
    sumX: a.sumX + b.sumX,
    sumY: a.sumY + b.sumY,
    sumX2: a.sumX2 + b.sumX2,
    sumY2: a.sumY2 + b.sumY2,
    sumXY: a.sumXY + b.sumXY,
  };
}

/** The sums of `units` ([X, Y] per unit): what the store's aggregate returns, for tests and small inputs. */
export function sumsOf(units: readonly (readonly [x: number, y: number])[]): UnitSums {
  let n = 0;
  let sumX = 0;
  let sumY = 0;
  let sumX2 = 0;
  let sumY2 = 0;
  let sumXY = 0;
  for (const [x, y] of units) {
    n += 1;
    sumX += x;
    sumY += y;
    sumX2 += x * x;
    sumY2 += y * y;
    sumXY += x * y;
  }
  return { n, sumX, sumY, sumX2, sumY2, sumXY };
}

export interface RatioStats {
  /** R = ΣX/ΣY = X̄/Ȳ; NaN when ΣY is not positive. */
  readonly r: number;
  /** Delta-method Var(R); NaN when N < 2 or ΣY is not positive (no spread can be estimated). */
  readonly varR: number;
}

/**
 * R = X̄/Ȳ and, with sample (co)variances across units (N − 1),
 * Var(R) ≈ ( s²_X/Ȳ² − 2·X̄·s_XY/Ȳ³ + X̄²·s²_Y/Ȳ⁴ ) / N   (STATS.md §5; Deng et al. 2018, §3),
 * the first-order Taylor expansion of f(X̄, Ȳ) = X̄/Ȳ around the true means. Clamped at 0 (the
 * quadratic form is ≥ 0 in exact arithmetic).
 *
 * Vector: units (0,3) (1,5) (0,2) (2,4) (0,1) (1,6) → R 0.190476, Var(R) 0.00561494.
 */
export function ratioStats(sums: UnitSums): RatioStats {
  const { n } = sums;
  if (!(n > 0) || !(sums.sumY > 0)) return { r: Number.NaN, varR: Number.NaN };
  const meanX = sums.sumX / n;
  const meanY = sums.sumY / n;
  const r = meanX / meanY;
  if (n < 2) return { r, varR: Number.NaN };
  const varX = Math.max(0, (sums.sumX2 - sums.sumX * meanX) / (n - 1));
  const varY = Math.max(0, (sums.sumY2 - sums.sumY * meanY) / (n - 1));
  const covXY = (sums.sumXY - sums.sumX * meanY) / (n - 1);
  const varR = (varX / meanY ** 2 - (2 * meanX * covXY) / meanY ** 3 + (meanX ** 2 * varY) / meanY ** 4) / n;
  return { r, varR: Math.max(0, varR) };
}

/** The mean of one arm and the variance of that mean, for the non-ratio (per-unit) metrics. */
export interface MeanStats {
  readonly n: number;
  /** x̄; NaN when n = 0. */
  readonly mean: number;
  /** s², the per-unit variance. */
  readonly variance: number;
  /** s²/n, the variance of x̄. */
  readonly varMean: number;
}

/**
 * A proportion p̂ = successes/n with s² = p̂(1 − p̂) (the binomial plug-in, STATS.md
 * "Conventions", as GrowthBook's gbstats does for proportion metrics).
 * Vector: 100/5000 and 130/5000 → SE of the difference 0.0029975.
 */
export function proportionStats(successes: number, n: number): MeanStats {
  if (!(n > 0)) return { n: 0, mean: Number.NaN, variance: Number.NaN, varMean: Number.NaN };
  const p = successes / n;
  const variance = p * (1 - p);
  return { n, mean: p, variance, varMean: variance / n };
}

/**
 * A mean from Σx, Σx² and n with the unbiased s² = (Σx² − (Σx)²/n)/(n − 1) (gbstats'
 * SampleMeanStatistic). Variance NaN when n < 2.
 */
export function meanStats(sum: number, sumSq: number, n: number): MeanStats {
  if (!(n > 0)) return { n: 0, mean: Number.NaN, variance: Number.NaN, varMean: Number.NaN };
  const mean = sum / n;
  if (n < 2) return { n, mean, variance: Number.NaN, varMean: Number.NaN };
  const variance = Math.max(0, (sumSq - sum * mean) / (n - 1));
  return { n, mean, variance, varMean: variance / n };
}
