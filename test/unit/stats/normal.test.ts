import { describe, expect, it } from 'vitest';
import { Z_95 } from '../../../src/core/hash/distributions.js';
import { normalQuantile } from '../../../src/core/stats/normal.js';

describe('normalQuantile (AS 241)', () => {
  // Reference values: R's qnorm, itself AS 241.
  it.each([
    [0.5, 0],
    [0.975, 1.959963984540054],
    [0.3, -0.5244005127080407],
    [0.999, 3.090232306167813],
    [1e-10, -6.361340902404056], // tail region r ≤ 5
    [1e-20, -9.262340089798409], // far tail, r > 5
  ])('Φ⁻¹(%s) = %s', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 12);
  });

  it('agrees with the constant the simulator uses', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(Z_95, 14);
  });

  it('is antisymmetric and handles the ends', () => {
    for (const p of [0.01, 0.2, 0.4, 0.49]) expect(normalQuantile(p)).toBeCloseTo(-normalQuantile(1 - p), 12);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
    expect(normalQuantile(Number.NaN)).toBeNaN();
  });
});
