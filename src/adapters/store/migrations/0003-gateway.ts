import type { Kysely } from 'kysely';

/**
 * What the gateway writes (issue #5): the sampled request log, a key/value table for settings the
 * processes of a fleet must agree on (the generated feedback secret), and feedback counters in the
 * metric buckets so the controller reads feedback rates from the same rows as everything else.
 *
 * SQLite's ALTER TABLE adds one column per statement, so each column is its own alterTable. A
 * NOT NULL column needs a default to be added to a table that may hold rows; 0 is also the right
 * value for buckets written before this migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('request_log')
    .addColumn('request_id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('route', 'text')
    .addColumn('change_id', 'text')
    .addColumn('arm', 'text')
    .addColumn('unit', 'text', (c) => c.notNull())
    .addColumn('unit_source', 'text', (c) => c.notNull())
    .addColumn('assigned_variant', 'text', (c) => c.notNull())
    .addColumn('served_variant', 'text', (c) => c.notNull())
    .addColumn('model', 'text')
    .addColumn('stream', 'integer', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error_kind', 'text')
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .addColumn('ttft_ms', 'double precision')
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost_usd', 'double precision', (c) => c.notNull())
    .addColumn('guardrail_hits', 'integer', (c) => c.notNull())
    .addColumn('attempts', 'text', (c) => c.notNull())
    .addColumn('messages', 'text')
    .addColumn('output', 'text')
    .execute();
  await db.schema
    .createIndex('request_log_change_idx')
    .on('request_log')
    .columns(['change_id', 'at'])
    .execute();
  await db.schema.createIndex('request_log_at_idx').on('request_log').column('at').execute();

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.notNull().primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  for (const [column, type] of [
    ['feedback_count', 'bigint'],
    ['feedback_sum', 'double precision'],
    ['feedback_negative', 'bigint'],
    ['feedback_positive', 'bigint'],
  ] as const) {
    await db.schema
      .alterTable('metric_buckets')
      .addColumn(column, type, (c) => c.notNull().defaultTo(0))
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['feedback_positive', 'feedback_negative', 'feedback_sum', 'feedback_count']) {
    await db.schema.alterTable('metric_buckets').dropColumn(column).execute();
  }
  await db.schema.dropTable('settings').execute();
  await db.schema.dropTable('request_log').execute();
}
