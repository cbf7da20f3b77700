import type { Kysely } from 'kysely';

/**
 * Per-unit totals per rollout arm (issue #6): one row per change × arm × unit, every counter
 * additive, so the controller gets N, ΣX, ΣY, ΣX², ΣY², ΣXY per arm from one aggregate (see
 * src/app/ports/unit-totals-store.ts). Counts are bigint, sums of milliseconds and dollars double
 * precision. Every counter defaults to 0 so a later migration can add columns the same way.
 *
 * The primary key's (change_id, arm) prefix already serves the per-arm aggregate; the explicit
 * index keeps that access path stated and independent of the key's column order.
 */
const COLUMNS = [
  ['requests', 'bigint'],
  ['errors', 'bigint'],
  ['latency_sum', 'double precision'],
  ['slow_count', 'bigint'],
  ['ttft_sum', 'double precision'],
  ['ttft_count', 'bigint'],
  ['guardrail_hits', 'bigint'],
  ['fallbacks', 'bigint'],
  ['feedback_count', 'bigint'],
  ['feedback_sum', 'double precision'],
  ['feedback_negative', 'bigint'],
  ['feedback_positive', 'bigint'],
  ['output_tokens', 'bigint'],
  ['cost_usd', 'double precision'],
] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  let table = db.schema
    .createTable('unit_totals')
    .addColumn('change_id', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('unit', 'text', (c) => c.notNull());
  for (const [column, type] of COLUMNS) {
    table = table.addColumn(column, type, (c) => c.notNull().defaultTo(0));
  }
  await table
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('unit_totals_pk', ['change_id', 'arm', 'unit'])
    .execute();
  await db.schema
    .createIndex('unit_totals_change_arm_idx')
    .on('unit_totals')
    .columns(['change_id', 'arm'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('unit_totals').execute();
}
