import { type GuardrailOutcome, redactedAny } from '../../core/guardrail/check-text.js';
import type { ToolCallsOutcome } from '../../core/guardrail/check-tool-calls.js';
import type { ChatResult } from '../../core/provider/chat.js';

/**
 * The answer with the output guardrails' text. A redacted answer loses its token
 * log-probabilities: their tokens would show what the redaction removed (as when streamed).
 */
export function guardedResult(
  result: ChatResult,
  checked: Pick<GuardrailOutcome, 'text' | 'findings'>,
  tools: ToolCallsOutcome | undefined,
): ChatResult {
  const guarded = { ...result, text: checked.text, ...(tools ? { toolCalls: tools.toolCalls } : {}) };
  if (!redactedAny(checked.findings) && !redactedAny(tools?.findings ?? [])) return guarded;
  // The token log-probabilities would show what a redaction removed.
  const { logprobs: _shown, ...rest } = guarded;
  return rest;
}
