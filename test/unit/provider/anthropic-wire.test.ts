import { describe, expect, it } from 'vitest';
import { anthropicRequestBody } from '../../../src/adapters/providers/anthropic-wire.js';
import type { ChatRequest } from '../../../src/core/provider/chat.js';

const TOOLS = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }];

function body(extra: Record<string, unknown>) {
  const request: ChatRequest = {
    model: 'claude',
    messages: [{ role: 'user', content: 'hi' }],
    params: { max_tokens: 50, extra },
  };
  return anthropicRequestBody(request, 'claude-x', false);
}

describe('anthropicRequestBody: fields a Chat Completions client sends', () => {
  it('leaves behind the fields the Messages API does not take', () => {
    const b = body({
      response_format: { type: 'json_object' },
      logprobs: true,
      top_logprobs: 2,
      store: true,
      reasoning_effort: 'low',
      metadata: { team: 'search' },
      service_tier: 'flex',
      top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    for (const key of [
      'response_format',
      'logprobs',
      'top_logprobs',
      'store',
      'reasoning_effort',
      'metadata',
      'service_tier',
    ])
      expect(b).not.toHaveProperty(key);
    // Anthropic's own options (a variant's, or a client's who knows it talks to Claude) pass.
    expect(b).toMatchObject({ top_k: 5, thinking: { type: 'enabled', budget_tokens: 1024 } });
  });

  it("keeps metadata and service_tier when they are in Anthropic's shape", () => {
    expect(body({ metadata: { user_id: 'u-1' }, service_tier: 'auto' })).toMatchObject({
      metadata: { user_id: 'u-1' },
      service_tier: 'auto',
    });
  });

  it('turns parallel_tool_calls: false into disable_parallel_tool_use on the tool choice', () => {
    expect(body({ tools: TOOLS, parallel_tool_calls: false }).tool_choice).toEqual({
      type: 'auto',
      disable_parallel_tool_use: true,
    });
    expect(body({ tools: TOOLS, tool_choice: 'required', parallel_tool_calls: false }).tool_choice).toEqual({
      type: 'any',
      disable_parallel_tool_use: true,
    });
    const parallel = body({ tools: TOOLS, parallel_tool_calls: true });
    expect(parallel).not.toHaveProperty('parallel_tool_calls');
    expect(parallel).not.toHaveProperty('tool_choice');
  });
});

describe('anthropicRequestBody: what the Messages API refuses is not sent', () => {
  const request = (over: Partial<ChatRequest>): ChatRequest => ({
    model: 'claude',
    messages: [{ role: 'user', content: 'hi' }],
    params: {},
    ...over,
  });

  it('leaves out stop sequences of whitespace only ("each stop sequence must contain non-whitespace")', () => {
    expect(
      anthropicRequestBody(request({ params: { stop: ['\n', 'END'] } }), 'c', false).stop_sequences,
    ).toEqual(['END']);
    expect(anthropicRequestBody(request({ params: { stop: '\n\n' } }), 'c', false)).not.toHaveProperty(
      'stop_sequences',
    );
  });

  it('leaves out an empty assistant turn unless it is the last (a prefill)', () => {
    const b = anthropicRequestBody(
      request({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: '' },
          { role: 'user', content: 'again' },
          { role: 'assistant', content: null },
          { role: 'user', content: 'and again' },
          { role: 'assistant', content: '' },
        ],
      }),
      'c',
      false,
    );
    expect(b.messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'user', content: 'again' },
      { role: 'user', content: 'and again' },
      { role: 'assistant', content: '' },
    ]);
  });

  it('with thinking and no max_tokens, max_tokens is above the thinking budget', () => {
    const thinking = { type: 'enabled', budget_tokens: 2048 };
    expect(anthropicRequestBody(request({ params: { extra: { thinking } } }), 'c', false).max_tokens).toBe(
      3072,
    );
    expect(anthropicRequestBody(request({}), 'c', false).max_tokens).toBe(1024);
    // A max_tokens set by the caller or the variant wins.
    expect(
      anthropicRequestBody(request({ params: { max_tokens: 4000, extra: { thinking } } }), 'c', false)
        .max_tokens,
    ).toBe(4000);
  });
});
