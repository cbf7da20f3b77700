import { createSimProvider } from '../../src/adapters/providers/sim-provider.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { simProfileSchema } from '../../src/core/spec/sim-profile.js';
import type { ProviderHarness, Scenario } from './provider.contract.js';
import { providerContract } from './provider.contract.js';

const MODEL = 'sim-large';
const LONG = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');

/**
 * The sim under the same contract as the HTTP providers. It plays `reply` scenarios through its
 * knowledge: the scripted text is what it "knows", and with accuracy 1 it answers exactly that.
 * Failures are drawn from its profile, not scripted, so those cases are the HTTP backends' only.
 */
providerContract('sim', {
  model: MODEL,
  supports: ['reply'],
  scriptsUsage: false,
  async create(options): Promise<ProviderHarness> {
    const queue: Scenario[] = [];
    const next = (): string => {
      const s = queue.shift();
      if (s?.kind !== 'reply') return 'A plain answer from the simulator.';
      if (s.finishReason === 'length') return LONG;
      return s.text ?? 'A plain answer from the simulator.';
    };
    const provider = createSimProvider({
      providerName: 'sim',
      provider: { seed: 42, pricing: options.pricing, timeoutMs: options.timeoutMs },
      variant: {
        model: MODEL,
        sim: simProfileSchema.parse({
          accuracy: 1,
          latency: { median_ms: 30, p95_ms: 60 },
          ttft: { median_ms: 10, p95_ms: 20 },
          chunk_ms: 20,
        }),
      },
      knowledge: () => next(),
      clock: systemClock,
    });
    return {
      provider,
      script: (...scenarios) => void queue.push(...scenarios),
      sleeps: [],
      close: () => provider.close(),
    };
  },
});
