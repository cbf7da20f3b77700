import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/adapters/system-clock.js';

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('systemClock', () => {
  it('reads the wall clock and a monotonic clock', () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
    const a = systemClock.monotonic();
    expect(systemClock.monotonic()).toBeGreaterThanOrEqual(a);
  });

  it('sleeps at least the asked time', async () => {
    const started = performance.now();
    await systemClock.sleep(25);
    expect(performance.now() - started).toBeGreaterThanOrEqual(24);
  });

  it('rejects with the signal reason when aborted, and clears its timer', async () => {
    const before = timers();
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    expect(timers()).toBe(before + 1);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    expect(timers()).toBe(before);
    await expect(systemClock.sleep(10, AbortSignal.abort('already'))).rejects.toBe('already');
    expect(timers()).toBe(before);
  });
});
