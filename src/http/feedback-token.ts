import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a feedback token vouches for: one request, and who served it. */
export interface FeedbackClaims {
  readonly requestId: string;
  readonly route: string | null;
  readonly changeId: string | null;
  readonly variant: string;
  /** Epoch milliseconds after which the token is refused. */
  readonly expiresAt: number;
  /** The rollout arm and unit of the request, so feedback counts in the rollout's per-unit metrics. */
  readonly arm?: 'candidate' | 'comparison' | null;
  readonly unit?: string;
}

/** How long a token is accepted: long enough for a user to rate an answer the next day. */
export const FEEDBACK_TOKEN_TTL_MS = 7 * 24 * 3_600_000;

/**
 * `x-ballast-feedback-token`: the claims as base64url JSON, a dot, and their HMAC-SHA256 under the
 * server's feedback secret (RFC 2104). A browser can send feedback for that one request without an
 * API key; it cannot forge a token for another request or another variant.
 */
export class FeedbackTokens {
  readonly #secret: Buffer;

  constructor(secret: string) {
    this.#secret = Buffer.from(secret, 'utf8');
  }

  sign(claims: FeedbackClaims): string {
    const payload = Buffer.from(
      JSON.stringify([
        claims.requestId,
        claims.route,
        claims.changeId,
        claims.variant,
        claims.expiresAt,
        ...(claims.unit !== undefined ? [claims.arm ?? null, claims.unit] : []),
      ]),
    ).toString('base64url');
    return `${payload}.${this.#mac(payload)}`;
  }

  /** The claims of a valid, unexpired token; undefined for anything else. */
  verify(token: string, now: number): FeedbackClaims | undefined {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 4096) return undefined;
    const payload = token.slice(0, dot);
    const mac = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#mac(payload), 'base64url');
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    try {
      const [requestId, route, changeId, variant, expiresAt, arm, unit] = JSON.parse(
        Buffer.from(payload, 'base64url').toString('utf8'),
      ) as [
        string,
        string | null,
        string | null,
        string,
        number,
        'candidate' | 'comparison' | null | undefined,
        unknown,
      ];
      if (typeof requestId !== 'string' || typeof variant !== 'string' || typeof expiresAt !== 'number')
        return undefined;
      if (expiresAt < now) return undefined;
      return {
        requestId,
        route,
        changeId,
        variant,
        expiresAt,
        ...(typeof unit === 'string'
          ? { unit, arm: arm === 'candidate' || arm === 'comparison' ? arm : null }
          : {}),
      };
    } catch {
      return undefined;
    }
  }

  #mac(payload: string): string {
    return createHmac('sha256', this.#secret).update(payload).digest('base64url');
  }
}
