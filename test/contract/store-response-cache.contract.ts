import { describe, expect, it } from 'vitest';
import { type StoreGetter, T0, uid } from './store-fixtures.js';

/** The response cache: content-addressed entries, replace on write, purge per model. */
export function responseCacheContract(getStore: StoreGetter): void {
  describe('response cache', () => {
    it('stores, replaces, counts and clears entries by provider', async () => {
      const store = getStore();
      const providerId = uid('sim/model');
      const other = uid('openai/gpt');
      const key = uid('key');
      expect(await store.responseCache.get(key)).toBeUndefined();
      await store.responseCache.put({ key, providerId, result: { text: 'first', n: 1 }, createdAt: T0 });
      await store.responseCache.put({
        key,
        providerId,
        result: { text: 'second', nested: { a: [1, 2] } },
        createdAt: T0 + 1,
      });
      await store.responseCache.put({ key: uid('key'), providerId, result: { text: 'x' }, createdAt: T0 });
      await store.responseCache.put({
        key: uid('key'),
        providerId: other,
        result: { text: 'y' },
        createdAt: T0,
      });
      expect(await store.responseCache.get(key)).toEqual({
        key,
        providerId,
        result: { text: 'second', nested: { a: [1, 2] } },
        createdAt: T0 + 1,
      });
      expect(await store.responseCache.count({ providerId })).toBe(2);
      expect(await store.responseCache.clear({ providerId })).toBe(2);
      expect(await store.responseCache.get(key)).toBeUndefined();
      expect(await store.responseCache.count({ providerId: other })).toBe(1);
    });
  });
}
