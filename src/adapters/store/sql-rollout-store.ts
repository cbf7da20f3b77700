import { type Selectable, sql } from 'kysely';
import type { Rollout, RolloutStatus, RolloutStore } from '../../app/ports/rollout-store.js';
import { BallastError } from '../../core/errors.js';
import type { RolloutsTable } from './database.js';
import type { SqlContext } from './sql-context.js';

function toRollout(row: Selectable<RolloutsTable>): Rollout {
  return {
    id: row.id,
    changeId: row.change_id,
    status: row.status as RolloutStatus,
    stageIndex: row.stage_index,
    exposure: row.exposure,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * The order in which a change's rollouts are its rollout: a live one first, whatever the clocks of
 * the gateways that created them said (one started through a gateway whose clock runs behind must
 * not hide), then the latest created, ties broken by the greater id.
 */
const CURRENT_FIRST = sql`case when status in ('running', 'paused') then 0 else 1 end, created_at desc, id desc`;

export function sqlRolloutStore(ctx: SqlContext): RolloutStore {
  const { db } = ctx;
  const get = async (id: string): Promise<Rollout | undefined> => {
    const row = await db.selectFrom('rollouts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRollout(row) : undefined;
  };

  return {
    async create(input) {
      const change = await db
        .selectFrom('changes')
        .select('id')
        .where('id', '=', input.changeId)
        .executeTakeFirst();
      if (!change) {
        throw new BallastError('BALLAST_ERR_NOT_FOUND', `Change ${input.changeId} is not registered`, {
          details: { changeId: input.changeId },
        });
      }
      const row = await db
        .insertInto('rollouts')
        .values({
          id: input.id,
          change_id: input.changeId,
          status: input.status,
          stage_index: input.stageIndex,
          exposure: input.exposure,
          version: 1,
          decision_seq: 0,
          created_at: input.at,
          updated_at: input.at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRollout(row);
    },

    get,

    async getByChange(changeId) {
      const row = await db
        .selectFrom('rollouts')
        .selectAll()
        .where('change_id', '=', changeId)
        .orderBy(sql`${CURRENT_FIRST}`)
        .limit(1)
        .executeTakeFirst();
      return row ? toRollout(row) : undefined;
    },

    async currentPerChange() {
      // A window function (PostgreSQL, SQLite ≥ 3.25): the first row of each change in getByChange's order.
      const ranked = db
        .selectFrom('rollouts')
        .selectAll()
        .select(sql<number>`row_number() over (partition by change_id order by ${CURRENT_FIRST})`.as('rank'));
      const rows = await db
        .selectFrom(ranked.as('r'))
        .selectAll()
        .where('rank', '=', 1)
        .orderBy('change_id')
        .execute();
      return rows.map(toRollout);
    },

    async list(filter = {}) {
      let query = db.selectFrom('rollouts').selectAll();
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.changeId !== undefined) query = query.where('change_id', '=', filter.changeId);
      const rows = await query.orderBy('created_at').orderBy('id').execute();
      return rows.map(toRollout);
    },

    async update(id, expectedVersion, patch, at) {
      // Compare-and-set in one statement: the WHERE on version is the guard, so of two writers
      // holding the same version exactly one matches a row (PostgreSQL re-checks the WHERE against
      // the committed row after waiting on its lock).
      const row = await db
        .updateTable('rollouts')
        .set((eb) => ({
          version: eb('version', '+', 1),
          updated_at: at,
          ...(patch.status === undefined ? {} : { status: patch.status }),
          ...(patch.stageIndex === undefined ? {} : { stage_index: patch.stageIndex }),
          ...(patch.exposure === undefined ? {} : { exposure: patch.exposure }),
        }))
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .returningAll()
        .executeTakeFirst();
      if (row) return toRollout(row);
      const current = await get(id);
      if (!current) {
        throw new BallastError('BALLAST_ERR_NOT_FOUND', `Rollout ${id} does not exist`, {
          details: { rolloutId: id },
        });
      }
      throw new BallastError(
        'BALLAST_ERR_CONFLICT',
        `Rollout ${id} is at version ${current.version}, not ${expectedVersion}: another update won; reload and retry`,
        { details: { rolloutId: id, expectedVersion, actualVersion: current.version } },
      );
    },
  };
}
