/**
 * How many further cases would settle an inconclusive comparison if the observed effect held.
 * The one-sided z-test of H₀: θ = b at level α rejects once |d − b| ≥ z₁₋α · s/√N, so the
 * number of cases at which the observed effect d would just reach significance is
 * N = ⌈(z₁₋α · s / |d − b|)²⌉: the usual one-sample size formula n = (z₁₋α + z₁₋β)² σ²/δ²
 * (e.g. S.-C. Chow, J. Shao and H. Wang, "Sample Size Calculations in Clinical Research",
 * 2nd ed., 2008, §3.1) at power ½, z₁₋β = 0. It is a planning figure, not a promise: the
 * effect seen on few cases is itself uncertain.
 */
import { normalQuantile } from './normal.js';

export interface MoreCasesInput {
  /** Per-case standard deviation of the compared quantity. */
  readonly sd: number;
  /** Observed effect d. */
  readonly effect: number;
  /** The criterion's boundary b. */
  readonly boundary: number;
  /** Cases already in the comparison. */
  readonly n: number;
  /** One-sided level the effect must reach. */
  readonly alpha: number;
}

/**
 * max(0, N − n), or null when no number of cases would settle it: the effect sits exactly on
 * the boundary, or an input is not a finite number.
 */
export function moreCases({ sd, effect, boundary, n, alpha }: MoreCasesInput): number | null {
  const gap = Math.abs(effect - boundary);
  if (!(gap > 0) || !Number.isFinite(gap) || !Number.isFinite(sd) || !(alpha > 0 && alpha < 1)) return null;
  const z = normalQuantile(1 - alpha);
  const needed = Math.ceil(((z * Math.abs(sd)) / gap) ** 2);
  if (!Number.isFinite(needed)) return null;
  return Math.max(0, needed - n);
}
