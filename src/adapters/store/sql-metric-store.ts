import { type ExpressionBuilder, type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { MetricBucket, MetricBucketDelta, MetricStore } from '../../app/ports/metric-store.js';
import { mergeEncodedSketches } from '../telemetry/ddsketch-proto.js';
import type { Database, MetricBucketsTable } from './database.js';
import { atomically, type SqlContext } from './sql-context.js';
import { claimBatch, forgetBatchesBefore } from './sql-telemetry-batches.js';

// The primary key cannot hold NULL on PostgreSQL, so "no change" is stored as ''.
const NO_CHANGE = '';

function toRow(delta: MetricBucketDelta): Insertable<MetricBucketsTable> {
  return {
    route: delta.route,
    change_id: delta.changeId ?? NO_CHANGE,
    variant: delta.variant,
    bucket_start: delta.bucketStart,
    count: delta.count,
    errors: delta.errors,
    latency_sum: delta.latencySum,
    latency_sq_sum: delta.latencySqSum,
    ttft_sum: delta.ttftSum,
    ttft_count: delta.ttftCount,
    input_tokens: delta.inputTokens,
    output_tokens: delta.outputTokens,
    cost_usd: delta.costUsd,
    guardrail_hits: delta.guardrailHits,
    fallbacks: delta.fallbacks,
    feedback_count: delta.feedbackCount,
    feedback_sum: delta.feedbackSum,
    feedback_negative: delta.feedbackNegative,
    feedback_positive: delta.feedbackPositive,
    sketch: delta.sketch,
  };
}

function toBucket(row: Selectable<MetricBucketsTable>): MetricBucket {
  return {
    route: row.route,
    changeId: row.change_id === NO_CHANGE ? null : row.change_id,
    variant: row.variant,
    bucketStart: row.bucket_start,
    count: row.count,
    errors: row.errors,
    latencySum: row.latency_sum,
    latencySqSum: row.latency_sq_sum,
    ttftSum: row.ttft_sum,
    ttftCount: row.ttft_count,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    guardrailHits: row.guardrail_hits,
    fallbacks: row.fallbacks,
    feedbackCount: row.feedback_count,
    feedbackSum: row.feedback_sum,
    feedbackNegative: row.feedback_negative,
    feedbackPositive: row.feedback_positive,
    sketch: row.sketch,
  };
}

function compareKeys(a: Insertable<MetricBucketsTable>, b: Insertable<MetricBucketsTable>): number {
  const text = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return (
    text(a.route, b.route) ||
    text(a.change_id, b.change_id) ||
    text(a.variant, b.variant) ||
    Number(a.bucket_start) - Number(b.bucket_start)
  );
}

/**
 * The row's sketch delta merged into the bucket's stored sketch (DDSketch bins add up). A stored
 * value that is not a readable DDSketch cannot be read by anyone either, so the delta replaces it
 * rather than failing every flush of that bucket from now on.
 */
async function mergedSketch(trx: Kysely<Database>, row: Insertable<MetricBucketsTable>): Promise<string> {
  const delta = row.sketch as string;
  const stored = await trx
    .selectFrom('metric_buckets')
    .select('sketch')
    .where('route', '=', row.route)
    .where('change_id', '=', row.change_id)
    .where('variant', '=', row.variant)
    .where('bucket_start', '=', row.bucket_start)
    .executeTakeFirst();
  if (stored?.sketch == null) return delta;
  try {
    return mergeEncodedSketches(stored.sketch, delta);
  } catch {
    return delta;
  }
}

export function sqlMetricStore(ctx: SqlContext): MetricStore {
  const { db } = ctx;
  return {
    async upsertBatch(deltas, batch) {
      if (deltas.length === 0) return;
      // Rows go in key order so two gateways flushing overlapping batches lock the same rows in the
      // same order on PostgreSQL and cannot deadlock each other.
      const rows = deltas.map(toRow).sort(compareKeys);
      await atomically(ctx, async (trx) => {
        if (!(await claimBatch(trx, batch))) return;
        // Sketches are merged here, read-modify-write: writers of sketches take turns on PostgreSQL
        // (SQLite has one writer, and Ballast opens its transactions IMMEDIATE).
        if (ctx.dialect === 'postgres' && rows.some((r) => r.sketch != null))
          await sql`select pg_advisory_xact_lock(hashtext('ballast.metric_buckets.sketch'))`.execute(trx);
        for (const row of rows) {
          if (row.sketch != null) row.sketch = await mergedSketch(trx, row);
          // One statement per row; the counters are added in the database, so concurrent writers
          // never read-modify-write them and never lose counts.
          await trx
            .insertInto('metric_buckets')
            .values(row)
            .onConflict((oc) =>
              oc.columns(['route', 'change_id', 'variant', 'bucket_start']).doUpdateSet((eb) => ({
                count: eb('metric_buckets.count', '+', eb.ref('excluded.count')),
                errors: eb('metric_buckets.errors', '+', eb.ref('excluded.errors')),
                latency_sum: eb('metric_buckets.latency_sum', '+', eb.ref('excluded.latency_sum')),
                latency_sq_sum: eb('metric_buckets.latency_sq_sum', '+', eb.ref('excluded.latency_sq_sum')),
                ttft_sum: eb('metric_buckets.ttft_sum', '+', eb.ref('excluded.ttft_sum')),
                ttft_count: eb('metric_buckets.ttft_count', '+', eb.ref('excluded.ttft_count')),
                input_tokens: eb('metric_buckets.input_tokens', '+', eb.ref('excluded.input_tokens')),
                output_tokens: eb('metric_buckets.output_tokens', '+', eb.ref('excluded.output_tokens')),
                cost_usd: eb('metric_buckets.cost_usd', '+', eb.ref('excluded.cost_usd')),
                guardrail_hits: eb('metric_buckets.guardrail_hits', '+', eb.ref('excluded.guardrail_hits')),
                fallbacks: eb('metric_buckets.fallbacks', '+', eb.ref('excluded.fallbacks')),
                feedback_count: eb('metric_buckets.feedback_count', '+', eb.ref('excluded.feedback_count')),
                feedback_sum: eb('metric_buckets.feedback_sum', '+', eb.ref('excluded.feedback_sum')),
                feedback_negative: eb(
                  'metric_buckets.feedback_negative',
                  '+',
                  eb.ref('excluded.feedback_negative'),
                ),
                feedback_positive: eb(
                  'metric_buckets.feedback_positive',
                  '+',
                  eb.ref('excluded.feedback_positive'),
                ),
                // Already merged with the stored sketch above, under the lock.
                sketch: eb.fn.coalesce('excluded.sketch', 'metric_buckets.sketch'),
              })),
            )
            .execute();
        }
      });
    },

    async query(q = {}) {
      let query = db.selectFrom('metric_buckets').selectAll();
      if (q.route !== undefined) query = query.where('route', '=', q.route);
      if (q.changeId !== undefined) query = query.where('change_id', '=', q.changeId ?? NO_CHANGE);
      if (q.variant !== undefined) query = query.where('variant', '=', q.variant);
      if (q.from !== undefined) query = query.where('bucket_start', '>=', q.from);
      if (q.to !== undefined) query = query.where('bucket_start', '<', q.to);
      const rows = await query
        .orderBy('bucket_start')
        .orderBy('route')
        .orderBy('change_id')
        .orderBy('variant')
        .execute();
      return rows.map(toBucket);
    },

    forgetBatchesBefore: (before, limit) => forgetBatchesBefore(db, before, limit),
    async deleteBefore(before, limit) {
      const n = Math.max(0, Math.floor(limit));
      if (n === 0) return 0;
      // Only traffic outside any change: a change's buckets are its rollout's evidence.
      const deletable = (eb: ExpressionBuilder<Database, 'metric_buckets'>) =>
        eb.and([eb('change_id', '=', NO_CHANGE), eb('bucket_start', '<', before)]);
      // Neither dialect has a portable DELETE … LIMIT, and the key has four columns: find the
      // start of the n-th oldest deletable bucket on the bucket_start index, then delete up to it.
      const nth = await db
        .selectFrom('metric_buckets')
        .select('bucket_start')
        .where(deletable)
        .orderBy('bucket_start')
        .offset(n - 1)
        .limit(1)
        .executeTakeFirst();
      const upTo = nth === undefined ? before : Number(nth.bucket_start) + 1;
      const result = await db
        .deleteFrom('metric_buckets')
        .where(deletable)
        .where('bucket_start', '<', upTo)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
