import { describe, expect, it } from 'vitest';
import type { ArmSummary, CriterionSpec, PairedCase } from '../../../src/core/eval/types.js';
import { decide } from '../../../src/core/eval/verdict.js';
import { normal } from '../../../src/core/hash/distributions.js';
import { seededRandom } from '../../../src/core/hash/random.js';
import { criterionSchema } from '../../../src/core/spec/change-schema.js';
import {
  bootstrapMean,
  bootstrapRatioOfMeans,
  pValueAtLeast,
  pValueAtMost,
} from '../../../src/core/stats/paired-bootstrap.js';

const options = { alpha: 0.05, minSlice: 20, seed: 'test', resamples: 2000 };

function criterion(input: Record<string, unknown>): CriterionSpec {
  return criterionSchema.parse(input);
}

function arm(score: number, extra: Partial<ArmSummary> = {}): ArmSummary {
  return {
    samples: 1,
    score,
    scorerScores: { close: score },
    passRate: score >= 0.5 ? 1 : 0,
    scorerPassRates: { close: score >= 0.5 ? 1 : 0 },
    pass: score >= 0.5,
    latencyMs: 1000,
    costUsd: 0.001,
    errors: 0,
    flaky: false,
    ...extra,
  };
}

function clamp(x: number): number {
  return Math.min(1, Math.max(0, x));
}

/** n cases with baseline scores around 0.7 and a candidate shifted by `shift` plus noise. */
function scoredCases(n: number, shift: number, noise: number, seed = 1, tags: string[] = []): PairedCase[] {
  const random = seededRandom('cases', seed);
  return Array.from({ length: n }, (_, i) => {
    const base = clamp(normal(random, 0.7, 0.15));
    return {
      id: `case-${i}`,
      tags,
      baseline: arm(base),
      candidate: arm(clamp(base + shift + normal(random, 0, noise))),
    };
  });
}

const nonInferior = criterion({ rule: 'non_inferior', scorer: 'close', margin: 0.03 });

describe('decide: non_inferior', () => {
  it('passes identical arms when the margin is positive', () => {
    const cases = scoredCases(30, 0, 0);
    const result = decide(cases, [nonInferior], options);
    expect(result.verdict).toBe('pass');
    const [c] = result.criteria;
    expect(c).toMatchObject({ status: 'pass', n: 30, estimate: 0, boundary: -0.03, ci: [0, 0] });
    expect(c!.p).toBeCloseTo(1 / 2001, 12);
    expect(c!.reason).toMatch(/^close: Δ 0 \(90 % CI 0 to 0\) ≥ −0\.03 shown .*; pass$/);
  });

  it('fails a clearly worse candidate', () => {
    const result = decide(scoredCases(100, -0.2, 0.05), [nonInferior], options);
    expect(result.verdict).toBe('fail');
    const [c] = result.criteria;
    expect(c!.status).toBe('fail');
    expect(c!.estimate!).toBeLessThan(-0.15);
    expect(c!.ci![1]).toBeLessThan(-0.03);
    expect(c!.reason).toContain('< −0.03 shown');
  });

  it('is inconclusive on a small difference over few cases, with the cases that would settle it', () => {
    const result = decide(scoredCases(8, -0.01, 0.1, 3), [nonInferior], options);
    expect(result.verdict).toBe('inconclusive');
    const [c] = result.criteria;
    expect(c!.status).toBe('inconclusive');
    expect(c!.ci![0]).toBeLessThan(-0.03);
    expect(c!.ci![1]).toBeGreaterThan(-0.03);
    expect(typeof c!.moreCases).toBe('number');
    expect(c!.moreCases!).toBeGreaterThan(0);
    expect(c!.reason).toMatch(
      /not shown \(Holm p [0-9.]+\); inconclusive — about \d+ more cases would settle it$/,
    );
  });

  it('says no number of cases settles an effect on the boundary', () => {
    const zero = criterion({ rule: 'non_inferior', scorer: 'close' }); // margin 0, identical arms
    const [c] = decide(scoredCases(10, 0, 0), [zero], options).criteria;
    expect(c).toMatchObject({ status: 'inconclusive', moreCases: null });
    expect(c!.reason).toContain('no number of cases would settle it');
  });

  it('is reproducible for a seed', () => {
    const cases = scoredCases(40, -0.01, 0.1);
    expect(decide(cases, [nonInferior], options)).toEqual(decide(cases, [nonInferior], options));
  });

  it('uses the weighted score when no scorer is named', () => {
    const cases = scoredCases(50, 0, 0).map((c) => ({ ...c, candidate: { ...c.candidate, score: 0 } }));
    const [c] = decide(cases, [criterion({ rule: 'non_inferior', margin: 0.03 })], options).criteria;
    expect(c).toMatchObject({ status: 'fail', name: 'non_inferior score' });
    expect(c!.reason).toMatch(/^score: /);
  });
});

