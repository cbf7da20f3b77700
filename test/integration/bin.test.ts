import { execFileSync, spawnSync } from 'node:child_process';
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
    const gate = ballast(['eval', 'example'], join(dir, 'demo'));
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
});
