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

  it('tests each success metric the way the change means to move it, against its minimum effect', () => {
    const withSuccess = changeSchema.parse({
      id: 'c2',
      title: 't',
      hypothesis: 'h',
      owner: 'o',
      route: 'chat',
      candidate: 'cand',
      risk: 'low',
      metrics: {
        success: [
          { metric: 'latency_ms', direction: 'decrease', min_effect: 50 },
          { metric: 'output_tokens', direction: 'increase' },
        ],
      },
    });
    // 3,000 units per arm; latency per request ≈ 400 ms (baseline) and ≈ 300 ms (candidate).
    const latency = (base: number) =>
      sumsOf(Array.from({ length: 3000 }, (_, i) => [2 * (base + ((i * 37) % 100) - 50), 2] as const));
    const tokens = sumsOf(Array.from({ length: 3000 }, (_, i) => [2 * (100 + ((i * 13) % 40)), 2] as const));
    const all = sums(3000, 3000) as Record<UnitMetric, { candidate: UnitSums; comparison: UnitSums }>;
    all.latency_ms = { comparison: latency(400), candidate: latency(300) };
    all.output_tokens = { comparison: tokens, candidate: tokens };
    const [faster, same] = buildEvidence(withSuccess, all, 25, 5000).success ?? [];
    expect(faster).toMatchObject({ metric: 'latency_ms', verdict: 'better', meetsMinEffect: true });
    expect(faster?.delta).toBeCloseTo(-100, 6);
    expect(same).toMatchObject({ metric: 'output_tokens', verdict: 'inconclusive', meetsMinEffect: false });
    // Slower instead: a proven move the wrong way.
    all.latency_ms = { comparison: latency(300), candidate: latency(400) };
    expect(buildEvidence(withSuccess, all, 25, 5000).success?.[0]).toMatchObject({ verdict: 'worse' });
  });
});
