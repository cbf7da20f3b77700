import { beforeAll, describe, expect, it } from 'vitest';
import { isBallastError } from '../../../src/core/errors.js';
import { createScorer } from '../../../src/core/eval/scorers/index.js';
import {
  jsonSchemaSupportLoaded,
  loadJsonSchemaSupport,
  needsJsonSchemaSupport,
} from '../../../src/core/eval/scorers/json-scorers.js';
import { input, score, spec } from '../../support/scorer-fixtures.js';

/** One case and its call, shared by these tests. */

const SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string' }, population: { type: 'integer', minimum: 0 } },
  required: ['city'],
  additionalProperties: false,
};

// Runs first: this file's module state starts with Ajv not loaded.
describe('Ajv, loaded on demand', () => {
  it('knows which scorers need it', () => {
    expect(needsJsonSchemaSupport({ type: 'json-schema', value: SCHEMA })).toBe(true);
    expect(needsJsonSchemaSupport({ type: 'not-json-schema', value: SCHEMA })).toBe(true);
    expect(needsJsonSchemaSupport({ type: 'is-json', value: SCHEMA })).toBe(true);
    expect(needsJsonSchemaSupport({ type: 'is-json' })).toBe(false);
    expect(needsJsonSchemaSupport({ type: 'contains', value: 'json-schema' })).toBe(false);
  });

  it('is not loaded until asked; a schema scorer built before then is an internal error, not a crash later', async () => {
    expect(jsonSchemaSupportLoaded()).toBe(false);
    expect(score('is-json', {}, '{"a": 1}').pass).toBe(true);
    let error: unknown;
    try {
      createScorer(spec('json-schema', { value: SCHEMA }));
    } catch (e) {
      error = e;
    }
    expect(isBallastError(error) && error.code).toBe('BALLAST_ERR_INTERNAL');
    await loadJsonSchemaSupport();
    await loadJsonSchemaSupport();
    expect(jsonSchemaSupportLoaded()).toBe(true);
    expect(score('json-schema', { value: SCHEMA }, '{"city": "Paris"}').pass).toBe(true);
  });
});

describe('is-json', () => {
  beforeAll(loadJsonSchemaSupport);

  it('passes JSON, fails prose', () => {
    expect(score('is-json', {}, '{"city":"Paris"}')).toMatchObject({ score: 1, pass: true });
    expect(score('is-json', {}, '[1, 2, 3]').pass).toBe(true);
    const prose = score('is-json', {}, 'The answer is {"city":"Paris"}');
    expect(prose).toMatchObject({ score: 0, pass: false });
    expect(prose.reason).toMatch(/^The output is not valid JSON/);
  });

  it('accepts one code fence around the whole output, and says so', () => {
    const fenced = score('is-json', {}, '```json\n{"city": "Paris"}\n```');
    expect(fenced.pass).toBe(true);
    expect(fenced.reason).toContain('code fence');
  });

  it('with a value, validates against it as a schema (as promptfoo does)', () => {
    expect(score('is-json', { value: SCHEMA }, '{"city":"Paris"}').pass).toBe(true);
    expect(score('is-json', { value: SCHEMA }, '{"town":"Paris"}').pass).toBe(false);
  });

  it('not-is-json passes prose', () => {
    expect(score('not-is-json', {}, 'Paris').pass).toBe(true);
  });
});

describe('json-schema', () => {
  beforeAll(loadJsonSchemaSupport);
  it('passes a matching document', () => {
    expect(score('json-schema', { value: SCHEMA }, '{"city":"Paris","population":2100000}')).toMatchObject({
      score: 1,
      pass: true,
    });
  });

  it('fails with the validator’s reasons', () => {
    const s = score('json-schema', { value: SCHEMA }, '{"population":-1,"extra":true}');
    expect(s).toMatchObject({ score: 0, pass: false });
    expect(s.reason).toContain("must have required property 'city'");
    expect(s.reason).toContain('/population must be >= 0');
  });

  it('fails output that is not JSON', () => {
    expect(score('json-schema', { value: SCHEMA }, 'Paris').reason).toContain('not JSON');
  });

  it('reads draft 2020-12 schemas', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      prefixItems: [{ type: 'string' }, { type: 'number' }],
      items: false,
    };
    expect(score('json-schema', { value: schema }, '["a", 1]').pass).toBe(true);
    expect(score('json-schema', { value: schema }, '["a", 1, 2]').pass).toBe(false);
  });

  it('accepts a schema given as JSON text', () => {
    expect(score('json-schema', { value: JSON.stringify(SCHEMA) }, '{"city":"Rome"}').pass).toBe(true);
  });

  it('renders templates inside the schema', () => {
    const scorer = createScorer(
      spec('json-schema', { value: { type: 'object', properties: { city: { const: '{{reference}}' } } } }),
    );
    expect(scorer(input('{"city":"Paris"}')).pass).toBe(true);
    expect(scorer(input('{"city":"Lyon"}')).pass).toBe(false);
  });

  it('an invalid schema is a spec error when the scorer is built', () => {
    try {
      createScorer(spec('json-schema', { value: { type: 'no-such-type' } }));
      expect.unreachable();
    } catch (error) {
      expect(isBallastError(error) && error.code).toBe('BALLAST_ERR_SPEC');
    }
  });
});
