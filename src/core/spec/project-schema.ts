import { z } from 'zod';
import { faultProfileSchema } from './fault-profile.js';
import { nameSchema } from './names.js';
import { simProfileSchema } from './sim-profile.js';

const pricingSchema = z
  .record(
    z.string().min(1),
    z.strictObject({
      input: z.number().nonnegative().describe('USD per 1M input tokens'),
      output: z.number().nonnegative().describe('USD per 1M output tokens'),
    }),
  )
  .default({})
  .describe('USD per 1M tokens, per model name');

/** Fields every provider kind shares: limits, retries and prices. */
const commonProvider = {
  maxConcurrency: z.number().int().min(1).max(10_000).default(16).describe('Calls in flight at once'),
  timeoutMs: z.number().int().min(1).max(3_600_000).default(60_000).describe('Total time allowed per call'),
  idleTimeoutMs: z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(30_000)
    .describe('Longest silence allowed between bytes of a response (capped at timeoutMs)'),
  retries: z.number().int().min(0).max(10).default(2).describe('Retries on 429, 5xx and network errors'),
  pricing: pricingSchema,
};

const headersSchema = z.record(z.string(), z.string()).default({});

export const openaiProviderSchema = z.strictObject({
  type: z.literal('openai'),
  baseUrl: z.url().default('https://api.openai.com/v1'),
  apiKey: z.string().optional(),
  headers: headersSchema,
  apiVersion: z.string().optional().describe('Azure OpenAI: sent as the api-version query parameter'),
  ...commonProvider,
});

export const anthropicProviderSchema = z.strictObject({
  type: z.literal('anthropic'),
  baseUrl: z.url().default('https://api.anthropic.com'),
  apiKey: z.string().optional(),
  headers: headersSchema,
  anthropicVersion: z.string().default('2023-06-01'),
  ...commonProvider,
});

export const simProviderSchema = z.strictObject({
  type: z.literal('sim'),
  seed: z.number().int().default(42).describe('Seed of the simulator; runs with the same seed are identical'),
  timeScale: z
    .number()
    .min(0)
    .max(100)
    .default(1)
    .describe('Multiplies the waits: 1 real time, 0 answers at once; reported latencies are unchanged'),
  ...commonProvider,
  maxConcurrency: z.number().int().min(1).max(100_000).default(256),
});

export const providerSchema = z.discriminatedUnion('type', [
  openaiProviderSchema,
  anthropicProviderSchema,
  simProviderSchema,
]);
export type ProviderConfig = z.output<typeof providerSchema>;

/** Sampling parameters; `extra` passes anything else through to the provider untouched. */
export const paramsSchema = z.strictObject({
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().positive().optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.union([z.string(), z.array(z.string()).max(4, 'at most 4 stop sequences')]).optional(),
  seed: z.number().int().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  extra: z.record(z.string(), z.unknown()).default({}),
});

/** Per-variant time limits the gateway enforces around each upstream call (issue #5). */
export const timeoutsSchema = z.strictObject({
  connect_ms: z
    .number()
    .int()
    .min(1)
    .max(600_000)
    .default(5_000)
    .describe('Opening the connection (per provider pool: the shortest of its variants)'),
  first_token_ms: z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(30_000)
    .describe(
      'From sending the request to the first content; a non-streaming answer arrives whole, so for it this limits the whole answer',
    ),
  idle_ms: z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(30_000)
    .describe('Longest silence between two streamed events once content has started'),
  total_ms: z
    .number()
    .int()
    .min(1)
    .max(3_600_000)
    .default(120_000)
    .describe('The whole call, retries included'),
});

/** Stops calling a failing variant for a while (issue #5); half-open probes after the cool-down. */
export const circuitBreakerSchema = z.strictObject({
  enabled: z.boolean().default(true),
  window_ms: z.number().int().min(1_000).max(3_600_000).default(30_000).describe('Rolling window'),
  min_requests: z
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(20)
    .describe('Calls in the window before the error rate can open the circuit'),
  error_rate: z
    .number()
    .gt(0)
    .max(1)
    .default(0.5)
    .describe('Opens when this share of calls in the window failed'),
  consecutive_failures: z
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(5)
    .describe('…or after this many failures in a row'),
  cooldown_ms: z
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .default(15_000)
    .describe('How long it stays open before a probe call is let through'),
});

export const variantSchema = z.strictObject({
  provider: nameSchema.describe('A provider named under providers:'),
  model: z.string().min(1),
  system: z.string().optional().describe('System prompt: inline text, or file:PATH relative to ballast.yaml'),
  params: paramsSchema.prefault({}),
  guardrails: nameSchema.optional().describe('A policy named under guardrails:'),
  sim: simProfileSchema
    .prefault({})
    .describe('Profile of the simulated model when the provider is of type sim'),
  faults: faultProfileSchema
    .optional()
    .describe('Faults injected in front of the provider (drills, degraded-network evals)'),
  fallbacks: z
    .array(nameSchema)
    .default([])
    .describe('Variants tried in order when this one fails before any content (gateway only)'),
  timeouts: timeoutsSchema.prefault({}),
  circuit_breaker: circuitBreakerSchema.prefault({}),
  description: z.string().optional(),
});
export type VariantConfig = z.output<typeof variantSchema>;

export const routeSchema = z.strictObject({
  stable: nameSchema.describe('The variant that serves the route outside any rollout'),
  description: z.string().optional(),
});

