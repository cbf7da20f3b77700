import { describe, expect, it } from 'vitest';
import {
  canonicalMessages,
  lastUserText,
  messageText,
  normaliseQuestion,
} from '../../../src/core/sim/sim-text.js';
import {
  applyStop,
  countInputTokens,
  estimateTokens,
  truncateToTokens,
} from '../../../src/core/sim/sim-tokens.js';

describe('token estimates', () => {
  it('counts about one token per 4 characters, at least 1 for any text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('a')).toBe(1);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('x'.repeat(400))).toBe(100);
  });

  it('counts input tokens over every message, with framing', () => {
    expect(countInputTokens([])).toBe(3);
    expect(countInputTokens([{ role: 'user', content: 'abcdefgh' }])).toBe(3 + 3 + 2);
    expect(
      countInputTokens([
        { role: 'system', content: 'x'.repeat(40) },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'abcd' },
            { type: 'image_url', image_url: { url: 'u' } },
          ],
        },
      ]),
    ).toBe(3 + (3 + 10) + (3 + 1));
  });

  it('truncates to a token budget without splitting a surrogate pair', () => {
    expect(truncateToTokens('abcdefghij', 2)).toBe('abcdefgh');
    expect(truncateToTokens('abc', 2)).toBe('abc');
    expect(truncateToTokens('abcdefg🙂xyz', 2)).toBe('abcdefg');
    expect(truncateToTokens('abc', 0)).toBe('');
  });

  it('stops before the earliest stop sequence, ignoring empty ones', () => {
    expect(applyStop('one. two. three', '.')).toBe('one');
    expect(applyStop('one. two; three', [';', '.'])).toBe('one');
    expect(applyStop('one two', ['', 'zzz'])).toBe('one two');
    expect(applyStop('one two', undefined)).toBe('one two');
  });
});

describe('message text', () => {
  it('reads strings and text parts, and finds the last user message', () => {
    expect(messageText(null)).toBe('');
    expect(messageText([{ type: 'text', text: 'a' }, 'b', { type: 'image_url' }, null])).toBe('a\nb');
    expect(
      lastUserText([
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'reply' },
        { role: 'user', content: 'second' },
        { role: 'tool', content: 'result', tool_call_id: 't' },
      ]),
    ).toBe('second');
    expect(lastUserText([{ role: 'system', content: 'x' }])).toBe('');
  });

  it('normalises questions for matching', () => {
    expect(normaliseQuestion('  How do I   RESET my password?? ')).toBe('how do i reset my password');
    expect(normaliseQuestion('Ｗｈｅｒｅ is my data stored?')).toBe('where is my data stored');
    expect(normaliseQuestion("What's new, Zoë?")).toBe('what s new zoë');
  });

  it('serialises messages canonically, even with values JSON cannot encode', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalMessages([{ role: 'user', content: [cyclic, 10n] }])).not.toThrow();
    // Deeper than the stack: String() of it would recurse as deep as JSON.stringify did.
    let deep: unknown[] = ['x'];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(() => canonicalMessages([{ role: 'user', content: deep }])).not.toThrow();
    expect(canonicalMessages([{ role: 'user', content: 'a' }])).toBe(
      canonicalMessages([{ role: 'user', content: 'a' }]),
    );
    expect(canonicalMessages([{ role: 'user', content: 'a' }])).not.toBe(
      canonicalMessages([{ role: 'assistant', content: 'a' }]),
    );
  });
});
