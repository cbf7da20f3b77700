import { scorerSchema } from '../../spec/change-schema.js';
import { NAME_RE } from '../../spec/names.js';
import type { ScorerSpec } from '../types.js';

/**
 * promptfoo assertions (`assert:` items of a promptfooconfig.yaml) as Ballast scorer specs.
 * Pure: the adapter that reads the file locates the messages. Mapped types keep their meaning;
 * where Ballast measures differently (levenshtein, contains-json) the mapping says so.
 */

export type MappedAssertion =
  | { readonly spec: ScorerSpec; readonly warnings: readonly string[] }
  | { readonly spec?: undefined; readonly warnings: readonly string[] };

export interface PromptfooMappingOptions {
  /** The variant that grades llm-rubric assertions; promptfoo names a provider instead. */
  readonly judge?: string;
}

/** Same name, same meaning. */
const SAME = new Set([
  'equals',
  'contains',
  'icontains',
  'contains-any',
  'contains-all',
  'regex',
  'starts-with',
]);

/** Why a type cannot come along, and what to do instead. */
const HINTS: Readonly<Record<string, string>> = {
  javascript: 'it runs JavaScript inside promptfoo; port it to a scorer module (type: custom, module: …)',
  python: 'it runs Python inside promptfoo; port it to a scorer module (type: custom, module: …)',
  ruby: 'it runs Ruby inside promptfoo; port it to a scorer module (type: custom, module: …)',
  webhook: 'it calls a web service; port it to a scorer module (type: custom, module: …)',
  'assert-set': 'nested assertion sets are not supported; list the assertions one by one',
  'icontains-any': 'there is no case-insensitive contains-any; use regex with alternatives',
  'icontains-all': 'there is no case-insensitive contains-all; use one icontains per string',
  similar: 'embedding similarity needs an embedding provider; use levenshtein or llm-rubric',
};
const MODEL_GRADED = new Set([
  'g-eval',
  'factuality',
  'model-graded-closedqa',
  'model-graded-factuality',
  'answer-relevance',
  'context-faithfulness',
  'context-recall',
  'context-relevance',
  'select-best',
  'moderation',
  'classifier',
]);

/** promptfoo types Ballast maps with their own rules (below). */
const MAPPED = ['is-json', 'contains-json', 'levenshtein', 'latency', 'cost', 'is-refusal', 'llm-rubric'];
/** Other promptfoo types that Ballast knows by name and has no equivalent for. */
const UNMATCHED = [
  'rouge-n',
  'bleu',
  'perplexity',
  'perplexity-score',
  'is-valid-openai-tools-call',
  'is-valid-openai-function-call',
];

/** Every promptfoo assertion type Ballast knows by name, supported or not (for CSV cells). */
export const PROMPTFOO_TYPES: readonly string[] = [
  ...SAME,
  ...MAPPED,
  ...Object.keys(HINTS),
  ...MODEL_GRADED,
  ...UNMATCHED,
];

const describe = (where: string, type: string) => `promptfoo assertion "${type}" (${where})`;

/**
 * Maps one promptfoo assertion. `where` names it in messages (`tests[3].assert[1]`). Returns
 * the spec and notes on approximations, or no spec and the reason it was skipped.
 */
