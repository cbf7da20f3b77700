import { describe, expect, it } from 'vitest';
import {
  EMPTY_SUMS,
  meanStats,
  mergeSums,
  proportionStats,
  ratioStats,
  sumsOf,
} from '../../src/core/stats/running-moments.js';

function near(actual: number, expected: number, tolerance = 1e-4): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

// STATS.md §5: errors X over requests Y per unit.
const unitsA = [
  [0, 3],
  [1, 5],
  [0, 2],
  [2, 4],
  [0, 1],
  [1, 6],
] as const;
const unitsB = [
  [1, 2],
  [0, 4],
  [3, 5],
  [1, 1],
  [0, 3],
  [2, 6],
] as const;

describe('unit-level ratio statistics (STATS.md §5)', () => {
  const a = sumsOf(unitsA);
  const b = sumsOf(unitsB);

  it('the six sums per arm', () => {
    expect(a).toEqual({ n: 6, sumX: 4, sumY: 21, sumX2: 6, sumY2: 91, sumXY: 19 });
    expect(b).toEqual({ n: 6, sumX: 7, sumY: 21, sumX2: 15, sumY2: 91, sumXY: 30 });
  });

  it('R and delta-method Var(R) per arm', () => {
    const ra = ratioStats(a);
    const rb = ratioStats(b);
    near(ra.r, 0.190476, 1e-6);
    near(ra.varR, 0.00561494, 1e-8);
    near(rb.r, 0.333333, 1e-6);
    near(rb.varR, 0.01390779, 1e-8);
  });

  it('Δ̂ 0.142857, V 0.01952273, SE 0.139724; a per-request binomial SE would be 0.133883', () => {
    const ra = ratioStats(a);
    const rb = ratioStats(b);
    near(rb.r - ra.r, 0.142857, 1e-6);
    near(ra.varR + rb.varR, 0.01952273, 1e-8);
    near(Math.sqrt(ra.varR + rb.varR), 0.139724, 1e-6);
    const pa = proportionStats(a.sumX, a.sumY);
    const pb = proportionStats(b.sumX, b.sumY);
    near(Math.sqrt(pa.varMean + pb.varMean), 0.133883, 1e-6);
  });

  it('merging batches gives the sums of all units, in any split', () => {
    const all = sumsOf([...unitsA, ...unitsB]);
    expect(mergeSums(a, b)).toEqual(all);
    expect(mergeSums(sumsOf(unitsA.slice(0, 2)), sumsOf(unitsA.slice(2)))).toEqual(a);
    expect(mergeSums(EMPTY_SUMS, a)).toEqual(a);
  });

  it('one request per unit and a 0/1 outcome is a proportion with the N − 1 variance', () => {
    const units = Array.from({ length: 50 }, (_, i) => [i < 7 ? 1 : 0, 1] as const);
    const { r, varR } = ratioStats(sumsOf(units));
    const p = proportionStats(7, 50);
    near(r, p.mean, 1e-15);
    near(varR, (p.variance * 50) / 49 / 50, 1e-15);
  });

  it('no units, no denominator or a single unit give NaN, never a false certainty', () => {
    expect(ratioStats(EMPTY_SUMS).r).toBeNaN();
    expect(ratioStats(sumsOf([[0, 0]])).r).toBeNaN();
    const one = ratioStats(sumsOf([[1, 4]]));
    expect(one.r).toBe(0.25);
    expect(one.varR).toBeNaN();
  });
});

describe('proportion and mean helpers', () => {
  it('proportionStats uses p̂(1 − p̂)', () => {
    const s = proportionStats(100, 5000);
    expect(s).toEqual({ n: 5000, mean: 0.02, variance: 0.02 * 0.98, varMean: (0.02 * 0.98) / 5000 });
    expect(proportionStats(0, 0).mean).toBeNaN();
  });

  it('meanStats uses the unbiased s² from Σx and Σx²', () => {
    const xs = [2, 4, 4, 4, 5, 5, 7, 9];
    const s = meanStats(
      xs.reduce((t, x) => t + x, 0),
      xs.reduce((t, x) => t + x * x, 0),
      xs.length,
    );
    near(s.mean, 5, 1e-15);
    near(s.variance, 32 / 7, 1e-13);
    near(s.varMean, 32 / 7 / 8, 1e-13);
    expect(meanStats(3, 9, 1).variance).toBeNaN();
  });
});
