import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knowledgeFromCases, readDataset } from '../../src/adapters/files/read-dataset.js';
import { createSimProvider, type SimProviderConfig } from '../../src/adapters/providers/sim-provider.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { costOf } from '../../src/core/provider/pricing.js';
import { tempDir } from '../support/run-cli.js';
import {
  collect,
  EXAMPLE_DATASET,
  exampleProject,
  question,
  simProfile,
  virtualClock,
} from '../unit/sim/provider-fixtures.js';

async function exampleCases() {
  const dir = tempDir('ballast-sim-');
  mkdirSync(join(dir, 'datasets'));
  writeFileSync(join(dir, 'datasets/example.jsonl'), EXAMPLE_DATASET);
  return (await readDataset(join(dir, 'datasets/example.jsonl'))).cases;
}

function exampleSim() {
  const project = exampleProject();
  const provider = project.providers.sim as SimProviderConfig;
  return { project, provider };
}

describe('sim provider on the example project', () => {
  it('answers as the configured variant: model, cost from pricing, one attempt, planned latency', async () => {
    const { project, provider } = exampleSim();
    const variant = project.variants['support-v1']!;
    const cases = await exampleCases();
    const sim = createSimProvider({
      providerName: 'sim',
      provider,
      variant,
      knowledge: knowledgeFromCases(cases),
      clock: virtualClock(),
    });
    expect(sim.id).toBe('sim/sim-large');
    let correct = 0;
    for (const c of cases) {
      const outcome = await sim.complete(question(c.input as string, { params: variant.params }));
      if (!outcome.ok) continue;
      const { result } = outcome;
      expect(result.model).toBe('sim-large');
      expect(result.attempts).toBe(1);
      expect(result.ttftMs).toBe(result.latencyMs);
      expect(result.costUsd).toBeCloseTo(costOf(provider.pricing, 'sim-large', result.usage), 15);
      expect(result.costUsd).toBeGreaterThan(0);
      if (result.text === c.reference) correct++;
    }
    // accuracy 0.86 on 30 cases: well above chance, below perfect is likely but not asserted.
    expect(correct).toBeGreaterThanOrEqual(15);
    await sim.close();
  });

  it('scores measurably better at accuracy 0.9 than at 0.6 on the example dataset', async () => {
    const { project, provider } = exampleSim();
    const cases = await exampleCases();
    const knowledge = knowledgeFromCases(cases);
    const base = project.variants['support-v2']!;
    const rate = async (accuracy: number) => {
      const sim = createSimProvider({
        providerName: 'sim',
        provider,
        variant: { model: base.model, sim: { ...base.sim, accuracy, error_rate: 0 } },
        knowledge,
        clock: systemClock,
        timeScale: 0,
      });
      let exact = 0;
      let n = 0;
      for (let sampleIndex = 0; sampleIndex < 20; sampleIndex++)
        for (const c of cases) {
          const outcome = await sim.complete(question(c.input as string, { sampleIndex }));
          n++;
          if (outcome.ok && outcome.result.text === c.reference) exact++;
        }
      return { rate: exact / n, n };
    };
    const low = await rate(0.6);
    const high = await rate(0.9);
    for (const [observed, p] of [
      [low, 0.6],
      [high, 0.9],
    ] as const)
      expect(Math.abs(observed.rate - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / observed.n));
    expect(high.rate - low.rate).toBeGreaterThan(0.15);
  });

  it('streams the same text complete() returns, then done with the same result', async () => {
    const { provider } = exampleSim();
    const make = () =>
      createSimProvider({
        providerName: 'sim',
        provider,
        variant: { model: 'sim-small', sim: simProfile({ accuracy: 0.5, unsafe_rate: 0.2 }) },
        clock: virtualClock(),
      });
    for (let i = 0; i < 30; i++) {
      const request = question('How do I reset my password?', {
        reference: 'Settings > Security > Reset.',
        sampleIndex: i,
      });
      const complete = await make().complete(request);
      const events = await collect(make(), request);
      const done = events.at(-1);
      expect(done?.type).toBe('done');
      const text = events.flatMap((e) => (e.type === 'delta' ? [e.text] : [])).join('');
      if (!complete.ok || done?.type !== 'done') throw new Error('expected answers');
      expect(text).toBe(complete.result.text);
      expect(done.result).toEqual({ ...complete.result, ttftMs: done.result.ttftMs });
      expect(done.result.ttftMs).toBeLessThanOrEqual(done.result.latencyMs);
    }
  });

  it('reports failures as values: complete() fails, a stream ends with one error before any content', async () => {
    const { provider } = exampleSim();
    const sim = createSimProvider({
      providerName: 'sim',
      provider,
      variant: { model: 'sim-small', sim: simProfile({ error_rate: { rate_limit: 1 } }) },
      clock: virtualClock(),
    });
    expect(await sim.complete(question('hi'))).toMatchObject({
      ok: false,
      failure: { kind: 'rate_limit', status: 429, retryAfterMs: 1000, attempts: 1 },
    });
    const events = await collect(sim, question('hi'));
    expect(events).toEqual([
      {
        type: 'error',
        failure: expect.objectContaining({ kind: 'rate_limit', afterContent: false, attempts: 1 }),
      },
    ]);
  });

  it('honours max_tokens and stop like a real model', async () => {
    const { provider } = exampleSim();
    const sim = createSimProvider({
      providerName: 'sim',
      provider,
      variant: { model: 'sim-small', sim: simProfile({ accuracy: 1 }) },
      clock: virtualClock(),
    });
    const reference = 'Billing > Payment method > Replace card.';
    const short = await sim.complete(question('card?', { reference, params: { max_tokens: 3 } }));
    expect(short).toMatchObject({
      ok: true,
      result: { text: 'Billing > Pa', finishReason: 'length', usage: { outputTokens: 3 } },
    });
    const stopped = await sim.complete(question('card?', { reference, params: { stop: ' > ' } }));
    expect(stopped).toMatchObject({ ok: true, result: { text: 'Billing', finishReason: 'stop' } });
  });

  it('accepts knowledge as a lookup function and as a map of normalised questions', async () => {
    const { provider } = exampleSim();
    const make = (knowledge: ReadonlyMap<string, string> | ((q: string) => string | undefined)) =>
      createSimProvider({
        providerName: 'sim',
        provider,
        variant: { model: 'm', sim: simProfile({ accuracy: 1 }) },
        knowledge,
        clock: virtualClock(),
      });
    const viaMap = await make(new Map([['where is my data', 'Frankfurt.']])).complete(
      question('Where is my data?'),
    );
    expect(viaMap).toMatchObject({ ok: true, result: { text: 'Frankfurt.' } });
    const viaFn = await make((q) => (q.includes('data') ? 'Frankfurt.' : undefined)).complete(
      question('my data'),
    );
    expect(viaFn).toMatchObject({ ok: true, result: { text: 'Frankfurt.' } });
  });
});