export function fromPromptfooAssertion(
  raw: unknown,
  where: string,
  options: PromptfooMappingOptions = {},
): MappedAssertion {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { warnings: [`promptfoo assertion at ${where} is not a mapping with a type; skipped`] };
  }
  const a = raw as Record<string, unknown>;
  const type = typeof a.type === 'string' ? a.type : '';
  if (type === '') return { warnings: [`promptfoo assertion at ${where} has no type; skipped`] };
  const negated = type.startsWith('not-');
  const base = negated ? type.slice(4) : type;
  const not = negated ? 'not-' : '';
  const skip = (why: string): MappedAssertion => ({
    warnings: [`${describe(where, type)} is not supported: ${why}; skipped`],
  });
  const warnings: string[] = [];

  if (typeof a.value === 'string' && a.value.startsWith('file://')) {
    return skip(`its value is read from ${a.value}; put the value inline`);
  }
  for (const key of ['transform', 'provider', 'config', 'contextTransform'])
    if (a[key] !== undefined) warnings.push(`${describe(where, type)}: "${key}" is ignored`);

  const spec: Record<string, unknown> = {};
  const threshold = typeof a.threshold === 'number' ? a.threshold : undefined;
  if (SAME.has(base)) {
    Object.assign(spec, { type: `${not}${base}`, value: a.value });
  } else if (base === 'is-json' || base === 'contains-json') {
    Object.assign(
      spec,
      a.value === undefined ? { type: `${not}is-json` } : { type: `${not}json-schema`, value: a.value },
    );
    if (base === 'contains-json')
      warnings.push(
        `${describe(where, type)} is read as ${a.value === undefined ? 'is-json' : 'json-schema'}: the whole output (or one code fence) must be the JSON, not JSON somewhere inside prose`,
      );
  } else if (base === 'levenshtein') {
    Object.assign(spec, { type: `${not}levenshtein`, value: a.value });
    // promptfoo passes at edit distance ≤ threshold (default 5); Ballast scores similarity
    // 1 − d / max(length). With the expected text's length L, d ≤ t implies similarity ≥ 1 − t/L.
    const maxDistance = threshold ?? 5;
    const expected = typeof a.value === 'string' ? a.value : undefined;
    if (expected !== undefined && !expected.includes('{{') && expected.length > 0) {
      spec.threshold = Math.max(0, Math.min(1, 1 - maxDistance / expected.length));
      warnings.push(
        `${describe(where, type)}: edit distance ≤ ${maxDistance} becomes similarity ≥ ${(spec.threshold as number).toFixed(2)} (1 − ${maxDistance}/${expected.length}); outputs longer than the expected text pass a little more easily`,
      );
    } else {
      warnings.push(
        `${describe(where, type)}: edit distance ≤ ${maxDistance} cannot be converted for a templated value; using similarity ≥ 0.5`,
      );
    }
  } else if (base === 'latency' || base === 'cost') {
    if (threshold === undefined) return skip(`${base} needs a threshold`);
    Object.assign(spec, { type: `${not}max-${base}`, value: threshold });
  } else if (base === 'is-refusal') {
    Object.assign(spec, { type: `${not}refusal` });
  } else if (base === 'llm-rubric') {
    if (options.judge === undefined)
      return skip(
        'llm-rubric needs a judge: pass --judge <variant> to ballast eval, or set offline.judge in the change',
      );
    Object.assign(spec, { type: `${not}llm-rubric`, rubric: String(a.value ?? ''), judge: options.judge });
  } else if (HINTS[base] !== undefined) {
    return skip(HINTS[base]);
  } else if (MODEL_GRADED.has(base)) {
    return skip('it is graded by a model; rewrite it as llm-rubric');
  } else {
    return skip('Ballast has no equivalent scorer');
  }

  if (threshold !== undefined && spec.threshold === undefined && !['latency', 'cost'].includes(base)) {
    if (threshold >= 0 && threshold <= 1) spec.threshold = threshold;
    else warnings.push(`${describe(where, type)}: threshold ${threshold} is outside 0..1 and is ignored`);
  }
  if (a.weight !== undefined) spec.weight = a.weight;
  if (typeof a.metric === 'string') {
    if (NAME_RE.test(a.metric)) spec.name = a.metric;
    else
      warnings.push(
        `${describe(where, type)}: metric "${a.metric}" is not a valid scorer name and is ignored`,
      );
  }
  const parsed = scorerSchema.safeParse(spec);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
    return { warnings: [...warnings, `${describe(where, type)} is invalid (${issues}); skipped`] };
  }
  return { spec: parsed.data, warnings };
}
