import type { ChatMessage, ChatParams, ChatRequest } from './chat.js';

export interface VariantShape {
  readonly model: string;
  readonly params: ChatParams;
}

/**
 * Builds the request a variant sends for a caller's messages and parameters. Precedence
 * (docs/providers.md): the variant's system prompt comes first, before any system message of
 * the caller's; parameters the variant sets win over the caller's, because the variant is the
 * thing under test and a caller's temperature must not blur a comparison; the caller fills in
 * whatever the variant leaves unset; `extra` objects merge the same way, key by key.
 */
export function applyVariant(
  variant: VariantShape,
  systemPrompt: string | undefined,
  messages: readonly ChatMessage[],
  callerParams: ChatParams = {},
  rest: Omit<ChatRequest, 'model' | 'messages' | 'params'> = {},
): ChatRequest {
  // Caller first, then the variant: a value the variant sets wins. Plain loops: this runs on
  // every gateway request, where Object.entries/fromEntries cost a measurable share.
  const params: Record<string, unknown> = {};
  let extra: Record<string, unknown> | undefined;
  for (const source of [callerParams, variant.params] as const) {
    for (const key in source) {
      const value = (source as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (key === 'extra') {
        extra ??= {};
        for (const k in value as Record<string, unknown>) extra[k] = (value as Record<string, unknown>)[k];
      } else params[key] = value;
    }
  }
  if (extra !== undefined && Object.keys(extra).length > 0) params.extra = extra;
  const system: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  // The fixed fields first and `rest` (which never holds them) last: named fields after a spread
  // are defined on whatever shape the spread left, which V8 does on its slow path.
  return { model: variant.model, messages: [...system, ...messages], params: params as ChatParams, ...rest };
}
