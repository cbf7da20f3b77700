import { Migrator } from 'kysely';
import { BallastError } from '../../core/errors.js';
import { migrationNames, migrationProvider } from './migration-provider.js';
import { type OpenDatabase, openDatabase } from './open-database.js';
import { describeError, toStoreError } from './store-error.js';
import { isMissingSqliteFile, parseStoreUrl, type StoreUrlOptions } from './store-url.js';

export interface AppliedMigration {
  readonly name: string;
  /** ISO-8601 time at which the migration ran, as Kysely records it. */
  readonly executedAt: string;
}

export interface MigrationStatus {
  readonly dialect: 'sqlite' | 'postgres';
  /** The store URL with its password masked. */
  readonly url: string;
  readonly applied: AppliedMigration[];
  readonly pending: string[];
}

function createMigrator(database: OpenDatabase): Migrator {
  const { target } = database;
  return new Migrator({
    db: database.db,
    provider: migrationProvider,
    // Kysely looks for its bookkeeping tables in any schema unless told which one, so a schema that
    // another Ballast instance already migrated would look migrated here too.
    ...(target.dialect === 'postgres' ? { migrationTableSchema: target.schema } : {}),
  });
}

/**
 * Applies pending migrations under Kysely's migration lock (a PostgreSQL advisory lock; on SQLite
 * the immediate transaction of immediate-sqlite-dialect.ts) and returns the names it applied.
 */
export async function applyMigrations(database: OpenDatabase): Promise<string[]> {
  const { error, results = [] } = await createMigrator(database).migrateToLatest();
  if (error !== undefined) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new BallastError(
      'BALLAST_ERR_MIGRATION',
      `${failed ? `Migration ${failed}` : 'Preparing the migration tables'} failed on ${database.target.display}: ${describeError(error)}`,
      { cause: error, details: { url: database.target.display, migration: failed ?? null } },
    );
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** `ballast db migrate`: applies what is pending and returns the names applied (empty when current). */
export async function migrateToLatest(url: string, options: StoreUrlOptions = {}): Promise<string[]> {
  const database = await openDatabase(parseStoreUrl(url, options));
  try {
    return await applyMigrations(database);
  } finally {
    await database.destroy();
  }
}

/** `ballast db status`: reads what is applied and pending without changing anything. */
export async function migrationStatus(url: string, options: StoreUrlOptions = {}): Promise<MigrationStatus> {
  const target = parseStoreUrl(url, options);
  // Do not create an empty SQLite file just to report that nothing is applied.
  if (isMissingSqliteFile(target)) {
    return { dialect: 'sqlite', url: target.display, applied: [], pending: migrationNames() };
  }
  const database = await openDatabase(target);
  try {
    const migrations = await createMigrator(database).getMigrations();
    const applied: AppliedMigration[] = [];
    const pending: string[] = [];
    for (const m of migrations) {
      if (m.executedAt) applied.push({ name: m.name, executedAt: m.executedAt.toISOString() });
      else pending.push(m.name);
    }
    return { dialect: target.dialect, url: target.display, applied, pending };
  } catch (error) {
    throw toStoreError(error, 'migrationStatus');
  } finally {
    await database.destroy();
  }
}
