import { describe, expect, it } from 'vitest';
import { applyVariant } from '../../../src/core/provider/apply-variant.js';

describe('applyVariant', () => {
  const variant = {
    model: 'sim-small',
    params: { temperature: 0.2, max_tokens: 200, extra: { seed_mode: 'v' } },
  };

  it('puts the variant system prompt first and lets variant params win over the caller', () => {
    const req = applyVariant(
      variant,
      'You are terse.',
      [
        { role: 'system', content: 'caller system' },
        { role: 'user', content: 'hi' },
      ],
      { temperature: 1.5, top_p: 0.9, extra: { user_tag: 'x', seed_mode: 'caller' } },
      { sampleIndex: 2 },
    );
    expect(req).toEqual({
      model: 'sim-small',
      sampleIndex: 2,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'system', content: 'caller system' },
        { role: 'user', content: 'hi' },
      ],
      params: { temperature: 0.2, top_p: 0.9, max_tokens: 200, extra: { user_tag: 'x', seed_mode: 'v' } },
    });
  });

  it('adds no system message or extra when there are none', () => {
    const req = applyVariant({ model: 'm', params: {} }, undefined, [{ role: 'user', content: 'q' }]);
    expect(req).toEqual({ model: 'm', messages: [{ role: 'user', content: 'q' }], params: {} });
  });
});
