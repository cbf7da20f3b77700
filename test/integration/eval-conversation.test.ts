import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectDatasets } from '../../src/adapters/files/dataset-source.js';
import { projectScorerModules } from '../../src/adapters/files/scorer-modules.js';
import { createModelRegistry } from '../../src/adapters/providers/model-registry.js';
import { openStore } from '../../src/adapters/store/open-store.js';
import { systemClock } from '../../src/adapters/system-clock.js';
import { evaluateChange } from '../../src/app/eval/evaluate-change.js';
import { countingModels } from '../support/counting-models.js';
import { projectFileSystem } from '../support/project-on-disk.js';

describe('multi-turn cases', () => {
  it('plays scripted turns with each arm seeing its own replies, and a simulated user until DONE or max turns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-turns-'));
    const loaded = await projectFileSystem(dir, { timeScale0: true, noErrors: true });
    writeFileSync(
      join(dir, 'datasets/turns.jsonl'),
      [
        {
          id: 'scripted',
          input: 'How do I cancel my subscription?',
          reference: 'Billing',
          turns: ['And will I lose my data?'],
        },
        {
          id: 'simulated',
          input: 'I need help with billing',
          simulated_user: { persona: 'a busy founder', goal: 'get an invoice', max_turns: 3 },
        },
      ]
        .map((c) => JSON.stringify(c))
        .join('\n'),
    );
    const store = await openStore('sqlite::memory:');
    const models = await createModelRegistry({ project: loaded.project!, rootDir: dir, clock: systemClock });
    const counted = countingModels(models);
    try {
      const result = await evaluateChange(
        {
          runId: 'run-turns',
          change: loaded.changes[0]!.spec,
          project: loaded.project!,
          systemPrompts: loaded.systemPrompts,
          datasets: ['datasets/turns.jsonl'],
          concurrency: 1,
          seed: 3,
          selection: {},
          options: {},
        },
        {
          models: counted.registry,
          store,
          datasets: projectDatasets(dir),
          modules: projectScorerModules(dir),
          clock: systemClock,
        },
      );
      expect(result.paired).toHaveLength(2);
      const candidate = counted.calls.filter((c) => c.variant === 'support-v2');
      // Scripted: two calls, the second with system + user + assistant + user.
      expect(candidate[0]?.messages).toBe(2);
      expect(candidate.some((c) => c.messages === 4)).toBe(true);
      // The simulated user (played by the stable variant) keeps the conversation going to
      // max_turns 3 (the sim never says DONE): the candidate's third call carries 6 messages.
      expect(result.paired.filter((c) => c.baseline.errors + c.candidate.errors > 0)).toEqual([]);
      expect(candidate.map((c) => c.messages)).toContain(6);
    } finally {
      await models.close();
      await store.close();
    }
  });
});
