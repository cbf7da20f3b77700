import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkFrames, chunkFrame } from '../../../src/http/openai-response.js';

describe('ChunkFrames', () => {
  it('makes the same bytes as chunkFrame for a text delta, for any id, model and text', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        (id, created, model, text) => {
          const frames = new ChunkFrames(id, created, model);
          expect(frames.content(text)).toBe(chunkFrame(id, created, model, { content: text }, null));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('follows a change of model for text and other frames alike', () => {
    const frames = new ChunkFrames('chatcmpl-1', 1_700_000_000, 'gpt-x');
    frames.model = 'gpt-"y"\n';
    expect(frames.model).toBe('gpt-"y"\n');
    expect(frames.content('a "quoted"\u2028 text')).toBe(
      chunkFrame('chatcmpl-1', 1_700_000_000, 'gpt-"y"\n', { content: 'a "quoted"\u2028 text' }, null),
    );
    expect(frames.frame({}, 'stop')).toBe(chunkFrame('chatcmpl-1', 1_700_000_000, 'gpt-"y"\n', {}, 'stop'));
    const parsed = JSON.parse(frames.content('hi').slice('data: '.length));
    expect(parsed).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'gpt-"y"\n',
      choices: [{ index: 0, delta: { content: 'hi' }, logprobs: null, finish_reason: null }],
    });
  });
});
