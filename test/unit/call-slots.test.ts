import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CallSlots, type Stoppable } from '../../src/core/async/call-slots.js';

/** A call that can be stopped by hand. */
function call(): Stoppable & { stop(): void } {
  const listeners = new Set<() => void>();
  let stopped = false;
  return {
    get stopped() {
      return stopped;
    },
    onStop(fn) {
      if (stopped) {
        fn();
        return () => {};
      }
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    stop() {
      stopped = true;
      for (const fn of [...listeners]) fn();
      listeners.clear();
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('CallSlots', () => {
  it('grants up to max at once, then first in first out as slots are released', async () => {
    const slots = new CallSlots(2);
    const order: number[] = [];
    const releases = await Promise.all([slots.acquire(call()), slots.acquire(call())]);
    expect(slots).toMatchObject({ active: 2, pending: 0 });
    const waiting = [3, 4, 5].map((n) =>
      slots.acquire(call()).then((r) => {
        order.push(n);
        return r;
      }),
    );
    await settle();
    expect(slots).toMatchObject({ active: 2, pending: 3 });
    releases[0]!();
    releases[0]!(); // twice is harmless
    const third = await waiting[0]!;
    expect(order).toEqual([3]);
    expect(slots).toMatchObject({ active: 2, pending: 2 });
    releases[1]!();
    third!();
    const [fourth, fifth] = await Promise.all([waiting[1]!, waiting[2]!]);
    expect(order).toEqual([3, 4, 5]);
    fourth!();
    fifth!();
    expect(slots).toMatchObject({ active: 0, pending: 0 });
  });

  it('a call stopped while it waits resolves undefined and never takes a slot', async () => {
    const slots = new CallSlots(1);
    const held = await slots.acquire(call());
    const quitter = call();
    const waiting = slots.acquire(quitter);
    const next = slots.acquire(call());
    quitter.stop();
    expect(await waiting).toBeUndefined();
    expect(slots).toMatchObject({ active: 1, pending: 1 });
    held!();
    const release = await next;
    expect(release).toBeTypeOf('function');
    expect(slots).toMatchObject({ active: 1, pending: 0 });
    release!();
    expect(slots).toMatchObject({ active: 0, pending: 0 });
  });

  it('an already stopped call gets nothing at once', async () => {
    const slots = new CallSlots(1);
    const c = call();
    c.stop();
    expect(await slots.acquire(c)).toBeUndefined();
    expect(slots).toMatchObject({ active: 0, pending: 0 });
  });

  it('never holds more than max, and ends with nothing held or waiting (random schedules)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.constantFrom('acquire', 'release', 'stop'), { maxLength: 60 }),
        async (max, steps) => {
          const slots = new CallSlots(max);
          const held: (() => void)[] = [];
          const waiting: { c: ReturnType<typeof call>; done: boolean }[] = [];
          for (const step of steps) {
            if (step === 'acquire') {
              const c = call();
              const entry = { c, done: false };
              waiting.push(entry);
              void slots.acquire(c).then((release) => {
                entry.done = true;
                if (release) held.push(release);
              });
            } else if (step === 'release') held.shift()?.();
            else waiting.find((w) => !w.done && !w.c.stopped)?.c.stop();
            await settle();
            expect(slots.active).toBeLessThanOrEqual(max);
            expect(slots.active).toBe(held.length);
            expect(slots.pending).toBe(waiting.filter((w) => !w.done).length);
          }
          while (held.length > 0 || slots.pending > 0) {
            held.shift()?.();
            await settle();
          }
          expect(slots).toMatchObject({ active: 0, pending: 0 });
        },
      ),
      { numRuns: 200 },
    );
  });
});
