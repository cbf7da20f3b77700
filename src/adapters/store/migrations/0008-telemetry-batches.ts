import type { Kysely } from 'kysely';

/**
 * The telemetry batches a gateway has written, by id, so a batch is applied once: the metric and
 * per-unit writes add their counts in the database, and a batch whose commit went through but
 * whose acknowledgement was lost (the connection dropped at that moment) used to be added again
 * when the gateway retried it. A write claims its id in the same transaction; a retry whose id is
 * already here changes nothing. The rows are kept an hour (the flusher deletes older ones).
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run against the schema of their time, not the current Database type.
type AnyDb = Kysely<any>;

export async function up(db: Kysely<unknown>): Promise<void> {
  const k = db as AnyDb;
  await k.schema
    .createTable('telemetry_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('applied_at', 'bigint', (c) => c.notNull())
    .execute();
  await k.schema
    .createIndex('telemetry_batches_applied_idx')
    .on('telemetry_batches')
    .column('applied_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await (db as AnyDb).schema.dropTable('telemetry_batches').execute();
}
