import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { BallastError } from '../../errors.js';
import { hasTemplate } from '../template.js';
import {
  type BaseScorer,
  failedToScore,
  parseScorerType,
  quote,
  type RawScore,
  scored,
  specError,
} from './base-scorer.js';
import { parseJsonOutput } from './json-output.js';

/*
 * Ajv is loaded on demand: it is the largest package an eval could load (≈ 200 KB of code to
 * compile, ≈ 30 ms of every start-up) and only `json-schema` and `is-json` with a schema use it.
 * The runner awaits loadJsonSchemaSupport() before it builds such a scorer (app/eval/scoring.ts).
 */
let ajvClasses: { readonly Ajv: typeof Ajv; readonly Ajv2020: typeof Ajv2020 } | undefined;

/** Loads Ajv once; resolves at once when it is loaded already. */
export async function loadJsonSchemaSupport(): Promise<void> {
  if (ajvClasses !== undefined) return;
  const [draft7, draft2020] = await Promise.all([import('ajv'), import('ajv/dist/2020.js')]);
  ajvClasses = { Ajv: draft7.Ajv, Ajv2020: draft2020.Ajv2020 };
}

export function jsonSchemaSupportLoaded(): boolean {
  return ajvClasses !== undefined;
}

/** Whether building this scorer needs loadJsonSchemaSupport() first: json-schema, or is-json with a schema. */
export function needsJsonSchemaSupport(spec: { readonly type: string; readonly value?: unknown }): boolean {
  const { base } = parseScorerType(spec.type);
  return base === 'json-schema' || (base === 'is-json' && spec.value !== undefined);
}

function loadedAjv() {
  if (ajvClasses === undefined)
    throw new BallastError(
      'BALLAST_ERR_INTERNAL',
      'a JSON Schema scorer was built before loadJsonSchemaSupport() finished',
    );
  return ajvClasses;
}

/** Templated schemas are compiled per distinct rendering; past this many, the oldest goes. */
const MAX_COMPILED = 64;

/**
 * A JSON Schema validator for one scorer. Ajv compiles a schema to a function once and keys its
 * cache by the schema object, so each scorer gets its own instance and a small cache keyed by
 * the schema's text: a templated schema rendered per case would otherwise grow Ajv's cache for
 * the whole run. Draft 2020-12 is used when the schema says so, draft-07 otherwise.
 */
function schemaValidator(type: string, staticSchema: unknown) {
  const classes = loadedAjv();
  const options = { allErrors: true, strict: false, logger: false as const };
  let draft7: Ajv | undefined;
  let draft2020: Ajv2020 | undefined;
  const compiled = new Map<string, ValidateFunction>();

  const compile = (schema: unknown): ValidateFunction => {
    const parsed = typeof schema === 'string' ? (JSON.parse(schema) as unknown) : schema;
    if (
      typeof parsed !== 'boolean' &&
      (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    )
      throw new Error('a JSON Schema is an object (or true/false)');
    const key = JSON.stringify(parsed);
    let validate = compiled.get(key);
    if (validate === undefined) {
      const uses2020 =
        typeof parsed === 'object' &&
        String((parsed as { $schema?: unknown }).$schema ?? '').includes('2020-12');
      let ajv: Ajv | Ajv2020;
      if (uses2020) {
        draft2020 ??= new classes.Ajv2020(options);
        ajv = draft2020;
      } else {
        draft7 ??= new classes.Ajv(options);
        ajv = draft7;
      }
      validate = ajv.compile(parsed as object);
      if (compiled.size >= MAX_COMPILED) {
        const [oldest] = compiled.keys();
        compiled.delete(oldest!);
      }
      compiled.set(key, validate);
    }
    return validate;
  };

  if (!hasTemplate(staticSchema)) {
    try {
      compile(staticSchema);
    } catch (error) {
      throw specError(type, `value is not a valid JSON Schema: ${(error as Error).message}`);
    }
  }
  return compile;
}

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string {
  const list = (errors ?? [])
    .slice(0, 3)
    .map((e) => `${e.instancePath === '' ? 'the value' : e.instancePath} ${e.message ?? 'is invalid'}`);
  const more = (errors?.length ?? 0) > 3 ? ` (and ${(errors?.length ?? 0) - 3} more)` : '';
  return list.join('; ') + more;
}

function validateOutput(output: string, validate: ValidateFunction): RawScore {
  const parsed = parseJsonOutput(output);
  if (!parsed.ok) return scored(false, `the output is not JSON (${parsed.error})`);
  if (validate(parsed.value))
    return scored(
      true,
      `the output is JSON that matches the schema${parsed.fenced ? ' (inside a code fence)' : ''}`,
    );
  return scored(
    false,
    `the output is JSON but does not match the schema: ${describeErrors(validate.errors)}`,
  );
}

export const jsonSchemaScorer: BaseScorer = (type, value) => {
  if (value === undefined) throw specError(type, 'value must be a JSON Schema object');
  const compile = schemaValidator(type, value);
  return ({ output }, schema) => {
    let validate: ValidateFunction;
    try {
      validate = compile(schema);
    } catch (error) {
      return failedToScore(`the schema ${quote(schema)} is not valid: ${(error as Error).message}`);
    }
    return validateOutput(output, validate);
  };
};

/** Valid JSON; with a `value`, also valid against that schema (promptfoo's `is-json` does the same). */
export const isJsonScorer: BaseScorer = (type, value) => {
  if (value !== undefined) return jsonSchemaScorer(type, value);
  return ({ output }) => {
    const parsed = parseJsonOutput(output);
    return parsed.ok
      ? scored(true, `the output is valid JSON${parsed.fenced ? ' (inside a code fence)' : ''}`)
      : scored(false, `the output is not valid JSON (${parsed.error})`);
  };
};
