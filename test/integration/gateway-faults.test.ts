import OpenAI from 'openai';
import { Pool, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildSnapshot } from '../../src/app/gateway/routing-table.js';
import type { RequestRecord } from '../../src/app/ports/gateway-telemetry.js';
import { assign } from '../../src/core/routing/assign.js';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { gatewayProject } from '../support/gateway-project.js';
import { type RecordingTelemetry, recordingTelemetry } from '../support/recording-telemetry.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import { DEFAULT_TEXT, type WireServer, type WireStep } from '../support/wire-servers/wire-server.js';

// Failure semantics of `ballast serve` (issue #5), end to end over real sockets: a healthy
// stable upstream, a faulty candidate upstream at 50 % exposure, the official openai client.
// Before the first content byte every failure is invisible to the client (the fallback chain
// ends at stable); after it, the stream ends with an explicit error event, never a clean end.

const CHANGE = 'chg-faults';
const ROUTES = { chat: { stable: 'stable' } };
const ROLLOUT = [{ changeId: CHANGE, route: 'chat', candidate: 'candidate', exposure: 50 }];

/** Units the rollout puts in the candidate arm (computed, not guessed). */
function candidateUnits(count: number, prefix: string): string[] {
  const route = buildSnapshot(ROUTES, ROLLOUT, 1).routes.get('chat')!;
  const units: string[] = [];
  for (let i = 0; units.length < count; i++) {
    const unit = `${prefix}-${i}`;
    if (assign(route, unit).arm === 'candidate') units.push(unit);
  }
  return units;
}

interface Harness {
  stable: WireServer;
  candidate: WireServer;
  gw: RunningGateway;
  telemetry: RecordingTelemetry;
  client: OpenAI;
  /** The openai client's own connection pool to the gateway. */
  pool: Pool;
}

async function startHarness(candidateExtra: string): Promise<Harness> {
  const stable = await startOpenAIWireServer();
  const candidate = await startOpenAIWireServer();
  const { dir, loaded } = gatewayProject({
    stableUrl: `${stable.url}/v1`,
    candidateUrl: `${candidate.url}/v1`,
    candidateExtra,
  });
  const telemetry = recordingTelemetry();
  const gw = await startGateway(loaded, {
    storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
    port: 0,
    telemetry: () => telemetry,
  });
  gw.routing.swap(buildSnapshot(ROUTES, ROLLOUT, 2));
  const pool = new Pool(gw.url);
  return { stable, candidate, gw, telemetry, client: clientOn(gw, pool), pool };
}

/** The official client, on a connection pool the test can inspect. */
function clientOn(gw: RunningGateway, pool: Pool): OpenAI {
  return new OpenAI({
    baseURL: `${gw.url}/v1`,
    apiKey: 'not-needed',
    maxRetries: 0,
    fetch: ((url: string, init: Record<string, unknown>) =>
      undiciFetch(url, { ...init, dispatcher: pool } as Parameters<typeof undiciFetch>[1])) as never,
  });
}

/** Closes the gateway and checks nobody holds a connection any more, then closes the upstreams. */
async function stopHarness(h: Harness | undefined): Promise<void> {
  if (!h) return;
  await h.gw.close();
  // The gateway gave back every upstream socket and dropped every client socket.
  await vi.waitFor(() => {
    expect(h.stable.openConnections()).toBe(0);
    expect(h.candidate.openConnections()).toBe(0);
    expect(h.pool.stats.connected).toBe(0);
  });
  await h.pool.close();
  await h.stable.close();
  await h.candidate.close();
}

interface Answer {
  requestId: string | null;
  variant: string | null;
  change: string | null;
  text: string;
  finish: string | null | undefined;
  usage: unknown;
  /** What the client saw thrown (HTTP error or an error while iterating the stream). */
  error: unknown;
}

const MESSAGES = [{ role: 'user' as const, content: 'hi' }];

