import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deadline, type TimerHost } from '../../../src/core/async/deadline.js';

/** A fake clock with one-shot timers, advanced by hand. */
class FakeTimers implements TimerHost<number> {
  time = 0;
  sets = 0;
  clears = 0;
  #next = 1;
  readonly timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  set(fn: () => void, ms: number): number {
    this.sets++;
    const id = this.#next++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  clear(id: number): void {
    if (this.timers.delete(id)) this.clears++;
  }

  /** Moves the clock to `to`, firing due timers in order. */
  advance(to: number): void {
    for (;;) {
      const due = [...this.timers].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = to;
  }
}

describe('Deadline', () => {
  it('fires once, at the time of the last arm, with one timer however often it is moved later', () => {
    const host = new FakeTimers();
    const fired: number[] = [];
    const d = new Deadline(host, () => fired.push(host.time));
    d.arm(100);
    for (let t = 10; t <= 90; t += 10) {
      host.advance(t);
      d.arm(100);
    }
    expect(host.sets).toBe(1);
    host.advance(189);
    expect(fired).toEqual([]);
    host.advance(500);
    expect(fired).toEqual([190]);
    expect(d.armed).toBe(false);
    // The early timer (at 100) found time left and set one more for the rest.
    expect(host.sets).toBe(2);
  });

  it('replaces the timer when moved earlier', () => {
    const host = new FakeTimers();
    const fired: number[] = [];
    const d = new Deadline(host, () => fired.push(host.time));
    d.arm(1_000);
    d.arm(50);
    expect(host.clears).toBe(1);
    host.advance(2_000);
    expect(fired).toEqual([50]);
  });

  it('does not fire while disarmed, fires again once re-armed, and cancel leaves no timer', () => {
    const host = new FakeTimers();
    const fired: number[] = [];
    const d = new Deadline(host, () => fired.push(host.time));
    d.arm(100);
    d.disarm();
    host.advance(300);
    expect(fired).toEqual([]);
    d.arm(100);
    host.advance(350);
    d.cancel();
    expect(host.timers.size).toBe(0);
    host.advance(1_000);
    expect(fired).toEqual([]);
    d.arm(10);
    host.advance(1_010);
    expect(fired).toEqual([1_010]);
    expect(host.timers.size).toBe(0);
  });

  it('fires exactly at the last armed time for any sequence of arms, disarms and waits', () => {
    type Step = { kind: 'arm'; ms: number } | { kind: 'disarm' } | { kind: 'wait'; ms: number };
    const step = fc.oneof(
      fc.record({ kind: fc.constant('arm' as const), ms: fc.integer({ min: 0, max: 200 }) }),
      fc.record({ kind: fc.constant('disarm' as const) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.array(step as fc.Arbitrary<Step>, { maxLength: 40 }), (steps) => {
        const host = new FakeTimers();
        const fired: number[] = [];
        const d = new Deadline(host, () => fired.push(host.time));
        // The model: one due time or none; reaching it fires and clears it.
        let due: number | undefined;
        const expected: number[] = [];
        for (const s of steps) {
          if (s.kind === 'arm') {
            d.arm(s.ms);
            due = host.time + s.ms;
          } else if (s.kind === 'disarm') {
            d.disarm();
            due = undefined;
          } else {
            const to = host.time + s.ms;
            if (due !== undefined && due <= to) {
              expected.push(due);
              due = undefined;
            }
            host.advance(to);
          }
        }
        expect(fired).toEqual(expected);
        expect(d.armed).toBe(due !== undefined);
      }),
      { numRuns: 500 },
    );
  });
});
