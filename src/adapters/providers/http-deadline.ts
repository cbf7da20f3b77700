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
export class CallScope {
  readonly timeoutMs: number;
  readonly #controller = new AbortController();
  readonly #monotonic: () => number;
  readonly #caller: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => this.stop('cancelled');
  #deadline: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #reason: StopReason | undefined;

  constructor(timeoutMs: number, monotonic: () => number, caller?: AbortSignal) {
    this.timeoutMs = timeoutMs;
    this.#monotonic = monotonic;
    this.#caller = caller;
    if (caller?.aborted) this.stop('cancelled');
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  /** Starts the total deadline; later calls do nothing. */
  startDeadline(): void {
    if (this.#deadline !== undefined || this.#reason !== undefined) return;
    this.#deadline = this.#monotonic() + this.timeoutMs;
    this.#timer = setTimeout(() => this.stop('timeout'), this.timeoutMs);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get reason(): StopReason | undefined {
    return this.#reason;
  }

  remainingMs(): number {
    return this.#deadline === undefined ? this.timeoutMs : this.#deadline - this.#monotonic();
  }

  stop(reason: StopReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    clearTimeout(this.#timer);
    this.#controller.abort(new Error(`call stopped: ${reason}`));
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

/**
 * One HTTP attempt inside a call: stops with the call, or on its own when no byte arrived for
 * `idleMs` (the idle clock restarts on every chunk and is paused while the consumer of a stream
 * holds a delta, so a slow reader is not mistaken for a silent server).
 */
export class AttemptScope {
  readonly idleMs: number;
  readonly #call: CallScope;
  readonly #controller = new AbortController();
  readonly #onCallStop = (): void => this.#stop(this.#call.reason ?? 'cancelled');
  #idle: ReturnType<typeof setTimeout> | undefined;
  #reason: StopReason | undefined;

  constructor(call: CallScope, idleMs: number) {
    this.#call = call;
    this.idleMs = idleMs;
    if (call.signal.aborted) this.#onCallStop();
    else call.signal.addEventListener('abort', this.#onCallStop, { once: true });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get reason(): StopReason | undefined {
    return this.#reason;
  }

  /** Bytes arrived (or we start waiting for them): restart the idle clock. */
  touch(): void {
    if (this.#reason !== undefined) return;
    if (this.#idle) this.#idle.refresh();
    else this.#idle = setTimeout(() => this.#stop('idle'), this.idleMs);
  }

  pauseIdle(): void {
    clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  dispose(): void {
    this.pauseIdle();
    this.#call.signal.removeEventListener('abort', this.#onCallStop);
  }

  #stop(reason: StopReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.pauseIdle();
    this.#controller.abort(new Error(`attempt stopped: ${reason}`));
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
