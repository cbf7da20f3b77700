import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAILURE_KINDS } from '../../../src/core/provider/chat.js';
import { planResponse, simRates } from '../../../src/core/sim/plan-response.js';
import { estimateTokens } from '../../../src/core/sim/sim-tokens.js';
import { simProfileSchema } from '../../../src/core/spec/sim-profile.js';

const rate = fc.double({ min: 0, max: 1, noNaN: true });
const latency = fc
  .tuple(fc.double({ min: 0.01, max: 1e6, noNaN: true }), fc.double({ min: 1, max: 50, noNaN: true }))
  .map(([median, ratio]) => ({ median_ms: median, p95_ms: median * ratio }));

/** Any profile the schema accepts. */
const profiles = fc
  .record({
    seed: fc.integer(),
    accuracy: rate,
    latency,
    ttft: latency,
    chunk_ms: fc.double({ min: 0, max: 1e4, noNaN: true }),
    error_rate: fc.oneof(rate, fc.dictionary(fc.constantFrom(...FAILURE_KINDS), rate)),
    unsafe_rate: rate,
    refusal_rate: rate,
  })
  .map((p) => simProfileSchema.parse(p));

const content = fc.oneof(
  fc.string({ unit: 'grapheme-composite' }),
  fc.string(),
  fc.constant(null),
  fc.array(fc.oneof(fc.record({ type: fc.constant('text'), text: fc.string() }), fc.anything())),
);
const messages = fc.array(
  fc.record(
    {
      role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool' as const),
      content,
      name: fc.string(),
      tool_calls: fc.array(fc.anything()),
    },
    { requiredKeys: ['role', 'content'] },
  ),
  { maxLength: 6 },
);
const params = fc.record(
  {
    max_tokens: fc.integer({ min: -3, max: 300 }),
    stop: fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 4 })),
  },
  { requiredKeys: [] },
);

describe('planResponse under arbitrary input', () => {
  it('never throws and always returns a well-formed plan', () => {
    fc.assert(
      fc.property(
        profiles,
        messages,
        params,
        fc.option(fc.integer()),
        fc.option(fc.string()),
        fc.option(fc.dictionary(fc.string(), fc.string())),
        fc.option(fc.integer({ min: 1, max: 100_000 })),
        (profile, msgs, ps, sampleIndex, reference, kb, timeoutMs) => {
          const plan = planResponse({
            providerSeed: 42,
            profile,
            model: 'm',
            request: {
              messages: msgs,
              params: ps,
              ...(sampleIndex === null ? {} : { sampleIndex }),
              ...(reference === null ? {} : { reference }),
            },
            ...(kb === null ? {} : { knowledge: (q: string) => kb[q] }),
            ...(timeoutMs === null ? {} : { timeoutMs }),
          });
          expect(plan.usage.inputTokens).toBeGreaterThanOrEqual(1);
          expect(Number.isFinite(plan.latencyMs) && plan.latencyMs >= 0).toBe(true);
          if (!plan.ok) {
            expect(FAILURE_KINDS).toContain(plan.kind);
            expect(plan.usage.outputTokens).toBe(0);
            return;
          }
          expect(plan.chunks.map((c) => c.text).join('')).toBe(plan.text);
          expect(plan.usage.outputTokens).toBe(estimateTokens(plan.text));
          if (ps.max_tokens !== undefined)
            expect(plan.usage.outputTokens).toBeLessThanOrEqual(Math.max(0, ps.max_tokens));
          expect(plan.ttftMs).toBeGreaterThanOrEqual(0);
          expect(plan.ttftMs).toBeLessThanOrEqual(plan.latencyMs);
          for (const chunk of plan.chunks) {
            expect(chunk.atMs).toBeGreaterThanOrEqual(plan.ttftMs);
            expect(chunk.atMs).toBeLessThanOrEqual(plan.latencyMs);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('turns any profile into probabilities in [0, 1]', () => {
    fc.assert(
      fc.property(profiles, (profile) => {
        const rates = simRates(profile);
        for (const p of Object.values(rates)) expect(p >= 0 && p <= 1).toBe(true);
        expect(rates.refusal + rates.unsafe).toBeLessThanOrEqual(1 + 1e-12);
      }),
    );
  });
});
