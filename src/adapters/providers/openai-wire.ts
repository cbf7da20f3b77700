import type { ChatMessage, ChatParams, ChatRequest, FinishReason, Usage } from '../../core/provider/chat.js';
import type { WireCompletion } from './http-attempt.js';
import { failureFromWireError, isRecord, readWireError, WireFailure } from './http-errors.js';

/** The sampling parameters chat completions takes by these names. */
const PARAM_NAMES = [
  'temperature',
  'max_tokens',
  'top_p',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
] as const satisfies readonly (keyof ChatParams)[];

/**
 * The chat-completions body. `extra` (tools, tool_choice, response_format, …) goes first so
 * that the named parameters, the model and the stream flags always win over it.
 */
export function openaiRequestBody(
  request: ChatRequest,
  model: string,
  stream: boolean,
): Record<string, unknown> {
  const body: Record<string, unknown> = { ...(request.params.extra ?? {}) };
  for (const name of PARAM_NAMES) {
    const value = request.params[name];
    if (value !== undefined) body[name] = value;
  }
  // The limit under the name the client gave it (reasoning models take only max_completion_tokens).
  if (request.params.maxTokensAs === 'max_completion_tokens' && body.max_tokens !== undefined) {
    body.max_completion_tokens = body.max_tokens;
    delete body.max_tokens;
  }
  body.model = model;
  body.messages = request.messages.map(openaiMessage);
  if (stream) {
    body.stream = true;
    // Without include_usage a stream carries no token counts, and cost would read 0.
    const options = isRecord(body.stream_options) ? body.stream_options : {};
    body.stream_options = { ...options, include_usage: true };
  } else {
    delete body.stream;
    delete body.stream_options;
  }
  return body;
}

function openaiMessage(message: ChatMessage): Record<string, unknown> {
  return {
    role: message.role,
    content: message.content,
    ...(message.name === undefined ? {} : { name: message.name }),
    ...(message.tool_calls === undefined ? {} : { tool_calls: message.tool_calls }),
    ...(message.tool_call_id === undefined ? {} : { tool_call_id: message.tool_call_id }),
  };
}

export function openaiFinishReason(value: unknown): FinishReason | undefined {
  switch (value) {
    case null:
    case undefined:
      return undefined;
    case 'stop':
    case 'length':
    case 'content_filter':
    case 'tool_calls':
      return value;
    case 'function_call':
      return 'tool_calls';
    // vLLM ends an answer the engine gave up on (aborted, failed) with these: it is not complete.
    case 'abort':
    case 'error':
      return 'error';
    default:
      return 'unknown';
  }
}

export function openaiUsage(value: unknown): Usage | undefined {
  if (!isRecord(value)) return undefined;
  const input = value.prompt_tokens;
  const output = value.completion_tokens;
  if (typeof input !== 'number' && typeof output !== 'number') return undefined;
  return {
    inputTokens: typeof input === 'number' ? input : 0,
    outputTokens: typeof output === 'number' ? output : 0,
  };
}

/** Text of a message's content: a string, or (some compatible servers) an array of text parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
}

export function parseOpenAICompletion(body: unknown): WireCompletion {
  const error = readWireError(body);
  if (error) throw new WireFailure(failureFromWireError(error, 'error in a 200 response'));
  const choice = isRecord(body) && Array.isArray(body.choices) ? body.choices[0] : undefined;
  if (!isRecord(body) || !isRecord(choice)) {
    throw new WireFailure({ kind: 'upstream', message: 'the response has no choices' });
  }
  const message = isRecord(choice.message) ? choice.message : {};
  const usage = openaiUsage(body.usage);
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : undefined;
  const logprobs = isRecord(choice.logprobs) ? choice.logprobs : undefined;
  return {
    text: contentText(message.content),
    finishReason: openaiFinishReason(choice.finish_reason) ?? 'unknown',
    ...(usage ? { usage } : {}),
    ...(typeof body.model === 'string' ? { model: body.model } : {}),
    ...(toolCalls ? { toolCalls } : {}),
    ...(logprobs ? { logprobs } : {}),
    ...(typeof message.refusal === 'string' && message.refusal !== '' ? { refusal: message.refusal } : {}),
  };
}
