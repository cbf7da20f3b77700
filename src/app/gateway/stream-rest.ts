import { type ActionedFinding, type GuardrailRule, redactedAny } from '../../core/guardrail/check-text.js';
import { checkToolCalls, toolArgumentRules } from '../../core/guardrail/check-tool-calls.js';
import { createStreamScanner, type StreamScanner } from '../../core/guardrail/stream-scanner.js';
import type {
  ChatResult,
  FailureKind,
  FinishReason,
  StreamEvent,
  ToolCallDelta,
} from '../../core/provider/chat.js';
import type { RequestOutcome } from '../ports/gateway-telemetry.js';
import { type CallScope, TIMER_MESSAGES } from './call-scope.js';
import { type GatewayError, guardrailBlocked, streamInterrupted } from './gateway-errors.js';

/** What a stream hands the HTTP layer after its first content. */
export type GatewayStreamEvent =
  | { readonly type: 'delta'; readonly text: string }
  /**
   * A fragment of a tool call, passed on as it came; with output guardrails, its arguments are
   * what the call's own scanner released (a match split over fragments is held back until whole).
   */
  | { readonly type: 'tool_call'; readonly call: ToolCallDelta }
  | {
      readonly type: 'done';
      readonly finishReason: FinishReason;
      readonly usage: ChatResult['usage'];
      readonly model: string;
      /**
       * The tool calls of the answer, whole, when the provider streamed none of them as fragments
       * (a cached answer, the sim, an upstream that answered a stream with one JSON body).
       */
      readonly toolCalls?: readonly unknown[];
      /** The answer's token log-probabilities, all of them; absent when a redaction changed the text. */
      readonly logprobs?: Readonly<Record<string, unknown>>;
      /** The model's refusal, whole (an upstream streams it in pieces; it is sent in one). */
      readonly refusal?: string;
    }
  | { readonly type: 'error'; readonly error: GatewayError };

export interface StreamRestOptions {
  readonly first: Extract<StreamEvent, { type: 'delta' | 'tool_call' | 'done' }>;
  readonly iterator: AsyncIterator<StreamEvent>;
  readonly scope: CallScope;
  readonly idleMs: number;
  readonly rules: readonly GuardrailRule[];
  readonly model: string;
  /** Called once, as the first text or tool-call piece goes to the client (TTFT as it sees it). */
  readonly onFirstContent?: () => void;
  readonly finish: (
    outcome: RequestOutcome,
    fields: { kind?: FailureKind; result?: ChatResult; hits: number; output?: string },
  ) => void;
}

/**
 * The streaming phase: forwards deltas through the output scanner, re-arms the idle timer on
 * every event, and ends with `done`, or with an explicit `error` event when the upstream fails,
 * stalls or a guardrail blocks — never with a clean end that looks complete. Reports once, also
 * when the client goes away (the HTTP layer calls `return()` on the generator).
 */
