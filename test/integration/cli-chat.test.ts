import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/run-cli.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import type { WireServer } from '../support/wire-servers/wire-server.js';

async function project(): Promise<string> {
  const root = tempDir();
  await runCli(['init'], root);
  // Real-time waits are not what these tests are about: make the sim answer at once.
  const yaml = join(root, 'ballast.yaml');
  writeFileSync(
    yaml,
    readFileSync(yaml, 'utf8').replaceAll(
      /latency: \{ median_ms: \d+, p95_ms: \d+ \}/g,
      'latency: { median_ms: 5, p95_ms: 10 }',
    ),
  );
  return root;
}

describe('ballast chat on the sim', () => {
  it('answers through a route with the stable variant, from what the sim knows', async () => {
    const root = await project();
    const run = await runCli(['chat', 'support-chat', 'How do I reset my password?', '--json'], root);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      variant: 'support-v1',
      route: 'support-chat',
      provider: 'sim/sim-large',
      ok: true,
    });
    expect(out.result.usage.outputTokens).toBeGreaterThan(0);
    expect(out.result.costUsd).toBeGreaterThan(0);
  });

  it('streams, and serves a repeat from the response cache', async () => {
    const root = await project();
    const stream = await runCli(
      ['chat', 'support-v2', '--stream', 'Where can I download my invoices?'],
      root,
    );
    expect(stream.code).toBe(0);
    expect(stream.stdout.length).toBeGreaterThan(10);
    expect(stream.stderr).toMatch(/support-v2 \(sim\/sim-small\) · \d+ ms · first token \d+ ms/);
    const first = JSON.parse(
      (await runCli(['chat', 'support-v2', '--cache', 'readwrite', '--json', 'Hi'], root)).stdout,
    );
    const second = JSON.parse(
      (await runCli(['chat', 'support-v2', '--cache', 'readwrite', '--json', 'Hi'], root)).stdout,
    );
    expect(first.cache).toMatchObject({ hits: 0, misses: 1, writes: 1 });
    expect(second.cache).toMatchObject({ hits: 1, misses: 0, hitRate: 1 });
    expect(second.result).toMatchObject({ text: first.result.text, cached: true });
  });

  it('refuses unknown targets and bad flags with exit 2', async () => {
    const root = await project();
    const unknown = await runCli(['chat', 'support-chta', 'hi'], root);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('did you mean "support-chat"');
    expect((await runCli(['chat', 'support-chat', 'hi', '--cache', 'sometimes'], root)).code).toBe(2);
    expect((await runCli(['chat', 'support-chat', 'hi', '--sample', '-1'], root)).code).toBe(2);
  });
});

describe('ballast chat on an OpenAI-compatible server', () => {
  let server: WireServer;
  beforeAll(async () => {
    server = await startOpenAIWireServer();
  });
  afterAll(() => server.close());

  it('sends the variant system prompt and params, and reports a failure with exit 3', async () => {
    const root = await project();
    const yaml = join(root, 'ballast.yaml');
    const text = readFileSync(yaml, 'utf8')
      .replace(
        'providers:\n',
        `providers:\n  local:\n    type: openai\n    baseUrl: ${server.url}/v1\n    apiKey: \${LOCAL_KEY}\n    retries: 0\n`,
      )
      .replace('routes:\n', 'routes:\n  local-chat:\n    stable: local-v1\n')
      .replace(
        'variants:\n',
        'variants:\n  local-v1:\n    provider: local\n    model: gpt-4o-mini\n    system: Be brief.\n    params: { temperature: 0.1 }\n',
      );
    writeFileSync(yaml, text);
    server.script({ text: 'Brief answer.', usage: { input: 11, output: 3 } });
    const run = await runCli(['chat', 'local-chat', 'hello', '--json'], root, { LOCAL_KEY: 'sk-local' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      result: { text: 'Brief answer.', usage: { inputTokens: 11, outputTokens: 3 } },
    });
    const sent = server.requests.at(-1)!;
    expect(sent.headers.authorization).toBe('Bearer sk-local');
    expect(sent.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.1,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hello' },
      ],
    });

    // A model that calls a tool: the call is printed, whole or streamed.
    const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' };
    server.script({ text: '', toolCalls: [call] }, { text: '', toolCalls: [call] });
    for (const flags of [[], ['--stream']]) {
      const tool = await runCli(['chat', 'local-chat', 'weather?', ...flags], root, {
        LOCAL_KEY: 'sk-local',
      });
      expect(tool.code).toBe(0);
      expect(tool.stdout.trim().split('\n').at(-1)).toBe('tool call: get_weather({"city":"Paris"})');
    }

    server.script({ status: 503, errorKind: 'upstream' });
    const failed = await runCli(['chat', 'local-chat', 'hello'], root, { LOCAL_KEY: 'sk-local' });
    expect(failed.code).toBe(3);
    expect(failed.stderr).toContain('upstream (HTTP 503)');
  });
});
