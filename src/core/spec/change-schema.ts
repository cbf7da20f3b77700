import { z } from 'zod';
import { durationSchema } from './duration.js';
import { nameSchema, slugSchema } from './names.js';
import { CRITERION_MEASURES, CRITERION_RULES, METRIC_NAMES, SCORER_TYPES } from './vocabulary.js';

const metricSchema = z.enum(METRIC_NAMES);

export const guardrailMetricSchema = z
  .strictObject({
    metric: metricSchema,
    max_increase: z
      .number()
      .nonnegative()
      .optional()
      .describe('Tolerated absolute increase (0.005 = +0.5 pp)'),
    max_increase_ratio: z
      .number()
      .nonnegative()
      .optional()
      .describe('Tolerated relative increase (0.1 = +10 %)'),
    threshold_ms: z
      .number()
      .positive()
      .optional()
      .describe('slow_rate only: a request slower than this is slow'),
  })
  .superRefine((g, ctx) => {
    if (g.max_increase !== undefined && g.max_increase_ratio !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_increase_ratio'],
        message: 'give max_increase or max_increase_ratio, not both',
      });
    }
    if (g.metric === 'slow_rate' && g.threshold_ms === undefined) {
      ctx.addIssue({ code: 'custom', path: ['threshold_ms'], message: 'slow_rate needs threshold_ms' });
    }
    if (g.metric !== 'slow_rate' && g.threshold_ms !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['threshold_ms'],
        message: 'threshold_ms applies only to slow_rate',
      });
    }
  })
  .transform(({ metric, max_increase, max_increase_ratio, threshold_ms }) => ({
    metric,
    // Neither given: any proven increase is harm (tolerance 0), GrowthBook's guardrail default.
    tolerance:
      max_increase_ratio !== undefined
        ? { kind: 'ratio' as const, value: max_increase_ratio }
        : { kind: 'absolute' as const, value: max_increase ?? 0 },
    ...(threshold_ms === undefined ? {} : { threshold_ms }),
  }));

export const successMetricSchema = z.strictObject({
  metric: metricSchema,
  direction: z.enum(['increase', 'decrease']),
  min_effect: z.number().nonnegative().default(0).describe('Smallest absolute change worth shipping'),
});

const scorerTypeSchema = z
  .string()
  .refine((t) => (SCORER_TYPES as readonly string[]).includes(t.replace(/^not-/, '')), {
    message: `unknown scorer type; known: ${SCORER_TYPES.join(', ')} (each may be prefixed with not-)`,
  });

/** Scorer types that compare the output with something given in `value`. */
const NEEDS_VALUE = new Set([
  'equals',
  'contains',
  'icontains',
  'contains-any',
  'contains-all',
  'regex',
  'starts-with',
  'json-schema',
  'levenshtein',
  'word-count',
  'max-latency',
  'max-cost',
]);
const VALUE_HINT: Record<string, string> = {
  'contains-any': 'a list of strings',
  'contains-all': 'a list of strings',
  regex: 'a regular expression',
  'json-schema': 'a JSON Schema object',
  'word-count': 'a limit or {min, max}',
  'max-latency': 'milliseconds',
  'max-cost': 'USD',
};

export const scorerSchema = z
  .strictObject({
    type: scorerTypeSchema,
    name: nameSchema.optional().describe('How criteria refer to this scorer; defaults to its type'),
    value: z.unknown().optional().describe('The expected value, pattern, list or limit, by type'),
    threshold: z.number().min(0).max(1).default(0.5).describe('Score at or above which the case passes'),
    weight: z.number().nonnegative().default(1),
    rubric: z.string().optional().describe('llm-rubric: what a good answer does'),
    judge: nameSchema.optional().describe('llm-rubric, pairwise: the variant that judges'),
    module: z.string().optional().describe('custom: path of a JS/TS module exporting a scorer'),
  })
  .superRefine((s, ctx) => {
    const base = s.type.replace(/^not-/, '');
    const need = (field: 'value' | 'rubric' | 'judge' | 'module', why: string) => {
      if (s[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: `${s.type} needs ${field}: ${why}` });
    };
    if (NEEDS_VALUE.has(base)) need('value', VALUE_HINT[base] ?? 'the expected value');
    if (base === 'llm-rubric') need('rubric', 'what a good answer does');
    if (base === 'llm-rubric' || base === 'pairwise') need('judge', 'the variant that judges');
    if (base === 'custom') need('module', 'the path of a module exporting the scorer');
    if (base === 'regex' && typeof s.value === 'string') {
      try {
        new RegExp(s.value);
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          path: ['value'],
          message: `not a valid regular expression: ${(error as Error).message}`,
        });
      }
    }
  });

