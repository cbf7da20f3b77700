import type { Clock, Random } from '../../app/ports/clock.js';
import type { CallOptions, CancelSignal, ModelProvider } from '../../app/ports/model-provider.js';
import type { ReleaseSlot } from '../../core/async/call-slots.js';
import { backoffDelay, MAX_RETRY_AFTER_MS } from '../../core/provider/backoff.js';
import {
  type ChatOutcome,
  type ChatRequest,
  type ChatResult,
  type ProviderFailure,
  RETRYABLE,
  type StreamEvent,
} from '../../core/provider/chat.js';
import { costOf, type PricingTable } from '../../core/provider/pricing.js';
import {
  type AttemptContext,
  type AttemptOutcome,
  completeAttempt,
  streamAttempt,
  type WireFormat,
  type WireHttpRequest,
  type WireSummary,
} from './http-attempt.js';
import { AttemptScope, CallScope, stopFailure } from './http-deadline.js';
import type { AttemptFailure } from './http-errors.js';
import type { HttpTransport } from './http-transport.js';

/** Default silence allowed between chunks: long enough for a slow model's first token. */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

/** HTTP header names are case-insensitive; one spelling avoids sending a header twice. */
export function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

export interface HttpProviderStats {
  readonly calls: number;
  readonly retries: number;
  /** Stream events that could not be read and were skipped (the stream itself carried on). */
  readonly malformedChunks: number;
  /** Calls holding a slot of the provider's concurrency limit, and calls waiting for one. */
  readonly active: number;
  readonly pending: number;
}

/** A ModelProvider over HTTP, with counters for logs, metrics and tests. */
export interface HttpModelProvider extends ModelProvider {
  stats(): HttpProviderStats;
}

export interface HttpProviderSettings {
  readonly id: string;
  /** The variant's model, used when a request names none. */
  readonly model: string;
  readonly wire: WireFormat;
  readonly transport: HttpTransport;
  readonly clock: Clock;
  readonly random: Random;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly retries: number;
  readonly pricing: PricingTable;
}

/**
 * The retry loop, limits and timing every HTTP provider shares; the wire format supplies the
 * shapes. Retries (full-jitter backoff, or the server's Retry-After) happen only for retryable
 * kinds, only while the total deadline leaves room for the wait, and never once a streamed
 * delta reached the caller.
 */
