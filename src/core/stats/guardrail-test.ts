/**
 * The evidence for one guardrail metric at one look of a rollout: what the decision engine reads
 * to roll back (harm proven), to widen (safe proven), or to wait (STATS.md §1 and §5).
 *
 * Each arm is a set of units with per-unit totals X (numerator) and Y (denominator), summarised
 * by their six sums. R_A, R_B and their variances come from the delta method (running-moments.ts),
 * Δ̂ = R_B − R_A, V = Var(R_A) + Var(R_B), SE = √V, n = N_A + N_B, s² = V·n, and the one- and
 * two-sided asymptotic confidence sequences of Waudby-Smith et al. (confidence-sequence.ts) bound
 * Δ at every look at once — so the engine may look after every batch without inflating α.
 */
import {
  logEValue,
  oneSidedLowerBound,
  oneSidedUpperBound,
  pFromLogEValue,
  rho,
  twoSidedCS,
} from './confidence-sequence.js';
import { ratioStats, type UnitSums } from './running-moments.js';

export interface Tolerance {
  /**
   * 'absolute': harm is Δ beyond `value` in the metric's own unit (0.005 = half a percentage
   * point of error rate). 'ratio': beyond `value`·x̄A, a fraction of the baseline (0.1 = 10 %).
   */
  readonly kind: 'absolute' | 'ratio';
  /** ≥ 0. */
  readonly value: number;
}

export interface GuardrailInput {
  /** Baseline (control) arm. */
  readonly a: UnitSums;
  /** Candidate arm. */
  readonly b: UnitSums;
  readonly tolerance: Tolerance;
  /** Error rate, latency, negative feedback: true. A success rate: false. */
  readonly higherIsWorse: boolean;
  /** Per-test level of each one-sided bound and of the two-sided CS (after any family correction). */
  readonly alpha: number;
  /** Tuning sample size n* (total over both arms) at which the bounds are tightest. */
  readonly nStar: number;
  /**
   * Each request contributes a value in [0, 1] to X (errors, slow requests, ratings): a rate.
   * Then an arm whose units all have the same rate (no error anywhere; every request failing)
   * still gets a variance — see `rateFloor`.
   */
  readonly rate?: boolean;
}

export interface GuardrailEvidence {
  readonly nA: number;
  readonly nB: number;
  /** R_A = ΣX/ΣY of the baseline; NaN without data. */
  readonly meanA: number;
  readonly meanB: number;
  /** Δ̂ = meanB − meanA. */
  readonly delta: number;
  /** √(Var(R_A) + Var(R_B)). */
  readonly se: number;
  /** The tolerance as an absolute margin on Δ: value, or value·|x̄A| for a ratio tolerance. */
  readonly margin: number;
  /** One-sided (1 − α) lower bound Δ̂ − h₁(n); −Infinity without enough data. */
  readonly lower: number;
  /** One-sided (1 − α) upper bound Δ̂ + h₁(n); +Infinity without enough data. */
  readonly upper: number;
  /** Two-sided (1 − α) confidence sequence Δ̂ ± h₂(n); ∓Infinity without enough data. */
  readonly csLow: number;
  readonly csHigh: number;
  /** Two-sided e-value against Δ = 0 (GrowthBook's sequential test); 1 without enough data. */
  readonly eValue: number;
  /** min(1, 1/E): anytime-valid p of "no difference"; 1 without enough data. */
  readonly p: number;
  /** The one-sided bound proves Δ beyond the margin in the bad direction: roll back. */
  readonly harm: boolean;
  /** The opposite one-sided bound proves Δ within the margin: this metric does not block widening. */
  readonly safe: boolean;
  /** Both arms have N ≥ 2 units, a positive denominator, and V is finite and positive. */
  readonly enoughData: boolean;
}

/**
 * The variance of the difference of two rates with one success and one failure added to each arm
 * (Agresti & Caffo, "Simple and effective confidence intervals for proportions and differences of
 * proportions result from adding two successes and two failures", The American Statistician
 * 54(4), 2000), counting requests as independent: positive even when both observed rates are 0 or
 * 1. Used only where the unit-level variance is 0, so it never narrows a bound the data gives.
 */
