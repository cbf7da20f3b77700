import { contentHash } from '../hash/content-hash.js';
import { clamp01, pick } from '../hash/distributions.js';
import { seededStreams } from '../hash/random.js';
import type { ChatRequest, FailureKind, Usage } from '../provider/chat.js';
import type { SimProfile } from '../spec/sim-profile.js';
import {
  genericAnswer,
  SIM_REFUSALS,
  SIM_UNSAFE_SNIPPETS,
  type SimUnsafeKind,
  wrongAnswer,
} from './sim-answers.js';
import { drawFailure, failureAtMs, failureDetails, failureRates } from './sim-failure.js';
import { canonicalMessages, lastUserText } from './sim-text.js';
import { drawTimes, planStream, type SimChunk, splitIntoChunks } from './sim-timing.js';
import { applyStop, countInputTokens, estimateTokens, truncateToTokens } from './sim-tokens.js';

/** Looks up the reference answer to a question (the last user message, as written). */
export type KnowledgeLookup = (question: string) => string | undefined;

export interface SimPlanInput {
  /** The provider's `seed` in ballast.yaml. */
  readonly providerSeed: number;
  /** The variant's `sim` profile; its `seed` is mixed in too. */
  readonly profile: SimProfile;
  /** The variant's model name: two models on one provider answer independently. */
  readonly model: string;
  readonly request: Pick<ChatRequest, 'messages' | 'params' | 'sampleIndex' | 'reference'>;
  readonly knowledge?: KnowledgeLookup;
  /** The caller's total timeout: a call whose drawn latency exceeds it fails as a `timeout`. */
  readonly timeoutMs?: number;
}

/** How an answer came about: the reference, a wrong answer, a generic one (no reference known), a refusal. */
export type SimBehaviour = 'correct' | 'wrong' | 'generic' | 'refusal';

export interface SimAnswerPlan {
  readonly ok: true;
  readonly behaviour: SimBehaviour;
  /** Set when the output carries something a PII or profanity guardrail should catch. */
  readonly unsafe?: SimUnsafeKind;
  /** Where the reference came from; undefined when none was known. */
  readonly referenceSource?: 'request' | 'knowledge';
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
  readonly usage: Usage;
  readonly latencyMs: number;
  readonly ttftMs: number;
  /** The stream: pieces of `text` in order, with when each is sent. */
  readonly chunks: readonly SimChunk[];
}

export interface SimFailurePlan {
  readonly ok: false;
  readonly kind: FailureKind;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** When the failure reaches the caller, in ms after the request. */
  readonly latencyMs: number;
  readonly usage: Usage;
}

export type SimPlan = SimAnswerPlan | SimFailurePlan;

/**
 * Decides everything about one simulated call, as a pure function of (provider seed, profile
 * seed, model, messages, sample index) and the profile's rates. Each decision draws from its own
 * seeded stream, so changing one rate changes only that decision: raising `accuracy` turns some
 * wrong answers right and leaves latency, failures and refusals of every call as they were
 * (common random numbers, which also makes paired comparisons of two profiles sharper).
 */
export function planResponse(input: SimPlanInput): SimPlan {
  const { request, model, providerSeed } = input;
  const profile = input.profile;
  const digest = contentHash(canonicalMessages(request.messages));
  const sample = Number.isFinite(request.sampleIndex) ? (request.sampleIndex as number) : 0;
  const draws = seededStreams(providerSeed, profile.seed, model, digest, sample);

  const inputTokens = countInputTokens(request.messages);
  const { latencyMs, ttftMs } = drawTimes(profile, draws('latency'), draws('ttft'));

  const drawn = drawFailure(profile.error_rate, draws('failure'));
  const timedOut = input.timeoutMs !== undefined && latencyMs > input.timeoutMs;
  const kind: FailureKind | undefined = drawn ?? (timedOut ? 'timeout' : undefined);
  if (kind !== undefined) {
    return {
      ok: false,
      kind,
      ...failureDetails(kind),
      latencyMs: failureAtMs(kind, ttftMs, latencyMs, input.timeoutMs),
      usage: { inputTokens, outputTokens: 0 },
    };
  }

  // One draw splits the answered calls: [0, r) refusals, [r, r + s) unsafe outputs, the rest plain.
  const u = draws('behaviour')();
  const refusal = clamp01(profile.refusal_rate);
  const refused = u < refusal;
  const unsafe = !refused && u < refusal + clamp01(profile.unsafe_rate);

  const question = lastUserText(request.messages);
  const known = referenceFor(input, question);
  const textRandom = draws('text');
  let behaviour: SimBehaviour;
  let text: string;
  if (refused) {
    behaviour = 'refusal';
    text = pick(textRandom, SIM_REFUSALS)!;
  } else if (known === undefined) {
    behaviour = 'generic';
    text = genericAnswer(question, textRandom);
  } else if (draws('accuracy')() < clamp01(profile.accuracy)) {
    behaviour = 'correct';
    text = known.reference;
  } else {
    behaviour = 'wrong';
    text = wrongAnswer(known.reference, textRandom);
  }
  const snippet = unsafe ? pick(draws('unsafe'), SIM_UNSAFE_SNIPPETS)! : undefined;
  if (snippet !== undefined) text = `${text} ${snippet.text}`;

  const stopped = applyStop(text, request.params.stop);
  const maxTokens = request.params.max_tokens;
  const final = maxTokens === undefined ? stopped : truncateToTokens(stopped, maxTokens);
  const chunkRandom = draws('chunks');
  const timeline = planStream(
    splitIntoChunks(final, chunkRandom),
    profile.chunk_ms,
    ttftMs,
    latencyMs,
    chunkRandom,
  );

  return {
    ok: true,
    behaviour,
    ...(snippet === undefined ? {} : { unsafe: snippet.kind }),
    ...(known === undefined ? {} : { referenceSource: known.source }),
    text: final,
    finishReason: final.length < stopped.length ? 'length' : 'stop',
    usage: { inputTokens, outputTokens: estimateTokens(final) },
    latencyMs,
    ttftMs: timeline.ttftMs,
    chunks: timeline.chunks,
  };
}

/** The request's own reference wins; otherwise the knowledge base's answer to the last user message. */
function referenceFor(
  input: SimPlanInput,
  question: string,
): { reference: string; source: 'request' | 'knowledge' } | undefined {
  const own = input.request.reference;
  if (typeof own === 'string' && own.trim() !== '') return { reference: own, source: 'request' };
  if (input.knowledge === undefined || question.trim() === '') return undefined;
  const found = input.knowledge(question);
  return typeof found === 'string' && found.trim() !== ''
    ? { reference: found, source: 'knowledge' }
    : undefined;
}

export interface SimRates {
  /** P(the call fails), over all calls. */
  readonly failure: number;
  /** P(refusal), over calls that did not fail. */
  readonly refusal: number;
  /** P(unsafe output), over calls that did not fail. */
  readonly unsafe: number;
  /** P(the reference), over answers to questions with a known reference (not refused). */
  readonly accuracy: number;
}

/** The probabilities a profile actually produces, after clamping and normalisation; each in [0, 1]. */
export function simRates(profile: SimProfile): SimRates {
  let failure = 0;
  for (const rate of failureRates(profile.error_rate).values()) failure += rate;
  const refusal = clamp01(profile.refusal_rate);
  return {
    failure: clamp01(failure),
    refusal,
    unsafe: Math.min(clamp01(profile.unsafe_rate), 1 - refusal),
    accuracy: clamp01(profile.accuracy),
  };
}
