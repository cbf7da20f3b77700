import { type Kysely, sql } from 'kysely';

/**
 * The initial schema, written once with Kysely's schema builder so the same migration runs on SQLite
 * and PostgreSQL. Type names are chosen to mean the same on both: SQLite maps 'bigint' to INTEGER
 * affinity and 'double precision' to REAL. JSON is stored as text; booleans as 0/1 integers.
 *
 * A migration is frozen once released: the status lists in the CHECK constraints are spelled out
 * here instead of imported, so a later edit of the TypeScript list cannot silently change what a
 * fresh database gets compared with an old one. Change them with a new migration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('changes')
    .addColumn('id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('candidate', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('content_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('changes_route_idx').on('changes').column('route').execute();

  await db.schema
    .createTable('rollouts')
    .addColumn('id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('change_id', 'text', (c) => c.notNull().references('changes.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('stage_index', 'integer', (c) => c.notNull())
    .addColumn('exposure', 'double precision', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('decision_seq', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint(
      'rollouts_status_check',
      sql`status in ('pending', 'running', 'paused', 'rolled_back', 'promoted', 'aborted')`,
    )
    .addCheckConstraint('rollouts_exposure_check', sql`exposure >= 0 and exposure <= 100`)
    .execute();
  await db.schema
    .createIndex('rollouts_change_idx')
    .on('rollouts')
    .columns(['change_id', 'created_at'])
    .execute();
  await db.schema.createIndex('rollouts_status_idx').on('rollouts').column('status').execute();

  await db.schema
    .createTable('decisions')
    .addColumn('rollout_id', 'text', (c) => c.notNull().references('rollouts.id'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('change_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('from_stage', 'integer')
    .addColumn('to_stage', 'integer', (c) => c.notNull())
    .addColumn('exposure', 'double precision', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('decisions_pk', ['rollout_id', 'seq'])
    .execute();
  await db.schema.createIndex('decisions_change_idx').on('decisions').columns(['change_id', 'at']).execute();

  await db.schema
    .createTable('eval_runs')
    // No foreign key to changes: `ballast eval` gates a spec in CI before it is ever registered.
    .addColumn('id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('change_id', 'text', (c) => c.notNull())
    .addColumn('baseline_variant', 'text', (c) => c.notNull())
    .addColumn('candidate_variant', 'text', (c) => c.notNull())
    .addColumn('dataset_hash', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('verdict', 'text')
    .addColumn('summary', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addCheckConstraint(
      'eval_runs_status_check',
      sql`status in ('running', 'completed', 'failed', 'cancelled')`,
    )
    .addCheckConstraint(
      'eval_runs_verdict_check',
      sql`verdict is null or verdict in ('pass', 'fail', 'inconclusive')`,
    )
    .execute();
  await db.schema
    .createIndex('eval_runs_change_idx')
    .on('eval_runs')
    .columns(['change_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('eval_case_results')
    .addColumn('run_id', 'text', (c) => c.notNull().references('eval_runs.id'))
    .addColumn('case_id', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('sample', 'integer', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('scores', 'text', (c) => c.notNull())
    .addColumn('pass', 'integer')
    .addColumn('latency_ms', 'double precision')
    .addColumn('cost_usd', 'double precision')
    .addColumn('error', 'text')
    .addPrimaryKeyConstraint('eval_case_results_pk', ['run_id', 'case_id', 'arm', 'sample'])
    .addCheckConstraint('eval_case_results_arm_check', sql`arm in ('baseline', 'candidate')`)
    .execute();

  await db.schema
    .createTable('metric_buckets')
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('change_id', 'text', (c) => c.notNull())
    .addColumn('variant', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'bigint', (c) => c.notNull())
    .addColumn('errors', 'bigint', (c) => c.notNull())
    .addColumn('latency_sum', 'double precision', (c) => c.notNull())
    .addColumn('latency_sq_sum', 'double precision', (c) => c.notNull())
    .addColumn('ttft_sum', 'double precision', (c) => c.notNull())
    .addColumn('ttft_count', 'bigint', (c) => c.notNull())
    .addColumn('input_tokens', 'bigint', (c) => c.notNull())
    .addColumn('output_tokens', 'bigint', (c) => c.notNull())
    .addColumn('cost_usd', 'double precision', (c) => c.notNull())
    .addColumn('guardrail_hits', 'bigint', (c) => c.notNull())
    .addColumn('fallbacks', 'bigint', (c) => c.notNull())
    .addColumn('sketch', 'text')
    .addPrimaryKeyConstraint('metric_buckets_pk', ['route', 'change_id', 'variant', 'bucket_start'])
    .execute();
  await db.schema
    .createIndex('metric_buckets_change_idx')
    .on('metric_buckets')
    .columns(['change_id', 'bucket_start'])
    .execute();

  await db.schema
    .createTable('feedback')
    .addColumn('id', 'text', (c) => c.notNull().primaryKey())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('change_id', 'text')
    .addColumn('variant', 'text')
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('comment', 'text')
    .addColumn('tags', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('feedback_value_check', sql`value >= 0 and value <= 1`)
    .execute();
  await db.schema.createIndex('feedback_request_idx').on('feedback').column('request_id').execute();
  await db.schema.createIndex('feedback_change_idx').on('feedback').columns(['change_id', 'at']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('name', 'text', (c) => c.notNull().primaryKey())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'api_keys',
    'feedback',
    'metric_buckets',
    'eval_case_results',
    'eval_runs',
    'decisions',
    'rollouts',
    'changes',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
