import type { ChatMessage, FailureKind } from '../../core/provider/chat.js';
import type { Arm } from '../../core/routing/assign.js';

/** How the gateway found the unit a request belongs to (issue #5: header, then user, then safety id). */
export type UnitSource = 'header' | 'user' | 'safety_identifier' | 'random';

/** How a request ended, as the client saw it. */
export type RequestOutcome =
  /** Answered in full. */
  | 'ok'
  /** An error response before any content (every variant of the fallback chain failed, or 4xx upstream). */
  | 'error'
  /** Refused by a guardrail with action block (input or output). */
  | 'blocked'
  /** Content had been sent when the upstream failed; the stream ended with an explicit error event. */
  | 'stream_interrupted'
  /** The client went away first. */
  | 'cancelled';

/** One call to one variant while serving a request (the fallback chain may make several). */
export interface AttemptRecord {
  readonly variant: string;
  readonly ok: boolean;
  /** Why it failed; absent when ok. `circuit_open` means the breaker skipped the variant without a call. */
  readonly kind?: FailureKind | 'circuit_open';
  readonly latencyMs: number;
}

/** Everything the gateway knows about one finished request; telemetry folds it into aggregates. */
export interface RequestRecord {
  readonly requestId: string;
  /** Epoch milliseconds at which the request arrived. */
  readonly at: number;
  /** The route the client named; null when it named a variant directly. */
  readonly route: string | null;
  /** The change whose rollout decided the variant; null outside any rollout. */
  readonly changeId: string | null;
  /** The rollout arm of the unit; null outside any rollout. */
  readonly arm: Arm | null;
  readonly unit: string;
  readonly unitSource: UnitSource;
  /** The variant routing chose (what the rollout analysis is about). */
  readonly assignedVariant: string;
  /** The variant that produced the answer (differs after a fallback); the last one tried on failure. */
  readonly servedVariant: string;
  /** The model the provider says answered; null when nothing answered. */
  readonly model: string | null;
  readonly stream: boolean;
  /** The HTTP status sent to the client (200 for a stream that started, even if it was then interrupted). */
  readonly status: number;
  readonly outcome: RequestOutcome;
  /** For outcome error / stream_interrupted / blocked: what went wrong last. */
  readonly errorKind: FailureKind | 'guardrail_blocked' | 'circuit_open' | null;
  /** Arrival to the last byte sent, in milliseconds. */
  readonly latencyMs: number;
  /** Arrival to the first content byte sent; null when none was sent. */
  readonly ttftMs: number | null;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  /** Guardrail findings acted on (block, redact or flag), input and output together. */
  readonly guardrailHits: number;
  /** Every variant called, in order; a failed attempt is counted against its own variant. */
  readonly attempts: readonly AttemptRecord[];
  /** Present only when the project sets `server.request_log.log_content: true` (PII already redacted). */
  readonly content?: { readonly messages: readonly ChatMessage[]; readonly output: string };
}

/** Feedback a user gave on a request, after it was stored. */
export interface FeedbackRecord {
  readonly requestId: string;
  readonly route: string | null;
  readonly changeId: string | null;
  readonly variant: string;
  /** 0 (worst) … 1 (best). */
  readonly value: number;
  readonly at: number;
  /**
   * The unit of the rated request and its rollout arm (null outside any rollout). Per-unit totals
   * fold the feedback only when both are given; absent means the caller did not look them up.
   */
  readonly unit?: string;
  readonly arm?: Arm | null;
  /**
   * The earlier feedback on the same request that this one replaces (one vote per request: the
   * latest counts). Aggregates take the earlier vote out of its own time bucket and add this one.
   */
  readonly replaces?: { readonly value: number; readonly at: number };
}

/**
 * Where the gateway reports what it did. Implementations aggregate in memory and flush in the
 * background: `record` must return at once, never throw, and never wait on a database.
 */
export interface GatewayTelemetry {
  record(request: RequestRecord): void;
  recordFeedback(feedback: FeedbackRecord): void;
}
