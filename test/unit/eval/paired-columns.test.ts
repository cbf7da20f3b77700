import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summariseArm } from '../../../src/core/eval/aggregate.js';
import { PairedColumns } from '../../../src/core/eval/paired-columns.js';
import type { ArmSummary, SampleResult } from '../../../src/core/eval/types.js';

const SCORERS = ['exact', 'close', 'judge', 'custom'] as const;

/** Samples of one arm on one case: any scorers, any values, failures included. */
const samplesArb = fc
  .array(
    fc.record({
      scores: fc.uniqueArray(
        fc.record({
          scorer: fc.constantFrom(...SCORERS),
          score: fc.double({ min: 0, max: 1, noNaN: true }),
          pass: fc.boolean(),
        }),
        { selector: (s) => s.scorer, maxLength: 4 },
      ),
      latencyMs: fc.double({ min: 0, max: 1e5, noNaN: true }),
      costUsd: fc.double({ min: 0, max: 10, noNaN: true }),
      failed: fc.boolean(),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((drawn) =>
    drawn.map(
      (d, sample): SampleResult => ({
        caseId: 'c',
        arm: 'baseline',
        sample,
        output: '',
        scores: d.scores.map((s) => ({ ...s, reason: '', weight: 1 })),
        score: d.scores.length === 0 ? 0 : d.scores.reduce((a, s) => a + s.score, 0) / d.scores.length,
        pass: !d.failed && d.scores.every((s) => s.pass),
        latencyMs: d.latencyMs,
        costUsd: d.costUsd,
        ...(d.failed
          ? {
              failure: {
                kind: 'upstream' as const,
                message: 'upstream 500',
                status: 500,
                attempts: 1,
                latencyMs: 5,
              },
            }
          : {}),
      }),
    ),
  );

describe('PairedColumns', () => {
  it('gives back exactly the summaries it was given, whatever the row order and scorers', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(samplesArb, samplesArb), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 1000 }),
        (cases, shift) => {
          const columns = new PairedColumns(cases.length);
          const expected: { baseline: ArmSummary; candidate: ArmSummary }[] = [];
          // Rows are written out of order, as cases finish in a run.
          for (let k = 0; k < cases.length; k++) {
            const row = (k * 7 + shift) % cases.length;
            if (expected[row] !== undefined) continue;
            const [b, c] = cases[row]!;
            const pair = { baseline: summariseArm(b), candidate: summariseArm(c) };
            expected[row] = pair;
            columns.set(row, pair.baseline, pair.candidate);
          }
          for (let row = 0; row < cases.length; row++) {
            if (expected[row] === undefined) {
              expect(columns.get(row)).toBeUndefined();
              expect(columns.view(row)).toBeUndefined();
            } else {
              expect(columns.get(row)).toEqual(expected[row]);
              // A view reads the same values, field by field (it has no own properties to compare).
              const view = columns.view(row)!;
              for (const arm of ['baseline', 'candidate'] as const)
                for (const key of Object.keys(expected[row]![arm]) as (keyof ArmSummary)[])
                  expect(view[arm][key]).toEqual(expected[row]![arm][key]);
            }
          }
        },
      ),
    );
  });

  it('leaves rows never set absent, and a scorer missing from a row absent in that row', () => {
    const columns = new PairedColumns(3);
    const arm = (scorerScores: Record<string, number>): ArmSummary => ({
      samples: 2,
      score: 0.5,
      scorerScores,
      passRate: 0.5,
      scorerPassRates: Object.fromEntries(Object.keys(scorerScores).map((k) => [k, 1])),
      pass: true,
      latencyMs: 12.5,
      costUsd: 0.001,
      errors: 1,
      flaky: true,
    });
    columns.set(0, arm({ a: 1 }), arm({}));
    columns.set(2, arm({ b: 0.25 }), arm({ a: 0, b: 1 }));
    expect(columns.has(1)).toBe(false);
    expect(columns.get(1)).toBeUndefined();
    expect(columns.get(0)).toEqual({ baseline: arm({ a: 1 }), candidate: arm({}) });
    expect(columns.get(2)).toEqual({ baseline: arm({ b: 0.25 }), candidate: arm({ a: 0, b: 1 }) });
    // Written again with fewer scorers: the dropped one reads as absent.
    const view = columns.view(2)!;
    columns.set(2, arm({}), arm({ b: 1 }));
    expect(columns.get(2)).toEqual({ baseline: arm({}), candidate: arm({ b: 1 }) });
    // A view taken before reads the columns, so it sees the new values.
    expect(view.baseline.scorerScores).toEqual({});
    expect(view.candidate.scorerScores).toEqual({ b: 1 });
    expect(view.candidate.scorerPassRates).toEqual({ b: 1 });
    expect(view.candidate).toMatchObject({ samples: 2, pass: true, flaky: true, errors: 1 });
  });

  it('refuses a row outside its size', () => {
    const columns = new PairedColumns(2);
    const a = summariseArm([]);
    expect(() => columns.set(2, a, a)).toThrow(RangeError);
    expect(() => columns.set(-1, a, a)).toThrow(RangeError);
    expect(() => columns.set(0.5, a, a)).toThrow(RangeError);
  });
});
