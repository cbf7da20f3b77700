import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadProject } from '../../src/config/load-project.js';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';

// Issue #6 end to end: `ballast serve` with sim variants, the controller inside it, simulated
// traffic over HTTP. A candidate at 6 % errors against 1 % is rolled back on its own and every
// later request goes to stable; an identical candidate advances through every stage and is promoted.

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ballast-rollout-'));
  mkdirSync(join(dir, 'changes'));
  writeFileSync(
    join(dir, 'ballast.yaml'),
    `store: sqlite:.ballast/ballast.db
server:
  flush_interval_ms: 100
  controller: { interval_ms: 150, n_star: 1000 }
providers:
  sim:
    type: sim
    timeScale: 0
    seed: 7
variants:
  stable:
    provider: sim
    model: sim-large
    sim: { error_rate: 0.01 }
  flaky:
    provider: sim
    model: sim-small
    sim: { error_rate: 0.06 }
  twin:
    provider: sim
    model: sim-large
    sim: { error_rate: 0.01 }
routes:
  chat:
    stable: stable
`,
  );
  // The identical candidate tolerates +1 pp: at tolerance 0 a harmless candidate is rolled back in
  // ≈ 2.5 % of runs by design (alpha), which would make this test fail that often.
  const change = (id: string, candidate: string, stages: string, extra = '') => `id: ${id}
title: ${id}
hypothesis: the candidate is as good
owner: test@example.com
route: chat
candidate: ${candidate}
risk: low
metrics:
  guardrails:
    - metric: error_rate
${id === 'twin' ? '      max_increase: 0.01\n' : ''}rollout:
  stages:
${stages}
  auto_advance: true
  auto_rollback: true
${extra}`;
  writeFileSync(
    join(dir, 'changes', 'flaky.yaml'),
    change('flaky', 'flaky', '    - { percent: 50, min_units: 100000, min_duration: 0s, max_duration: 1d }'),
  );
  writeFileSync(
    join(dir, 'changes', 'twin.yaml'),
    change(
      'twin',
      'twin',
      [
        '    - { percent: 10, min_units: 30, min_duration: 0s }',
        '    - { percent: 30, min_units: 60, min_duration: 0s }',
        '    - { percent: 50, min_units: 90, min_duration: 0s }',
      ].join('\n'),
      '  auto_promote: true\n',
    ),
  );
  return dir;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

let asked = 0;

/**
 * One chat request for `unit`; returns the variant that answered and the change named. Every
 * request's text differs: the sim is deterministic in its input, so identical requests would all
 * fail or all succeed together.
 */
async function ask(gw: RunningGateway, unit: string) {
  asked += 1;
  const r = await post(
    `${gw.url}/v1/chat/completions`,
    {
      model: 'chat',
      messages: [{ role: 'user', content: `How do I reset my password? (${unit}, ${asked})` }],
    },
    { 'x-ballast-unit': unit },
  );
  return {
    status: r.status,
    variant: r.headers.get('x-ballast-variant'),
    change: r.headers.get('x-ballast-change'),
  };
}

async function rolloutStatus(gw: RunningGateway, change: string) {
  const res = await fetch(`${gw.url}/api/changes/${change}`);
  return (await res.json()) as { rollout: { status: string; exposure: number; stageIndex: number } | null };
}

/** Sends traffic from fresh units (3 requests each) until `done` or the budget runs out. */
async function traffic(gw: RunningGateway, prefix: string, done: () => Promise<boolean>, maxUnits: number) {
  let unit = 0;
  while (unit < maxUnits) {
    const batch = Array.from({ length: 40 }, () => `${prefix}-${unit++}`);
    const answers = await Promise.all(batch.flatMap((u) => [ask(gw, u), ask(gw, u), ask(gw, u)]));
    // Inside a rollout a candidate's failure falls back to stable, so a client only sees an error
    // from stable itself (1 % errors, nothing to fall back to). Outside one (after a rollback or a
    // promotion, which can land mid-batch) the route's variant answers alone and may fail too.
    const failed = answers.filter((a) => a.status !== 200);
    expect(failed.every((a) => a.variant === 'stable' || a.change === null)).toBe(true);
    if (await done()) return unit;
  }
  return unit;
}

