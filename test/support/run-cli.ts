import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/main/cli.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with the real wiring, in `cwd`, capturing its output. */
export async function runCli(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const io = memoryIo();
  const code = await main(argv, { cwd, io, env: Object.freeze({ ...env }) });
  return { code, stdout: io.stdout.join('\n'), stderr: io.stderr.join('\n') };
}

export function tempDir(prefix = 'ballast-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
