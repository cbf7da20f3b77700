import type { Clock, Random } from '../../app/ports/clock.js';
import type { ProviderConfig } from '../../core/spec/project-schema.js';
import type { WireFormat } from './http-attempt.js';
import {
  createHttpProvider,
  DEFAULT_IDLE_TIMEOUT_MS,
  type HttpModelProvider,
  lowerCaseKeys,
} from './http-provider.js';
import { createHttpTransport, type HttpTransport } from './http-transport.js';
import { openaiStreamDecoder } from './openai-stream.js';
import { openaiRequestBody, parseOpenAICompletion } from './openai-wire.js';

export type OpenAIProviderConfig = Extract<ProviderConfig, { type: 'openai' }>;

export interface OpenAIProviderOptions {
  /** The provider's name in ballast.yaml (the first half of the provider id). */
  readonly name: string;
  readonly config: OpenAIProviderConfig;
  /** The variant's model. */
  readonly model: string;
  readonly clock: Clock;
  readonly random: Random;
  /** Longest silence allowed between bytes of a response (default: 30 s, at most timeoutMs). */
  readonly idleTimeoutMs?: number;
  /**
   * The pool and concurrency limit to use, shared by every variant of this provider (see
   * createHttpTransportRegistry). Without one the provider makes its own; close() closes either.
   */
  readonly transport?: HttpTransport;
}

/**
 * Any OpenAI-compatible chat-completions API: OpenAI, Azure OpenAI (when `apiVersion` is set:
 * the `api-version` query parameter and an `api-key` header), vLLM, Ollama, llama.cpp server,
 * LM Studio, Groq, Together.
 */
export function createOpenAIProvider(options: OpenAIProviderOptions): HttpModelProvider {
  const { config } = options;
  return createHttpProvider({
    id: `${options.name}/${options.model}`,
    model: options.model,
    wire: openaiWireFormat(config),
    transport: options.transport ?? createHttpTransport({ maxConcurrency: config.maxConcurrency }),
    clock: options.clock,
    random: options.random,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: Math.min(options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, config.timeoutMs),
    retries: config.retries,
    pricing: config.pricing,
  });
}

export function openaiWireFormat(config: OpenAIProviderConfig): WireFormat {
  const url = new URL(`${config.baseUrl.replace(/\/+$/, '')}/chat/completions`);
  if (config.apiVersion !== undefined) url.searchParams.set('api-version', config.apiVersion);
  const auth: Record<string, string> = {};
  if (config.apiKey !== undefined) {
    if (config.apiVersion !== undefined) auth['api-key'] = config.apiKey;
    else auth.authorization = `Bearer ${config.apiKey}`;
  }
  const headers = (stream: boolean): Record<string, string> => ({
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...auth,
    // Last, so a gateway in front of the provider can replace any of the above.
    ...lowerCaseKeys(config.headers),
  });
  return {
    request: (request, model, stream) => ({
      url,
      headers: headers(stream),
      body: JSON.stringify(openaiRequestBody(request, model, stream)),
    }),
    parseCompletion: parseOpenAICompletion,
    streamDecoder: openaiStreamDecoder,
  };
}