describe('rollout controller inside ballast serve', () => {
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('rolls back a candidate at 6 % errors against 1 %, and stable serves everyone after', async () => {
    const dir = project();
    const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const lines: string[] = [];
    gw = await startGateway(loaded, {
      storeUrl: `sqlite:${join(dir, '.ballast', 'ballast.db')}`,
      port: 0,
      logDecision: (l) => lines.push(l),
    });
    const start = await post(`${gw.url}/api/changes/flaky/start`, { skip_gate: true, reason: 'test drill' });
    expect(start.status).toBe(200);
    expect(start.body).toMatchObject({ action: 'start', toStatus: 'running', exposure: 50 });

    const rolledBack = async () => (await rolloutStatus(gw!, 'flaky')).rollout?.status === 'rolled_back';
    const units = await traffic(gw, 'u', rolledBack, 6_000);
    expect(await rolledBack()).toBe(true);
    expect(units).toBeLessThan(6_000);

    const log = (await (await fetch(`${gw.url}/api/decisions?change=flaky`)).json()) as {
      data: { action: string; actor: string; reasons: string[] }[];
    };
    const rollback = log.data.find((d) => d.action === 'rollback');
    expect(rollback?.actor).toBe('controller');
    expect(rollback?.reasons[0]).toMatch(
      /^error_rate \+[\d.]+ pp, one-sided [\d.]+ % bound \+[\d.]+ pp > tolerance 0 pp after [\d,]+ units per arm$/,
    );
    expect(lines.some((l) => l.includes('flaky') && l.includes('rollback'))).toBe(true);
    // A parameter given twice is a 400 in the API's error shape, not a 500.
    const twice = await fetch(`${gw.url}/api/decisions?change=flaky&change=other`);
    expect(twice.status).toBe(400);
    expect(await twice.json()).toMatchObject({ error: { code: 'invalid_request' } });

    // Every later request is served by stable, outside any rollout.
    const after = await Promise.all(Array.from({ length: 60 }, (_, i) => ask(gw!, `u-${i}`)));
    expect(after.every((a) => a.variant === 'stable' && a.change === null)).toBe(true);

    // Started again (the cause fixed, say): the new rollout starts from no units, not from the
    // failures of the one rolled back, and is not rolled back again without new traffic.
    const again = await post(`${gw.url}/api/changes/flaky/start`, { skip_gate: true, reason: 'fixed' });
    expect(again.status).toBe(200);
    const fresh = (await (await fetch(`${gw.url}/api/changes/flaky`)).json()) as {
      rollout: { status: string };
      units: { candidate: number; comparison: number };
    };
    expect(fresh.units).toEqual({ candidate: 0, comparison: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await rolloutStatus(gw, 'flaky')).rollout?.status).toBe('running');
  }, 120_000);

  it('advances an identical candidate through every stage and promotes it', async () => {
    const dir = project();
    const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
    gw = await startGateway(loaded, {
      storeUrl: `sqlite:${join(dir, '.ballast', 'ballast.db')}`,
      port: 0,
      logDecision: () => {},
    });
    expect((await post(`${gw.url}/api/changes/twin/start`, { skip_gate: true, reason: 'test' })).status).toBe(
      200,
    );
    const promoted = async () => (await rolloutStatus(gw!, 'twin')).rollout?.status === 'promoted';
    await traffic(gw, 't', promoted, 8_000);
    expect(await promoted()).toBe(true);
    const log = (await (await fetch(`${gw.url}/api/decisions?change=twin`)).json()) as {
      data: { action: string; exposure: number }[];
    };
    const moves = log.data.filter((d) => d.action !== 'hold').map((d) => [d.action, d.exposure]);
    expect(moves).toEqual([
      ['start', 10],
      ['advance', 30],
      ['advance', 50],
      ['promote', 100],
    ]);
    // Promoted: the route is now served by the candidate.
    const after = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(gw!, `t-${i}`)));
    expect(after.every((a) => a.variant === 'twin')).toBe(true);
  }, 120_000);

  it('resumes the same state after a restart, without writing a decision twice', async () => {
    const dir = project();
    const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
    const storeUrl = `sqlite:${join(dir, '.ballast', 'ballast.db')}`;
    gw = await startGateway(loaded, { storeUrl, port: 0, logDecision: () => {} });
    expect(
      (await post(`${gw.url}/api/changes/flaky/start`, { skip_gate: true, reason: 'drill' })).status,
    ).toBe(200);
    await Promise.all(Array.from({ length: 60 }, (_, i) => ask(gw!, `r-${i}`)));
    await gw.controller.tick();
    const before = (await (await fetch(`${gw.url}/api/decisions?change=flaky`)).json()) as {
      data: unknown[];
    };
    await gw.close();

    gw = await startGateway(loaded, { storeUrl, port: 0, logDecision: () => {} });
    const status = await rolloutStatus(gw, 'flaky');
    expect(status.rollout).toMatchObject({ status: 'running', exposure: 50, stageIndex: 0 });
    // The routing snapshot is rebuilt from the store: units are in the arms again.
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => ask(gw!, `r-${i}`)));
    expect(answers.some((a) => a.change === 'flaky')).toBe(true);
    await gw.controller.tick();
    await gw.controller.tick();
    const after = (await (await fetch(`${gw.url}/api/decisions?change=flaky`)).json()) as { data: unknown[] };
    expect(after.data).toEqual(before.data);
  }, 60_000);

  it('a decision taken through one gateway reaches the routing of another on the same store', async () => {
    const dir = project();
    const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
    const storeUrl = `sqlite:${join(dir, '.ballast', 'ballast.db')}`;
    gw = await startGateway(loaded, { storeUrl, port: 0 });
    const other = await startGateway(loaded, { storeUrl, port: 0 });
    try {
      /** How many of 80 units the other gateway routes inside a rollout of "twin". */
      const inRollout = async () => {
        const answers = await Promise.all(Array.from({ length: 80 }, (_, i) => ask(other, `fleet-${i}`)));
        return answers.filter((a) => a.change === 'twin').length;
      };
      expect(await inRollout()).toBe(0);
      const start = await post(`${gw.url}/api/changes/twin/start`, {
        skip_gate: true,
        reason: 'fleet drill',
      });
      expect(start.status).toBe(200);
      // restore_within (default 1 s): the other gateway rereads the rollouts at least that often.
      await vi.waitFor(async () => expect(await inRollout()).toBeGreaterThan(0), {
        timeout: 5_000,
        interval: 200,
      });
      const rollback = await post(`${gw.url}/api/changes/twin/rollback`, { reason: 'fleet drill' });
      expect(rollback.status).toBe(200);
      await vi.waitFor(async () => expect(await inRollout()).toBe(0), { timeout: 5_000, interval: 200 });
    } finally {
      await other.close();
    }
  }, 60_000);

  it('refuses to start without a passing offline gate, unless skipped with a reason', async () => {
    const dir = project();
    const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
    gw = await startGateway(loaded, {
      storeUrl: `sqlite:${join(dir, '.ballast', 'ballast.db')}`,
      port: 0,
      logDecision: () => {},
    });
    const refused = await post(`${gw.url}/api/changes/twin/start`, {});
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('offline gate has not passed');
    const noReason = await post(`${gw.url}/api/changes/twin/start`, { skip_gate: true });
    expect(noReason.status).toBe(400);
    const unknown = await post(`${gw.url}/api/changes/nope/start`, { skip_gate: true, reason: 'x' });
    expect(unknown.status).toBe(404);
    expect((await post(`${gw.url}/api/changes/twin/start`, { skip_gate: true, reason: 'x' })).status).toBe(
      200,
    );
    const twice = await post(`${gw.url}/api/changes/twin/start`, { skip_gate: true, reason: 'x' });
    expect(twice.status).toBe(409);
    // People stay in charge: pause, resume, roll back by hand — each a decision with its reason.
    expect(
      (await post(`${gw.url}/api/changes/twin/pause`, { reason: 'looking at a ticket' })).body,
    ).toMatchObject({
      action: 'pause',
      toStatus: 'paused',
      reasons: ['looking at a ticket'],
    });
    expect((await post(`${gw.url}/api/changes/twin/resume`, {})).body).toMatchObject({ toStatus: 'running' });
    expect((await post(`${gw.url}/api/changes/twin/rollback`, { reason: 'manual' })).body).toMatchObject({
      action: 'rollback',
      toStatus: 'rolled_back',
      exposure: 0,
    });
  }, 60_000);
});
