import type { KeyedSerial } from '../../core/async/keyed-serial.js';
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
  /** Feedback on one request is taken one at a time (a double click sends two at once). */
  readonly serial: KeyedSerial;
}

export type FeedbackOutcome =
  | {
      readonly ok: true;
      readonly id: string;
      readonly variant: string;
      readonly value: number;
      /** The id of the earlier feedback on the request that this one replaces in the metrics. */
      readonly replaces: string | null;
    }
  | { readonly ok: false; readonly status: 404; readonly message: string };

export function feedbackScore(value: FeedbackInput['value']): number {
  return value === 'up' ? 1 : value === 'down' ? 0 : value;
}

/**
 * Stores a user's feedback on one gateway request and folds it into the telemetry of the variant
 * that served it. `known` is what a verified feedback token vouches for; without one the request
 * must be found (unknown ids are a 404, so a typo is not silently counted for nobody).
 *
 * One vote per request counts: feedback on a request that already has some is stored too (its
 * comment and tags are kept), and replaces the earlier vote in the metrics — a user who changes
 * their mind, or a page that posts twice, is still one vote.
 */
export function submitFeedback(
  deps: FeedbackDeps,
  input: FeedbackInput,
  known?: RequestSummary,
): Promise<FeedbackOutcome> {
  return deps.serial.run(input.requestId, () => submitOne(deps, input, known));
}

async function submitOne(
  deps: FeedbackDeps,
  input: FeedbackInput,
  known: RequestSummary | undefined,
): Promise<FeedbackOutcome> {
  const served = known ?? (await deps.lookup(input.requestId));
  if (!served)
    return {
      ok: false,
      status: 404,
      message: `No request with id "${input.requestId}" is known to this gateway (ids are remembered for the most recent requests and in the request log)`,
    };
  const value = feedbackScore(input.value);
  const id = deps.newId();
  const [previous] = await deps.feedback.list({ requestId: input.requestId, limit: 1 });
  // The latest vote is the one with the latest time: two in one millisecond (a double click), or a
  // clock that stepped back, still leave them in the order they were taken.
  const at = previous === undefined ? deps.now() : Math.max(deps.now(), previous.at + 1);
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
    ...(previous !== undefined ? { replaces: { value: previous.value, at: previous.at } } : {}),
  });
  return { ok: true, id, variant: served.variant, value, replaces: previous?.id ?? null };
}
