import type { Selectable } from 'kysely';
import type { ApiKey, ApiKeyStore } from '../../app/ports/api-key-store.js';
import type { ApiKeysTable } from './database.js';
import { fromJsonText, type SqlContext, toJsonText } from './sql-context.js';

function toApiKey(row: Selectable<ApiKeysTable>): ApiKey {
  return {
    name: row.name,
    keyHash: row.key_hash,
    scopes: fromJsonText<string[]>(row.scopes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function sqlApiKeyStore(ctx: SqlContext): ApiKeyStore {
  const { db } = ctx;
  return {
    async put(input) {
      const row = await db
        .insertInto('api_keys')
        .values({
          name: input.name,
          key_hash: input.keyHash,
          scopes: toJsonText(input.scopes),
          created_at: input.at,
          updated_at: input.at,
        })
        .onConflict((oc) =>
          oc.column('name').doUpdateSet((eb) => ({
            key_hash: eb.ref('excluded.key_hash'),
            scopes: eb.ref('excluded.scopes'),
            updated_at: eb.ref('excluded.updated_at'),
          })),
        )
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApiKey(row);
    },

    async findByHash(keyHash) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('key_hash', '=', keyHash)
        .executeTakeFirst();
      return row ? toApiKey(row) : undefined;
    },

    async list() {
      return (await db.selectFrom('api_keys').selectAll().orderBy('name').execute()).map(toApiKey);
    },
  };
}
