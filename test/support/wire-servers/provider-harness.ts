import { expect } from 'vitest';
import type { ModelProvider } from '../../../src/app/ports/model-provider.js';
import type {
  ChatOutcome,
  ChatResult,
  ProviderFailure,
  StreamEvent,
  ToolCallDelta,
  Usage,
} from '../../../src/core/provider/chat.js';
import type { PricingTable } from '../../../src/core/provider/pricing.js';

// The provider contract's vocabulary (test/contract/provider.contract.ts re-exports it): what a
// backend must let the contract script and observe, and helpers to read outcomes and streams.

/**
 * What the backend does with the next call, in words every provider can act on: a wire server
 * turns it into bytes, the sim into its fault profile. Chunk counts refer to content chunks.
 */
export type Scenario =
  | {
      readonly kind: 'reply';
      readonly text?: string;
      readonly usage?: Usage;
      readonly finishReason?: 'stop' | 'length';
      readonly chunks?: number;
      readonly delayMs?: number;
      readonly chunkDelayMs?: number;
    }
  | {
      readonly kind: 'http-error';
      readonly status: number;
      readonly retryAfter?: string;
      readonly contentFilter?: boolean;
    }
  | { readonly kind: 'reset' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'cut'; readonly afterChunks: number; readonly text?: string }
  | { readonly kind: 'stall'; readonly afterChunks: number; readonly text?: string }
  | { readonly kind: 'malformed-chunk'; readonly atChunk: number; readonly text?: string }
  /** A whole stream, end marker included, whose body the server then keeps open. */
  | { readonly kind: 'hold-after-end'; readonly text?: string; readonly usage?: Usage }
  | {
      readonly kind: 'no-terminator';
      readonly withFinish: boolean;
      readonly text?: string;
      readonly usage?: Usage;
    }
  | {
      readonly kind: 'stream-error';
      readonly afterChunks: number;
      readonly errorKind: 'upstream' | 'rate_limit';
      readonly text?: string;
    };

export type ScenarioKind = Scenario['kind'];

export interface HarnessOptions {
  readonly retries: number;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConcurrency: number;
  readonly pricing: PricingTable;
}

/** One provider under test, and the handles the contract needs to script and observe it. */
export interface ProviderHarness {
  readonly provider: ModelProvider;
  /** The next calls' scenarios, in order (one per attempt); unscripted calls get a plain reply. */
  script(...scenarios: Scenario[]): void;
  /** Every delay the provider asked its clock to sleep (backoff between attempts). */
  readonly sleeps: readonly number[];
  /** When the backend received each attempt (monotonic ms), if it can tell. */
  requestTimes?(): readonly number[];
  /** Stream chunks skipped as unreadable, if the provider counts them. */
  malformedChunks?(): number;
  /** Sockets the backend has open, if it can tell. */
  openConnections?(): number;
  close(): Promise<void>;
}

export interface ProviderContractSetup {
  /** A model name the provider accepts; the contract prices it. */
  readonly model: string;
  /** Scenarios the backend can play; cases needing others are skipped. */
  readonly supports: readonly ScenarioKind[];
  /**
   * Whether a `reply` scenario's usage is reported as scripted (a wire server can send any
   * numbers). The sim counts tokens from the text, so for it the contract checks that usage is
   * positive and that the cost follows from it instead. Default true.
   */
  readonly scriptsUsage?: boolean;
  create(options: HarnessOptions): Promise<ProviderHarness>;
  dispose?(): Promise<void>;
}

export interface StreamRun {
  readonly events: readonly StreamEvent[];
  readonly deltas: readonly string[];
  readonly text: string;
  /** The tool-call fragments, in order. */
  readonly tools: readonly ToolCallDelta[];
}

export async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamRun> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  const deltas = events.flatMap((e) => (e.type === 'delta' ? [e.text] : []));
  const tools = events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []));
  // Exactly one terminal event, and it is the last.
  const terminal = events.filter((e) => e.type !== 'delta' && e.type !== 'tool_call');
  expect(terminal).toHaveLength(1);
  expect(events.at(-1)).toBe(terminal[0]);
  return { events, deltas, text: deltas.join(''), tools };
}

/** Tool-call fragments merged by index as the OpenAI SDK merges them, in the `toolCalls` shape. */
export function assembleToolCalls(fragments: readonly ToolCallDelta[]): unknown[] {
  const calls: { id?: string; type: string; function: { name: string; arguments: string } }[] = [];
  for (const f of fragments) {
    let call = calls[f.index];
    if (call === undefined) {
      call = { type: 'function', function: { name: '', arguments: '' } };
      calls[f.index] = call;
    }
    if (f.id !== undefined) call.id = f.id;
    if (f.type !== undefined) call.type = f.type;
    call.function.name += f.name ?? '';
    call.function.arguments += f.arguments ?? '';
  }
  return calls;
}

export function done(run: StreamRun): ChatResult {
  const last = run.events.at(-1);
  if (last?.type !== 'done') throw new Error(`expected done, got ${JSON.stringify(last)}`);
  return last.result;
}

export function error(run: StreamRun): ProviderFailure {
  const last = run.events.at(-1);
  if (last?.type !== 'error') throw new Error(`expected an error event, got ${JSON.stringify(last)}`);
  return last.failure;
}

export function ok(outcome: ChatOutcome): ChatResult {
  if (!outcome.ok) throw new Error(`expected a result, got ${JSON.stringify(outcome.failure)}`);
  return outcome.result;
}

export function failure(outcome: ChatOutcome): ProviderFailure {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.result)}`);
  return outcome.failure;
}
