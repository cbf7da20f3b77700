import type { Clock } from '../app/ports/clock.js';

/**
 * The real clock. `sleep` clears its timer when the signal aborts, so a cancelled call leaves
 * nothing scheduled (issue #3: 1,000 cancelled calls leave no timers), and rejects with the
 * signal's reason, as `AbortSignal.throwIfAborted` would.
 */
const MAX_DELAY_MS = 2_147_483_647;

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        // Node fires at once for delays past 2^31 − 1 ms; cap there instead (≈ 24.8 days).
        Math.min(MAX_DELAY_MS, Math.max(0, Number.isNaN(ms) ? 0 : ms)),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};
