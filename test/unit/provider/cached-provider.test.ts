import { describe, expect, it } from 'vitest';
import { cacheKey, withResponseCache } from '../../../src/adapters/providers/cached-provider.js';
import type { CachedResponse, ResponseCacheStore } from '../../../src/app/ports/response-cache-store.js';
import type { ChatRequest } from '../../../src/core/provider/chat.js';
import { collect, echoProvider, steppingClock } from '../../support/scripted-provider.js';

function memoryCache(): ResponseCacheStore & { entries: Map<string, CachedResponse> } {
  const entries = new Map<string, CachedResponse>();
  return {
    entries,
    get: async (key) => entries.get(key),
    put: async (entry) => void entries.set(entry.key, entry),
    clear: async () => {
      const n = entries.size;
      entries.clear();
      return n;
    },
    count: async () => entries.size,
  };
}

const request = (content: string, sampleIndex = 0): ChatRequest => ({
  model: 'm',
  messages: [{ role: 'user', content }],
  params: { temperature: 0.7, max_tokens: 50 },
  sampleIndex,
});

describe('cacheKey', () => {
  it('is the same for equal requests whatever their key order, and differs by sample and params', () => {
    const a = cacheKey('p/m', request('hi'));
    const reordered: ChatRequest = {
      sampleIndex: 0,
      params: { max_tokens: 50, temperature: 0.7 },
      messages: [{ content: 'hi', role: 'user' }],
      model: 'm',
    };
    expect(cacheKey('p/m', reordered)).toBe(a);
    expect(cacheKey('p/m', request('hi', 1))).not.toBe(a);
    expect(cacheKey('p/other', request('hi'))).not.toBe(a);
    expect(cacheKey('p/m', { ...request('hi'), params: { temperature: 0 } })).not.toBe(a);
    // Two sim variants on one model differ only by profile: the namespace keeps their answers apart.
    expect(cacheKey('p/m', request('hi'), '{"sim":{"accuracy":0}}')).not.toBe(
      cacheKey('p/m', request('hi'), '{"sim":{"accuracy":1}}'),
    );
    expect(cacheKey('p/m', { ...request('hi'), reference: 'x' })).not.toBe(a);
  });
});

describe('withResponseCache', () => {
  it('readwrite: the second identical call is a hit and never reaches the provider', async () => {
    const inner = echoProvider();
    const store = memoryCache();
    const cached = withResponseCache(inner, { mode: 'readwrite', store, clock: steppingClock() });
    const first = await cached.complete(request('hello'));
    const second = await cached.complete(request('hello'));
    expect(inner.calls).toHaveLength(1);
    expect(first).toMatchObject({ ok: true, result: { text: 'echo: hello' } });
    expect(second).toMatchObject({ ok: true, result: { text: 'echo: hello', cached: true } });
    expect(cached.stats()).toEqual({ hits: 1, misses: 1, writes: 1, hitRate: 0.5 });
    const streamed = await collect(cached.stream(request('hello')));
    expect(streamed).toEqual([
      { type: 'delta', text: 'echo: hello' },
      { type: 'done', result: expect.objectContaining({ cached: true }) },
    ]);
    expect(inner.calls).toHaveLength(1);
  });

  it('read never writes, write never reads, off does neither', async () => {
    const store = memoryCache();
    const inner = echoProvider();
    await withResponseCache(inner, { mode: 'read', store, clock: steppingClock() }).complete(request('x'));
    expect(store.entries.size).toBe(0);
    const writer = withResponseCache(inner, { mode: 'write', store, clock: steppingClock() });
    await writer.complete(request('x'));
    await writer.complete(request('x'));
    expect(inner.calls).toHaveLength(3);
    expect(store.entries.size).toBe(1);
    const off = withResponseCache(inner, { mode: 'off', store, clock: steppingClock() });
    await off.complete(request('x'));
    expect(inner.calls).toHaveLength(4);
    expect(off.stats().hitRate).toBe(0);
  });

  it('treats a failing cache store as a miss, never as a failed call', async () => {
    const broken: ResponseCacheStore = {
      get: async () => {
        throw new Error('database is locked');
      },
      put: async () => {
        throw new Error('database is locked');
      },
      clear: async () => 0,
      count: async () => 0,
    };
    const cached = withResponseCache(echoProvider(), {
      mode: 'readwrite',
      store: broken,
      clock: steppingClock(),
    });
    expect(await cached.complete(request('x'))).toMatchObject({ ok: true, result: { text: 'echo: x' } });
    expect(cached.stats()).toMatchObject({ hits: 0, writes: 0 });
  });

  it('never caches failures or streams that did not finish', async () => {
    const store = memoryCache();
    const failing = {
      ...echoProvider(),
      complete: async () => ({
        ok: false as const,
        failure: { kind: 'upstream' as const, message: '503', attempts: 3, latencyMs: 5 },
      }),
    };
    const cached = withResponseCache(failing, { mode: 'readwrite', store, clock: steppingClock() });
    expect((await cached.complete(request('x'))).ok).toBe(false);
    expect(store.entries.size).toBe(0);
    const cut = {
      ...echoProvider(),
      async *stream() {
        yield { type: 'delta' as const, text: 'par' };
        yield {
          type: 'error' as const,
          failure: {
            kind: 'network' as const,
            message: 'reset',
            attempts: 1,
            latencyMs: 5,
            afterContent: true,
          },
        };
      },
    };
    await collect(
      withResponseCache(cut, { mode: 'readwrite', store, clock: steppingClock() }).stream(request('y')),
    );
    expect(store.entries.size).toBe(0);
  });
});
