import { type Kysely, sql } from 'kysely';

/**
 * At most one live (running or paused) rollout per change, enforced by the database: two
 * `ballast rollout start`s through two gateways in the same instant could each pass the check
 * and create one. A store that already holds such a pair keeps the newest live and has the
 * others marked `aborted` (they were not routed: the routing follows one rollout per change), so
 * the index can be built; nothing is deleted.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const live = await sql<{ id: string; change_id: string }>`
    select id, change_id from rollouts where status in ('running', 'paused')
    order by change_id, created_at desc, id desc`.execute(db);
  const seen = new Set<string>();
  for (const row of live.rows) {
    if (!seen.has(row.change_id)) {
      seen.add(row.change_id);
      continue;
    }
    await sql`update rollouts set status = 'aborted', exposure = 0 where id = ${row.id}`.execute(db);
  }
  await db.schema
    .createIndex('rollouts_one_live_idx')
    .on('rollouts')
    .column('change_id')
    .unique()
    .where(sql.ref('status'), 'in', sql`('running', 'paused')`)
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('rollouts_one_live_idx').execute();
}