describe('decide: superior and lower-is-better measures', () => {
  it('passes a clear gain above min_effect and fails when the gain is clearly below it', () => {
    const cases = scoredCases(100, 0.1, 0.03);
    const pass = decide(cases, [criterion({ rule: 'superior', scorer: 'close', min_effect: 0.02 })], options);
    expect(pass.criteria[0]).toMatchObject({ status: 'pass', boundary: 0.02 });
    const fail = decide(cases, [criterion({ rule: 'superior', scorer: 'close', min_effect: 0.3 })], options);
    expect(fail.criteria[0]).toMatchObject({ status: 'fail', boundary: 0.3 });
  });

  it('treats lower latency as better for non_inferior and superior', () => {
    const random = seededRandom('latency');
    const cases = Array.from({ length: 60 }, (_, i) => {
      const base = 800 + 200 * random();
      return {
        id: `c${i}`,
        tags: [],
        baseline: arm(0.7, { latencyMs: base }),
        candidate: arm(0.7, { latencyMs: base - 100 }),
      };
    });
    const ni = decide(cases, [criterion({ rule: 'non_inferior', measure: 'latency', margin: 50 })], options);
    expect(ni.criteria[0]).toMatchObject({ status: 'pass', boundary: 50, estimate: -100 });
    expect(ni.criteria[0]!.reason).toContain('≤ +50 shown');
    const sup = decide(
      cases,
      [criterion({ rule: 'superior', measure: 'latency', min_effect: 150 })],
      options,
    );
    expect(sup.criteria[0]).toMatchObject({ status: 'fail', boundary: -150 });
  });
});

describe('decide: how many more cases', () => {
  it("counts the cases a pass needs under the sign test's floor, not only the normal approximation", () => {
    // Three cases, every one +0.1: no spread, but 2^−3 = 0.125 > 0.05, so no pass before five.
    const cases = Array.from({ length: 3 }, (_, i) => ({
      id: `c${i}`,
      tags: [],
      baseline: arm(0.6),
      candidate: arm(0.7),
    }));
    const [c] = decide(cases, [nonInferior], options).criteria;
    expect(c).toMatchObject({ status: 'inconclusive', moreCases: 2 });
  });
});

describe('decide: latency and cost of a candidate that does not answer', () => {
  it('a candidate whose every call fails does not pass a latency or cost gate: nothing to compare', () => {
    const failing = Array.from({ length: 30 }, (_, i) => ({
      id: `case-${i}`,
      tags: [],
      baseline: arm(0.8, { latencyMs: 900, costUsd: 0.002 }),
      // Failed calls: quick and free, which must not read as 10× faster and free.
      candidate: arm(0, { latencyMs: 90, costUsd: 0, errors: 1 }),
    }));
    const result = decide(
      failing,
      [
        criterion({ rule: 'max_ratio', measure: 'latency', max: 1.1 }),
        criterion({ rule: 'max_ratio', measure: 'cost', max: 1.1 }),
      ],
      options,
    );
    expect(result.verdict).not.toBe('pass');
    expect(result.criteria.map((c) => c.status)).toEqual(['inconclusive', 'inconclusive']);
  });
});

