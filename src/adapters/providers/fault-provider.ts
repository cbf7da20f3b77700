import type { Clock, Random } from '../../app/ports/clock.js';
import type { CallOptions, ModelProvider } from '../../app/ports/model-provider.js';
import type {
  ChatOutcome,
  ChatRequest,
  FailureKind,
  ProviderFailure,
  StreamEvent,
} from '../../core/provider/chat.js';
import { type FaultPlan, planFaults } from '../../core/provider/fault-plan.js';
import type { FaultProfile } from '../../core/spec/fault-profile.js';
import { abortSignalOf } from './abort-fanout.js';

/** How many faults were injected, by type: drills report these next to what Ballast detected. */
export interface FaultCounts {
  calls: number;
  delayed: number;
  failed: Partial<Record<FailureKind, number>>;
  stalled: number;
  cut: number;
  malformed: number;
}

export interface FaultyProvider extends ModelProvider {
  /** Replaces the fault profile at run time (a drill switching faults on and off); undefined = none. */
  setFaults(profile: FaultProfile | undefined): void;
  faults(): FaultProfile | undefined;
  counts(): Readonly<FaultCounts>;
}

const STATUS: Partial<Record<FailureKind, number>> = {
  rate_limit: 429,
  auth: 401,
  bad_request: 400,
  upstream: 503,
  timeout: 504,
  content_filter: 400,
};

function injected(
  kind: FailureKind,
  message: string,
  latencyMs: number,
  afterContent = false,
): ProviderFailure {
  const status = STATUS[kind];
  return {
    kind,
    message: `injected fault: ${message}`,
    ...(status === undefined ? {} : { status }),
    attempts: 1,
    latencyMs,
    afterContent,
  };
}

/**
 * A decorator over any provider that adds latency, errors, stalls, cut streams and malformed
 * bodies — for drills and for evaluating a variant under a degraded network. Faults happen in
 * front of the real call, so a failure injected before content never reaches the upstream.
 */
