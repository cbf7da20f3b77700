import { describe, expect, it } from 'vitest';
import { normal } from '../../../src/core/hash/distributions.js';
import { seededRandom } from '../../../src/core/hash/random.js';
import {
  bootstrapJointly,
  bootstrapMean,
  bootstrapRatioOfMeans,
  DEFAULT_RESAMPLES,
  MIN_RESAMPLES,
  percentileInterval,
  pValueAtLeast,
  pValueAtMost,
} from '../../../src/core/stats/paired-bootstrap.js';

function sample(seed: number, n: number, mean: number, sd: number): number[] {
  const random = seededRandom('sample', seed);
  return Array.from({ length: n }, () => normal(random, mean, sd));
}

describe('bootstrapMean', () => {
  const diffs = sample(1, 40, 0.05, 0.2);

  it('is reproducible for a seed and differs between seeds', () => {
    const a = bootstrapMean(diffs, { random: seededRandom('b', 7) });
    const b = bootstrapMean(diffs, { random: seededRandom('b', 7) });
    const c = bootstrapMean(diffs, { random: seededRandom('b', 8) });
    expect(a.replicates).toEqual(b.replicates);
    expect(percentileInterval(a, 0.95)).toEqual(percentileInterval(b, 0.95));
    expect(c.replicates).not.toEqual(a.replicates);
    expect(a.replicates.length).toBe(DEFAULT_RESAMPLES);
  });

  it('estimates the observed mean, sorts its replicates and never resamples fewer than 2,000', () => {
    const d = bootstrapMean(diffs, { random: seededRandom('b'), resamples: 10 });
    expect(d.replicates.length).toBe(MIN_RESAMPLES);
    expect(d.estimate).toBeCloseTo(diffs.reduce((s, x) => s + x, 0) / diffs.length, 14);
    for (let i = 1; i < d.replicates.length; i++)
      expect(d.replicates[i]!).toBeGreaterThanOrEqual(d.replicates[i - 1]!);
  });

  it('has a percentile interval that matches the normal-theory one on a large sample', () => {
    // n = 400, σ = 0.2: the 95 % interval is x̄ ± 1.96·0.2/20 = x̄ ± 0.0196 (to Monte Carlo error).
    const x = sample(2, 400, 0.1, 0.2);
    const d = bootstrapMean(x, { random: seededRandom('b', 3), resamples: 20_000 });
    const [lo, hi] = percentileInterval(d, 0.95);
    expect(hi - lo).toBeGreaterThan(2 * 0.0196 * 0.9);
    expect(hi - lo).toBeLessThan(2 * 0.0196 * 1.1);
    expect(lo).toBeLessThan(d.estimate);
    expect(hi).toBeGreaterThan(d.estimate);
  });

  it('gives p-values (count + 1)/(B + 1) that agree with the interval ends', () => {
    const d = bootstrapMean(diffs, { random: seededRandom('b', 4), resamples: 4999 });
    const b = d.replicates.length;
    // All replicates above −1 and below +1: the smallest possible p is 1/(B + 1).
    expect(pValueAtMost(d, -1)).toBe(1 / (b + 1));
    expect(pValueAtLeast(d, 1)).toBe(1 / (b + 1));
    expect(pValueAtMost(d, 1)).toBe(1);
    // One-sided 5 %: p ≤ 0.05 exactly when the 90 % interval's end clears the boundary.
    const [lo, hi] = percentileInterval(d, 0.9);
    for (const boundary of [lo - 1e-12, lo, lo + 1e-12, hi - 1e-12, hi, hi + 1e-12, d.estimate]) {
      expect(pValueAtMost(d, boundary) <= 0.05).toBe(lo > boundary);
      expect(pValueAtLeast(d, boundary) <= 0.05).toBe(hi < boundary);
    }
  });

  it('collapses on constant differences without NaN', () => {
    const d = bootstrapMean([0, 0, 0], { random: seededRandom('b') });
    expect(percentileInterval(d, 0.95)).toEqual([0, 0]);
    expect(pValueAtMost(d, -0.01)).toBe(1 / (d.replicates.length + 1));
    expect(pValueAtMost(d, 0)).toBe(1);
    expect(pValueAtLeast(d, 0)).toBe(1);
  });

  it('refuses an empty sample (the verdict checks first)', () => {
    expect(() => bootstrapMean([], { random: seededRandom('b') })).toThrow(RangeError);
  });

  it('covers the true mean at about the nominal rate (1,000 seeded datasets)', () => {
    // Percentile intervals for a mean are slightly narrow on small n (Efron & Tibshirani 1993,
    // §13.3); at n = 100 the 95 % interval covers about 94–95 %.
    const truth = 0.05;
    let covered = 0;
    const runs = 1000;
    for (let run = 0; run < runs; run++) {
      const x = sample(1000 + run, 100, truth, 0.25);
      const d = bootstrapMean(x, { random: seededRandom('coverage', run), resamples: 2000 });
      const [lo, hi] = percentileInterval(d, 0.95);
      if (lo <= truth && truth <= hi) covered++;
    }
    expect(covered / runs).toBeGreaterThanOrEqual(0.93);
    expect(covered / runs).toBeLessThanOrEqual(0.97);
  });

  it('resamples 10,000 cases 5,000 times into a sorted distribution around the mean', () => {
    // Speed is measured in bench/, never asserted in tests.
    const x = sample(9, 10_000, 0, 1);
    const d = bootstrapMean(x, { random: seededRandom('speed'), resamples: 5000 });
    expect(d.replicates.length).toBe(5000);
    for (let i = 1; i < d.replicates.length; i++)
      expect(d.replicates[i]!).toBeGreaterThanOrEqual(d.replicates[i - 1]!);
    const [lo, hi] = percentileInterval(d, 0.95);
    expect(lo).toBeLessThan(d.estimate);
    expect(hi).toBeGreaterThan(d.estimate);
  });
});

