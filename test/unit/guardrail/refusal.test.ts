import { describe, expect, it } from 'vitest';
import { detectRefusal } from '../../../src/core/guardrail/detect-refusal.js';
import { SIM_REFUSALS } from '../../../src/core/sim/sim-answers.js';

const REFUSALS = [
  "I'm sorry, but I can't help with that.",
  'I cannot assist with that request.',
  "As an AI language model, I can't provide medical advice.",
  'I must decline to answer.',
  "I won't be able to help with this.",
  "Sorry, I'm unable to do that.",
  'I’m not able to share that.',
  "That's not something I can help with.",
  'I am unable to provide that information.',
];

const ANSWERS = [
  "I can't help but notice you have two accounts.",
  'Sure! Open Settings > Security.',
  "I'm sorry to hear about the delay; your order ships tomorrow.",
  'Sorry for the wait. Here is how to do it.',
  'You cannot change your username after 30 days.',
  "We can't refund monthly plans, but annual plans get a full refund.",
  "If the app says 'I cannot connect', restart it.",
];

describe('detectRefusal', () => {
  it.each(SIM_REFUSALS)('catches the sim refusal %j', (text) => {
    expect(detectRefusal(text)).toBeDefined();
  });

  it.each(REFUSALS)('catches %j', (text) => {
    expect(detectRefusal(text)).toBeDefined();
  });

  it.each(ANSWERS)('does not take %j for a refusal', (text) => {
    expect(detectRefusal(text)).toBeUndefined();
  });

  it('judges the opening only: an answer that declines one detail late is not a refusal', () => {
    const answer = `${'Here is the full procedure, step by step. '.repeat(12)}I can't help with the legacy app.`;
    expect(detectRefusal(answer)).toBeUndefined();
  });

  it('returns the phrase it matched', () => {
    expect(detectRefusal("I'm sorry, but I can't help with that.")?.phrase).toBe("sorry, but I can't");
  });
});
