import type { FeedbackStore } from '../ports/feedback-store.js';
import type { GatewayTelemetry } from '../ports/gateway-telemetry.js';
import type { RequestSummary } from './recent-requests.js';

export interface FeedbackInput {
  readonly requestId: string;
  /** "up" (1), "down" (0) or a score in 0 … 1. */
  readonly value: 'up' | 'down' | number;
  readonly comment?: string | undefined;
  readonly tags?: readonly string[] | undefined;
}

export interface FeedbackDeps {
  readonly feedback: FeedbackStore;
  readonly telemetry: GatewayTelemetry;
  /** Finds who served a request: recent requests in memory, then the request log. */
  readonly lookup: (requestId: string) => Promise<RequestSummary | undefined>;
  readonly now: () => number;
  readonly newId: () => string;
}

export type FeedbackOutcome =
  | { readonly ok: true; readonly id: string; readonly variant: string; readonly value: number }
  | { readonly ok: false; readonly status: 404; readonly message: string };

export function feedbackScore(value: FeedbackInput['value']): number {
  return value === 'up' ? 1 : value === 'down' ? 0 : value;
}

/**
 * Stores a user's feedback on one gateway request and folds it into the telemetry of the variant
 * that served it. `known` is what a verified feedback token vouches for; without one the request
 * must be found (unknown ids are a 404, so a typo is not silently counted for nobody).
 */
export async function submitFeedback(
  deps: FeedbackDeps,
  input: FeedbackInput,
  known?: RequestSummary,
): Promise<FeedbackOutcome> {
  const served = known ?? (await deps.lookup(input.requestId));
  if (!served)
    return {
      ok: false,
      status: 404,
      message: `No request with id "${input.requestId}" is known to this gateway (ids are remembered for the most recent requests and in the request log)`,
    };
  const value = feedbackScore(input.value);
  const at = deps.now();
  const id = deps.newId();
  await deps.feedback.add({
    id,
    requestId: input.requestId,
    route: served.route ?? '(direct)',
    changeId: served.changeId,
    variant: served.variant,
    value,
    comment: input.comment ?? null,
    tags: input.tags ?? [],
    at,
  });
  deps.telemetry.recordFeedback({
    requestId: input.requestId,
    route: served.route,
    changeId: served.changeId,
    variant: served.variant,
    ...(served.unit !== undefined ? { unit: served.unit, arm: served.arm } : {}),
    value,
    at,
  });
  return { ok: true, id, variant: served.variant, value };
}