describe('bootstrapRatioOfMeans', () => {
  it('estimates mean(candidate)/mean(baseline) and resamples cases as pairs', () => {
    const base = sample(5, 200, 1000, 200).map(Math.abs);
    const cand = base.map((b) => b * 1.1);
    const d = bootstrapRatioOfMeans(base, cand, { random: seededRandom('r') });
    expect(d.estimate).toBeCloseTo(1.1, 12);
    // Perfectly correlated pairs: every resample has the same ratio, the interval collapses.
    const [lo, hi] = percentileInterval(d, 0.95);
    expect(lo).toBeCloseTo(1.1, 12);
    expect(hi).toBeCloseTo(1.1, 12);
  });

  it('is reproducible and has an interval around the estimate for noisy pairs', () => {
    const base = sample(6, 300, 800, 150).map(Math.abs);
    const noise = sample(7, 300, 0, 100);
    const cand = base.map((b, i) => Math.abs(b * 1.05 + noise[i]!));
    const a = bootstrapRatioOfMeans(base, cand, { random: seededRandom('r', 1) });
    const b = bootstrapRatioOfMeans(base, cand, { random: seededRandom('r', 1) });
    expect(a.replicates).toEqual(b.replicates);
    const [lo, hi] = percentileInterval(a, 0.9);
    expect(lo).toBeLessThan(a.estimate);
    expect(hi).toBeGreaterThan(a.estimate);
    expect(pValueAtLeast(a, 1.2)).toBeLessThan(0.01);
  });

  it('treats a resample with a zero baseline as unbounded, not NaN', () => {
    const d = bootstrapRatioOfMeans([0, 0, 1], [1, 2, 3], { random: seededRandom('r') });
    expect(d.estimate).toBe(6);
    expect(Number.isNaN(d.replicates.at(-1)!)).toBe(false);
    expect(d.replicates.at(-1)).toBe(Number.POSITIVE_INFINITY);
    expect(bootstrapRatioOfMeans([0], [0], { random: seededRandom('r') }).estimate).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(() => bootstrapRatioOfMeans([1, 2], [1], { random: seededRandom('r') })).toThrow(RangeError);
  });
});

describe('bootstrapJointly', () => {
  const x = Array.from({ length: 101 }, (_, i) => Math.sin(i));
  const y = Array.from({ length: 101 }, (_, i) => 2 + Math.cos(i));
  const z = y.map((v, i) => v + x[i]! / 2);
  const at = (d: { replicates: Float64Array }) => [0, 1234, 2500, 4999].map((i) => d.replicates[i]);

  it('gives the replicates the kernel has always given for a seed (golden values)', () => {
    // Taken from the implementation before the joint kernel (one stream per statistic, two
    // columns per pass): a rewrite of the kernel must keep every bit.
    expect(at(bootstrapMean(x, { random: seededRandom('golden', 1) }))).toEqual([
      -0.2512183075206427, -0.047427846737640285, 0.0011985047336646596, 0.23592883570388795,
    ]);
    expect(at(bootstrapRatioOfMeans(y, z, { random: seededRandom('golden', 2) }))).toEqual([
      0.9340605228117183, 0.9880993488050114, 0.999889055746379, 1.0679710174637336,
    ]);
  });

  it('gives each statistic exactly its own bootstrap on the shared draws', () => {
    const joint = bootstrapJointly(
      [
        { kind: 'mean', values: x },
        { kind: 'ratio', baseline: y, candidate: z },
      ],
      { random: seededRandom('joint') },
    );
    const mean = bootstrapMean(x, { random: seededRandom('joint') });
    const ratio = bootstrapRatioOfMeans(y, z, { random: seededRandom('joint') });
    expect(joint[0]!.estimate).toBe(mean.estimate);
    expect(joint[0]!.replicates).toEqual(mean.replicates);
    expect(joint[1]!.estimate).toBe(ratio.estimate);
    expect(joint[1]!.replicates).toEqual(ratio.replicates);
  });

  it('replays the same draws for columns past the first pass', () => {
    // 1 + 2 + 1 + 2 columns: two passes of three; the repeated statistics must match exactly.
    const joint = bootstrapJointly(
      [
        { kind: 'mean', values: x },
        { kind: 'ratio', baseline: y, candidate: z },
        { kind: 'mean', values: x },
        { kind: 'ratio', baseline: y, candidate: z },
      ],
      { random: seededRandom('replay'), resamples: 2000 },
    );
    expect(joint[2]!.replicates).toEqual(joint[0]!.replicates);
    expect(joint[3]!.replicates).toEqual(joint[1]!.replicates);
    // Not a constant: the draws differ between resamples.
    expect(joint[0]!.replicates[0]).toBeLessThan(joint[0]!.replicates[1999]!);
  });

  it('refuses statistics of different numbers of cases', () => {
    expect(() =>
      bootstrapJointly(
        [
          { kind: 'mean', values: x },
          { kind: 'mean', values: x.slice(1) },
        ],
        { random: seededRandom('r') },
      ),
    ).toThrow(RangeError);
    expect(() => bootstrapJointly([], { random: seededRandom('r') })).toThrow(RangeError);
  });
});
