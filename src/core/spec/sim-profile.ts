import { z } from 'zod';

const rate = z.number().min(0).max(1);

/**
 * A latency distribution, log-normal from its median and 95th percentile. Without a p95 the tail
 * is three times the median (σ ≈ 0.67), a typical spread of hosted model latency.
 */
const latencySchema = (defaults: { median_ms: number; p95_ms: number }) =>
  z
    .strictObject({
      median_ms: z.number().positive().default(defaults.median_ms),
      p95_ms: z.number().positive().optional(),
    })
    .transform((l) => ({
      median_ms: l.median_ms,
      p95_ms: l.p95_ms ?? (l.median_ms === defaults.median_ms ? defaults.p95_ms : l.median_ms * 3),
    }))
    .refine((l) => l.p95_ms >= l.median_ms, {
      message: 'p95_ms must be at least median_ms',
      path: ['p95_ms'],
    });

/** Failure kinds a provider call can end with (issue #3's typed failures). */
export const FAILURE_KINDS = [
  'timeout',
  'rate_limit',
  'auth',
  'bad_request',
  'upstream',
  'network',
  'content_filter',
  'cancelled',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

/**
 * The `sim` provider's profile for one variant: how good, how fast and how flaky the
 * simulated model is. Every field has a default so `sim: {}` is a sensible model.
 */
export const simProfileSchema = z.strictObject({
  seed: z
    .number()
    .int()
    .default(0)
    .describe('Mixed into every draw; change it for a different but equally shaped model'),
  accuracy: rate.default(0.8).describe('Probability of answering a case with its reference answer'),
  knowledge: z
    .string()
    .optional()
    .describe('Dataset file whose references the model "knows" (JSONL, CSV or YAML)'),
  latency: latencySchema({ median_ms: 400, p95_ms: 1200 }).prefault({}),
  ttft: latencySchema({ median_ms: 150, p95_ms: 500 }).prefault({}),
  chunk_ms: z.number().nonnegative().default(15).describe('Milliseconds between streamed chunks'),
  error_rate: z
    .union([rate, z.partialRecord(z.enum(FAILURE_KINDS), rate)])
    .default(0)
    .describe('Probability of failing a call, overall (upstream errors) or per failure kind'),
  unsafe_rate: rate.default(0).describe('Probability of an output a profanity or PII guardrail should catch'),
  refusal_rate: rate.default(0).describe('Probability of refusing to answer'),
});
export type SimProfile = z.output<typeof simProfileSchema>;
