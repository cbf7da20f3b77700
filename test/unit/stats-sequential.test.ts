import { describe, expect, it } from 'vitest';
import {
  alwaysValidP,
  eValue,
  halfWidthOneSided,
  halfWidthTwoSided,
  logEValue,
  mixtureVariance,
  msprtLambda,
  oneSidedLowerBound,
  oneSidedUpperBound,
  pFromLogEValue,
  relativeDifference,
  rho,
  sequentialP,
  twoSidedCS,
} from '../../src/core/stats/confidence-sequence.js';
import { bonferroniAlpha, sidakAlpha } from '../../src/core/stats/family.js';
import { normalCdf } from '../../src/core/stats/gamma.js';
import { meanStats, proportionStats } from '../../src/core/stats/running-moments.js';

/** |actual − expected| ≤ 1e-4 (STATS.md's vectors are given to about that precision). */
function near(actual: number, expected: number, tolerance = 1e-4): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

/** Δ̂, SE and n of two proportions, as STATS.md §1 computes them (s² = p̂(1 − p̂)). */
function proportions(xA: number, nA: number, xB: number, nB: number) {
  const a = proportionStats(xA, nA);
  const b = proportionStats(xB, nB);
  return { delta: b.mean - a.mean, se: Math.sqrt(a.varMean + b.varMean), n: nA + nB };
}

describe('asymptotic confidence sequences (STATS.md §1, α = 0.05, n* = 5000)', () => {
  it('ρ₂ and ρ₁ (Waudby-Smith et al. eq. 161)', () => {
    near(rho(0.05, 5000), 0.0398401, 1e-7);
    near(rho(0.05, 5000, 'two-sided'), 0.0398401, 1e-7);
    near(rho(0.05, 5000, 'one-sided'), 0.0355777, 1e-7);
  });

  describe('error-rate guardrail, early: A 100/5000, B 130/5000', () => {
    const { delta, se, n } = proportions(100, 5000, 130, 5000);

    it('Δ̂ 0.0060, SE 0.0029975', () => {
      near(delta, 0.006, 1e-12);
      near(se, 0.0029975, 1e-7);
    });

    it('two-sided CS [−0.0031767, 0.0151767]', () => {
      const cs = twoSidedCS(delta, se, n, 0.05, 5000);
      near(cs.low, -0.0031767, 1e-7);
      near(cs.high, 0.0151767, 1e-7);
    });

    it('one-sided lower bound −0.0023969: hold, not harm', () => {
      const lower = oneSidedLowerBound(delta, se, n, 0.05, 5000);
      near(lower, -0.0023969, 1e-7);
      expect(lower > 0).toBe(false);
      near(oneSidedUpperBound(delta, se, n, 0.05, 5000), 0.006 + 0.0083969, 1e-7);
    });

    it('e-value 1.6029, p 0.6239; a naive z-test would give p 0.0453', () => {
      near(eValue(delta, se, n, 0.05, 5000), 1.6029);
      near(sequentialP(delta, se, n, 0.05, 5000), 0.6239);
      near(2 * normalCdf(-Math.abs(delta / se)), 0.0453);
    });

    it('the mSPRT Λ with τ² = ρ₂²·n·SE² is the same e-value (Johari et al.)', () => {
      const tau2 = mixtureVariance(se, n, 0.05, 5000);
      near(msprtLambda(delta, se * se, tau2), eValue(delta, se, n, 0.05, 5000), 1e-10);
    });
  });

  it('same rates, 4× the data: A 400/20000, B 520/20000 → lower bound +0.0015676 (harm), p 0.00301', () => {
    const { delta, se, n } = proportions(400, 20000, 520, 20000);
    const lower = oneSidedLowerBound(delta, se, n, 0.05, 5000);
    near(lower, 0.0015676, 1e-7);
    expect(lower > 0).toBe(true);
    near(sequentialP(delta, se, n, 0.05, 5000), 0.00301, 1e-5);
  });

  it('gbstats test_sequential_test_runs_prop: relative, A 1396/3000, B 2422/3461, n* 5000', () => {
    const a = proportionStats(1396, 3000);
    const b = proportionStats(2422, 3461);
    const rel = relativeDifference(a.mean, a.varMean, b.mean, b.varMean);
    near(rel.estimate, 0.50386);
    near(rel.se, 0.03386);
    const cs = twoSidedCS(rel.estimate, rel.se, 3000 + 3461, 0.05, 5000);
    near(cs.low, 0.40098);
    near(cs.high, 0.60675);
  });

  it('gbstats test_sequential_test_runs: relative, means, n* 1000', () => {
    const a = meanStats(1396.87, 52377.9767, 3000);
    const b = meanStats(2422.7, 134698.29, 3461);
    const rel = relativeDifference(a.mean, a.varMean, b.mean, b.varMean);
    near(rel.estimate, 0.50336);
    near(rel.se, 0.33341);
    const cs = twoSidedCS(rel.estimate, rel.se, 6461, 0.05, 1000);
    near(cs.low, -0.55844);
    near(cs.high, 1.56516);
    expect(sequentialP(rel.estimate, rel.se, 6461, 0.05, 1000)).toBe(1);
  });
});

