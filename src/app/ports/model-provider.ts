import type { ChatOutcome, ChatRequest, StreamEvent } from '../../core/provider/chat.js';

/**
 * A lighter stand-in for an AbortSignal: whether the caller stopped, and a way to hear when it
 * does. An AbortController costs ≈ 4 µs to make (its EventTarget), and the gateway made one per
 * upstream call only to pass it here.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  /** Calls `fn` once when the caller stops (at once if it has); returns the unsubscribe. */
  onAbort(fn: () => void): () => void;
}

export interface CallOptions {
  /** Aborting ends the call promptly with a `cancelled` failure; nothing is left running. */
  readonly signal?: AbortSignal | CancelSignal;
  /**
   * Called whenever bytes of a stream arrive from the upstream, content or not (keep-alive
   * comments, `ping`, reasoning, the finish and usage chunks): the gateway's "silence between
   * events" limit counts from the last of them. Providers that have no wire (sim) need not call it.
   */
  readonly onActivity?: () => void;
}

/** Whether a call's signal is a CancelSignal rather than an AbortSignal. */
export function isCancelSignal(signal: AbortSignal | CancelSignal): signal is CancelSignal {
  return typeof (signal as Partial<CancelSignal>).onAbort === 'function';
}

/**
 * A model as one variant sees it: a provider bound to a variant's model, prompt-independent
 * settings and (for sim) profile. Calls never throw: every failure is a value with a `kind`.
 */
export interface ModelProvider {
  /** `provider/model`, for logs and cache keys. */
  readonly id: string;
  complete(request: ChatRequest, options?: CallOptions): Promise<ChatOutcome>;
  /**
   * Text deltas as they arrive, then exactly one `done` (with usage and cost) or `error`.
   * Retries happen only before the first delta; a failure after it is an `error` event
   * with `afterContent: true`.
   */
  stream(request: ChatRequest, options?: CallOptions): AsyncIterable<StreamEvent>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}
