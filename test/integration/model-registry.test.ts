import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createModelRegistry } from '../../src/adapters/providers/model-registry.js';
import { openStore } from '../../src/adapters/store/open-store.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { projectSchema } from '../../src/core/spec/project-schema.js';

const QUESTION = 'How do I reset my password?';
const ANSWER = 'Open Settings > Security and choose Reset password.';

function project(dir: string) {
  writeFileSync(
    join(dir, 'knowledge.jsonl'),
    `${JSON.stringify({ id: 'a', input: QUESTION, reference: ANSWER })}\n`,
  );
  const sim = (accuracy: number) => ({
    provider: 'sim',
    model: 'sim-small',
    sim: { accuracy, knowledge: 'knowledge.jsonl' },
  });
  return projectSchema.parse({
    providers: { sim: { type: 'sim', timeScale: 0 } },
    variants: {
      good: sim(1),
      bad: sim(0),
      'bad-faulty': { ...sim(1), faults: { error_rate: { rate_limit: 1 } } },
    },
    routes: { chat: { stable: 'good' } },
  });
}

describe('model registry', () => {
  it('keeps cached answers apart for two sim variants that differ only by profile (regression)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-registry-'));
    const store = await openStore('sqlite::memory:');
    const models = await createModelRegistry({
      project: project(dir),
      rootDir: dir,
      clock: systemClock,
      cache: { mode: 'readwrite', store: store.responseCache },
    });
    try {
      const ask = (variant: string) =>
        models
          .forVariant(variant)
          .complete({ model: '', messages: [{ role: 'user', content: QUESTION }], params: {} });
      const good = await ask('good');
      const bad = await ask('bad');
      expect(good).toMatchObject({ ok: true, result: { text: ANSWER } });
      expect(bad.ok && bad.result.text).not.toBe(ANSWER);
      expect((await ask('good')).ok && (await ask('good'))).toMatchObject({
        ok: true,
        result: { cached: true },
      });
      expect(models.cacheStats().hits).toBeGreaterThan(0);
    } finally {
      await models.close();
      await store.close();
    }
  });

  it('applies a variant fault profile, switchable at run time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-registry-'));
    const models = await createModelRegistry({ project: project(dir), rootDir: dir, clock: systemClock });
    try {
      const ask = () =>
        models
          .forVariant('bad-faulty')
          .complete({ model: '', messages: [{ role: 'user', content: QUESTION }], params: {} });
      expect(await ask()).toMatchObject({ ok: false, failure: { kind: 'rate_limit' } });
      models.faultsOf('bad-faulty').setFaults(undefined);
      expect(await ask()).toMatchObject({ ok: true, result: { text: ANSWER } });
      expect(() => models.forVariant('nope')).toThrow(/not defined/);
    } finally {
      await models.close();
    }
  });
});
