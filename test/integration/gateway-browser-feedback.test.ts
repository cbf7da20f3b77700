import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningGateway, startGateway } from '../../src/main/serve.js';
import { launchChromium, runBrowserTests } from '../support/browser.js';
import { gatewayProject } from '../support/gateway-project.js';
import { type RecordingTelemetry, recordingTelemetry } from '../support/recording-telemetry.js';
import { startOpenAIWireServer } from '../support/wire-servers/openai-wire-server.js';
import type { WireServer } from '../support/wire-servers/wire-server.js';

// Issue #5: the feedback token "lets a browser send feedback for that one request without a key".
// A real Chromium on a page of another origin (another port) posts the feedback, as an
// application's page would with the token its back end received.

const KEY = 'gw-key-0123456789abcdef0123';
const project = (origins: string) => `server:
  feedback_cors_origins: ${origins}
auth:
  keys:
    - { name: app, key: ${KEY}, scopes: [gateway] }
`;

describe.runIf(runBrowserTests)('feedback from a page in a real browser', () => {
  let browser: Browser;
  let page: Server;
  let pageUrl: string;
  let upstream: WireServer;

  beforeAll(async () => {
    browser = await launchChromium();
    page = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>app</title><p>An answer, with thumbs.</p>');
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    upstream = await startOpenAIWireServer();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => page?.close(resolve));
    await upstream?.close();
  });

  async function withGateway(
    origins: string,
    run: (gw: RunningGateway, t: RecordingTelemetry) => Promise<void>,
  ) {
    const { dir, loaded } = gatewayProject({ stableUrl: `${upstream.url}/v1`, extra: project(origins) });
    const telemetry = recordingTelemetry();
    const gw = await startGateway(loaded, {
      storeUrl: `sqlite:${dir}/.ballast/ballast.db`,
      port: 0,
      telemetry: () => telemetry,
    });
    try {
      await run(gw, telemetry);
    } finally {
      await gw.close();
    }
  }

  /** What the application's back end does: call the gateway with its key, keep id and token. */
  async function answered(gw: RunningGateway) {
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'chat', user: 'u-7', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    await r.arrayBuffer();
    return {
      requestId: r.headers.get('x-ballast-request-id')!,
      token: r.headers.get('x-ballast-feedback-token')!,
    };
  }

  /** What the page does: post the thumbs-up with the token; 'blocked' when the browser refuses. */
  async function sendFromPage(gatewayUrl: string, served: { requestId: string; token: string }) {
    const tab = await browser.newPage();
    try {
      await tab.goto(pageUrl);
      return await tab.evaluate(
        async ({ url, requestId, token }) => {
          try {
            const r = await fetch(`${url}/v1/feedback`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-ballast-feedback-token': token },
              body: JSON.stringify({ request_id: requestId, value: 'up', comment: 'from the page' }),
            });
            return { status: r.status, body: (await r.json()) as Record<string, unknown> };
          } catch (error) {
            return { blocked: String(error) };
          }
        },
        { url: gatewayUrl, ...served },
      );
    } finally {
      await tab.close();
    }
  }

  it('a page of another origin sends feedback with the token, and it is linked to its request', () =>
    withGateway("['*']", async (gw, telemetry) => {
      const served = await answered(gw);
      const result = await sendFromPage(gw.url, served);
      expect(result).toMatchObject({
        status: 201,
        body: { object: 'feedback', request_id: served.requestId },
      });
      expect(telemetry.feedback).toHaveLength(1);
      expect(telemetry.feedback[0]).toMatchObject({
        requestId: served.requestId,
        value: 1,
        variant: 'stable',
      });
    }));

  it('a gateway that admits no page: the browser refuses to send, and nothing is recorded', () =>
    withGateway('[]', async (gw, telemetry) => {
      const result = await sendFromPage(gw.url, await answered(gw));
      expect(result).toMatchObject({ blocked: expect.stringContaining('Failed to fetch') });
      expect(telemetry.feedback).toHaveLength(0);
    }));
});
