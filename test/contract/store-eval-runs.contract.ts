import { describe, expect, it } from 'vitest';
import type { CreateEvalRunInput } from '../../src/app/ports/store.js';
import { caseRow, rejectsWithCode, type StoreGetter, T0, uid } from './store-fixtures.js';

function runInput(overrides: Partial<CreateEvalRunInput> = {}): CreateEvalRunInput {
  return {
    id: uid('run'),
    changeId: uid('chg'),
    baselineVariant: 'support-v1',
    candidateVariant: 'support-v2',
    datasetHash: 'sha256:abc',
    config: { repeats: 2, concurrency: 4, scorers: ['exact', 'similarity'], faults: null },
    at: T0,
    ...overrides,
  };
}

/** Offline evaluation runs: idempotent case results and what a resumed run may skip. */
export function evalRunsContract(getStore: StoreGetter): void {
  describe('evalRuns', () => {
    it('create starts a running run with no verdict; get returns it', async () => {
      const store = getStore();
      const input = runInput();
      const run = await store.evalRuns.create(input);
      const { at: _at, ...fields } = input;
      expect(run).toEqual({
        ...fields,
        status: 'running',
        verdict: null,
        summary: null,
        createdAt: T0,
        finishedAt: null,
      });
      expect(await store.evalRuns.get(input.id)).toEqual(run);
      expect(await store.evalRuns.get(uid('missing'))).toBeUndefined();
      await rejectsWithCode(store.evalRuns.create(input), 'BALLAST_ERR_CONFLICT');
    });

    it('addCaseResults keeps every field and is idempotent per (case, arm, sample)', async () => {
      const store = getStore();
      const run = await store.evalRuns.create(runInput());
      const rows = [
        caseRow('case-a', { arm: 'baseline', sample: 0 }),
        caseRow('case-a', { arm: 'baseline', sample: 1, pass: false, scores: { exact: 0 } }),
        caseRow('case-a', { arm: 'candidate', sample: 0, pass: null, latencyMs: null, costUsd: null }),
        caseRow('case-b', {
          arm: 'candidate',
          output: null,
          pass: null,
          scores: {},
          error: 'provider timeout',
        }),
      ];
      expect(await store.evalRuns.addCaseResults(run.id, rows)).toBe(4);
      const stored = await store.evalRuns.caseResults(run.id);
      expect(stored).toEqual(rows.map((r) => ({ ...r, runId: run.id })));

      // A retried batch does not duplicate anything.
      await store.evalRuns.addCaseResults(run.id, rows);
      expect(await store.evalRuns.caseResults(run.id)).toEqual(stored);

      // Writing a key again replaces that row (a resumed run retrying a failed sample).
      const retried = caseRow('case-b', { arm: 'candidate', output: 'ok now', error: null });
      await store.evalRuns.addCaseResults(run.id, [retried]);
      const after = await store.evalRuns.caseResults(run.id);
      expect(after).toHaveLength(4);
      expect(after.find((r) => r.caseId === 'case-b')).toEqual({ ...retried, runId: run.id });
    });

    it('addCaseResults writes large batches and refuses an unknown run', async () => {
      const store = getStore();
      const run = await store.evalRuns.create(runInput());
      const many = Array.from({ length: 1_203 }, (_, i) =>
        caseRow(`case-${String(i).padStart(5, '0')}`, { arm: i % 2 === 0 ? 'baseline' : 'candidate' }),
      );
      expect(await store.evalRuns.addCaseResults(run.id, many)).toBe(1_203);
      expect(await store.evalRuns.caseResults(run.id)).toHaveLength(1_203);
      // Only the cases asked for, in the same order, across more ids than one statement takes.
      const wanted = many.filter((_, i) => i % 2 === 1).map((r) => r.caseId);
      const some = await store.evalRuns.caseResults(run.id, [...wanted, 'case-none', wanted[0]!].reverse());
      expect(some.map((r) => r.caseId)).toEqual(wanted);
      expect(some[0]).toEqual({ ...many[1]!, runId: run.id });
      expect(await store.evalRuns.caseResults(run.id, [])).toEqual([]);
      expect(await store.evalRuns.addCaseResults(run.id, [])).toBe(0);
      await rejectsWithCode(
        store.evalRuns.addCaseResults(uid('missing'), [caseRow('x')]),
        'BALLAST_ERR_NOT_FOUND',
      );
    });

    it('completedCaseIds lists cases with both arms and no error, for resuming', async () => {
      const store = getStore();
      const run = await store.evalRuns.create(runInput());
      await store.evalRuns.addCaseResults(run.id, [
        caseRow('case-done', { arm: 'baseline' }),
        caseRow('case-done', { arm: 'candidate' }),
        caseRow('case-done', { arm: 'candidate', sample: 1, pass: false }),
        caseRow('case-half', { arm: 'baseline' }),
        caseRow('case-err', { arm: 'baseline' }),
        caseRow('case-err', { arm: 'candidate', error: 'rate limited', output: null }),
        caseRow('case-also', { arm: 'candidate' }),
        caseRow('case-also', { arm: 'baseline' }),
      ]);
      expect(await store.evalRuns.completedCaseIds(run.id)).toEqual(['case-also', 'case-done']);
      await store.evalRuns.addCaseResults(run.id, [caseRow('case-err', { arm: 'candidate' })]);
      expect(await store.evalRuns.completedCaseIds(run.id)).toEqual(['case-also', 'case-done', 'case-err']);
      expect(await store.evalRuns.completedCaseIds(uid('missing'))).toEqual([]);
    });

    it('finish records status, verdict and summary once', async () => {
      const store = getStore();
      const run = await store.evalRuns.create(runInput());
      const summary = { cases: 40, passRate: { baseline: 0.9, candidate: 0.925 }, ci: [-0.01, 0.06] };
      const finished = await store.evalRuns.finish(run.id, {
        status: 'completed',
        verdict: 'pass',
        summary,
        at: T0 + 9,
      });
      expect(finished).toEqual({ ...run, status: 'completed', verdict: 'pass', summary, finishedAt: T0 + 9 });
      expect(await store.evalRuns.get(run.id)).toEqual(finished);
      await rejectsWithCode(
        store.evalRuns.finish(run.id, { status: 'failed', verdict: null, summary: {}, at: T0 + 10 }),
        'BALLAST_ERR_CONFLICT',
      );
      await rejectsWithCode(
        store.evalRuns.finish(uid('missing'), { status: 'failed', verdict: null, summary: {}, at: T0 }),
        'BALLAST_ERR_NOT_FOUND',
      );
    });

    it('list filters by change, newest first, with a limit', async () => {
      const store = getStore();
      const changeId = uid('chg');
      const old = await store.evalRuns.create(runInput({ changeId, at: T0 }));
      const mid = await store.evalRuns.create(runInput({ changeId, at: T0 + 1 }));
      const recent = await store.evalRuns.create(runInput({ changeId, at: T0 + 2 }));
      await store.evalRuns.create(runInput());
      expect((await store.evalRuns.list({ changeId })).map((r) => r.id)).toEqual([recent.id, mid.id, old.id]);
      expect((await store.evalRuns.list({ changeId, limit: 2 })).map((r) => r.id)).toEqual([
        recent.id,
        mid.id,
      ]);
      expect((await store.evalRuns.list()).map((r) => r.id)).toEqual(
        expect.arrayContaining([old.id, recent.id]),
      );
    });
  });
}
