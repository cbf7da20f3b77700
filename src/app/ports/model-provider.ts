import type { ChatOutcome, ChatRequest, StreamEvent } from '../../core/provider/chat.js';

export interface CallOptions {
  /** Aborting ends the call promptly with a `cancelled` failure; nothing is left running. */
  readonly signal?: AbortSignal;
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
