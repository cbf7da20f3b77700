import { type Kysely, sql } from 'kysely';

/**
 * Running per-arm sums of every rollout metric (issue #6): N, ΣX, ΣY, ΣX², ΣY², ΣXY over the units
 * of a change's arm, kept up to date by the same transaction that adds to `unit_totals`. The
 * controller's tick then reads O(rollouts × metrics) rows instead of aggregating every unit row
 * (which made a tick over 1,000 rollouts take a second, bench/results/controller.md). The
 * per-unit rows stay the source of truth; this table is derived from them, and is backfilled here
 * from whatever `unit_totals` already holds.
 */
const METRICS: Readonly<Record<string, readonly [x: string, y: string]>> = {
  error_rate: ['errors', 'requests'],
  latency_ms: ['latency_sum', 'requests'],
  slow_rate: ['slow_count', 'requests'],
  ttft_ms: ['ttft_sum', 'ttft_count'],
  guardrail_violation_rate: ['guardrail_hits', 'requests'],
  fallback_rate: ['fallbacks', 'requests'],
  negative_feedback_rate: ['feedback_negative', 'feedback_count'],
  positive_feedback_rate: ['feedback_positive', 'feedback_count'],
  feedback_score: ['feedback_sum', 'feedback_count'],
  output_tokens: ['output_tokens', 'requests'],
  cost_usd: ['cost_usd', 'requests'],
};

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('arm_sums')
    .addColumn('change_id', 'text', (c) => c.notNull())
    .addColumn('arm', 'text', (c) => c.notNull())
    .addColumn('metric', 'text', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_x', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_y', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_x2', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_y2', 'double precision', (c) => c.notNull().defaultTo(0))
    .addColumn('sum_xy', 'double precision', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('arm_sums_pk', ['change_id', 'arm', 'metric'])
    .execute();
  for (const [metric, [x, y]] of Object.entries(METRICS)) {
    const xd = sql`cast(${sql.ref(x)} as double precision)`;
    const yd = sql`cast(${sql.ref(y)} as double precision)`;
    await sql`insert into arm_sums (change_id, arm, metric, n, sum_x, sum_y, sum_x2, sum_y2, sum_xy)
      select change_id, arm, ${metric}, count(*), coalesce(sum(${xd}), 0), coalesce(sum(${yd}), 0),
        coalesce(sum(${xd} * ${xd}), 0), coalesce(sum(${yd} * ${yd}), 0), coalesce(sum(${xd} * ${yd}), 0)
      from unit_totals where ${sql.ref(y)} > 0 group by change_id, arm`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('arm_sums').execute();
}
