/**
 * The one chat request and result shape every provider speaks (issue #3). Wire formats
 * (OpenAI chat completions, Anthropic messages, the sim) are mapped to and from it in adapters.
 */
import type { FailureKind } from '../spec/sim-profile.js';

export { FAILURE_KINDS } from '../spec/sim-profile.js';
export type { FailureKind };

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ChatMessage {
  readonly role: ChatRole;
  /** Text, or OpenAI-style content parts passed through untouched. */
  readonly content: string | readonly unknown[] | null;
  readonly name?: string;
  /** Assistant tool calls and tool results, passed through untouched. */
  readonly tool_calls?: readonly unknown[];
  readonly tool_call_id?: string;
}

export interface ChatParams {
  readonly temperature?: number;
  readonly max_tokens?: number;
  readonly top_p?: number;
  readonly stop?: string | readonly string[];
  readonly seed?: number;
  readonly presence_penalty?: number;
  readonly frequency_penalty?: number;
  /**
   * The name a client gave `max_tokens` when it said `max_completion_tokens` (OpenAI's reasoning
   * models refuse `max_tokens`): OpenAI-compatible providers send the limit under that name.
   */
  readonly maxTokensAs?: 'max_completion_tokens';
  /** Anything else, passed to the provider as is (response_format, tools, tool_choice, …). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface ChatRequest {
  /** The provider's model name. */
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly params: ChatParams;
  /**
   * Which sample of the same request this is (0 for the first). Repeats in `ballast eval` and
   * the response cache key use it, and the sim draws a different answer for each.
   */
  readonly sampleIndex?: number;
  /** A reference answer the sim may know (a dataset case's `reference`); ignored by real providers. */
  readonly reference?: string;
  /** Free-form labels for logs and traces (variant, route, request id). */
  readonly labels?: Readonly<Record<string, string>>;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'error' | 'unknown';

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface ChatResult {
  readonly text: string;
  readonly finishReason: FinishReason;
  readonly usage: Usage;
  /** USD, from the provider's pricing table; 0 when the model has no price. */
  readonly costUsd: number;
  /** The provider call itself, from sending the request to the last byte; never time spent queued. */
  readonly latencyMs: number;
  /** Time to the first content token; equals latencyMs for a non-streaming call. */
  readonly ttftMs: number;
  /** The model the provider says answered. */
  readonly model: string;
  /** Tool calls the model made, passed through untouched. */
  readonly toolCalls?: readonly unknown[];
  /**
   * The answer's token log-probabilities when the request asked for them (OpenAI's
   * `logprobs: {content, refusal}`), passed through untouched; a stream's are gathered in order.
   */
  readonly logprobs?: Readonly<Record<string, unknown>>;
  /** The model's refusal, when it refused (OpenAI's `refusal`; structured-output clients read it). */
  readonly refusal?: string;
  /** How many attempts it took (1 = no retry). */
  readonly attempts: number;
  /** True when the answer came from the response cache. */
  readonly cached?: boolean;
}

export interface ProviderFailure {
  readonly kind: FailureKind;
  readonly message: string;
  /** HTTP status when there was one. */
  readonly status?: number;
  /** What the provider asked us to wait, from Retry-After. */
  readonly retryAfterMs?: number;
  /** Whether any content reached the caller before the failure (streams only). */
  readonly afterContent?: boolean;
  readonly attempts: number;
  readonly latencyMs: number;
}

export type ChatOutcome =
  | { readonly ok: true; readonly result: ChatResult }
  | { readonly ok: false; readonly failure: ProviderFailure };

/**
 * A fragment of a streamed tool call, as it arrived: the first fragment of call `index` names it
 * (id, name); later ones add to its JSON arguments. Fragments of one index concatenate to the call
 * that `ChatResult.toolCalls` holds whole at the end (OpenAI's streamed `delta.tool_calls`).
 */
export interface ToolCallDelta {
  /** The call's position among the answer's tool calls (0 for the first). */
  readonly index: number;
  readonly id?: string;
  /** `function` for function calls. */
  readonly type?: string;
  readonly name?: string;
  /** The next piece of the call's JSON arguments. */
  readonly arguments?: string;
}

/**
 * What a stream yields: text deltas and tool-call fragments as they arrive, then exactly one
 * `done` (whose result holds the whole text and tool calls) or `error`.
 */
export type StreamEvent =
  /**
   * `model`: on a stream's first delta or tool-call fragment, the model the upstream named before
   * it (OpenAI repeats it on every chunk, Anthropic sends it in `message_start`), when it did.
   */
  | { readonly type: 'delta'; readonly text: string; readonly model?: string }
  | { readonly type: 'tool_call'; readonly call: ToolCallDelta; readonly model?: string }
  | { readonly type: 'done'; readonly result: ChatResult }
  | { readonly type: 'error'; readonly failure: ProviderFailure };

/** Failure kinds worth another attempt on the same model (before any content was streamed). */
export const RETRYABLE: ReadonlySet<FailureKind> = new Set(['timeout', 'rate_limit', 'upstream', 'network']);
