import { describe, expect, it } from 'vitest';
import { InFlight } from '../../src/core/async/in-flight.js';

describe('InFlight', () => {
  it('drained() resolves at once when nothing is in flight', async () => {
    await expect(new InFlight().drained()).resolves.toBeUndefined();
  });

  it('drained() waits for the last of the work in flight, failed work included', async () => {
    const work = new InFlight();
    let finishA!: () => void;
    let failB!: (e: Error) => void;
    const a = work.track(() => new Promise<void>((r) => (finishA = r)));
    const b = work.track(() => new Promise<void>((_, j) => (failB = j)));
    expect(work.count).toBe(2);
    let drained = false;
    const waiting = work.drained().then(() => (drained = true));
    finishA();
    await a;
    await Promise.resolve();
    expect(drained).toBe(false);
    failB(new Error('upstream'));
    await expect(b).rejects.toThrow('upstream');
    await waiting;
    expect(drained).toBe(true);
    expect(work.count).toBe(0);
  });

  it('a leave() with nothing in flight does not make the count negative', () => {
    const work = new InFlight();
    work.leave();
    work.enter();
    expect(work.count).toBe(1);
  });
});
