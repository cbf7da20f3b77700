import type { JsonObject } from './json-value.js';

export interface CachedResponse {
  /** Content address: a hash of provider, model, params, messages and sample index. */
  readonly key: string;
  /** `provider/model`, so entries can be listed and purged per model. */
  readonly providerId: string;
  /** The successful result as stored; failures are never cached. */
  readonly result: JsonObject;
  /** Epoch milliseconds. */
  readonly createdAt: number;
}

export interface ResponseCacheStore {
  get(key: string): Promise<CachedResponse | undefined>;
  /** Writes or replaces the entry for its key. */
  put(entry: CachedResponse): Promise<void>;
  /** Deletes entries, all or one provider/model's; returns how many. */
  clear(filter?: { providerId?: string }): Promise<number>;
  count(filter?: { providerId?: string }): Promise<number>;
}
