import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArmSummary, PairedCase } from '../../../src/core/eval/types.js';
import { decide } from '../../../src/core/eval/verdict.js';
import { criterionSchema } from '../../../src/core/spec/change-schema.js';
import { CRITERION_MEASURES, CRITERION_RULES } from '../../../src/core/spec/vocabulary.js';

const unit = fc.oneof(fc.constantFrom(0, 0.5, 1), fc.double({ min: 0, max: 1, noNaN: true }));
const amount = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e5, noNaN: true }));

const arms: fc.Arbitrary<ArmSummary> = fc
  .record({
    samples: fc.integer({ min: 1, max: 5 }),
    score: unit,
    passRate: unit,
    scorers: fc.dictionary(fc.constantFrom('a', 'b'), fc.tuple(unit, unit)),
    latencyMs: amount,
    costUsd: amount,
    errors: fc.integer({ min: 0, max: 5 }),
  })
  .map(({ scorers, ...a }) => ({
    ...a,
    scorerScores: Object.fromEntries(Object.entries(scorers).map(([k, [s]]) => [k, s])),
    scorerPassRates: Object.fromEntries(Object.entries(scorers).map(([k, [, p]]) => [k, p])),
    pass: a.passRate >= 0.5,
    flaky: a.passRate > 0 && a.passRate < 1,
  }));

const cases: fc.Arbitrary<PairedCase[]> = fc.array(
  fc.record({
    id: fc.string({ maxLength: 4 }),
    tags: fc.subarray(['critical', 'long', 'x']),
    baseline: arms,
    candidate: arms,
  }),
  { maxLength: 12 },
);

const criteria = fc.array(
  fc
    .record({
      rule: fc.constantFrom(...CRITERION_RULES),
      measure: fc.constantFrom(...CRITERION_MEASURES),
      scorer: fc.option(fc.constantFrom('a', 'b', 'missing'), { nil: undefined }),
      margin: fc.double({ min: 0, max: 1, noNaN: true }),
      min_effect: fc.double({ min: 0, max: 1, noNaN: true }),
      max: fc.double({ min: 0.01, max: 10, noNaN: true }),
      tag: fc.constantFrom('critical', 'long', 'none'),
    })
    .map((c) => criterionSchema.parse(c)),
  { maxLength: 4 },
);

/** Every number anywhere in the result is finite. */
function numbers(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'number' && !Number.isFinite(value)) out.push(`${path}=${value}`);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) numbers(v, `${path}[${i}]`, out);
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) numbers(v, `${path}.${k}`, out);
  }
}

describe('decide (property)', () => {
  it('never throws and never outputs NaN or an infinite number', () => {
    fc.assert(
      fc.property(
        cases,
        criteria,
        fc.double({ min: 0.001, max: 0.49, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        (cs, cr, alpha, minSlice) => {
          const result = decide(cs, cr, { alpha, minSlice, seed: 'fuzz', resamples: 2000 });
          const bad: string[] = [];
          numbers(result, 'result', bad);
          expect(bad).toEqual([]);
          // JSON turns NaN and ±Infinity into null: a round trip would change the result.
          expect(JSON.parse(JSON.stringify(result))).toEqual(result);
          expect(result.criteria).toHaveLength(cr.length);
          for (const c of [...result.criteria, ...result.slices.flatMap((s) => s.criteria)]) {
            expect(c.reason).not.toMatch(/NaN|undefined|Infinity/);
            if (c.ci !== undefined) expect(c.ci[0]).toBeLessThanOrEqual(c.ci[1]);
          }
          if (cr.some((c) => c.rule !== 'no_new_failures') && cs.length < 2)
            expect(result.verdict).not.toBe('pass');
        },
      ),
      { numRuns: 300, seed: 20_260_404 },
    );
  });
});
