import type { Store } from '../../app/ports/store.js';
import { openDatabase } from './open-database.js';
import { sqlStore } from './sql-store.js';
import { applyMigrations } from './store-migrator.js';
import { parseStoreUrl, type StoreUrlOptions } from './store-url.js';

// The store's entry points in one place for composition roots (src/main imports them from here).
export { type MigrationStatus, migrateToLatest, migrationStatus } from './store-migrator.js';
export { isMissingSqliteFile, parseStoreUrl } from './store-url.js';

export interface OpenStoreOptions extends StoreUrlOptions {
  /** Apply pending migrations before returning (default true). */
  readonly migrate?: boolean;
}

/**
 * Opens the store a URL names: `sqlite:PATH`, `sqlite::memory:`, or `postgres://…[?schema=NAME]`.
 * Throws BALLAST_ERR_STORE_UNSUPPORTED for other URLs, BALLAST_ERR_STORE when the database cannot
 * be reached, BALLAST_ERR_MIGRATION when a migration fails.
 */
export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const database = await openDatabase(parseStoreUrl(url, options));
  if (options.migrate !== false) {
    try {
      await applyMigrations(database);
    } catch (error) {
      await database.destroy();
      throw error;
    }
  }
  return sqlStore(database);
}