export async function* streamRest(o: StreamRestOptions): AsyncGenerator<GatewayStreamEvent, void, undefined> {
  let scanner = o.rules.length > 0 ? createStreamScanner(o.rules) : undefined;
  // Each streamed tool call's arguments get a scanner of their own (check-tool-calls.ts).
  const argumentRules = toolArgumentRules(o.rules);
  const toolScanners = new Map<number, StreamScanner>();
  /** Findings of scanners already ended (text before a tool call, a call before the next one). */
  const endedText: ActionedFinding[] = [];
  const endedTools: ActionedFinding[] = [];
  /** Findings in tool calls that came whole at the end. */
  let wholeToolFindings: readonly ActionedFinding[] = [];
  const textFindings = () => [...endedText, ...(scanner?.findings ?? [])];
  const toolFindings = () => [
    ...endedTools,
    ...[...toolScanners.values()].flatMap((t) => t.findings),
    ...wholeToolFindings,
  ];
  let outcome: RequestOutcome = 'cancelled';
  /** The error event that ends a stream an output check blocked (text or a tool call's arguments). */
  const blockedBy = (source: { readonly findings: readonly ActionedFinding[] }): GatewayStreamEvent => {
    outcome = 'blocked';
    return { type: 'error', error: guardrailBlocked('output', blockedChecks(source)) };
  };
  let kind: FailureKind | undefined;
  let result: ChatResult | undefined;
  /** The text the client was sent (what the request log keeps: checked, as a whole answer's is). */
  let sent = '';
  let toolsSent = false;
  let contentSent = false;
  /** Text pushed into the scanner since it last released everything. */
  let textHeld = false;
  /** The tool call whose fragments came last. */
  let lastTool: number | undefined;
  /** A content event on its way to the client; the first one marks the time to first token. */
  const content = <E>(e: E): E => {
    if (!contentSent) {
      contentSent = true;
      o.onFirstContent?.();
    }
    return e;
  };
  const delta = (text: string): GatewayStreamEvent => {
    sent += text;
    return content({ type: 'delta', text });
  };
  /**
   * Releases what the text scanner holds back — before a tool call (OpenAI sends text, then the
   * calls; a client's stream helper takes the text as done when a call starts) or an upstream
   * failure — and starts a new scanner for any text after. True when an output check blocked.
   */
  function* flushText(): Generator<GatewayStreamEvent, boolean> {
    if (!scanner || !textHeld) return false;
    const ended = scanner;
    const step = ended.end();
    endedText.push(...ended.findings);
    scanner = createStreamScanner(o.rules);
    textHeld = false;
    if (step.text !== '') yield delta(step.text);
    if (!step.blocked) return false;
    yield blockedBy(ended);
    return true;
  }
  /**
   * Releases what a tool call's scanner holds back, once its fragments are over (the next call
   * started, the stream ended or failed): each call reaches the client whole before the next
   * begins, as OpenAI sends them. True when an output check blocked.
   */
  function* flushTool(index: number): Generator<GatewayStreamEvent, boolean> {
    const tool = toolScanners.get(index);
    if (tool === undefined) return false;
    toolScanners.delete(index);
    const step = tool.end();
    endedTools.push(...tool.findings);
    if (step.text !== '') yield content({ type: 'tool_call', call: { index, arguments: step.text } });
    if (!step.blocked) return false;
    yield blockedBy(tool);
    return true;
  }
  /** Every call's held arguments, in the calls' order. */
  function* flushTools(): Generator<GatewayStreamEvent, boolean> {
    for (const index of [...toolScanners.keys()].sort((a, b) => a - b))
      if (yield* flushTool(index)) return true;
    return false;
  }
  try {
    let event: StreamEvent | undefined = o.first;
    while (event !== undefined) {
      if (event.type === 'delta') {
        o.scope.phase('idle', o.idleMs);
        if (scanner) {
          textHeld = true;
          const step = scanner.push(event.text);
          if (step.text !== '') yield delta(step.text);
          if (step.blocked) {
            yield blockedBy(scanner);
            return;
          }
        } else if (event.text === '') {
          yield { type: 'delta', text: '' };
        } else {
          yield delta(event.text);
        }
      } else if (event.type === 'tool_call') {
        o.scope.phase('idle', o.idleMs);
        toolsSent = true;
        if (yield* flushText()) return;
        const { arguments: piece, ...head } = event.call;
        if (lastTool !== undefined && lastTool !== head.index && (yield* flushTool(lastTool))) return;
        lastTool = head.index;
        if (argumentRules.length === 0 || piece === undefined) yield content(event);
        else {
          let tool = toolScanners.get(head.index);
          if (tool === undefined) {
            tool = createStreamScanner(argumentRules);
            toolScanners.set(head.index, tool);
          }
          const step = tool.push(piece);
          if (step.text !== '' || head.id !== undefined || head.name !== undefined || head.type !== undefined)
            yield content({ type: 'tool_call', call: { ...head, arguments: step.text } });
          if (step.blocked) {
            yield blockedBy(tool);
            return;
          }
        }
      } else if (event.type === 'done') {
        result = event.result;
        if (scanner) {
          const step = scanner.end();
          if (step.text !== '') yield delta(step.text);
          if (step.blocked) {
            yield blockedBy(scanner);
            return;
          }
        }
        // What each streamed call's scanner still held back, in the calls' order.
        if (yield* flushTools()) return;
        let wholeCalls = !toolsSent && event.result.toolCalls?.length ? event.result.toolCalls : undefined;
        if (wholeCalls && scanner) {
          const checked = checkToolCalls(wholeCalls, o.rules);
          wholeToolFindings = checked.findings;
          if (checked.blocked) {
            yield blockedBy(checked);
            return;
          }
          wholeCalls = checked.toolCalls;
        }
        const redacted = redactedAny(textFindings()) || redactedAny(toolFindings());
        outcome = 'ok';
        // Tool calls that come whole with the end are the answer's first content.
        if (wholeCalls) content(event);
        yield {
          type: 'done',
          finishReason: event.result.finishReason,
          usage: event.result.usage,
          model: event.result.model || o.model,
          ...(wholeCalls ? { toolCalls: wholeCalls } : {}),
          // Their tokens would show what a redaction removed.
          ...(event.result.logprobs && !redacted ? { logprobs: event.result.logprobs } : {}),
          ...(event.result.refusal ? { refusal: event.result.refusal } : {}),
        };
        return;
      } else {
        kind = o.scope.reason ? 'timeout' : event.failure.kind;
        if (kind === 'cancelled' && o.scope.parent.aborted) return;
        // What the upstream sent before it failed reaches the client (checked) before the error.
        if ((yield* flushText()) || (yield* flushTools())) return;
        outcome = 'stream_interrupted';
        yield {
          type: 'error',
          error: streamInterrupted(o.scope.reason ? TIMER_MESSAGES[o.scope.reason] : event.failure.message),
        };
        return;
      }
      const next: IteratorResult<StreamEvent> = await o.iterator.next();
      event = next.done ? undefined : next.value;
    }
    // The provider ended without done or error: not a complete answer.
    outcome = 'stream_interrupted';
    kind = 'upstream';
    yield { type: 'error', error: streamInterrupted('the stream ended without a finish') };
  } catch {
    // A provider's stream ends with an error event rather than throwing; one that throws anyway
    // (a bug) still ends the client's stream with an explicit error, and counts against the variant.
    outcome = 'stream_interrupted';
    kind = 'upstream';
    yield { type: 'error', error: streamInterrupted('the stream failed in the gateway') };
  } finally {
    o.scope.dispose();
    if (outcome !== 'ok') o.scope.abort();
    // Also after `done`: the provider's stream is suspended at its last yield, and only return()
    // runs its own cleanup (its timers and its list of open calls). Skipping it on success kept
    // every streamed call reachable: the gateway's heap grew ≈ 2 MB/s under streaming load.
    await o.iterator.return?.(undefined);
    o.finish(outcome, {
      ...(kind ? { kind } : {}),
      ...(result ? { result } : {}),
      hits: textFindings().length + toolFindings().length,
      output: sent,
    });
  }
}

function blockedChecks(scanner: {
  readonly findings: readonly { action: string; check: string }[];
}): string[] {
  return [...new Set(scanner.findings.filter((f) => f.action === 'block').map((f) => f.check))];
}