async function ask(client: OpenAI, user: string, stream: boolean): Promise<Answer> {
  if (!stream) {
    try {
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages: MESSAGES, user })
        .withResponse();
      return {
        requestId: response.headers.get('x-ballast-request-id'),
        variant: response.headers.get('x-ballast-variant'),
        change: response.headers.get('x-ballast-change'),
        text: data.choices[0]?.message.content ?? '',
        finish: data.choices[0]?.finish_reason,
        usage: data.usage,
        error: undefined,
      };
    } catch (error) {
      const headers = (error as { headers?: Headers }).headers;
      return {
        requestId: headers?.get('x-ballast-request-id') ?? null,
        variant: headers?.get('x-ballast-variant') ?? null,
        change: null,
        text: '',
        finish: undefined,
        usage: undefined,
        error,
      };
    }
  }
  const answer: Answer = {
    requestId: null,
    variant: null,
    change: null,
    text: '',
    finish: undefined,
    usage: undefined,
    error: undefined,
  };
  try {
    const { data, response } = await client.chat.completions
      .create({
        model: 'chat',
        messages: MESSAGES,
        user,
        stream: true,
        stream_options: { include_usage: true },
      })
      .withResponse();
    answer.requestId = response.headers.get('x-ballast-request-id');
    answer.variant = response.headers.get('x-ballast-variant');
    answer.change = response.headers.get('x-ballast-change');
    for await (const chunk of data) {
      answer.text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) answer.finish = chunk.choices[0].finish_reason;
      if (chunk.usage) answer.usage = chunk.usage;
    }
  } catch (error) {
    answer.error = error;
    const headers = (error as { headers?: Headers }).headers;
    answer.requestId ??= headers?.get('x-ballast-request-id') ?? null;
    answer.variant ??= headers?.get('x-ballast-variant') ?? null;
  }
  return answer;
}

/** The telemetry record of a request (streams record after their last byte, so wait for it). */
function recordOf(telemetry: RecordingTelemetry, answer: Answer): Promise<RequestRecord> {
  expect(answer.requestId).toBeTruthy();
  return vi.waitFor(
    () => {
      const found = telemetry.requests.find((r) => r.requestId === answer.requestId);
      if (!found) throw new Error(`no record yet for ${answer.requestId}`);
      return found;
    },
    { timeout: 10_000, interval: 5 },
  );
}

/** Everything that fails before the first content byte, with the kind the attempt is recorded as. */
const BEFORE_CONTENT: readonly {
  name: string;
  step: WireStep;
  kind: string;
  /** Calls the candidate's provider makes (retries: 1); undefined when it depends on timing. */
  calls?: number;
}[] = [
  {
    name: '429 with Retry-After: 0',
    step: { status: 429, headers: { 'retry-after': '0' } },
    kind: 'rate_limit',
    calls: 2,
  },
  { name: '429 without Retry-After', step: { status: 429 }, kind: 'rate_limit', calls: 2 },
  { name: '503 on every call', step: { status: 503 }, kind: 'upstream', calls: 2 },
  // A candidate whose model name the upstream does not know: its configuration, not the request
  // (not retried: it stays missing; the variant falls back).
  { name: '404 model not found', step: { status: 404 }, kind: 'upstream', calls: 1 },
  { name: 'a connection reset', step: { reset: true }, kind: 'network', calls: 2 },
  { name: 'never answering', step: { hang: true }, kind: 'timeout', calls: 1 },
  { name: 'slow to the first token', step: { delayMs: 5_000 }, kind: 'timeout', calls: 1 },
];

