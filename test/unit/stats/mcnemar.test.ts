import { describe, expect, it } from 'vitest';
import { binomialHalfCdf, exactMcNemar } from '../../../src/core/stats/mcnemar.js';

describe('exactMcNemar', () => {
  it('matches the issue #4 vector: b = 10, c = 2 → p = 0.0386', () => {
    // 2·P[X ≤ 2], X ~ Bin(12, ½) = 2·(1 + 12 + 66)/4096 = 79/2048.
    const r = exactMcNemar(10, 2);
    expect(r.p).toBeCloseTo(79 / 2048, 15);
    expect(r.p.toFixed(4)).toBe('0.0386');
    expect(exactMcNemar(2, 10).p).toBe(r.p);
  });

  it('gives p = 1 without discordant pairs or when they balance', () => {
    expect(exactMcNemar(0, 0)).toEqual({ b: 0, c: 0, p: 1 });
    expect(exactMcNemar(5, 5).p).toBe(1);
  });

  it('matches small exact sign tests', () => {
    // b = 6, c = 0: 2·2⁻⁶ = 0.03125 (the smallest n that reaches 0.05 two-sided).
    expect(exactMcNemar(6, 0).p).toBeCloseTo(0.03125, 15);
    expect(exactMcNemar(5, 0).p).toBeCloseTo(0.0625, 15);
  });

  it('stays finite and accurate where 2⁻ⁿ underflows', () => {
    // n = 4000, k = n/2 − 1: P[X ≤ k] = (1 − P[X = n/2])/2, P[X = n/2] ≈ √(2/(πn)) (Stirling).
    const n = 4000;
    const centre = Math.sqrt(2 / (Math.PI * n)) * (1 - 1 / (4 * n));
    expect(binomialHalfCdf(n / 2 - 1, n)).toBeCloseTo((1 - centre) / 2, 7);
    const p = exactMcNemar(2200, 1800).p;
    expect(p).toBeGreaterThan(0);
    expect(p).toBeLessThan(1e-9);
  });

  it('binomialHalfCdf covers its ends', () => {
    expect(binomialHalfCdf(-1, 5)).toBe(0);
    expect(binomialHalfCdf(5, 5)).toBe(1);
    expect(binomialHalfCdf(2, 4)).toBeCloseTo(11 / 16, 15);
  });
});
