import type { ChatMessage, ChatRequest, FinishReason, Usage } from '../../core/provider/chat.js';
import type { WireCompletion } from './http-attempt.js';
import { failureFromWireError, isRecord, readWireError, WireFailure } from './http-errors.js';
import { contentText } from './openai-wire.js';

/** The Messages API requires max_tokens; this is what a variant without one gets. */
export const DEFAULT_MAX_TOKENS = 1024;

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: string | Block[];
}

/**
 * The Messages API body. Ballast speaks OpenAI's shapes, so system and developer messages
 * become the top-level `system`, tool calls and results become tool_use / tool_result blocks,
 * OpenAI-style tools and tool_choice are translated, and `stop` becomes `stop_sequences`.
 * seed, presence_penalty and frequency_penalty have no Messages equivalent and are dropped
 * (sending them is a 400).
 */
export function anthropicRequestBody(
  request: ChatRequest,
  model: string,
  stream: boolean,
): Record<string, unknown> {
  const {
    tools,
    tool_choice: toolChoice,
    parallel_tool_calls: parallel,
    ...given
  } = request.params.extra ?? {};
  const { params } = request;
  const { system, messages } = anthropicMessages(request.messages);
  // A client's OpenAI-only fields stay behind: the Messages API refuses a body with fields it
  // does not know, and a route moved to a Claude variant must keep serving the same requests.
  const extra: Record<string, unknown> = {};
  for (const key in given)
    if (!OPENAI_ONLY.has(key) || keepsOnAnthropic(key, given[key])) extra[key] = given[key];
  const body: Record<string, unknown> = {
    ...extra,
    model,
    max_tokens: params.max_tokens ?? defaultMaxTokens(extra.thinking),
  };
  if (params.temperature !== undefined) body.temperature = params.temperature;
  if (params.top_p !== undefined) body.top_p = params.top_p;
  // The Messages API refuses a stop sequence of whitespace only ("\n" is a common OpenAI stop).
  const stops = (typeof params.stop === 'string' ? [params.stop] : (params.stop ?? [])).filter(
    (s) => s.trim() !== '',
  );
  if (stops.length > 0) body.stop_sequences = stops;
  if (system !== undefined) body.system = system;
  body.messages = messages;
  if (Array.isArray(tools)) body.tools = tools.map(anthropicTool);
  else if (tools !== undefined) body.tools = tools;
  if (toolChoice !== undefined) body.tool_choice = anthropicToolChoice(toolChoice);
  // parallel_tool_calls: false is Anthropic's disable_parallel_tool_use, on the tool choice.
  if (parallel === false && body.tools !== undefined) {
    const choice = isRecord(body.tool_choice) ? body.tool_choice : { type: 'auto' };
    if (choice.type !== 'none') body.tool_choice = { ...choice, disable_parallel_tool_use: true };
  }
  if (stream) body.stream = true;
  else delete body.stream;
  return body;
}

/**
 * Chat Completions fields the Messages API does not take (by that name or in that shape).
 * `metadata` and `service_tier` exist in both, with other shapes: they pass only when they fit
 * Anthropic's (see keepsOnAnthropic).
 */
const OPENAI_ONLY: ReadonlySet<string> = new Set([
  'response_format',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'n',
  'store',
  'metadata',
  'service_tier',
  'reasoning_effort',
  'verbosity',
  'modalities',
  'audio',
  'prediction',
  'web_search_options',
  'prompt_cache_key',
  'max_completion_tokens',
  'functions',
  'function_call',
  'stream_options',
  'user',
  'safety_identifier',
]);

/** An OPENAI_ONLY field whose value Anthropic also takes: metadata with only user_id, a service tier it knows. */
function keepsOnAnthropic(key: string, value: unknown): boolean {
  if (key === 'metadata') return isRecord(value) && Object.keys(value).every((k) => k === 'user_id');
  if (key === 'service_tier') return value === 'auto' || value === 'standard_only';
  return false;
}

function anthropicMessages(messages: readonly ChatMessage[]): {
  system?: string;
  messages: AnthropicMessage[];
} {
  const system: string[] = [];
  const out: AnthropicMessage[] = [];
  for (const message of messages) {
    if (message.role === 'system' || message.role === 'developer') {
      system.push(contentText(message.content));
    } else if (message.role === 'tool') {
      const result: Block = {
        type: 'tool_result',
        tool_use_id: message.tool_call_id ?? '',
        content: typeof message.content === 'string' ? message.content : contentBlocks(message.content),
      };
      // All results of one assistant turn must come back in a single user message.
      const last = out.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every(isToolResult)) {
        last.content.push(result);
      } else {
        out.push({ role: 'user', content: [result] });
      }
    } else if (message.role === 'assistant' && message.tool_calls && message.tool_calls.length > 0) {
      out.push({
        role: 'assistant',
        content: [...contentBlocks(message.content), ...message.tool_calls.map(toolUse)],
      });
    } else {
      const content = typeof message.content === 'string' ? message.content : contentBlocks(message.content);
      // The Messages API refuses an empty turn but for a final assistant one (a prefill); an empty
      // assistant turn between others carries nothing, and the turns around it are joined by the API.
      if (message.role === 'assistant' && content.length === 0 && message !== messages.at(-1)) continue;
      out.push({ role: message.role === 'assistant' ? 'assistant' : 'user', content });
    }
  }
  return { ...(system.length > 0 ? { system: system.join('\n\n') } : {}), messages: out };
}

