import type { ModelProvider } from './model-provider.js';

/** The models of a project, one per variant, each with that variant's faults and cache applied. */
export interface ModelRegistry {
  /** The provider that serves a variant; throws BALLAST_ERR_NOT_FOUND for an unknown variant. */
  forVariant(variant: string): ModelProvider;
  /** Response-cache counters across every variant (hits, misses, writes, hit rate). */
  cacheStats(): { hits: number; misses: number; writes: number; hitRate: number };
  /** Closes every provider: sockets, pools and timers. */
  close(): Promise<void>;
}
