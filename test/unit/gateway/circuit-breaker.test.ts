import { describe, expect, it } from 'vitest';
import { type BreakerSettings, createCircuitBreaker } from '../../../src/app/gateway/circuit-breaker.js';

const SETTINGS: BreakerSettings = {
  enabled: true,
  window_ms: 10_000,
  min_requests: 100,
  error_rate: 0.5,
  consecutive_failures: 3,
  cooldown_ms: 15_000,
};

function breaker(settings: Partial<BreakerSettings> = {}) {
  const clock = { t: 1_000_000 };
  return { clock, b: createCircuitBreaker({ ...SETTINGS, ...settings }, () => clock.t) };
}

describe('circuit breaker', () => {
  it('opens after consecutive failures, probes once after the cool-down, and closes on its success', () => {
    const { clock, b } = breaker();
    for (let i = 0; i < 3; i++) b.allow()?.failure();
    expect(b.state()).toBe('open');
    expect(b.allow()).toBeUndefined();
    clock.t += 15_000;
    const probe = b.allow();
    expect(probe).toBeDefined();
    expect(b.allow()).toBeUndefined(); // one probe at a time
    probe?.success();
    expect(b.state()).toBe('closed');
    expect(b.allow()).toBeDefined();
  });

  it('opens on the error rate over the window once it holds min_requests calls', () => {
    const { b } = breaker({ min_requests: 10, consecutive_failures: 1_000 });
    for (let i = 0; i < 9; i++) i % 2 === 0 ? b.allow()?.failure() : b.allow()?.success();
    expect(b.state()).toBe('closed');
    b.allow()?.failure(); // 10 calls, 6 failed
    expect(b.state()).toBe('open');
  });

  it('a slow call let through before the circuit opened does not close it when it succeeds in the cool-down', () => {
    const { clock, b } = breaker();
    const slow = b.allow();
    for (let i = 0; i < 3; i++) b.allow()?.failure();
    expect(b.state()).toBe('open');
    clock.t += 100;
    slow?.success();
    expect(b.state()).toBe('open');
    expect(b.allow()).toBeUndefined();
  });

  it("a stale call's failure during half-open neither re-opens the circuit nor lets a second probe through", () => {
    const { clock, b } = breaker();
    const slow = b.allow();
    for (let i = 0; i < 3; i++) b.allow()?.failure();
    clock.t += 15_000;
    const probe = b.allow();
    slow?.failure();
    expect(b.state()).toBe('half_open');
    clock.t += 15_000;
    expect(b.allow()).toBeUndefined(); // the probe is still out
    probe?.success();
    expect(b.state()).toBe('closed');
  });

  it("a failed probe opens the circuit for another cool-down; a released one frees the probe's place", () => {
    const { clock, b } = breaker();
    for (let i = 0; i < 3; i++) b.allow()?.failure();
    clock.t += 15_000;
    b.allow()?.release();
    const probe = b.allow();
    expect(probe).toBeDefined();
    probe?.failure();
    expect(b.state()).toBe('open');
    clock.t += 14_999;
    expect(b.allow()).toBeUndefined();
  });

  it('a permit reports once', () => {
    const { b } = breaker();
    const p = b.allow();
    p?.failure();
    p?.failure();
    p?.failure();
    expect(b.state()).toBe('closed');
  });

  it('disabled, it lets everything through and never opens', () => {
    const { b } = breaker({ enabled: false });
    for (let i = 0; i < 10; i++) b.allow()?.failure();
    expect(b.state()).toBe('closed');
    expect(b.allow()).toBeDefined();
  });
});
