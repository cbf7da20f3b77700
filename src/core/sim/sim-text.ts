import type { ChatMessage } from '../provider/chat.js';

/**
 * The text of a message: a string, or the `text` of OpenAI-style content parts joined by
 * newlines (images and audio carry no text the simulator could read).
 */
export function messageText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') texts.push(part);
    else if (
      part !== null &&
      typeof part === 'object' &&
      typeof (part as { text?: unknown }).text === 'string'
    )
      texts.push((part as { text: string }).text);
  }
  return texts.join('\n');
}

/** The text of the last user message: the question a single-turn case asks. Empty when none. */
export function lastUserText(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message?.role === 'user') return messageText(message.content);
  }
  return '';
}

/**
 * The form questions are matched in against a knowledge dataset: Unicode-compatibility
 * normalised (NFKC, so full-width and ligature forms match), lower-cased, punctuation dropped,
 * whitespace collapsed. "How do I reset my password?" and "how do i reset my  password" match.
 */
export function normaliseQuestion(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A serialisation of the messages that is stable for equal conversations, for seeding. Values
 * JSON cannot encode (cycles, BigInt) fall back to their String() form rather than throwing.
 */
export function canonicalMessages(messages: readonly ChatMessage[]): string {
  const rows = messages.map((m) => [
    m.role,
    safeJson(m.content ?? null),
    m.name ?? null,
    m.tool_call_id ?? null,
    m.tool_calls === undefined ? null : safeJson(m.tool_calls),
  ]);
  return JSON.stringify(rows);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Too deep to serialise (or circular): String() would recurse as deep and throw again.
    return UNSERIALISABLE;
  }
}

const UNSERIALISABLE = '[unserialisable]';
