import type { Clock } from '../../src/app/ports/clock.js';
import type { ModelProvider } from '../../src/app/ports/model-provider.js';
import type { ChatOutcome, ChatRequest, ChatResult, StreamEvent } from '../../src/core/provider/chat.js';

/** A clock whose sleeps return at once but are recorded, and whose time advances by them. */
export function steppingClock(start = 1_700_000_000_000): Clock & { sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => start + t,
    monotonic: () => t,
    sleep: async (ms, signal) => {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      sleeps.push(ms);
      t += ms;
    },
  };
}

export function result(text: string, extra: Partial<ChatResult> = {}): ChatResult {
  return {
    text,
    finishReason: 'stop',
    usage: { inputTokens: 10, outputTokens: Math.max(1, Math.ceil(text.length / 4)) },
    costUsd: 0.001,
    latencyMs: 100,
    ttftMs: 40,
    model: 'scripted-1',
    attempts: 1,
    ...extra,
  };
}

/**
 * A ModelProvider fake that answers each request with `reply(request)` — in word-sized deltas when
 * streaming — or fails (`upstream`) when it returns undefined, and records the requests that
 * reached it.
 */
export function replyingProvider(
  id: string,
  reply: (request: ChatRequest) => string | undefined,
): ModelProvider & { calls: ChatRequest[] } {
  const calls: ChatRequest[] = [];
  const failure = { kind: 'upstream' as const, message: 'scripted failure', attempts: 1, latencyMs: 5 };
  return {
    id,
    calls,
    close: async () => undefined,
    async complete(request): Promise<ChatOutcome> {
      calls.push(request);
      const text = reply(request);
      return text === undefined ? { ok: false, failure } : { ok: true, result: result(text) };
    },
    async *stream(request): AsyncIterable<StreamEvent> {
      calls.push(request);
      const text = reply(request);
      if (text === undefined) {
        yield { type: 'error', failure: { ...failure, afterContent: false } };
        return;
      }
      for (const word of text.split(/(?<= )/)) yield { type: 'delta', text: word };
      yield { type: 'done', result: result(text) };
    },
  };
}

/** For testing decorators: answers every request with the echo of its last message. */
export function echoProvider(): ModelProvider & { calls: ChatRequest[] } {
  return replyingProvider(
    'scripted/echo',
    (request) => `echo: ${String(request.messages.at(-1)?.content ?? '')}`,
  );
}

export async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}
