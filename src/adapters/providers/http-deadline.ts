import { EventEmitter } from 'node:events';
import { type CancelSignal, isCancelSignal } from '../../app/ports/model-provider.js';
import type { Stoppable } from '../../core/async/call-slots.js';
import { Deadline, type TimerHost } from '../../core/async/deadline.js';
import { AbortFanout } from './abort-fanout.js';
import type { AttemptFailure } from './http-errors.js';

/** Why a call or an attempt was stopped from our side. */
export type StopReason = 'cancelled' | 'closed' | 'timeout' | 'idle';

/**
 * One call's stop conditions — the caller's signal, the provider closing, and the total deadline
 * that every attempt and backoff shares — folded into one AbortSignal. The deadline starts with
 * `startDeadline()`, when the call first gets a concurrency slot: `ballast eval` submits whole
 * datasets at once and relies on the limit to queue them, and a queued call must not time out
 * before it ever reached the provider. `dispose()` must run when the call ends: it clears the
 * timer and the listener on the caller's signal (a long-lived caller signal would otherwise keep
 * every finished call reachable).
 */
/**
 * Something that can be told when a call stops: the transport's queue and the slot's safety net
 * subscribe with a plain callback, which costs far less than an AbortSignal listener (an
 * AbortController and its EventTarget cost ≈ 5 µs each on this machine, and a gateway request
 * used to make four).
 */

/**
 * One call's stop conditions — the caller's signal, the provider closing, and the total deadline
 * that every attempt and backoff shares. The deadline starts with `startDeadline()`, when the call
 * first gets a concurrency slot: `ballast eval` submits whole datasets at once and relies on the
 * limit to queue them, and a queued call must not time out before it ever reached the provider.
 * `dispose()` must run when the call ends: it clears the timer and the listener on the caller's
 * signal (a long-lived caller signal would otherwise keep every finished call reachable).
 * An AbortSignal is made only when something asks for one (a retry's backoff sleep).
 */
/** Every call's caller signal, one listener per signal (see AbortFanout). */
const CALLERS = new AbortFanout<CallScope>((scope) => scope.stop('cancelled'));

export class CallScope implements Stoppable {
  readonly timeoutMs: number;
  readonly #monotonic: () => number;
  #caller: AbortSignal | undefined;
  #unsubscribeCaller: (() => void) | undefined;
  readonly #subscribers = new Set<() => void>();
  #controller: AbortController | undefined;
  #deadline: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reason: StopReason | undefined;

  constructor(timeoutMs: number, monotonic: () => number, caller?: AbortSignal | CancelSignal) {
    this.timeoutMs = timeoutMs;
    this.#monotonic = monotonic;
    if (caller === undefined) return;
    if (isCancelSignal(caller)) {
      // A CancelSignal belongs to one call (the gateway's): a listener of its own costs nothing.
      this.#unsubscribeCaller = caller.onAbort(() => this.stop('cancelled'));
      return;
    }
    this.#caller = caller;
    CALLERS.add(caller, this);
  }

  /** Starts the total deadline; later calls do nothing. */
  startDeadline(): void {
    if (this.#deadline !== undefined || this.#reason !== undefined) return;
    this.#deadline = this.#monotonic() + this.timeoutMs;
    this.#timer = setTimeout(() => this.stop('timeout'), this.timeoutMs);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(new Error(`call stopped: ${this.#reason}`));
    }
    return this.#controller.signal;
  }

  get stopped(): boolean {
    return this.#reason !== undefined;
  }

  get reason(): StopReason | undefined {
    return this.#reason;
  }

  onStop(fn: () => void): () => void {
    if (this.#reason !== undefined) {
      fn();
      return () => {};
    }
    this.#subscribers.add(fn);
    return () => this.#subscribers.delete(fn);
  }

  remainingMs(): number {
    return this.#deadline === undefined ? this.timeoutMs : this.#deadline - this.#monotonic();
  }

  stop(reason: StopReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    clearTimeout(this.#timer);
    this.#controller?.abort(new Error(`call stopped: ${reason}`));
    const subscribers = [...this.#subscribers];
    this.#subscribers.clear();
    for (const fn of subscribers) fn();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#subscribers.clear();
    if (this.#caller !== undefined) CALLERS.delete(this.#caller, this);
    this.#unsubscribeCaller?.();
  }
}

/**
 * The abort signal handed to undici for one attempt. undici accepts an EventEmitter that emits
 * `abort` (its `signal` option: "AbortSignal | EventEmitter"), which is an order of magnitude
 * cheaper to make than an AbortController.
 */
class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: Error | undefined;

  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

type Timer = ReturnType<typeof setTimeout>;

const IDLE_TIMERS: TimerHost<Timer> = {
  now: () => performance.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (timer) => clearTimeout(timer),
};

/**
 * One HTTP attempt inside a call: stops with the call, or on its own when no byte arrived for
 * `idleMs` (the idle clock restarts on every chunk and is paused while the consumer of a stream
 * holds a delta, so a slow reader is not mistaken for a silent server).
 */
export class AttemptScope {
  readonly idleMs: number;
  readonly #call: CallScope;
  readonly #signal = new AttemptSignal();
  readonly #unsubscribe: () => void;
  /** Moved on by every chunk: a Deadline, so that costs no new timer each time. */
  readonly #idle = new Deadline(IDLE_TIMERS, () => this.#stop('idle'));
  #reason: StopReason | undefined;

  readonly #onActivity: (() => void) | undefined;

  constructor(call: CallScope, idleMs: number, onActivity?: () => void) {
    this.#call = call;
    this.idleMs = idleMs;
    this.#onActivity = onActivity;
    this.#unsubscribe = call.onStop(() => this.#stop(this.#call.reason ?? 'cancelled'));
  }

  /** For undici's `signal` option. */
  get signal(): EventEmitter {
    return this.#signal;
  }

  get reason(): StopReason | undefined {
    return this.#reason;
  }

  /** Bytes arrived (or we start waiting for them): restart the idle clock. */
  touch(): void {
    if (this.#reason !== undefined) return;
    this.#idle.arm(this.idleMs);
  }

  /** Bytes arrived from the server: restart the idle clock, and tell the caller (CallOptions.onActivity). */
  received(): void {
    this.touch();
    this.#onActivity?.();
  }

  pauseIdle(): void {
    this.#idle.disarm();
  }

  dispose(): void {
    this.#idle.cancel();
    this.#unsubscribe();
  }

  #stop(reason: StopReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#idle.cancel();
    this.#signal.abort(new Error(`attempt stopped: ${reason}`));
  }
}

export function stopFailure(
  reason: StopReason,
  limits: { timeoutMs: number; idleMs?: number },
): AttemptFailure {
  switch (reason) {
    case 'cancelled':
      return { kind: 'cancelled', message: 'the caller aborted the call' };
    case 'closed':
      return { kind: 'cancelled', message: 'the provider was closed' };
    case 'timeout':
      return { kind: 'timeout', message: `no complete answer within ${limits.timeoutMs} ms (total timeout)` };
    case 'idle':
      return { kind: 'timeout', message: `no bytes from the server for ${limits.idleMs} ms (idle timeout)` };
  }
}
