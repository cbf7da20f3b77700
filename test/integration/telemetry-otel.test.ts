import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayTelemetry } from '../../src/adapters/telemetry/create-gateway-telemetry.js';
import { createOtelExport } from '../../src/adapters/telemetry/otel.js';
import { projectSchema } from '../../src/core/spec/project-schema.js';
import { discardingTelemetryStore, requestRecord } from '../support/telemetry-records.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpSpan {
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
}
interface OtlpBody {
  resourceSpans: {
    resource: { attributes: { key: string; value: OtlpValue }[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** A local OTLP/HTTP collector that keeps every POST. */
const received: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function spansOf(token: string): { spans: OtlpSpan[]; resource: Record<string, unknown> }[] {
  return received
    .filter((r) => r.body.includes(token))
    .flatMap((r) => (JSON.parse(r.body) as OtlpBody).resourceSpans)
    .map((rs) => ({
      resource: Object.fromEntries(rs.resource.attributes.map((a) => [a.key, plain(a.value)])),
      spans: rs.scopeSpans.flatMap((s) => s.spans),
    }));
}

function plain(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function attrs(span: OtlpSpan): Record<string, unknown> {
  return Object.fromEntries(span.attributes.map((a) => [a.key, plain(a.value)]));
}

describe('OpenTelemetry export', () => {
  it('sends one CLIENT span per request over OTLP/HTTP JSON with GenAI attributes', async () => {
    const token = `svc-${Math.random().toString(36).slice(2)}`;
    const otel = createOtelExport({
      endpoint,
      serviceName: token,
      headers: { authorization: 'Bearer otlp-test' },
      variantModel: (v) => (v === 'baseline' ? 'gpt-4o-mini' : undefined),
    });
    const ok = requestRecord({
      at: 1_760_000_000_000,
      latencyMs: 812.5,
      changeId: 'chg-1',
      arm: 'comparison',
      inputTokens: 11,
      outputTokens: 22,
    });
    const failed = requestRecord({
      assignedVariant: 'cand',
      servedVariant: 'cand-fallback',
      model: null,
      outcome: 'error',
      status: 502,
      errorKind: 'upstream',
      attempts: [
        { variant: 'cand', ok: false, kind: 'timeout', latencyMs: 100 },
        { variant: 'cand-fallback', ok: false, kind: 'upstream', latencyMs: 50 },
      ],
    });
    otel.record(ok); // recorded before the SDK has loaded: queued, then sent
    otel.record(failed);
    await otel.shutdown();
    await otel.shutdown();

    const batches = spansOf(token);
    expect(batches.length).toBeGreaterThan(0);
    expect(batches[0]?.resource['service.name']).toBe(token);
    const post = received.find((r) => r.body.includes(token));
    expect(post?.path).toBe('/v1/traces');
    expect(post?.headers['content-type']).toMatch(/application\/json/);
    expect(post?.headers.authorization).toBe('Bearer otlp-test');

    const spans = batches.flatMap((b) => b.spans);
    expect(spans.map((s) => s.name).sort()).toEqual(['chat cand-fallback', 'chat gpt-4o-mini']);
    const okSpan = spans.find((s) => s.name === 'chat gpt-4o-mini') as OtlpSpan;
    expect(okSpan.kind).toBe(3); // SPAN_KIND_CLIENT in OTLP
    expect(BigInt(okSpan.startTimeUnixNano)).toBe(1_760_000_000_000n * 1_000_000n);
    expect(BigInt(okSpan.endTimeUnixNano)).toBe(1_760_000_000_812_500_000n);
    expect(attrs(okSpan)).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 11,
      'gen_ai.usage.output_tokens': 22,
      'ballast.route': 'support',
      'ballast.variant': 'baseline',
      'ballast.assigned_variant': 'baseline',
      'ballast.change': 'chg-1',
      'ballast.arm': 'comparison',
      'ballast.request_id': ok.requestId,
      'ballast.fallbacks': 0,
    });
    expect(attrs(okSpan)).not.toHaveProperty('error.type');

    const errSpan = spans.find((s) => s.name === 'chat cand-fallback') as OtlpSpan;
    expect(attrs(errSpan)).toMatchObject({
      'error.type': 'upstream',
      'ballast.variant': 'cand-fallback',
      'ballast.assigned_variant': 'cand',
      'ballast.fallbacks': 1,
    });
    expect(attrs(errSpan)).not.toHaveProperty('gen_ai.response.model');
    expect(attrs(errSpan)).not.toHaveProperty('ballast.change');
    expect(errSpan.status?.code).toBe(2); // STATUS_CODE_ERROR
  });

  it('createGatewayTelemetry exports spans when server.otel is set, and flushes them on close', async () => {
    const token = `gw-${Math.random().toString(36).slice(2)}`;
    const server = projectSchema.shape.server.parse({ otel: { endpoint, service_name: token } });
    const noStore = discardingTelemetryStore();
    const telemetry = createGatewayTelemetry({
      store: noStore,
      server,
      clock: { now: () => 1_760_000_000_000 },
      schedule: () => ({ cancel() {} }),
      processMetrics: false,
    });
    telemetry.record(requestRecord({ route: null }));
    await telemetry.close();
    const spans = spansOf(token).flatMap((b) => b.spans);
    expect(spans).toHaveLength(1);
    expect(attrs(spans[0] as OtlpSpan)['ballast.route']).toBe('(direct)');
  });
});
