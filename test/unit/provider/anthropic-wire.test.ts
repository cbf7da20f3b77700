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
