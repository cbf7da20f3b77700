import { describe, expect, it } from 'vitest';
import { offlineGate } from '../../../src/app/controller/offline-gate.js';
import type { EvalRun } from '../../../src/app/ports/eval-run-store.js';

const run = (id: string, verdict: EvalRun['verdict'], over: Partial<EvalRun> = {}): EvalRun => ({
  id,
  changeId: 'example',
  baselineVariant: 'v1',
  candidateVariant: 'v2',
  datasetHash: 'h',
  config: {},
  status: 'completed',
  verdict,
  summary: null,
  createdAt: 0,
  finishedAt: 0,
  ...over,
});

describe('offlineGate', () => {
  it('is the latest completed run of the candidate: a later failure outweighs an older pass', () => {
    // Newest first.
    expect(offlineGate([run('r3', 'fail'), run('r2', 'pass')], 'example', 'v2')).toEqual({
      ok: false,
      why: 'the latest stored `ballast eval` run of "example" with candidate v2, r3, ended fail',
    });
    expect(offlineGate([run('r4', 'pass'), run('r3', 'fail')], 'example', 'v2')).toMatchObject({
      ok: true,
      why: 'offline gate passed in eval run r4',
    });
  });

  it('skips runs still going, or of another candidate', () => {
    const runs = [
      run('r5', null, { status: 'running' }),
      run('r4', 'fail', { candidateVariant: 'v3' }),
      run('r3', 'pass'),
    ];
    expect(offlineGate(runs, 'example', 'v2')).toMatchObject({ ok: true });
    expect(offlineGate([], 'example', 'v2')).toMatchObject({ ok: false });
  });

  it('refuses a pass of the candidate as it was: its model, params or prompt changed since', () => {
    const passed = run('r6', 'pass', { config: { candidateHash: 'aaaa' } });
    expect(offlineGate([passed], 'example', 'v2', 'aaaa')).toMatchObject({ ok: true });
    expect(offlineGate([passed], 'example', 'v2', 'bbbb')).toEqual({
      ok: false,
      why: 'eval run r6 passed, but candidate v2 has changed since (its model, params or prompt): run `ballast eval example` again',
    });
    // A run stored before runs carried the candidate's hash is not compared.
    expect(offlineGate([run('r7', 'pass')], 'example', 'v2', 'bbbb')).toMatchObject({ ok: true });
  });
});
