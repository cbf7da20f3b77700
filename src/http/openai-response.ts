import type { GatewayError } from '../app/gateway/gateway-errors.js';
import type { ChatResult, FinishReason, ToolCallDelta, Usage } from '../core/provider/chat.js';

/** OpenAI's finish_reason for ours (`error` and `unknown` have no OpenAI name: `stop`). */
export function openaiFinish(reason: FinishReason): string {
  return reason === 'length' || reason === 'content_filter' || reason === 'tool_calls' ? reason : 'stop';
}

export function openaiUsage(usage: Usage): {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
} {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** A `chat.completion` object. `created` is in seconds, as OpenAI sends it. */
export function completionBody(id: string, created: number, result: ChatResult): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created,
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI answers null, not '', when the model only called tools or refused.
          content:
            result.text === '' && ((result.toolCalls && result.toolCalls.length > 0) || result.refusal)
              ? null
              : result.text,
          refusal: result.refusal ?? null,
          ...(result.toolCalls && result.toolCalls.length > 0 ? { tool_calls: result.toolCalls } : {}),
        },
        logprobs: result.logprobs ?? null,
        finish_reason: openaiFinish(result.finishReason),
      },
    ],
    usage: openaiUsage(result.usage),
  };
}

/** One `chat.completion.chunk` SSE event (the `data: …\n\n` frame). */
/** A streamed tool-call fragment in OpenAI's `delta.tool_calls[]` shape; absent fields stay absent. */
export function toolCallFragment(call: ToolCallDelta): Record<string, unknown> {
  const fn: Record<string, string> = {};
  if (call.name !== undefined) fn.name = call.name;
  if (call.arguments !== undefined) fn.arguments = call.arguments;
  return {
    index: call.index,
    ...(call.id !== undefined ? { id: call.id } : {}),
    ...(call.type !== undefined ? { type: call.type } : {}),
    function: fn,
  };
}

export function chunkFrame(
  id: string,
  created: number,
  model: string,
  delta: Record<string, unknown>,
  finishReason: string | null,
  usage?: ReturnType<typeof openaiUsage> | null,
  logprobs: unknown = null,
): string {
  const chunk: Record<string, unknown> = {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: delta === NO_CHOICE ? [] : [{ index: 0, delta, logprobs, finish_reason: finishReason }],
  };
  if (usage !== undefined) chunk.usage = usage;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/**
 * The frames of one streamed answer. A text delta — nearly every event of a stream — is the
 * frame `chunkFrame` makes for `{content: text}`, byte for byte, with only the text serialised:
 * the rest of the frame is made once per stream (and again when the model's name changes).
 */
export class ChunkFrames {
  #model: string;
  #prefix: string;

  constructor(
    readonly id: string,
    readonly created: number,
    model: string,
  ) {
    this.#model = model;
    this.#prefix = contentPrefix(id, created, model);
  }

  get model(): string {
    return this.#model;
  }

  set model(model: string) {
    if (model === this.#model) return;
    this.#model = model;
    this.#prefix = contentPrefix(this.id, this.created, model);
  }

  content(text: string): string {
    return `${this.#prefix}${JSON.stringify(text)}${CONTENT_SUFFIX}`;
  }

  frame(
    delta: Record<string, unknown>,
    finishReason: string | null,
    usage?: ReturnType<typeof openaiUsage> | null,
    logprobs?: unknown,
  ): string {
    return chunkFrame(this.id, this.created, this.#model, delta, finishReason, usage, logprobs);
  }
}

const CONTENT_SUFFIX = '},"logprobs":null,"finish_reason":null}]}\n\n';

function contentPrefix(id: string, created: number, model: string): string {
  const head = JSON.stringify({ id, object: 'chat.completion.chunk', created, model });
  return `data: ${head.slice(0, -1)},"choices":[{"index":0,"delta":{"content":`;
}

/** Pass as `delta` for the usage-only chunk (`choices: []`) OpenAI sends with include_usage. */
export const NO_CHOICE: Record<string, unknown> = Object.freeze({});

export function errorBody(error: Pick<GatewayError, 'message' | 'type' | 'code'>): {
  error: { message: string; type: string; code: string; param: null };
} {
  return { error: { message: error.message, type: error.type, code: error.code, param: null } };
}

/** The SSE event that ends an interrupted stream: OpenAI's error shape, then [DONE] is NOT sent. */
export function errorFrame(error: Pick<GatewayError, 'message' | 'type' | 'code'>): string {
  return `data: ${JSON.stringify(errorBody(error))}\n\n`;
}

export const DONE_FRAME = 'data: [DONE]\n\n';
