/**
 * A circuit breaker per variant (issue #5), so a dead upstream is not called on every request.
 *
 * Closed: calls pass; outcomes are counted in a rolling window of `SLOTS` time slots (O(1) per
 * call, memory fixed). It opens when `consecutive_failures` calls in a row failed, or when the
 * window holds at least `min_requests` calls of which at least `error_rate` failed — the two
 * triggers of resilience4j's and Envoy's outlier detection. Open: calls are refused until
 * `cooldown_ms` has passed; then one probe is let through (half-open). The probe's success closes
 * the circuit with a fresh window; its failure opens it for another cool-down.
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

export interface CircuitBreaker {
  /** Whether a call may go out now; in half-open state only one probe at a time. */
  allow(): boolean;
  success(): void;
  failure(): void;
  /** The call ended without saying anything about the upstream (the client left): frees the probe slot. */
  release(): void;
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
  };
  const close = (): void => {
    state = 'closed';
    probing = false;
    inRow = 0;
    slotEpoch = -1;
  };

  return {
    allow() {
      if (!settings.enabled || state === 'closed') return true;
      const t = now();
      if (state === 'open') {
        if (t - openedAt < settings.cooldown_ms) return false;
        state = 'half_open';
      }
      if (probing) return false;
      probing = true;
      return true;
    },
    success() {
      if (!settings.enabled) return;
      if (state !== 'closed') {
        close();
        return;
      }
      inRow = 0;
      calls[advance(now())]! += 1;
    },
    failure() {
      if (!settings.enabled) return;
      const t = now();
      if (state !== 'closed') {
        open(t);
        return;
      }
      inRow += 1;
      const slot = advance(t);
      calls[slot]! += 1;
      failures[slot]! += 1;
      const [c, f] = totals();
      if (
        inRow >= settings.consecutive_failures ||
        (c >= settings.min_requests && f / c >= settings.error_rate)
      )
        open(t);
    },
    release() {
      probing = false;
    },
    state() {
      if (state === 'open' && now() - openedAt >= settings.cooldown_ms) return 'half_open';
      return state;
    },
  };
}