describe('gateway failure semantics (candidate upstream faulty, stable healthy)', () => {
  let h: Harness;
  const units = candidateUnits(200, 'fault-unit');
  let next = 0;
  /** A fresh candidate-arm unit. */
  const fresh = () => units[next++]!;

  beforeAll(async () => {
    // total_ms stays well above the other limits: a call that is not stopped by first_token_ms or
    // idle_ms runs into the test's own timeout instead of resolving.
    h = await startHarness(
      '    timeouts: { first_token_ms: 300, idle_ms: 300, total_ms: 60000 }\n    circuit_breaker: { enabled: false }\n',
    );
  });
  afterAll(() => stopHarness(h));
  beforeEach(() => {
    h.stable.reset();
    h.candidate.reset();
  });

  it('routes the chosen units to the candidate when it is healthy', async () => {
    for (const stream of [false, true]) {
      const unit = fresh();
      const a = await ask(h.client, unit, stream);
      expect(a.error).toBeUndefined();
      expect(a.variant).toBe('candidate');
      expect(a.change).toBe(CHANGE);
      expect(a.text).toBe(DEFAULT_TEXT);
      const r = await recordOf(h.telemetry, a);
      expect(r).toMatchObject({
        arm: 'candidate',
        assignedVariant: 'candidate',
        servedVariant: 'candidate',
        outcome: 'ok',
      });
    }
    expect(h.stable.requests).toHaveLength(0);
  });

  it("answers the chain's other failure, not 429, when only some of its variants were rate-limited", async () => {
    for (const stream of [false, true]) {
      h.candidate.setDefault({ hang: true });
      h.stable.setDefault({ status: 429, headers: { 'retry-after': '0' } });
      const a = await ask(h.client, fresh(), stream);
      // The candidate timed out, stable was rate-limited: "slow down" would not be the whole truth.
      expect(a.error).toBeInstanceOf(OpenAI.APIError);
      expect((a.error as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
      expect((a.error as InstanceType<typeof OpenAI.APIError>).code).toBe('upstream_timeout');
      // The answer names the variant whose failure it is; telemetry charges the end of the request
      // to the chain's last attempt, and the candidate's timeout as a fallback.
      expect(a.variant).toBe('candidate');
      const r = await recordOf(h.telemetry, a);
      expect(r).toMatchObject({ servedVariant: 'stable', status: 504 });
      expect(r.attempts.map(({ variant, kind }) => `${variant}:${kind}`)).toEqual([
        'candidate:timeout',
        'stable:rate_limit',
      ]);
      h.stable.reset();
      h.candidate.reset();
    }
  });

  for (const c of BEFORE_CONTENT) {
    for (const stream of [false, true]) {
      it(`${c.name} (${stream ? 'streaming' : 'JSON'}): invisible to the client, answered by stable`, {
        timeout: 15_000,
      }, async () => {
        h.candidate.setDefault(c.step);
        const unit = fresh();
        const a = await ask(h.client, unit, stream);
        expect(a.error).toBeUndefined();
        expect(a.variant).toBe('stable');
        expect(a.change).toBe(CHANGE);
        expect(a.text).toBe(DEFAULT_TEXT);
        expect(a.finish).toBe('stop');
        if (stream) expect(a.usage).toMatchObject({ completion_tokens: expect.any(Number) });
        const r = await recordOf(h.telemetry, a);
        expect(r).toMatchObject({
          changeId: CHANGE,
          arm: 'candidate',
          assignedVariant: 'candidate',
          servedVariant: 'stable',
          status: 200,
          outcome: 'ok',
          errorKind: null,
          stream,
        });
        expect(r.attempts.map(({ variant, ok, kind }) => ({ variant, ok, kind }))).toEqual([
          { variant: 'candidate', ok: false, kind: c.kind },
          { variant: 'stable', ok: true, kind: undefined },
        ]);
        if (c.calls !== undefined) expect(h.candidate.requests).toHaveLength(c.calls);
        expect(h.stable.requests).toHaveLength(1);
      });
    }
  }

  it('a JSON body that is not JSON (JSON): invisible to the client, answered by stable', async () => {
    h.candidate.setDefault({ rawBody: '{"id":"chatcmpl-x","choices":[{"mess' });
    const unit = fresh();
    const a = await ask(h.client, unit, false);
    expect(a.error).toBeUndefined();
    expect(a.variant).toBe('stable');
    const r = await recordOf(h.telemetry, a);
    expect(r.attempts.map((x) => [x.variant, x.ok])).toEqual([
      ['candidate', false],
      ['stable', true],
    ]);
  });

  for (const stream of [false, true]) {
    it(`500 once, then fine (${stream ? 'streaming' : 'JSON'}): the provider's retry answers from the candidate`, async () => {
      h.candidate.script({ status: 500 });
      const unit = fresh();
      const a = await ask(h.client, unit, stream);
      expect(a.error).toBeUndefined();
      expect(a.variant).toBe('candidate');
      expect(a.text).toBe(DEFAULT_TEXT);
      expect(h.candidate.requests).toHaveLength(2);
      expect(h.stable.requests).toHaveLength(0);
      const r = await recordOf(h.telemetry, a);
      expect(r).toMatchObject({ servedVariant: 'candidate', outcome: 'ok', status: 200 });
      expect(r.attempts.map(({ variant, ok }) => ({ variant, ok }))).toEqual([
        { variant: 'candidate', ok: true },
      ]);
    });
  }

  const AFTER_CONTENT: readonly { name: string; step: WireStep; kind: string }[] = [
    { name: 'the stream is cut after 2 chunks', step: { cutAfterChunks: 2 }, kind: 'network' },
    { name: 'the stream stalls after 2 chunks', step: { stallAfterChunks: 2 }, kind: 'timeout' },
    { name: 'an in-band error event after 2 chunks', step: { streamErrorAfterChunks: 2 }, kind: 'upstream' },
    {
      name: 'the stream ends after 2 chunks without a finish reason or [DONE]',
      step: { cutAfterChunks: 2, omitFinish: true, omitTerminator: true },
      kind: 'network',
    },
  ];
  for (const c of AFTER_CONTENT) {
    it(`${c.name} (streaming): the stream ends with an error event, never a clean end`, {
      timeout: 15_000,
    }, async () => {
      h.candidate.setDefault(c.step);
      const unit = fresh();
      const a = await ask(h.client, unit, true);
      expect(a.variant).toBe('candidate');
      // The two chunks the client already has are kept; nothing else follows them.
      expect(a.text).toBe('Hello from ');
      expect(a.finish).toBeUndefined();
      expect(a.error).toBeInstanceOf(OpenAI.APIError);
      expect((a.error as InstanceType<typeof OpenAI.APIError>).code).toBe('stream_interrupted');
      const r = await recordOf(h.telemetry, a);
      expect(r).toMatchObject({
        arm: 'candidate',
        assignedVariant: 'candidate',
        servedVariant: 'candidate',
        status: 200,
        outcome: 'stream_interrupted',
        stream: true,
      });
      expect(r.ttftMs).not.toBeNull();
      expect(r.attempts.map(({ variant, ok, kind }) => ({ variant, ok, kind }))).toEqual([
        { variant: 'candidate', ok: false, kind: c.kind },
      ]);
      // Content had been sent: no fallback, no retry.
      expect(h.candidate.requests).toHaveLength(1);
      expect(h.stable.requests).toHaveLength(0);
    });
  }

  it('an answer ended with finish_reason "abort" (vLLM) is not complete: JSON falls back, a stream ends in an error event', async () => {
    h.candidate.setDefault({ finish: 'abort' });
    const json = await ask(h.client, fresh(), false);
    expect(json.error).toBeUndefined();
    expect(json.variant).toBe('stable');
    expect(json.finish).toBe('stop');
    expect((await recordOf(h.telemetry, json)).attempts.map(({ variant, ok }) => ({ variant, ok }))).toEqual([
      { variant: 'candidate', ok: false },
      { variant: 'stable', ok: true },
    ]);
    // Retried once (the provider's retries: 1), then fallen back from.
    expect(h.candidate.requests).toHaveLength(2);
    h.stable.reset();
    h.candidate.reset();
    h.candidate.setDefault({ finish: 'abort' });
    const streamed = await ask(h.client, fresh(), true);
    expect(streamed.variant).toBe('candidate');
    expect(streamed.finish).toBeUndefined();
    expect((streamed.error as InstanceType<typeof OpenAI.APIError>).code).toBe('stream_interrupted');
    expect(await recordOf(h.telemetry, streamed)).toMatchObject({
      servedVariant: 'candidate',
      outcome: 'stream_interrupted',
      errorKind: 'upstream',
    });
    expect(h.stable.requests).toHaveLength(0);
  });

  it('a stream cut after the first tool-call fragment ends with an error event: the call was under way', async () => {
    const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
    h.candidate.setDefault({ text: '', toolCalls: [call], cutAfterChunks: 1 });
    const unit = fresh();
    const a = await ask(h.client, unit, true);
    expect(a.variant).toBe('candidate');
    expect(a.finish).toBeUndefined();
    expect((a.error as InstanceType<typeof OpenAI.APIError>).code).toBe('stream_interrupted');
    const r = await recordOf(h.telemetry, a);
    expect(r).toMatchObject({ servedVariant: 'candidate', outcome: 'stream_interrupted' });
    // The fragment had reached the client: no retry, no fallback to stable.
    expect(h.candidate.requests).toHaveLength(1);
    expect(h.stable.requests).toHaveLength(0);
  });

  it('a malformed chunk in an otherwise healthy stream is skipped and the answer completes', async () => {
    h.candidate.setDefault({ malformedAt: 1 });
    const unit = fresh();
    const a = await ask(h.client, unit, true);
    expect(a.error).toBeUndefined();
    expect(a.variant).toBe('candidate');
    expect(a.text).toBe(DEFAULT_TEXT);
    expect(a.finish).toBe('stop');
    const r = await recordOf(h.telemetry, a);
    expect(r).toMatchObject({ servedVariant: 'candidate', outcome: 'ok' });
  });

  it.each([
    { name: 'a stream with its finish reason but without [DONE]', step: { omitTerminator: true } },
    { name: 'a stream whose body stays open after [DONE]', step: { holdAfterTerminator: true } },
  ])('$name completes cleanly with usage', async ({ step }) => {
    h.candidate.setDefault({ ...step, usage: { input: 7, output: 11 } });
    const unit = fresh();
    const a = await ask(h.client, unit, true);
    expect(a.error).toBeUndefined();
    expect(a.variant).toBe('candidate');
    expect(a.text).toBe(DEFAULT_TEXT);
    expect(a.finish).toBe('stop');
    expect(a.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 11, total_tokens: 18 });
    const r = await recordOf(h.telemetry, a);
    expect(r).toMatchObject({ servedVariant: 'candidate', outcome: 'ok', inputTokens: 7, outputTokens: 11 });
  });

  it('a client leaving mid-stream stops the upstream call: recorded as cancelled, no fallback', async () => {
    h.candidate.setDefault({ chunkDelayMs: 200 });
    // Its own connection pool: undici keeps a connection open after an aborted fetch until the
    // pool is closed, and the gateway's graceful close would wait for it (so does a bare
    // node:http server's).
    const pool = new Pool(h.gw.url);
    try {
      const client = clientOn(h.gw, pool);
      const { data, response } = await client.chat.completions
        .create({ model: 'chat', messages: MESSAGES, user: fresh(), stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of data) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text !== '') break; // leaves the stream: the client aborts the request
      }
      const r = await recordOf(h.telemetry, {
        requestId: response.headers.get('x-ballast-request-id'),
      } as Answer);
      expect(r).toMatchObject({ servedVariant: 'candidate', outcome: 'cancelled', stream: true });
      expect(r.attempts.map(({ variant, ok }) => ({ variant, ok }))).toEqual([
        { variant: 'candidate', ok: false },
      ]);
      expect(h.candidate.requests).toHaveLength(1);
      expect(h.stable.requests).toHaveLength(0);
    } finally {
      await pool.close();
    }
  });
});

