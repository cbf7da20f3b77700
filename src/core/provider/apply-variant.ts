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
  const defined = <T extends object>(o: T) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const { extra: callerExtra, ...callerRest } = callerParams;
  const { extra: variantExtra, ...variantRest } = variant.params;
  const extra = { ...(callerExtra ?? {}), ...(variantExtra ?? {}) };
  const params: ChatParams = {
    ...defined(callerRest),
    ...defined(variantRest),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
  const system: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  return { ...rest, model: variant.model, messages: [...system, ...messages], params };
}
