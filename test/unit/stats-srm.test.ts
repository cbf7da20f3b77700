import { describe, expect, it } from 'vitest';
import {
  chiSquareSurvival,
  lnGamma,
  normalCdf,
  regularizedGammaP,
  regularizedGammaQ,
} from '../../src/core/stats/gamma.js';
import { pearsonChiSquare, srmCheck } from '../../src/core/stats/srm.js';

function near(actual: number, expected: number, tolerance = 1e-4): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe('sample-ratio mismatch (STATS.md §2)', () => {
  it.each([
    [[5050, 4950], [50, 50], 1.0, 0.3173, false],
    [[5200, 4800], [50, 50], 16.0, 6.33e-5, true],
    [[480, 9520], [5, 95], 0.8421, 0.3588, false],
    [[3400, 3300, 3300], [1, 1, 1], 2.0, 0.3679, false],
  ])('%j at %j → χ² %s, p %s, mismatch %s', (observed, weights, chi2, p, mismatch) => {
    const result = srmCheck(observed, weights);
    near(result.chi2, chi2);
    near(result.p, p);
    expect(result.df).toBe(observed.length - 1);
    expect(result.mismatch).toBe(mismatch);
    expect(result.enoughData).toBe(true);
  });

  it('p of χ² 16 keeps its relative precision (6.334e-5)', () => {
    near(srmCheck([5200, 4800], [1, 1]).p, 6.334248e-5, 1e-10);
  });

  it('uses the configured weights: 480/9520 is fine at 5:95 and a mismatch at 50:50', () => {
    expect(srmCheck([480, 9520], [5, 95]).mismatch).toBe(false);
    expect(srmCheck([480, 9520], [50, 50]).mismatch).toBe(true);
  });

  it('does not judge before every arm has minPerArm units', () => {
    const early = srmCheck([7, 40], [1, 1]);
    expect(early.enoughData).toBe(false);
    expect(early.mismatch).toBe(false);
    expect(early.p).toBeLessThan(0.001);
    expect(srmCheck([8, 40], [1, 1]).enoughData).toBe(true);
    expect(srmCheck([8, 40], [1, 1]).mismatch).toBe(true);
    expect(srmCheck([20, 40], [1, 1], { minPerArm: 30 }).enoughData).toBe(false);
  });

  it('honours a custom threshold', () => {
    expect(srmCheck([5050, 4950], [1, 1], { threshold: 0.5 }).mismatch).toBe(true);
  });

  it('a zero-weight arm that receives units is a certain mismatch; an empty one adds no df', () => {
    const leak = pearsonChiSquare([10, 10, 3], [1, 1, 0]);
    expect(leak.chi2).toBe(Number.POSITIVE_INFINITY);
    expect(leak.p).toBe(0);
    const idle = srmCheck([5050, 4950, 0], [1, 1, 0]);
    expect(idle.df).toBe(1);
    near(idle.p, 0.3173);
    expect(idle.enoughData).toBe(true);
  });

  it('nothing to test with one arm or no units', () => {
    expect(srmCheck([100], [1])).toMatchObject({ chi2: 0, df: 0, p: 1, mismatch: false, enoughData: false });
    expect(srmCheck([0, 0], [1, 1])).toMatchObject({ p: 1, mismatch: false, enoughData: false });
  });

  it('rejects mismatched lengths and negative counts or weights', () => {
    expect(() => srmCheck([1, 2], [1])).toThrow(RangeError);
    expect(() => srmCheck([-1, 2], [1, 1])).toThrow(RangeError);
    expect(() => srmCheck([1, 2], [1, -1])).toThrow(RangeError);
  });
});

describe('gamma functions (Lanczos; Numerical Recipes §6.2)', () => {
  it('ln Γ at known points', () => {
    near(lnGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-13);
    near(lnGamma(1), 0, 1e-13);
    near(lnGamma(10), Math.log(362880), 1e-12);
    near(lnGamma(0.2), Math.log(4.5908437119988035), 1e-12);
    near(lnGamma(101), 363.73937555556347, 1e-9); // ln 100!
    expect(lnGamma(0)).toBeNaN();
  });

  it('P + Q = 1 on both sides of a + 1, and closed forms', () => {
    for (const [a, x] of [
      [0.5, 0.1],
      [1, 3],
      [2.5, 2],
      [10, 30],
      [50, 45],
    ] as const) {
      near(regularizedGammaP(a, x) + regularizedGammaQ(a, x), 1, 1e-13);
    }
    near(regularizedGammaQ(1, 3), Math.exp(-3), 1e-14); // Q(1, x) = e^(−x)
    near(chiSquareSurvival(2, 2), Math.exp(-1), 1e-14); // df 2: e^(−x/2)
    near(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-13);
    near(chiSquareSurvival(16.918977604620448, 9), 0.05, 1e-12);
    expect(chiSquareSurvival(0, 3)).toBe(1);
  });

  it('Φ at known points (R pnorm)', () => {
    near(normalCdf(0), 0.5, 1e-15);
    near(normalCdf(1.959963984540054), 0.975, 1e-13);
    near(normalCdf(-1.6448536269514722), 0.05, 1e-13);
    near(normalCdf(-5), 2.866515718791939e-7, 1e-18);
  });
});
