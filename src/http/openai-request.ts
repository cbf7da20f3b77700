import { z } from 'zod';
import type { ChatMessage, ChatParams } from '../core/provider/chat.js';

/**
 * The body of `POST /v1/chat/completions` as OpenAI documents it. Fields Ballast maps are
 * checked; anything else (tools, response_format, logprobs, …) passes through to the provider as
 * `params.extra`, so a client's new OpenAI field keeps working without a gateway release.
 */
const contentSchema = z.union([z.string(), z.array(z.unknown()), z.null()]);
const messageSchema = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: contentSchema.optional(),
  name: z.string().optional(),
  tool_calls: z.array(z.unknown()).optional(),
  tool_call_id: z.string().optional(),
});

export const chatBodySchema = z.looseObject({
  model: z
    .string()
    .min(1, 'model must name a route or a variant')
    .max(256, 'model must name a route or a variant (at most 256 characters)'),
  messages: z.array(messageSchema).min(1, 'messages must hold at least one message'),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  n: z.literal(1, 'only n = 1 is supported').nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
});

export interface ParsedChatBody {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly params: ChatParams;
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly user: string | undefined;
  readonly safetyIdentifier: string | undefined;
}

const MAPPED = new Set([
  'model',
  'messages',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'max_tokens',
  'max_completion_tokens',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'n',
  'user',
  'safety_identifier',
]);

/** A body → the gateway's request, or the first problem in words (`messages.0.role: …`). */
export function parseChatBody(
  body: unknown,
): { ok: true; value: ParsedChatBody } | { ok: false; message: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, message: 'the body must be a JSON object' };
  const parsed = chatBodySchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    return { ok: false, message: path ? `${path}: ${issue.message}` : issue.message };
  }
  const b = parsed.data;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(b)) if (!MAPPED.has(k) && v !== undefined) extra[k] = v;
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  const params: ChatParams = {
    ...(b.temperature != null ? { temperature: b.temperature } : {}),
    ...(b.top_p != null ? { top_p: b.top_p } : {}),
    ...(maxTokens != null ? { max_tokens: maxTokens } : {}),
    ...(b.max_completion_tokens != null ? { maxTokensAs: 'max_completion_tokens' as const } : {}),
    ...(b.stop != null ? { stop: b.stop } : {}),
    ...(b.seed != null ? { seed: b.seed } : {}),
    ...(b.presence_penalty != null ? { presence_penalty: b.presence_penalty } : {}),
    ...(b.frequency_penalty != null ? { frequency_penalty: b.frequency_penalty } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
  const messages = b.messages.map((m) => {
    const { role, content, name, tool_calls, tool_call_id } = m;
    return {
      role,
      content: (content ?? null) as ChatMessage['content'],
      ...(name !== undefined ? { name } : {}),
      ...(tool_calls !== undefined ? { tool_calls } : {}),
      ...(tool_call_id !== undefined ? { tool_call_id } : {}),
    } satisfies ChatMessage;
  });
  return {
    ok: true,
    value: {
      model: b.model,
      messages,
      params,
      stream: b.stream === true,
      includeUsage: b.stream_options?.include_usage === true,
      user: b.user ?? undefined,
      safetyIdentifier: b.safety_identifier ?? undefined,
    },
  };
}
