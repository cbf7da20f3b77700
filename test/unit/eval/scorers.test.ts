import { describe, expect, it } from 'vitest';
import { isBallastError } from '../../../src/core/errors.js';
import {
  createScorer,
  DETERMINISTIC_SCORER_TYPES,
  isDeterministic,
  isModelGraded,
  parseScorerType,
  weightedScore,
} from '../../../src/core/eval/scorers/index.js';
import { SCORER_TYPES } from '../../../src/core/spec/vocabulary.js';
import { input, score, spec } from '../../support/scorer-fixtures.js';

/** One case and its call, shared by these tests. */

const pass = (type: string, extra: Record<string, unknown>, output: string) =>
  score(type, extra, output).pass;

describe('text scorers', () => {
  it('equals: exact text, surrounding whitespace ignored', () => {
    expect(score('equals', { value: 'Paris' }, ' Paris\n')).toMatchObject({ score: 1, pass: true });
    expect(score('equals', { value: 'Paris' }, 'paris')).toMatchObject({ score: 0, pass: false });
    expect(pass('equals', { value: 42 }, '42')).toBe(true);
  });

  it('equals: objects compare as JSON, key order free', () => {
    expect(pass('equals', { value: { a: 1, b: [1, 2] } }, '{"b":[1,2],"a":1}')).toBe(true);
    expect(pass('equals', { value: { a: 1 } }, '{"a":2}')).toBe(false);
    expect(score('equals', { value: { a: 1 } }, 'not json').reason).toContain('not JSON');
  });

  it('contains and icontains', () => {
    expect(pass('contains', { value: 'Paris' }, 'It is Paris.')).toBe(true);
    expect(pass('contains', { value: 'Paris' }, 'It is PARIS.')).toBe(false);
    expect(pass('icontains', { value: 'paris' }, 'It is PARIS.')).toBe(true);
    expect(pass('icontains', { value: 'Lyon' }, 'It is PARIS.')).toBe(false);
  });

  it('contains-any and contains-all, with lists, JSON lists and comma lists', () => {
    expect(pass('contains-any', { value: ['Lyon', 'Paris'] }, 'Paris')).toBe(true);
    expect(pass('contains-any', { value: ['Lyon', 'Nice'] }, 'Paris')).toBe(false);
    expect(pass('contains-any', { value: 'Lyon, Paris' }, 'Paris')).toBe(true);
    expect(pass('contains-all', { value: ['Paris', 'France'] }, 'Paris, France')).toBe(true);
    const partial = score('contains-all', { value: ['Paris', 'France', 'Europe'] }, 'Paris, France');
    // All or nothing: two of three is a fail even under the default threshold of 0.5.
    expect(partial).toMatchObject({ score: 0, pass: false });
    expect(partial.reason).toContain('2 of 3');
    expect(partial.reason).toContain('Europe');
  });

  it('regex', () => {
    expect(pass('regex', { value: '^Paris\\b' }, 'Paris is the capital')).toBe(true);
    expect(pass('regex', { value: '^\\d+$' }, 'Paris')).toBe(false);
  });

  it('starts-with ignores leading whitespace', () => {
    expect(pass('starts-with', { value: 'Paris' }, '\n Paris is')).toBe(true);
    expect(pass('starts-with', { value: 'Paris' }, 'The capital is Paris')).toBe(false);
  });

  it('levenshtein: similarity = 1 − distance / max length, pass by threshold', () => {
    const close = score('levenshtein', { value: 'Paris' }, 'Pari');
    expect(close.score).toBeCloseTo(0.8, 10);
    expect(close.pass).toBe(true);
    expect(close.reason).toContain('edit distance 1');
    expect(close.reason).toContain('threshold 0.5');
    expect(score('levenshtein', { value: 'Paris', threshold: 0.9 }, 'Pari').pass).toBe(false);
    expect(score('levenshtein', { value: 'abc' }, 'xyz').score).toBe(0);
    expect(score('levenshtein', { value: '' }, '  ').score).toBe(1);
  });
});

