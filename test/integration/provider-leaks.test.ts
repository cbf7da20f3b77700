import { describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../src/adapters/providers/anthropic-provider.js';
import type { HttpModelProvider } from '../../src/adapters/providers/http-provider.js';
import { createOpenAIProvider } from '../../src/adapters/providers/openai-provider.js';
import type { ChatRequest } from '../../src/core/provider/chat.js';
import { anthropicProviderSchema, openaiProviderSchema } from '../../src/core/spec/project-schema.js';
import { startAnthropicWireServer } from '../support/wire-servers/anthropic-wire-server.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import { recordingClock, seededRandom } from '../support/wire-servers/recording-clock.js';
import type { WireStep } from '../support/wire-servers/wire-server.js';

const CALLS = 1_000;
// The resource types a leaked connection or timer shows up as (process.getActiveResourcesInfo).
const WATCHED = ['TCPSocketWrap', 'Timeout'] as const;

describe('HTTP providers leave nothing behind', () => {
  it(`${CALLS} calls, streaming or not, a share cancelled mid-flight, leave no sockets or timers`, async () => {
    const servers = [await startOpenAIWireServer(), await startAnthropicWireServer()] as const;
    const before = watched();
    for (const server of servers) server.setDefault(flakyAnswers());
    const providers = [
      createOpenAIProvider({
        name: 'openai',
        model: 'gpt-4o-mini',
        config: openaiProviderSchema.parse({
          type: 'openai',
          baseUrl: `${servers[0].url}/v1`,
          maxConcurrency: 16,
        }),
        clock: recordingClock(),
        random: seededRandom(1),
      }),
      createAnthropicProvider({
        name: 'anthropic',
        model: 'claude-sonnet-4-5',
        config: anthropicProviderSchema.parse({
          type: 'anthropic',
          baseUrl: servers[1].url,
          maxConcurrency: 16,
        }),
        clock: recordingClock(),
        random: seededRandom(2),
      }),
    ] as const;
    const random = seededRandom(3);
    const tally = new Map<string, number>();
    const count = (key: string): void => {
      tally.set(key, (tally.get(key) ?? 0) + 1);
    };

    await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        call(providers[i % 2]!, i, Math.floor(random() * 20)).then(count),
      ),
    );

    expect([...tally.values()].reduce((a, b) => a + b, 0)).toBe(CALLS);
    expect(tally.get('cancelled') ?? 0).toBeGreaterThan(50);
    expect(tally.get('ok') ?? 0).toBeGreaterThan(400);
    for (const provider of providers) expect(provider.stats()).toMatchObject({ active: 0, pending: 0 });

    // Idle keep-alive sockets are the pool's to keep until close(); after it nothing may remain.
    expect(servers.every((s) => s.openConnections() > 0)).toBe(true);
    await Promise.all(providers.map((p) => p.close()));
    await until(() => servers.every((s) => s.openConnections() === 0));
    expect(servers.map((s) => s.openConnections())).toEqual([0, 0]);
    await until(() => WATCHED.every((type) => watched()[type] <= before[type]));
    const after = watched();
    for (const type of WATCHED) expect(after[type], type).toBeLessThanOrEqual(before[type]);
    await Promise.all(servers.map((s) => s.close()));
  });
});

const request = (i: number): ChatRequest => ({
  model: '',
  messages: [{ role: 'user', content: `call ${i}` }],
  params: { max_tokens: 32 },
});

/** One call of the mix; resolves to how it ended. */
async function call(provider: HttpModelProvider, i: number, abortAfterMs: number): Promise<string> {
  const controller = new AbortController();
  const mode = i % 10;
  // 6: abort a complete() at a random moment (queued, waiting, or reading); 9: same for a stream.
  const timer = mode === 6 || mode === 9 ? setTimeout(() => controller.abort(), abortAfterMs) : undefined;
  try {
    if (mode <= 2 || mode === 6) {
      const outcome = await provider.complete(request(i), { signal: controller.signal });
      return outcome.ok ? 'ok' : outcome.failure.kind;
    }
    let last = 'none';
    for await (const event of provider.stream(request(i), { signal: controller.signal })) {
      if (event.type === 'tool_call') continue;
      if (event.type === 'delta') {
        if (mode === 7) controller.abort(); // cancelled after the first delta
        if (mode === 8) return 'left'; // the consumer walks away (return() on the iterator)
        continue;
      }
      last = event.type === 'done' ? 'ok' : event.failure.kind;
    }
    return last;
  } finally {
    clearTimeout(timer);
  }
}

/** Mostly answers streamed with small gaps; some 503s (retried after a backoff) and resets. */
function flakyAnswers(): (request: unknown) => WireStep {
  let n = 0;
  return () => {
    n += 1;
    if (n % 23 === 0) return { status: 503 };
    if (n % 37 === 0) return { reset: true };
    return { chunks: 6, chunkDelayMs: 2, delayMs: n % 3 };
  };
}

function watched(): Record<(typeof WATCHED)[number], number> {
  const info = process.getActiveResourcesInfo();
  return Object.fromEntries(WATCHED.map((type) => [type, info.filter((t) => t === type).length])) as Record<
    (typeof WATCHED)[number],
    number
  >;
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return; // the assertion after it reports what is left
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
