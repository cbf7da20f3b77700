import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallScope, type ClientSignal } from '../../../src/app/gateway/call-scope.js';
import { streamRest } from '../../../src/app/gateway/stream-rest.js';
import type { GuardrailRule } from '../../../src/core/guardrail/check-text.js';
import { checkToolCalls } from '../../../src/core/guardrail/check-tool-calls.js';
import type { ChatResult, StreamEvent } from '../../../src/core/provider/chat.js';

const client: ClientSignal = { aborted: false, onAbort: () => () => {} };

const result: ChatResult = {
  text: 'hello world',
  finishReason: 'stop',
  usage: { inputTokens: 3, outputTokens: 2 },
  model: 'm',
  attempts: 1,
  latencyMs: 5,
  costUsd: 0,
} as unknown as ChatResult;

/** A provider stream that records whether its own cleanup ran, as the HTTP provider's does. */
function providerStream(events: StreamEvent[]) {
  const state = { cleanedUp: false };
  async function* gen(): AsyncGenerator<StreamEvent, void, void> {
    try {
      for (const e of events) yield e;
    } finally {
      state.cleanedUp = true;
    }
  }
  return { state, iterator: gen() };
}

/**
 * streamRest over a provider stream whose first event was already read, as the gateway does: the
 * given events, or (a generator) a stream of the test's own.
 */
async function rest(
  events: StreamEvent[] | AsyncGenerator<StreamEvent, void, void>,
  rules: readonly GuardrailRule[] = [],
  onFirstContent?: () => void,
) {
  const { state, iterator } = Array.isArray(events)
    ? providerStream(events)
    : { state: { cleanedUp: false }, iterator: events };
  const first = (await iterator.next()).value as Extract<StreamEvent, { type: 'delta' | 'tool_call' }>;
  const finished: { outcome?: string; hits?: number; kind?: string; output?: string } = {};
  const stream = streamRest({
    first,
    iterator,
    scope: new CallScope(client, 1000),
    idleMs: 1000,
    rules,
    model: 'm',
    ...(onFirstContent ? { onFirstContent } : {}),
    finish: (outcome, fields) => {
      finished.outcome = outcome;
      finished.hits = fields.hits;
      finished.kind = fields.kind;
      finished.output = fields.output;
    },
  });
  return { state, finished, stream };
}

