import type { FailureKind, ProviderFailure } from '../../core/provider/chat.js';

/**
 * An error as the gateway answers it: HTTP status plus OpenAI's error fields. Chosen here, where
 * the failure is understood; the HTTP layer only writes it as `{error: {message, type, code}}`.
 */
export interface GatewayError {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly message: string;
  /** Sent back as Retry-After (seconds, rounded up) on 429 and 503. */
  readonly retryAfterMs?: number;
  /** For telemetry: what went wrong. */
  readonly kind: FailureKind | 'guardrail_blocked' | 'circuit_open' | 'not_found' | 'invalid_request';
}

export function invalidRequest(message: string, code = 'invalid_request'): GatewayError {
  return { status: 400, type: 'invalid_request_error', code, message, kind: 'invalid_request' };
}

export function unknownModel(message: string): GatewayError {
  return { status: 404, type: 'invalid_request_error', code: 'model_not_found', message, kind: 'not_found' };
}

export function guardrailBlocked(side: 'input' | 'output', checks: readonly string[]): GatewayError {
  return {
    status: 400,
    type: 'invalid_request_error',
    code: 'guardrail_blocked',
    message:
      side === 'input'
        ? `the request was blocked by guardrail check(s): ${checks.join(', ')}`
        : `the answer was blocked by guardrail check(s): ${checks.join(', ')}`,
    kind: 'guardrail_blocked',
  };
}

export function circuitOpen(variants: readonly string[]): GatewayError {
  return {
    status: 503,
    type: 'api_error',
    code: 'circuit_open',
    message: `every variant that could serve this request is failing and paused by its circuit breaker (${variants.join(', ')}); retry shortly`,
    kind: 'circuit_open',
  };
}

/** The error for an upstream failure that no fallback could recover. */
export function upstreamError(
  failure: Pick<ProviderFailure, 'kind' | 'message' | 'retryAfterMs'>,
): GatewayError {
  const base = { message: `upstream: ${failure.message}`, kind: failure.kind };
  switch (failure.kind) {
    case 'timeout':
      return { ...base, status: 504, type: 'api_error', code: 'upstream_timeout' };
    case 'rate_limit':
      return {
        ...base,
        status: 429,
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
        ...(failure.retryAfterMs !== undefined ? { retryAfterMs: failure.retryAfterMs } : {}),
      };
    case 'bad_request':
      return { ...base, status: 400, type: 'invalid_request_error', code: 'upstream_bad_request' };
    case 'content_filter':
      return { ...base, status: 400, type: 'invalid_request_error', code: 'content_filter' };
    case 'auth':
      return { ...base, status: 502, type: 'api_error', code: 'upstream_auth_failed' };
    case 'cancelled':
      return { ...base, status: 499, type: 'api_error', code: 'client_closed_request' };
    default:
      return { ...base, status: 502, type: 'api_error', code: 'upstream_error' };
  }
}

/** The error event that ends a stream whose content had started (never a clean end). */
export function streamInterrupted(message: string): GatewayError {
  return {
    status: 502,
    type: 'api_error',
    code: 'stream_interrupted',
    message: `the upstream stream was interrupted after content had been sent: ${message}`,
    kind: 'upstream',
  };
}

/** Kinds that say something about the upstream's health (what the circuit breaker counts). */
export const UNHEALTHY: ReadonlySet<FailureKind> = new Set([
  'timeout',
  'rate_limit',
  'upstream',
  'network',
  'auth',
]);

/**
 * Kinds after which the next variant of the fallback chain is tried. A malformed request fails
 * on every model and a cancelled one has nobody waiting, so neither falls back; a content filter
 * or context-length refusal is not retried on the same model but another model may accept it.
 */
export function fallsBack(kind: FailureKind): boolean {
  return kind !== 'bad_request' && kind !== 'cancelled';
}

/**
 * What a request whose every attempt failed answers: the last failure that was not a rate limit —
 * a 429 (with its Retry-After) says "slow down", which is only true when every variant that was
 * tried was rate-limited — else the last rate limit. Undefined when nothing was tried.
 */
export function chainError(failures: readonly GatewayError[]): GatewayError | undefined {
  for (let i = failures.length - 1; i >= 0; i--) if (failures[i]!.kind !== 'rate_limit') return failures[i];
  return failures.at(-1);
}