export function createHttpProvider(settings: HttpProviderSettings): HttpModelProvider {
  const { clock, transport, wire } = settings;
  const open = new Set<CallScope>();
  const counters = { calls: 0, retries: 0, malformedChunks: 0 };
  let closed = false;

  const begin = (signal?: AbortSignal | CancelSignal): CallScope => {
    const call = new CallScope(settings.timeoutMs, () => clock.monotonic(), signal);
    if (closed) call.stop('closed');
    open.add(call);
    counters.calls += 1;
    return call;
  };
  const end = (call: CallScope): void => {
    call.dispose();
    open.delete(call);
  };
  const context = (attempt: AttemptScope): AttemptContext => ({
    request: transport.request,
    attempt,
    timeoutMs: settings.timeoutMs,
    now: () => clock.now(),
  });
  const retryDelay = (failure: AttemptFailure, attempts: number, call: CallScope): number | undefined => {
    if (!RETRYABLE.has(failure.kind) || attempts > settings.retries || call.reason !== undefined)
      return undefined;
    // A missing model or path stays missing (it still counts against the variant, which falls
    // back); a server that asks for a longer wait than a retry would take would refuse it again.
    if (failure.status === 404) return undefined;
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > MAX_RETRY_AFTER_MS) return undefined;
    const delay = backoffDelay(attempts, settings.random, { retryAfterMs: failure.retryAfterMs });
    // Waiting past the deadline only to time out: hand the caller the real reason now.
    return delay < call.remainingMs() ? delay : undefined;
  };
  const pause = (ms: number, call: CallScope): Promise<boolean> =>
    clock.sleep(ms, call.signal).then(
      () => true,
      () => false,
    );
  const mapRequest = (request: ChatRequest, stream: boolean): AttemptOutcome<WireHttpRequest> => {
    try {
      return { ok: true, value: wire.request(request, modelOf(request, settings.model), stream) };
    } catch (error) {
      return {
        ok: false,
        failure: { kind: 'bad_request', message: `cannot map the request: ${String(error)}` },
      };
    }
  };
  const result = (
    request: ChatRequest,
    answer: WireSummary & { text: string },
    attempts: number,
    timing: CallTiming,
  ) => buildResult(settings, request, answer, attempts, timing);

  return {
    id: settings.id,

    async complete(request: ChatRequest, options?: CallOptions): Promise<ChatOutcome> {
      const call = begin(options?.signal);
      const timing = new CallTiming(clock);
      let attempts = 0;
      try {
        const mapped = mapRequest(request, false);
        if (!mapped.ok) return failed(mapped.failure, attempts, timing);
        for (;;) {
          const release = await timing.slot(transport, call);
          if (!release) return failed(callStopped(call), attempts, timing);
          attempts += 1;
          const attempt = new AttemptScope(call, settings.idleTimeoutMs);
          let outcome: Awaited<ReturnType<typeof completeAttempt>>;
          try {
            outcome = await completeAttempt(context(attempt), wire, mapped.value);
          } finally {
            attempt.dispose();
            release();
          }
          if (outcome.ok) return { ok: true, result: result(request, outcome.value, attempts, timing) };
          const delay = retryDelay(outcome.failure, attempts, call);
          if (delay === undefined) return failed(outcome.failure, attempts, timing);
          counters.retries += 1;
          if (!(await pause(delay, call))) return failed(callStopped(call), attempts, timing);
        }
      } finally {
        end(call);
      }
    },

    async *stream(request: ChatRequest, options?: CallOptions): AsyncGenerator<StreamEvent, void, void> {
      const call = begin(options?.signal);
      const timing = new CallTiming(clock);
      let attempts = 0;
      let text = '';
      // Whether a tool-call fragment reached the caller: like text, it makes a retry impossible.
      let toolsSent = false;
      try {
        const mapped = mapRequest(request, true);
        if (!mapped.ok) {
          yield { type: 'error', failure: failed(mapped.failure, attempts, timing, false).failure };
          return;
        }
        for (;;) {
          const release = await timing.slot(transport, call);
          if (!release) {
            yield { type: 'error', failure: failed(callStopped(call), attempts, timing, false).failure };
            return;
          }
          attempts += 1;
          const attempt = new AttemptScope(call, settings.idleTimeoutMs, options?.onActivity);
          const decoder = wire.streamDecoder();
          const inner = streamAttempt(
            context(attempt),
            wire,
            mapped.value,
            () => {
              counters.malformedChunks += 1;
            },
            decoder,
          );
          let outcome: AttemptOutcome<WireSummary> | undefined;
          try {
            for (let step = await inner.next(); ; step = await inner.next()) {
              if (step.done) {
                outcome = step.value;
                break;
              }
              timing.firstToken();
              // The first piece names the model the upstream said it is, so a client's stream
              // carries one model from its first chunk to its last.
              const named = text === '' && !toolsSent ? decoder.summary().model : undefined;
              if (typeof step.value === 'string') {
                text += step.value;
                yield named
                  ? { type: 'delta', text: step.value, model: named }
                  : { type: 'delta', text: step.value };
              } else {
                toolsSent = true;
                yield named
                  ? { type: 'tool_call', call: step.value, model: named }
                  : { type: 'tool_call', call: step.value };
              }
            }
          } finally {
            // The consumer left mid-stream (break, return): close the response before the slot.
            if (outcome === undefined) await inner.return({ ok: false, failure: callStopped(call) });
            attempt.dispose();
            release();
          }
          if (outcome.ok) {
            yield { type: 'done', result: result(request, { ...outcome.value, text }, attempts, timing) };
            return;
          }
          const afterContent = text !== '' || toolsSent;
          const delay = afterContent ? undefined : retryDelay(outcome.failure, attempts, call);
          if (delay === undefined) {
            yield { type: 'error', failure: failed(outcome.failure, attempts, timing, afterContent).failure };
            return;
          }
          counters.retries += 1;
          if (!(await pause(delay, call))) {
            yield { type: 'error', failure: failed(callStopped(call), attempts, timing, false).failure };
            return;
          }
        }
      } finally {
        end(call);
      }
    },

    async close(): Promise<void> {
      closed = true;
      for (const call of open) call.stop('closed');
      await transport.close();
    },

    stats(): HttpProviderStats {
      return { ...counters, ...transport.load() };
    },
  };
}

