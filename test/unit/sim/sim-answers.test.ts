import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/core/hash/random.js';
import {
  genericAnswer,
  SIM_REFUSALS,
  SIM_UNSAFE_SNIPPETS,
  wrongAnswer,
} from '../../../src/core/sim/sim-answers.js';

const REFERENCES = [
  'Open Settings > Security and choose Reset password; a link is emailed to you.',
  'Yes: Settings > Profile > Email, then confirm the link sent to the new address.',
  'Billing > Payment method > Replace card.',
  'Full refund within 14 days of purchase for annual plans; monthly plans are not refunded.',
  'Owner, Admin, Editor and Viewer.',
  'Use one of your recovery codes, or contact support with ID verification to reset 2FA.',
  'You will find it under Settings > General > Advanced.',
  'x',
  '',
];

describe('wrongAnswer', () => {
  it('is never the reference', () => {
    for (const reference of REFERENCES)
      for (let i = 0; i < 200; i++)
        expect(wrongAnswer(reference, seededRandom('wrong', i))).not.toBe(reference);
  });

  it('resembles the reference: a swapped or replaced menu item, a changed number, a flipped yes', () => {
    const seen = (reference: string) =>
      new Set(Array.from({ length: 200 }, (_, i) => wrongAnswer(reference, seededRandom('resemble', i))));
    const menu = seen('Billing > Payment method > Replace card.');
    expect(menu).toContain('Payment method > Billing > Replace card.');
    expect([...menu].some((t) => /^Billing > (Settings|Security|Team) > Replace card\.$/.test(t))).toBe(true);
    const days = seen('Full refund within 14 days of purchase.');
    expect(days).toContain('Full refund within 28 days of purchase.');
    expect(seen('Yes, SAML and OIDC on Enterprise.')).toContain('No, SAML and OIDC on Enterprise.');
    // Digits inside a word are part of a name, not a quantity.
    expect([...seen('Reset 2FA from Settings.')].every((t) => !t.includes('4FA') && !t.includes('3FA'))).toBe(
      true,
    );
  });
});

describe('genericAnswer', () => {
  it('is built from the question and deterministic', () => {
    const a = genericAnswer('  Can I paint   my dashboard purple? ', seededRandom('g'));
    expect(a).toContain('"Can I paint my dashboard purple"');
    expect(genericAnswer('  Can I paint   my dashboard purple? ', seededRandom('g'))).toBe(a);
    expect(genericAnswer('', seededRandom('g'))).toContain('your request');
    expect(genericAnswer('q'.repeat(500), seededRandom('g')).length).toBeLessThan(300);
  });
});

describe('refusals and unsafe snippets', () => {
  it('refusals read as refusals', () => {
    for (const text of SIM_REFUSALS) expect(text).toMatch(/\bcan't\b/);
  });

  it('each unsafe snippet carries what its guardrail looks for', () => {
    const patterns = {
      email: /[\w.+-]+@[\w-]+\.[\w.]+/,
      phone: /\+?\d[\d ()-]{8,}\d/,
      card: /\b(?:\d{4} ){3}\d{4}\b/,
      profanity: /\b(damn|shit)\b/i,
    };
    for (const snippet of SIM_UNSAFE_SNIPPETS) expect(snippet.text).toMatch(patterns[snippet.kind]);
  });
});