export function withFaults(
  inner: ModelProvider,
  options: { profile?: FaultProfile | undefined; clock: Clock; random: Random },
): FaultyProvider {
  let profile = options.profile;
  const { clock, random } = options;
  const counts: FaultCounts = { calls: 0, delayed: 0, failed: {}, stalled: 0, cut: 0, malformed: 0 };

  const begin = (): FaultPlan => {
    counts.calls++;
    const plan = planFaults(profile, random);
    if (plan.addedLatencyMs > 0) counts.delayed++;
    if (plan.failure) counts.failed[plan.failure] = (counts.failed[plan.failure] ?? 0) + 1;
    return plan;
  };

  /** Waits out the added latency; undefined when the caller aborted meanwhile. */
  const delay = async (plan: FaultPlan, signal: AbortSignal | undefined): Promise<boolean> => {
    if (plan.addedLatencyMs <= 0) return true;
    try {
      await clock.sleep(plan.addedLatencyMs, signal);
      return true;
    } catch {
      return false;
    }
  };

  return {
    id: inner.id,
    setFaults: (next) => {
      profile = next;
    },
    faults: () => profile,
    counts: () => structuredClone(counts),
    close: () => inner.close(),

    complete(request: ChatRequest, callOptions?: CallOptions): Promise<ChatOutcome> {
      // No faults (the usual case): the call goes straight through, without a layer of its own.
      if (!profile?.enabled) {
        counts.calls++;
        return inner.complete(request, callOptions);
      }
      return faultyComplete(request, callOptions);
    },

    stream(request: ChatRequest, callOptions?: CallOptions): AsyncIterable<StreamEvent> {
      if (!profile?.enabled) {
        counts.calls++;
        return inner.stream(request, callOptions);
      }
      return faultyStream(request, callOptions);
    },
  };

  async function faultyComplete(request: ChatRequest, callOptions?: CallOptions): Promise<ChatOutcome> {
    const caller = abortSignalOf(callOptions?.signal);
    try {
      return await faultyCompleteWith(request, callOptions, caller.signal);
    } finally {
      caller.dispose();
    }
  }

  async function faultyCompleteWith(
    request: ChatRequest,
    callOptions: CallOptions | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ChatOutcome> {
    const started = clock.monotonic();
    const plan = begin();
    if (!(await delay(plan, signal))) {
      return {
        ok: false,
        failure: injected('cancelled', 'cancelled during added latency', clock.monotonic() - started),
      };
    }
    if (plan.failure) {
      return {
        ok: false,
        failure: injected(plan.failure, `${plan.failure} before the call`, clock.monotonic() - started),
      };
    }
    const outcome = await inner.complete(request, callOptions);
    if (outcome.ok && plan.malformed) {
      counts.malformed++;
      return {
        ok: false,
        failure: injected('upstream', 'malformed JSON body', clock.monotonic() - started),
      };
    }
    if (plan.addedLatencyMs <= 0) return outcome;
    if (!outcome.ok) {
      return {
        ok: false,
        failure: { ...outcome.failure, latencyMs: outcome.failure.latencyMs + plan.addedLatencyMs },
      };
    }
    // The caller saw the added latency, so the reported latency includes it.
    const latencyMs = outcome.result.latencyMs + plan.addedLatencyMs;
    return {
      ok: true,
      result: { ...outcome.result, latencyMs, ttftMs: outcome.result.ttftMs + plan.addedLatencyMs },
    };
  }

  async function* faultyStream(request: ChatRequest, callOptions?: CallOptions): AsyncIterable<StreamEvent> {
    const caller = abortSignalOf(callOptions?.signal);
    try {
      yield* faultyStreamWith(request, callOptions, caller.signal);
    } finally {
      caller.dispose();
    }
  }

  async function* faultyStreamWith(
    request: ChatRequest,
    callOptions: CallOptions | undefined,
    signal: AbortSignal | undefined,
  ): AsyncIterable<StreamEvent> {
    const started = clock.monotonic();
    const plan = begin();
    if (!(await delay(plan, signal))) {
      yield {
        type: 'error',
        failure: injected('cancelled', 'cancelled during added latency', clock.monotonic() - started),
      };
      return;
    }
    if (plan.failure) {
      yield {
        type: 'error',
        failure: injected(plan.failure, `${plan.failure} before the first byte`, clock.monotonic() - started),
      };
      return;
    }
    let deltas = 0;
    for await (const event of inner.stream(request, callOptions)) {
      // A tool-call fragment is a chunk of the answer like a text delta: it can be stalled or cut after.
      if (event.type === 'delta' || event.type === 'tool_call') {
        yield event;
        deltas++;
        if (deltas === 1 && plan.stallMs !== undefined) {
          counts.stalled++;
          try {
            await clock.sleep(plan.stallMs, signal);
          } catch {
            yield {
              type: 'error',
              failure: injected('cancelled', 'cancelled during a stall', clock.monotonic() - started, true),
            };
            return;
          }
        }
        if (plan.cutAfterDeltas !== undefined && deltas >= plan.cutAfterDeltas) {
          counts.cut++;
          yield {
            type: 'error',
            failure: injected(
              'network',
              `stream cut after ${deltas} chunk(s)`,
              clock.monotonic() - started,
              true,
            ),
          };
          return; // ends the inner iteration too (for await calls its return()).
        }
      } else if (event.type === 'done' && plan.cutAfterDeltas !== undefined && deltas > 0) {
        counts.cut++;
        yield {
          type: 'error',
          failure: injected('network', 'stream cut before its end', clock.monotonic() - started, true),
        };
        return;
      } else if (event.type === 'done' && plan.addedLatencyMs > 0) {
        const r = event.result;
        yield {
          type: 'done',
          result: {
            ...r,
            latencyMs: r.latencyMs + plan.addedLatencyMs,
            ttftMs: r.ttftMs + plan.addedLatencyMs,
          },
        };
      } else {
        yield event;
      }
    }
  }
}