/**
 * Latency is the provider call itself: from the first attempt's start to the end, minus any time
 * a retry spent queued for a concurrency slot (backoff waits are part of the call and count).
 */
class CallTiming {
  readonly #clock: Clock;
  #start: number | undefined;
  #queued = 0;
  #ttft: number | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async slot(transport: HttpTransport, call: CallScope): Promise<ReleaseSlot | undefined> {
    const waitStart = this.#clock.monotonic();
    const release = await transport.acquire(call);
    const now = this.#clock.monotonic();
    if (this.#start === undefined) this.#start = now;
    else this.#queued += now - waitStart;
    if (!release) return undefined;
    call.startDeadline();
    // Safety net: a stream whose consumer stops pulling without calling return() would hold the
    // slot forever; stopping the call (deadline, abort, close) gives it back.
    const unsubscribe = call.onStop(release);
    return () => {
      unsubscribe();
      release();
    };
  }

  firstToken(): void {
    this.#ttft ??= this.elapsed();
  }

  elapsed(): number {
    return this.#start === undefined ? 0 : Math.max(0, this.#clock.monotonic() - this.#start - this.#queued);
  }

  ttft(latencyMs: number): number {
    return Math.min(this.#ttft ?? latencyMs, latencyMs);
  }
}

function modelOf(request: ChatRequest, fallback: string): string {
  return request.model === '' ? fallback : request.model;
}

function callStopped(call: CallScope): AttemptFailure {
  return stopFailure(call.reason ?? 'cancelled', { timeoutMs: call.timeoutMs });
}

function failed(
  failure: AttemptFailure,
  attempts: number,
  timing: CallTiming,
  afterContent?: boolean,
): { ok: false; failure: ProviderFailure } {
  return {
    ok: false,
    failure: {
      ...failure,
      attempts,
      latencyMs: timing.elapsed(),
      ...(afterContent === undefined ? {} : { afterContent }),
    },
  };
}

function buildResult(
  settings: HttpProviderSettings,
  request: ChatRequest,
  answer: WireSummary & { readonly text: string },
  attempts: number,
  timing: CallTiming,
): ChatResult {
  const latencyMs = timing.elapsed();
  const requested = modelOf(request, settings.model);
  const usage = answer.usage ?? { inputTokens: 0, outputTokens: 0 };
  // Price by the configured name first: providers answer with dated names (gpt-4o-2024-08-06).
  const priced = settings.pricing[requested] || answer.model === undefined ? requested : answer.model;
  return {
    text: answer.text,
    finishReason: answer.finishReason ?? 'unknown',
    usage,
    costUsd: costOf(settings.pricing, priced, usage),
    latencyMs,
    ttftMs: timing.ttft(latencyMs),
    model: answer.model ?? requested,
    attempts,
    ...(answer.toolCalls && answer.toolCalls.length > 0 ? { toolCalls: answer.toolCalls } : {}),
    ...(answer.logprobs ? { logprobs: answer.logprobs } : {}),
    ...(answer.refusal ? { refusal: answer.refusal } : {}),
  };
}
