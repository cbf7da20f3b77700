import { describe, expect, it } from 'vitest';
import { fromPromptfooAssertion } from '../../../src/core/eval/scorers/from-promptfoo-assertion.js';

const map = (raw: unknown, judge?: string) =>
  fromPromptfooAssertion(raw, 'tests[0].assert[0]', judge === undefined ? {} : { judge });

describe('fromPromptfooAssertion', () => {
  it.each(['equals', 'contains', 'icontains', 'contains-any', 'contains-all', 'regex', 'starts-with'])(
    'maps %s and not-%s one to one',
    (type) => {
      expect(map({ type, value: 'x' })).toEqual({
        spec: { type, value: 'x', threshold: 0.5, weight: 1 },
        warnings: [],
      });
      expect(map({ type: `not-${type}`, value: 'x' }).spec?.type).toBe(`not-${type}`);
    },
  );

  it('keeps weight, a 0..1 threshold and the metric as the name', () => {
    expect(map({ type: 'contains', value: 'x', weight: 3, threshold: 0.9, metric: 'has-x' }).spec).toEqual({
      type: 'contains',
      value: 'x',
      weight: 3,
      threshold: 0.9,
      name: 'has-x',
    });
  });

  it('drops a metric that is not a valid name, with a warning', () => {
    const m = map({ type: 'contains', value: 'x', metric: 'has x?' });
    expect(m.spec?.name).toBeUndefined();
    expect(m.warnings[0]).toContain('metric "has x?"');
  });

  it('is-json, with a value → json-schema; contains-json → is-json with a note', () => {
    expect(map({ type: 'is-json' }).spec?.type).toBe('is-json');
    expect(map({ type: 'is-json', value: { type: 'object' } }).spec).toMatchObject({
      type: 'json-schema',
      value: { type: 'object' },
    });
    const cj = map({ type: 'not-contains-json' });
    expect(cj.spec?.type).toBe('not-is-json');
    expect(cj.warnings[0]).toContain('whole output');
  });

  it('levenshtein: a max edit distance becomes a similarity threshold', () => {
    const m = map({ type: 'levenshtein', value: 'abcdefghij', threshold: 2 });
    expect(m.spec).toMatchObject({ type: 'levenshtein', value: 'abcdefghij' });
    expect(m.spec?.threshold).toBeCloseTo(0.8, 10);
    expect(m.warnings[0]).toContain('edit distance ≤ 2 becomes similarity ≥ 0.80');
    expect(map({ type: 'levenshtein', value: 'abcdefghij' }).spec?.threshold).toBeCloseTo(0.5, 10);
    expect(map({ type: 'levenshtein', value: '{{reference}}' }).spec?.threshold).toBe(0.5);
  });

  it('latency and cost: the threshold is the limit', () => {
    expect(map({ type: 'latency', threshold: 1500 }).spec).toMatchObject({
      type: 'max-latency',
      value: 1500,
    });
    expect(map({ type: 'cost', threshold: 0.01 }).spec).toMatchObject({
      type: 'max-cost',
      value: 0.01,
      threshold: 0.5,
    });
    expect(map({ type: 'latency' }).warnings[0]).toContain('latency needs a threshold');
  });

  it('is-refusal → refusal', () => {
    expect(map({ type: 'not-is-refusal' }).spec?.type).toBe('not-refusal');
  });

  it('llm-rubric needs a judge variant', () => {
    expect(map({ type: 'llm-rubric', value: 'is polite' }).spec).toBeUndefined();
    expect(map({ type: 'llm-rubric', value: 'is polite' }).warnings[0]).toContain('needs a judge');
    expect(map({ type: 'llm-rubric', value: 'is polite', threshold: 0.7 }, 'grader').spec).toEqual({
      type: 'llm-rubric',
      rubric: 'is polite',
      judge: 'grader',
      threshold: 0.7,
      weight: 1,
    });
  });

  it.each([
    ['javascript', 'port it to a scorer module'],
    ['python', 'port it to a scorer module'],
    ['similar', 'embedding'],
    ['factuality', 'rewrite it as llm-rubric'],
    ['assert-set', 'one by one'],
    ['rouge-n', 'no equivalent'],
    ['icontains-any', 'regex'],
  ])('%s is skipped with a message naming the type, the test and what to do', (type, hint) => {
    const m = map({ type, value: 'x' });
    expect(m.spec).toBeUndefined();
    expect(m.warnings).toHaveLength(1);
    expect(m.warnings[0]).toContain(`"${type}"`);
    expect(m.warnings[0]).toContain('tests[0].assert[0]');
    expect(m.warnings[0]).toContain(hint);
  });

  it('reports values read from files, missing types and non-mappings', () => {
    expect(map({ type: 'contains', value: 'file://expected.txt' }).warnings[0]).toContain(
      'file://expected.txt',
    );
    expect(map({ value: 'x' }).warnings[0]).toContain('has no type');
    expect(map('contains').warnings[0]).toContain('not a mapping');
  });

  it('reports a missing value through the Ballast schema', () => {
    const m = map({ type: 'contains' });
    expect(m.spec).toBeUndefined();
    expect(m.warnings[0]).toContain('contains needs value');
  });

  it('notes keys it ignores', () => {
    expect(map({ type: 'contains', value: 'x', transform: 'output.trim()' }).warnings[0]).toContain(
      '"transform" is ignored',
    );
  });
});
