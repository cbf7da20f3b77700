import { describe, expect, it } from 'vitest';
import { planResponse, simRates } from '../../../src/core/sim/plan-response.js';
import { SIM_REFUSALS, SIM_UNSAFE_SNIPPETS } from '../../../src/core/sim/sim-answers.js';
import { normaliseQuestion } from '../../../src/core/sim/sim-text.js';
import { estimateTokens } from '../../../src/core/sim/sim-tokens.js';
import { answered, ask, input, profile, RESET_REFERENCE } from './fixtures.js';

const withReference = (overrides: Parameters<typeof input>[0] = {}) =>
  input({
    request: { messages: ask('How do I reset my password?'), params: {}, reference: RESET_REFERENCE },
    ...overrides,
  });

describe('planResponse: determinism', () => {
  it('gives identical plans for identical inputs', () => {
    const a = planResponse(withReference({ profile: profile({ accuracy: 0.5, refusal_rate: 0.2 }) }));
    const b = planResponse(withReference({ profile: profile({ accuracy: 0.5, refusal_rate: 0.2 }) }));
    expect(b).toEqual(a);
  });

  it('pins one plan, so a seed means the same answers in every release', () => {
    const plan = answered(planResponse(withReference()));
    expect({
      behaviour: plan.behaviour,
      latencyMs: plan.latencyMs,
      ttftMs: plan.ttftMs,
    }).toMatchInlineSnapshot(`
      {
        "behaviour": "correct",
        "latencyMs": 825.8,
        "ttftMs": 331.2,
      }
    `);
  });

  it('draws differently for each sample index, provider seed, profile seed and model', () => {
    const base = withReference({ profile: profile({ accuracy: 0.5 }) });
    const latencies = new Set<number>();
    const behaviours = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const plan = answered(planResponse({ ...base, request: { ...base.request, sampleIndex: i } }));
      latencies.add(plan.latencyMs);
      behaviours.add(plan.behaviour);
    }
    expect(latencies.size).toBeGreaterThan(35);
    expect(behaviours).toEqual(new Set(['correct', 'wrong']));

    const latencyOf = (over: Parameters<typeof input>[0]) =>
      answered(planResponse(withReference(over))).latencyMs;
    const reference = latencyOf({});
    expect(latencyOf({ providerSeed: 43 })).not.toBe(reference);
    expect(latencyOf({ profile: profile({ seed: 1 }) })).not.toBe(reference);
    expect(latencyOf({ model: 'sim-small' })).not.toBe(reference);
  });

  it('changes only the decision whose rate changed (common random numbers)', () => {
    let low = 0;
    let high = 0;
    for (let i = 0; i < 300; i++) {
      const at = (accuracy: number) =>
        answered(
          planResponse(
            input({
              profile: profile({ accuracy }),
              request: { messages: ask(`question ${i}`), params: {}, reference: `answer ${i}` },
            }),
          ),
        );
      const a = at(0.6);
      const b = at(0.9);
      expect(b.latencyMs).toBe(a.latencyMs);
      // Raising accuracy only turns wrong answers right.
      if (a.behaviour === 'correct') expect(b.behaviour).toBe('correct');
      low += a.behaviour === 'correct' ? 1 : 0;
      high += b.behaviour === 'correct' ? 1 : 0;
    }
    expect(high).toBeGreaterThan(low);
  });
});

describe('planResponse: what it answers', () => {
  it('answers with the reference at accuracy 1, and never with it at accuracy 0', () => {
    for (let i = 0; i < 50; i++) {
      const request = {
        messages: ask('How do I reset my password?'),
        params: {},
        reference: RESET_REFERENCE,
        sampleIndex: i,
      };
      const right = answered(planResponse(input({ profile: profile({ accuracy: 1 }), request })));
      expect(right).toMatchObject({
        behaviour: 'correct',
        text: RESET_REFERENCE,
        referenceSource: 'request',
      });
      const wrong = answered(planResponse(input({ profile: profile({ accuracy: 0 }), request })));
      expect(wrong.behaviour).toBe('wrong');
      expect(wrong.text).not.toBe(RESET_REFERENCE);
    }
  });

  it('looks the last user message up in the knowledge base, and lets a request reference win', () => {
    const knowledge = (q: string) =>
      normaliseQuestion(q) === 'how do i reset my password' ? RESET_REFERENCE : undefined;
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'Hi' },
      { role: 'assistant' as const, content: 'Hello! How can I help?' },
      { role: 'user' as const, content: [{ type: 'text', text: 'How do I  RESET my password??' }] },
    ];
    const fromKnowledge = answered(
      planResponse(
        input({ profile: profile({ accuracy: 1 }), knowledge, request: { messages, params: {} } }),
      ),
    );
    expect(fromKnowledge).toMatchObject({ text: RESET_REFERENCE, referenceSource: 'knowledge' });
    const own = answered(
      planResponse(
        input({
          profile: profile({ accuracy: 1 }),
          knowledge,
          request: { messages, params: {}, reference: 'Mine.' },
        }),
      ),
    );
    expect(own).toMatchObject({ text: 'Mine.', referenceSource: 'request' });
  });

  it('answers a question nobody knows with a generic answer built from it', () => {
    const plan = answered(planResponse(input({ question: 'Can I paint my dashboard purple?' })));
    expect(plan.behaviour).toBe('generic');
    expect(plan.referenceSource).toBeUndefined();
    expect(plan.text).toContain('Can I paint my dashboard purple');
  });

  it('refuses at refusal_rate 1 and adds something a guardrail catches at unsafe_rate 1', () => {
    const refused = answered(
      planResponse(withReference({ profile: profile({ refusal_rate: 1, unsafe_rate: 1 }) })),
    );
    expect(refused.behaviour).toBe('refusal');
    expect(SIM_REFUSALS).toContain(refused.text);
    expect(refused.unsafe).toBeUndefined();

    const kinds = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const base = withReference({ profile: profile({ unsafe_rate: 1, accuracy: 1 }) });
      const plan = answered(planResponse({ ...base, request: { ...base.request, sampleIndex: i } }));
      const snippet = SIM_UNSAFE_SNIPPETS.find((s) => s.kind === plan.unsafe);
      expect(snippet).toBeDefined();
      expect(plan.text).toBe(`${RESET_REFERENCE} ${snippet?.text}`);
      kinds.add(plan.unsafe as string);
    }
    expect(kinds.size).toBe(SIM_UNSAFE_SNIPPETS.length);
  });
});

