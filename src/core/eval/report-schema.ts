/**
 * The `ballast eval --json` document (issue #4), version 1. The zod schemas below are the single
 * source: the TypeScript types and the published JSON Schema are both derived from them, so the
 * documentation (docs/eval-report.md) and the code cannot drift.
 *
 * Versioning: adding a field keeps schemaVersion 1, so every object is loose (extra keys are
 * allowed) and a consumer built against today's schema keeps validating tomorrow's reports.
 * Renaming, removing or retyping a field bumps schemaVersion.
 */
import { z } from 'zod';
import { CRITERION_MEASURES, CRITERION_RULES } from '../spec/vocabulary.js';

const STATUSES = ['pass', 'fail', 'inconclusive'] as const;
const count = z.number().int().nonnegative();
/** Numbers that may be missing; non-finite values (a ratio over a zero baseline) are also null. */
const maybe = z.number().nullable();

export const reportCriterionSchema = z.looseObject({
  name: z.string(),
  rule: z.enum(CRITERION_RULES),
  measure: z.enum(CRITERION_MEASURES),
  scorer: z.string().nullable().describe('The scorer measured; null = the weighted score of all scorers'),
  status: z.enum(STATUSES),
  n: count.describe('Cases in the comparison'),
  baselineMean: maybe,
  candidateMean: maybe,
  estimate: maybe.describe('mean(candidate − baseline), or candidate/baseline for max_ratio'),
  ci: z.tuple([z.number(), z.number()]).nullable().describe('At the Holm-adjusted level used to decide'),
  boundary: maybe.describe('What the rule compares with: −margin, min_effect or max'),
  p: maybe,
  pAdjusted: maybe.describe('Holm-adjusted across criteria'),
  mcnemar: z
    .looseObject({ b: count, c: count, p: z.number() })
    .nullable()
    .describe('Exact McNemar on discordant pairs: b = baseline-only passes, c = candidate-only'),
  moreCases: count
    .nullable()
    .describe(
      'Inconclusive only: further cases that would settle it; null when none would or not inconclusive',
    ),
  regressions: z.array(z.string()).describe('no_new_failures: ids of cases that regressed'),
  reason: z.string(),
});

export const reportSliceSchema = z.looseObject({
  tag: z.string(),
  n: count,
  verdict: z.enum(STATUSES),
  criteria: z.array(reportCriterionSchema),
});

const variantSchema = z.looseObject({ variant: z.string(), provider: z.string() });

export const reportArmTotalsSchema = z.looseObject({
  variant: z.string(),
  provider: z.string(),
  samples: count,
  errors: count,
  meanScore: maybe.describe('Mean over cases of the case score; null with no cases'),
  passRate: maybe.describe('Share of cases that pass'),
  meanLatencyMs: maybe.describe('Mean over cases of the mean provider-call latency'),
  costUsd: z.number().describe('Total over every sample'),
});

export const reportCaseArmSchema = z.looseObject({
  samples: count,
  score: z.number(),
  pass: z.boolean(),
  passRate: z.number(),
  latencyMs: z.number(),
  costUsd: z.number(),
  errors: count,
  flaky: z.boolean(),
});

export const reportCaseSchema = z.looseObject({
  id: z.string(),
  tags: z.array(z.string()),
  delta: z.number().describe('candidate score − baseline score'),
  flaky: z.boolean().describe('Either arm has repeats that disagree on pass/fail'),
  baseline: reportCaseArmSchema,
  candidate: reportCaseArmSchema,
});

const regressionArmSchema = z.looseObject({
  score: z.number(),
  pass: z.boolean(),
  output: z.string().describe('The first sample, cut to 300 characters (… marks a cut)'),
  error: z.string().nullable().describe('The failure of that sample, when the call failed'),
});

export const reportRegressionSchema = z.looseObject({
  id: z.string(),
  tags: z.array(z.string()),
  delta: z.number(),
  input: z.string().nullable().describe('The case input, cut to 300 characters; null when not given'),
  reference: z.string().nullable(),
  baseline: regressionArmSchema,
  candidate: regressionArmSchema,
});

export const reportFlakySchema = z.looseObject({
  id: z.string(),
  tags: z.array(z.string()),
  arms: z.array(z.enum(['baseline', 'candidate'])),
  baselinePassRate: z.number(),
  candidatePassRate: z.number(),
  samples: count.describe('Samples per arm'),
});

export const reportSchema = z
  .looseObject({
    schemaVersion: z.literal(1),
    kind: z.literal('ballast.eval'),
    ballastVersion: z.string().nullable(),
    runId: z.string(),
    change: z.looseObject({ id: z.string(), title: z.string() }),
    baseline: variantSchema,
    candidate: variantSchema,
    datasets: z.looseObject({
      hash: z.string().describe('Of every dataset together; --baseline-run refuses a different one'),
      files: z.array(z.looseObject({ path: z.string(), hash: z.string(), cases: count })),
    }),
    options: z.looseObject({
      repeats: z.number().int().min(1),
      concurrency: z.number().int().min(1),
      cache: z.enum(['off', 'read', 'write', 'readwrite']),
      seed: z.number().int(),
      limit: count.nullable(),
      filter: z.array(z.string()).describe('Tags a case must carry; empty = every case'),
      shard: z.looseObject({ index: count, count: z.number().int().min(1) }).nullable(),
      inconclusive: z.enum(['pass', 'fail']).nullable().describe('--inconclusive; null = exit 4'),
      resume: z.string().nullable(),
      baselineRun: z.string().nullable(),
      merged: z
        .array(z.string())
        .optional()
        .describe('--merge: the runs (shards of one gate) whose cases this verdict joins'),
    }),
    gate: z.looseObject({ alpha: z.number(), minSlice: count }),
    timings: z.looseObject({
      startedAt: z.iso.datetime(),
      finishedAt: z.iso.datetime(),
      wallMs: z.number().nonnegative(),
    }),
    counts: z.looseObject({
      cases: count,
      samples: count.describe('Provider calls over both arms'),
      errors: count,
      cacheHits: count,
      cacheHitRate: maybe,
      flakyCases: count,
    }),
    arms: z.looseObject({ baseline: reportArmTotalsSchema, candidate: reportArmTotalsSchema }),
    verdict: z.enum(STATUSES),
    exitCode: z.union([z.literal(0), z.literal(1), z.literal(4)]),
    criteria: z.array(reportCriterionSchema),
    slices: z.array(reportSliceSchema),
    cases: z.array(reportCaseSchema),
    worstRegressions: z.array(reportRegressionSchema).describe('Most negative delta first'),
    flaky: z.array(reportFlakySchema),
  })
  .meta({ title: 'Ballast eval report (ballast eval --json), schemaVersion 1' });

export type EvalReport = z.output<typeof reportSchema>;
export type ReportCriterion = z.output<typeof reportCriterionSchema>;
export type ReportSlice = z.output<typeof reportSliceSchema>;
export type ReportArmTotals = z.output<typeof reportArmTotalsSchema>;
export type ReportCase = z.output<typeof reportCaseSchema>;
export type ReportCaseArm = z.output<typeof reportCaseArmSchema>;
export type ReportRegression = z.output<typeof reportRegressionSchema>;
export type ReportFlaky = z.output<typeof reportFlakySchema>;

/** JSON Schema (draft 2020-12) of the report, for consumers that validate it outside TypeScript. */
export const reportJsonSchema: Record<string, unknown> = z.toJSONSchema(reportSchema, {
  target: 'draft-2020-12',
  io: 'output',
});
