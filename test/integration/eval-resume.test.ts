import { mkdtempSync } from 'node:fs';
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

describe('evaluateChange resume', () => {
  it('continues an interrupted run without redoing finished cases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ballast-resume-'));
    const loaded = await projectFileSystem(dir, { timeScale0: true });
    const change = loaded.changes[0]!.spec;
    const store = await openStore('sqlite::memory:');
    const models = await createModelRegistry({ project: loaded.project!, rootDir: dir, clock: systemClock });
    const request = {
      runId: 'run-resume',
      change,
      project: loaded.project!,
      systemPrompts: loaded.systemPrompts,
      datasets: [],
      concurrency: 1,
      seed: 1,
      selection: {},
      options: {},
    };
    const deps = {
      store,
      datasets: projectDatasets(dir),
      modules: projectScorerModules(dir),
      clock: systemClock,
    };
    try {
      const first = countingModels(models);
      const crash = evaluateChange(request, {
        ...deps,
        models: first.registry,
        onCaseDone: (done) => {
          if (done === 12) throw new Error('power cut');
        },
      });
      await expect(crash).rejects.toThrow(/--resume run-resume/);
      const finished = await store.evalRuns.completedCaseIds('run-resume');
      expect(finished.length).toBeGreaterThanOrEqual(12);
      expect((await store.evalRuns.get('run-resume'))?.status).toBe('running');

      const second = countingModels(models);
      const resumed = await evaluateChange(
        { ...request, resumeRunId: 'run-resume' },
        { ...deps, models: second.registry },
      );
      // Only the unfinished cases call the models again: one call per arm per case.
      expect(second.count(change.candidate)).toBe(30 - finished.length);
      expect(resumed.paired).toHaveLength(30);
      expect(resumed.verdict.verdict).toMatch(/pass|fail|inconclusive/);
    } finally {
      await models.close();
      await store.close();
    }
  });
});
