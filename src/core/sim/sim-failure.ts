import type { Random } from '../hash/random.js';
import { FAILURE_KINDS, type FailureKind } from '../provider/chat.js';
import type { SimProfile } from '../spec/sim-profile.js';

/**
 * Per-kind failure probabilities. A single number means upstream (5xx) errors, the most common
 * failure of a hosted model. Kinds whose rates add up to more than 1 are scaled down to sum to 1.
 */
export function failureRates(errorRate: SimProfile['error_rate']): ReadonlyMap<FailureKind, number> {
  const rates = new Map<FailureKind, number>();
  if (typeof errorRate === 'number') {
    if (errorRate > 0) rates.set('upstream', Math.min(1, errorRate));
    return rates;
  }
  let total = 0;
  for (const kind of FAILURE_KINDS) {
    const rate = errorRate[kind];
    if (rate !== undefined && rate > 0) {
      rates.set(kind, rate);
      total += rate;
    }
  }
  if (total > 1) for (const [kind, rate] of rates) rates.set(kind, rate / total);
  return rates;
}

/**
 * One uniform draw decides whether the call fails and how: the unit interval is cut into one
 * band per kind, in FAILURE_KINDS order, so that P(kind) is exactly that kind's rate.
 */
export function drawFailure(errorRate: SimProfile['error_rate'], random: Random): FailureKind | undefined {
  const u = random();
  let edge = 0;
  for (const [kind, rate] of failureRates(errorRate)) {
    edge += rate;
    if (u < edge) return kind;
  }
  return undefined;
}

export interface SimFailureDetails {
  readonly message: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
}

/** What a real provider would say for each kind: the HTTP status its API uses, if any. */
export function failureDetails(kind: FailureKind): SimFailureDetails {
  switch (kind) {
    case 'timeout':
      return { message: 'sim: the model did not answer in time' };
    case 'rate_limit':
      return { message: 'sim: rate limit reached, retry later', status: 429, retryAfterMs: 1000 };
    case 'auth':
      return { message: 'sim: invalid API key', status: 401 };
    case 'bad_request':
      return { message: 'sim: the request was rejected as invalid', status: 400 };
    case 'upstream':
      return { message: 'sim: the model server failed (503 Service Unavailable)', status: 503 };
    case 'network':
      return { message: 'sim: the connection was reset' };
    case 'content_filter':
      return { message: "sim: the request was blocked by the provider's content filter", status: 400 };
    case 'cancelled':
      return { message: 'sim: the call was cancelled' };
  }
}

/**
 * When the failure reaches the caller, in ms after the request. Rejections a server decides
 * from the request alone (auth, bad request, rate limit, content filter) come fast, after a
 * quarter of the TTFT; a failing upstream or a dropped connection after the TTFT; a timeout
 * when the caller's timeout runs out (or at the call's latency when none is given).
 */
export function failureAtMs(
  kind: FailureKind,
  ttftMs: number,
  latencyMs: number,
  timeoutMs?: number,
): number {
  switch (kind) {
    case 'timeout':
      return timeoutMs ?? latencyMs;
    case 'auth':
    case 'bad_request':
    case 'rate_limit':
    case 'content_filter':
      return Math.round(ttftMs * 2.5) / 10;
    case 'cancelled':
      return 0;
    default:
      return ttftMs;
  }
}
