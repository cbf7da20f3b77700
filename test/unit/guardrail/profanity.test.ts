import { describe, expect, it } from 'vitest';
import { checkText } from '../../../src/core/guardrail/check-text.js';
import { detectProfanity } from '../../../src/core/guardrail/detect-profanity.js';
import { SIM_UNSAFE_SNIPPETS } from '../../../src/core/sim/sim-answers.js';

const PROFANE = [
  'What the fuck is this',
  'you are a bitch',
  'sh1t happens',
  'fuuuuck',
  'this is bullshit',
  'what an asshole',
  'damn it',
  'this crap again',
];

/** Words that contain or resemble profanity and are clean: the Scunthorpe problem. */
const CLEAN = [
  'Scunthorpe United won.',
  'The class assessment is due on Friday.',
  'A cocktail party in Sussex and Essex.',
  'Grapes are tasty; the pen is mightier than the sword.',
  'Dickens wrote novels; Matsushita made radios.',
  'Hello world, a cumulative analysis of the therapist notes.',
  'Scrap the button and add shiitake mushrooms.',
  'Open Settings > Security and choose Reset password.',
];

describe('detectProfanity', () => {
  it.each(PROFANE)('flags %j', (text) => {
    expect(detectProfanity(text).length).toBeGreaterThanOrEqual(1);
  });

  it.each(CLEAN)('leaves %j alone', (text) => {
    expect(detectProfanity(text)).toEqual([]);
  });

  it('catches every profane snippet the sim produces, each word once', () => {
    for (const snippet of SIM_UNSAFE_SNIPPETS.filter((s) => s.check === 'profanity')) {
      const result = checkText(snippet.text, 'profanity');
      expect(result.hit).toBe(true);
      expect(result.redacted).toBe(
        'Honestly, this [REDACTED:profanity] settings page is a load of [REDACTED:profanity].',
      );
    }
  });

  it('reports spans in UTF-16 offsets of the original text', () => {
    const text = '😀😀 shit';
    const [f] = detectProfanity(text);
    expect(text.slice(f!.start, f!.end)).toBe('shit');
  });
});
