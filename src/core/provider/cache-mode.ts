/** How a response cache is used: `read` serves hits only, `write` refreshes, `readwrite` both. */
export const CACHE_MODES = ['off', 'read', 'write', 'readwrite'] as const;
export type CacheMode = (typeof CACHE_MODES)[number];
