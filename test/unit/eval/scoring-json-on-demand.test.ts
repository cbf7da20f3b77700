import { describe, expect, it } from 'vitest';
import { createScoring } from '../../../src/app/eval/scoring.js';
import { jsonSchemaSupportLoaded } from '../../../src/core/eval/scorers/json-scorers.js';
import type { EvalCase } from '../../../src/core/eval/types.js';
import { spec } from '../../support/scorer-fixtures.js';

// A module of its own, so that Ajv starts unloaded (vitest isolates test files).
describe('the runner loads Ajv when a scorer needs it', () => {
  it('for a case’s own json-schema assertion, before scoring that case', async () => {
    const schema = { type: 'object', required: ['city'] };
    const withSchema: EvalCase = { id: 'c1', input: 'Where?', tags: [], vars: {}, line: 1 };
    const plain: EvalCase = { id: 'c2', input: 'Why?', tags: [], vars: {}, line: 2 };
    const scoring = await createScoring({
      specs: [spec('contains', { value: 'Paris' })],
      caseSpecs: (c) => (c.id === 'c1' ? [spec('json-schema', { value: schema, name: 'shape' })] : []),
      judge: () => {
        throw new Error('no judge in this test');
      },
      modules: {
        load: async () => {
          throw new Error('no modules in this test');
        },
      },
    });
    const played = (output: string) => ({ output, latencyMs: 10, costUsd: 0, transcript: [] });
    // The change's own scorers do not need Ajv, so building them did not load it.
    expect(jsonSchemaSupportLoaded()).toBe(false);
    const first = await scoring.scorePair(plain, {}, undefined, played('Paris'));
    expect(first.candidate.map((s) => [s.scorer, s.pass])).toEqual([['contains', true]]);
    expect(jsonSchemaSupportLoaded()).toBe(false);

    const second = await scoring.scorePair(
      withSchema,
      {},
      played('{"city": "Paris"}'),
      played('{"town": 1}'),
    );
    expect(jsonSchemaSupportLoaded()).toBe(true);
    expect(second.baseline?.map((s) => [s.scorer, s.pass])).toEqual([
      ['contains', true],
      ['shape', true],
    ]);
    expect(second.candidate.map((s) => [s.scorer, s.pass])).toEqual([
      ['contains', false],
      ['shape', false],
    ]);
  });
});