describe('measure scorers', () => {
  it('word-count: a limit, or {min, max}', () => {
    expect(pass('word-count', { value: 3 }, 'one two three')).toBe(true);
    expect(pass('word-count', { value: 2 }, 'one two three')).toBe(false);
    expect(pass('word-count', { value: { min: 2, max: 4 } }, 'one two three')).toBe(true);
    expect(pass('word-count', { value: { min: 4 } }, 'one two three')).toBe(false);
    expect(score('word-count', { value: { min: 2, max: 4 } }, 'one').reason).toBe(
      'The output has 1 word; allowed: 2 to 4, so word-count fails.',
    );
  });

  it('max-latency and max-cost read the call, not the output', () => {
    expect(score('max-latency', { value: 200 }, 'x', { latencyMs: 150 }).pass).toBe(true);
    const slow = score('max-latency', { value: 200 }, 'x', { latencyMs: 250 });
    expect(slow.pass).toBe(false);
    expect(slow.reason).toBe(
      "The call's latency was 250 ms, over the limit of 200 ms, so max-latency fails.",
    );
    expect(score('max-cost', { value: 0.001 }, 'x', { costUsd: 0.0004 }).pass).toBe(true);
    expect(score('max-cost', { value: 0.0001 }, 'x', { costUsd: 0.0004 }).pass).toBe(false);
  });
});

describe('negation, threshold, weight, name', () => {
  it('not- inverts score and pass and says so', () => {
    const s = score('not-contains', { value: 'Paris' }, 'It is Paris.');
    expect(s).toMatchObject({ scorer: 'not-contains', score: 0, pass: false });
    expect(s.reason).toBe('The output contains "Paris": contains would pass, so not-contains fails.');
    expect(score('not-contains', { value: 'Lyon' }, 'It is Paris.')).toMatchObject({ score: 1, pass: true });
  });

  it('not- on a graded score: 1 − s, pass is the base pass inverted', () => {
    const s = score('not-levenshtein', { value: 'Paris', threshold: 0.9 }, 'Pari');
    expect(s.score).toBeCloseTo(0.2, 10);
    expect(s.pass).toBe(true);
  });

  it('threshold decides pass from the score', () => {
    expect(score('levenshtein', { value: 'abcdefghij', threshold: 0.7 }, 'abcdefgXYZ').pass).toBe(true);
    expect(score('levenshtein', { value: 'abcdefghij', threshold: 0.71 }, 'abcdefgXYZ').pass).toBe(false);
    expect(score('contains', { value: 'x', threshold: 1 }, 'x').pass).toBe(true);
    expect(score('contains', { value: 'x', threshold: 0 }, 'y').pass).toBe(true);
  });

  it('carries weight and name', () => {
    expect(score('contains', { value: 'x', weight: 3, name: 'has-x' }, 'x')).toMatchObject({
      scorer: 'has-x',
      weight: 3,
    });
    expect(score('contains', { value: 'x' }, 'x').weight).toBe(1);
  });
});

