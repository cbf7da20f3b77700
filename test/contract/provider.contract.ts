import { afterAll, describe, expect, it, vi } from 'vitest';
import type { CancelSignal } from '../../src/app/ports/model-provider.js';
import type { ChatRequest, ChatResult, FailureKind, StreamEvent } from '../../src/core/provider/chat.js';
import {
  collect,
  done,
  error,
  failure,
  type HarnessOptions,
  ok,
  type ProviderContractSetup,
  type ProviderHarness,
  type Scenario,
  type ScenarioKind,
} from '../support/wire-servers/provider-harness.js';

import { splitText } from '../support/wire-servers/wire-server.js';

export * from '../support/wire-servers/provider-harness.js';

/** The text of a wire server's first `n` chunks of `text` (one word each). */
const firstChunks = (text: string, n: number): string => splitText(text).slice(0, n).join('');

const PRICE = { input: 3, output: 15 };
const TEXT = 'The quick brown fox jumps over the lazy dog.';

/** The behaviour every ModelProvider must have, on real backends; run once per implementation. */
export function providerContract(name: string, setup: ProviderContractSetup): void {
  const can = (...kinds: ScenarioKind[]): boolean => kinds.every((k) => setup.supports.includes(k));
  const request: ChatRequest = {
    model: setup.model,
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say something about a fox.' },
    ],
    params: { temperature: 0, max_tokens: 64 },
  };
  /** Usage as scripted where the backend can script it; otherwise positive, and priced from itself. */
  const expectUsage = (result: ChatResult, scripted: { inputTokens: number; outputTokens: number }) => {
    const usage = setup.scriptsUsage === false ? result.usage : scripted;
    if (setup.scriptsUsage === false) {
      expect(usage.inputTokens).toBeGreaterThan(0);
      expect(usage.outputTokens).toBeGreaterThan(0);
    } else {
      expect(result.usage).toEqual(scripted);
    }
    expect(result.costUsd).toBeCloseTo(
      (usage.inputTokens * PRICE.input + usage.outputTokens * PRICE.output) / 1e6,
      12,
    );
  };
  const harness = async (options: Partial<HarnessOptions>, run: (h: ProviderHarness) => Promise<void>) => {
    const h = await setup.create({
      retries: 0,
      timeoutMs: 10_000,
      idleTimeoutMs: 5_000,
      maxConcurrency: 4,
      pricing: { [setup.model]: PRICE },
      ...options,
    });
    try {
      await run(h);
    } finally {
      await h.close();
    }
  };

  describe(`ModelProvider contract: ${name}`, () => {
    afterAll(async () => {
      await setup.dispose?.();
    });

    describe('answers', () => {
      it('complete returns the text, finish reason, usage, cost and latency', () =>
        harness({}, async (h) => {
          h.script({ kind: 'reply', text: TEXT, usage: { inputTokens: 12, outputTokens: 9 } });
          const result = ok(await h.provider.complete(request));
          expect(result).toMatchObject({ text: TEXT, finishReason: 'stop', attempts: 1 });
          expectUsage(result, { inputTokens: 12, outputTokens: 9 });
          expect(result.latencyMs).toBeGreaterThanOrEqual(0);
          expect(result.ttftMs).toBe(result.latencyMs);
          expect(result.model).not.toBe('');
        }));

      it('stream yields deltas that add up to the text, then one done with usage and ttft ≤ latency', () =>
        harness({}, async (h) => {
          h.script({ kind: 'reply', text: TEXT, chunks: 5, usage: { inputTokens: 7, outputTokens: 5 } });
          const run = await collect(h.provider.stream(request));
          // Pieces that arrive in one read of the socket go on as one delta.
          expect(run.deltas.length).toBeGreaterThanOrEqual(1);
          const result = done(run);
          expect(run.text).toBe(TEXT);
          expect(result).toMatchObject({ text: TEXT, finishReason: 'stop', attempts: 1 });
          expectUsage(result, { inputTokens: 7, outputTokens: 5 });
          expect(result.ttftMs).toBeLessThanOrEqual(result.latencyMs);
        }));

      it('reports a length finish reason in both modes', () =>
        harness({}, async (h) => {
          h.script({ kind: 'reply', finishReason: 'length' }, { kind: 'reply', finishReason: 'length' });
          expect(ok(await h.provider.complete(request)).finishReason).toBe('length');
          expect(done(await collect(h.provider.stream(request))).finishReason).toBe('length');
        }));
    });

    describe.runIf(can('http-error'))('HTTP failures are values with a kind', () => {
      const table: [number, FailureKind][] = [
        [400, 'bad_request'],
        [401, 'auth'],
        [403, 'auth'],
        [404, 'upstream'],
        [408, 'timeout'],
        [422, 'bad_request'],
        [429, 'rate_limit'],
        [500, 'upstream'],
        [503, 'upstream'],
      ];
      it.each(table)('HTTP %i → %s', (status, kind) =>
        harness({}, async (h) => {
          h.script({ kind: 'http-error', status });
          expect(failure(await h.provider.complete(request))).toMatchObject({ kind, status, attempts: 1 });
        }),
      );

      it('a prompt refused by a content filter → content_filter', () =>
        harness({}, async (h) => {
          h.script({ kind: 'http-error', status: 400, contentFilter: true });
          expect(failure(await h.provider.complete(request)).kind).toBe('content_filter');
        }));

      it('does not retry what a retry cannot fix (400, 401)', () =>
        harness({ retries: 2 }, async (h) => {
          h.script({ kind: 'http-error', status: 400 }, { kind: 'http-error', status: 401 });
          expect(failure(await h.provider.complete(request))).toMatchObject({
            kind: 'bad_request',
            attempts: 1,
          });
          expect(failure(await h.provider.complete(request))).toMatchObject({ kind: 'auth', attempts: 1 });
          expect(h.sleeps).toEqual([]);
        }));

      it('a stream refused before its first byte ends in one error event without content', () =>
        harness({}, async (h) => {
          h.script({ kind: 'http-error', status: 401 });
          const run = await collect(h.provider.stream(request));
          expect(run.deltas).toEqual([]);
          expect(error(run)).toMatchObject({ kind: 'auth', afterContent: false, attempts: 1 });
        }));
    });

    describe('retries', () => {
      it.runIf(can('http-error'))('retries a 429 without Retry-After after a jittered backoff', () =>
        harness({ retries: 2 }, async (h) => {
          h.script({ kind: 'http-error', status: 429 }, { kind: 'reply', text: TEXT });
          expect(ok(await h.provider.complete(request))).toMatchObject({ text: TEXT, attempts: 2 });
          expect(h.sleeps).toHaveLength(1);
          expect(h.sleeps[0]).toBeGreaterThanOrEqual(0);
          expect(h.sleeps[0]).toBeLessThan(1_000);
        }),
      );

      it.runIf(can('http-error'))('waits what Retry-After asks before retrying a 429', () =>
        harness({ retries: 1 }, async (h) => {
          h.script({ kind: 'http-error', status: 429, retryAfter: '1' }, { kind: 'reply', text: TEXT });
          expect(ok(await h.provider.complete(request)).attempts).toBe(2);
          expect(h.sleeps).toEqual([1_000]);
          const times = h.requestTimes?.();
          if (times) expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(950);
        }),
      );

      it.runIf(can('http-error'))('gives up at once when Retry-After is beyond the total timeout', () =>
        harness({ retries: 2, timeoutMs: 3_000 }, async (h) => {
          h.script({ kind: 'http-error', status: 429, retryAfter: '30' });
          const f = failure(await h.provider.complete(request));
          expect(f).toMatchObject({ kind: 'rate_limit', retryAfterMs: 30_000, attempts: 1 });
          expect(h.sleeps).toEqual([]);
        }),
      );

      it.runIf(can('http-error'))('a 500 once, then success: two attempts', () =>
        harness({ retries: 2 }, async (h) => {
          h.script({ kind: 'http-error', status: 500 }, { kind: 'reply', text: TEXT });
          expect(ok(await h.provider.complete(request))).toMatchObject({ text: TEXT, attempts: 2 });
        }),
      );

      it.runIf(can('http-error'))('a 503 every time: upstream after retries + 1 attempts', () =>
        harness({ retries: 2 }, async (h) => {
          const unavailable: Scenario = { kind: 'http-error', status: 503 };
          h.script(unavailable, unavailable, unavailable);
          expect(failure(await h.provider.complete(request))).toMatchObject({
            kind: 'upstream',
            attempts: 3,
          });
          expect(h.sleeps).toHaveLength(2);
          if (h.requestTimes) expect(h.requestTimes()).toHaveLength(3);
        }),
      );

      it.runIf(can('http-error'))('a stream retries a 503 that came before any content', () =>
        harness({ retries: 1 }, async (h) => {
          h.script({ kind: 'http-error', status: 503 }, { kind: 'reply', text: TEXT });
          const run = await collect(h.provider.stream(request));
          expect(done(run)).toMatchObject({ text: TEXT, attempts: 2 });
        }),
      );

      it.runIf(can('reset'))('a connection reset → network; retried when retries allow', () =>
        harness({}, async (h) => {
          h.script({ kind: 'reset' });
          expect(failure(await h.provider.complete(request))).toMatchObject({ kind: 'network', attempts: 1 });
        }).then(() =>
          harness({ retries: 1 }, async (h) => {
            h.script({ kind: 'reset' }, { kind: 'reply', text: TEXT });
            expect(ok(await h.provider.complete(request))).toMatchObject({ text: TEXT, attempts: 2 });
          }),
        ),
      );
    });

    describe('streams that break', () => {
      it.runIf(can('cut'))('cut mid-way → an error event with afterContent, never retried, never done', () =>
        harness({ retries: 2 }, async (h) => {
          h.script({ kind: 'cut', afterChunks: 3, text: TEXT });
          const run = await collect(h.provider.stream(request));
          expect(run.text).toBe(firstChunks(TEXT, 3));
          expect(error(run)).toMatchObject({ kind: 'network', afterContent: true, attempts: 1 });
        }),
      );

      it.runIf(can('cut'))('cut before any content → retried', () =>
        harness({ retries: 1 }, async (h) => {
          h.script({ kind: 'cut', afterChunks: 0 }, { kind: 'reply', text: TEXT });
          expect(done(await collect(h.provider.stream(request)))).toMatchObject({ text: TEXT, attempts: 2 });
        }),
      );

      it.runIf(can('stall'))('silence between chunks beyond the idle timeout → timeout after content', () =>
        harness({ idleTimeoutMs: 300, timeoutMs: 20_000 }, async (h) => {
          h.script({ kind: 'stall', afterChunks: 2, text: TEXT });
          const run = await collect(h.provider.stream(request));
          expect(run.text).toBe(firstChunks(TEXT, 2));
          expect(error(run)).toMatchObject({ kind: 'timeout', afterContent: true });
        }),
      );

      it.runIf(can('stall'))('silence before the first chunk → timeout, retried', () =>
        harness({ idleTimeoutMs: 300, timeoutMs: 20_000, retries: 1 }, async (h) => {
          h.script({ kind: 'stall', afterChunks: 0 }, { kind: 'reply', text: TEXT });
          expect(done(await collect(h.provider.stream(request)))).toMatchObject({ text: TEXT, attempts: 2 });
        }),
      );

      it.runIf(can('malformed-chunk'))(
        'a malformed chunk is skipped and counted; the stream carries on',
        () =>
          harness({}, async (h) => {
            h.script({ kind: 'malformed-chunk', atChunk: 2, text: TEXT });
            const run = await collect(h.provider.stream(request));
            expect(done(run).text).toBe(TEXT);
            if (h.malformedChunks) expect(h.malformedChunks()).toBe(1);
          }),
      );

      it.runIf(can('no-terminator'))('no end marker but a finish reason → a clean done, usage included', () =>
        harness({}, async (h) => {
          h.script({
            kind: 'no-terminator',
            withFinish: true,
            text: TEXT,
            usage: { inputTokens: 4, outputTokens: 6 },
          });
          const result = done(await collect(h.provider.stream(request)));
          expect(result).toMatchObject({ text: TEXT, finishReason: 'stop' });
          expect(result.usage.inputTokens).toBe(4);
        }),
      );

      it.runIf(can('no-terminator'))('no end marker and no finish reason → network error after content', () =>
        harness({ retries: 2 }, async (h) => {
          h.script({ kind: 'no-terminator', withFinish: false, text: TEXT });
          const run = await collect(h.provider.stream(request));
          expect(run.text).toBe(TEXT);
          expect(error(run)).toMatchObject({ kind: 'network', afterContent: true, attempts: 1 });
        }),
      );

      it.runIf(can('hold-after-end'))('a body held open after its end marker → done at the marker', () =>
        // An idle timeout far beyond the test's own: waiting for the body's end would fail the test.
        harness({ idleTimeoutMs: 120_000, timeoutMs: 120_000 }, async (h) => {
          h.script(
            { kind: 'hold-after-end', text: TEXT, usage: { inputTokens: 4, outputTokens: 6 } },
            { kind: 'reply', text: 'Next.' },
          );
          const result = done(await collect(h.provider.stream(request)));
          expect(result).toMatchObject({ text: TEXT, finishReason: 'stop', attempts: 1 });
          expect(result.usage).toEqual({ inputTokens: 4, outputTokens: 6 });
          // The held body keeps its connection; the next call gets another one.
          expect(done(await collect(h.provider.stream(request))).text).toBe('Next.');
          if (h.openConnections) expect(h.openConnections()).toBe(2);
        }),
      );

      it.runIf(can('hold-after-end'))(
        'a body held open after its end marker has its connection closed once idle too long',
        () =>
          harness({ idleTimeoutMs: 200, timeoutMs: 60_000 }, async (h) => {
            h.script({ kind: 'hold-after-end', text: TEXT });
            expect(done(await collect(h.provider.stream(request))).text).toBe(TEXT);
            const open = h.openConnections;
            if (open) await vi.waitFor(() => expect(open()).toBe(0), { timeout: 10_000, interval: 20 });
          }),
      );

      it.runIf(can('stream-error'))('an error event after content ends the stream with that kind', () =>
        harness({ retries: 2 }, async (h) => {
          h.script({ kind: 'stream-error', afterChunks: 2, errorKind: 'upstream', text: TEXT });
          const run = await collect(h.provider.stream(request));
          expect(run.text).toBe(firstChunks(TEXT, 2));
          expect(error(run)).toMatchObject({ kind: 'upstream', afterContent: true, attempts: 1 });
        }),
      );

      it.runIf(can('stream-error'))('an error event before content is retried', () =>
        harness({ retries: 1 }, async (h) => {
          h.script(
            { kind: 'stream-error', afterChunks: 0, errorKind: 'rate_limit' },
            { kind: 'reply', text: TEXT },
          );
          expect(done(await collect(h.provider.stream(request)))).toMatchObject({ text: TEXT, attempts: 2 });
        }),
      );
    });

    describe('deadlines, cancellation and close', () => {
      it.runIf(can('hang'))(
        'no answer within the total timeout → timeout, without retrying past the deadline',
        () =>
          harness({ timeoutMs: 500, retries: 2 }, async (h) => {
            h.script({ kind: 'hang' });
            expect(failure(await h.provider.complete(request))).toMatchObject({
              kind: 'timeout',
              attempts: 1,
            });
            h.script({ kind: 'hang' });
            const run = await collect(h.provider.stream(request));
            expect(error(run)).toMatchObject({ kind: 'timeout', afterContent: false, attempts: 1 });
          }),
      );

      it.runIf(can('hang'))('abort while waiting → cancelled, promptly', () =>
        harness({ timeoutMs: 60_000 }, async (h) => {
          h.script({ kind: 'hang' });
          const controller = new AbortController();
          const started = performance.now();
          setTimeout(() => controller.abort(), 50);
          const f = failure(await h.provider.complete(request, { signal: controller.signal }));
          expect(f.kind).toBe('cancelled');
          // "Promptly" = long before the 60 s timeout would have ended it.
          expect(performance.now() - started).toBeLessThan(10_000);
        }),
      );

      it('abort mid-stream → a cancelled error after content', () =>
        harness({ timeoutMs: 60_000 }, async (h) => {
          h.script({ kind: 'reply', text: TEXT, chunks: 8, chunkDelayMs: 200 });
          const controller = new AbortController();
          const events: StreamEvent[] = [];
          for await (const event of h.provider.stream(request, { signal: controller.signal })) {
            events.push(event);
            if (event.type === 'delta') controller.abort();
          }
          const last = events.at(-1);
          expect(last?.type).toBe('error');
          if (last?.type === 'error')
            expect(last.failure).toMatchObject({ kind: 'cancelled', afterContent: true });
        }));

      it.runIf(can('http-error'))('abort during a backoff wait → cancelled, promptly', () =>
        harness({ timeoutMs: 60_000, retries: 1 }, async (h) => {
          h.script({ kind: 'http-error', status: 429, retryAfter: '20' });
          const controller = new AbortController();
          const started = performance.now();
          const call = h.provider.complete(request, { signal: controller.signal });
          setTimeout(() => controller.abort(), 100);
          expect(failure(await call).kind).toBe('cancelled');
          expect(performance.now() - started).toBeLessThan(10_000);
        }),
      );

      it('an already-aborted signal → cancelled without calling the backend', () =>
        harness({}, async (h) => {
          const signal = AbortSignal.abort();
          expect(failure(await h.provider.complete(request, { signal }))).toMatchObject({
            kind: 'cancelled',
            attempts: 0,
          });
          expect(error(await collect(h.provider.stream(request, { signal }))).kind).toBe('cancelled');
        }));

      it.runIf(can('hang'))(
        "the gateway's CancelSignal: abort while waiting → cancelled, no listener left",
        () =>
          harness({ timeoutMs: 60_000 }, async (h) => {
            h.script({ kind: 'hang' });
            const waiting = new TestCancel();
            setTimeout(() => waiting.abort(), 50);
            expect(failure(await h.provider.complete(request, { signal: waiting })).kind).toBe('cancelled');
            expect(waiting.listeners).toBe(0);
          }),
      );

      it("the gateway's CancelSignal: abort mid-stream or before → cancelled; no listener left", () =>
        harness({ timeoutMs: 60_000 }, async (h) => {
          h.script({ kind: 'reply', text: TEXT, chunks: 8, chunkDelayMs: 200 });
          const midStream = new TestCancel();
          const events: StreamEvent[] = [];
          for await (const event of h.provider.stream(request, { signal: midStream })) {
            events.push(event);
            if (event.type === 'delta') midStream.abort();
          }
          expect(events.at(-1)).toMatchObject({
            type: 'error',
            failure: { kind: 'cancelled', afterContent: true },
          });
          expect(midStream.listeners).toBe(0);

          const before = new TestCancel();
          before.abort();
          expect(failure(await h.provider.complete(request, { signal: before }))).toMatchObject({
            kind: 'cancelled',
            attempts: 0,
          });
          expect(error(await collect(h.provider.stream(request, { signal: before }))).kind).toBe('cancelled');

          // Not aborted: the call answers and leaves nothing subscribed.
          h.script({ kind: 'reply', text: TEXT });
          const idle = new TestCancel();
          expect(ok(await h.provider.complete(request, { signal: idle })).text).toBe(TEXT);
          expect(idle.listeners).toBe(0);
        }));

      it('time queued for a concurrency slot counts toward neither latency nor the total timeout', () =>
        harness({ maxConcurrency: 1, timeoutMs: 1_500 }, async (h) => {
          // Three 500 ms answers in single file: the last one waits ~1 s, then takes ~0.5 s.
          const slow: Scenario = { kind: 'reply', text: TEXT, delayMs: 500 };
          h.script(slow, slow, slow);
          const results = await Promise.all([1, 2, 3].map(() => h.provider.complete(request)));
          for (const outcome of results) expect(ok(outcome).latencyMs).toBeLessThan(1_500);
        }));

      it('leaving a stream early frees its concurrency slot', () =>
        harness({ maxConcurrency: 1 }, async (h) => {
          h.script({ kind: 'reply', text: TEXT, chunks: 8, chunkDelayMs: 50 });
          for await (const event of h.provider.stream(request)) if (event.type === 'delta') break;
          expect(ok(await h.provider.complete(request)).text).not.toBe('');
        }));

      it.runIf(can('hang'))('close() ends calls in flight as cancelled, and later calls too', async () => {
        const h = await setup.create({
          retries: 0,
          timeoutMs: 60_000,
          idleTimeoutMs: 30_000,
          maxConcurrency: 4,
          pricing: {},
        });
        h.script({ kind: 'hang' });
        const pending = h.provider.complete(request);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await h.close();
        expect(failure(await pending).kind).toBe('cancelled');
        expect(failure(await h.provider.complete(request)).kind).toBe('cancelled');
        await expect(h.close()).resolves.toBeUndefined();
      });
    });
  });
}

/** A CancelSignal as the gateway passes one (no AbortController), counting its listeners. */
class TestCancel implements CancelSignal {
  aborted = false;
  #listeners = new Set<() => void>();

  get listeners(): number {
    return this.#listeners.size;
  }

  onAbort(fn: () => void): () => void {
    if (this.aborted) {
      fn();
      return () => {};
    }
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  abort(): void {
    this.aborted = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const fn of listeners) fn();
  }
}
