import { describe, expect, it } from 'vitest';
import { createSimProvider } from '../../src/adapters/providers/sim-provider.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { lognormalParams } from '../../src/core/hash/distributions.js';
import type { ChatOutcome, FailureKind } from '../../src/core/provider/chat.js';
import { planResponse } from '../../src/core/sim/plan-response.js';
import { SIM_REFUSALS, SIM_UNSAFE_SNIPPETS } from '../../src/core/sim/sim-answers.js';
import type { SimProfile } from '../../src/core/spec/sim-profile.js';
import { question, simProfile } from '../unit/sim/provider-fixtures.js';

/**
 * The sim's profile is a promise about rates and latency quantiles. These tests check it over
 * many seeded calls at timeScale 0, with tolerances of ±4 standard errors: a correct simulator
 * fails one by chance about once in 16,000 runs (and, being seeded, never flakes).
 */
const N = 20_000;

async function run(profile: SimProfile, n = N): Promise<{ outcome: ChatOutcome; reference: string }[]> {
  const sim = createSimProvider({
    providerName: 'sim',
    provider: { seed: 42, pricing: {} },
    variant: { model: 'sim-stat', sim: profile },
    clock: systemClock,
    timeScale: 0,
  });
  const calls = [];
  for (let i = 0; i < n; i++) {
    const reference = `Settings > Section ${i % 97} > Item ${i}.`;
    calls.push(
      sim
        .complete(question(`question number ${i}?`, { reference }))
        .then((outcome) => ({ outcome, reference })),
    );
  }
  return Promise.all(calls);
}

/** |observed − p| < 4 · √(p(1−p)/n), the normal approximation to the binomial. */
function expectRate(successes: number, n: number, p: number): void {
  const tolerance = 4 * Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(successes / n - p), `observed ${(successes / n).toFixed(4)}, configured ${p}`).toBeLessThan(
    tolerance,
  );
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Standard error of the log of a sample quantile of a log-normal: the asymptotic variance of a
 * sample q-quantile is q(1−q) / (n f(ξ_q)²) (e.g. Serfling, Approximation Theorems of
 * Mathematical Statistics, 1980, §2.3.3); on the log scale f is the normal density times 1/σ.
 */
function logQuantileSe(q: number, z: number, sigma: number, n: number): number {
  const density = Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  return (sigma * Math.sqrt(q * (1 - q))) / (Math.sqrt(n) * density);
}

describe('sim statistical profile', () => {
  it('fails, refuses, leaks and answers correctly at the configured rates', async () => {
    const profile = simProfile({ accuracy: 0.7, error_rate: 0.05, refusal_rate: 0.08, unsafe_rate: 0.04 });
    const results = await run(profile);
    const answered = results.flatMap(({ outcome, reference }) =>
      outcome.ok ? [{ text: outcome.result.text, reference }] : [],
    );
    const failures = results.filter((r) => !r.outcome.ok);
    expectRate(failures.length, N, 0.05);
    expect(failures.every((r) => !r.outcome.ok && r.outcome.failure.kind === 'upstream')).toBe(true);

    const refusals = answered.filter((a) => SIM_REFUSALS.includes(a.text));
    const unsafe = answered.filter((a) => SIM_UNSAFE_SNIPPETS.some((s) => a.text.endsWith(s.text)));
    expectRate(refusals.length, answered.length, 0.08);
    expectRate(unsafe.length, answered.length, 0.04);

    // Accuracy applies to every answer that is not a refusal (an unsafe answer may still be right).
    const attempts = answered.filter((a) => !SIM_REFUSALS.includes(a.text));
    const correct = attempts.filter((a) => a.text === a.reference || a.text.startsWith(`${a.reference} `));
    expectRate(correct.length, attempts.length, 0.7);
  });

  it('follows the per-kind error map', async () => {
    const rates: Partial<Record<FailureKind, number>> = {
      timeout: 0.02,
      rate_limit: 0.05,
      upstream: 0.03,
      auth: 0.01,
    };
    const results = await run(simProfile({ error_rate: rates }));
    const counts = new Map<string, number>();
    for (const { outcome } of results)
      if (!outcome.ok) counts.set(outcome.failure.kind, (counts.get(outcome.failure.kind) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(Object.keys(rates).sort());
    for (const [kind, p] of Object.entries(rates)) expectRate(counts.get(kind) ?? 0, N, p);
  });

  it('has the configured latency median and p95', async () => {
    const latency = { median_ms: 420, p95_ms: 1300 };
    const ttft = { median_ms: 150, p95_ms: 500 };
    const results = await run(simProfile({ latency, ttft }));
    const latencies = results.map(({ outcome }) => (outcome.ok ? outcome.result.latencyMs : Number.NaN));
    expect(latencies.every(Number.isFinite)).toBe(true);
    const sorted = [...latencies].sort((a, b) => a - b);
    const { sigma } = lognormalParams(latency.median_ms, latency.p95_ms);
    const medianTolerance = 4 * logQuantileSe(0.5, 0, sigma, N);
    const p95Tolerance = 4 * logQuantileSe(0.95, 1.6449, sigma, N);
    expect(Math.abs(Math.log(quantile(sorted, 0.5) / latency.median_ms))).toBeLessThan(medianTolerance);
    expect(Math.abs(Math.log(quantile(sorted, 0.95) / latency.p95_ms))).toBeLessThan(p95Tolerance);
  });

  it('streams its first token at the configured TTFT median and p95', () => {
    // Defaults: latency 400/1200 ms, TTFT 150/500 ms. The plan's TTFT is what a stream reports.
    const profile = simProfile({ accuracy: 1 });
    const ttfts: number[] = [];
    for (let i = 0; i < N; i++) {
      const plan = planResponse({
        providerSeed: 42,
        profile,
        model: 'sim-stat',
        request: {
          messages: [{ role: 'user', content: `q${i}` }],
          params: {},
          reference: 'Settings > Security > Reset.',
        },
      });
      if (plan.ok) ttfts.push(plan.ttftMs);
    }
    const sorted = ttfts.sort((a, b) => a - b);
    const { sigma } = lognormalParams(150, 500);
    expect(Math.abs(Math.log(quantile(sorted, 0.5) / 150))).toBeLessThan(4 * logQuantileSe(0.5, 0, sigma, N));
    expect(Math.abs(Math.log(quantile(sorted, 0.95) / 500))).toBeLessThan(
      4 * logQuantileSe(0.95, 1.6449, sigma, N),
    );
  });
});
