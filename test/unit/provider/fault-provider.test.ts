import { describe, expect, it } from 'vitest';
import { withFaults } from '../../../src/adapters/providers/fault-provider.js';
import type { ChatRequest } from '../../../src/core/provider/chat.js';
import { planFaults } from '../../../src/core/provider/fault-plan.js';
import { faultProfileSchema } from '../../../src/core/spec/fault-profile.js';
import { collect, echoProvider, steppingClock } from '../../support/scripted-provider.js';

const request: ChatRequest = {
  model: 'm',
  messages: [{ role: 'user', content: 'one two three four five' }],
  params: {},
};
const profile = (p: Record<string, unknown>) => faultProfileSchema.parse(p);

/** A seeded uniform source (mulberry32), so rate checks are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('planFaults', () => {
  it('injects nothing when disabled or absent', () => {
    expect(planFaults(undefined, Math.random).failure).toBeUndefined();
    const off = planFaults(profile({ enabled: false, error_rate: 1, latency_ms: 50 }), Math.random);
    expect(off).toMatchObject({ addedLatencyMs: 0, failure: undefined });
  });

  it('fails at the configured rates, overall and per kind (binomial tolerance)', () => {
    const n = 20_000;
    const random = seeded(7);
    const overall = profile({ error_rate: 0.1 });
    const perKind = profile({ error_rate: { rate_limit: 0.05, timeout: 0.02 } });
    let upstream = 0;
    const kinds: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      if (planFaults(overall, random).failure === 'upstream') upstream++;
      const k = planFaults(perKind, random).failure;
      if (k) kinds[k] = (kinds[k] ?? 0) + 1;
    }
    const within = (count: number, p: number) => Math.abs(count / n - p) < 4 * Math.sqrt((p * (1 - p)) / n);
    expect(within(upstream, 0.1)).toBe(true);
    expect(within(kinds.rate_limit ?? 0, 0.05)).toBe(true);
    // timeout is drawn only when rate_limit was not: 0.95 × 0.02.
    expect(within(kinds.timeout ?? 0, 0.95 * 0.02)).toBe(true);
    expect(Object.keys(kinds).sort()).toEqual(['rate_limit', 'timeout']);
  });

  it('adds fixed latency, jitter below its bound, and spikes', () => {
    const random = seeded(3);
    const p = profile({ latency_ms: 100, jitter_ms: 50, spike_rate: 1, spike_ms: 1000 });
    for (let i = 0; i < 100; i++) {
      const { addedLatencyMs } = planFaults(p, random);
      expect(addedLatencyMs).toBeGreaterThanOrEqual(1100);
      expect(addedLatencyMs).toBeLessThan(1150);
    }
  });
});

describe('withFaults', () => {
  it('fails before the upstream is called, with an OpenAI-like status', async () => {
    const inner = echoProvider();
    const faulty = withFaults(inner, {
      profile: profile({ error_rate: { rate_limit: 1 } }),
      clock: steppingClock(),
      random: seeded(1),
    });
    const outcome = await faulty.complete(request);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: 'rate_limit', status: 429 } });
    expect(inner.calls).toHaveLength(0);
    const events = await collect(faulty.stream(request));
    expect(events).toEqual([
      { type: 'error', failure: expect.objectContaining({ kind: 'rate_limit', afterContent: false }) },
    ]);
    expect(faulty.counts()).toMatchObject({ calls: 2, failed: { rate_limit: 2 } });
  });

  it('adds latency to the call and to the reported latency', async () => {
    const clock = steppingClock();
    const faulty = withFaults(echoProvider(), {
      profile: profile({ latency_ms: 250 }),
      clock,
      random: seeded(1),
    });
    const outcome = await faulty.complete(request);
    expect(clock.sleeps).toEqual([250]);
    expect(outcome).toMatchObject({ ok: true, result: { latencyMs: 350, ttftMs: 290 } });
  });

  it('cuts a stream after content with an explicit error, never a clean end', async () => {
    const faulty = withFaults(echoProvider(), {
      profile: profile({ cut_rate: 1 }),
      clock: steppingClock(),
      random: seeded(2),
    });
    const events = await collect(faulty.stream(request));
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'error', failure: { kind: 'network', afterContent: true } });
    expect(events.some((e) => e.type === 'done')).toBe(false);
    expect(events.filter((e) => e.type === 'delta').length).toBeGreaterThan(0);
  });

  it('stalls after the first delta, and a stall can be cancelled', async () => {
    const clock = steppingClock();
    const faulty = withFaults(echoProvider(), {
      profile: profile({ stall_rate: 1, stall_ms: 30_000 }),
      clock,
      random: seeded(2),
    });
    const events = await collect(faulty.stream(request));
    expect(clock.sleeps).toEqual([30_000]);
    expect(events.at(-1)?.type).toBe('done');
    const aborted = new AbortController();
    aborted.abort();
    const cancelled = await collect(faulty.stream(request, { signal: aborted.signal }));
    expect(cancelled.at(-1)).toMatchObject({
      type: 'error',
      failure: { kind: 'cancelled', afterContent: true },
    });
    // The gateway's CancelSignal (no AbortSignal) stops the stall the same way.
    const gatewaySignal = {
      aborted: true,
      onAbort: (fn: () => void) => {
        fn();
        return () => {};
      },
    };
    const cancelledByGateway = await collect(faulty.stream(request, { signal: gatewaySignal }));
    expect(cancelledByGateway.at(-1)).toMatchObject({
      type: 'error',
      failure: { kind: 'cancelled', afterContent: true },
    });
  });

  it('turns a good body into a malformed-JSON upstream failure, and can be switched at run time', async () => {
    const faulty = withFaults(echoProvider(), {
      profile: profile({ malformed_rate: 1 }),
      clock: steppingClock(),
      random: seeded(2),
    });
    expect(await faulty.complete(request)).toMatchObject({
      ok: false,
      failure: { kind: 'upstream', message: expect.stringContaining('malformed') },
    });
    faulty.setFaults(undefined);
    expect(await faulty.complete(request)).toMatchObject({
      ok: true,
      result: { text: 'echo: one two three four five' },
    });
    faulty.setFaults(profile({ error_rate: 1 }));
    expect(await faulty.complete(request)).toMatchObject({ ok: false, failure: { kind: 'upstream' } });
  });

  it('without an enabled profile passes calls and streams through unchanged, and still counts them', async () => {
    const inner = echoProvider();
    for (const p of [undefined, profile({ enabled: false, error_rate: 1, latency_ms: 50 })]) {
      const faulty = withFaults(inner, { profile: p, clock: steppingClock(), random: seeded(3) });
      expect(await faulty.complete(request)).toEqual(await inner.complete(request));
      expect(await collect(faulty.stream(request))).toEqual(await collect(inner.stream(request)));
      expect(faulty.counts()).toMatchObject({ calls: 2, delayed: 0, failed: {}, cut: 0 });
      // Switched on at run time, the next stream gets its faults.
      faulty.setFaults(profile({ error_rate: { network: 1 } }));
      expect((await collect(faulty.stream(request))).at(-1)).toMatchObject({
        type: 'error',
        failure: { kind: 'network' },
      });
    }
  });
});
