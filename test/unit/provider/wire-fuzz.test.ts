import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { anthropicStreamDecoder } from '../../../src/adapters/providers/anthropic-stream.js';
import { parseAnthropicCompletion } from '../../../src/adapters/providers/anthropic-wire.js';
import type { StreamStep, WireStreamDecoder } from '../../../src/adapters/providers/http-attempt.js';
import {
  parseErrorBody,
  retryAfterFromHeaders,
  WireFailure,
} from '../../../src/adapters/providers/http-errors.js';
import { openaiStreamDecoder } from '../../../src/adapters/providers/openai-stream.js';
import { parseOpenAICompletion } from '../../../src/adapters/providers/openai-wire.js';
import type { ToolCallDelta } from '../../../src/core/provider/chat.js';
import { assembleToolCalls } from '../../support/wire-servers/provider-harness.js';

// The wire decoders read what an upstream sends, which can be anything. Whatever it is, a
// decoder either reads it or throws a WireFailure (an in-band error event), never anything else;
// and the tool-call fragments it hands on always merge to the calls its summary reports.

const DECODERS: readonly [string, () => WireStreamDecoder][] = [
  ['OpenAI', openaiStreamDecoder],
  ['Anthropic', anthropicStreamDecoder],
];

/** Values shaped like the events' fields, so random events often come close to real ones. */
const field = fc.oneof(
  fc.constantFrom(0, 1, 2, -1, 1.5, null, '', 'x', 'function', 'tool_use', 'text', '[DONE]', {}, []),
  fc.string({ maxLength: 8 }),
);
const fragment = fc.record(
  {
    index: field,
    id: field,
    type: field,
    function: fc.oneof(field, fc.record({ name: field, arguments: field }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);
const chunkLike = fc.record(
  {
    model: field,
    usage: fc.oneof(field, fc.record({ prompt_tokens: field, completion_tokens: field })),
    choices: fc.oneof(
      field,
      fc.array(
        fc.record(
          {
            finish_reason: fc.oneof(field, fc.constantFrom('stop', 'tool_calls', 'length')),
            delta: fc.oneof(
              field,
              fc.record({ content: field, tool_calls: fc.oneof(field, fc.array(fragment)) }),
            ),
            logprobs: fc.oneof(field, fc.record({ content: fc.oneof(field, fc.array(field)) })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
  },
  { requiredKeys: [] },
);
const anthropicLike = fc.record(
  {
    type: fc.constantFrom(
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
      'ping',
      'error',
      'something_new',
    ),
    index: field,
    message: fc.oneof(field, fc.record({ model: field, usage: field }, { requiredKeys: [] })),
    content_block: fc.oneof(field, fc.record({ type: field, id: field, name: field, text: field })),
    delta: fc.oneof(
      field,
      fc.record({ type: field, text: field, partial_json: field, stop_reason: field }, { requiredKeys: [] }),
    ),
    usage: field,
    error: field,
  },
  { requiredKeys: [] },
);
const data = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.json({ maxDepth: 3 }),
  chunkLike.map((c) => JSON.stringify(c)),
  anthropicLike.map((e) => JSON.stringify(e)),
);
const message = fc.record({
  data,
  event: fc.option(fc.constantFrom('message_start', 'ping', 'error'), { nil: undefined }),
});

function push(
  decoder: WireStreamDecoder,
  msg: { data: string; event?: string | undefined },
): StreamStep | 'error' {
  try {
    return decoder.push({ id: undefined, event: msg.event, data: msg.data });
  } catch (error) {
    // In-band error events are the one thing a decoder may throw.
    expect(error).toBeInstanceOf(WireFailure);
    return 'error';
  }
}

describe('stream decoders on arbitrary events', () => {
  for (const [name, make] of DECODERS) {
    it(`${name}: reads or throws a WireFailure, and its fragments merge to its summary's tool calls`, () => {
      fc.assert(
        fc.property(fc.array(message, { maxLength: 25 }), (messages) => {
          const decoder = make();
          const fragments: ToolCallDelta[] = [];
          for (const m of messages) {
            if (decoder.terminated) break;
            const step = push(decoder, m);
            if (step === 'error') return;
            for (const d of step.deltas) expect(typeof d).toBe('string');
            for (const f of step.tools ?? []) {
              expect(Number.isInteger(f.index) && f.index >= 0).toBe(true);
              fragments.push(f);
            }
          }
          const summary = decoder.summary();
          const calls = (summary.toolCalls ?? []) as { function: { arguments: string } }[];
          // Every call the summary reports was handed on, in the same order; an Anthropic call
          // that sent no input says `{}` both ways.
          const merged = assembleToolCalls(fragments) as { function: { arguments: string } }[];
          expect(merged.filter(Boolean)).toHaveLength(calls.length);
          // (Anthropic: a tool_use block cut before its content_block_stop sent no `{}` fragment.)
          const args = (a: string) => (name === 'Anthropic' && a === '' ? '{}' : a);
          for (const [i, call] of merged.filter(Boolean).entries())
            expect(args(call.function.arguments)).toBe(calls[i]?.function.arguments);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe('tool calls split anywhere', () => {
  const calls = fc.array(
    fc.record({
      id: fc.string({ minLength: 1, maxLength: 8 }),
      name: fc.string({ minLength: 1, maxLength: 8 }),
      args: fc.json({ maxDepth: 2 }),
    }),
    { minLength: 1, maxLength: 3 },
  );
  /** A string cut at random places into pieces (each non-empty). */
  const pieces = (s: string, cuts: readonly number[]) => {
    const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
    const out: string[] = [];
    let last = 0;
    for (const c of [...at, s.length]) {
      if (c > last) out.push(s.slice(last, c));
      last = Math.max(last, c);
    }
    return out;
  };

  it('OpenAI: fragments as the upstream cut them come through one for one and merge to the whole calls', () => {
    fc.assert(
      fc.property(calls, fc.array(fc.nat(), { maxLength: 6 }), (cs, cuts) => {
        const decoder = openaiStreamDecoder();
        const sent: string[][] = [];
        const handed: ToolCallDelta[] = [];
        const chunk = (delta: unknown, finish: string | null = null) =>
          JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] });
        cs.forEach((c, index) => {
          const parts = pieces(c.args, cuts);
          sent.push(parts);
          const head = { index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } };
          handed.push(...(push(decoder, { data: chunk({ tool_calls: [head] }) }) as StreamStep).tools!);
          for (const p of parts) {
            const step = push(decoder, {
              data: chunk({ tool_calls: [{ index, function: { arguments: p } }] }),
            });
            handed.push(...(step as StreamStep).tools!);
          }
        });
        push(decoder, { data: chunk({}, 'tool_calls') });
        const whole = cs.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.args },
        }));
        expect(decoder.summary().toolCalls).toEqual(whole);
        expect(assembleToolCalls(handed)).toEqual(whole);
        expect(handed.filter((f) => f.arguments !== '').map((f) => f.arguments)).toEqual(sent.flat());
      }),
      { numRuns: 200 },
    );
  });

  it('Anthropic: tool_use blocks after a text block are numbered among the calls and merge to the whole calls', () => {
    fc.assert(
      fc.property(calls, fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (cs, cuts, text) => {
        const decoder = anthropicStreamDecoder();
        const handed: ToolCallDelta[] = [];
        const send = (type: string, body: Record<string, unknown>) => {
          const step = push(decoder, { event: type, data: JSON.stringify({ type, ...body }) }) as StreamStep;
          handed.push(...(step.tools ?? []));
        };
        const offset = text ? 1 : 0;
        if (text) {
          send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
          send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Checking.' } });
          send('content_block_stop', { index: 0 });
        }
        cs.forEach((c, i) => {
          const index = i + offset;
          send('content_block_start', {
            index,
            content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} },
          });
          for (const p of pieces(c.args, cuts))
            send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: p } });
          send('content_block_stop', { index });
        });
        send('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } });
        const whole = cs.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.args === '' ? '{}' : c.args },
        }));
        expect(decoder.summary().toolCalls).toEqual(whole);
        expect(assembleToolCalls(handed)).toEqual(whole);
      }),
      { numRuns: 200 },
    );
  });
});

