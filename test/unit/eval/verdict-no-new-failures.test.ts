import { describe, expect, it } from 'vitest';
import type { ArmSummary, PairedCase } from '../../../src/core/eval/types.js';
import { decide } from '../../../src/core/eval/verdict.js';
import { criterionSchema } from '../../../src/core/spec/change-schema.js';

const options = { alpha: 0.05, minSlice: 100, seed: 'nnf', resamples: 2000 };

function arm(pass: boolean, scorers: Record<string, boolean> = { mentions: pass }): ArmSummary {
  const rates = Object.fromEntries(Object.entries(scorers).map(([k, v]) => [k, v ? 1 : 0]));
  return {
    samples: 1,
    score: pass ? 1 : 0,
    scorerScores: rates,
    passRate: pass ? 1 : 0,
    scorerPassRates: rates,
    pass,
    latencyMs: 100,
    costUsd: 0,
    errors: 0,
    flaky: false,
  };
}

function pc(id: string, tags: string[], before: boolean, after: boolean): PairedCase {
  return { id, tags, baseline: arm(before), candidate: arm(after) };
}

const rule = criterionSchema.parse({ rule: 'no_new_failures', scorer: 'mentions', measure: 'pass' });

describe('no_new_failures', () => {
  it('fails on a critical case that passes on the baseline and fails on the candidate, listing it', () => {
    const cases = [
      pc('reset-password', ['critical'], true, false),
      pc('refund', ['critical'], false, false), // failing on both: not new
      pc('greeting', [], true, false), // not critical
      pc('billing', ['critical', 'account'], true, true),
    ];
    const result = decide(cases, [rule], options);
    expect(result.verdict).toBe('fail');
    expect(result.criteria[0]).toMatchObject({
      name: 'no_new_failures mentions critical',
      status: 'fail',
      n: 3,
      regressions: ['reset-password'],
      baselineMean: 2 / 3,
      candidateMean: 1 / 3,
    });
    expect(result.criteria[0]!.reason).toBe(
      'mentions: 1 of 3 cases tagged critical pass on the baseline and fail on the candidate (reset-password); fail',
    );
    expect(result.criteria[0]!.p).toBeUndefined();
  });

  it('passes when no critical case regresses, whatever the averages', () => {
    const cases = [
      pc('a', ['critical'], false, true),
      pc('b', ['critical'], true, true),
      pc('c', [], true, false),
    ];
    const [c] = decide(cases, [rule], options).criteria;
    expect(c).toMatchObject({ status: 'pass', n: 2, regressions: [] });
    expect(c!.reason).toBe(
      'mentions: none of the 2 cases tagged critical passes on the baseline and fails on the candidate; pass',
    );
  });

  it('passes with a reason when no case has the tag', () => {
    const [c] = decide([pc('a', [], true, false)], [rule], options).criteria;
    expect(c).toMatchObject({ status: 'pass', n: 0, regressions: [] });
    expect(c!.reason).toBe('mentions: no case is tagged critical, so none can regress; pass');
  });

  it('uses the case verdict without a scorer, and a custom tag', () => {
    const cases = [pc('a', ['vip'], true, false), pc('b', ['critical'], true, false)];
    const [c] = decide(
      cases,
      [criterionSchema.parse({ rule: 'no_new_failures', tag: 'vip' })],
      options,
    ).criteria;
    expect(c).toMatchObject({ status: 'fail', regressions: ['a'] });
    expect(c!.reason).toMatch(/^all scorers: 1 of 1 cases tagged vip/);
  });

  it('counts a candidate whose calls all failed (no scores) as failing', () => {
    const broken: PairedCase = {
      id: 'x',
      tags: ['critical'],
      baseline: arm(true),
      candidate: arm(false, {}),
    };
    const [c] = decide([broken], [rule], options).criteria;
    expect(c).toMatchObject({ status: 'fail', regressions: ['x'] });
    // A scorer that scored neither arm does not apply to the case.
    const [other] = decide(
      [broken],
      [criterionSchema.parse({ rule: 'no_new_failures', scorer: 'absent' })],
      options,
    ).criteria;
    expect(other!.reason).toContain('none of the 1 cases tagged critical was scored on both arms');
  });

  it('lists at most five regressions in the reason and all of them in the result', () => {
    const cases = Array.from({ length: 8 }, (_, i) => pc(`c${i}`, ['critical'], true, false));
    const [c] = decide(cases, [rule], options).criteria;
    expect(c!.regressions).toHaveLength(8);
    expect(c!.reason).toContain('(c0, c1, c2, c3, c4 and 3 more)');
  });
});
