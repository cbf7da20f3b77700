import type { FailureKind, ProviderFailure } from '../../core/provider/chat.js';
import type { AttemptRecord } from '../ports/gateway-telemetry.js';
import { type CallScope, type ClientSignal, TIMER_MESSAGES } from './call-scope.js';
import type { BreakerPermit } from './circuit-breaker.js';
import {
  chainError,
  circuitOpen,
  fallsBack,
  type GatewayError,
  UNHEALTHY,
  upstreamError,
} from './gateway-errors.js';

// How the attempts of a request's chain of variants end, for the breaker, telemetry and the
// answer: functions of what each attempt saw (gateway.ts runs the chain).

/** Judges an attempt's failure for the breaker and the chain. */
function judge(breaker: BreakerPermit, kind: FailureKind): void {
  if (kind === 'cancelled') breaker.release();
  else if (UNHEALTHY.has(kind)) breaker.failure();
  else breaker.success();
}

/**
 * Records an attempt that failed before anything reached the client (a timer of the scope that
 * fired makes it a timeout) and judges it for the breaker. `cancelled`: the client left, and the
 * request ends with `error`; otherwise `error` stands unless a later variant of the chain answers,
 * and `fallsBack` says whether one may be tried.
 */
export function failedAttempt(
  a: {
    client: ClientSignal;
    scope: CallScope;
    attempts: AttemptRecord[];
    variant: string;
    breaker: BreakerPermit;
  },
  latencyMs: number,
  failure: Pick<ProviderFailure, 'kind' | 'message' | 'retryAfterMs'>,
): { cancelled: boolean; fallsBack: boolean; error: GatewayError } {
  const breaker = a.breaker;
  const kind: FailureKind = a.scope.reason ? 'timeout' : failure.kind;
  a.attempts.push({ variant: a.variant, ok: false, kind, latencyMs });
  if (kind === 'cancelled' && a.client.aborted) {
    breaker.release();
    return {
      cancelled: true,
      fallsBack: false,
      error: upstreamError({ kind, message: 'the client closed the request' }),
    };
  }
  judge(breaker, kind);
  return {
    cancelled: false,
    fallsBack: fallsBack(kind),
    error: upstreamError({
      kind,
      message: a.scope.reason ? TIMER_MESSAGES[a.scope.reason] : failure.message,
      ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
    }),
  };
}

/**
 * What a chain whose every attempt failed answers, and the variant its `x-ballast-variant` names:
 * the failure `chainError` picks and the variant that gave it; when every breaker was open,
 * `circuit_open` for the variant the request was assigned (no variant was tried). Telemetry still
 * charges the request's end to the chain's last attempt (docs/telemetry.md#aggregates).
 */
export function chainOutcome<S>(
  failures: readonly GatewayError[],
  failedAs: readonly S[],
  skipped: readonly string[],
  assigned: S,
): { error: GatewayError; served: S } {
  const error = chainError(failures);
  if (error === undefined) return { error: circuitOpen(skipped), served: assigned };
  return { error, served: failedAs[failures.indexOf(error)] ?? assigned };
}
