import type { ChatMessage } from '../provider/chat.js';
import { messageText } from './sim-text.js';

/**
 * Token counts that follow the text. OpenAI's rule of thumb is about 4 characters of English per
 * token ("What are tokens and how to count them?", OpenAI help centre), so a text of n characters
 * counts ⌈n / 4⌉ tokens, and at least 1 when it is not empty.
 */
export const CHARS_PER_TOKEN = 4;

export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  return Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
}

/**
 * Input tokens of a conversation: each message's text (and tool calls, as JSON) plus 3 tokens of
 * role framing per message and 3 to prime the reply, as OpenAI's cookbook counts chat messages
 * ("How to count tokens with tiktoken"). Always at least 1.
 */
export function countInputTokens(messages: readonly ChatMessage[]): number {
  let total = 3;
  for (const message of messages) {
    total += 3 + estimateTokens(messageText(message.content));
    if (message.tool_calls !== undefined) total += estimateTokens(safeLength(message.tool_calls));
  }
  return Math.max(1, total);
}

/** The text up to the first stop sequence (which is not included), as the chat APIs do. */
export function applyStop(text: string, stop: string | readonly string[] | undefined): string {
  const stops = typeof stop === 'string' ? [stop] : (stop ?? []);
  let end = text.length;
  for (const s of stops) {
    if (typeof s !== 'string' || s.length === 0) continue;
    const at = text.indexOf(s);
    if (at >= 0 && at < end) end = at;
  }
  return text.slice(0, end);
}

/**
 * The longest prefix of the text that counts at most `maxTokens` tokens. Never splits a UTF-16
 * surrogate pair, so the result is always valid text.
 */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (estimateTokens(text) <= maxTokens) return text;
  let end = Math.max(0, Math.floor(maxTokens)) * CHARS_PER_TOKEN;
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

function safeLength(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
