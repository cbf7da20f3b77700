/**
 * Delay before retry `attempt` (1 = the first retry): "full jitter" exponential backoff,
 * uniform in [0, min(cap, base·2^(attempt−1))) — Brooker, "Exponential Backoff And Jitter",
 * AWS Architecture Blog, 2015 — unless the server named a wait with Retry-After, which wins
 * (capped, so a hostile header cannot park a call for an hour).
 */
/** The longest Retry-After a retry waits for; a server that asks for more is not retried. */
export const MAX_RETRY_AFTER_MS = 60_000;

export function backoffDelay(
  attempt: number,
  random: () => number,
  options: {
    baseMs?: number;
    capMs?: number;
    retryAfterMs?: number | undefined;
    maxRetryAfterMs?: number;
  } = {},
): number {
  const { baseMs = 200, capMs = 10_000, retryAfterMs, maxRetryAfterMs = MAX_RETRY_AFTER_MS } = options;
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    return Math.min(retryAfterMs, maxRetryAfterMs);
  }
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * Retry-After is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). `now` is passed in
 * so this stays pure. Returns milliseconds, or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
