import { describe, expect, it } from 'vitest';
import { moments } from '../../../src/core/stats/moments.js';
import { moreCases } from '../../../src/core/stats/more-cases.js';

describe('moreCases', () => {
  it('is ⌈(z·s/|d − b|)²⌉ − n', () => {
    // z₀.₉₅ = 1.6449; s = 0.2, d − b = 0.018: (1.6449·0.2/0.018)² = 334.0 → 335 cases; 60 done.
    expect(moreCases({ sd: 0.2, effect: -0.012, boundary: -0.03, n: 60, alpha: 0.05 })).toBe(275);
  });

  it('is never negative and null when the effect sits on the boundary', () => {
    expect(moreCases({ sd: 0.1, effect: 0.5, boundary: 0, n: 100, alpha: 0.05 })).toBe(0);
    expect(moreCases({ sd: 0.1, effect: 0.03, boundary: 0.03, n: 10, alpha: 0.05 })).toBeNull();
    expect(moreCases({ sd: Number.NaN, effect: 0.1, boundary: 0, n: 10, alpha: 0.05 })).toBeNull();
  });

  it('asks for more cases at a stricter level', () => {
    const at = (alpha: number) => moreCases({ sd: 0.3, effect: 0.02, boundary: 0, n: 0, alpha });
    expect(at(0.05 / 3)!).toBeGreaterThan(at(0.05)!);
  });
});

describe('moments', () => {
  it('gives the mean and the n − 1 standard deviation', () => {
    const m = moments([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(m.mean).toBe(5);
    expect(m.sd).toBeCloseTo(Math.sqrt(32 / 7), 14);
  });

  it('has no spread below two values and no cancellation on large close values', () => {
    expect(moments([])).toEqual({ n: 0, mean: 0, sd: 0 });
    expect(moments([3])).toEqual({ n: 1, mean: 3, sd: 0 });
    expect(moments([1e9 + 1, 1e9 + 2, 1e9 + 3]).sd).toBeCloseTo(1, 9);
  });
});
