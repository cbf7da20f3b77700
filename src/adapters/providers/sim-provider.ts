import type { Clock } from '../../app/ports/clock.js';
import type { CallOptions, ModelProvider } from '../../app/ports/model-provider.js';
import type {
  ChatOutcome,
  ChatRequest,
  ChatResult,
  ProviderFailure,
  StreamEvent,
} from '../../core/provider/chat.js';
import { costOf } from '../../core/provider/pricing.js';
import {
  type KnowledgeLookup,
  planResponse,
  type SimAnswerPlan,
  type SimFailurePlan,
  type SimPlan,
} from '../../core/sim/plan-response.js';
import { normaliseQuestion } from '../../core/sim/sim-text.js';
import type { ProviderConfig } from '../../core/spec/project-schema.js';
import type { SimProfile } from '../../core/spec/sim-profile.js';
import { createCallSignals } from './sim-signal.js';

export type SimProviderConfig = Extract<ProviderConfig, { type: 'sim' }>;

export interface SimProviderOptions {
  /** The provider's name under `providers:` in ballast.yaml. */
  readonly providerName: string;
  /** The provider's settings: its seed, its pricing table and its total timeout. */
  readonly provider: Pick<SimProviderConfig, 'seed' | 'pricing'> &
    Partial<Pick<SimProviderConfig, 'timeoutMs'>>;
  /** The variant this provider serves: its model name and its sim profile. */
  readonly variant: { readonly model: string; readonly sim: SimProfile };
  /**
   * What the model "knows": normalised question → reference (as `knowledgeFromCases` builds
   * it), or a function from the question as asked. A request's own `reference` wins over it.
   */
  readonly knowledge?: ReadonlyMap<string, string> | KnowledgeLookup;
  /** Real time: every planned latency is waited through `clock.sleep`. */
  readonly clock: Clock;
  /**
   * Multiplies every wait: 1 (the default) answers in the planned real time, 0 answers at once
   * (tests, fast evals), 0.1 ten times faster. Reported latencies are always the planned ones,
   * so a fast run measures the same numbers as a real-time one.
   */
  readonly timeScale?: number;
}

/**
 * The `sim` provider: Ballast's seeded model simulator behind the ModelProvider port. Every
 * decision comes from `planResponse` (pure, in core); this adapter only plays the plan out in
 * time, honours cancellation, and prices the result. It never throws: failures are values.
 */
export function createSimProvider(options: SimProviderOptions): ModelProvider {
  const { clock, variant, provider } = options;
  const scale = Number.isFinite(options.timeScale) ? Math.max(0, options.timeScale as number) : 1;
  const knowledge = toLookup(options.knowledge);
  const calls = createCallSignals();

  const plan = (request: ChatRequest): SimPlan =>
    planResponse({
      providerSeed: provider.seed,
      profile: variant.sim,
      model: variant.model,
      request,
      ...(knowledge === undefined ? {} : { knowledge }),
      ...(provider.timeoutMs === undefined ? {} : { timeoutMs: provider.timeoutMs }),
    });

  /** Waits until `plannedMs` of simulated time after `started`, drift-free; throws when aborted. */
  const waitUntil = async (started: number, plannedMs: number, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) throw signal.reason;
    const remaining = started + plannedMs * scale - clock.monotonic();
    if (remaining > 0) await clock.sleep(remaining, signal);
    if (signal.aborted) throw signal.reason;
  };

  const result = (p: SimAnswerPlan, ttftMs: number): ChatResult => ({
    text: p.text,
    finishReason: p.finishReason,
    usage: p.usage,
    costUsd: costOf(provider.pricing, variant.model, p.usage),
    latencyMs: p.latencyMs,
    ttftMs,
    model: variant.model,
    attempts: 1,
  });

  const interrupted = (error: unknown, signal: AbortSignal, started: number, afterContent?: boolean) =>
    signal.aborted
      ? cancelled(clock.monotonic() - started, afterContent)
      : failure('upstream', `sim: ${error instanceof Error ? error.message : String(error)}`, clock, started);

  return {
    id: `${options.providerName}/${variant.model}`,

    async complete(request: ChatRequest, callOptions?: CallOptions): Promise<ChatOutcome> {
      const call = calls.start(callOptions?.signal);
      const started = clock.monotonic();
      try {
        if (call.signal.aborted) return { ok: false, failure: cancelled(0, undefined, 0) };
        const p = plan(request);
        await waitUntil(started, p.latencyMs, call.signal);
        // A non-streaming call's first token is its whole answer: TTFT = latency.
        return p.ok ? { ok: true, result: result(p, p.latencyMs) } : { ok: false, failure: fromPlan(p) };
      } catch (error) {
        return { ok: false, failure: interrupted(error, call.signal, started) };
      } finally {
        call.dispose();
      }
    },

    async *stream(request: ChatRequest, callOptions?: CallOptions): AsyncGenerator<StreamEvent> {
      const call = calls.start(callOptions?.signal);
      const started = clock.monotonic();
      let sent = false;
      try {
        if (call.signal.aborted) {
          yield { type: 'error', failure: cancelled(0, false, 0) };
          return;
        }
        const p = plan(request);
        if (!p.ok) {
          // The sim fails before the first byte; cut streams are the faults decorator's job.
          await waitUntil(started, p.latencyMs, call.signal);
          yield { type: 'error', failure: { ...fromPlan(p), afterContent: false } };
          return;
        }
        for (const chunk of p.chunks) {
          await waitUntil(started, chunk.atMs, call.signal);
          yield { type: 'delta', text: chunk.text };
          sent = true;
        }
        await waitUntil(started, p.latencyMs, call.signal);
        yield { type: 'done', result: result(p, p.chunks.length > 0 ? p.ttftMs : p.latencyMs) };
      } catch (error) {
        yield { type: 'error', failure: interrupted(error, call.signal, started, sent) };
      } finally {
        call.dispose();
      }
    },

    async close(): Promise<void> {
      // In-flight calls end as `cancelled` and their timers are cleared; later calls are refused.
      calls.closeAll(new Error('sim provider closed'));
    },
  };
}

function toLookup(knowledge: SimProviderOptions['knowledge']): KnowledgeLookup | undefined {
  if (knowledge === undefined || typeof knowledge === 'function') return knowledge;
  return (question) => knowledge.get(normaliseQuestion(question)) ?? knowledge.get(question);
}

function fromPlan(p: SimFailurePlan): ProviderFailure {
  return {
    kind: p.kind,
    message: p.message,
    ...(p.status === undefined ? {} : { status: p.status }),
    ...(p.retryAfterMs === undefined ? {} : { retryAfterMs: p.retryAfterMs }),
    attempts: 1,
    latencyMs: p.latencyMs,
  };
}

/** A call aborted before it started made no attempt (attempts 0), as the HTTP providers report. */
function cancelled(latencyMs: number, afterContent?: boolean, attempts = 1): ProviderFailure {
  return {
    kind: 'cancelled',
    message: 'sim: the call was cancelled',
    attempts,
    latencyMs: Math.max(0, latencyMs),
    ...(afterContent === undefined ? {} : { afterContent }),
  };
}

function failure(
  kind: ProviderFailure['kind'],
  message: string,
  clock: Clock,
  started: number,
): ProviderFailure {
  return { kind, message, attempts: 1, latencyMs: Math.max(0, clock.monotonic() - started) };
}
