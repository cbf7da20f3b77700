import { describe, expect, it } from 'vitest';
import { buildEvidence } from '../../src/app/controller/controller-evidence.js';
import { UNIT_METRIC_NAMES, type UnitMetric } from '../../src/app/ports/unit-totals-store.js';
import { changeSchema } from '../../src/core/spec/change-schema.js';
import { sumsOf, type UnitSums } from '../../src/core/stats/running-moments.js';

const spec = changeSchema.parse({
  id: 'c1',
  title: 't',
  hypothesis: 'h',
  owner: 'o',
  route: 'chat',
  candidate: 'cand',
  risk: 'low',
  metrics: { guardrails: [{ metric: 'error_rate', max_increase: 0.02 }] },
});

/** `units` units per arm, each with 2 requests and no error. */
const arm = (units: number): UnitSums => sumsOf(Array.from({ length: units }, () => [0, 2] as const));

function sums(candidate: number, comparison: number) {
  const both = { candidate: arm(candidate), comparison: arm(comparison) };
  return Object.fromEntries(UNIT_METRIC_NAMES.map((m) => [m, both])) as Record<UnitMetric, typeof both>;
}

describe('buildEvidence', () => {
  it('checks the sample ratio 1 : 1 up to 50 %, and not above, where the arms overlap over the stages', () => {
    expect(buildEvidence(spec, sums(2035, 1965), 50, 5000).srm).toMatchObject({
      mismatch: false,
      enoughData: true,
    });
    expect(buildEvidence(spec, sums(3000, 1000), 25, 5000).srm).toMatchObject({
      mismatch: true,
      enoughData: true,
    });
    // 75 % after a 50 % stage: comparison units of the first stage moved to the candidate, and
    // the counts gathered so far have no fixed ratio (this held every such rollout on "SRM").
    expect(buildEvidence(spec, sums(3048, 1965), 75, 5000).srm).toMatchObject({
      mismatch: false,
      enoughData: false,
    });
  });

  it('a clean baseline against a candidate failing every request is harm (rates have a variance floor)', () => {
    const clean = sumsOf(Array.from({ length: 2000 }, () => [0, 3] as const));
    const broken = sumsOf(Array.from({ length: 2000 }, () => [3, 3] as const));
    const all = Object.fromEntries(
      UNIT_METRIC_NAMES.map((m) => [m, { candidate: broken, comparison: clean }]),
    ) as Record<UnitMetric, { candidate: UnitSums; comparison: UnitSums }>;
    expect(buildEvidence(spec, all, 5, 5000).metrics[0]).toMatchObject({
      metric: 'error_rate',
      harm: true,
      enoughData: true,
    });
  });
});