describe('streamRest', () => {
  it("ends the provider's stream after a complete answer, so its cleanup runs", async () => {
    const { state, finished, stream } = await rest([
      { type: 'delta', text: 'hello' },
      { type: 'delta', text: ' world' },
      { type: 'done', result },
    ]);
    const out: string[] = [];
    for await (const e of stream) out.push(e.type);
    expect(out).toEqual(['delta', 'delta', 'done']);
    expect(finished.outcome).toBe('ok');
    expect(state.cleanedUp).toBe(true);
  });

  it("ends the provider's stream when the client leaves mid-stream", async () => {
    const { state, finished, stream } = await rest([
      { type: 'delta', text: 'a' },
      { type: 'delta', text: 'b' },
      { type: 'done', result },
    ]);
    for await (const _ of stream) break;
    expect(finished.outcome).toBe('cancelled');
    expect(state.cleanedUp).toBe(true);
  });

  it('ends with an explicit error, counted as interrupted, when the provider stream throws', async () => {
    async function* throwing(): AsyncGenerator<StreamEvent, void, void> {
      yield { type: 'delta', text: 'a' };
      throw new Error('a bug in a provider');
    }
    const { finished, stream } = await rest(throwing());
    const out: { type: string; code?: string }[] = [];
    for await (const e of stream)
      out.push(e.type === 'error' ? { type: e.type, code: e.error.code } : { type: e.type });
    expect(out).toEqual([{ type: 'delta' }, { type: 'error', code: 'stream_interrupted' }]);
    expect(finished).toMatchObject({ outcome: 'stream_interrupted', kind: 'upstream' });
  });

  describe('output guardrails on tool-call arguments', () => {
    const args = '{"to":"jane.doe@example.com","body":"see you"}';
    const fragments = (text: string, size: number): StreamEvent[] => {
      const out: StreamEvent[] = [
        {
          type: 'tool_call',
          call: { index: 0, id: 'call_1', type: 'function', name: 'send', arguments: '' },
        },
      ];
      for (let i = 0; i < text.length; i += size)
        out.push({ type: 'tool_call', call: { index: 0, arguments: text.slice(i, i + size) } });
      return out;
    };
    const toolResult = { ...result, text: '', finishReason: 'tool_calls' } as ChatResult;
    const collect = async (stream: AsyncGenerator<unknown>) => {
      const events: { type: string; call?: { arguments?: string }; error?: { code?: string } }[] = [];
      for await (const e of stream) events.push(e as (typeof events)[number]);
      return events;
    };
    /** The arguments the client received, fragment after fragment. */
    const argumentsSent = (events: Awaited<ReturnType<typeof collect>>) =>
      events.flatMap((e) => (e.type === 'tool_call' ? [e.call?.arguments ?? ''] : [])).join('');

    it('redacts a match split over fragments, holding it back until it is whole', async () => {
      const { finished, stream } = await rest(
        [...fragments(args, 5), { type: 'done', result: toolResult }],
        [{ check: 'pii', action: 'redact' }],
      );
      const events = await collect(stream);
      const sent = argumentsSent(events);
      expect(sent).not.toContain('jane.doe');
      expect(JSON.parse(sent)).toEqual({ to: '[REDACTED:email]', body: 'see you' });
      expect(events[0]).toMatchObject({
        type: 'tool_call',
        call: { id: 'call_1', name: 'send', arguments: '' },
      });
      expect(events.at(-1)?.type).toBe('done');
      expect(finished).toMatchObject({ outcome: 'ok', hits: 1 });
    });

    it('sends, however the arguments are split, what checking them whole gives', async () => {
      const rules: GuardrailRule[] = [
        { check: 'pii', action: 'redact' },
        { check: 'secrets', action: 'redact' },
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            to: fc.constantFrom('jane.doe@example.com', '+1 415 555 0132', 'nobody'),
            body: fc.string({ maxLength: 40 }),
            key: fc.constantFrom('', `sk-proj-${'a1B2c3D4e5'.repeat(6)}`),
          }),
          fc.integer({ min: 1, max: 25 }),
          async (value, size) => {
            const text = JSON.stringify(value);
            const { stream } = await rest(
              [...fragments(text, size), { type: 'done', result: toolResult }],
              rules,
            );
            const events = await collect(stream);
            const sent = argumentsSent(events);
            const whole = checkToolCalls([{ function: { arguments: text } }], rules).toolCalls[0] as {
              function: { arguments: string };
            };
            expect(sent).toBe(whole.function.arguments);
            expect(() => JSON.parse(sent)).not.toThrow();
          },
        ),
        { numRuns: 150 },
      );
    });

    it('ends with a guardrail error instead of the call when a block rule hits', async () => {
      const { finished, stream } = await rest(
        [...fragments(args, 7), { type: 'done', result: toolResult }],
        [{ check: 'pii', action: 'block' }],
      );
      const events = await collect(stream);
      const sent = argumentsSent(events);
      expect(sent).not.toContain('jane');
      expect(events.at(-1)).toMatchObject({ type: 'error', error: { code: 'guardrail_blocked' } });
      expect(finished.outcome).toBe('blocked');
    });

    it('checks tool calls that come whole with the finish', async () => {
      const whole = {
        ...toolResult,
        toolCalls: [{ id: 'c', type: 'function', function: { name: 'send', arguments: args } }],
      } as ChatResult;
      const { stream } = await rest(
        [
          { type: 'delta', text: 'ok' },
          { type: 'done', result: whole },
        ],
        [{ check: 'pii', action: 'redact' }],
      );
      const done = (await collect(stream)).at(-1) as unknown as {
        toolCalls: { function: { arguments: string } }[];
      };
      expect(JSON.parse(done.toolCalls[0]!.function.arguments)).toEqual({
        to: '[REDACTED:email]',
        body: 'see you',
      });
    });
  });
});

