import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/run-cli.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/ballast.js');

/** The installed executable, as a user runs it (npm test builds first; build here if run alone). */
function ballast(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('the ballast executable', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/bundle/cli.js')))
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  }, 120_000);

  it('runs the README quick start: init, validate, then the offline gate', () => {
    const dir = tempDir();
    expect(ballast(['--help'], dir)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('Usage: ballast'),
    });
    expect(ballast(['init', 'demo'], dir).code).toBe(0);
    const validate = ballast(['validate'], join(dir, 'demo'));
    expect(validate.stderr).toBe('');
    expect(validate.code).toBe(0);
    expect(validate.stdout).toContain('valid: 1 provider(s)');
    const gate = ballast(['eval', 'example', '--concurrency', '30'], join(dir, 'demo'));
    // Every call listens to the run's stop signal; that is no leak and must not warn.
    expect(gate.stderr).not.toContain('Warning');
    expect(gate.stdout).toMatch(/^(PASS|FAIL|INCONCLUSIVE) +ballast eval example/m);
    expect([0, 1, 4]).toContain(gate.code);
    expect(gate.stdout).toContain('non_inferior close-to-reference');
  });

  it('exits 2 on a usage error and with no command', () => {
    const dir = tempDir();
    expect(ballast(['frobnicate'], dir).code).toBe(2);
    const bare = ballast([], dir);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('Usage: ballast');
  });

  it('Ctrl-C stops ballast eval between cases, names the run, and --resume finishes it', async () => {
    const dir = tempDir();
    expect(ballast(['init', 'demo'], dir).code).toBe(0);
    const cwd = join(dir, 'demo');
    // The scaffold's sim waits out its latencies (≈ 0.4 s a call): 30 cases take a few seconds.
    const child = spawn(process.execPath, [bin, 'eval', 'example', '--concurrency', '2'], {
      cwd,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stderr = '';
    let signalled = false;
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
      if (!signalled && /\b[1-9]\d*\/30 cases/.test(stderr)) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(signalled).toBe(true);
    expect(code).toBe(3);
    expect(stderr).toContain('BALLAST_ERR_INTERRUPTED: stopped by SIGINT');
    const runId = /continue it with --resume (run-[\w-]+)/.exec(stderr)?.[1];
    expect(runId).toBeDefined();
    const resumed = ballast(['eval', 'example', '--resume', runId as string, '--json'], cwd);
    expect([0, 1, 4]).toContain(resumed.code);
    const report = JSON.parse(resumed.stdout) as { runId: string; cases: unknown[] };
    expect(report.runId).toBe(runId);
    expect(report.cases).toHaveLength(30);
  }, 60_000);
});
