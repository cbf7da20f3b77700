import type { Selectable } from 'kysely';
import type { Change, ChangeStore, RegisterChangeResult } from '../../app/ports/change-store.js';
import type { JsonObject } from '../../app/ports/json-value.js';
import type { ChangesTable } from './database.js';
import { atomically, fromJsonText, type SqlContext, toJsonText } from './sql-context.js';

function toChange(row: Selectable<ChangesTable>): Change {
  return {
    id: row.id,
    route: row.route,
    candidate: row.candidate,
    spec: fromJsonText<JsonObject>(row.spec),
    contentHash: row.content_hash,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function sqlChangeStore(ctx: SqlContext): ChangeStore {
  const { db } = ctx;
  return {
    register: (input) =>
      atomically(ctx, async (trx): Promise<RegisterChangeResult> => {
        const fields = {
          route: input.route,
          candidate: input.candidate,
          spec: toJsonText(input.spec),
          content_hash: input.contentHash,
          updated_at: input.at,
        };
        // Insert-or-nothing first, so two processes registering the same new spec cannot both
        // "create" it: the loser falls through to the hash comparison.
        const inserted = await trx
          .insertInto('changes')
          .values({ id: input.id, ...fields, created_at: input.at })
          .onConflict((oc) => oc.column('id').doNothing())
          .returningAll()
          .executeTakeFirst();
        if (inserted) return { outcome: 'created', change: toChange(inserted) };
        const updated = await trx
          .updateTable('changes')
          .set(fields)
          .where('id', '=', input.id)
          .where('content_hash', '<>', input.contentHash)
          .returningAll()
          .executeTakeFirst();
        if (updated) return { outcome: 'updated', change: toChange(updated) };
        const current = await trx
          .selectFrom('changes')
          .selectAll()
          .where('id', '=', input.id)
          .executeTakeFirstOrThrow();
        return { outcome: 'unchanged', change: toChange(current) };
      }),

    async get(id) {
      const row = await db.selectFrom('changes').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toChange(row) : undefined;
    },

    async list() {
      const rows = await db.selectFrom('changes').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toChange);
    },
  };
}
