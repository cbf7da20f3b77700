import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/app/ports/store.js';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { gatewayProject } from '../support/gateway-project.js';
import { type RecordingTelemetry, recordingTelemetry } from '../support/recording-telemetry.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import { DEFAULT_TEXT, type WireServer } from '../support/wire-servers/wire-server.js';

// Stopping `ballast serve` (issue #5: telemetry is flushed on graceful shutdown): what the
// requests of the last moments report reaches telemetry before its last flush, and telemetry
// closes while the store is still open, however many callers ask for the stop.

interface Stop {
  /** Requests telemetry held when it was closed. */
  recordedAtClose: number | undefined;
  /** Whether the store still answered when telemetry was closed (its last flush writes there). */
  storeOpenAtClose: boolean | undefined;
}

async function start(
  upstream: WireServer,
  shutdownGraceMs?: number,
): Promise<{
  gw: RunningGateway;
  telemetry: RecordingTelemetry;
  stop: Stop;
}> {
  const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1` });
  const recording = recordingTelemetry();
  const stop: Stop = { recordedAtClose: undefined, storeOpenAtClose: undefined };
  const gw = await startGateway(loaded, {
    storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
    port: 0,
    ...(shutdownGraceMs === undefined ? {} : { shutdownGraceMs }),
    telemetry: (store: Store) => ({
      ...recording,
      close: async () => {
        stop.recordedAtClose = recording.requests.length;
        stop.storeOpenAtClose = await store.rollouts.list({ status: 'running' }).then(
          () => true,
          () => false,
        );
      },
    }),
  });
  return { gw, telemetry: recording, stop };
}

/**
 * Streams an answer from the gateway and asks it to stop as soon as the first word arrived;
 * reads on to the end (or until the stream is cut) and waits for the stop.
 */
async function streamWhileStopping(gw: RunningGateway): Promise<{ text: string; cut: unknown }> {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
  const stream = await client.chat.completions.create({
    model: 'chat',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  });
  let text = '';
  let closing: Promise<void> | undefined;
  let cut: unknown;
  try {
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      closing ??= text !== '' ? gw.close() : undefined;
    }
  } catch (error) {
    cut = error;
  }
  await closing;
  return { text, cut };
}

describe('ballast serve: stopping', () => {
  let upstream: WireServer | undefined;
  afterEach(async () => {
    await upstream?.close();
    upstream = undefined;
  });

  it('two stops at once close telemetry before the store (one run of the closers)', async () => {
    upstream = await startOpenAIWireServer();
    const { gw, stop } = await start(upstream);
    const [a, b] = [gw.close(), gw.close()];
    await Promise.all([a, b]);
    expect(stop.storeOpenAtClose).toBe(true);
    expect(b).toBe(a);
  });

  it('a stream still running when the stop begins is reported before telemetry closes', async () => {
    upstream = await startOpenAIWireServer();
    // The answer takes ≈ 8 × 40 ms after its first word: the stop begins in the middle of it.
    upstream.setDefault({ chunks: 8, chunkDelayMs: 40 });
    const { gw, telemetry, stop } = await start(upstream);
    const { text, cut } = await streamWhileStopping(gw);
    // The stream was allowed to finish (graceful), and its record was there for the last flush.
    expect(cut).toBeUndefined();
    expect(text).toBe(DEFAULT_TEXT);
    expect(telemetry.requests).toHaveLength(1);
    expect(telemetry.requests[0]?.outcome).toBe('ok');
    expect(stop.recordedAtClose).toBe(1);
  });

  it("a request that reaches the server while it stops gets a 503 in OpenAI's shape", async () => {
    upstream = await startOpenAIWireServer();
    upstream.setDefault({ chunks: 8, chunkDelayMs: 40 });
    const { gw } = await start(upstream);
    const { port } = new URL(gw.url);
    const socket = connect(Number(port), '127.0.0.1');
    const post = (body: object) => {
      const json = JSON.stringify(body);
      return `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`;
    };
    let received = '';
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('data', (data) => {
      received += data.toString();
    });
    socket.write(post({ model: 'chat', messages: [{ role: 'user', content: 'hi' }], stream: true }));
    // The stream has begun: stop, then send a second request on the same (busy) connection.
    await vi.waitFor(() => expect(received).toContain('data: '), { timeout: 5000 });
    const stopped = gw.close();
    socket.write(post({ model: 'chat', messages: [{ role: 'user', content: 'again' }] }));
    await ended;
    await stopped;
    const second = received.slice(received.lastIndexOf('HTTP/1.1 '));
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second.toLowerCase()).toContain('connection: close');
    expect(second.toLowerCase()).toContain('retry-after: 1');
    const body = JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4));
    expect(body).toEqual({
      error: expect.objectContaining({ type: 'api_error', code: 'server_stopping' }),
    });
    // The first answer was finished (graceful stop), not cut.
    expect(received).toContain('data: [DONE]');
  });

  it('a stream cut when the grace period ends is reported before telemetry closes', async () => {
    upstream = await startOpenAIWireServer();
    // Two words, then silence with the connection open: only the stop's cut ends it.
    upstream.setDefault({ chunks: 8, stallAfterChunks: 2 });
    const { gw, telemetry, stop } = await start(upstream, 200);
    const { cut } = await streamWhileStopping(gw);
    // The client saw its stream cut, not completed; the request reported on its way out (after the
    // server had closed) and that record was there for telemetry's last flush.
    expect(cut).toBeDefined();
    expect(telemetry.requests).toHaveLength(1);
    expect(telemetry.requests[0]?.outcome).toBe('cancelled');
    expect(stop.recordedAtClose).toBe(1);
  });
});
