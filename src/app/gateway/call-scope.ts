import { Deadline, type TimerHost } from '../../core/async/deadline.js';

/**
 * The client's side of a request: whether it went away, and a way to hear when it does. Lighter
 * than an AbortSignal (an AbortController costs ≈ 5 µs, and a request used to make one here and
 * one per upstream call); `signalOf` adapts an AbortSignal for callers that have one.
 */
export interface ClientSignal {
  readonly aborted: boolean;
  /** Calls `fn` once when the client goes away (at once if it has); returns the unsubscribe. */
  onAbort(fn: () => void): () => void;
}

export function signalOf(signal: AbortSignal): ClientSignal {
  return new AbortSignalClient(signal);
}

/** A class rather than an object literal with an `aborted` getter, which V8 builds slowly. */
class AbortSignalClient implements ClientSignal {
  constructor(private readonly signal: AbortSignal) {}

  get aborted(): boolean {
    return this.signal.aborted;
  }

  onAbort(fn: () => void): () => void {
    const { signal } = this;
    if (signal.aborted) {
      fn();
      return () => {};
    }
    signal.addEventListener('abort', fn, { once: true });
    return () => signal.removeEventListener('abort', fn);
  }
}

/** Why the gateway's own timer aborted a call. */
export type TimerReason = 'first_token' | 'idle' | 'total';

type Timer = ReturnType<typeof setTimeout>;

/** The process's timers and monotonic clock, for the phase deadline. */
const TIMERS: TimerHost<Timer> = {
  now: () => performance.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (timer) => clearTimeout(timer),
};

/** One upstream call's abort signal: the client going away plus the variant's time limits. */
export class CallScope {
  readonly controller = new AbortController();
  reason: TimerReason | undefined;
  #total: Timer | undefined;
  /** The first-token or idle limit, moved on by every event (a Deadline: no new timer each time). */
  readonly #phase = new Deadline(TIMERS, () => this.#fire(this.#phaseReason));
  #phaseReason: 'first_token' | 'idle' = 'first_token';
  readonly #unsubscribe: () => void;

  /** `totalMs` undefined: no separate total timer (the caller's phase timer is the tighter one). */
  constructor(
    readonly parent: ClientSignal,
    totalMs: number | undefined,
  ) {
    this.#unsubscribe = parent.onAbort(() => this.controller.abort());
    if (totalMs !== undefined) this.#total = setTimeout(() => this.#fire('total'), totalMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** (Re)arms the first-token or idle timer. */
  phase(reason: 'first_token' | 'idle', ms: number): void {
    this.#phaseReason = reason;
    this.#phase.arm(ms);
  }

  #fire(reason: TimerReason): void {
    this.reason ??= reason;
    this.controller.abort();
  }

  dispose(): void {
    if (this.#total !== undefined) clearTimeout(this.#total);
    this.#phase.cancel();
    this.#unsubscribe();
  }
}

export const TIMER_MESSAGES: Record<TimerReason, string> = {
  first_token: 'no content before the variant’s first-token timeout',
  idle: 'no event within the variant’s idle timeout',
  total: 'the variant’s total timeout passed',
};
