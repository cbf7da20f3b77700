import type { Clock, Random } from '../../app/ports/clock.js';
import type { ProviderConfig } from '../../core/spec/project-schema.js';
import { anthropicStreamDecoder } from './anthropic-stream.js';
import { anthropicRequestBody, parseAnthropicCompletion } from './anthropic-wire.js';
import type { WireFormat } from './http-attempt.js';
import {
  createHttpProvider,
  DEFAULT_IDLE_TIMEOUT_MS,
  type HttpModelProvider,
  lowerCaseKeys,
} from './http-provider.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';

export type AnthropicProviderConfig = Extract<ProviderConfig, { type: 'anthropic' }>;

export interface AnthropicProviderOptions {
  readonly name: string;
  readonly config: AnthropicProviderConfig;
  readonly model: string;
  readonly clock: Clock;
  readonly random: Random;
  /** Longest silence allowed between bytes of a response (default: 30 s, at most timeoutMs). */
  readonly idleTimeoutMs?: number;
  /** A transport shared by every variant of this provider; without one the provider makes its own. */
  readonly transport?: HttpTransport;
}

/** Anthropic's Messages API (`POST /v1/messages`, `x-api-key`, `anthropic-version`). */
export function createAnthropicProvider(options: AnthropicProviderOptions): HttpModelProvider {
  const { config } = options;
  return createHttpProvider({
    id: `${options.name}/${options.model}`,
    model: options.model,
    wire: anthropicWireFormat(config),
    transport: options.transport ?? createHttpTransport({ maxConcurrency: config.maxConcurrency }),
    clock: options.clock,
    random: options.random,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: Math.min(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, config.timeoutMs),
    retries: config.retries,
    pricing: config.pricing,
  });
}

export function anthropicWireFormat(config: AnthropicProviderConfig): WireFormat {
  // The documented base is https://api.anthropic.com; accept one that already ends in /v1 too.
  const base = config.baseUrl.replace(/\/+$/, '');
  const url = new URL(base.endsWith('/v1') ? `${base}/messages` : `${base}/v1/messages`);
  const headers = (stream: boolean): Record<string, string> => ({
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    'anthropic-version': config.anthropicVersion,
    ...(config.apiKey === undefined ? {} : { 'x-api-key': config.apiKey }),
    ...lowerCaseKeys(config.headers),
  });
  return {
    request: (request, model, stream) => ({
      url,
      headers: headers(stream),
      body: JSON.stringify(anthropicRequestBody(request, model, stream)),
    }),
    parseCompletion: parseAnthropicCompletion,
    streamDecoder: anthropicStreamDecoder,
  };
}
