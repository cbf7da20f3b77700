import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createSimProvider } from '../../src/adapters/providers/sim-provider.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import type { Clock } from '../../src/app/ports/clock.js';
import type { StreamEvent } from '../../src/core/provider/chat.js';
import { planResponse } from '../../src/core/sim/plan-response.js';
import { CHUNK_JITTER } from '../../src/core/sim/sim-timing.js';
import type { SimProfile } from '../../src/core/spec/sim-profile.js';
import { collect, question, simProfile, virtualClock } from '../unit/sim/provider-fixtures.js';

const REFERENCE =
  'Settings > Security > Two-factor authentication, then scan the QR code with an authenticator app on your phone.';
const PROVIDER = { seed: 42, pricing: {} };

function sim(profile: SimProfile, clock: Clock, timeScale?: number) {
  return createSimProvider({
    providerName: 'sim',
    provider: PROVIDER,
    variant: { model: 'sim-stream', sim: profile },
    clock,
    ...(timeScale === undefined ? {} : { timeScale }),
  });
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

describe('sim streaming cadence', () => {
  it('sends each delta at its planned time: TTFT first, then every chunk_ms', async () => {
    const profile = simProfile({
      accuracy: 1,
      latency: { median_ms: 3000, p95_ms: 3000 },
      ttft: { median_ms: 120, p95_ms: 120 },
      chunk_ms: 25,
    });
    const clock = virtualClock();
    const request = question('2fa?', { reference: REFERENCE });
    const arrivals: { event: StreamEvent; at: number }[] = [];
    for await (const event of sim(profile, clock).stream(request))
      arrivals.push({ event, at: clock.monotonic() });

    const plan = planResponse({ providerSeed: 42, profile, model: 'sim-stream', request, timeoutMs: 60_000 });
    if (!plan.ok) throw new Error('expected an answer');
    const deltas = arrivals.filter((a) => a.event.type === 'delta');
    expect(deltas.map((d) => d.at)).toEqual(plan.chunks.map((c) => c.atMs));
    expect(deltas[0]?.at).toBe(120);
    const gaps = deltas.slice(1).map((d, i) => d.at - deltas[i]!.at);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(25 * (1 - CHUNK_JITTER) - 0.2);
      expect(gap).toBeLessThanOrEqual(25 * (1 + CHUNK_JITTER) + 0.2);
    }
    expect(arrivals.at(-1)).toMatchObject({
      at: 3000,
      event: { type: 'done', result: { ttftMs: 120, latencyMs: 3000 } },
    });
  });

  it('takes about the planned time in real time (lower bound only)', async () => {
    const profile = simProfile({
      accuracy: 1,
      latency: { median_ms: 40, p95_ms: 40 },
      ttft: { median_ms: 10, p95_ms: 10 },
      chunk_ms: 2,
    });
    const started = performance.now();
    const events = await collect(sim(profile, systemClock), question('2fa?', { reference: REFERENCE }));
    const elapsed = performance.now() - started;
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { latencyMs: 40 } });
    expect(elapsed).toBeGreaterThanOrEqual(38);

    const start2 = performance.now();
    const outcome = await sim(profile, systemClock).complete(question('2fa?', { reference: REFERENCE }));
    expect(outcome.ok).toBe(true);
    expect(performance.now() - start2).toBeGreaterThanOrEqual(38);
  });

  it('does not wait at timeScale 0, and reports the planned times all the same', async () => {
    const profile = simProfile({
      latency: { median_ms: 60_000, p95_ms: 60_000 },
      ttft: { median_ms: 5000, p95_ms: 5000 },
    });
    const started = performance.now();
    const events = await collect(sim(profile, systemClock, 0), question('2fa?', { reference: REFERENCE }));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(events.at(-1)).toMatchObject({ type: 'done', result: { latencyMs: 60_000 } });
  });
});

describe('sim cancellation', () => {
  const slow = simProfile({
    accuracy: 1,
    latency: { median_ms: 5000, p95_ms: 5000 },
    ttft: { median_ms: 50, p95_ms: 50 },
    chunk_ms: 40,
  });

  it('ends a stream mid-way with cancelled, after content, promptly', async () => {
    const controller = new AbortController();
    const events: StreamEvent[] = [];
    let abortedAt = 0;
    for await (const event of sim(slow, systemClock).stream(question('2fa?', { reference: REFERENCE }), {
      signal: controller.signal,
    })) {
      events.push(event);
      if (event.type === 'delta' && events.length === 2) {
        abortedAt = performance.now();
        setTimeout(() => controller.abort(), 10);
      }
    }
    const endedAfter = performance.now() - abortedAt;
    expect(events.filter((e) => e.type === 'delta').length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      failure: { kind: 'cancelled', afterContent: true },
    });
    expect(endedAfter).toBeLessThan(2000); // the plan still had seconds to go
  });

  it('cancels complete() while it waits, and refuses a signal already aborted', async () => {
    const controller = new AbortController();
    const pending = sim(slow, systemClock).complete(question('x'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const started = performance.now();
    expect(await pending).toMatchObject({ ok: false, failure: { kind: 'cancelled', attempts: 1 } });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(
      await sim(slow, systemClock).complete(question('x'), { signal: AbortSignal.abort() }),
    ).toMatchObject({
      ok: false,
      failure: { kind: 'cancelled', latencyMs: 0 },
    });
    expect(await collect(sim(slow, systemClock), question('x'), AbortSignal.abort())).toEqual([
      { type: 'error', failure: expect.objectContaining({ kind: 'cancelled', afterContent: false }) },
    ]);
  });

  it('close() cancels calls in flight and refuses later ones', async () => {
    const provider = sim(slow, systemClock);
    const pending = provider.complete(question('x'));
    const streaming = collect(provider, question('y'));
    setTimeout(() => void provider.close(), 20);
    expect(await pending).toMatchObject({ ok: false, failure: { kind: 'cancelled' } });
    expect((await streaming).at(-1)).toMatchObject({ type: 'error', failure: { kind: 'cancelled' } });
    expect(await provider.complete(question('z'))).toMatchObject({
      ok: false,
      failure: { kind: 'cancelled' },
    });
  });

  it('leaves no timers and no listeners after 1,000 calls with cancellations', async () => {
    const before = timers();
    const shared = new AbortController();
    const provider = sim(slow, systemClock);
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 1000; i++) {
      const own = new AbortController();
      const signal = i % 3 === 0 ? shared.signal : own.signal;
      const request = question(`q${i}`, { reference: REFERENCE });
      calls.push(i % 2 === 0 ? provider.complete(request, { signal }) : collect(provider, request, signal));
      if (i % 3 !== 0) setTimeout(() => own.abort(), i % 50);
    }
    // One listener on a signal shared by 334 calls, not 334.
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    setTimeout(() => shared.abort(), 30);
    const outcomes = await Promise.all(calls);
    expect(outcomes).toHaveLength(1000);
    for (const outcome of outcomes) {
      const failure = Array.isArray(outcome)
        ? (outcome.at(-1) as StreamEvent & { type: 'error' }).failure
        : (outcome as { failure: unknown }).failure;
      expect(failure).toMatchObject({ kind: 'cancelled' });
    }
    // ≤, not =: a timer another test left (vitest's own) may fire meanwhile; a leak would add 1,000.
    expect(timers()).toBeLessThanOrEqual(before);
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
    await provider.close();
  });
});
