/**
 * A circuit breaker per variant (issue #5), so a dead upstream is not called on every request.
 *
 * Closed: calls pass; outcomes are counted in a rolling window of `SLOTS` time slots (O(1) per
 * call, memory fixed). It opens when `consecutive_failures` calls in a row failed, or when the
 * window holds at least `min_requests` calls of which at least `error_rate` failed — the two
 * triggers of resilience4j's and Envoy's outlier detection. Open: calls are refused until
 * `cooldown_ms` has passed; then one probe is let through (half-open). The probe's success closes
 * the circuit with a fresh window; its failure opens it for another cool-down.
 *
 * Each call's outcome is told through the permit `allow()` gave it, so a call counts only in the
 * state it was let through in: a slow call admitted before the circuit opened that ends during the
 * cool-down (or beside the probe) says nothing about the upstream now, and is ignored — otherwise
 * its success would close an open circuit at once, and its failure re-open a half-open one while
 * the probe is still out (letting a second probe through).
 */
export interface BreakerSettings {
  readonly enabled: boolean;
  readonly window_ms: number;
  readonly min_requests: number;
  readonly error_rate: number;
  readonly consecutive_failures: number;
  readonly cooldown_ms: number;
}

export type BreakerState = 'closed' | 'open' | 'half_open';

const SLOTS = 10;

/** One admitted call's way to report how it ended; a permit reports once (later calls do nothing). */
export interface BreakerPermit {
  success(): void;
  failure(): void;
  /** The call ended without saying anything about the upstream (the client left): frees the probe slot. */
  release(): void;
}

export interface CircuitBreaker {
  /** A permit when a call may go out now (in half-open state, one probe at a time); else undefined. */
  allow(): BreakerPermit | undefined;
  state(): BreakerState;
}

export function createCircuitBreaker(settings: BreakerSettings, now: () => number): CircuitBreaker {
  const slotMs = Math.max(1, Math.ceil(settings.window_ms / SLOTS));
  const calls = new Int32Array(SLOTS);
  const failures = new Int32Array(SLOTS);
  let slotEpoch = -1;
  let inRow = 0;
  let state: BreakerState = 'closed';
  let openedAt = 0;
  let probing = false;
  /** Moves on whenever the circuit opens or closes: permits of an earlier period are stale. */
  let period = 0;

  /** Clears the slots that fell out of the window since the last call. */
  const advance = (t: number): number => {
    const epoch = Math.floor(t / slotMs);
    if (slotEpoch === -1 || epoch - slotEpoch >= SLOTS) {
      calls.fill(0);
      failures.fill(0);
    } else {
      for (let e = slotEpoch + 1; e <= epoch; e++) {
        calls[e % SLOTS] = 0;
        failures[e % SLOTS] = 0;
      }
    }
    if (epoch > slotEpoch) slotEpoch = epoch;
    return slotEpoch % SLOTS;
  };
  const totals = (): [number, number] => {
    let c = 0;
    let f = 0;
    for (let i = 0; i < SLOTS; i++) {
      c += calls[i]!;
      f += failures[i]!;
    }
    return [c, f];
  };
  const open = (t: number): void => {
    state = 'open';
    openedAt = t;
    probing = false;
    period += 1;
  };
  const close = (): void => {
    state = 'closed';
    probing = false;
    inRow = 0;
    slotEpoch = -1;
    period += 1;
  };
  const counted = (ok: boolean): void => {
    const t = now();
    const slot = advance(t);
    calls[slot]! += 1;
    if (ok) {
      inRow = 0;
      return;
    }
    inRow += 1;
    failures[slot]! += 1;
    const [c, f] = totals();
    if (
      inRow >= settings.consecutive_failures ||
      (c >= settings.min_requests && f / c >= settings.error_rate)
    )
      open(t);
  };
  // What the permits report to (one per breaker; a permit is one small object per call).
  const target: PermitTarget = {
    period: () => period,
    probeSucceeded: close,
    probeFailed: () => open(now()),
    probeReleased: () => {
      probing = false;
    },
    counted,
  };

  return {
    allow() {
      if (!settings.enabled) return ALWAYS;
      if (state === 'closed') return new Permit(target, period, false);
      const t = now();
      if (state === 'open') {
        if (t - openedAt < settings.cooldown_ms) return undefined;
        state = 'half_open';
      }
      if (probing) return undefined;
      probing = true;
      return new Permit(target, period, true);
    },
    state() {
      if (state === 'open' && now() - openedAt >= settings.cooldown_ms) return 'half_open';
      return state;
    },
  };
}

/** A breaker that is off: every call passes and its outcome is not kept. */
const ALWAYS: BreakerPermit = { success() {}, failure() {}, release() {} };

interface PermitTarget {
  period(): number;
  probeSucceeded(): void;
  probeFailed(): void;
  probeReleased(): void;
  counted(ok: boolean): void;
}

/**
 * One admitted call: a probe (half-open) or an ordinary call (closed), given in `period`. It reports
 * once, and only while its breaker is still in that period.
 */
class Permit implements BreakerPermit {
  #done = false;

  constructor(
    private readonly target: PermitTarget,
    private readonly given: number,
    private readonly probe: boolean,
  ) {}

  success(): void {
    if (!this.#current()) return;
    if (this.probe) this.target.probeSucceeded();
    else this.target.counted(true);
  }

  failure(): void {
    if (!this.#current()) return;
    if (this.probe) this.target.probeFailed();
    else this.target.counted(false);
  }

  release(): void {
    if (this.#current() && this.probe) this.target.probeReleased();
  }

  #current(): boolean {
    if (this.#done) return false;
    this.#done = true;
    return this.given === this.target.period();
  }
}