function rateFloor(a: UnitSums, b: UnitSums): number {
  const pA = (a.sumX + 1) / (a.sumY + 2);
  const pB = (b.sumX + 1) / (b.sumY + 2);
  return (pA * (1 - pA)) / (a.sumY + 2) + (pB * (1 - pB)) / (b.sumY + 2);
}

function requireTolerance(tolerance: Tolerance): void {
  if (!(tolerance.value >= 0) || !Number.isFinite(tolerance.value)) {
    throw new RangeError(`tolerance must be a finite number ≥ 0, got ${tolerance.value}`);
  }
}

/**
 * Higher is worse: harm ⇔ lower > margin, safe ⇔ upper < margin. Lower is worse: harm ⇔
 * upper < −margin, safe ⇔ lower > −margin. The two bounds are each at level α, so a harmless
 * candidate (Δ ≤ margin) is rolled back with probability at most α over the whole rollout
 * (asymptotically), however many looks are taken.
 *
 * A ratio tolerance takes x̄A as known: the margin moves with the baseline estimate but its own
 * uncertainty is not propagated (it is small next to that of Δ̂ once the arms have data).
 *
 * Throws RangeError for α outside (0, 1), n* ≤ 0 or a negative tolerance (configuration errors).
 */
export function guardrailEvidence(input: GuardrailInput): GuardrailEvidence {
  const { a, b, tolerance, higherIsWorse, alpha, nStar } = input;
  requireTolerance(tolerance);
  rho(alpha, nStar); // validates α and n* even when there is no data yet
  const statsA = ratioStats(a);
  const statsB = ratioStats(b);
  const meanA = statsA.r;
  const meanB = statsB.r;
  const delta = meanB - meanA;
  const deltaVariance = statsA.varR + statsB.varR;
  // Every unit of both arms at the same rate (the baseline never fails, the candidate always does)
  // gives a delta-method variance of exactly 0, which would read as "no data" however decisive.
  const variance =
    deltaVariance > 0 || input.rate !== true || !(a.sumY > 0 && b.sumY > 0) ? deltaVariance : rateFloor(a, b);
  const se = Math.sqrt(variance);
  const margin = tolerance.kind === 'absolute' ? tolerance.value : tolerance.value * Math.abs(meanA);
  const n = a.n + b.n;
  const enoughData =
    a.n >= 2 &&
    b.n >= 2 &&
    Number.isFinite(meanA) &&
    Number.isFinite(meanB) &&
    Number.isFinite(variance) &&
    variance > 0 &&
    Number.isFinite(margin);
  if (!enoughData) {
    return {
      nA: a.n,
      nB: b.n,
      meanA,
      meanB,
      delta,
      se,
      margin,
      lower: Number.NEGATIVE_INFINITY,
      upper: Number.POSITIVE_INFINITY,
      csLow: Number.NEGATIVE_INFINITY,
      csHigh: Number.POSITIVE_INFINITY,
      eValue: 1,
      p: 1,
      harm: false,
      safe: false,
      enoughData: false,
    };
  }
  const lower = oneSidedLowerBound(delta, se, n, alpha, nStar);
  const upper = oneSidedUpperBound(delta, se, n, alpha, nStar);
  const cs = twoSidedCS(delta, se, n, alpha, nStar);
  const logE = logEValue(delta, se, n, alpha, nStar, 0);
  const harm = higherIsWorse ? lower > margin : upper < -margin;
  const safe = higherIsWorse ? upper < margin : lower > -margin;
  return {
    nA: a.n,
    nB: b.n,
    meanA,
    meanB,
    delta,
    se,
    margin,
    lower,
    upper,
    csLow: cs.low,
    csHigh: cs.high,
    eValue: Math.exp(logE),
    p: pFromLogEValue(logE),
    harm,
    safe,
    enoughData: true,
  };
}
