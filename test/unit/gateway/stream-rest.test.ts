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

async function drain(events: AsyncIterable<unknown>) {
  const out: unknown[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe('streamRest', () => {
  it("ends the provider's stream after a complete answer, so its cleanup runs", async () => {
    const { state, iterator } = providerStream([
      { type: 'delta', text: 'hello' },
      { type: 'delta', text: ' world' },
      { type: 'done', result },
    ]);
    const first = (await iterator.next()).value as Extract<StreamEvent, { type: 'delta' }>;
    let finished: string | undefined;
    const out = await drain(
      streamRest({
        first,
        iterator,
        scope: new CallScope(client, 1000),
        idleMs: 1000,
        rules: [],
        model: 'm',
        finish: (outcome) => {
          finished = outcome;
        },
      }),
    );
    expect(out.map((e) => (e as { type: string }).type)).toEqual(['delta', 'delta', 'done']);
    expect(finished).toBe('ok');
    expect(state.cleanedUp).toBe(true);
  });

  it("ends the provider's stream when the client leaves mid-stream", async () => {
    const { state, iterator } = providerStream([
      { type: 'delta', text: 'a' },
      { type: 'delta', text: 'b' },
      { type: 'done', result },
    ]);
    const first = (await iterator.next()).value as Extract<StreamEvent, { type: 'delta' }>;
    let finished: string | undefined;
    const rest = streamRest({
      first,
      iterator,
      scope: new CallScope(client, 1000),
      idleMs: 1000,
      rules: [],
      model: 'm',
      finish: (outcome) => {
        finished = outcome;
      },
    });
    for await (const _ of rest) break;
    expect(finished).toBe('cancelled');
    expect(state.cleanedUp).toBe(true);
  });
});
