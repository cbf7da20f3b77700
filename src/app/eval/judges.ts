import type { Score, ScorerSpec } from '../../core/eval/types.js';
import type { ChatMessage } from '../../core/provider/chat.js';
import type { ModelProvider } from '../ports/model-provider.js';

/**
 * Model-graded scorers. The judge is a variant like any other, so it can be an OpenAI model,
 * Anthropic, or the sim. Judges answer in JSON; an answer that cannot be read scores 0.5 and
 * says so, rather than failing a run because a judge rambled.
 */

const RUBRIC_SYSTEM =
  'You grade an answer against a rubric. Reply with JSON only: {"score": <number from 0 to 1>, "reason": "<one sentence>"}.';

export function rubricMessages(rubric: string, question: string, answer: string): ChatMessage[] {
  return [
    { role: 'system', content: RUBRIC_SYSTEM },
    { role: 'user', content: `Rubric:\n${rubric}\n\nQuestion:\n${question}\n\nAnswer:\n${answer}` },
  ];
}

/** The first JSON object in a reply (judges often wrap it in prose or a code fence). */
export function parseJudgeJson(text: string): Record<string, unknown> | undefined {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end <= start) return undefined;
  try {
    const value = JSON.parse(text.slice(start, end + 1)) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function rubricScore(
  judge: ModelProvider,
  spec: ScorerSpec,
  question: string,
  answer: string,
  signal?: AbortSignal,
): Promise<Score> {
  const name = spec.name ?? spec.type;
  const outcome = await judge.complete(
    { model: '', messages: rubricMessages(spec.rubric ?? '', question, answer), params: { temperature: 0 } },
    signal ? { signal } : {},
  );
  const base = { scorer: name, weight: spec.weight };
  if (!outcome.ok) {
    return {
      ...base,
      score: 0,
      pass: false,
      reason: `judge failed: ${outcome.failure.kind} (${outcome.failure.message})`,
    };
  }
  const parsed = parseJudgeJson(outcome.result.text);
  const raw = Number(parsed?.score);
  if (!Number.isFinite(raw)) {
    return { ...base, score: 0.5, pass: 0.5 >= spec.threshold, reason: 'judge reply had no readable score' };
  }
  const score = Math.min(1, Math.max(0, raw > 1 && raw <= 10 ? raw / 10 : raw));
  const reason = typeof parsed?.reason === 'string' ? parsed.reason : `judge score ${score}`;
  return { ...base, score, pass: score >= spec.threshold, reason };
}

const PAIRWISE_SYSTEM =
  'You compare two answers to the same question. Reply with JSON only: {"winner": "A" | "B" | "tie", "reason": "<one sentence>"}.';

function pairwiseMessages(question: string, a: string, b: string): ChatMessage[] {
  return [
    { role: 'system', content: PAIRWISE_SYSTEM },
    { role: 'user', content: `Question:\n${question}\n\nAnswer A:\n${a}\n\nAnswer B:\n${b}` },
  ];
}

async function askWinner(
  judge: ModelProvider,
  question: string,
  a: string,
  b: string,
  signal?: AbortSignal,
): Promise<'A' | 'B' | 'tie' | undefined> {
  const outcome = await judge.complete(
    { model: '', messages: pairwiseMessages(question, a, b), params: { temperature: 0 } },
    signal ? { signal } : {},
  );
  if (!outcome.ok) return undefined;
  const winner = String(parseJudgeJson(outcome.result.text)?.winner ?? '').trim();
  return winner === 'A' || winner === 'B' || winner === 'tie' ? winner : undefined;
}

/**
 * Asks twice with the order swapped and counts a win only when both orders agree (position bias
 * is the best-documented judge bias: Zheng et al., "Judging LLM-as-a-Judge", NeurIPS 2023).
 * Returns the candidate's score (1 win, 0 loss, 0.5 otherwise) and the baseline's mirror.
 */
export async function pairwiseScores(
  judge: ModelProvider,
  spec: ScorerSpec,
  question: string,
  baseline: string,
  candidate: string,
  signal?: AbortSignal,
): Promise<{ baseline: Score; candidate: Score }> {
  const name = spec.name ?? spec.type;
  const [first, second] = await Promise.all([
    askWinner(judge, question, baseline, candidate, signal),
    askWinner(judge, question, candidate, baseline, signal),
  ]);
  const candidateWins = first === 'B' && second === 'A';
  const baselineWins = first === 'A' && second === 'B';
  const score = candidateWins ? 1 : baselineWins ? 0 : 0.5;
  const reason = candidateWins
    ? 'candidate preferred in both orders'
    : baselineWins
      ? 'baseline preferred in both orders'
      : `no consistent preference (orders said ${first ?? 'nothing'} / ${second ?? 'nothing'})`;
  const make = (s: number): Score => ({
    scorer: name,
    weight: spec.weight,
    score: s,
    pass: s >= spec.threshold,
    reason,
  });
  return { baseline: make(1 - score), candidate: make(score) };
}
