import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedbackTokens } from '../../src/http/feedback-token.js';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { gatewayProject } from '../support/gateway-project.js';
import { type RecordingTelemetry, recordingTelemetry } from '../support/recording-telemetry.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import { DEFAULT_TEXT, type WireServer } from '../support/wire-servers/wire-server.js';

// API keys with scopes and signed feedback tokens on `ballast serve` (issue #5).

const KEYS = {
  gateway: 'gw-key-0123456789abcdef0123',
  feedback: 'fb-key-0123456789abcdef0123',
  read: 'rd-key-0123456789abcdef0123',
  admin: 'ad-key-0123456789abcdef0123',
} as const;
const SECRET = 'feedback-secret-0123456789abcdef0123456789';

const AUTH_YAML = `server:
  feedback_secret: ${SECRET}
auth:
  keys:
    - { name: app, key: ${KEYS.gateway}, scopes: [gateway] }
    - { name: widget, key: ${KEYS.feedback}, scopes: [feedback] }
    - { name: grafana, key: ${KEYS.read}, scopes: [read] }
    - { name: ops, key: ${KEYS.admin}, scopes: [admin] }
`;

type Headers = Record<string, string>;
const bearer = (key: string): Headers => ({ authorization: `Bearer ${key}` });

describe('gateway API keys and feedback tokens', () => {
  let upstream: WireServer;
  let gw: RunningGateway;
  let telemetry: RecordingTelemetry;

  beforeAll(async () => {
    upstream = await startOpenAIWireServer();
    const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1`, extra: AUTH_YAML });
    telemetry = recordingTelemetry();
    gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      port: 0,
      telemetry: () => telemetry,
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  const chat = (headers: Headers) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
    });
  const feedback = (body: Record<string, unknown>, headers: Headers = {}) =>
    fetch(`${gw.url}/v1/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
  const get = (path: string, headers: Headers = {}) => fetch(`${gw.url}${path}`, { headers });

  /** A served request: its id and feedback token. */
  const served = async (): Promise<{ id: string; token: string }> => {
    const r = await chat(bearer(KEYS.gateway));
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    return { id: r.headers.get('x-ballast-request-id')!, token: r.headers.get('x-ballast-feedback-token')! };
  };

  const expectError = async (r: Response, status: number, type: string, code: string) => {
    expect(r.status).toBe(status);
    const body = (await r.json()) as { error: Record<string, unknown> };
    expect(body).toEqual({
      error: { message: expect.any(String), type, code, param: null },
    });
    // The message never echoes a key.
    for (const key of Object.values(KEYS)) expect(body.error.message).not.toContain(key);
  };

  it('refuses a request without a key with 401 invalid_api_key in OpenAI’s shape', async () => {
    const before = upstream.requests.length;
    const res = await chat({});
    // Refused chat completions carry their request id too (for support, and the logs).
    expect(res.headers.get('x-ballast-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await expectError(res, 401, 'authentication_error', 'invalid_api_key');
    expect(upstream.requests.length).toBe(before);
  });

  it('checks the key before reading the body: no key and a bad, oversized or non-JSON body is still 401', async () => {
    for (const init of [
      { headers: { 'content-type': 'application/json' }, body: '{not json' },
      { headers: { 'content-type': 'text/plain' }, body: 'hello' },
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pad: 'x'.repeat(3_000_000) }),
      },
    ]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', ...init });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    }
  });

  it('the openai client sees an AuthenticationError with a wrong key', async () => {
    const client = new OpenAI({
      baseURL: `${gw.url}/v1`,
      apiKey: 'sk-wrong-key-0123456789abcdef',
      maxRetries: 0,
    });
    const error = await client.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });

  it('refuses a wrong key, a near miss and a malformed Authorization header with 401', async () => {
    for (const headers of [
      bearer('not-a-configured-key-at-all'),
      bearer(`${KEYS.gateway}x`),
      bearer(KEYS.gateway.slice(0, -1)),
      { authorization: KEYS.gateway }, // no "Bearer"
      { authorization: 'Bearer' },
      { 'x-api-key': 'not-a-configured-key-at-all' },
    ])
      await expectError(await chat(headers), 401, 'authentication_error', 'invalid_api_key');
  });

  it('accepts the gateway key as a bearer token and as x-api-key', async () => {
    for (const headers of [
      bearer(KEYS.gateway),
      { 'x-api-key': KEYS.gateway },
      { authorization: `bearer ${KEYS.gateway}` },
    ]) {
      const r = await chat(headers);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content).toBe(DEFAULT_TEXT);
    }
  });

  it('refuses a key without the endpoint’s scope with 403', async () => {
    for (const key of [KEYS.read, KEYS.feedback])
      await expectError(await chat(bearer(key)), 403, 'permission_error', 'insufficient_scope');
    // A gateway key cannot send feedback without the request's token.
    const { id } = await served();
    await expectError(
      await feedback({ request_id: id, value: 'up' }, bearer(KEYS.gateway)),
      403,
      'permission_error',
      'insufficient_scope',
    );
    await expectError(
      await get('/metrics', bearer(KEYS.gateway)),
      403,
      'permission_error',
      'insufficient_scope',
    );
    await expectError(
      await get('/v1/models', bearer(KEYS.feedback)),
      403,
      'permission_error',
      'insufficient_scope',
    );
  });

  it('lets the admin key in everywhere', async () => {
    expect((await chat(bearer(KEYS.admin))).status).toBe(200);
    expect((await get('/v1/models', bearer(KEYS.admin))).status).toBe(200);
    expect((await get('/metrics', bearer(KEYS.admin))).status).toBe(200);
    const { id } = await served();
    expect((await feedback({ request_id: id, value: 1 }, bearer(KEYS.admin))).status).toBe(201);
  });

  it('needs no key for /healthz and /readyz, and the read scope for /metrics', async () => {
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    await expectError(await get('/metrics'), 401, 'authentication_error', 'invalid_api_key');
    const metrics = await get('/metrics', bearer(KEYS.read));
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('ballast_requests_total');
    expect((await get('/v1/models', bearer(KEYS.read))).status).toBe(200);
  });

  it('takes feedback with the feedback key', async () => {
    const { id } = await served();
    const r = await feedback({ request_id: id, value: 'up' }, { 'x-api-key': KEYS.feedback });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ request_id: id, variant: 'stable', value: 1 });
  });

  it('takes feedback with a valid token and no key (header or body)', async () => {
    const first = await served();
    const r1 = await feedback(
      { request_id: first.id, value: 'down' },
      { 'x-ballast-feedback-token': first.token },
    );
    expect(r1.status).toBe(201);
    expect(await r1.json()).toMatchObject({ request_id: first.id, variant: 'stable', value: 0 });
    const second = await served();
    const r2 = await feedback({ request_id: second.id, value: 0.5, token: second.token });
    expect(r2.status).toBe(201);
    expect(telemetry.feedback.filter((f) => f.requestId === second.id)).toHaveLength(1);
  });

  it('refuses a token for another request id', async () => {
    const a = await served();
    const b = await served();
    const r = await feedback({ request_id: b.id, value: 'up' }, { 'x-ballast-feedback-token': a.token });
    expect(r.status).toBe(401);
    expect(await r.json()).toMatchObject({
      error: { code: 'invalid_feedback_token', message: 'The feedback token was issued for another request' },
    });
    expect(await gw.store.feedback.list({ requestId: b.id })).toHaveLength(0);
  });

  it('refuses an expired, a tampered and a foreign-signed token', async () => {
    const { id, token } = await served();
    const [payload, mac] = token.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown[];
    expect(claims[0]).toBe(id);
    const expired = new FeedbackTokens(SECRET).sign({
      requestId: id,
      route: 'chat',
      changeId: null,
      variant: 'stable',
      expiresAt: Date.now() - 1_000,
    });
    // Same MAC, claims changed to another variant (with a far expiry).
    const changed = [id, 'chat', null, 'candidate', Date.now() + 1e9];
    const tamperedPayload = `${Buffer.from(JSON.stringify(changed)).toString('base64url')}.${mac}`;
    const flipped = `${payload}.${mac.slice(0, -2)}${mac.endsWith('AA') ? 'BB' : 'AA'}`;
    const foreign = new FeedbackTokens('another-secret-0123456789abcdef0123456789').sign({
      requestId: id,
      route: 'chat',
      changeId: null,
      variant: 'stable',
      expiresAt: Date.now() + 60_000,
    });
    for (const bad of [expired, tamperedPayload, flipped, foreign, `${payload}.`, payload, '.', '']) {
      const r = await feedback(
        { request_id: id, value: 'up' },
        bad === '' ? {} : { 'x-ballast-feedback-token': bad },
      );
      expect(r.status, `token ${JSON.stringify(bad)}`).toBe(401);
      // A token that does not vouch says so; without one, the key is what is missing.
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe(
        bad === '' ? 'invalid_api_key' : 'invalid_feedback_token',
      );
    }
    expect(await gw.store.feedback.list({ requestId: id })).toHaveLength(0);
    // The genuine token still works.
    expect(
      (await feedback({ request_id: id, value: 'up' }, { 'x-ballast-feedback-token': token })).status,
    ).toBe(201);
  });
});

