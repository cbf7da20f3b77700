import { z } from 'zod';
import { FAILURE_KINDS } from './sim-profile.js';

const rate = z.number().min(0).max(1);

/**
 * Faults injected in front of any provider (issue #3): for drills, and for `ballast eval` under a
 * degraded network. Each rate is a per-call probability; draws are seeded.
 */
export const faultProfileSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Switch the faults off without deleting them'),
  seed: z.number().int().default(0),
  latency_ms: z.number().nonnegative().default(0).describe('Fixed latency added to every call'),
  jitter_ms: z.number().nonnegative().default(0).describe('Extra latency, uniform in [0, jitter_ms)'),
  spike_rate: rate.default(0).describe('Probability of a latency spike'),
  spike_ms: z.number().nonnegative().default(2_000),
  error_rate: z
    .union([rate, z.partialRecord(z.enum(FAILURE_KINDS), rate)])
    .default(0)
    .describe('Probability of failing the call, overall (as upstream 5xx) or per failure kind'),
  stall_rate: rate.default(0).describe('Probability that a stream stops sending after its first chunk'),
  stall_ms: z.number().nonnegative().default(30_000).describe('How long a stalled stream stays silent'),
  cut_rate: rate.default(0).describe('Probability that a stream is cut mid-way'),
  malformed_rate: rate
    .default(0)
    .describe('Probability of a malformed (non-JSON) body; non-streaming calls only'),
});
export type FaultProfile = z.output<typeof faultProfileSchema>;