describe('templates in values', () => {
  it('renders {{var}} from the input vars', () => {
    expect(pass('contains', { value: '{{reference}}' }, 'It is Paris.')).toBe(true);
    expect(pass('equals', { value: '{{ reference }}' }, 'Lyon')).toBe(false);
    expect(pass('contains-all', { value: ['{{reference}}', '{{country}}'] }, 'Paris, France')).toBe(true);
    expect(pass('contains-any', { value: '{{keywords}}' }, 'France')).toBe(true);
    expect(score('levenshtein', { value: '{{reference}}' }, 'Paris').score).toBe(1);
    expect(pass('regex', { value: '^{{reference}}$' }, 'Paris')).toBe(true);
    expect(pass('word-count', { value: '{{limit}}' }, 'a b c')).toBe(false);
    expect(pass('word-count', { value: '{{limit}}' }, 'a b')).toBe(true);
    expect(pass('max-latency', { value: '{{limit}}' }, 'x')).toBe(false);
  });

  it('a variable the case lacks fails, negated or not, and names the variable', () => {
    for (const type of ['contains', 'not-contains']) {
      const s = score(type, { value: '{{nickname}}' }, 'anything');
      expect(s).toMatchObject({ score: 0, pass: false });
      expect(s.reason).toContain('{{nickname}}');
      expect(s.reason).toContain('capital');
    }
  });

  it('a rendered pattern that does not compile fails, negated or not', () => {
    const vars = { ...input('x').vars, pattern: '(' };
    for (const type of ['regex', 'not-regex']) {
      const s = createScorer(spec(type, { value: '{{pattern}}' }))(input('x', { vars }));
      expect(s.pass).toBe(false);
      expect(s.reason).toContain('not a valid regular expression');
    }
  });
});

describe('createScorer errors', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return isBallastError(error) ? error.code : 'other';
    }
    return 'none';
  };

  it('model-graded and custom types are for the runner: BALLAST_ERR_USAGE', () => {
    expect(code(() => createScorer(spec('llm-rubric', { rubric: 'r', judge: 'j' })))).toBe(
      'BALLAST_ERR_USAGE',
    );
    expect(code(() => createScorer(spec('not-pairwise', { judge: 'j' })))).toBe('BALLAST_ERR_USAGE');
    expect(code(() => createScorer(spec('custom', { module: 'm.js' })))).toBe('BALLAST_ERR_USAGE');
  });

  it('a value of the wrong shape is a spec error, found when the scorer is built', () => {
    expect(code(() => createScorer(spec('contains-any', { value: 42 })))).toBe('BALLAST_ERR_SPEC');
    expect(code(() => createScorer(spec('word-count', { value: { min: 5, max: 2 } })))).toBe(
      'BALLAST_ERR_SPEC',
    );
    expect(code(() => createScorer(spec('max-latency', { value: 'soon' })))).toBe('BALLAST_ERR_SPEC');
    expect(code(() => createScorer(spec('contains', { value: { a: 1 } })))).toBe('BALLAST_ERR_SPEC');
    expect(code(() => createScorer({ ...spec('contains', { value: 'x' }), type: 'nope' }))).toBe(
      'BALLAST_ERR_SPEC',
    );
  });
});

describe('scorer kinds', () => {
  it('every scorer type is deterministic here or built by the runner', () => {
    for (const type of SCORER_TYPES) {
      expect(isDeterministic(type) || isModelGraded(type) || type === 'custom', type).toBe(true);
      expect(isDeterministic(`not-${type}`)).toBe(isDeterministic(type));
    }
    expect(DETERMINISTIC_SCORER_TYPES).toHaveLength(SCORER_TYPES.length - 3);
  });

  it('isModelGraded sees through not-', () => {
    expect(isModelGraded('llm-rubric')).toBe(true);
    expect(isModelGraded('not-pairwise')).toBe(true);
    expect(isModelGraded('contains')).toBe(false);
    expect(parseScorerType('not-is-json')).toEqual({ base: 'is-json', negated: true });
  });
});

describe('weightedScore', () => {
  it('is Σ w·s / Σ w', () => {
    expect(
      weightedScore([
        { score: 1, weight: 3 },
        { score: 0, weight: 1 },
      ]),
    ).toBe(0.75);
  });

  it('ignores weight-0 scores and gives 0 when nothing counts', () => {
    expect(
      weightedScore([
        { score: 0, weight: 0 },
        { score: 0.5, weight: 2 },
      ]),
    ).toBe(0.5);
    expect(weightedScore([])).toBe(0);
    expect(weightedScore([{ score: 1, weight: 0 }])).toBe(0);
  });
});
