import type { FinishReason, ToolCallDelta, Usage } from '../../core/provider/chat.js';
import type { StreamStep, WireStreamDecoder, WireSummary } from './http-attempt.js';
import { failureFromWireError, isRecord, readWireError, WireFailure } from './http-errors.js';
import type { EventSourceMessage } from './http-sse.js';
import { openaiFinishReason, openaiUsage } from './openai-wire.js';

interface ToolCallDraft {
  id?: string;
  type: string;
  name: string;
  arguments: string;
}

const MALFORMED: StreamStep = { deltas: [], malformed: true };
const NOTHING: StreamStep = { deltas: [] };

/**
 * Reads chat.completion.chunk events: content deltas, tool-call fragments (merged by index, as
 * the OpenAI SDK does), the finish reason, the usage-only chunk that `include_usage` adds before
 * `[DONE]`, and `{"error": …}` chunks that vLLM, LiteLLM and OpenRouter send in-band.
 */
export function openaiStreamDecoder(): WireStreamDecoder {
  let finishReason: FinishReason | undefined;
  let usage: Usage | undefined;
  let model: string | undefined;
  const tools = new Map<number, ToolCallDraft>();
  // Token log-probabilities arrive with the chunks they describe; the answer's are all of them.
  let logprobs: { content: unknown[] | null; refusal: unknown[] | null } | undefined;
  // A refusal streams in `delta.refusal` pieces; the answer's is all of them.
  let refusal = '';

  const readLogprobs = (value: unknown): void => {
    if (!isRecord(value)) return;
    logprobs ??= { content: null, refusal: null };
    for (const key of ['content', 'refusal'] as const) {
      const tokens = value[key];
      if (!Array.isArray(tokens)) continue;
      logprobs[key] ??= [];
      logprobs[key].push(...tokens);
    }
  };

  // The index of a fragment without a usable one (some servers omit it with one call): with an id
  // it starts the next call, without one it continues the last.
  const unnumbered = (startsCall: boolean): number => {
    const last = tools.size === 0 ? -1 : Math.max(...tools.keys());
    return startsCall || last < 0 ? last + 1 : last;
  };

  // Merges the fragments into the drafts the summary returns, and hands them on as they came.
  const readToolCalls = (fragments: unknown): ToolCallDelta[] | undefined => {
    if (!Array.isArray(fragments)) return undefined;
    const out: ToolCallDelta[] = [];
    for (const fragment of fragments) {
      if (!isRecord(fragment)) continue;
      const given = fragment.index;
      const index =
        typeof given === 'number' && Number.isInteger(given) && given >= 0
          ? given
          : unnumbered(typeof fragment.id === 'string');
      const known = tools.get(index);
      const draft = known ?? { type: 'function', name: '', arguments: '' };
      const passed: { -readonly [K in keyof ToolCallDelta]: ToolCallDelta[K] } = { index };
      // The first piece of a call says its type, as OpenAI's does: the SDK's stream helper refuses
      // a call without one, and some servers leave it out.
      if (known === undefined) passed.type = draft.type;
      if (typeof fragment.id === 'string') {
        draft.id = fragment.id;
        passed.id = fragment.id;
      }
      if (typeof fragment.type === 'string') {
        draft.type = fragment.type;
        passed.type = fragment.type;
      }
      const fn = isRecord(fragment.function) ? fragment.function : {};
      // The name comes whole (OpenAI sends it in a call's first fragment; Fireworks and NVIDIA NIM
      // send it again in every one): set, as the OpenAI SDK does, never appended.
      if (typeof fn.name === 'string' && fn.name !== '') {
        draft.name = fn.name;
        passed.name = fn.name;
      }
      if (typeof fn.arguments === 'string') {
        draft.arguments += fn.arguments;
        passed.arguments = fn.arguments;
      }
      tools.set(index, draft);
      out.push(passed);
    }
    return out.length > 0 ? out : undefined;
  };

  // A data property, not a getter: an object literal with an accessor is built on V8's slow path
  // (≈ 0.6 µs against ≈ 0.02 µs), and a decoder is made per streamed call.
  const decoder = {
    terminated: false,
    push(message: EventSourceMessage): StreamStep {
      if (message.data.trim() === '[DONE]') {
        decoder.terminated = true;
        return NOTHING;
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(message.data);
      } catch {
        return MALFORMED;
      }
      if (!isRecord(chunk)) return MALFORMED;
      const error = readWireError(chunk);
      if (error) throw new WireFailure(failureFromWireError(error, 'error event in the stream'));
      if (typeof chunk.model === 'string' && chunk.model !== '') model = chunk.model;
      usage = openaiUsage(chunk.usage) ?? usage;
      // Some servers (vLLM) send the usage-only chunk with `choices: null`. With `n` > 1 (a client's
      // extra) each chunk carries one choice with its `index`: the answer is choice 0's.
      const choice = Array.isArray(chunk.choices) ? firstChoice(chunk.choices) : undefined;
      if (!isRecord(choice)) return NOTHING;
      finishReason = openaiFinishReason(choice.finish_reason) ?? finishReason;
      const delta = isRecord(choice.delta) ? choice.delta : {};
      if (typeof delta.refusal === 'string') refusal += delta.refusal;
      const fragments = readToolCalls(delta.tool_calls);
      readLogprobs(choice.logprobs);
      const deltas = typeof delta.content === 'string' ? [delta.content] : [];
      if (fragments) return { deltas, tools: fragments };
      return deltas.length > 0 ? { deltas } : NOTHING;
    },
    summary(): WireSummary {
      // Assigned field by field: conditional spreads into a literal take V8's keyed slow path, and
      // this runs at the end of every streamed call.
      const summary: { -readonly [K in keyof WireSummary]: WireSummary[K] } = {};
      if (finishReason) summary.finishReason = finishReason;
      if (usage) summary.usage = usage;
      if (model) summary.model = model;
      if (tools.size > 0)
        summary.toolCalls = [...tools.entries()]
          .sort(([a], [b]) => a - b)
          .map(([, t]) => ({ id: t.id, type: t.type, function: { name: t.name, arguments: t.arguments } }));
      if (logprobs) summary.logprobs = logprobs;
      if (refusal !== '') summary.refusal = refusal;
      return summary;
    },
  };
  return decoder;
}

/** A chunk's choice 0: the one whose `index` is 0, or the first one when none says its index. */
function firstChoice(choices: readonly unknown[]): unknown {
  for (const c of choices) if (isRecord(c) && (c.index === 0 || c.index === undefined)) return c;
  return undefined;
}
