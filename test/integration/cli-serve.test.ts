import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/run-cli.js';

const root = join(import.meta.dirname, '../..');
const bin = join(root, 'bin/ballast.js');

/** `ballast serve --json --port 0` as a user runs it; resolves with the address it printed. */
function serve(
  cwd: string,
  args: string[] = [],
): Promise<{ child: ChildProcessWithoutNullStreams; url: string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--json', '--port', '0', ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1' },
  });
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    // --json prints one JSON document (possibly over several lines) once listening.
    let text = '';
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      text += line;
      try {
        const url = (JSON.parse(text) as { url: string }).url;
        lines.close();
        resolve({ child, url });
      } catch {
        // not complete yet
      }
    });
  });
}

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

describe('ballast serve (the executable)', () => {
  let running: ChildProcessWithoutNullStreams | undefined;
  beforeAll(() => {
    if (!existsSync(join(root, 'dist/bundle/cli.js')))
      execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'ignore' });
  }, 120_000);
  afterEach(() => {
    running?.kill('SIGKILL');
  });

  it('exports OpenTelemetry spans from the built executable to an OTLP/HTTP collector', async () => {
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c;
      });
      req.on('end', () => {
        bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const dir = tempDir();
      execFileSync(process.execPath, [bin, 'init', 'demo'], { cwd: dir });
      const cwd = join(dir, 'demo');
      const { port } = collector.address() as AddressInfo;
      const yaml = readFileSync(join(cwd, 'ballast.yaml'), 'utf8');
      writeFileSync(
        join(cwd, 'ballast.yaml'),
        yaml.replace(
          '  port: 8787\n',
          `  port: 8787\n  otel: { endpoint: http://127.0.0.1:${port}/v1/traces }\n`,
        ),
      );
      const { child, url } = await serve(cwd);
      running = child;
      const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
      await client.chat.completions.create({
        model: 'support-chat',
        messages: [{ role: 'user', content: 'How do I reset my password?' }],
      });
      // The stop flushes the batch of spans.
      child.kill('SIGTERM');
      expect(await exited(child)).toBe(0);
      running = undefined;
      const spans = bodies.join('\n');
      expect(spans).toContain('gen_ai.operation.name');
      expect(spans).toContain('support-chat');
    } finally {
      collector.close();
    }
  });

  it('serves the init project on the sim, then stops on SIGTERM with telemetry flushed', async () => {
    const dir = tempDir();
    execFileSync(process.execPath, [bin, 'init', 'demo'], { cwd: dir });
    const cwd = join(dir, 'demo');
    const { child, url } = await serve(cwd);
    running = child;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({
        model: 'support-chat',
        user: 'u-1',
        messages: [{ role: 'user', content: 'How do I reset my password?' }],
      })
      .withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(response.headers.get('x-ballast-variant')).toBe('support-v1');
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    running = undefined;
    const db = new Database(join(cwd, '.ballast/ballast.db'), { readonly: true });
    try {
      const rows = db.prepare('select route, variant, count from metric_buckets').all();
      expect(rows).toEqual([{ route: 'support-chat', variant: 'support-v1', count: 1 }]);
    } finally {
      db.close();
    }
  }, 60_000);

  it('says which port is taken, with exit 3 and no stack', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const dir = tempDir();
      execFileSync(process.execPath, [bin, 'init', 'demo'], { cwd: dir });
      const { port } = taken.address() as AddressInfo;
      let code = 0;
      let stderr = '';
      try {
        execFileSync(process.execPath, [bin, 'serve', '--port', String(port)], {
          cwd: join(dir, 'demo'),
          stdio: 'pipe',
        });
      } catch (error) {
        code = (error as { status: number }).status;
        stderr = String((error as { stderr: Buffer }).stderr);
      }
      expect(code).toBe(3);
      expect(stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(stderr).not.toMatch(/Unexpected error|\n\s+at /);
    } finally {
      taken.close();
    }
  });

  it('refuses a bad port with exit 2', () => {
    const dir = tempDir();
    execFileSync(process.execPath, [bin, 'init', 'demo'], { cwd: dir });
    let code = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, [bin, 'serve', '--port', 'x'], {
        cwd: join(dir, 'demo'),
        stdio: 'pipe',
      });
    } catch (error) {
      code = (error as { status: number }).status;
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(code).toBe(2);
    expect(stderr).toContain('--port must be a whole number');
  });
});