describe('OpenAI tool-call fragments without a usable index', () => {
  it('a fragment with an id starts the next call, one without continues the last', () => {
    const decoder = openaiStreamDecoder();
    const chunk = (tool: unknown) => ({
      id: undefined,
      event: undefined,
      data: JSON.stringify({ choices: [{ delta: { tool_calls: [tool] } }] }),
    });
    const handed = [
      { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":' } },
      { function: { arguments: '1}' } },
      { index: -1, id: 'b', function: { name: 'g', arguments: '{}' } },
      { index: 1.5, function: { arguments: '' } },
    ].flatMap((t) => decoder.push(chunk(t)).tools ?? []);
    expect(handed.map((f) => f.index)).toEqual([0, 0, 1, 1]);
    expect(decoder.summary().toolCalls).toEqual([
      { id: 'a', type: 'function', function: { name: 'f', arguments: '{"x":1}' } },
      { id: 'b', type: 'function', function: { name: 'g', arguments: '{}' } },
    ]);
  });
});

describe('whole answers and error bodies, arbitrary', () => {
  const body = fc.oneof(
    fc.json({ maxDepth: 4 }).map((j) => JSON.parse(j) as unknown),
    chunkLike.map((c) => ({
      ...c,
      choices: Array.isArray(c.choices) ? c.choices.map((x) => ({ message: x.delta, ...x })) : c.choices,
    })),
    fc.record(
      {
        content: fc.oneof(
          field,
          fc.array(fc.record({ type: field, text: field, id: field, name: field, input: field })),
        ),
        stop_reason: field,
        usage: field,
        model: field,
      },
      { requiredKeys: [] },
    ),
  );
  for (const [name, parse] of [
    ['OpenAI', parseOpenAICompletion],
    ['Anthropic', parseAnthropicCompletion],
  ] as const) {
    it(`${name}: a 200 body is read into text, finish reason and tool calls, or fails as a WireFailure`, () => {
      fc.assert(
        fc.property(body, (b) => {
          try {
            const c = parse(b);
            expect(typeof c.text).toBe('string');
            if (c.toolCalls !== undefined) expect(Array.isArray(c.toolCalls)).toBe(true);
          } catch (error) {
            expect(error).toBeInstanceOf(WireFailure);
          }
        }),
        { numRuns: 500 },
      );
    });
  }

  it('an error body of any text, and any Retry-After, read without throwing', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 60 }), fc.json({ maxDepth: 3 })),
        fc.string({ maxLength: 30 }),
        (text, retryAfter) => {
          const e = parseErrorBody(text);
          expect(typeof e).toBe('object');
          const ms = retryAfterFromHeaders({ 'retry-after': retryAfter }, 1_760_000_000_000);
          if (ms !== undefined) expect(Number.isFinite(ms) && ms >= 0).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
