import { describe, expect, it } from 'vitest';
import type { GuardrailRule } from '../../../src/core/guardrail/check-text.js';
import { checkToolCalls } from '../../../src/core/guardrail/check-tool-calls.js';

const call = (args: string, id = 'call_1') => ({
  id,
  type: 'function',
  function: { name: 'send_mail', arguments: args },
});

describe('checkToolCalls', () => {
  it('redacts inside the arguments, which stay valid JSON', () => {
    const rules: GuardrailRule[] = [{ check: 'pii', action: 'redact' }];
    const calls = [call('{"to":"jane.doe@example.com","body":"hi"}'), call('{"city":"Paris"}', 'call_2')];
    const out = checkToolCalls(calls, rules);
    expect(out.blocked).toBe(false);
    expect(out.findings.map((f) => f.check)).toEqual(['pii']);
    const first = out.toolCalls[0] as ReturnType<typeof call>;
    expect(first.function.arguments).not.toContain('jane.doe@example.com');
    expect(JSON.parse(first.function.arguments)).toEqual({ to: '[REDACTED:email]', body: 'hi' });
    expect(first).toMatchObject({ id: 'call_1', type: 'function', function: { name: 'send_mail' } });
    // A call with nothing to redact is the same object.
    expect(out.toolCalls[1]).toBe(calls[1]);
  });

  it('blocks on a block rule and only flags on a flag rule', () => {
    const key = `sk-proj-${'a1B2c3D4e5'.repeat(8)}`;
    const calls = [call(JSON.stringify({ token: key }))];
    const blocked = checkToolCalls(calls, [{ check: 'secrets', action: 'block' }]);
    expect(blocked.blocked).toBe(true);
    expect(blocked.findings[0]).toMatchObject({ check: 'secrets', action: 'block' });
    const flagged = checkToolCalls(calls, [{ check: 'secrets', action: 'flag' }]);
    expect(flagged.blocked).toBe(false);
    expect(flagged.findings).toHaveLength(1);
    expect(flagged.toolCalls).toBe(calls);
  });

  it('leaves the length rule to the text and entries that are neither function nor custom calls alone', () => {
    const calls = [call('{"text":"a long argument"}'), { type: 'web_search', query: 'jane@example.com' }, 7];
    const out = checkToolCalls(calls, [
      { check: 'length', action: 'redact', max_chars: 3 },
      { check: 'pii', action: 'redact' },
    ]);
    expect(out.toolCalls).toBe(calls);
    expect(out.findings).toEqual([]);
    expect(checkToolCalls(calls, []).toolCalls).toBe(calls);
  });

  it("checks a custom tool call's free-text input like a function call's arguments", () => {
    const custom = {
      id: 'call_9',
      type: 'custom',
      custom: { name: 'notes', input: 'mail jane@example.com' },
    };
    const redacted = checkToolCalls([custom], [{ check: 'pii', action: 'redact' }]);
    expect(redacted.toolCalls[0]).toEqual({
      id: 'call_9',
      type: 'custom',
      custom: { name: 'notes', input: 'mail [REDACTED:email]' },
    });
    expect(redacted.findings.map((f) => f.check)).toEqual(['pii']);
    expect(checkToolCalls([custom], [{ check: 'pii', action: 'block' }]).blocked).toBe(true);
  });
});