describe('gateway circuit breaker on a failing candidate', () => {
  let h: Harness;
  const units = candidateUnits(20, 'breaker-unit');

  beforeAll(async () => {
    h = await startHarness(
      '    timeouts: { first_token_ms: 300, idle_ms: 300, total_ms: 60000 }\n' +
        '    circuit_breaker: { enabled: true, consecutive_failures: 3, cooldown_ms: 3600000 }\n',
    );
  });
  afterAll(() => stopHarness(h));

  it('stops calling the candidate after 3 failures while clients keep getting answers from stable', async () => {
    h.candidate.setDefault({ status: 503 });
    const callsAfter: number[] = [];
    for (let i = 0; i < 8; i++) {
      const a = await ask(h.client, units[i]!, i % 2 === 1);
      expect(a.error).toBeUndefined();
      expect(a.variant).toBe('stable');
      expect(a.text).toBe(DEFAULT_TEXT);
      callsAfter.push(h.candidate.requests.length);
    }
    // Retries: 1, so each failed request is 2 upstream calls; after the third the count stops.
    expect(callsAfter).toEqual([2, 4, 6, 6, 6, 6, 6, 6]);
    expect(h.stable.requests).toHaveLength(8);
    await h.telemetry.waitFor(8);
    const kinds = h.telemetry.requests.map((r) => r.attempts.map((x) => `${x.variant}:${x.kind ?? 'ok'}`));
    expect(kinds.slice(0, 3)).toEqual(Array(3).fill(['candidate:upstream', 'stable:ok']));
    expect(kinds.slice(3)).toEqual(Array(5).fill(['candidate:circuit_open', 'stable:ok']));
    for (const r of h.telemetry.requests)
      expect(r).toMatchObject({
        assignedVariant: 'candidate',
        servedVariant: 'stable',
        outcome: 'ok',
        status: 200,
      });
    expect(h.gw.gateway.circuits()).toMatchObject({ candidate: 'open', stable: 'closed' });
  });
});
