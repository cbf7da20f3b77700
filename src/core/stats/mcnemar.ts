/**
 * Exact McNemar test on discordant pairs (Q. McNemar, "Note on the sampling error of the
 * difference between correlated proportions or percentages", Psychometrika 12(2), 1947; the
 * exact form conditions on the b + c discordant pairs, under H₀ each is equally likely to go
 * either way — the sign test). Concordant pairs carry no information about the difference.
 */

export interface McNemarResult {
  /** Pairs that pass on the baseline only. */
  readonly b: number;
  /** Pairs that pass on the candidate only. */
  readonly c: number;
  /** Two-sided exact p: min(1, 2·P[X ≤ min(b, c)]), X ~ Binomial(b + c, ½). */
  readonly p: number;
}

/**
 * P[X ≤ k] for X ~ Binomial(n, ½). Summed in log space with log-sum-exp, because 2⁻ⁿ
 * underflows a double past n ≈ 1074 and an eval can have thousands of discordant pairs.
 * The log pmf steps by ln((n − i + 1)/i), exact enough for a p shown to 4 decimals.
 */
export function binomialHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  let logPmf = -n * Math.LN2;
  const terms: number[] = [logPmf];
  for (let i = 1; i <= k; i++) {
    logPmf += Math.log((n - i + 1) / i);
    terms.push(logPmf);
  }
  // The largest term is the last one (k < n/2 in every call from exactMcNemar, and the pmf
  // rises up to n/2), but take the max anyway so the function is correct for any k.
  let max = Number.NEGATIVE_INFINITY;
  for (const t of terms) if (t > max) max = t;
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.min(1, Math.exp(max + Math.log(sum)));
}

/** b = 10, c = 2 → p = 0.0386; b = c = 0 → p = 1 (no discordant pair, no evidence). */
export function exactMcNemar(b: number, c: number): McNemarResult {
  const n = b + c;
  if (n === 0) return { b, c, p: 1 };
  return { b, c, p: Math.min(1, 2 * binomialHalfCdf(Math.min(b, c), n)) };
}
