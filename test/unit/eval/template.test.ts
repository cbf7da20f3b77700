import { describe, expect, it } from 'vitest';
import {
  hasTemplate,
  renderTemplate,
  renderValue,
  templateVariables,
} from '../../../src/core/eval/template.js';

describe('renderTemplate', () => {
  it('replaces {{var}} and {{ var }}', () => {
    expect(
      renderTemplate('Q: {{question}} / {{ question }} / {{  lang  }}', { question: 'why?', lang: 'fr' }),
    ).toEqual({
      text: 'Q: why? / why? / fr',
      missing: [],
    });
  });

  it('leaves unknown variables as written and reports each once', () => {
    expect(renderTemplate('{{a}} {{b}} {{ b }}', { a: '1' })).toEqual({
      text: '1 {{b}} {{ b }}',
      missing: ['b'],
    });
  });

  it('is one pass: a value containing {{…}} is not expanded again', () => {
    expect(renderTemplate('{{a}}', { a: '{{b}}', b: 'nope' }).text).toBe('{{b}}');
  });

  it('inserts values literally, even with $ patterns', () => {
    expect(renderTemplate('cost {{price}}', { price: "$& and $1 and $'" }).text).toBe(
      "cost $& and $1 and $'",
    );
  });

  it('accepts names with dots and dashes, not other braces', () => {
    expect(
      renderTemplate('{{user.name}} {{x-y}} {{ not a var }} {x}', { 'user.name': 'Ann', 'x-y': '2' }).text,
    ).toBe('Ann 2 {{ not a var }} {x}');
  });

  it('does not read inherited properties as variables', () => {
    expect(renderTemplate('{{constructor}} {{toString}}', {})).toEqual({
      text: '{{constructor}} {{toString}}',
      missing: ['constructor', 'toString'],
    });
  });
});

describe('renderValue', () => {
  it('renders strings inside lists and objects, not keys', () => {
    const rendered = renderValue(
      { '{{k}}': ['{{a}}', 2, { x: 'v={{b}}' }], n: null },
      { a: 'A', b: 'B', k: 'K' },
    );
    expect(rendered).toEqual({ value: { '{{k}}': ['A', 2, { x: 'v=B' }], n: null }, missing: [] });
  });

  it('collects missing names across the value', () => {
    expect(renderValue(['{{a}}', '{{b}}', '{{a}}'], {}).missing).toEqual(['a', 'b']);
  });
});

describe('templateVariables and hasTemplate', () => {
  it('list names in order of first use', () => {
    expect(templateVariables('{{b}} {{a}} {{ b }}')).toEqual(['b', 'a']);
  });

  it('see templates at any depth', () => {
    expect(hasTemplate('plain')).toBe(false);
    expect(hasTemplate('{ not: a template }')).toBe(false);
    expect(hasTemplate(['x', { y: '{{z}}' }])).toBe(true);
    expect(hasTemplate(42)).toBe(false);
  });
});
