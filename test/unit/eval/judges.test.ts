import { describe, expect, it } from 'vitest';
import { pairwiseScores, rubricScore } from '../../../src/app/eval/judges.js';
import { createScoring } from '../../../src/app/eval/scoring.js';
import type { EvalCase } from '../../../src/core/eval/types.js';
import type { ChatRequest } from '../../../src/core/provider/chat.js';
import { spec } from '../../support/scorer-fixtures.js';
import { replyingProvider } from '../../support/scripted-provider.js';

/** A judge that answers each request with `reply(request)`, or fails when it returns undefined. */
const judge = (reply: (request: ChatRequest) => string | undefined) =>
  replyingProvider('scripted/judge', reply);

const userText = (request: ChatRequest) => String(request.messages.at(-1)?.content ?? '');

/** Which of the two answers of a pairwise prompt holds `text`: 'A', 'B' or 'tie'. */
function answerHolding(request: ChatRequest, text: string): string {
  const prompt = userText(request);
  const a = prompt.slice(prompt.indexOf('Answer A:'), prompt.indexOf('Answer B:'));
  const b = prompt.slice(prompt.indexOf('Answer B:'));
  return a.includes(text) ? 'A' : b.includes(text) ? 'B' : 'tie';
}

describe('llm-rubric', () => {
  const rubric = spec('llm-rubric', { rubric: 'Names the menu path', judge: 'grader', threshold: 0.7 });

  it('sends the rubric, the question and the answer, and reads the score from JSON wrapped in prose', async () => {
    const j = judge(() => 'Sure! ```json\n{"score": 0.8, "reason": "gives the path"}\n``` Hope that helps.');
    const score = await rubricScore(j, rubric, 'How do I reset it?', 'Settings > Security');
    expect(score).toMatchObject({ scorer: 'llm-rubric', score: 0.8, pass: true, reason: 'gives the path' });
    const prompt = userText(j.calls[0] as ChatRequest);
    expect(prompt).toContain('Names the menu path');
    expect(prompt).toContain('How do I reset it?');
    expect(prompt).toContain('Settings > Security');
    expect(j.calls[0]?.params.temperature).toBe(0);
  });

  it('reads a mark out of 10, clamps, and passes at the threshold', async () => {
    const at = async (reply: string) =>
      rubricScore(
        judge(() => reply),
        rubric,
        'q',
        'a',
      );
    expect(await at('{"score": 8}')).toMatchObject({ score: 0.8, pass: true });
    expect(await at('{"score": 6.5}')).toMatchObject({ score: 0.65, pass: false });
    expect(await at('{"score": -2}')).toMatchObject({ score: 0, pass: false });
    expect(await at('{"score": 0.7}')).toMatchObject({ score: 0.7, pass: true });
  });

  it('scores an unreadable reply 0.5 and a failed judge call 0, saying so', async () => {
    const unreadable = await rubricScore(
      judge(() => 'I would say it is fine.'),
      rubric,
      'q',
      'a',
    );
    expect(unreadable).toMatchObject({
      score: 0.5,
      pass: false,
      reason: 'judge reply had no readable score',
    });
    const failed = await rubricScore(
      judge(() => undefined),
      rubric,
      'q',
      'a',
    );
    expect(failed).toMatchObject({ score: 0, pass: false });
    expect(failed.reason).toContain('judge failed: upstream');
  });
});

describe('pairwise', () => {
  const pairwise = spec('pairwise', { judge: 'grader' });

  it('counts a win only when both orders agree, and gives the baseline the mirror score', async () => {
    // A judge that prefers the answer mentioning "Security", wherever it stands.
    const j = judge((r) => `{"winner": "${answerHolding(r, 'Security')}", "reason": "more precise"}`);
    const won = await pairwiseScores(j, pairwise, 'q', 'Go to settings', 'Settings > Security');
    expect(won.candidate).toMatchObject({
      score: 1,
      pass: true,
      reason: 'candidate preferred in both orders',
    });
    expect(won.baseline).toMatchObject({ score: 0, pass: false });
    expect(j.calls).toHaveLength(2);
    // The two calls put each answer once in each position.
    expect(answerHolding(j.calls[0] as ChatRequest, 'Security')).toBe('B');
    expect(answerHolding(j.calls[1] as ChatRequest, 'Security')).toBe('A');

    const lost = await pairwiseScores(j, pairwise, 'q', 'Settings > Security', 'Go to settings');
    expect(lost.candidate).toMatchObject({ score: 0, reason: 'baseline preferred in both orders' });
    expect(lost.baseline).toMatchObject({ score: 1 });
  });

  it('a judge that always picks the first position wins nobody anything (0.5 each)', async () => {
    const biased = await pairwiseScores(
      judge(() => '{"winner": "A"}'),
      pairwise,
      'q',
      'x',
      'y',
    );
    expect(biased.candidate.score).toBe(0.5);
    expect(biased.baseline.score).toBe(0.5);
    expect(biased.candidate.reason).toContain('no consistent preference (orders said A / A)');
    const down = await pairwiseScores(
      judge(() => undefined),
      pairwise,
      'q',
      'x',
      'y',
    );
    expect(down.candidate).toMatchObject({ score: 0.5, pass: true });
    expect(down.candidate.reason).toContain('nothing / nothing');
  });
});

describe('not- on model-graded scorers', () => {
  const noModules = {
    load: async () => {
      throw new Error('no modules in this test');
    },
  };
  const c: EvalCase = { id: 'c1', input: 'How do I reset it?', tags: [], vars: {}, line: 1 };
  const played = (output: string) => ({ output, latencyMs: 10, costUsd: 0, transcript: [] });

  it('turns the judge’s score around: not-llm-rubric scores 1 − s and passes at the threshold on that', async () => {
    const j = judge(() => '{"score": 0.9, "reason": "rude"}');
    const scoring = await createScoring({
      specs: [spec('not-llm-rubric', { rubric: 'Is rude', judge: 'grader', threshold: 0.5, name: 'polite' })],
      judge: () => j,
      modules: noModules,
    });
    const scored = await scoring.scorePair(c, {}, played('a'), played('b'));
    expect(scored.candidate[0]).toMatchObject({ scorer: 'polite', pass: false, reason: 'not (rude)' });
    expect(scored.candidate[0]?.score).toBeCloseTo(0.1, 12);
  });

  it('not-pairwise scores the candidate 1 when the baseline is preferred in both orders', async () => {
    const j = judge((r) => `{"winner": "${answerHolding(r, 'Security')}"}`);
    const scoring = await createScoring({
      specs: [spec('not-pairwise', { judge: 'grader', name: 'not-preferred' })],
      judge: () => j,
      modules: noModules,
    });
    const scored = await scoring.scorePair(c, {}, played('Settings > Security'), played('Go to settings'));
    expect(scored.candidate[0]).toMatchObject({ scorer: 'not-preferred', score: 1, pass: true });
    expect(scored.baseline?.[0]).toMatchObject({ score: 0, pass: false });
  });
});
