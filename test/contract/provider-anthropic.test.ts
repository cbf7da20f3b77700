import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../src/adapters/providers/anthropic-provider.js';
import type { HttpModelProvider } from '../../src/adapters/providers/http-provider.js';
import { anthropicProviderSchema } from '../../src/core/spec/project-schema.js';
import { startAnthropicWireServer } from '../support/wire-servers/anthropic-wire-server.js';
import { recordingClock, seededRandom } from '../support/wire-servers/recording-clock.js';
import { wireContractSetup } from '../support/wire-servers/wire-harness.js';
import type { WireServer } from '../support/wire-servers/wire-server.js';
import { assembleToolCalls, collect, done, failure, ok, providerContract } from './provider.contract.js';

const MODEL = 'claude-sonnet-4-5';

providerContract(
  'anthropic',
  wireContractSetup(MODEL, startAnthropicWireServer, ({ baseUrl, options, clock, random }) =>
    createAnthropicProvider({
      name: 'anthropic',
      model: MODEL,
      config: anthropicProviderSchema.parse({
        type: 'anthropic',
        baseUrl,
        apiKey: 'sk-ant-contract',
        retries: options.retries,
        timeoutMs: options.timeoutMs,
        maxConcurrency: options.maxConcurrency,
        pricing: options.pricing,
      }),
      clock,
      random,
      idleTimeoutMs: options.idleTimeoutMs,
    }),
  ),
);

describe('Anthropic specifics', () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startAnthropicWireServer();
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  const provider = (overrides: Record<string, unknown> = {}, clock = recordingClock()) =>
    createAnthropicProvider({
      name: 'ant',
      model: MODEL,
      config: anthropicProviderSchema.parse({
        type: 'anthropic',
        baseUrl: server.url,
        apiKey: 'sk-ant',
        ...overrides,
      }),
      clock,
      random: seededRandom(1),
    });
  const use = async (p: HttpModelProvider, run: (p: HttpModelProvider) => Promise<void>) => {
    try {
      await run(p);
    } finally {
      await p.close();
    }
  };

  it('maps system and developer messages to `system`, sends x-api-key and anthropic-version', () =>
    use(provider(), async (p) => {
      ok(
        await p.complete({
          model: MODEL,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
            { role: 'user', content: 'Hi' },
          ],
          params: {
            temperature: 0.3,
            stop: 'END',
            seed: 3,
            presence_penalty: 1,
            extra: { metadata: { user_id: 'u1' } },
          },
        }),
      );
      const [sent] = server.requests;
      expect(sent?.path).toBe('/v1/messages');
      expect(sent?.headers['x-api-key']).toBe('sk-ant');
      expect(sent?.headers['anthropic-version']).toBe('2023-06-01');
      expect(sent?.headers.authorization).toBeUndefined();
      // max_tokens is required by the Messages API: the default fills it; seed and penalties are dropped.
      expect(sent?.body).toEqual({
        model: MODEL,
        max_tokens: 1024,
        temperature: 0.3,
        stop_sequences: ['END'],
        system: 'Be brief.\n\nAnswer in French.',
        messages: [{ role: 'user', content: 'Hi' }],
        metadata: { user_id: 'u1' },
      });
    }));

  it('honours anthropicVersion and a base URL that already ends in /v1', () =>
    use(provider({ baseUrl: `${server.url}/v1`, anthropicVersion: '2024-01-01' }), async (p) => {
      ok(
        await p.complete({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
          params: { max_tokens: 5 },
        }),
      );
      expect(server.requests[0]?.path).toBe('/v1/messages');
      expect(server.requests[0]?.headers['anthropic-version']).toBe('2024-01-01');
      expect(server.requests[0]?.body?.max_tokens).toBe(5);
    }));

  it('translates OpenAI-style tools, tool calls and tool results, and returns tool_use as tool calls', () =>
    use(provider(), async (p) => {
      const call = { id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
      const expected = [
        { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: call.arguments } },
      ];
      const tools = [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object' } },
        },
      ];
      const request = {
        model: MODEL,
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'b', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'a', content: '18C' },
          { role: 'tool', tool_call_id: 'b', content: '24C' },
        ],
        params: { extra: { tools, tool_choice: 'required' } },
      } as const;
      server.script({ text: '', toolCalls: [call] }, { text: 'Checking.', toolCalls: [call] });
      expect(ok(await p.complete(request))).toMatchObject({
        finishReason: 'tool_calls',
        toolCalls: expected,
      });
      expect(server.requests[0]?.body).toMatchObject({
        tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object' } }],
        tool_choice: { type: 'any' },
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: [
              { type: 'tool_use', id: 'a', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'b', name: 'get_weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'a', content: '18C' },
              { type: 'tool_result', tool_use_id: 'b', content: '24C' },
            ],
          },
        ],
      });
      const run = await collect(p.stream(request));
      expect(done(run)).toMatchObject({ text: 'Checking.', finishReason: 'tool_calls', toolCalls: expected });
      // tool_use blocks come through as OpenAI-style fragments, numbered among the tool calls
      // (the text block before is not counted), and merge to the whole call.
      expect(run.tools).toEqual([
        { index: 0, id: 'toolu_1', type: 'function', name: 'get_weather', arguments: '' },
        { index: 0, arguments: '{"city":' },
        { index: 0, arguments: '"Paris"}' },
      ]);
      expect(assembleToolCalls(run.tools)).toEqual(expected);
    }));

  it('tool call arguments that are not JSON are a bad_request, without a call', () =>
    use(provider(), async (p) => {
      const bad = { id: 'x', type: 'function', function: { name: 'f', arguments: '{oops' } };
      const f = failure(
        await p.complete({
          model: MODEL,
          messages: [{ role: 'assistant', content: '', tool_calls: [bad] }],
          params: {},
        }),
      );
      expect(f).toMatchObject({ kind: 'bad_request', attempts: 0 });
      expect(server.requests).toHaveLength(0);
    }));

  it('reads usage from message_start and message_delta, and maps stop reasons', () =>
    use(provider(), async (p) => {
      const request = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], params: {} } as const;
      server.script({ usage: { input: 21, output: 8 }, finish: 'length' }, { finish: 'content_filter' });
      const result = done(await collect(p.stream(request)));
      expect(result).toMatchObject({ usage: { inputTokens: 21, outputTokens: 8 }, finishReason: 'length' });
      expect(ok(await p.complete(request)).finishReason).toBe('content_filter');
    }));

  it('529 overloaded_error is upstream and retried', () => {
    const clock = recordingClock();
    return use(provider({ retries: 1 }, clock), async (p) => {
      const request = { model: MODEL, messages: [{ role: 'user', content: 'Hi' }], params: {} } as const;
      server.script({ status: 529 }, { status: 529 });
      const f = failure(await p.complete(request));
      expect(f).toMatchObject({ kind: 'upstream', status: 529, attempts: 2 });
      expect(f.message).toContain('overloaded_error');
      expect(clock.sleeps).toHaveLength(1);
    });
  });
});
