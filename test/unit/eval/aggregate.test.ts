import { describe, expect, it } from 'vitest';
import { pairCases, summariseArm } from '../../../src/core/eval/aggregate.js';
import type { Arm, SampleResult, Score } from '../../../src/core/eval/types.js';

function score(scorer: string, value: number, threshold = 0.5): Score {
  return { scorer, score: value, pass: value >= threshold, reason: '', weight: 1 };
}

function sample(
  caseId: string,
  arm: Arm,
  n: number,
  scores: Score[],
  extra: Partial<SampleResult> = {},
): SampleResult {
  const total = scores.length === 0 ? 0 : scores.reduce((s, x) => s + x.score, 0) / scores.length;
  return {
    caseId,
    arm,
    sample: n,
    output: '',
    scores,
    score: total,
    pass: scores.length > 0 && scores.every((s) => s.pass),
    latencyMs: 100,
    costUsd: 0.001,
    ...extra,
  };
}

describe('summariseArm', () => {
  it('averages repeats within the case', () => {
    const s = summariseArm([
      sample('a', 'baseline', 0, [score('exact', 1), score('close', 0.8)], {
        latencyMs: 100,
        costUsd: 0.002,
      }),
      sample('a', 'baseline', 1, [score('exact', 0), score('close', 0.6)], {
        latencyMs: 300,
        costUsd: 0.004,
      }),
    ]);
    expect(s.samples).toBe(2);
    expect(s.score).toBeCloseTo((0.9 + 0.3) / 2, 14);
    expect(s.scorerScores).toEqual({ exact: 0.5, close: 0.7 });
    expect(s.scorerPassRates).toEqual({ exact: 0.5, close: 1 });
    expect(s.passRate).toBe(0.5);
    expect(s.latencyMs).toBe(200);
    expect(s.costUsd).toBeCloseTo(0.003, 15);
  });

  it('passes a case when at least half its samples pass, and flags disagreement as flaky', () => {
    const pass = sample('a', 'candidate', 0, [score('x', 1)]);
    const fail = sample('a', 'candidate', 1, [score('x', 0)]);
    expect(summariseArm([pass, fail])).toMatchObject({ pass: true, flaky: true });
    expect(summariseArm([pass, fail, { ...fail, sample: 2 }])).toMatchObject({ pass: false, flaky: true });
    expect(summariseArm([pass, { ...pass, sample: 1 }])).toMatchObject({ pass: true, flaky: false });
    expect(summariseArm([fail])).toMatchObject({ pass: false, flaky: false });
  });

  it('times and prices the answers: a failed call is quick and free, and counts in neither mean', () => {
    const ok = sample('a', 'candidate', 0, [score('x', 1)], { latencyMs: 900, costUsd: 0.003 });
    const failed = sample('a', 'candidate', 1, [], {
      latencyMs: 5,
      costUsd: 0,
      failure: { kind: 'upstream', message: '500', attempts: 1, latencyMs: 5 },
    });
    expect(summariseArm([ok, failed])).toMatchObject({ latencyMs: 900, costUsd: 0.003, errors: 1 });
    // Nothing answered: the failures' own figures (shown in reports; criteria leave the case out).
    expect(summariseArm([failed])).toMatchObject({ latencyMs: 5, costUsd: 0, errors: 1 });
  });

  it('counts failed calls as errors and as zero for every scorer', () => {
    const ok = sample('a', 'candidate', 0, [score('x', 1)]);
    const failed = sample('a', 'candidate', 1, [], {
      failure: { kind: 'timeout', message: 'timed out', attempts: 3, latencyMs: 30_000 },
    });
    const s = summariseArm([ok, failed]);
    expect(s.errors).toBe(1);
    expect(s.scorerScores).toEqual({ x: 0.5 });
    expect(s.scorerPassRates).toEqual({ x: 0.5 });
    expect(s.score).toBe(0.5);
  });

  it('gives zeros for no samples', () => {
    expect(summariseArm([])).toMatchObject({ samples: 0, score: 0, passRate: 0, pass: false, errors: 0 });
  });
});

describe('pairCases', () => {
  const cases = [
    { id: 'c1', tags: ['critical'] },
    { id: 'c2', tags: [] },
    { id: 'c3', tags: ['long'] },
  ];

  it('pairs cases with samples on both arms, in dataset order', () => {
    const results = [
      sample('c3', 'candidate', 0, [score('x', 1)]),
      sample('c1', 'baseline', 0, [score('x', 1)]),
      sample('c3', 'baseline', 0, [score('x', 0)]),
      sample('c1', 'candidate', 0, [score('x', 0)]),
      sample('c2', 'baseline', 0, [score('x', 1)]), // no candidate sample: left out
      sample('zz', 'baseline', 0, [score('x', 1)]), // not in the dataset: ignored
      sample('zz', 'candidate', 0, [score('x', 1)]),
    ];
    const paired = pairCases(results, cases);
    expect(paired.map((p) => p.id)).toEqual(['c1', 'c3']);
    expect(paired[0]).toMatchObject({
      tags: ['critical'],
      baseline: { pass: true },
      candidate: { pass: false },
    });
    expect(paired[1]).toMatchObject({ tags: ['long'], baseline: { score: 0 }, candidate: { score: 1 } });
  });

  it('does not depend on the order samples arrive in, and pairs a repeated id once', () => {
    const a = sample('c1', 'baseline', 0, [score('x', 0.2)]);
    const b = sample('c1', 'baseline', 1, [score('x', 0.9)]);
    const c = sample('c1', 'candidate', 0, [score('x', 0.5)]);
    const forward = pairCases([a, b, c], [...cases, cases[0]!]);
    const backward = pairCases([c, b, a], cases);
    expect(forward).toEqual(backward);
    expect(forward).toHaveLength(1);
    expect(forward[0]!.baseline.samples).toBe(2);
  });
});
