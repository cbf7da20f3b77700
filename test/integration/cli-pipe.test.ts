import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/run-cli.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/ballast.js');

describe('the executable, piped into a reader that leaves early (`ballast … | head -1`)', () => {
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/bundle/cli.js')))
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  }, 120_000);

  it('finishes with its own exit code (eval: 0, the gate passed) and no EPIPE stack', async () => {
    const dir = tempDir();
    execFileSync(process.execPath, [bin, 'init', 'demo'], { cwd: dir });
    // The reader is gone before the command writes its answer.
    const child = spawn(process.execPath, [bin, 'eval', 'example'], { cwd: join(dir, 'demo') });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(code).toBe(0);
  });
});
