import type { ChatMessage, ChatOutcome, ChatRequest, ProviderFailure } from '../../core/provider/chat.js';
import type { ModelProvider } from '../ports/model-provider.js';

/** The outcome of playing one case against one arm: the reply scored, and what the calls cost. */
export interface Played {
  readonly output: string;
  readonly latencyMs: number;
  readonly costUsd: number;
  readonly failure?: ProviderFailure;
  /** The conversation as played, for reports of multi-turn cases. */
  readonly transcript: readonly ChatMessage[];
}

export interface SimulatedUser {
  readonly provider: ModelProvider;
  readonly persona: string;
  readonly goal: string;
  readonly maxTurns: number;
}

type Send = (messages: readonly ChatMessage[], turn: number) => Promise<ChatOutcome>;

const fold = (acc: { latencyMs: number; costUsd: number }, outcome: ChatOutcome) => {
  if (outcome.ok) {
    acc.latencyMs += outcome.result.latencyMs;
    acc.costUsd += outcome.result.costUsd;
  } else {
    acc.latencyMs += outcome.failure.latencyMs;
  }
};

/**
 * Plays a case: one call for a single question or a given history; for scripted `turns`, one call
 * per user turn with the arm's own earlier replies in the history; for a simulated user, a second
 * model writes each next user message from a persona and a goal until it says DONE. The reply
 * scored is the arm's last one; latency and cost add up over the calls.
 */
export async function playConversation(
  send: Send,
  opening: readonly ChatMessage[],
  options: {
    turns?: readonly string[];
    user?: SimulatedUser;
    userRequest?: (turn: number) => Partial<ChatRequest>;
  },
): Promise<Played> {
  const history: ChatMessage[] = [...opening];
  const acc = { latencyMs: 0, costUsd: 0 };
  const pending = [...(options.turns ?? [])];
  const maxTurns = options.user ? options.user.maxTurns : pending.length + 1;
  let output = '';
  for (let turn = 0; turn < maxTurns; turn++) {
    if (turn > 0) {
      const scripted = pending.shift();
      const next = options.user
        ? await nextUserMessage(options.user, history, turn, options.userRequest)
        : scripted === undefined
          ? {}
          : { text: scripted };
      if (next.failure) return { output, ...acc, failure: next.failure, transcript: history };
      if (next.text === undefined) break;
      history.push({ role: 'user', content: next.text });
    }
    const outcome = await send(history, turn);
    fold(acc, outcome);
    if (!outcome.ok) return { output, ...acc, failure: outcome.failure, transcript: history };
    output = outcome.result.text;
    history.push({ role: 'assistant', content: output });
  }
  return { output, ...acc, transcript: history };
}

const DONE = /^\s*DONE\b/;

async function nextUserMessage(
  user: SimulatedUser,
  history: readonly ChatMessage[],
  turn: number,
  extra?: (turn: number) => Partial<ChatRequest>,
): Promise<{ text?: string; failure?: ProviderFailure }> {
  const transcript = history
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map(
      (m) =>
        `${m.role === 'user' ? 'You' : 'Assistant'}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`,
    )
    .join('\n');
  const outcome = await user.provider.complete({
    model: '',
    params: { temperature: 0.7 },
    ...(extra?.(turn) ?? {}),
    messages: [
      {
        role: 'system',
        content: `You play a user talking to an assistant. Persona: ${user.persona}. Goal: ${user.goal}. Write only your next message. When the goal is met or cannot be met, reply DONE.`,
      },
      { role: 'user', content: transcript },
    ],
  });
  if (!outcome.ok) return { failure: outcome.failure };
  return DONE.test(outcome.result.text) ? {} : { text: outcome.result.text.trim() };
}