describe('confidence-sequence behaviour', () => {
  it('the half-widths shrink with n and are wider than a fixed-n z interval', () => {
    const se = (n: number) => Math.sqrt(0.04 / n);
    let previous = Number.POSITIVE_INFINITY;
    for (const n of [100, 1000, 10_000, 100_000]) {
      const h = halfWidthTwoSided(se(n), n, 0.05, 5000);
      expect(h).toBeLessThan(previous);
      expect(h).toBeGreaterThan(1.959964 * se(n));
      expect(halfWidthOneSided(se(n), n, 0.05, 5000)).toBeLessThan(h);
      previous = h;
    }
  });

  it('no data gives an unbounded interval and no evidence', () => {
    expect(halfWidthTwoSided(0.1, 0, 0.05, 5000)).toBe(Number.POSITIVE_INFINITY);
    expect(halfWidthOneSided(0.1, 0, 0.05, 5000)).toBe(Number.POSITIVE_INFINITY);
    expect(eValue(0.1, 0.1, 0, 0.05, 5000)).toBe(1);
  });

  it('the e-value is below 1 at Δ̂ = θ₀ and tests against θ₀', () => {
    expect(eValue(0, 0.01, 1000, 0.05, 5000)).toBeLessThan(1);
    near(eValue(0.02, 0.01, 1000, 0.05, 5000, 0.02), eValue(0, 0.01, 1000, 0.05, 5000), 1e-12);
  });

  it('p stays finite when E overflows a double', () => {
    const logE = logEValue(1, 1e-4, 10_000, 0.05, 5000);
    expect(logE).toBeGreaterThan(710);
    expect(pFromLogEValue(logE)).toBe(0);
  });

  it('rejects levels that are not in (0, 1) and a non-positive n*', () => {
    expect(() => rho(0, 5000)).toThrow(RangeError);
    expect(() => rho(1, 5000)).toThrow(RangeError);
    expect(() => rho(0.05, 0)).toThrow(RangeError);
  });

  it('relativeDifference is NaN against a zero baseline', () => {
    expect(relativeDifference(0, 1, 1, 1).estimate).toBeNaN();
  });
});

describe('always-valid p (mSPRT)', () => {
  it('is the running minimum of 1/Λ, capped at 1', () => {
    let p = 1;
    const seen: number[] = [];
    for (const lambda of [0.5, 2, 1.5, 10, 4, Number.NaN, 40]) {
      p = alwaysValidP(p, lambda);
      seen.push(p);
    }
    expect(seen).toEqual([1, 0.5, 0.5, 0.1, 0.1, 0.1, 0.025]);
  });
});

describe('family-wise levels for k guardrails', () => {
  it('Šidák 1 − (1 − α)^(1/k) and Bonferroni α/k', () => {
    near(sidakAlpha(0.05, 1), 0.05, 1e-15);
    near(sidakAlpha(0.05, 3), 0.0169524, 1e-7);
    near(bonferroniAlpha(0.05, 3), 0.0166667, 1e-7);
    near(sidakAlpha(0.05, 5), 1 - 0.95 ** 0.2, 1e-15);
    for (const k of [2, 4, 10]) expect(sidakAlpha(0.05, k)).toBeGreaterThan(bonferroniAlpha(0.05, k));
  });

  it('rejects a family of no test or a level outside (0, 1)', () => {
    expect(() => sidakAlpha(0.05, 0)).toThrow(RangeError);
    expect(() => bonferroniAlpha(0.05, 1.5)).toThrow(RangeError);
    expect(() => sidakAlpha(1.2, 2)).toThrow(RangeError);
  });
});