describe('planResponse: failures', () => {
  it('fails as upstream (503) when error_rate is a number', () => {
    const plan = planResponse(withReference({ profile: profile({ error_rate: 1 }) }));
    expect(plan).toMatchObject({ ok: false, kind: 'upstream', status: 503 });
    expect(plan.usage.outputTokens).toBe(0);
  });

  it('fails with the kind of the per-kind map, with what that provider would say', () => {
    expect(planResponse(withReference({ profile: profile({ error_rate: { auth: 1 } }) }))).toMatchObject({
      ok: false,
      kind: 'auth',
      status: 401,
    });
    expect(
      planResponse(withReference({ profile: profile({ error_rate: { rate_limit: 1 } }) })),
    ).toMatchObject({
      ok: false,
      kind: 'rate_limit',
      status: 429,
      retryAfterMs: 1000,
    });
  });

  it('times out at the caller timeout when the drawn latency exceeds it', () => {
    const slow = profile({ latency: { median_ms: 5000, p95_ms: 5000 } });
    expect(planResponse(withReference({ profile: slow, timeoutMs: 1000 }))).toMatchObject({
      ok: false,
      kind: 'timeout',
      latencyMs: 1000,
    });
    expect(planResponse(withReference({ profile: slow, timeoutMs: 10_000 })).ok).toBe(true);
  });

  it('reports the rates it will produce, each in [0, 1]', () => {
    expect(
      simRates(profile({ error_rate: { auth: 0.8, network: 0.8 }, refusal_rate: 0.7, unsafe_rate: 0.6 })),
    ).toEqual({
      failure: 1,
      refusal: 0.7,
      unsafe: expect.closeTo(0.3, 12),
      accuracy: 0.8,
    });
  });
});

describe('planResponse: tokens, max_tokens and stop', () => {
  it('counts tokens that follow the text', () => {
    const short = answered(planResponse(withReference({ profile: profile({ accuracy: 1 }) })));
    expect(short.usage.outputTokens).toBe(Math.ceil(RESET_REFERENCE.length / 4));
    expect(short.finishReason).toBe('stop');
    const long = answered(
      planResponse(
        input({ request: { messages: ask('How do I reset my password?', 'x'.repeat(400)), params: {} } }),
      ),
    );
    expect(long.usage.inputTokens - short.usage.inputTokens).toBe(100 + 3);
  });

  it('truncates at max_tokens with finish reason length', () => {
    const plan = answered(
      planResponse(
        input({
          profile: profile({ accuracy: 1 }),
          request: { messages: ask('q'), params: { max_tokens: 5 }, reference: RESET_REFERENCE },
        }),
      ),
    );
    expect(plan).toMatchObject({ finishReason: 'length', text: RESET_REFERENCE.slice(0, 20) });
    expect(plan.usage.outputTokens).toBe(5);
    expect(plan.chunks.map((c) => c.text).join('')).toBe(plan.text);
  });

  it('stops before the first stop sequence', () => {
    const plan = answered(
      planResponse(
        input({
          profile: profile({ accuracy: 1 }),
          request: { messages: ask('q'), params: { stop: ['zzz', ';'] }, reference: RESET_REFERENCE },
        }),
      ),
    );
    expect(plan).toMatchObject({
      finishReason: 'stop',
      text: 'Open Settings > Security and choose Reset password',
    });
    expect(plan.usage.outputTokens).toBe(estimateTokens(plan.text));
  });
});

describe('planResponse: timing', () => {
  it('streams the whole text in order, between the TTFT and the latency', () => {
    for (let i = 0; i < 200; i++) {
      const base = withReference({ profile: profile({ accuracy: 0.5, unsafe_rate: 0.3 }) });
      const plan = answered(planResponse({ ...base, request: { ...base.request, sampleIndex: i } }));
      expect(plan.chunks.map((c) => c.text).join('')).toBe(plan.text);
      expect(plan.ttftMs).toBeLessThanOrEqual(plan.latencyMs);
      expect(plan.chunks[0]?.atMs).toBe(plan.ttftMs);
      for (let k = 1; k < plan.chunks.length; k++)
        expect(plan.chunks[k]!.atMs).toBeGreaterThanOrEqual(plan.chunks[k - 1]!.atMs);
      expect(plan.chunks.at(-1)!.atMs).toBeLessThanOrEqual(plan.latencyMs);
    }
  });
});
