import {
  CompiledQuery,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  SqliteAdapter,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
} from 'kysely';

/**
 * Kysely's SQLite driver opens transactions with a plain (deferred) BEGIN. In WAL mode a deferred
 * transaction that reads and then writes fails with SQLITE_BUSY at once, without waiting for
 * busy_timeout, when another process committed in between. BEGIN IMMEDIATE takes the write lock up
 * front, so a second process (a `ballast db migrate` next to a running `ballast serve`) waits its
 * turn instead of failing.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/**
 * SQLite DDL is transactional, but Kysely's adapter says otherwise, so its Migrator would run each
 * migration outside a transaction and with a no-op lock. Declaring transactional DDL makes the
 * Migrator wrap the whole run in one (immediate) transaction: a failed migration leaves no half-built
 * schema, and two processes migrating the same file are serialized by SQLite's write lock.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}
