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
import { projectFileSystem } from '../support/project-on-disk.js';

describe('a promptfoo defaultTest in a run with other datasets', () => {
  it('scores the cases of its own config only, and a test’s own assertion of the same name wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-default-test-'));
    const loaded = await projectFileSystem(dir, { timeScale0: true });
    writeFileSync(
      join(dir, 'promptfooconfig.yaml'),
      `prompts: ["{{question}}"]
defaultTest:
  assert:
    - { type: not-icontains, value: "as an ai", metric: no-ai-talk }
    - { type: icontains, value: "settings", metric: says-settings }
tests:
  - vars: { question: "How do I reset my password?" }
  - vars: { question: "Where are invoices?" }
    assert:
      - { type: icontains, value: "billing", metric: says-settings }
`,
    );
    const store = await openStore('sqlite::memory:');
    const models = await createModelRegistry({ project: loaded.project!, rootDir: dir, clock: systemClock });
    try {
      const result = await evaluateChange(
        {
          runId: 'run-default-test',
          change: loaded.changes[0]!.spec,
          project: loaded.project!,
          systemPrompts: loaded.systemPrompts,
          datasets: ['datasets/example.jsonl', 'promptfooconfig.yaml'],
          concurrency: 4,
          seed: 1,
          selection: {},
          options: {},
        },
        {
          store,
          models,
          datasets: projectDatasets(dir),
          modules: projectScorerModules(dir),
          clock: systemClock,
        },
      );
      const scorersOf = (id: string) =>
        Object.keys(result.paired.find((p) => p.id === id)!.candidate.scorerScores).sort();
      const jsonl = result.paired.filter((p) => !p.id.match(/^[0-9a-f]{12}/));
      const promptfoo = result.paired.filter((p) => p.id.match(/^[0-9a-f]{12}/));
      expect(jsonl).toHaveLength(30);
      expect(promptfoo).toHaveLength(2);
      // The example dataset's cases: the change's scorers only.
      expect(scorersOf('reset-password')).toEqual(['close-to-reference', 'mentions-answer', 'no-pii']);
      for (const p of promptfoo)
        expect(scorersOf(p.id)).toEqual([
          'close-to-reference',
          'mentions-answer',
          'no-ai-talk',
          'no-pii',
          'says-settings',
        ]);
      // Each promptfoo case's says-settings: the default's value, or the test's own (billing).
      const rows = await store.evalRuns.caseResults(
        'run-default-test',
        promptfoo.map((p) => p.id),
      );
      const reasons = rows
        .filter((r) => r.arm === 'candidate')
        .map(
          (r) =>
            (r.scores as { scores: { scorer: string; reason: string }[] }).scores.find(
              (x) => x.scorer === 'says-settings',
            )?.reason ?? '',
        )
        .sort();
      expect(reasons).toHaveLength(2);
      expect(reasons.filter((r) => r.includes('"billing"'))).toHaveLength(1);
      expect(reasons.filter((r) => r.includes('"settings"'))).toHaveLength(1);
    } finally {
      await models.close();
      await store.close();
    }
  });
});
