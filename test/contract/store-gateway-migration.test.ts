import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/adapters/store/open-store.js';
import { withMigrator } from '../helpers/migrate.js';
import { postgresForFile } from '../helpers/postgres.js';
import { T0 } from './store-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'ballast-0003-'));
const postgres = await postgresForFile();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Migrates a fresh store only up to 0002 and writes one metric bucket the way that build did. */
async function storeBefore0003(url: string): Promise<void> {
  await withMigrator(url, async (migrator, db) => {
    const { error } = await migrator.migrateTo('0002-response-cache');
    if (error) throw error;
    await db
      .insertInto('metric_buckets')
      // The columns of 0001 only: the feedback columns do not exist yet.
      .values({
        route: 'support',
        change_id: '',
        variant: 'baseline',
        bucket_start: T0,
        count: 7,
        errors: 1,
        latency_sum: 700,
        latency_sq_sum: 70_000,
        ttft_sum: 0,
        ttft_count: 0,
        input_tokens: 10,
        output_tokens: 20,
        cost_usd: 0.01,
        guardrail_hits: 0,
        fallbacks: 0,
        sketch: null,
      } as never)
      .execute();
  });
}

describe.each([{ name: 'SQLite', url: `sqlite:${join(dir, 'upgrade.db')}`, run: true }, postgres])(
  '0003-gateway on an existing $name store',
  ({ url, run }) => {
    it.runIf(run)('gives old metric buckets zero feedback counters and adds to them afterwards', async () => {
      await storeBefore0003(url);
      const store = await openStore(url);
      try {
        const [old] = await store.metrics.query({ route: 'support' });
        expect(old).toMatchObject({
          count: 7,
          feedbackCount: 0,
          feedbackSum: 0,
          feedbackNegative: 0,
          feedbackPositive: 0,
        });
        const { sketch: _s, ...counters } = old!;
        await store.metrics.upsertBatch([
          {
            ...counters,
            count: 0,
            errors: 0,
            latencySum: 0,
            latencySqSum: 0,
            inputTokens: 0,
            outputTokens: 0,
            costUsd: 0,
            feedbackCount: 2,
            feedbackSum: 1,
            feedbackNegative: 1,
            feedbackPositive: 1,
            sketch: null,
          },
        ]);
        expect((await store.metrics.query({ route: 'support' }))[0]).toMatchObject({
          count: 7,
          feedbackCount: 2,
          feedbackSum: 1,
          feedbackNegative: 1,
          feedbackPositive: 1,
        });
        expect(await store.requestLog.list()).toEqual([]);
        expect(await store.settings.get('anything')).toBeUndefined();
      } finally {
        await store.close();
      }
    });
  },
);
