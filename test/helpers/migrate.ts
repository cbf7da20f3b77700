import { type Kysely, Migrator } from 'kysely';
import { migrationProvider } from '../../src/adapters/store/migration-provider.js';
import { openDatabase } from '../../src/adapters/store/open-database.js';
import { parseStoreUrl } from '../../src/adapters/store/store-url.js';

/**
 * Runs `fn` with a Kysely Migrator over Ballast's migrations and the raw database of `url`, then
 * closes it: upgrade tests move a store to an older migration, write rows as that build did, and
 * go on from there.
 */
export async function withMigrator(
  url: string,
  // biome-ignore lint/suspicious/noExplicitAny: rows are written in the shape of an older schema.
  fn: (migrator: Migrator, db: Kysely<any>) => Promise<void>,
): Promise<void> {
  const target = parseStoreUrl(url);
  const database = await openDatabase(target);
  try {
    const migrator = new Migrator({
      db: database.db,
      provider: migrationProvider,
      ...(target.dialect === 'postgres' ? { migrationTableSchema: target.schema } : {}),
    });
    await fn(migrator, database.db);
  } finally {
    await database.destroy();
  }
}
