import { createHash } from 'node:crypto';
import { stringify } from 'safe-stable-stringify';
import type { Clock } from '../../app/ports/clock.js';
import type { JsonObject } from '../../app/ports/json-value.js';
import type { CallOptions, ModelProvider } from '../../app/ports/model-provider.js';
import type { ResponseCacheStore } from '../../app/ports/response-cache-store.js';
import type { CacheMode } from '../../core/provider/cache-mode.js';
import type { ChatOutcome, ChatRequest, ChatResult, StreamEvent } from '../../core/provider/chat.js';

export interface CacheStats {
  hits: number;
  misses: number;
  writes: number;
  /** hits / (hits + misses); 0 before any lookup. */
  hitRate: number;
}

export interface CachedProvider extends ModelProvider {
  stats(): CacheStats;
}

/**
 * The content address of a request: provider and model, parameters, messages and sample index.
 * Keys are sorted before hashing so equal requests hash equally whatever their key order.
 */
export function cacheKey(providerId: string, request: ChatRequest, namespace = ''): string {
  const material = stringify({
    v: 2,
    provider: providerId,
    // What else decides the answer: the endpoint, or the sim's profile and seed. Without it two
    // sim variants on the same model would share answers.
    namespace,
    reference: request.reference ?? null,
    model: request.model,
    params: request.params,
    messages: request.messages,
    sample: request.sampleIndex ?? 0,
  });
  return createHash('sha256')
    .update(material ?? '')
    .digest('hex');
}

/**
 * A response cache in front of a provider, kept in the store. `read` serves hits and never
 * writes, `write` always calls and stores, `readwrite` does both. Failures are never cached,
 * and neither is a stream that did not end in `done`.
 */
export function withResponseCache(
  inner: ModelProvider,
  options: { mode: CacheMode; store: ResponseCacheStore; clock: Clock; namespace?: string },
): CachedProvider {
  const { mode, store, clock } = options;
  const namespace = options.namespace ?? '';
  const reads = mode === 'read' || mode === 'readwrite';
  const writes = mode === 'write' || mode === 'readwrite';
  const counters = { hits: 0, misses: 0, writes: 0, errors: 0 };

  const lookup = async (key: string): Promise<ChatResult | undefined> => {
    if (!reads) return undefined;
    // The cache is an optimisation: a store that fails counts as a miss, never a failed call.
    const entry = await store.get(key).catch(() => {
      counters.errors++;
      return undefined;
    });
    if (entry) counters.hits++;
    else counters.misses++;
    return entry ? { ...(entry.result as unknown as ChatResult), cached: true } : undefined;
  };
  const save = async (key: string, result: ChatResult): Promise<void> => {
    if (!writes) return;
    const { cached: _cached, ...stored } = result;
    try {
      await store.put({
        key,
        providerId: inner.id,
        result: stored as unknown as JsonObject,
        createdAt: clock.now(),
      });
      counters.writes++;
    } catch {
      counters.errors++;
    }
  };

  return {
    id: inner.id,
    close: () => inner.close(),
    stats: () => {
      const looked = counters.hits + counters.misses;
      const { errors: _errors, ...shown } = counters;
      return { ...shown, hitRate: looked === 0 ? 0 : counters.hits / looked };
    },

    async complete(request: ChatRequest, callOptions?: CallOptions): Promise<ChatOutcome> {
      if (mode === 'off') return inner.complete(request, callOptions);
      const key = cacheKey(inner.id, request, namespace);
      const hit = await lookup(key);
      if (hit) return { ok: true, result: hit };
      const outcome = await inner.complete(request, callOptions);
      if (outcome.ok) await save(key, outcome.result);
      return outcome;
    },

    async *stream(request: ChatRequest, callOptions?: CallOptions): AsyncIterable<StreamEvent> {
      if (mode === 'off') {
        yield* inner.stream(request, callOptions);
        return;
      }
      const key = cacheKey(inner.id, request, namespace);
      const hit = await lookup(key);
      if (hit) {
        if (hit.text !== '') yield { type: 'delta', text: hit.text };
        yield { type: 'done', result: hit };
        return;
      }
      for await (const event of inner.stream(request, callOptions)) {
        if (event.type === 'done') await save(key, event.result);
        yield event;
      }
    },
  };
}
