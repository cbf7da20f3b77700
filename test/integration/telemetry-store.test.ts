import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open-store.js';
import { createGatewayTelemetry } from '../../src/adapters/telemetry/create-gateway-telemetry.js';
import { decodeSketch } from '../../src/adapters/telemetry/latency-sketch.js';
import type { Store } from '../../src/app/ports/store.js';
import { projectSchema } from '../../src/core/spec/project-schema.js';
import { postgresForFile } from '../helpers/postgres.js';
import { feedbackRecord, requestRecord } from '../support/telemetry-records.js';

const postgres = await postgresForFile();

const T = 1_760_000_000_000;

describe.each([{ name: 'SQLite in memory', url: 'sqlite::memory:', run: true }, postgres])(
  'gateway telemetry into $name',
  ({ url, run }) => {
    it.runIf(run)('flushes aggregates, feedback and the sampled request log into the store', async () => {
      const store: Store = await openStore(url);
      try {
        const server = projectSchema.shape.server.parse({
          request_log: { sample_rate: 1, log_content: true },
        });
        const telemetry = createGatewayTelemetry({
          store,
          server,
          clock: { now: () => T + 1_000 },
          schedule: () => ({ cancel() {} }),
          processMetrics: false,
        });
        const content = { messages: [{ role: 'user' as const, content: 'hi [EMAIL]' }], output: 'hello' };
        const records = [
          requestRecord({ route: 'e2e', changeId: 'chg-e2e', at: T, latencyMs: 100, content }),
          requestRecord({
            route: 'e2e',
            changeId: 'chg-e2e',
            at: T + 1,
            latencyMs: 300,
            servedVariant: 'baseline',
            assignedVariant: 'cand',
            attempts: [
              { variant: 'cand', ok: false, kind: 'rate_limit', latencyMs: 40 },
              { variant: 'baseline', ok: true, latencyMs: 250 },
            ],
          }),
        ];
        for (const r of records) telemetry.record(r);
        telemetry.recordFeedback(feedbackRecord({ route: 'e2e', changeId: 'chg-e2e', value: 0, at: T + 2 }));
        await telemetry.flush();
        // A second batch into the same bucket adds up, and its sketch is merged into the stored one.
        telemetry.record(requestRecord({ route: 'e2e', changeId: 'chg-e2e', at: T + 3, latencyMs: 200 }));
        await telemetry.close();

        const buckets = await store.metrics.query({ route: 'e2e', changeId: 'chg-e2e' });
        const base = buckets.find((b) => b.variant === 'baseline');
        const cand = buckets.find((b) => b.variant === 'cand');
        expect(base).toMatchObject({
          bucketStart: T,
          count: 3,
          errors: 0,
          latencySum: 600,
          feedbackCount: 1,
        });
        expect(base).toMatchObject({ feedbackNegative: 1, feedbackPositive: 0 });
        expect(cand).toMatchObject({ count: 1, errors: 1, fallbacks: 1, latencySum: 40 });
        expect(decodeSketch(base?.sketch as string).count).toBe(3);
        expect(decodeSketch(cand?.sketch as string).count).toBe(1);

        const logged = await store.requestLog.list({ route: 'e2e' });
        expect(logged).toHaveLength(3);
        expect(await store.requestLog.get(records[0]?.requestId as string)).toEqual(records[0]);
        expect(telemetry.stats()).toMatchObject({
          pendingRows: 0,
          droppedRows: 0,
          flushFailures: 0,
          lastFlushAt: T + 1_000,
        });
        const text = await telemetry.metricsText();
        expect(text).toContain('ballast_requests_total{route="e2e",variant="baseline",outcome="ok"} 3');
      } finally {
        await store.close();
      }
    });

    it.runIf(run)('keeps rows while the store is closed and counts the failures', async () => {
      const store = await openStore(url);
      const errors: unknown[] = [];
      const telemetry = createGatewayTelemetry({
        store,
        server: projectSchema.shape.server.parse({}),
        clock: { now: () => T },
        schedule: () => ({ cancel() {} }),
        processMetrics: false,
        onError: (e) => errors.push(e),
      });
      await store.close();
      telemetry.record(requestRecord({ route: 'closed' }));
      await telemetry.flush();
      expect(telemetry.stats()).toMatchObject({ pendingRows: 1, flushFailures: 1 });
      expect(errors).toHaveLength(1);
      expect(await telemetry.metricsText()).toContain('ballast_telemetry_flush_failures_total 1');
    });
  },
);
