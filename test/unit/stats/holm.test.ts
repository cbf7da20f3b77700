import { describe, expect, it } from 'vitest';
import { holmAdjust, holmLevels } from '../../../src/core/stats/holm.js';

describe('holmAdjust', () => {
  it('matches a hand-computed example', () => {
    // Sorted: 0.005 (#4), 0.01 (#1), 0.03 (#3), 0.04 (#2); k = 4.
    // 4·0.005 = 0.02; 3·0.01 = 0.03; 2·0.03 = 0.06; 1·0.04 = 0.04 → max(0.06, 0.04) = 0.06.
    const adjusted = holmAdjust([0.01, 0.04, 0.03, 0.005]);
    expect(adjusted[0]).toBeCloseTo(0.03, 15);
    expect(adjusted[1]).toBeCloseTo(0.06, 15);
    expect(adjusted[2]).toBeCloseTo(0.06, 15);
    expect(adjusted[3]).toBeCloseTo(0.02, 15);
  });

  it('caps at 1, keeps one p unchanged, and treats NaN as 1', () => {
    expect(holmAdjust([0.5, 0.6])).toEqual([1, 1]);
    expect(holmAdjust([0.2])).toEqual([0.2]);
    expect(holmAdjust([])).toEqual([]);
    expect(holmAdjust([Number.NaN, 0.01])).toEqual([1, 0.02]);
  });

  it('is monotone in the raw p-values and never below them', () => {
    const p = [0.04, 0.001, 0.02, 0.3, 0.011, 0.0105];
    const adjusted = holmAdjust(p);
    const order = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
    for (let i = 1; i < order.length; i++) {
      expect(adjusted[order[i]!]!).toBeGreaterThanOrEqual(adjusted[order[i - 1]!]!);
    }
    for (const [i, x] of p.entries()) expect(adjusted[i]!).toBeGreaterThanOrEqual(x);
  });

  it('rejects exactly what the step-down procedure rejects', () => {
    const p = [0.01, 0.04, 0.03, 0.005];
    const levels = holmLevels(p, 0.05);
    expect(levels).toEqual([0.05 / 3, 0.05 / 1, 0.05 / 2, 0.05 / 4]);
    // Step-down: 0.005 ≤ 0.0125 ✓, 0.01 ≤ 0.0167 ✓, 0.03 > 0.025 ✗ → stop.
    expect(holmAdjust(p).map((x) => x <= 0.05)).toEqual([true, false, false, true]);
  });
});
