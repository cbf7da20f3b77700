import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/load-project.js';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { runCli, tempDir } from '../support/run-cli.js';

// `ballast rollout …` and `ballast log` against a running gateway on the init project (issue #6).
describe('ballast rollout and ballast log', () => {
  let dir: string;
  let gw: RunningGateway;
  beforeAll(async () => {
    const root = tempDir();
    expect((await runCli(['init', 'demo'], root)).code).toBe(0);
    dir = join(root, 'demo');
    const loaded = loadProject(join(dir, 'ballast.yaml'), {}, dir);
    gw = await startGateway(loaded, {
      storeUrl: `sqlite:${join(dir, '.ballast', 'ballast.db')}`,
      port: 0,
      logDecision: () => {},
    });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses --skip-gate without --reason, and an unknown action, with exit 2', async () => {
    expect((await runCli(['rollout', 'start', 'example', '--server', gw.url, '--skip-gate'], dir)).code).toBe(
      2,
    );
    const bad = await runCli(['rollout', 'jump', 'example', '--server', gw.url], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown action');
  });

  it('refuses to start without a passing offline gate', async () => {
    const run = await runCli(['rollout', 'start', 'example', '--server', gw.url], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('offline gate has not passed');
  });

  it('starts, shows status, pauses and resumes, each recorded with its reason', async () => {
    const start = await runCli(
      ['rollout', 'start', 'example', '--server', gw.url, '--skip-gate', '--reason', 'demo day'],
      dir,
    );
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    expect(start.stdout).toContain('START by local');
    expect(start.stdout).toContain('demo day');
    const status = await runCli(['rollout', 'status', 'example', '--server', gw.url], dir);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('example: running, stage 1/4 at 5 %');
    expect(status.stdout).toContain('next: hold');
    // The change's success metric (ballast init's example: latency_ms, decrease, 50 ms), tested too.
    expect(status.stdout).toMatch(/latency_ms \(decrease\)\s.*\s50\s+not enough data/);
    const json = await runCli(['rollout', 'status', 'example', '--server', gw.url, '--json'], dir);
    expect(JSON.parse(json.stdout)).toMatchObject({
      changeId: 'example',
      rollout: { status: 'running' },
      success: [{ metric: 'latency_ms', direction: 'decrease', minEffect: 50, verdict: 'not_enough_data' }],
    });
    expect(
      (await runCli(['rollout', 'pause', 'example', '--server', gw.url, '--reason', 'incident'], dir)).code,
    ).toBe(0);
    const again = await runCli(['rollout', 'pause', 'example', '--server', gw.url], dir);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cannot pause');
    expect((await runCli(['rollout', 'resume', 'example', '--server', gw.url], dir)).code).toBe(0);
  });

  it('finds the server from BALLAST_URL', async () => {
    const run = await runCli(['rollout', 'status', 'example'], dir, { BALLAST_URL: gw.url });
    expect(run.code).toBe(0);
  });

  it('refuses a --server that is not an http(s) URL, with exit 2', async () => {
    const run = await runCli(['rollout', 'status', 'example', '--server', 'notaurl'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--server must be the gateway's http(s) URL");
  });

  it('says when the server cannot be reached, with exit 3', async () => {
    const run = await runCli(['rollout', 'status', 'example', '--server', 'http://127.0.0.1:9'], dir);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('cannot reach the gateway');
  });

  it('prints the decision log from the store, as text and JSON', async () => {
    const log = await runCli(['log', '--change', 'example'], dir);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/START by local/);
    expect(log.stdout).toMatch(/PAUSE by local/);
    expect(log.stdout).toContain('incident');
    const json = await runCli(['log', '--json'], dir);
    const decisions = JSON.parse(json.stdout) as { action: string }[];
    expect(decisions.map((d) => d.action)).toEqual(expect.arrayContaining(['start', 'pause', 'resume']));
  });
});

describe('the offline gate of rollout start', () => {
  it('takes a passing eval of the candidate as it is now, not of the candidate before its prompt changed', async () => {
    const root = tempDir();
    expect((await runCli(['init', 'demo'], root)).code).toBe(0);
    const dir = join(root, 'demo');
    // timeScale 0: the sim answers at once, so the eval takes no simulated latency.
    const yaml = join(dir, 'ballast.yaml');
    writeFileSync(
      yaml,
      readFileSync(yaml, 'utf8').replace('    type: sim\n', '    type: sim\n    timeScale: 0\n'),
    );
    expect((await runCli(['eval', 'example'], dir)).code).toBe(0);
    const serve = () =>
      startGateway(loadProject(yaml, {}, dir), {
        storeUrl: `sqlite:${join(dir, '.ballast', 'ballast.db')}`,
        port: 0,
        logDecision: () => {},
      });
    let gw = await serve();
    try {
      const started = await runCli(['rollout', 'start', 'example', '--server', gw.url], dir);
      expect(started.code).toBe(0);
      expect(
        (await runCli(['rollout', 'rollback', 'example', '--server', gw.url, '--reason', 'again'], dir)).code,
      ).toBe(0);
    } finally {
      await gw.close();
    }
    // The candidate's prompt is edited after the eval passed: that pass no longer vouches for it.
    const prompt = join(dir, 'prompts', 'support-v2.md');
    writeFileSync(prompt, `${readFileSync(prompt, 'utf8')}\nAlways answer in French.\n`);
    gw = await serve();
    try {
      const refused = await runCli(['rollout', 'start', 'example', '--server', gw.url], dir);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('has changed since');
    } finally {
      await gw.close();
    }
  }, 60_000);
});

describe('ballast log without a store', () => {
  it('says there are no decisions and creates no store', async () => {
    const empty = tempDir();
    const run = await runCli(['log'], empty);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no decisions yet');
    expect(existsSync(join(empty, '.ballast'))).toBe(false);
  });
});