describe('streamRest: time to first token', () => {
  /** Runs a stream to its end, noting where in it the first content was marked. */
  async function marks(events: StreamEvent[], rules: readonly GuardrailRule[]) {
    const log: string[] = [];
    const { stream } = await rest(events, rules, () => log.push('first content'));
    for await (const e of stream) log.push(e.type);
    return log;
  }

  const words: StreamEvent[] = [
    { type: 'delta', text: 'hello ' },
    { type: 'delta', text: 'world' },
    { type: 'done', result },
  ];

  it('is marked as the first piece goes to the client', async () => {
    expect(await marks(words, [])).toEqual(['first content', 'delta', 'delta', 'done']);
  });

  it("waits for what the output checks held back: a short answer's first token is at its end", async () => {
    // The scanner holds the last 128 characters: all of this answer is released by `done`.
    expect(await marks(words, [{ check: 'pii', action: 'redact' }])).toEqual([
      'first content',
      'delta',
      'done',
    ]);
  });

  it('is not marked for an answer that sent no content', async () => {
    expect(
      await marks(
        [
          { type: 'delta', text: '' },
          { type: 'done', result: { ...result, text: '' } },
        ],
        [],
      ),
    ).toEqual(['delta', 'done']);
  });

  describe('with output checks, as OpenAI orders a stream', () => {
    const redact: GuardrailRule[] = [
      { check: 'pii', action: 'redact' },
      { check: 'secrets', action: 'redact' },
    ];
    const shown = (e: {
      type: string;
      text?: string;
      call?: { index: number; id?: string; arguments?: string };
    }) =>
      e.type === 'delta'
        ? `text:${e.text}`
        : e.type === 'tool_call'
          ? `call${e.call!.index}:${e.call!.id ?? ''}:${e.call!.arguments ?? ''}`
          : e.type;

    it('each tool call reaches the client whole before the next one starts', async () => {
      const { stream } = await rest(
        [
          // OpenAI's order: a call's header, its arguments in pieces, then the next call.
          { type: 'tool_call', call: { index: 0, id: 'a', type: 'function', name: 'f', arguments: '' } },
          { type: 'tool_call', call: { index: 0, arguments: '{"city":' } },
          { type: 'tool_call', call: { index: 0, arguments: '"Paris"}' } },
          { type: 'tool_call', call: { index: 1, id: 'b', type: 'function', name: 'f', arguments: '' } },
          { type: 'tool_call', call: { index: 1, arguments: '{"city":"Rome"}' } },
          { type: 'done', result: { ...result, text: '', finishReason: 'tool_calls' } },
        ],
        redact,
      );
      const out: string[] = [];
      for await (const e of stream) out.push(shown(e as never));
      // The held-back arguments of call 0 go out when call 1 starts, not with the finish (the
      // OpenAI SDK's stream helper takes a call as done when the next index appears).
      const firstB = out.indexOf('call1:b:');
      expect(firstB).toBeGreaterThan(0);
      expect(
        out
          .slice(0, firstB)
          .map((e) => e.split(':').slice(2).join(':'))
          .join(''),
      ).toBe('{"city":"Paris"}');
      expect(out.slice(firstB).some((e) => e.startsWith('call0'))).toBe(false);
    });

    it('text held back reaches the client before a tool call, and before an upstream error', async () => {
      const long =
        'The weather in both cities is what you asked about; one moment while I look it up. '.repeat(3);
      const withTool = await rest(
        [
          { type: 'delta', text: long },
          { type: 'tool_call', call: { index: 0, id: 'a', type: 'function', name: 'f', arguments: '{}' } },
          { type: 'done', result: { ...result, finishReason: 'tool_calls' } },
        ],
        redact,
      );
      const out: string[] = [];
      for await (const e of withTool.stream) out.push(shown(e as never));
      const firstCall = out.findIndex((e) => e.startsWith('call0'));
      expect(
        out
          .slice(0, firstCall)
          .map((e) => e.slice(5))
          .join(''),
      ).toBe(long);
      const cut = await rest(
        [
          { type: 'delta', text: long },
          {
            type: 'error',
            failure: { kind: 'network', message: 'cut', afterContent: true, attempts: 1 } as never,
          },
        ],
        redact,
      );
      const cutOut: string[] = [];
      for await (const e of cut.stream) cutOut.push(shown(e as never));
      expect(cutOut.at(-1)).toBe('error');
      expect(
        cutOut
          .slice(0, -1)
          .map((e) => e.slice(5))
          .join(''),
      ).toBe(long);
      expect(cut.finished.outcome).toBe('stream_interrupted');
    });

    it('reports the text the client got (checked), not what the upstream sent', async () => {
      const { stream, finished } = await rest(
        [
          { type: 'delta', text: 'Write to ann.lee@exam' },
          { type: 'delta', text: 'ple.com today.' },
          { type: 'done', result },
        ],
        redact,
      );
      for await (const _ of stream);
      expect(finished.output).not.toContain('ann.lee');
      expect(finished.output).toContain('[REDACTED');
    });

    it('redacts a long value assigned to a long credential name, sent in small pieces', async () => {
      const value = 'Q7x9Lm2Pz4Vb8Nc1Rt5Yk3Hs0Jf'.repeat(6);
      const text = `Use this:\npasswd_production_replica_main = ${value}\nThat is all.`;
      const pieces = text.match(/.{1,4}/gs) ?? [];
      const { stream } = await rest(
        [...pieces.map((t): StreamEvent => ({ type: 'delta', text: t })), { type: 'done', result }],
        redact,
      );
      let got = '';
      for await (const e of stream) if (e.type === 'delta') got += e.text;
      expect(got).not.toContain(value.slice(0, 20));
      expect(got).toContain('passwd_production_replica_main = [REDACTED');
    });
  });
});
