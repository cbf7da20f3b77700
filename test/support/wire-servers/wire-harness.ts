import type { HttpModelProvider } from '../../../src/adapters/providers/http-provider.js';
import type { Clock, Random } from '../../../src/app/ports/clock.js';
import type {
  HarnessOptions,
  ProviderContractSetup,
  ProviderHarness,
  Scenario,
  ScenarioKind,
} from './provider-harness.js';
import { recordingClock, seededRandom } from './recording-clock.js';
import type { WireServer, WireStep } from './wire-server.js';

export interface WireProviderArgs {
  readonly baseUrl: string;
  readonly options: HarnessOptions;
  readonly clock: Clock;
  readonly random: Random;
}

const ALL: readonly ScenarioKind[] = [
  'reply',
  'http-error',
  'reset',
  'hang',
  'cut',
  'stall',
  'malformed-chunk',
  'no-terminator',
  'stream-error',
  'hold-after-end',
];

/**
 * The provider contract's setup for an HTTP provider: one wire server per suite (started on
 * first use), a fresh provider per case, scenarios turned into wire steps.
 */
export function wireContractSetup(
  model: string,
  start: () => Promise<WireServer>,
  makeProvider: (args: WireProviderArgs) => HttpModelProvider,
): ProviderContractSetup {
  let server: Promise<WireServer> | undefined;
  return {
    model,
    supports: ALL,
    async create(options): Promise<ProviderHarness> {
      server ??= start();
      const wire = await server;
      wire.reset();
      const clock = recordingClock();
      const provider = makeProvider({ baseUrl: wire.url, options, clock, random: seededRandom(7) });
      return {
        provider,
        sleeps: clock.sleeps,
        script: (...scenarios) => wire.script(...scenarios.map(wireStep)),
        requestTimes: () => wire.requests.map((r) => r.at),
        malformedChunks: () => provider.stats().malformedChunks,
        openConnections: () => wire.openConnections(),
        close: () => provider.close(),
      };
    },
    async dispose() {
      await (await server)?.close();
    },
  };
}

export function wireStep(scenario: Scenario): WireStep {
  switch (scenario.kind) {
    case 'reply':
      return {
        text: scenario.text,
        chunks: scenario.chunks,
        usage: scenario.usage && { input: scenario.usage.inputTokens, output: scenario.usage.outputTokens },
        finish: scenario.finishReason,
        delayMs: scenario.delayMs,
        chunkDelayMs: scenario.chunkDelayMs,
      };
    case 'http-error':
      return {
        status: scenario.status,
        headers: scenario.retryAfter === undefined ? undefined : { 'retry-after': scenario.retryAfter },
        errorKind: scenario.contentFilter ? 'content_filter' : undefined,
      };
    case 'reset':
      return { reset: true };
    case 'hang':
      return { hang: true };
    case 'cut':
      return { text: scenario.text, cutAfterChunks: scenario.afterChunks };
    case 'stall':
      return { text: scenario.text, stallAfterChunks: scenario.afterChunks };
    case 'malformed-chunk':
      return { text: scenario.text, malformedAt: scenario.atChunk };
    case 'no-terminator':
      return {
        text: scenario.text,
        usage: scenario.usage && { input: scenario.usage.inputTokens, output: scenario.usage.outputTokens },
        omitTerminator: true,
        omitFinish: !scenario.withFinish,
      };
    case 'hold-after-end':
      return {
        text: scenario.text,
        usage: scenario.usage && { input: scenario.usage.inputTokens, output: scenario.usage.outputTokens },
        holdAfterTerminator: true,
      };
    case 'stream-error':
      return {
        text: scenario.text,
        streamErrorAfterChunks: scenario.afterChunks,
        errorKind: scenario.errorKind,
      };
  }
}
