import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { gatewayProject } from '../support/gateway-project.js';
import { recordingTelemetry } from '../support/recording-telemetry.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import type { WireServer } from '../support/wire-servers/wire-server.js';

// Whatever a client sends to `ballast serve` (issue #5), the answer is a 4xx in OpenAI's error
// shape (or a 2xx when the body happens to be valid), never a 5xx, and the server keeps serving.

const RUNS = 300;
const BODY_LIMIT = 1024;
const PATHS = ['/v1/chat/completions', '/v1/feedback'] as const;
type Path = (typeof PATHS)[number];
const OK_STATUS: Record<Path, number> = { '/v1/chat/completions': 200, '/v1/feedback': 201 };

interface Sent {
  readonly path: Path;
  readonly body?: string | Uint8Array;
  readonly contentType?: string | undefined;
}

describe('gateway request fuzzing', () => {
  let upstream: WireServer;
  let gw: RunningGateway;
  const unexpected: string[] = [];

  beforeAll(async () => {
    upstream = await startOpenAIWireServer();
    const { dir, loaded } = gatewayProject({
      stableUrl: `${upstream.url}/v1`,
      extra: `server:\n  body_limit_bytes: ${BODY_LIMIT}\n`,
    });
    gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      port: 0,
      telemetry: () => recordingTelemetry(),
      logError: (m) => unexpected.push(m),
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  /** Sends one request and checks the answer's contract; returns the status. */
  const send = async ({ path, body, contentType }: Sent): Promise<number> => {
    const headers: Record<string, string> = {};
    if (contentType !== undefined) headers['content-type'] = contentType;
    const r = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await r.text();
    const where = `${r.status} for ${path} ${contentType ?? '(no content-type)'} ${describeBody(body)}: ${text.slice(0, 300)}`;
    expect(r.status, where).toBeLessThan(500);
    // Every answer to a chat completion carries its request id, a refusal of its body included.
    if (path === '/v1/chat/completions') expect(r.headers.get('x-ballast-request-id'), where).toBeTruthy();
    if (r.status >= 400) {
      expect(r.headers.get('content-type'), where).toMatch(/^application\/json/);
      const parsed = JSON.parse(text) as { error?: Record<string, unknown> };
      expect(parsed.error, where).toMatchObject({
        message: expect.any(String),
        type: expect.any(String),
        code: expect.any(String),
      });
    } else {
      expect(r.status, where).toBe(OK_STATUS[path]);
    }
    return r.status;
  };

  const path = fc.constantFrom(...PATHS);
  const json = (value: unknown) => {
    const text = JSON.stringify(value);
    // JSON.stringify(undefined) is undefined: send nothing then.
    return text === undefined ? undefined : text;
  };

  it('arbitrary JSON values', async () => {
    await fc.assert(
      fc.asyncProperty(path, fc.jsonValue({ maxDepth: 4 }), async (p, value) => {
        await send({ path: p, body: json(value), contentType: 'application/json' });
      }),
      { numRuns: RUNS },
    );
  });

  it('objects with random keys, also the prototype’s names', async () => {
    const key = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.dictionary(key, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 8 }),
        async (p, o) => {
          await send({ path: p, body: json(o), contentType: 'application/json' });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('chat bodies with right and wrong types for every mapped field', async () => {
    const anyValue = fc.jsonValue({ maxDepth: 2 });
    const model = fc.oneof(
      fc.constantFrom('chat', 'simv', 'stable', 'candidate'),
      // Names an object has without owning them must not be taken for variants.
      fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'),
      fc.string({ maxLength: 20 }),
    );
    const message = fc.record(
      {
        role: fc.constantFrom('system', 'developer', 'user', 'assistant', 'tool'),
        content: fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constant(null),
          fc.array(fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 20 }) }), {
            maxLength: 3,
          }),
        ),
        name: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: ['role'] },
    );
    // A valid body first …
    const valid = fc.record(
      {
        model,
        messages: fc.array(message, { minLength: 1, maxLength: 3 }),
        stream: fc.boolean(),
        stream_options: fc.record({ include_usage: fc.boolean() }),
        temperature: fc.double({ min: 0, max: 2, noNaN: true }),
        top_p: fc.double({ min: 0, max: 1, noNaN: true }),
        max_tokens: fc.integer({ min: 1, max: 4096 }),
        stop: fc.oneof(fc.string({ maxLength: 8 }), fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 })),
        seed: fc.integer(),
        n: fc.constant(1),
        user: fc.string({ maxLength: 20 }),
        safety_identifier: fc.string({ maxLength: 20 }),
      },
      { requiredKeys: ['model', 'messages'] },
    );
    // … then some of its fields replaced by values of any type (or wrong numbers).
    const field = fc.constantFrom(
      'model',
      'messages',
      'stream',
      'stream_options',
      'temperature',
      'top_p',
      'max_tokens',
      'max_completion_tokens',
      'stop',
      'seed',
      'n',
      'user',
      'safety_identifier',
      'presence_penalty',
      'frequency_penalty',
    );
    const wrong = fc.oneof(
      anyValue,
      fc.constantFrom(-1, 0, 0.5, 3, 1e308, -1e308, 2 ** 53, '1', 'true', [], {}, null, [null], [{}]),
    );
    const corruption = fc.dictionary(field, wrong, { maxKeys: 3 });
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(valid, fc.oneof(fc.constant({}), corruption), async (b, c) => {
        const status = await send({
          path: '/v1/chat/completions',
          body: json({ ...b, ...c }),
          contentType: 'application/json',
        });
        statuses.add(status);
      }),
      { numRuns: RUNS },
    );
    // Both branches were exercised: answered bodies and refused ones.
    expect(statuses).toContain(200);
    expect([...statuses].some((s) => s >= 400)).toBe(true);
  });

  it('feedback bodies with right and wrong types', async () => {
    const anyValue = fc.jsonValue({ maxDepth: 2 });
    const body = fc.record(
      {
        request_id: fc.oneof(
          fc.string({ maxLength: 30 }),
          fc.constantFrom('constructor', '__proto__'),
          anyValue,
        ),
        value: fc.oneof(
          fc.constantFrom('up', 'down'),
          fc.double({ noNaN: true }),
          fc.string({ maxLength: 5 }),
          anyValue,
        ),
        comment: fc.oneof(fc.string({ maxLength: 40 }), anyValue),
        tags: fc.oneof(fc.array(fc.string({ maxLength: 10 }), { maxLength: 4 }), anyValue),
        token: fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('.', 'a.b', 'W10.'), anyValue),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(body, fc.option(fc.string({ maxLength: 60 })), async (b, token) => {
        const headers: Record<string, string> = token === null ? {} : { 'x-ballast-feedback-token': token };
        const r = await fetch(`${gw.url}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: json(b) ?? '{}',
        }).catch(() => undefined);
        // A header value fetch itself refuses (control characters) never reaches the server.
        if (r === undefined) return;
        expect(r.status).toBeLessThan(500);
        expect(r.status).not.toBe(201); // no request id is known, so nothing can be stored
        const parsed = (await r.json()) as { error?: Record<string, unknown> };
        expect(parsed.error).toMatchObject({ message: expect.any(String), code: expect.any(String) });
      }),
      { numRuns: RUNS },
    );
  });

  it('deeply nested content and tool calls, to the sim variant and the HTTP one', async () => {
    // Deeper than JSON.stringify can go: whoever serialises it must not turn that into a 5xx.
    const deep = `${'['.repeat(100_000)}"x"${']'.repeat(100_000)}`;
    const text = `{"model":"simv","messages":[{"role":"user","content":${deep}}]}`;
    for (const model of ['simv', 'chat'])
      await send({
        path: '/v1/chat/completions',
        body: text.replace('"simv"', JSON.stringify(model)),
        contentType: 'application/json',
      });
  });

  it('huge strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.integer({ min: 500, max: 20_000 }),
        fc.string({ minLength: 1, maxLength: 3 }),
        async (p, n, unit) => {
          const big = unit.repeat(Math.ceil(n / unit.length));
          const status = await send({
            path: p,
            body: JSON.stringify({
              model: big,
              messages: [{ role: 'user', content: big }],
              request_id: big,
              value: 1,
            }),
            contentType: 'application/json',
          });
          if (Buffer.byteLength(big) * 2 > BODY_LIMIT) expect(status).toBe(413);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('raw bytes, invalid UTF-8 included', async () => {
    const invalid = fc.constantFrom(
      Uint8Array.from([0xff, 0xfe, 0xfd]),
      Uint8Array.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), // {"\xc3(":1}
      Uint8Array.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]), // lone surrogate
      Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), // BOM + {}
      Uint8Array.from([0x00]),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        fc.oneof(fc.uint8Array({ maxLength: 200 }), invalid),
        fc.constantFrom('application/json', 'application/json; charset=utf-8', undefined),
        async (p, bytes, contentType) => {
          await send({ path: p, body: bytes, contentType });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('truncated JSON', async () => {
    const valid = JSON.stringify({
      model: 'chat',
      messages: [{ role: 'user', content: 'hello there' }],
      request_id: 'abc',
      value: 'up',
      stream: true,
    });
    await fc.assert(
      fc.asyncProperty(path, fc.integer({ min: 0, max: valid.length - 1 }), async (p, cut) => {
        await send({ path: p, body: valid.slice(0, cut), contentType: 'application/json' });
      }),
      { numRuns: RUNS },
    );
  });

  it('wrong or missing content types, and empty bodies', async () => {
    const contentType = fc.oneof(
      fc.constantFrom(
        'text/plain',
        'text/html',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/octet-stream',
        'application/json; charset=latin1',
        'application/jsonx',
        'application/problem+json',
        'json',
        '',
        '*/*',
        undefined,
      ),
      fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
    );
    const body = fc.oneof(
      fc.constant(''),
      fc.constant(undefined),
      fc.constant('{"model":"chat","messages":[{"role":"user","content":"hi"}]}'),
      fc.constant('model=chat&messages=hi'),
      fc.string({ maxLength: 60 }),
    );
    await fc.assert(
      fc.asyncProperty(path, contentType, body, async (p, ct, b) => {
        await send({ path: p, body: b, contentType: ct });
      }),
      { numRuns: RUNS },
    );
  });

  it('answers 413 for a body over server.body_limit_bytes, also without a Content-Length', async () => {
    const big = JSON.stringify({
      model: 'chat',
      messages: [{ role: 'user', content: 'x'.repeat(BODY_LIMIT) }],
    });
    for (const p of PATHS) {
      expect(await send({ path: p, body: big, contentType: 'application/json' })).toBe(413);
      const chunked = await fetch(`${gw.url}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(big));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
      expect(chunked.status).toBe(413);
      expect(await chunked.json()).toMatchObject({ error: { code: 'request_too_large' } });
    }
  });

  it('answers 404 model_not_found for names every object has but no project defines', async () => {
    for (const model of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(r.status, model).toBe(404);
      expect(await r.json()).toMatchObject({ error: { code: 'model_not_found' } });
    }
  });

  it('preflights and cross-origin requests with arbitrary headers: never a 5xx, CORS on /v1/feedback only', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        '/v1/feedback',
        '/v1/feedback?x=1',
        '/v1/feedback/',
        '/V1/FEEDBACK',
        '/v1/chat/completions',
        '/v1/models',
        '/metrics',
        '/',
        '/v1/feedback%00',
      ),
      fc.webPath().map((p) => p || '/'),
    );
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.webUrl(),
      fc.constantFrom('null', '*', 'POST', 'GET'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('OPTIONS', 'POST'),
        target,
        fc.record({ origin: text, method: text, headers: text }, { requiredKeys: [] }),
        async (method, p, h) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (h.origin !== undefined) headers.origin = h.origin;
          if (h.method !== undefined) headers['access-control-request-method'] = h.method;
          if (h.headers !== undefined) headers['access-control-request-headers'] = h.headers;
          const r = await fetch(`${gw.url}${p.startsWith('/') ? p : `/${p}`}`, {
            method,
            headers,
            ...(method === 'POST' ? { body: '{}' } : {}),
          }).catch(() => undefined);
          // A header value or URL fetch itself refuses never reaches the server.
          if (r === undefined) return;
          await r.arrayBuffer();
          expect(r.status, `${method} ${p} ${JSON.stringify(h)}`).toBeLessThan(500);
          const pathname = new URL(r.url).pathname;
          if (pathname !== '/v1/feedback')
            expect(r.headers.get('access-control-allow-origin'), `${method} ${p}`).toBeNull();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('still answers /healthz, and nothing unexpected was logged', async () => {
    const r = await fetch(`${gw.url}/healthz`);
    expect(r.status).toBe(200);
    expect(unexpected).toEqual([]);
  });
});

function describeBody(body: string | Uint8Array | undefined): string {
  if (body === undefined) return '(no body)';
  if (typeof body === 'string') return JSON.stringify(body.length > 200 ? `${body.slice(0, 200)}…` : body);
  return `bytes[${Buffer.from(body).toString('hex').slice(0, 200)}]`;
}
