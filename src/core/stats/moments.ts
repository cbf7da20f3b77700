/**
 * Mean and unbiased sample standard deviation in one pass by Welford's update (B. P. Welford,
 * "Note on a Method for Calculating Corrected Sums of Squares and Products", Technometrics
 * 4(3), 1962): it avoids the cancellation of Σx² − n·x̄² when values are large and close,
 * as latencies in milliseconds are.
 */
export interface Moments {
  readonly n: number;
  /** 0 when n = 0. */
  readonly mean: number;
  /** Sample SD with n − 1; 0 when n < 2 (no spread can be estimated from one value). */
  readonly sd: number;
}

export function moments(values: ArrayLike<number>): Moments {
  const n = values.length;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    const delta = x - mean;
    mean += delta / (i + 1);
    m2 += delta * (x - mean);
  }
  return { n, mean, sd: n < 2 ? 0 : Math.sqrt(Math.max(0, m2) / (n - 1)) };
}