describe('decide: max_ratio', () => {
  function latencyCases(factor: number, n = 80): PairedCase[] {
    const random = seededRandom('ratio', factor);
    return Array.from({ length: n }, (_, i) => {
      const base = 500 + 1000 * random();
      const cand = base * factor * (0.9 + 0.2 * random());
      return {
        id: `c${i}`,
        tags: [],
        baseline: arm(0.7, { latencyMs: base }),
        candidate: arm(0.7, { latencyMs: cand }),
      };
    });
  }
  const maxRatio = criterion({ rule: 'max_ratio', measure: 'latency', max: 1.2 });

  it('passes a candidate clearly under the ratio and fails one clearly over it', () => {
    const pass = decide(latencyCases(1.05), [maxRatio], options).criteria[0]!;
    expect(pass.status).toBe('pass');
    expect(pass.estimate!).toBeGreaterThan(1);
    expect(pass.estimate!).toBeLessThan(1.1);
    expect(pass.ci![1]).toBeLessThan(1.2);
    expect(pass.reason).toMatch(/^latency: ratio 1\.\d+ \(90 % CI .* ≤ 1\.2 shown/);
    const fail = decide(latencyCases(1.5), [maxRatio], options).criteria[0]!;
    expect(fail.status).toBe('fail');
    expect(fail.ci![0]).toBeGreaterThan(1.2);
  });

  it('is inconclusive, without NaN, when the baseline costs nothing', () => {
    const cases = latencyCases(1).map((c) => ({ ...c, baseline: { ...c.baseline, costUsd: 0 } }));
    const [c] = decide(
      cases,
      [criterion({ rule: 'max_ratio', measure: 'cost', max: 1.1 })],
      options,
    ).criteria;
    expect(c!.status).toBe('inconclusive');
    expect(c!.reason).toBe("cost: the baseline's mean cost is 0, so no ratio can be formed; inconclusive");
    expect(JSON.stringify(c)).not.toContain('NaN');
    expect(Object.values(c!).filter((v) => typeof v === 'number' && !Number.isFinite(v))).toEqual([]);
  });
});

describe('decide: pass measure and Holm', () => {
  it('reports exact McNemar on the discordant pairs', () => {
    // 10 cases pass on the baseline only, 2 on the candidate only, 28 on both.
    const cases: PairedCase[] = Array.from({ length: 40 }, (_, i) => {
      const before = i < 10 ? 1 : i < 12 ? 0 : 1;
      const after = i < 10 ? 0 : 1;
      return { id: `c${i}`, tags: [], baseline: arm(before), candidate: arm(after) };
    });
    const [c] = decide(
      cases,
      [criterion({ rule: 'non_inferior', scorer: 'close', measure: 'pass', margin: 0.05 })],
      options,
    ).criteria;
    expect(c!.mcnemar!.b).toBe(10);
    expect(c!.mcnemar!.c).toBe(2);
    expect(c!.mcnemar!.p.toFixed(4)).toBe('0.0386');
    expect(c!.estimate).toBeCloseTo(-0.2, 12);
    expect(c!.status).toBe('fail');
    expect(c!.reason).toContain(
      'exact McNemar: 10 pass on the baseline only, 2 on the candidate only, p 0.0386',
    );
  });

  it('adjusts p-values across the statistical criteria and shows each interval at its Holm level', () => {
    const cases = scoredCases(60, 0, 0.02);
    const criteria = [
      nonInferior,
      criterion({ rule: 'non_inferior', measure: 'latency', margin: 10 }),
      criterion({ rule: 'no_new_failures', scorer: 'close' }),
    ];
    const result = decide(cases, criteria, options);
    const [score, latency, nnf] = result.criteria;
    expect(result.verdict).toBe('pass');
    // Both reach the smallest p, 1/2001: ranks 1 and 2 of k = 2 → levels α/2 and α.
    expect(score!.pAdjusted).toBeCloseTo(2 / 2001, 12);
    expect(latency!.pAdjusted).toBeCloseTo(2 / 2001, 12);
    expect(score!.reason).toContain('(95 % CI');
    expect(latency!.reason).toContain('(90 % CI');
    expect(nnf!.p).toBeUndefined();
  });

  it('lets an untestable criterion count in the family without passing it', () => {
    const cases = scoredCases(30, 0, 0);
    const result = decide(cases, [nonInferior, criterion({ rule: 'superior', scorer: 'missing' })], options);
    expect(result.verdict).toBe('inconclusive');
    expect(result.criteria[0]!.status).toBe('pass');
    expect(result.criteria[1]).toMatchObject({ status: 'inconclusive', n: 0 });
    expect(result.criteria[1]!.reason).toBe('missing: no case has a value on both arms; inconclusive');
  });
});

describe('decide: edge cases', () => {
  it('passes with no criteria', () => {
    expect(decide(scoredCases(5, 0, 0), [], options)).toEqual({ verdict: 'pass', criteria: [], slices: [] });
  });

  it('is inconclusive on zero or one case without throwing', () => {
    const none = decide([], [nonInferior, criterion({ rule: 'no_new_failures' })], options);
    expect(none.verdict).toBe('inconclusive');
    expect(none.criteria[0]).toMatchObject({ status: 'inconclusive', n: 0 });
    expect(none.criteria[1]).toMatchObject({ status: 'pass', n: 0 });
    const one = decide(scoredCases(1, 0, 0), [nonInferior], options);
    expect(one.criteria[0]!.reason).toContain('only 1 case');
  });
});

describe('decide: slices', () => {
  it('decides each tag with enough cases on its own, without gating the verdict', () => {
    const good = scoredCases(60, 0, 0.01, 5, ['short']);
    const bad = scoredCases(25, -0.3, 0.02, 6, ['long']).map((c, i) => ({ ...c, id: `long-${i}` }));
    const tiny = scoredCases(5, 0, 0, 7, ['rare']).map((c, i) => ({ ...c, id: `rare-${i}` }));
    const all = [...good, ...bad, ...tiny];
    const loose = criterion({ rule: 'non_inferior', scorer: 'close', margin: 0.15 });
    const result = decide(all, [loose], options);
    expect(result.verdict).toBe('pass');
    expect(result.slices.map((s) => [s.tag, s.n, s.verdict])).toEqual([
      ['long', 25, 'fail'],
      ['short', 60, 'pass'],
    ]);
    expect(result.slices[0]!.criteria[0]!.n).toBe(25);
  });
});

describe('decide: resamples shared within a family', () => {
  const latencyRatio = criterion({ rule: 'max_ratio', measure: 'latency', max: 1.1 });
  const withLatency = scoredCases(60, 0, 0.1, 9).map((c, i) => ({
    ...c,
    baseline: { ...c.baseline, latencyMs: 900 + ((i * 37) % 200) },
    candidate: { ...c.candidate, latencyMs: 950 + ((i * 53) % 240) },
  }));
  const stream = (place: number, rule: string) => seededRandom('ballast-verdict', 'test', 'all', place, rule);
  const base = withLatency.map((c) => c.baseline.latencyMs);
  const cand = withLatency.map((c) => c.candidate.latencyMs);

  it("bootstraps the criteria that cover every case on the first one's draws", () => {
    const both = decide(withLatency, [nonInferior, latencyRatio], options);
    // The first criterion keeps the p-value it has alone: its stream is unchanged.
    expect(both.criteria[0]!.p).toBe(decide(withLatency, [nonInferior], options).criteria[0]!.p);
    // The second is bootstrapped on the first one's stream.
    const ratio = bootstrapRatioOfMeans(base, cand, { random: stream(0, 'non_inferior'), resamples: 2000 });
    expect(both.criteria[1]!.p).toBe(pValueAtLeast(ratio, 1.1));
    const own = bootstrapRatioOfMeans(base, cand, { random: stream(1, 'max_ratio'), resamples: 2000 });
    // (which is not the stream it would have on its own)
    expect(own.replicates).not.toEqual(ratio.replicates);
  });

  it('gives a criterion that leaves cases out a stream of its own', () => {
    const unscored = (a: ArmSummary): ArmSummary => ({ ...a, scorerScores: {}, scorerPassRates: {} });
    const partial = withLatency.map((c, i) =>
      i % 3 === 0 ? { ...c, baseline: unscored(c.baseline), candidate: unscored(c.candidate) } : c,
    );
    const result = decide(partial, [latencyRatio, nonInferior], options);
    expect(result.criteria[1]!.n).toBe(40);
    const kept = partial.filter((_, i) => i % 3 !== 0);
    const diffs = kept.map((c) => c.candidate.score - c.baseline.score);
    const dist = bootstrapMean(diffs, { random: stream(1, 'non_inferior'), resamples: 2000 });
    expect(result.criteria[1]!.p).toBe(Math.max(pValueAtMost(dist, -0.03), 0.5 ** 40));
  });
});