describe('CORS on the feedback endpoint', () => {
  const PAGE = 'https://app.example';
  const preflight = (url: string, path: string, origin = PAGE) =>
    fetch(`${url}${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-ballast-feedback-token',
      },
    });

  async function withGateway(extra: string, run: (gw: RunningGateway) => Promise<void>) {
    const upstream = await startOpenAIWireServer();
    const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1`, extra });
    const gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      port: 0,
      telemetry: () => recordingTelemetry(),
    });
    try {
      await run(gw);
    } finally {
      await gw.close();
      await upstream.close();
    }
  }

  it('by default any page may send feedback with its token; no page may call the model routes', () =>
    withGateway(AUTH_YAML, async (gw) => {
      const pre = await preflight(gw.url, '/v1/feedback');
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('*');
      expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
      expect(pre.headers.get('access-control-allow-headers')).toContain('x-ballast-feedback-token');

      const answer = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: PAGE, ...bearer(KEYS.gateway) },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(answer.status).toBe(200);
      // The application's back end called; a page reading this answer is not allowed.
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      const token = answer.headers.get('x-ballast-feedback-token')!;
      const requestId = answer.headers.get('x-ballast-request-id')!;
      await answer.arrayBuffer();

      const sent = await fetch(`${gw.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: PAGE, 'x-ballast-feedback-token': token },
        body: JSON.stringify({ request_id: requestId, value: 'up' }),
      });
      expect(sent.status).toBe(201);
      expect(sent.headers.get('access-control-allow-origin')).toBe('*');
      // A refusal is readable by the page too.
      const refused = await fetch(`${gw.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: PAGE },
        body: JSON.stringify({ request_id: requestId, value: 'up' }),
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('access-control-allow-origin')).toBe('*');

      // A preflight anywhere else is a 404 without CORS headers: a page cannot make a browser call
      // the model routes, the metrics or the admin API.
      for (const path of ['/v1/chat/completions', '/metrics', '/v1/rollouts']) {
        const other = await preflight(gw.url, path);
        expect(other.status).toBe(404);
        expect(other.headers.get('access-control-allow-origin')).toBeNull();
      }
    }));

  it('a list of origins admits those pages only, and an empty list none', async () => {
    const origins = (list: string) =>
      AUTH_YAML.replace('server:\n', `server:\n  feedback_cors_origins: ${list}\n`);
    await withGateway(origins(`[${PAGE}]`), async (gw) => {
      const ok = await preflight(gw.url, '/v1/feedback');
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe(PAGE);
      expect(ok.headers.get('vary')).toContain('Origin');
      const other = await preflight(gw.url, '/v1/feedback', 'https://elsewhere.example');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
    await withGateway(origins('[]'), async (gw) => {
      const none = await preflight(gw.url, '/v1/feedback');
      expect(none.status).toBe(404);
      expect(none.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});

describe('gateway without keys', () => {
  it('binds 127.0.0.1 instead of 0.0.0.0 and says so', async () => {
    const upstream = await startOpenAIWireServer();
    const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1` });
    const gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      host: '0.0.0.0',
      port: 0,
      telemetry: () => recordingTelemetry(),
    });
    try {
      expect(gw.open).toBe(true);
      expect(gw.refusedHost).toBe('0.0.0.0');
      expect(new URL(gw.url).hostname).toBe('127.0.0.1');
      // Open: no key needed on loopback.
      const r = await fetch(`${gw.url}/metrics`);
      expect(r.status).toBe(200);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });

  it('keeps a loopback host as asked', async () => {
    const upstream = await startOpenAIWireServer();
    const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1` });
    const gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      host: '127.0.0.1',
      port: 0,
      telemetry: () => recordingTelemetry(),
    });
    try {
      expect(gw.refusedHost).toBeUndefined();
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
