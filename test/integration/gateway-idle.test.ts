import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIGateway, startOpenAIGateway } from '../support/gateway-harness.js';
import type { RecordingTelemetry } from '../support/recording-telemetry.js';
import { DEFAULT_TEXT, type WireServer } from '../support/wire-servers/wire-server.js';

// The variant's idle_ms is the longest silence between events once content has started (issue #5:
// "between events"): bytes without content — keep-alive comments, reasoning, a ping — are not
// silence. Through `ballast serve` with the official openai client.

describe('ballast serve: the idle limit counts every upstream event', () => {
  let upstream: WireServer;
  let telemetry: RecordingTelemetry;
  let client: OpenAI;

  let harness: OpenAIGateway | undefined;

  beforeAll(async () => {
    harness = await startOpenAIGateway({
      candidateExtra: '    timeouts: { first_token_ms: 5000, idle_ms: 300, total_ms: 60000 }\n',
    });
    ({ upstream, telemetry, client } = harness);
  });
  afterAll(async () => {
    await harness?.close();
  });

  async function read(): Promise<{ text: string; error: unknown }> {
    const stream = await client.chat.completions.create({
      model: 'candidate',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      return { text, error: undefined };
    } catch (error) {
      return { text, error };
    }
  }

  it('a pause of 600 ms filled with a ping every 100 ms does not trip an idle_ms of 300', async () => {
    upstream.script({ chunks: 4, pingsAfterChunks: { after: 2, count: 6, everyMs: 100 } });
    const answer = await read();
    expect(answer.error).toBeUndefined();
    expect(answer.text).toBe(DEFAULT_TEXT);
    await telemetry.waitFor(1);
    expect(telemetry.requests[0]?.outcome).toBe('ok');
  });

  it('the same pause in silence does: the stream ends with an explicit error', async () => {
    upstream.script({ chunks: 4, chunkDelayMs: 600 });
    const answer = await read();
    expect(answer.error).toBeDefined();
    expect(answer.text).not.toBe(DEFAULT_TEXT);
    await telemetry.waitFor(2);
    expect(telemetry.requests[1]).toMatchObject({ outcome: 'stream_interrupted', errorKind: 'timeout' });
  });
});