export const criterionSchema = z
  .strictObject({
    name: z.string().optional(),
    rule: z.enum(CRITERION_RULES),
    scorer: nameSchema
      .optional()
      .describe('The scorer measured; omitted = the weighted score of all scorers'),
    measure: z.enum(CRITERION_MEASURES).default('score'),
    margin: z.number().nonnegative().default(0).describe('non_inferior: allowed drop'),
    min_effect: z.number().nonnegative().default(0).describe('superior: required gain'),
    max: z.number().positive().optional().describe('max_ratio: largest candidate/baseline ratio'),
    tag: z.string().default('critical').describe('no_new_failures: the tag of cases that may not regress'),
  })
  .superRefine((c, ctx) => {
    if (c.rule === 'max_ratio' && c.max === undefined) {
      ctx.addIssue({ code: 'custom', path: ['max'], message: 'max_ratio needs max (e.g. 1.2)' });
    }
  });

export const offlineSchema = z.strictObject({
  datasets: z.array(z.string().min(1)).default([]).describe('Dataset files relative to ballast.yaml'),
  repeats: z.number().int().min(1).max(100).default(1),
  scorers: z.array(scorerSchema).default([]),
  criteria: z.array(criterionSchema).default([]),
  alpha: z.number().gt(0).lt(0.5).default(0.05),
  min_slice: z.number().int().min(1).default(20).describe('Smallest tag slice that gets its own verdict'),
  judge: nameSchema
    .optional()
    .describe(
      'The variant that grades the llm-rubric assertions of promptfoo datasets (`ballast eval --judge` wins)',
    ),
});

export const stageSchema = z
  .strictObject({
    percent: z.number().gt(0, 'must be above 0').max(100, 'must be at most 100'),
    min_units: z.number().int().min(0).default(250).describe('Units per arm before the stage may end'),
    min_duration: durationSchema.prefault('10m'),
    max_duration: durationSchema.prefault('24h'),
  })
  .superRefine((s, ctx) => {
    if (s.max_duration < s.min_duration) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_duration'],
        message: 'must not be shorter than min_duration',
      });
    }
  });

/** A cautious default ramp; GrowthBook's is 1 → 5 → 10 → 25 → 50 → 100 %. */
const DEFAULT_STAGES = [5, 25, 50, 100].map((percent) => ({ percent }));

export const rolloutSchema = z
  .strictObject({
    stages: z.array(stageSchema).min(1).prefault(DEFAULT_STAGES),
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    auto_advance: z.boolean().default(true),
    auto_rollback: z.boolean().default(true),
    auto_promote: z.boolean().default(false),
    advance_on: z.enum(['no_harm', 'proven_safe']).default('no_harm'),
    on_starved: z
      .enum(['hold', 'rollback'])
      .default('hold')
      .describe('When a stage hits max_duration short of min_units'),
    restore_within: durationSchema.prefault('1s'),
  })
  .superRefine((r, ctx) => {
    r.stages.forEach((stage, i) => {
      const prev = r.stages[i - 1];
      if (prev !== undefined && stage.percent <= prev.percent) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', i, 'percent'],
          message: `stage percents must strictly increase (${prev.percent} then ${stage.percent})`,
        });
      }
    });
  });

export const changeSchema = z
  .strictObject({
    id: slugSchema,
    title: z.string().min(1),
    hypothesis: z.string().min(1).describe('What should improve, for whom, and why'),
    owner: z.string().min(1),
    route: nameSchema.describe('The route whose traffic the candidate will serve'),
    candidate: nameSchema.describe('The variant under test'),
    risk: z.enum(['low', 'medium', 'high']),
    milestone: z.string().min(1).optional(),
    metrics: z
      .strictObject({
        guardrails: z.array(guardrailMetricSchema).prefault([{ metric: 'error_rate' }]),
        success: z.array(successMetricSchema).default([]),
      })
      .prefault({}),
    offline: offlineSchema.prefault({}),
    rollout: rolloutSchema.prefault({}),
  })
  .meta({ title: 'Ballast change spec (changes/<id>.yaml)' });

export type ChangeSpec = z.output<typeof changeSchema>;
