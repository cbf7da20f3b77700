import { describe, expect, it } from 'vitest';
import { CallScope, type ClientSignal } from '../../../src/app/gateway/call-scope.js';
import { streamRest } from '../../../src/app/gateway/stream-rest.js';
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

/** streamRest over a provider stream whose first event was already read, as the gateway does. */
async function rest(events: StreamEvent[]) {
  const { state, iterator } = providerStream(events);
  const first = (await iterator.next()).value as Extract<StreamEvent, { type: 'delta' }>;
  const finished: { outcome?: string } = {};
  const stream = streamRest({
    first,
    iterator,
    scope: new CallScope(client, 1000),
    idleMs: 1000,
    rules: [],
    model: 'm',
    finish: (outcome) => {
      finished.outcome = outcome;
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
});
