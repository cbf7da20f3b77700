import { describe, expect, it } from 'vitest';
import {
  bernoulli,
  integer,
  lognormal,
  lognormalParams,
  normal,
  pick,
  uniform,
  Z_95,
} from '../../../src/core/hash/distributions.js';
import { seededRandom, seededStreams, sfc32 } from '../../../src/core/hash/random.js';

function draws(random: () => number, n: number): number[] {
  return Array.from({ length: n }, () => random());
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

describe('sfc32', () => {
  it('follows the PractRand reference step by step', () => {
    // tmp = a + b + counter++; with (1, 2, 3, 4): 1+2+4 = 7, then 2+27+5 = 34.
    const random = sfc32(1, 2, 3, 4);
    expect(draws(random, 2).map((x) => x * 2 ** 32)).toEqual([7, 34]);
  });

  it('is reproducible from its seed and differs between seeds', () => {
    const a = draws(seededRandom('ballast', 42), 100);
    expect(draws(seededRandom('ballast', 42), 100)).toEqual(a);
    expect(draws(seededRandom('ballast', 43), 100)).not.toEqual(a);
    // Parts are joined unambiguously: ('ab', 'c') is not ('a', 'bc').
    expect(seededRandom('ab', 'c')()).not.toBe(seededRandom('a', 'bc')());
  });

  it('gives reproducible, distinct streams per purpose under one seed', () => {
    const streams = seededStreams(42, 'model', 3);
    const latency = draws(streams('latency'), 50);
    expect(draws(seededStreams(42, 'model', 3)('latency'), 50)).toEqual(latency);
    expect(draws(streams('accuracy'), 50)).not.toEqual(latency);
    expect(draws(seededStreams(42, 'model', 4)('latency'), 50)).not.toEqual(latency);
  });

  it('pins its first outputs, so a seed means the same numbers in every release', () => {
    expect(draws(seededRandom('ballast', 42), 3)).toEqual([
      0.8000239641405642, 0.9060963012743741, 0.9369199024513364,
    ]);
  });

  it('is uniform on [0, 1): χ² over 20 bins stays below the 99.9 % critical value', () => {
    const random = seededRandom('uniformity');
    const n = 100_000;
    const bins = new Array<number>(20).fill(0);
    let outside = 0;
    for (const x of draws(random, n)) {
      if (!(x >= 0 && x < 1)) outside++;
      else bins[Math.floor(x * 20)]!++;
    }
    expect(outside).toBe(0);
    const expected = n / 20;
    const chi2 = bins.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(43.82); // χ²(19) at 0.999
  });
});

describe('distributions', () => {
  it('uniform, integer, pick and bernoulli stay in range', () => {
    const random = seededRandom('ranges');
    for (let i = 0; i < 1000; i++) {
      const u = uniform(random, 5, 7);
      expect(u >= 5 && u < 7).toBe(true);
      const k = integer(random, 1, 3);
      expect([1, 2, 3]).toContain(k);
      expect(['a', 'b']).toContain(pick(random, ['a', 'b']));
    }
    expect(pick(random, [])).toBeUndefined();
    expect(bernoulli(random, 0)).toBe(false);
    expect(bernoulli(random, 1)).toBe(true);
    expect(bernoulli(random, Number.NaN)).toBe(false);
  });

  it('normal (Box–Muller) has mean 0 and sd 1 within 4 standard errors', () => {
    const n = 50_000;
    const random = seededRandom('normal');
    const xs = Array.from({ length: n }, () => normal(random));
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sd - 1)).toBeLessThan(4 / Math.sqrt(2 * n));
  });

  it('lognormalParams follows μ = ln median, σ = (ln p95 − ln median) / 1.6449', () => {
    const { mu, sigma } = lognormalParams(400, 1200);
    expect(mu).toBeCloseTo(Math.log(400), 12);
    expect(sigma).toBeCloseTo(Math.log(3) / Z_95, 12);
    expect(lognormalParams(300, 300).sigma).toBe(0);
    expect(lognormalParams(300, 100).sigma).toBe(0);
  });

  it('lognormal draws have the asked median and p95', () => {
    const random = seededRandom('lognormal');
    const sorted = Array.from({ length: 40_000 }, () => lognormal(random, 400, 1200)).sort((a, b) => a - b);
    expect(quantile(sorted, 0.5) / 400).toBeGreaterThan(0.97);
    expect(quantile(sorted, 0.5) / 400).toBeLessThan(1.03);
    expect(quantile(sorted, 0.95) / 1200).toBeGreaterThan(0.95);
    expect(quantile(sorted, 0.95) / 1200).toBeLessThan(1.05);
  });
});