export const GUARDRAIL_CHECKS = ['profanity', 'pii', 'secrets', 'injection', 'length'] as const;
const guardrailCheckSchema = z
  .strictObject({
    check: z.enum(GUARDRAIL_CHECKS),
    action: z.enum(['block', 'redact', 'flag']).default('block'),
    max_chars: z.number().int().positive().optional().describe('For check: length'),
  })
  .superRefine((c, ctx) => {
    if (c.check === 'length' && c.max_chars === undefined) {
      ctx.addIssue({ code: 'custom', path: ['max_chars'], message: 'check: length needs max_chars' });
    }
    if (c.check !== 'length' && c.max_chars !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_chars'],
        message: 'max_chars applies only to check: length',
      });
    }
  });
export const guardrailPolicySchema = z.strictObject({
  input: z.array(guardrailCheckSchema).default([]),
  output: z.array(guardrailCheckSchema).default([]),
});

export const SCOPES = ['gateway', 'feedback', 'read', 'admin'] as const;
export const apiKeySchema = z.strictObject({
  name: nameSchema,
  key: z.string().min(16, 'must be at least 16 characters; generate one with `openssl rand -hex 24`'),
  scopes: z.array(z.enum(SCOPES)).min(1).default(['gateway']),
});

export const projectSchema = z
  .strictObject({
    version: z.literal(1).default(1).describe('Version of this file format'),
    store: z
      .string()
      .regex(
        /^(sqlite:(?!\/\/).+|postgres(ql)?:\/\/[^?]+(\?(.*&)?schema=[A-Za-z_][A-Za-z0-9_]{0,62}(&.*)?|\?(?!(.*&)?schema=).*)?)$/,
        'expected sqlite:PATH or postgres://USER@HOST/DB[?schema=NAME]',
      )
      .default('sqlite:.ballast/ballast.db')
      .describe('sqlite:PATH (relative to this file) or a postgres:// URL; --db and BALLAST_DB override it'),
    changesDir: z.string().default('changes').describe('Folder of change specs, relative to this file'),
    server: z
      .strictObject({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65_535).default(8787),
        body_limit_bytes: z
          .number()
          .int()
          .min(1_024)
          .max(100 * 1024 * 1024)
          .default(2 * 1024 * 1024)
          .describe('Largest request body accepted; larger ones get 413'),
        feedback_cors_origins: z
          .array(z.string().min(1))
          .default(['*'])
          .describe(
            "Origins whose web pages may POST /v1/feedback from the browser (CORS on that endpoint only); '*' any, [] none",
          ),
        flush_interval_ms: z
          .number()
          .int()
          .min(50)
          .max(60_000)
          .default(1_000)
          .describe('How often telemetry aggregates are written to the store'),
        max_pending_rows: z
          .number()
          .int()
          .min(100)
          .max(10_000_000)
          .default(100_000)
          .describe(
            'Telemetry rows held while the store is unreachable; beyond that they are dropped and counted',
          ),
        recent_requests: z
          .number()
          .int()
          .min(0)
          .max(10_000_000)
          .default(100_000)
          .describe(
            'Request ids remembered in memory so feedback sent with a key can be linked to its variant',
          ),
        feedback_secret: z
          .string()
          .min(32, 'must be at least 32 characters; generate one with `openssl rand -hex 32`')
          .optional()
          .describe('Signs x-ballast-feedback-token; without it a random secret is kept in the store'),
        request_log: z
          .strictObject({
            sample_rate: z
              .number()
              .min(0)
              .max(1)
              .default(0)
              .describe('Share of requests written to the request log'),
            log_content: z
              .boolean()
              .default(false)
              .describe('Also store prompt and output text (PII redacted) for logged requests'),
            retention_days: z
              .number()
              .min(0)
              .max(36_500)
              .default(30)
              .describe('Logged requests older than this many days are deleted; 0 keeps every row'),
          })
          .prefault({}),
        metrics: z
          .strictObject({
            retention_days: z
              .number()
              .min(0)
              .max(36_500)
              .default(90)
              .describe(
                "Metric buckets of traffic outside any change older than this many days are deleted (a change's are kept); 0 keeps every bucket",
              ),
            unit_retention_days: z
              .number()
              .min(0)
              .max(36_500)
              .default(30)
              .describe(
                'Per-unit totals of a change whose rollouts all ended (promoted, rolled back, aborted) more than this many days ago are deleted (its per-arm sums, buckets and decisions are kept); 0 keeps them',
              ),
          })
          .prefault({}),
        controller: z
          .strictObject({
            enabled: z.boolean().default(true).describe('Run the rollout controller inside ballast serve'),
            interval_ms: z
              .number()
              .int()
              .min(100)
              .max(3_600_000)
              .default(5_000)
              .describe('How often the controller looks at every running rollout'),
            n_star: z
              .number()
              .int()
              .min(10)
              .max(10_000_000)
              .default(5_000)
              .describe(
                'Tuning sample size of the confidence sequences (units, both arms); GrowthBook’s default',
              ),
          })
          .prefault({}),
        otel: z
          .strictObject({
            endpoint: z.url().describe('OTLP/HTTP traces endpoint, e.g. http://127.0.0.1:4318/v1/traces'),
            service_name: z.string().default('ballast'),
            headers: z.record(z.string(), z.string()).default({}),
          })
          .optional()
          .describe('Export OpenTelemetry spans (GenAI semantic conventions) when set'),
      })
      .prefault({}),
    providers: z.record(nameSchema, providerSchema).default({}),
    variants: z.record(nameSchema, variantSchema).default({}),
    routes: z.record(nameSchema, routeSchema).default({}),
    guardrails: z.record(nameSchema, guardrailPolicySchema).default({}),
    auth: z.strictObject({ keys: z.array(apiKeySchema).default([]) }).prefault({}),
  })
  .meta({ title: 'Ballast project (ballast.yaml)' });

export type ProjectConfig = z.output<typeof projectSchema>;
