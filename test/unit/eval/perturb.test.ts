import { describe, expect, it } from 'vitest';
import {
  isPerturbationKind,
  PERTURBATION_KINDS,
  perturbCase,
  perturbText,
} from '../../../src/core/eval/perturb.js';
import type { EvalCase } from '../../../src/core/eval/types.js';
import { detectInjection, INJECTION_CANARY } from '../../../src/core/guardrail/detect-injection.js';
import { seededRandom } from '../../../src/core/hash/random.js';
import type { ChatMessage } from '../../../src/core/provider/chat.js';

const QUESTION = 'How do I change the email address on my account settings page?';
const base: EvalCase = {
  id: 'change-email',
  input: QUESTION,
  reference: 'Settings > Profile > Email',
  tags: ['account'],
  vars: { question: QUESTION, product: 'Acme' },
  line: 3,
};

describe('perturbCase', () => {
  it.each(PERTURBATION_KINDS)('%s: new id, tag, same reference, a changed input', (kind) => {
    const p = perturbCase(base, kind, 7);
    expect(p.id).toBe(`change-email~${kind}`);
    expect(p.tags).toEqual(['account', `perturb:${kind}`]);
    expect(p.reference).toBe(base.reference);
    expect(p.line).toBe(3);
    expect(p.input).not.toBe(QUESTION);
    expect(p.metadata).toEqual({ perturbation: { kind, seed: 7, of: 'change-email' } });
  });

  it.each(PERTURBATION_KINDS)(
    '%s: deterministic for (case id, kind, seed), varying with the seed',
    (kind) => {
      expect(perturbCase(base, kind, 7)).toEqual(perturbCase(base, kind, 7));
      const outputs = new Set([1, 2, 3, 4, 5, 6].map((seed) => perturbCase(base, kind, seed).input));
      expect(outputs.size).toBeGreaterThan(1);
    },
  );

  it('perturbs the var that held the input, so prompt templates see the same text', () => {
    const p = perturbCase(base, 'typos', 1);
    expect(p.vars.question).toBe(p.input);
    expect(p.vars.product).toBe('Acme');
  });

  it('perturbs the last user message of a conversation only', () => {
    const convo: EvalCase = {
      ...base,
      input: [
        { role: 'user', content: 'Hi there, first question here' },
        { role: 'assistant', content: 'Hello! How can I help?' },
        { role: 'user', content: QUESTION },
      ],
    };
    const messages = perturbCase(convo, 'casing', 3).input as readonly ChatMessage[];
    expect(messages.map((m) => m.content)).toEqual([
      'Hi there, first question here',
      'Hello! How can I help?',
      expect.not.stringMatching(/^How do I change the email/),
    ]);
    expect(String(messages[2]!.content).toLowerCase()).toBe(QUESTION.toLowerCase());
  });

  it('does not tag a case twice with the same kind', () => {
    const twice = perturbCase(perturbCase(base, 'casing', 1), 'casing', 1);
    expect(twice.tags.filter((t) => t === 'perturb:casing')).toHaveLength(1);
  });
});

describe('perturbText', () => {
  const random = () => seededRandom('t', 1);

  it('typos keep the text recognisable: same word count, small edits', () => {
    const words = QUESTION.split(' ');
    const out = perturbText(QUESTION, 'typos', random()).split(' ');
    expect(out).toHaveLength(words.length);
    let changed = 0;
    out.forEach((word, i) => {
      if (word === words[i]) return;
      changed++;
      expect(word[0]).toBe(words[i]![0]);
      expect(Math.abs(word.length - words[i]!.length)).toBeLessThanOrEqual(1);
    });
    expect(changed).toBeGreaterThanOrEqual(1);
  });

  it('casing changes only case', () => {
    expect(perturbText(QUESTION, 'casing', random()).toLowerCase()).toBe(QUESTION.toLowerCase());
  });

  it('whitespace changes only whitespace', () => {
    const out = perturbText(QUESTION, 'whitespace', random());
    expect(out).not.toBe(QUESTION);
    expect(out.split(/\s+/).filter(Boolean)).toEqual(QUESTION.split(' '));
  });

  it('truncation keeps a prefix of 50–80 %, cut at a word boundary', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = perturbText(QUESTION, 'truncation', seededRandom('cut', seed));
      expect(QUESTION.startsWith(out)).toBe(true);
      expect(out.length).toBeGreaterThanOrEqual(QUESTION.length * 0.4);
      expect(out.length).toBeLessThanOrEqual(QUESTION.length * 0.8);
      expect(QUESTION[out.length]).toBe(' ');
    }
  });

  it('injection plants an instruction the injection check sees, with the canary', () => {
    for (let seed = 0; seed < 20; seed++) {
      const out = perturbText(QUESTION, 'injection', seededRandom('inj', seed));
      expect(out).toContain(QUESTION);
      expect(out).toContain(INJECTION_CANARY);
      expect(detectInjection(out).some((f) => f.label !== 'canary')).toBe(true);
    }
  });

  it('padding keeps the question whole and adds unrelated sentences', () => {
    const out = perturbText(QUESTION, 'padding', random());
    expect(out).toContain(QUESTION);
    expect(out.length).toBeGreaterThan(QUESTION.length + 40);
  });

  it('edge cases: empty and one-character texts', () => {
    for (const kind of PERTURBATION_KINDS) {
      expect(typeof perturbText('', kind, random())).toBe('string');
      expect(typeof perturbText('a', kind, random())).toBe('string');
    }
    expect(perturbText('a', 'truncation', random())).toBe('a');
  });
});

describe('isPerturbationKind', () => {
  it('knows the six kinds', () => {
    expect(PERTURBATION_KINDS).toHaveLength(6);
    expect(isPerturbationKind('typos')).toBe(true);
    expect(isPerturbationKind('emoji')).toBe(false);
  });
});
