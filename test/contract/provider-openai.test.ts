import { type AddressInfo, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpTransportRegistry } from '../../src/adapters/providers/http-transport.js';
import {
  createOpenAIProvider,
  type OpenAIProviderConfig,
} from '../../src/adapters/providers/openai-provider.js';
import { openaiProviderSchema } from '../../src/core/spec/project-schema.js';
import { startOpenAIWireServer, tokenLogprob } from '../support/wire-servers/openai-wire-server.js';
import { recordingClock, seededRandom } from '../support/wire-servers/recording-clock.js';
import { wireContractSetup } from '../support/wire-servers/wire-harness.js';
import { DEFAULT_TEXT, splitText, type WireServer } from '../support/wire-servers/wire-server.js';
import { assembleToolCalls, collect, done, failure, ok, providerContract } from './provider.contract.js';

const MODEL = 'gpt-4o-mini';

providerContract(
  'openai',
  wireContractSetup(MODEL, startOpenAIWireServer, ({ baseUrl, options, clock, random }) =>
    createOpenAIProvider({
      name: 'openai',
      model: MODEL,
      config: openaiProviderSchema.parse({
        type: 'openai',
        baseUrl: `${baseUrl}/v1`,
        apiKey: 'sk-contract',
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

describe('OpenAI-compatible specifics', () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startOpenAIWireServer();
  });
  beforeEach(() => server.reset());
  afterAll(() => server.close());

  const config = (overrides: Record<string, unknown> = {}): OpenAIProviderConfig =>
    openaiProviderSchema.parse({
      type: 'openai',
      baseUrl: `${server.url}/v1`,
      apiKey: 'sk-test',
      ...overrides,
    });
  const provider = (overrides: Record<string, unknown> = {}, clock = recordingClock()) =>
    createOpenAIProvider({
      name: 'oai',
      model: MODEL,
      config: config(overrides),
      clock,
      random: seededRandom(1),
    });
  const request = {
    model: MODEL,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
    ],
    params: {
      temperature: 0.2,
      max_tokens: 100,
      stop: ['\n\n'],
      seed: 7,
      presence_penalty: 0.5,
      extra: { response_format: { type: 'json_object' }, stream: 'ignored', user: 'u-1' },
    },
  } as const;

  it('sends the chat-completions body and bearer auth; custom headers pass through', async () => {
    const p = provider({ headers: { 'X-Team': 'ml' } });
    try {
      ok(await p.complete(request));
      const [sent] = server.requests;
      expect(sent?.path).toBe('/v1/chat/completions');
      expect(sent?.headers.authorization).toBe('Bearer sk-test');
      expect(sent?.headers['x-team']).toBe('ml');
      expect(sent?.body).toEqual({
        model: MODEL,
        messages: request.messages,
        temperature: 0.2,
        max_tokens: 100,
        stop: ['\n\n'],
        seed: 7,
        presence_penalty: 0.5,
        response_format: { type: 'json_object' },
        user: 'u-1',
      });
    } finally {
      await p.close();
    }
  });

  it('asks a stream for usage (stream_options.include_usage) and reads it from the last chunk', async () => {
    const p = provider();
    try {
      server.script({ text: 'a b c', usage: { input: 11, output: 3 } });
      const result = done(await collect(p.stream(request)));
      expect(result.usage).toEqual({ inputTokens: 11, outputTokens: 3 });
      expect(server.requests[0]?.body).toMatchObject({
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
    } finally {
      await p.close();
    }
  });

  it('speaks Azure OpenAI when apiVersion is set: api-version query, api-key header, no bearer', async () => {
    const p = provider({ baseUrl: `${server.url}/openai/deployments/gpt4o`, apiVersion: '2024-10-21' });
    try {
      ok(await p.complete(request));
      const [sent] = server.requests;
      expect(sent?.path).toBe('/openai/deployments/gpt4o/chat/completions');
      expect(sent?.query.get('api-version')).toBe('2024-10-21');
      expect(sent?.headers['api-key']).toBe('sk-test');
      expect(sent?.headers.authorization).toBeUndefined();
    } finally {
      await p.close();
    }
  });

  it('passes tools through and returns tool calls, whole or assembled from stream fragments', async () => {
    const p = provider();
    const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
    const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];
    const expected = [
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: call.arguments } },
    ];
    try {
      server.script({ text: '', toolCalls: [call] }, { text: '', toolCalls: [call] });
      const whole = ok(await p.complete({ ...request, params: { extra: { tools } } }));
      expect(whole).toMatchObject({ finishReason: 'tool_calls', toolCalls: expected });
      expect(server.requests[0]?.body?.tools).toEqual(tools);
      const run = await collect(p.stream({ ...request, params: { extra: { tools } } }));
      expect(done(run)).toMatchObject({ finishReason: 'tool_calls', toolCalls: expected });
      // The fragments come through as they arrived (head with id and name, then the arguments in
      // two pieces), before the end, and merge to the whole call.
      expect(run.tools).toEqual([
        { index: 0, id: 'call_1', type: 'function', name: 'get_weather', arguments: '' },
        { index: 0, arguments: '{"city":' },
        { index: 0, arguments: '"Paris"}' },
      ]);
      expect(assembleToolCalls(run.tools)).toEqual(expected);
    } finally {
      await p.close();
    }
  });

  it("returns the answer's token logprobs, whole or gathered from the stream's chunks in order", async () => {
    const p = provider();
    const expected = splitText(DEFAULT_TEXT).map(tokenLogprob);
    try {
      const extra = { logprobs: true };
      const whole = ok(await p.complete({ ...request, params: { extra } }));
      expect(server.requests[0]?.body?.logprobs).toBe(true);
      expect(whole.logprobs).toEqual({ content: expected, refusal: null });
      const streamed = done(await collect(p.stream({ ...request, params: { extra } })));
      expect(streamed.logprobs).toEqual({ content: expected, refusal: null });
      // Not asked for: none, rather than an empty list.
      expect(ok(await p.complete(request)).logprobs).toBeUndefined();
      expect(done(await collect(p.stream(request))).logprobs).toBeUndefined();
    } finally {
      await p.close();
    }
  });

  it('streams the answer of a server that ignores stream:true and sends JSON', async () => {
    const p = provider();
    try {
      const body = openaiCompletionBody('Whole answer.');
      server.script({ rawBody: JSON.stringify(body) });
      const run = await collect(p.stream(request));
      expect(run.deltas).toEqual(['Whole answer.']);
      expect(done(run)).toMatchObject({ text: 'Whole answer.', usage: { inputTokens: 5, outputTokens: 2 } });
    } finally {
      await p.close();
    }
  });

  it('honours retry-after-ms over Retry-After', async () => {
    const clock = recordingClock();
    const p = provider({ retries: 1 }, clock);
    try {
      server.script({ status: 429, headers: { 'retry-after-ms': '250', 'retry-after': '5' } }, {});
      expect(ok(await p.complete(request)).attempts).toBe(2);
      expect(clock.sleeps).toEqual([250]);
    } finally {
      await p.close();
    }
  });

  it('does not retry a 404 (model not found) nor a Retry-After longer than 60 s; both stay failures of the variant', async () => {
    const clock = recordingClock();
    const p = provider({ retries: 2, timeoutMs: 600_000 }, clock);
    try {
      // One step each: a retry would get the wire server's default answer, a success.
      server.script({ status: 404 });
      expect(failure(await p.complete(request))).toMatchObject({
        kind: 'upstream',
        status: 404,
        attempts: 1,
      });
      server.script({ rawBody: '{"error":{"message":"no such model","type":"not_found_error"}}' });
      expect(failure(await p.complete(request))).toMatchObject({ kind: 'upstream', attempts: 1 });
      server.script({ status: 429, headers: { 'retry-after': '120' } });
      expect(failure(await p.complete(request))).toMatchObject({
        kind: 'rate_limit',
        attempts: 1,
        retryAfterMs: 120_000,
      });
      expect(clock.sleeps).toEqual([]);
    } finally {
      await p.close();
    }
  });

  it('a 200 body that is not JSON, or that holds an error, is a failure with a kind', async () => {
    const p = provider({ retries: 1 });
    try {
      server.script({ rawBody: '{"id": "chatcmpl-1", "choices": [' }, {});
      expect(ok(await p.complete(request)).attempts).toBe(2);
      server.script({
        rawBody: '{"error":{"message":"bad key","type":"invalid_request_error","code":"invalid_api_key"}}',
      });
      expect(failure(await p.complete(request))).toMatchObject({ kind: 'auth', attempts: 1 });
      // Ollama's plain-string error, in a 200 the server did not mean: the server's fault, so retried.
      const broken = { rawBody: '{"error":"unexpected EOF"}' };
      server.script(broken, broken);
      expect(failure(await p.complete(request))).toMatchObject({ kind: 'upstream', attempts: 2 });
    } finally {
      await p.close();
    }
  });

  it('a refused connection is a network failure', async () => {
    const closed = await startOpenAIWireServer();
    await closed.close();
    const p = createOpenAIProvider({
      name: 'gone',
      model: MODEL,
      config: openaiProviderSchema.parse({ type: 'openai', baseUrl: `${closed.url}/v1`, retries: 0 }),
      clock: recordingClock(),
      random: seededRandom(1),
    });
    try {
      const f = failure(await p.complete(request));
      expect(f.kind).toBe('network');
      expect(f.message).toContain('ECONNREFUSED');
    } finally {
      await p.close();
    }
  });

  it('keeps at most maxConcurrency calls in flight and does not count queueing as latency', async () => {
    const p = provider({ maxConcurrency: 2 });
    const delayMs = 200;
    try {
      server.setDefault({ delayMs });
      const started = performance.now();
      const calls = Array.from({ length: 6 }, async () => {
        const result = ok(await p.complete(request));
        return { wall: performance.now() - started, latency: result.latencyMs };
      });
      const timings = await Promise.all(calls);
      expect(server.maxInFlight()).toBe(2);
      // The last pair waited for two pairs ahead of it (≥ 2 × delay); none of that is latency.
      const last = timings.reduce((a, b) => (b.wall > a.wall ? b : a));
      expect(last.wall - last.latency).toBeGreaterThanOrEqual(1.5 * delayMs);
      expect(p.stats()).toMatchObject({ calls: 6, active: 0, pending: 0 });
    } finally {
      await p.close();
    }
  });

  it('variants of one provider share one keep-alive pool and one limit through the registry', async () => {
    const registry = createHttpTransportRegistry();
    const shared = config({ maxConcurrency: 1 });
    const variant = (model: string) =>
      createOpenAIProvider({
        name: 'oai',
        model,
        config: shared,
        clock: recordingClock(),
        random: seededRandom(1),
        transport: registry.lease('oai', shared),
      });
    const [a, b] = [variant('model-a'), variant('model-b')];
    try {
      server.setDefault({ delayMs: 50 });
      await Promise.all([a.complete(request), b.complete(request), a.complete(request)]);
      expect(server.maxInFlight()).toBe(1);
      expect(server.openConnections()).toBe(1);
      await a.close();
      // The pool outlives one variant's close.
      expect(ok(await b.complete(request)).text).not.toBe('');
    } finally {
      await b.close();
      await registry.closeAll();
    }
    await until(() => server.openConnections() === 0);
  });

  describe('a non-streamed body read from a raw socket', () => {
    // The body is read chunk by chunk (http-attempt.ts readText): the test server writes the
    // response in pieces, and cuts or stalls it, the way a proxy or a dying upstream does.
    const answer = 'Größe: 5 € — naïve café';
    const bodyText = JSON.stringify({
      id: 'chatcmpl-raw',
      object: 'chat.completion',
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', content: answer }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
    });
    const body = Buffer.from(bodyText, 'utf8');
    type Mode = 'pieces' | 'cut' | 'stall';
    const startRaw = async (modes: Mode[]) => {
      const sockets = new Set<Socket>();
      let calls = 0;
      const raw = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.once('data', () => {
          const mode = modes[Math.min(calls, modes.length - 1)]!;
          calls++;
          socket.write(
            `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
          );
          // Split inside "ö" (2 bytes) and "€" (3 bytes): a decoder per piece would garble them.
          const splitAt = [body.indexOf(Buffer.from('ö')) + 1, body.indexOf(Buffer.from('€')) + 2];
          const pieces = [
            body.subarray(0, splitAt[0]),
            body.subarray(splitAt[0], splitAt[1]),
            body.subarray(splitAt[1]),
          ];
          if (mode === 'pieces') {
            let i = 0;
            const next = () => {
              socket.write(pieces[i++]!);
              if (i < pieces.length) setTimeout(next, 5);
              else socket.end();
            };
            next();
          } else {
            socket.write(pieces[0]!);
            if (mode === 'cut') setTimeout(() => socket.destroy(), 5);
          }
        });
      });
      await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
      const port = (raw.address() as AddressInfo).port;
      return {
        url: `http://127.0.0.1:${port}/v1`,
        calls: () => calls,
        close: () => {
          for (const socket of sockets) socket.destroy();
          return new Promise<void>((resolve) => raw.close(() => resolve()));
        },
      };
    };
    const rawProvider = (url: string, retries: number, idleTimeoutMs?: number) =>
      createOpenAIProvider({
        name: 'raw',
        model: MODEL,
        config: openaiProviderSchema.parse({ type: 'openai', baseUrl: url, retries }),
        clock: recordingClock(),
        random: seededRandom(1),
        ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
      });

    it('joins pieces split inside multi-byte characters', async () => {
      const raw = await startRaw(['pieces']);
      const p = rawProvider(raw.url, 0);
      try {
        expect(ok(await p.complete(request))).toMatchObject({ text: answer, attempts: 1 });
      } finally {
        await p.close();
        await raw.close();
      }
    });

    it('a body cut before its end is a network failure, retried', async () => {
      const raw = await startRaw(['cut', 'pieces']);
      const p = rawProvider(raw.url, 1);
      try {
        expect(ok(await p.complete(request))).toMatchObject({ text: answer, attempts: 2 });
        expect(raw.calls()).toBe(2);
        const once = await startRaw(['cut']);
        const q = rawProvider(once.url, 0);
        try {
          expect(failure(await q.complete(request))).toMatchObject({ kind: 'network', attempts: 1 });
        } finally {
          await q.close();
          await once.close();
        }
      } finally {
        await p.close();
        await raw.close();
      }
    });

    it('a body that stalls part-way ends at the idle timeout instead of hanging', async () => {
      const raw = await startRaw(['stall']);
      const p = rawProvider(raw.url, 0, 200);
      try {
        expect(failure(await p.complete(request))).toMatchObject({ kind: 'timeout', attempts: 1 });
        expect(p.stats()).toMatchObject({ active: 0, pending: 0 });
      } finally {
        await p.close();
        await raw.close();
      }
    });
  });
});

describe('a stream read from a raw socket', () => {
  // The server writes SSE events in the groups it is given, each group in one write, with a pause
  // between groups: what arrives in one read goes on as one piece (http-attempt.ts decodeRead).
  const event = (delta: Record<string, unknown>, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: MODEL, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const startRaw = async (groups: string[][]) => {
    const raw = createServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n');
        let i = 0;
        const next = () => {
          socket.write(groups[i++]!.join(''));
          if (i < groups.length) setTimeout(next, 40);
          else socket.end();
        };
        next();
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const provider = createOpenAIProvider({
      name: 'raw',
      model: MODEL,
      config: openaiProviderSchema.parse({
        type: 'openai',
        baseUrl: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`,
      }),
      clock: recordingClock(),
      random: seededRandom(1),
    });
    return {
      provider,
      close: async () => {
        await provider.close();
        await new Promise<void>((resolve) => raw.close(() => resolve()));
      },
    };
  };
  const request = { model: MODEL, messages: [{ role: 'user' as const, content: 'hi' }], params: {} };

  it('passes the text of events that arrived together as one delta, and later events as their own', async () => {
    const raw = await startRaw([
      [event({ role: 'assistant', content: '' }), event({ content: 'The ' }), event({ content: 'quick ' })],
      [event({ content: 'brown ' }), event({ content: 'fox' })],
      [event({}, 'stop'), 'data: [DONE]\n\n'],
    ]);
    try {
      const run = await collect(raw.provider.stream(request));
      expect(run.deltas).toEqual(['The quick ', 'brown fox']);
      expect(done(run)).toMatchObject({ text: 'The quick brown fox', finishReason: 'stop' });
    } finally {
      await raw.close();
    }
  });

  it("names the upstream's model on the first delta, so a stream carries one model from the start", async () => {
    const named = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'gpt-x-2024-08-06', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const raw = await startRaw([
      [named({ content: 'Hi' })],
      [named({ content: '!' }), named({}, 'stop'), 'data: [DONE]\n\n'],
    ]);
    try {
      const run = await collect(raw.provider.stream(request));
      expect(run.events[0]).toEqual({ type: 'delta', text: 'Hi', model: 'gpt-x-2024-08-06' });
      expect(run.events[1]).toEqual({ type: 'delta', text: '!' });
      expect(done(run).model).toBe('gpt-x-2024-08-06');
    } finally {
      await raw.close();
    }
  });

  it('keeps tool-call fragments in their place between the text of one read', async () => {
    const call = { index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } };
    const raw = await startRaw([
      [
        event({ content: 'a' }),
        event({ content: 'b' }),
        event({ tool_calls: [call] }),
        event({ content: 'c' }),
        event({}, 'tool_calls'),
        'data: [DONE]\n\n',
      ],
    ]);
    try {
      const run = await collect(raw.provider.stream(request));
      expect(run.events.map((e) => (e.type === 'delta' ? e.text : e.type))).toEqual([
        'ab',
        'tool_call',
        'c',
        'done',
      ]);
    } finally {
      await raw.close();
    }
  });

  it('with n > 1, reads choice 0 only; a tool name repeated in every fragment is not repeated', async () => {
    const chunk = (choices: unknown[]) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: MODEL, choices })}\n\n`;
    const fragment = (args: string) => ({
      index: 0,
      delta: {
        // Fireworks and NVIDIA NIM send the id, type and name again with every fragment.
        tool_calls: [
          { index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: args } },
        ],
      },
      finish_reason: null,
    });
    const raw = await startRaw([
      [
        chunk([{ index: 0, delta: { content: 'Hello' }, finish_reason: null }]),
        chunk([{ index: 1, delta: { content: 'Bonjour' }, finish_reason: null }]),
        chunk([fragment('{"city":')]),
        chunk([fragment('"Paris"}')]),
        chunk([{ index: 1, delta: { content: ' monde' }, finish_reason: 'length' }]),
        chunk([{ index: 0, delta: {}, finish_reason: 'tool_calls' }]),
        'data: [DONE]\n\n',
      ],
    ]);
    try {
      const result = done(await collect(raw.provider.stream(request)));
      expect(result).toMatchObject({ text: 'Hello', finishReason: 'tool_calls' });
      expect(result.toolCalls).toEqual([
        { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      ]);
    } finally {
      await raw.close();
    }
  });

  it('an error event sends the text before it in the same read first, then fails after content', async () => {
    const raw = await startRaw([
      [
        event({ content: 'partial ' }),
        event({ content: 'answer' }),
        `data: ${JSON.stringify({ error: { message: 'boom', type: 'server_error' } })}\n\n`,
      ],
    ]);
    try {
      const run = await collect(raw.provider.stream(request));
      expect(run.text).toBe('partial answer');
      expect(run.events.at(-1)).toMatchObject({ type: 'error', failure: { afterContent: true } });
    } finally {
      await raw.close();
    }
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function openaiCompletionBody(text: string): unknown {
  return {
    id: 'chatcmpl-json',
    object: 'chat.completion',
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  };
}
