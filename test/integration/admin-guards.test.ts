import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProject } from '../../src/config/load-project.js';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { runCli, tempDir } from '../support/run-cli.js';

// What the admin API and `ballast rollout` refuse on the init project (no API keys): requests
// another site's page could make a visitor's browser send, a caller naming its own actor, a second
// advance sent with the first, URLs Fastify cannot route; and how the CLI reads answers that are
// not the gateway's.
describe('the admin API without keys', () => {
  let dir: string;
  let gw: RunningGateway;
  const api = (path: string) => `${gw.url}${path}`;
  const json = { 'content-type': 'application/json' };
  const rolloutOf = async () =>
    (
      (await (await fetch(api('/api/changes/example'))).json()) as {
        rollout: { status: string; stageIndex: number };
      }
    ).rollout;

  beforeAll(async () => {
    const root = tempDir();
    expect((await runCli(['init', 'demo'], root)).code).toBe(0);
    dir = join(root, 'demo');
    gw = await startGateway(loadProject(join(dir, 'ballast.yaml'), {}, dir), {
      storeUrl: `sqlite:${join(dir, '.ballast', 'ballast.db')}`,
      port: 0,
      logDecision: () => {},
    });
    const start = await fetch(api('/api/changes/example/start'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ skip_gate: true, reason: 'guards' }),
    });
    expect(start.status).toBe(200);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses an action without a JSON body (what a cross-site page can send without a preflight)', async () => {
    for (const init of [
      { method: 'POST' },
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' },
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=b' },
    ]) {
      const res = await fetch(api('/api/changes/example/promote'), init);
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
    }
    expect((await rolloutOf()).status).toBe('running');
  });

  it('answers only requests that name a loopback host (DNS rebinding)', async () => {
    const port = new URL(gw.url).port;
    const asHost = (host: string, path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        // fetch does not let a caller set Host; node:http does.
        import('node:http').then(({ request }) => {
          const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end();
        }, reject);
      });
    for (const path of ['/api/changes/example', '/v1/models', '/metrics']) {
      const foreign = await asHost(`attacker.example:${port}`, path);
      expect(foreign.status).toBe(403);
      expect(JSON.parse(foreign.body)).toMatchObject({ error: { code: 'host_not_allowed' } });
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'LOCALHOST'])
      expect((await asHost(host, '/v1/models')).status).toBe(200);
  });

  it('logs the key as the actor: a body cannot name one', async () => {
    const res = await fetch(api('/api/changes/example/pause'), {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ actor: 'controller', reason: 'x' }),
    });
    expect(res.status).toBe(400);
    expect((await rolloutOf()).status).toBe('running');
  });

  it('refuses an advance from a stage the rollout has left: two sent together move one stage', async () => {
    const before = (await rolloutOf()).stageIndex;
    const advance = () =>
      fetch(api('/api/changes/example/advance'), {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ from_stage: before + 1 }),
      }).then((r) => r.status);
    const statuses = await Promise.all([advance(), advance()]);
    expect(statuses.sort()).toEqual([200, 409]);
    expect((await rolloutOf()).stageIndex).toBe(before + 1);
    // The CLI reads the stage first and sends it.
    const cli = await runCli(['rollout', 'advance', 'example', '--server', gw.url], dir);
    expect(cli.code).toBe(0);
    expect((await rolloutOf()).stageIndex).toBe(before + 2);
  });

  it('answers URLs it cannot route in the API error shape', async () => {
    for (const path of ['/api/changes/%ZZ', '/v1/chat/completions/%ZZ', `/api/changes/${'x'.repeat(200)}`]) {
      const res = await fetch(api(path));
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    }
  });

  it('lists the newest decisions first-to-last under a limit, and refuses an empty change', async () => {
    const all = (await (await fetch(api('/api/decisions?change=example'))).json()) as {
      data: { seq: number }[];
    };
    expect(all.data.length).toBeGreaterThanOrEqual(3);
    const two = (await (await fetch(api('/api/decisions?change=example&limit=2'))).json()) as {
      data: { seq: number }[];
    };
    expect(two.data.map((d) => d.seq)).toEqual(all.data.slice(-2).map((d) => d.seq));
    expect((await fetch(api('/api/decisions?change='))).status).toBe(400);
  });
});

describe('ballast rollout against answers that are not the gateway’s', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  let dir: string;
  beforeAll(async () => {
    const root = tempDir();
    expect((await runCli(['init', 'demo'], root)).code).toBe(0);
    dir = join(root, 'demo');
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'text/html' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('a 5xx is a runtime failure (exit 3), not a refusal (exit 1)', async () => {
    answer = { status: 502, body: '<html>Bad Gateway</html>' };
    const run = await runCli(['rollout', 'rollback', 'example', '--server', url], dir);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('HTTP 502');
  });

  it('a 200 that is not the gateway’s JSON is said so (exit 3), not a crash', async () => {
    answer = { status: 200, body: '<html>Sign in</html>' };
    for (const action of ['rollback', 'status']) {
      const run = await runCli(['rollout', action, 'example', '--server', url], dir);
      expect(run.code).toBe(3);
      expect(run.stderr).toContain('did not answer as a Ballast gateway');
      expect(run.stderr).not.toContain('Unexpected error');
    }
  });

  it('a key that is not printable ASCII is a usage error (exit 2)', async () => {
    const run = await runCli(['rollout', 'status', 'example', '--server', url, '--key', 'key-€'], dir);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('printable ASCII');
  });
});