function isToolResult(block: Block): boolean {
  return block.type === 'tool_result';
}

function contentBlocks(content: ChatMessage['content']): Block[] {
  if (content === null || content === '') return [];
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part) => {
    if (!isRecord(part)) return { type: 'text', text: String(part) };
    if (part.type === 'image_url') return imageBlock(part.image_url);
    return part;
  });
}

function imageBlock(image: unknown): Block {
  const url =
    isRecord(image) && typeof image.url === 'string' ? image.url : typeof image === 'string' ? image : '';
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (data) return { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } };
  return { type: 'image', source: { type: 'url', url } };
}

function toolUse(call: unknown): Block {
  const record = isRecord(call) ? call : {};
  const fn = isRecord(record.function) ? record.function : {};
  const args = typeof fn.arguments === 'string' && fn.arguments.trim() !== '' ? fn.arguments : '{}';
  let input: unknown;
  try {
    input = JSON.parse(args);
  } catch {
    throw new Error(`the arguments of tool call ${String(record.id)} are not JSON`);
  }
  return { type: 'tool_use', id: record.id, name: fn.name, input };
}

function anthropicTool(tool: unknown): unknown {
  if (!isRecord(tool) || tool.type !== 'function' || !isRecord(tool.function)) return tool;
  const fn = tool.function;
  return {
    name: fn.name,
    ...(fn.description === undefined ? {} : { description: fn.description }),
    input_schema: fn.parameters ?? { type: 'object', properties: {} },
  };
}

function anthropicToolChoice(choice: unknown): unknown {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'required') return { type: 'any' };
  if (choice === 'none') return { type: 'none' };
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function)) {
    return { type: 'tool', name: choice.function.name };
  }
  return choice;
}

export function anthropicFinishReason(value: unknown): FinishReason | undefined {
  switch (value) {
    case null:
    case undefined:
      return undefined;
    case 'end_turn':
    case 'stop_sequence':
      return 'stop';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'unknown';
  }
}

/**
 * Prompt-cache reads and writes are input tokens too; they are counted at the full input price
 * (the pricing table has no cache rates), which overstates the cost of cached prompts.
 */
export function anthropicInputTokens(usage: Record<string, unknown>): number | undefined {
  const parts = [usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens];
  const numbers = parts.filter((n): n is number => typeof n === 'number');
  return numbers.length === 0 ? undefined : numbers.reduce((a, b) => a + b, 0);
}

/** tool_use blocks in the OpenAI tool_calls shape, so callers see one shape whatever the provider. */
export function openaiToolCall(id: unknown, name: unknown, args: string): Record<string, unknown> {
  return { id, type: 'function', function: { name, arguments: args } };
}

export function parseAnthropicCompletion(body: unknown): WireCompletion {
  const error = readWireError(body);
  if (error) throw new WireFailure(failureFromWireError(error, 'error in a 200 response'));
  if (!isRecord(body) || !Array.isArray(body.content)) {
    throw new WireFailure({ kind: 'upstream', message: 'the response has no content' });
  }
  const blocks = body.content.filter(isRecord);
  const text = blocks.map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('');
  const toolCalls = blocks
    .filter((b) => b.type === 'tool_use')
    .map((b) => openaiToolCall(b.id, b.name, JSON.stringify(b.input ?? {})));
  const raw = isRecord(body.usage) ? body.usage : undefined;
  const usage: Usage | undefined = raw && {
    inputTokens: anthropicInputTokens(raw) ?? 0,
    outputTokens: typeof raw.output_tokens === 'number' ? raw.output_tokens : 0,
  };
  return {
    text,
    finishReason: anthropicFinishReason(body.stop_reason) ?? 'unknown',
    ...(usage ? { usage } : {}),
    ...(typeof body.model === 'string' ? { model: body.model } : {}),
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
  };
}

/**
 * `max_tokens` when the request sets none: DEFAULT_MAX_TOKENS, or with extended thinking (`thinking`
 * in a client's extra) its `budget_tokens` plus that, as the API wants `max_tokens` above the budget.
 */
function defaultMaxTokens(thinking: unknown): number {
  const budget = isRecord(thinking) ? thinking.budget_tokens : undefined;
  return typeof budget === 'number' && Number.isFinite(budget) && budget > 0
    ? Math.ceil(budget) + DEFAULT_MAX_TOKENS
    : DEFAULT_MAX_TOKENS;
}
