import type { JsonObject } from '../../app/ports/json-value.js';
import type { ResponseCacheStore } from '../../app/ports/response-cache-store.js';
import { fromJsonText, type SqlContext, toJsonText } from './sql-context.js';

export function sqlResponseCacheStore(ctx: SqlContext): ResponseCacheStore {
  const { db } = ctx;
  return {
    async get(key) {
      const row = await db.selectFrom('response_cache').selectAll().where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      return {
        key: row.key,
        providerId: row.provider_id,
        result: fromJsonText<JsonObject>(row.result),
        createdAt: Number(row.created_at),
      };
    },
    async put(entry) {
      const values = {
        key: entry.key,
        provider_id: entry.providerId,
        result: toJsonText(entry.result),
        created_at: entry.createdAt,
      };
      await db
        .insertInto('response_cache')
        .values(values)
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            result: values.result,
            created_at: values.created_at,
            provider_id: values.provider_id,
          }),
        )
        .execute();
    },
    async clear(filter = {}) {
      let query = db.deleteFrom('response_cache');
      if (filter.providerId !== undefined) query = query.where('provider_id', '=', filter.providerId);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async count(filter = {}) {
      let query = db.selectFrom('response_cache').select((eb) => eb.fn.countAll().as('n'));
      if (filter.providerId !== undefined) query = query.where('provider_id', '=', filter.providerId);
      const row = await query.executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
