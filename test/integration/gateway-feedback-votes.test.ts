import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open-store.js';
import { createGatewayTelemetry } from '../../src/adapters/telemetry/create-gateway-telemetry.js';
import { buildSnapshot } from '../../src/app/gateway/routing-table.js';
import { startGateway } from '../../src/main/serve.js';
import { gatewayProject } from '../support/gateway-project.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import type { WireServer } from '../support/wire-servers/wire-server.js';

// One vote per request (issue #5's feedback, folded into the variant's metrics): a page that posts
// twice at once, or a user who changes their mind, is still one vote, and the latest counts.
describe('ballast serve: feedback votes', () => {
  let upstream: WireServer;
  beforeAll(async () => {
    upstream = await startOpenAIWireServer();
  });
  afterAll(() => upstream.close());

  it('a request rated three times counts once, with its latest value, in the stored metrics', async () => {
    const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1` });
    const storeUrl = `sqlite:${dir}/.ballast/ballast.db`;
    const gw = await startGateway(loaded, { storeUrl, port: 0 });
    let ids: string[] = [];
    let requestId = '';
    try {
      const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-needed', maxRetries: 0 });
      const { response } = await client.chat.completions
        .create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })
        .withResponse();
      requestId = response.headers.get('x-ballast-request-id')!;
      const token = response.headers.get('x-ballast-feedback-token')!;
      const vote = async (value: string) => {
        const res = await fetch(`${gw.url}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-ballast-feedback-token': token },
          body: JSON.stringify({ request_id: requestId, value }),
        });
        expect(res.status).toBe(201);
        return (await res.json()) as { id: string; replaces: string | null };
      };
      // A double click: two at once. Then the user changes their mind.
      const [a, b] = await Promise.all([vote('up'), vote('up')]);
      const c = await vote('down');
      // Taken one after the other: the second replaces the first, the third the second.
      const [first, second] = a.replaces === null ? [a, b] : [b, a];
      expect(first.replaces).toBeNull();
      expect(second.replaces).toBe(first.id);
      expect(c.replaces).toBe(second.id);
      ids = [a.id, b.id, c.id];
    } finally {
      await gw.close();
    }
    const store = await openStore(storeUrl);
    try {
      // Every post is kept (comments and tags are worth keeping); the metrics hold one vote.
      expect((await store.feedback.list({ requestId })).map((f) => f.id).sort()).toEqual([...ids].sort());
      const buckets = await store.metrics.query({ route: 'chat' });
      const sum = (key: 'feedbackCount' | 'feedbackSum' | 'feedbackNegative' | 'feedbackPositive') =>
        buckets.reduce((total, b) => total + b[key], 0);
      expect(sum('feedbackCount')).toBe(1);
      expect(sum('feedbackSum')).toBe(0);
      expect(sum('feedbackNegative')).toBe(1);
      expect(sum('feedbackPositive')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("feedback linked through the request log counts in the unit's rollout metrics", async () => {
    // No request remembered in memory: the feedback (sent with a key, or to another gateway) finds
    // its request in the request log, which knows the unit and the arm.
    const { dir, loaded } = gatewayProject({
      stableUrl: `${upstream.url}/v1`,
      extra:
        'server:\n  recent_requests: 0\n  request_log: { sample_rate: 1 }\n  controller: { enabled: false }\n',
    });
    let telemetry: ReturnType<typeof createGatewayTelemetry> | undefined;
    const gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      port: 0,
      telemetry: (store, project) => {
        telemetry = createGatewayTelemetry({
          store,
          server: project.server,
          clock: { now: () => Date.now() },
          processMetrics: false,
        });
        return telemetry;
      },
    });
    try {
      gw.routing.swap(
        buildSnapshot(
          loaded.project!.routes,
          [{ changeId: 'ch1', route: 'chat', candidate: 'candidate', exposure: 100 }],
          2,
        ),
      );
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ballast-unit': 'alice' },
        body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const id = res.headers.get('x-ballast-request-id')!;
      expect(res.headers.get('x-ballast-change')).toBe('ch1');
      await res.text();
      await telemetry!.flush();
      const feedback = await fetch(`${gw.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request_id: id, value: 'down' }),
      });
      expect(feedback.status).toBe(201);
      await telemetry!.flush();
      const sums = await gw.store.unitTotals.armSumsAll('ch1', ['negative_feedback_rate']);
      expect(sums.negative_feedback_rate.candidate).toMatchObject({ n: 1, sumX: 1, sumY: 1 });
    } finally {
      await gw.close();
    }
  });
});
