import type { Kysely } from 'kysely';

/** The content-addressed response cache of issue #3 (`--cache read|write|readwrite`). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('response_cache')
    .addColumn('key', 'text', (c) => c.notNull().primaryKey())
    .addColumn('provider_id', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('response_cache_provider_idx')
    .on('response_cache')
    .column('provider_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('response_cache').execute();
}
